"""line versions: one data version per line of work instead of one for the whole database (issue 14)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The lines as of this revision (data_access/versions.py); a later line gets its row on first write.
LINES = ("accounts", "inspections", "logistics", "reopening", "sessions", "settings", "shops", "survey",
         "territory", "traffic")
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    line_version = op.create_table(
        'line_version',
        sa.Column('line', sa.String(length=32), nullable=False),
        sa.Column('version', BIG, nullable=False),
        sa.PrimaryKeyConstraint('line', name=op.f('pk_line_version')),
    )
    # Start every line past the old global version, so no cache key of the old scheme is reused.
    old = op.get_bind().execute(sa.text("SELECT coalesce(max(version), 0) FROM data_version")).scalar()
    op.bulk_insert(line_version, [{"line": line, "version": int(old) + 1} for line in LINES])
    op.drop_table('data_version')


def downgrade() -> None:
    data_version = op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', BIG, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version')),
    )
    total = op.get_bind().execute(sa.text("SELECT coalesce(sum(version), 0) FROM line_version")).scalar()
    op.bulk_insert(data_version, [{"id": 1, "version": int(total)}])
    op.drop_table('line_version')
