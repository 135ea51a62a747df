"""The index from an inspection to the shifts it found unmanned holds only the marked rows (issue 18).

A roster assignment is marked absent by an inspection rarely: almost every row's absent_inspection_id is
NULL, so SQLite's statistics called the full index unselective (360,491 rows a value at city scale) and
the weekly circular's "repeated absences" scanned a million assignments through the person index (1.9 s).
A partial index of the marked rows is small and chosen (3 ms). PostgreSQL reads it the same way.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

MARKED = sa.text("absent_inspection_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('duty_assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_duty_assignment_absent_inspection_id')
        batch_op.create_index('ix_duty_assignment_absent_inspection_id', ['absent_inspection_id'], unique=False,
                              sqlite_where=MARKED, postgresql_where=MARKED)


def downgrade() -> None:
    with op.batch_alter_table('duty_assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_duty_assignment_absent_inspection_id')
        batch_op.create_index('ix_duty_assignment_absent_inspection_id', ['absent_inspection_id'], unique=False)
