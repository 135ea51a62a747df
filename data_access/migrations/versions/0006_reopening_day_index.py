"""reopening steps by day: the latest step, and the enterprises with a step after an as-of day (issue 14)

Revision ID: 0006
Revises: 0005
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# (name, table, columns); the models declare the same (data_access/models.py).
INDEXES = (
    # reopening._as_of: max(day), and the few enterprises with a step after the as-of day (derived from their
    # steps; the others are read as stored); territory.as_of('reopening')
    ('ix_reopening_step_day', 'reopening_step', ['day', 'enterprise_id']),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
