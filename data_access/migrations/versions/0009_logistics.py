"""logistics: kept stock per place, movement kinds and recipients, meals per duty point, donors (issue 15)

Supply items get a version (an admin's change is checked against it). A deployed database upgrades in place: its movements get a kind (allocation for a receipt, issue for
an issue), its stock is kept from their sums (a zone's store), its donations count as from a person
inside the zone, not anonymous. meal_day stays as it was.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

MOVEMENT_KINDS = "kind IN ('purchase', 'allocation', 'donation', 'issue', 'stocktake')"

# The tables as of this revision (not the models: a later model must not change what this step does).
supply_movement = sa.table('supply_movement', sa.column('item_id'), sa.column('zone_id'), sa.column('quantity'))


def upgrade() -> None:
    with op.batch_alter_table('supply_item') as batch:
        batch.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('updated_by', sa.String(64), nullable=True))
    with op.batch_alter_table('donation') as batch:
        batch.add_column(sa.Column('donor_kind', sa.String(16), server_default='person', nullable=False))
        batch.add_column(sa.Column('donor_origin', sa.String(16), server_default='inside', nullable=False))
        batch.add_column(sa.Column('anonymous', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('item_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('estimated_value', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('received_by', sa.String(100), nullable=True))
        batch.create_foreign_key(op.f('fk_donation_item_id_supply_item'), 'supply_item', ['item_id'], ['id'])
        batch.create_check_constraint(op.f('ck_donation_donor_kind'), "donor_kind IN ('firm', 'resident_group', 'person')")
        batch.create_check_constraint(op.f('ck_donation_donor_origin'), "donor_origin IN ('inside', 'elsewhere')")
        batch.create_check_constraint(op.f('ck_donation_estimated_value'), "estimated_value IS NULL OR estimated_value >= 0")
        batch.create_index('ix_donation_day', ['day'], unique=False)

    with op.batch_alter_table('supply_movement') as batch:
        batch.add_column(sa.Column('kind', sa.String(16), nullable=True))
        batch.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('recipient_site_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('recipient', sa.String(100), nullable=True))
        batch.add_column(sa.Column('donation_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE supply_movement SET kind = CASE WHEN quantity > 0 THEN 'allocation' ELSE 'issue' END")
    with op.batch_alter_table('supply_movement') as batch:
        batch.alter_column('kind', existing_type=sa.String(16), nullable=False)
        batch.create_foreign_key(op.f('fk_supply_movement_site_id_site'), 'site', ['site_id'], ['id'])
        batch.create_foreign_key(op.f('fk_supply_movement_recipient_site_id_site'), 'site', ['recipient_site_id'], ['id'])
        batch.create_foreign_key(op.f('fk_supply_movement_donation_id_donation'), 'donation', ['donation_id'], ['id'])
        batch.drop_constraint(op.f('ck_supply_movement_quantity'), type_='check')
        batch.create_check_constraint(op.f('ck_supply_movement_quantity'), "quantity <> 0 OR kind = 'stocktake'")
        batch.create_check_constraint(op.f('ck_supply_movement_kind'), MOVEMENT_KINDS)
        batch.create_index('ix_supply_movement_day', ['day', 'kind', 'item_id', 'zone_id', 'quantity'], unique=False)
        batch.create_index('ix_supply_movement_donation_id', ['donation_id'], unique=False)

    stock = op.create_table(
        'supply_stock',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('stock', sa.Integer(), nullable=False),
        sa.CheckConstraint('stock >= 0', name=op.f('ck_supply_stock_stock')),
        sa.ForeignKeyConstraint(['item_id'], ['supply_item.id'], name=op.f('fk_supply_stock_item_id_supply_item')),
        sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_supply_stock_zone_id_work_zone')),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_supply_stock_site_id_site')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_stock')),
    )
    op.create_index('uq_supply_stock_place', 'supply_stock',
                    ['item_id', 'zone_id', sa.text('coalesce(site_id, 0)')], unique=True)
    op.create_index('ix_supply_stock_zone_id', 'supply_stock', ['zone_id'], unique=False)
    # what the movements saved so far add up to, in each zone's store (a negative sum, which only hand-made
    # rows could give, is kept as 0: the database refuses a negative stock from here on)
    total = sa.func.sum(supply_movement.c.quantity)
    op.execute(stock.insert().from_select(
        ['item_id', 'zone_id', 'stock'],
        sa.select(supply_movement.c.item_id, supply_movement.c.zone_id,
                  sa.case((total > 0, total), else_=0))
        .group_by(supply_movement.c.item_id, supply_movement.c.zone_id)))

    op.create_table(
        'meal_point_day',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('meals', sa.Integer(), nullable=False),
        sa.Column('donated_meals', sa.Integer(), nullable=False),
        sa.Column('corrected', sa.Boolean(), nullable=False),
        sa.Column('correction_reason', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_by', sa.String(64), nullable=True),
        sa.CheckConstraint('meals >= 0 AND donated_meals >= 0', name=op.f('ck_meal_point_day_counts')),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_meal_point_day_site_id_site')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_point_day')),
        sa.UniqueConstraint('site_id', 'day', name='meal_site_day'),
    )
    op.create_index('ix_meal_point_day_day', 'meal_point_day', ['day', 'site_id', 'meals', 'donated_meals'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_meal_point_day_day', table_name='meal_point_day')
    op.drop_table('meal_point_day')
    op.drop_index('ix_supply_stock_zone_id', table_name='supply_stock')
    op.drop_index('uq_supply_stock_place', table_name='supply_stock')
    op.drop_table('supply_stock')
    op.execute("DELETE FROM supply_movement WHERE kind = 'stocktake' AND quantity = 0")
    with op.batch_alter_table('supply_movement') as batch:
        batch.drop_index('ix_supply_movement_donation_id')
        batch.drop_index('ix_supply_movement_day')
        batch.drop_constraint(op.f('ck_supply_movement_kind'), type_='check')
        batch.drop_constraint(op.f('ck_supply_movement_quantity'), type_='check')
        batch.create_check_constraint(op.f('ck_supply_movement_quantity'), 'quantity <> 0')
        batch.drop_constraint(op.f('fk_supply_movement_donation_id_donation'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_supply_movement_recipient_site_id_site'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_supply_movement_site_id_site'), type_='foreignkey')
        for column in ('recorded_at', 'donation_id', 'recipient', 'recipient_site_id', 'site_id', 'kind'):
            batch.drop_column(column)
    with op.batch_alter_table('donation') as batch:
        batch.drop_index('ix_donation_day')
        batch.drop_constraint(op.f('ck_donation_estimated_value'), type_='check')
        batch.drop_constraint(op.f('ck_donation_donor_origin'), type_='check')
        batch.drop_constraint(op.f('ck_donation_donor_kind'), type_='check')
        batch.drop_constraint(op.f('fk_donation_item_id_supply_item'), type_='foreignkey')
        for column in ('received_by', 'estimated_value', 'item_id', 'anonymous', 'donor_origin', 'donor_kind'):
            batch.drop_column(column)
    # plain columns, dropped in place: a batch copy drops the table, which SQLite refuses while movements
    # point at its rows (foreign keys are on); SQLite 3.35+ drops such a column without copying
    for column in ('updated_by', 'updated_at', 'version', 'active'):
        op.drop_column('supply_item', column)
