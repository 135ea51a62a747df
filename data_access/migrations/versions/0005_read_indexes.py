"""read indexes: the reads a page or the wall makes stay cheap at city scale (issue 14)

Revision ID: 0005
Revises: 0004
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# (name, table, columns); the models declare the same (data_access/models.py).
INDEXES = (
    # the audit log page filters by day, by user and by line of work (tables), newest first
    ('ix_audit_log_at', 'audit_log', ['at']),
    ('ix_audit_log_username_at', 'audit_log', ['username', 'at']),
    ('ix_audit_log_table_name_at', 'audit_log', ['table_name', 'at']),
    # a checkpoint's figures over a range (the per-checkpoint table, the heatmap's busiest) from the index alone
    ('ix_checkpoint_day_site_figures', 'checkpoint_day', ['site_id', 'day', 'vehicles', 'persons']),
    ('ix_finding_site_id', 'finding', ['site_id']),
    ('ix_finding_inspection_id', 'finding', ['inspection_id']),
    ('ix_inspection_day', 'inspection', ['day']),
    ('ix_shop_status_since', 'shop', ['status_since']),
    ('ix_site_parent_site_id', 'site', ['parent_site_id']),
    ('ix_survey_round_day', 'survey_round', ['day']),
    ('ix_user_scope_user_id', 'user_scope', ['user_id']),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
