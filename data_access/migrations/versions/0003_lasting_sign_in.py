"""lasting sign-in: browser sessions, sign-in attempts, display-key expiry and last use (issue 11)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OUTCOMES = "outcome IN ('success', 'wrong_password', 'unknown_user', 'disabled', 'throttled', 'locked')"


def upgrade() -> None:
    op.create_table(
        'user_session',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('handoff_hash', sa.String(length=64), nullable=True),
        sa.Column('handoff_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('idle_seconds', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_session_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash')),
        sa.UniqueConstraint('handoff_hash', name=op.f('uq_user_session_handoff_hash')),
    )
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'], unique=False)
    op.create_table(
        'sign_in_attempt',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.CheckConstraint(OUTCOMES, name=op.f('ck_sign_in_attempt_outcome')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_attempt')),
    )
    op.create_index(op.f('ix_sign_in_attempt_at'), 'sign_in_attempt', ['at'], unique=False)
    op.create_index('ix_sign_in_attempt_username_at', 'sign_in_attempt', ['username', 'at'], unique=False)
    op.create_index('ix_sign_in_attempt_client_at', 'sign_in_attempt', ['client', 'at'], unique=False)
    with op.batch_alter_table('display_key') as batch:
        batch.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('display_key') as batch:
        batch.drop_column('last_used_at')
        batch.drop_column('expires_at')
    op.drop_index('ix_sign_in_attempt_client_at', table_name='sign_in_attempt')
    op.drop_index('ix_sign_in_attempt_username_at', table_name='sign_in_attempt')
    op.drop_index(op.f('ix_sign_in_attempt_at'), table_name='sign_in_attempt')
    op.drop_table('sign_in_attempt')
    op.drop_index(op.f('ix_user_session_user_id'), table_name='user_session')
    op.drop_table('user_session')
