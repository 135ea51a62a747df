"""covering indexes: per-day and per-checkpoint traffic sums, reporting times, shop counts from the index alone (issue 14)

Revision ID: 0007
Revises: 0006
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

FIGURES = ['vehicles', 'persons', 'persons_from_outside', 'turned_back', 'abnormal_temperature']
# (name, table, columns before, columns after): each index widened, its name and leading columns kept, so
# every query that used it still can; the models declare the new columns (data_access/models.py).
WIDENED = (
    # traffic per day (traffic.summary, daily; missing_reports' site ids)
    ('ix_checkpoint_day_day', 'checkpoint_day', ['day'], ['day', 'site_id', *FIGURES]),
    # traffic per checkpoint over a range, and when each day was reported (completeness.site_rates)
    ('ix_checkpoint_day_site_figures', 'checkpoint_day', ['site_id', 'day', 'vehicles', 'persons'],
     ['site_id', 'day', *FIGURES, 'reported_at']),
    # shop counts and staff per zone and category (shops.summary, by_category, by_zone)
    ('ix_shop_zone_category', 'shop', ['zone_id', 'category'],
     ['zone_id', 'category', 'is_open', 'staff', 'staff_from_outside']),
)


def upgrade() -> None:
    for name, table, _, columns in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, columns, _ in reversed(WIDENED):
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False)
