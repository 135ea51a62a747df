"""reporting due times and first-report time (issue 10)

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

DUE_CHECK = "report_due_minutes IS NULL OR report_due_minutes BETWEEN 0 AND 10080"


def upgrade() -> None:
    with op.batch_alter_table('work_zone') as batch:
        batch.add_column(sa.Column('report_due_minutes', sa.Integer(), nullable=True))
        batch.create_check_constraint(op.f('ck_work_zone_report_due_minutes'), DUE_CHECK)
    with op.batch_alter_table('site') as batch:
        batch.add_column(sa.Column('report_due_minutes', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('reporting_from', sa.Date(), nullable=True))
        batch.create_check_constraint(op.f('ck_site_report_due_minutes'), DUE_CHECK)
    with op.batch_alter_table('checkpoint_day') as batch:
        batch.add_column(sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True))
    # Rows saved before this version: their first report is the best time we have.
    op.execute("UPDATE checkpoint_day SET reported_at = updated_at WHERE reported_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('checkpoint_day') as batch:
        batch.drop_column('reported_at')
    with op.batch_alter_table('site') as batch:
        batch.drop_constraint(op.f('ck_site_report_due_minutes'), type_='check')
        batch.drop_column('reporting_from')
        batch.drop_column('report_due_minutes')
    with op.batch_alter_table('work_zone') as batch:
        batch.drop_constraint(op.f('ck_work_zone_report_due_minutes'), type_='check')
        batch.drop_column('report_due_minutes')
