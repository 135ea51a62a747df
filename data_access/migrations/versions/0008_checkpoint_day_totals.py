"""checkpoint day totals: per-day, per-work-zone traffic sums kept by every write of checkpoint_day (issue 14)

Filled from the rows already saved, so a deployed database upgrades in place.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

FIGURES = ['vehicles', 'persons', 'persons_from_outside', 'turned_back', 'abnormal_temperature']

# The tables as of this revision (not the models: a later model must not change what this step does).
checkpoint_day = sa.table('checkpoint_day', sa.column('site_id'), sa.column('day'), *[sa.column(f) for f in FIGURES])
site = sa.table('site', sa.column('id'), sa.column('zone_id'), sa.column('kind'), sa.column('checkpoint_type'),
                sa.column('active', sa.Boolean))


def upgrade() -> None:
    totals = op.create_table(
        'checkpoint_day_total',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=False),
        *[sa.Column(f, sa.Integer(), nullable=False) for f in FIGURES],
        sa.Column('reports', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_checkpoint_day_total_zone_id_work_zone')),
        sa.PrimaryKeyConstraint('day', 'zone_id', name=op.f('pk_checkpoint_day_total')),
    )
    # the active road checkpoints' reports, as data_access/traffic_totals.py keeps them
    sums = [sa.func.sum(getattr(checkpoint_day.c, f)) for f in FIGURES]
    query = (sa.select(checkpoint_day.c.day, site.c.zone_id, *sums, sa.func.count())
             .join(site, site.c.id == checkpoint_day.c.site_id)
             .where(site.c.kind == 'checkpoint', site.c.checkpoint_type == 'road', site.c.active.is_(True))
             .group_by(checkpoint_day.c.day, site.c.zone_id))
    op.execute(totals.insert().from_select(['day', 'zone_id', *FIGURES, 'reports'], query))


def downgrade() -> None:
    op.drop_table('checkpoint_day_total')
