"""initial schema

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'supervisor', 'clerk', 'viewer')", name=op.f('ck_app_user_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_table_row', ['table_name', 'row_id'], unique=False)

    op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    op.create_table('setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('supply_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('low_threshold', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_item')),
    sa.UniqueConstraint('code', name=op.f('uq_supply_item_code'))
    )
    op.create_table('work_zone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('geometry', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_zone')),
    sa.UniqueConstraint('code', name=op.f('uq_work_zone_code'))
    )
    op.create_table('display_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=128), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_display_key_zone_id_work_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_display_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_display_key_key_hash'))
    )
    op.create_table('donation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('donor', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("kind IN ('money', 'goods', 'meals')", name=op.f('ck_donation_kind')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_donation_amount')),
    sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_donation_zone_id_work_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donation'))
    )
    op.create_table('enterprise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=16), nullable=False),
    sa.Column('above_size', sa.Boolean(), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=False),
    sa.Column('employees_from_outside', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=True),
    sa.Column('owner_backup', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('status_since', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.CheckConstraint("department IN ('econ_dev', 'investment', 'safety')", name=op.f('ck_enterprise_department')),
    sa.CheckConstraint('employees >= 0 AND employees_from_outside >= 0', name=op.f('ck_enterprise_employees')),
    sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_enterprise_zone_id_work_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise'))
    )
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.create_index('ix_enterprise_zone_status', ['zone_id', 'status'], unique=False)

    op.create_table('meal_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('meals', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.CheckConstraint('meals >= 0', name=op.f('ck_meal_day_meals')),
    sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_meal_day_zone_id_work_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal_day')),
    sa.UniqueConstraint('zone_id', 'day', name='zone_day')
    )
    op.create_table('shop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('staff', sa.Integer(), nullable=False),
    sa.Column('staff_from_outside', sa.Integer(), nullable=False),
    sa.Column('status_since', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.CheckConstraint("category IN ('supermarket', 'pharmacy', 'restaurant', 'hotel', 'grain_oil', 'other')", name=op.f('ck_shop_category')),
    sa.CheckConstraint('staff >= 0 AND staff_from_outside >= 0 AND staff_from_outside <= staff', name=op.f('ck_shop_staff')),
    sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_shop_zone_id_work_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop'))
    )
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.create_index('ix_shop_zone_category', ['zone_id', 'category'], unique=False)

    op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('households_known', sa.Integer(), nullable=True),
    sa.Column('people_known', sa.Integer(), nullable=True),
    sa.Column('has_property_management', sa.Boolean(), nullable=True),
    sa.Column('lead_cadre', sa.String(length=64), nullable=True),
    sa.Column('staff_on_duty', sa.Integer(), nullable=True),
    sa.Column('checkpoint_type', sa.String(length=16), nullable=True),
    sa.Column('road', sa.String(length=64), nullable=True),
    sa.Column('parent_site_id', sa.Integer(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('geometry', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("checkpoint_type IS NULL OR checkpoint_type IN ('road', 'village')", name=op.f('ck_site_checkpoint_type')),
    sa.CheckConstraint("kind IN ('village', 'compound', 'checkpoint')", name=op.f('ck_site_kind')),
    sa.CheckConstraint('households_known IS NULL OR households_known >= 0', name=op.f('ck_site_households_known')),
    sa.CheckConstraint('people_known IS NULL OR people_known >= 0', name=op.f('ck_site_people_known')),
    sa.CheckConstraint('staff_on_duty IS NULL OR staff_on_duty >= 0', name=op.f('ck_site_staff_on_duty')),
    sa.ForeignKeyConstraint(['parent_site_id'], ['site.id'], name=op.f('fk_site_parent_site_id_site')),
    sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_site_zone_id_work_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site'))
    )
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.create_index('ix_site_zone_kind', ['zone_id', 'kind'], unique=False)

    op.create_table('supply_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_supply_movement_quantity')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_item.id'], name=op.f('fk_supply_movement_item_id_supply_item')),
    sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_supply_movement_zone_id_work_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_movement'))
    )
    with op.batch_alter_table('supply_movement', schema=None) as batch_op:
        batch_op.create_index('ix_supply_movement_item_zone', ['item_id', 'zone_id'], unique=False)

    op.create_table('checkpoint_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('vehicles', sa.Integer(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('persons_from_outside', sa.Integer(), nullable=False),
    sa.Column('turned_back', sa.Integer(), nullable=False),
    sa.Column('abnormal_temperature', sa.Integer(), nullable=False),
    sa.Column('corrected', sa.Boolean(), nullable=False),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.CheckConstraint('vehicles >= 0 AND persons >= 0 AND persons_from_outside >= 0 AND turned_back >= 0 AND abnormal_temperature >= 0', name=op.f('ck_checkpoint_day_counts')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_checkpoint_day_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoint_day')),
    sa.UniqueConstraint('site_id', 'day', name='site_day')
    )
    with op.batch_alter_table('checkpoint_day', schema=None) as batch_op:
        batch_op.create_index('ix_checkpoint_day_day', ['day'], unique=False)

    op.create_table('inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('inspector', sa.String(length=64), nullable=False),
    sa.Column('staff_at_post', sa.Boolean(), nullable=False),
    sa.Column('no_dereliction', sa.Boolean(), nullable=False),
    sa.Column('travellers_screened', sa.Boolean(), nullable=False),
    sa.Column('publicity_posted', sa.Boolean(), nullable=False),
    sa.Column('remarks', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_inspection_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection'))
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_site_day', ['site_id', 'day'], unique=False)

    op.create_table('reopening_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=24), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('employees_called', sa.Integer(), nullable=True),
    sa.Column('problems_found', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("step IN ('applied', 'inspected_before', 'letters_signed', 'approved', 'refused', 'inspected_after', 'phone_verified', 'suspended', 'resumed')", name=op.f('ck_reopening_step_step')),
    sa.CheckConstraint('(employees_called IS NULL OR employees_called >= 0) AND (problems_found IS NULL OR problems_found >= 0)', name=op.f('ck_reopening_step_counts')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_reopening_step_enterprise_id_enterprise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reopening_step'))
    )
    with op.batch_alter_table('reopening_step', schema=None) as batch_op:
        batch_op.create_index('ix_reopening_step_enterprise_day', ['enterprise_id', 'day'], unique=False)
        batch_op.create_index('ix_reopening_step_step_day', ['step', 'day'], unique=False)

    op.create_table('survey_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('households_known', sa.Integer(), nullable=False),
    sa.Column('households_reached', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('people_from_outside', sa.Integer(), nullable=False),
    sa.Column('unreachable', sa.Integer(), nullable=False),
    sa.Column('utility_checked', sa.Integer(), nullable=False),
    sa.Column('lit_at_night', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.CheckConstraint('households_known >= 0 AND households_reached >= 0 AND households_reached <= households_known AND people >= 0 AND people_from_outside >= 0 AND unreachable >= 0 AND utility_checked >= 0 AND lit_at_night >= 0', name=op.f('ck_survey_round_counts')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_survey_round_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_round')),
    sa.UniqueConstraint('site_id', 'round_no', name='site_round')
    )
    op.create_table('user_scope',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(zone_id IS NULL) <> (site_id IS NULL)', name=op.f('ck_user_scope_one_target')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_user_scope_site_id_site')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_scope_user_id_app_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['work_zone.id'], name=op.f('fk_user_scope_zone_id_work_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_scope'))
    )
    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('fixed_on', sa.Date(), nullable=True),
    sa.Column('fix_note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_finding_inspection_id_inspection')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_finding_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding'))
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index('ix_finding_open', ['fixed_on', 'due_on'], unique=False)



    # The single row every write bumps (see data_access.db.write_session).
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index('ix_finding_open')

    op.drop_table('finding')
    op.drop_table('user_scope')
    op.drop_table('survey_round')
    with op.batch_alter_table('reopening_step', schema=None) as batch_op:
        batch_op.drop_index('ix_reopening_step_step_day')
        batch_op.drop_index('ix_reopening_step_enterprise_day')

    op.drop_table('reopening_step')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_site_day')

    op.drop_table('inspection')
    with op.batch_alter_table('checkpoint_day', schema=None) as batch_op:
        batch_op.drop_index('ix_checkpoint_day_day')

    op.drop_table('checkpoint_day')
    with op.batch_alter_table('supply_movement', schema=None) as batch_op:
        batch_op.drop_index('ix_supply_movement_item_zone')

    op.drop_table('supply_movement')
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_index('ix_site_zone_kind')

    op.drop_table('site')
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_index('ix_shop_zone_category')

    op.drop_table('shop')
    op.drop_table('meal_day')
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_index('ix_enterprise_zone_status')

    op.drop_table('enterprise')
    op.drop_table('donation')
    op.drop_table('display_key')
    op.drop_table('work_zone')
    op.drop_table('supply_item')
    op.drop_table('setting')
    op.drop_table('data_version')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_table_row')

    op.drop_table('audit_log')
    op.drop_table('app_user')
