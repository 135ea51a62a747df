"""The whole domain as SQLAlchemy 2.x models.

One table per thing the report talks about. Sites (villages, compounds, checkpoints) share one
table so that the shared filter bar, maps, surveys and inspections can point at "a site" without
knowing its kind; kind-specific columns are nullable and guarded by CHECK constraints.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Index,
    func,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .reopening_rules import STEPS as REOPENING_STEPS

# Named constraints: Alembic batch mode on SQLite and drops on PostgreSQL need names.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SITE_KINDS = ("village", "compound", "checkpoint")
CHECKPOINT_TYPES = ("road", "village")
DEPARTMENTS = ("econ_dev", "investment", "safety")  # 经发 / 招商 / 安检
SHOP_CATEGORIES = ("supermarket", "pharmacy", "restaurant", "hotel", "grain_oil", "other")
ROLES = ("admin", "supervisor", "clerk", "viewer")
DONATION_KINDS = ("money", "goods", "meals")
DONOR_KINDS = ("firm", "resident_group", "person")
DONOR_ORIGINS = ("inside", "elsewhere")
MOVEMENT_KINDS = ("purchase", "allocation", "donation", "issue", "stocktake")
# who serves (the six horizontal lines' teams, the five city departments' task forces, police, health centre)
UNIT_KINDS = ("zone_staff", "village_cadres", "compound_team", "task_force", "police", "health_centre")
PERSON_STATUSES = ("active", "leave", "left")  # 在岗 / 请假 / 离岗 (no longer serving)
# the lines of work a leader answers for, A and B, in each work zone (六横七纵)
RESPONSIBILITY_LINES = ("traffic", "reopening", "shops", "survey", "inspections", "logistics", "duty")


def one_of(column: str, values: tuple[str, ...], name: str | None = None, nullable: bool = False) -> CheckConstraint:
    """CHECK (column IN ('a', 'b')). Not f"{column} IN {values}": a 1-tuple's repr, ('a',), is not SQL."""
    listed = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    condition = f"{column} IN ({listed})"
    return CheckConstraint(f"{column} IS NULL OR {condition}" if nullable else condition, name=name or column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Versioned:
    """Rows a clerk can correct carry a version: a save from a stale form is refused."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(String(64))

    @staticmethod
    def first_write(username: str, at: dt.datetime | None = None) -> dict:
        """The bookkeeping of a new row (for its constructor): version 1, written now by `username`."""
        return {"version": 1, "updated_at": at or dt.datetime.now(dt.timezone.utc), "updated_by": username}

    def changed_by(self, username: str, at: dt.datetime | None = None) -> None:
        """One more change to the row, now, by `username`: a form loaded before it is stale from here on."""
        self.version += 1
        self.updated_at, self.updated_by = at or dt.datetime.now(dt.timezone.utc), username


class KeptPerZone:
    """A named row a work zone keeps (an enterprise, a shop): the zone's clerks write it (data_access.scope)."""

    # first in the table, as they were before they moved here
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-3)
    name: Mapped[str] = mapped_column(String(200), sort_order=-2)
    zone_id: Mapped[int] = mapped_column(ForeignKey("work_zone.id"), sort_order=-1)


class WorkZone(Base):
    __tablename__ = "work_zone"
    __table_args__ = (CheckConstraint("report_due_minutes IS NULL OR report_due_minutes BETWEEN 0 AND 10080",
                                      name="report_due_minutes"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # When a day's figures are due, in minutes after that day's midnight (local time): 2040 is
    # 10:00 the next morning. None: the zone-wide default (data_access.completeness).
    report_due_minutes: Mapped[int | None] = mapped_column(Integer)
    geometry: Mapped[str | None] = mapped_column(Text)  # GeoJSON geometry
    sites: Mapped[list[Site]] = relationship(back_populates="zone")


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (
        one_of("kind", SITE_KINDS),
        one_of("checkpoint_type", CHECKPOINT_TYPES, nullable=True),
        CheckConstraint("households_known IS NULL OR households_known >= 0", name="households_known"),
        CheckConstraint("people_known IS NULL OR people_known >= 0", name="people_known"),
        CheckConstraint("staff_on_duty IS NULL OR staff_on_duty >= 0", name="staff_on_duty"),
        CheckConstraint("report_due_minutes IS NULL OR report_due_minutes BETWEEN 0 AND 10080",
                        name="report_due_minutes"),
        Index("ix_site_zone_kind", "zone_id", "kind"),
        Index("ix_site_parent_site_id", "parent_site_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    zone_id: Mapped[int] = mapped_column(ForeignKey("work_zone.id"))
    name: Mapped[str] = mapped_column(String(100))
    # villages and compounds
    households_known: Mapped[int | None] = mapped_column(Integer)
    people_known: Mapped[int | None] = mapped_column(Integer)
    has_property_management: Mapped[bool | None] = mapped_column(Boolean)
    lead_cadre: Mapped[str | None] = mapped_column(String(64))
    staff_on_duty: Mapped[int | None] = mapped_column(Integer)
    # checkpoints
    checkpoint_type: Mapped[str | None] = mapped_column(String(16))
    road: Mapped[str | None] = mapped_column(String(64))
    parent_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))  # a village's checkpoint
    # where it is: a point for every site, a polygon for villages and compounds
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    geometry: Mapped[str | None] = mapped_column(Text)  # GeoJSON geometry
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # daily reporting: a site's own due time (overrides its zone's), and the first day it is
    # expected to report (a checkpoint opened mid-season is not "missing" before it existed)
    report_due_minutes: Mapped[int | None] = mapped_column(Integer)
    reporting_from: Mapped[dt.date | None] = mapped_column(Date)
    zone: Mapped[WorkZone] = relationship(back_populates="sites")


FIGURES = ("vehicles", "persons", "persons_from_outside", "turned_back", "abnormal_temperature")  # a day's counts


class CheckpointDay(Versioned, Base):
    """One checkpoint's figures for one day: the per-day table traffic pages aggregate."""

    __tablename__ = "checkpoint_day"
    __table_args__ = (
        UniqueConstraint("site_id", "day", name="site_day"),
        CheckConstraint(
            "vehicles >= 0 AND persons >= 0 AND persons_from_outside >= 0 "
            "AND turned_back >= 0 AND abnormal_temperature >= 0",
            name="counts",
        ),
        # the day's, and a checkpoint's, figures (and when it reported) from the index alone
        Index("ix_checkpoint_day_day", "day", "site_id", *FIGURES),
        Index("ix_checkpoint_day_site_figures", "site_id", "day", *FIGURES, "reported_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    vehicles: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    persons_from_outside: Mapped[int] = mapped_column(Integer, default=0)
    turned_back: Mapped[int] = mapped_column(Integer, default=0)  # 劝返
    abnormal_temperature: Mapped[int] = mapped_column(Integer, default=0)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    # When the day was first reported: on time or late is judged on this, so a later correction
    # never turns an on-time report into a late one.
    reported_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CheckpointDayTotal(Base):
    """One day's traffic in one work zone: the sums of its active road checkpoints' reports and how many
    there were. Derived from checkpoint_day by every write of it, in the same transaction
    (data_access/traffic_totals.py), so the traffic pages read a row per zone and day, not one per checkpoint."""

    __tablename__ = "checkpoint_day_total"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("work_zone.id"), primary_key=True)
    vehicles: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    persons_from_outside: Mapped[int] = mapped_column(Integer, default=0)
    turned_back: Mapped[int] = mapped_column(Integer, default=0)
    abnormal_temperature: Mapped[int] = mapped_column(Integer, default=0)
    reports: Mapped[int] = mapped_column(Integer, default=0)


class Enterprise(KeptPerZone, Versioned, Base):
    __tablename__ = "enterprise"
    __table_args__ = (
        one_of("department", DEPARTMENTS),
        CheckConstraint("employees >= 0 AND employees_from_outside >= 0", name="employees"),
        Index("ix_enterprise_zone_status", "zone_id", "status"),
    )
    department: Mapped[str] = mapped_column(String(16))
    above_size: Mapped[bool] = mapped_column(Boolean, default=False)  # 规模以上
    employees: Mapped[int] = mapped_column(Integer, default=0)
    employees_from_outside: Mapped[int] = mapped_column(Integer, default=0)  # 外地返烟
    owner: Mapped[str | None] = mapped_column(String(64))  # the leader who owns it (A role)
    owner_backup: Mapped[str | None] = mapped_column(String(64))  # B role
    # Derived from the steps by the write path in the same transaction; never edited directly.
    status: Mapped[str] = mapped_column(String(24), default="not_applied")
    status_since: Mapped[dt.date | None] = mapped_column(Date)
    steps: Mapped[list[ReopeningStep]] = relationship(
        back_populates="enterprise", order_by="(ReopeningStep.day, ReopeningStep.id)"
    )


class ReopeningStep(Base):
    __tablename__ = "reopening_step"
    __table_args__ = (
        one_of("step", REOPENING_STEPS),
        CheckConstraint(
            "(employees_called IS NULL OR employees_called >= 0) "
            "AND (problems_found IS NULL OR problems_found >= 0)",
            name="counts",
        ),
        Index("ix_reopening_step_enterprise_day", "enterprise_id", "day"),
        Index("ix_reopening_step_step_day", "step", "day"),
        Index("ix_reopening_step_day", "day", "enterprise_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"))
    step: Mapped[str] = mapped_column(String(24))
    day: Mapped[dt.date] = mapped_column(Date)
    passed: Mapped[bool | None] = mapped_column(Boolean)  # inspections and phone checks
    employees_called: Mapped[int | None] = mapped_column(Integer)
    problems_found: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    enterprise: Mapped[Enterprise] = relationship(back_populates="steps")


class Shop(KeptPerZone, Versioned, Base):
    __tablename__ = "shop"
    __table_args__ = (
        one_of("category", SHOP_CATEGORIES),
        CheckConstraint("staff >= 0 AND staff_from_outside >= 0 AND staff_from_outside <= staff", name="staff"),
        Index("ix_shop_zone_category", "zone_id", "category", "is_open", "staff", "staff_from_outside"),
        Index("ix_shop_status_since", "status_since"),
    )
    category: Mapped[str] = mapped_column(String(16))
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    staff: Mapped[int] = mapped_column(Integer, default=0)
    staff_from_outside: Mapped[int] = mapped_column(Integer, default=0)
    status_since: Mapped[dt.date | None] = mapped_column(Date)


class SurveyRound(Versioned, Base):
    """One door-to-door sweep (摸排) of one village or compound; rounds never overwrite each other."""

    __tablename__ = "survey_round"
    __table_args__ = (
        UniqueConstraint("site_id", "round_no", name="site_round"),
        CheckConstraint(
            "households_known >= 0 AND households_reached >= 0 AND households_reached <= households_known "
            "AND people >= 0 AND people_from_outside >= 0 AND unreachable >= 0 "
            "AND utility_checked >= 0 AND lit_at_night >= 0",
            name="counts",
        ),
        Index("ix_survey_round_day", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    round_no: Mapped[int] = mapped_column(Integer)
    day: Mapped[dt.date] = mapped_column(Date)
    households_known: Mapped[int] = mapped_column(Integer)
    households_reached: Mapped[int] = mapped_column(Integer)
    people: Mapped[int] = mapped_column(Integer)
    people_from_outside: Mapped[int] = mapped_column(Integer, default=0)
    unreachable: Mapped[int] = mapped_column(Integer, default=0)  # 敲门无应
    utility_checked: Mapped[int] = mapped_column(Integer, default=0)  # 水电费核对
    lit_at_night: Mapped[int] = mapped_column(Integer, default=0)  # 亮灯住户


class Inspection(Base):
    """A discipline-committee visit to a duty point (checkpoint or compound): the four checks."""

    __tablename__ = "inspection"
    __table_args__ = (Index("ix_inspection_site_day", "site_id", "day"), Index("ix_inspection_day", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(64))
    staff_at_post: Mapped[bool] = mapped_column(Boolean)
    no_dereliction: Mapped[bool] = mapped_column(Boolean)
    travellers_screened: Mapped[bool] = mapped_column(Boolean)
    publicity_posted: Mapped[bool] = mapped_column(Boolean)
    remarks: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    # the duty_shift the visit saw. No foreign key: SQLite can drop a plain column in place, while a key
    # would make a downgrade copy the table, which it refuses while findings point at the inspections
    # (shifts are never deleted, only made inactive; record_inspection checks the id)
    shift_id: Mapped[int | None] = mapped_column(Integer)
    findings: Mapped[list[Finding]] = relationship(back_populates="inspection")


class Finding(Versioned, Base):
    __tablename__ = "finding"
    __table_args__ = (
        Index("ix_finding_open", "fixed_on", "due_on"),
        Index("ix_finding_site_id", "site_id"),
        Index("ix_finding_inspection_id", "inspection_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64))
    raised_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    fixed_on: Mapped[dt.date | None] = mapped_column(Date)
    fix_note: Mapped[str | None] = mapped_column(Text)
    inspection: Mapped[Inspection] = relationship(back_populates="findings")


class SupplyItem(Versioned, Base):
    """A kind of supply (masks, disinfectant ...): admin-managed, with its unit and low threshold per zone."""

    __tablename__ = "supply_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(16))
    low_threshold: Mapped[int] = mapped_column(Integer, default=0)  # per zone
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())


class SupplyStock(Base):
    """An item's stock in a zone's store (site_id NULL) or at a duty point holding its own: kept by every
    movement write in the same transaction (data_access/logistics.py). The database refuses a negative stock."""

    __tablename__ = "supply_stock"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock"),
        # one row per place: NULL site ids count as the same place (PostgreSQL 15 and SQLite alike)
        Index("uq_supply_stock_place", "item_id", "zone_id", func.coalesce(Column("site_id", Integer), 0), unique=True),
        Index("ix_supply_stock_zone_id", "zone_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_item.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("work_zone.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    stock: Mapped[int] = mapped_column(Integer, default=0)


class SupplyMovement(Base):
    """A receipt (+), an issue (-) or a stock-take's difference of one item in one zone (or at one duty
    point); stock is the running sum, kept in supply_stock."""

    __tablename__ = "supply_movement"
    __table_args__ = (
        CheckConstraint("quantity <> 0 OR kind = 'stocktake'", name="quantity"),
        one_of("kind", MOVEMENT_KINDS),
        Index("ix_supply_movement_item_zone", "item_id", "zone_id"),
        Index("ix_supply_movement_day", "day", "kind", "item_id", "zone_id", "quantity"),
        Index("ix_supply_movement_donation_id", "donation_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supply_item.id"))
    zone_id: Mapped[int] = mapped_column(ForeignKey("work_zone.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))  # the duty point whose own stock moves
    recipient_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))  # issued to a village, compound, checkpoint
    recipient: Mapped[str | None] = mapped_column(String(100))  # a person or team
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MealDay(Versioned, Base):
    """Meals per work zone and day (before issue 15); kept, no page reads it: meal_point_day replaces it."""

    __tablename__ = "meal_day"
    __table_args__ = (
        UniqueConstraint("zone_id", "day", name="zone_day"),
        CheckConstraint("meals >= 0", name="meals"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("work_zone.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    meals: Mapped[int] = mapped_column(Integer)


class MealPointDay(Versioned, Base):
    """Meals delivered to one duty point (a checkpoint) on one day, and apart the meals residents brought."""

    __tablename__ = "meal_point_day"
    __table_args__ = (
        UniqueConstraint("site_id", "day", name="meal_site_day"),
        CheckConstraint("meals >= 0 AND donated_meals >= 0", name="counts"),
        Index("ix_meal_point_day_day", "day", "site_id", "meals", "donated_meals"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    meals: Mapped[int] = mapped_column(Integer, default=0)
    donated_meals: Mapped[int] = mapped_column(Integer, default=0)
    corrected: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_reason: Mapped[str | None] = mapped_column(Text)


class Donation(Base):
    __tablename__ = "donation"
    __table_args__ = (
        one_of("kind", DONATION_KINDS),
        one_of("donor_kind", DONOR_KINDS),
        one_of("donor_origin", DONOR_ORIGINS),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint("estimated_value IS NULL OR estimated_value >= 0", name="estimated_value"),
        Index("ix_donation_day", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    donor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)  # yuan for money, pieces for goods and meals
    description: Mapped[str | None] = mapped_column(Text)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("work_zone.id"))
    recorded_by: Mapped[str] = mapped_column(String(64))
    donor_kind: Mapped[str] = mapped_column(String(16), default="person", server_default="person")
    donor_origin: Mapped[str] = mapped_column(String(16), default="inside", server_default="inside")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    item_id: Mapped[int | None] = mapped_column(ForeignKey("supply_item.id"))  # goods that go into stock
    estimated_value: Mapped[int | None] = mapped_column(Integer)  # yuan
    received_by: Mapped[str | None] = mapped_column(String(100))


class OrgUnit(Versioned, Base):
    """A team people serve in: a work zone's staff, a village's cadres, a compound's team, a city
    department's task force, the police station, the health centre."""

    __tablename__ = "org_unit"
    __table_args__ = (one_of("kind", UNIT_KINDS),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("work_zone.id"))  # a zone's, village's or compound's unit
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))  # the village or compound it belongs to
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())


class Person(Versioned, Base):
    """Someone who serves: a cadre, a staff member, a task-force member. The phone is personal data:
    kept encrypted (data_access/personal.py) with a keyed hash for look-ups, shown masked."""

    __tablename__ = "person"
    __table_args__ = (
        one_of("status", PERSON_STATUSES),
        Index("ix_person_unit_id", "unit_id"),
        Index("ix_person_zone_status", "zone_id", "status"),
        Index("ix_person_phone_hash", "phone_hash"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("work_zone.id"))  # where they serve (a clerk's scope)
    title: Mapped[str | None] = mapped_column(String(64))  # 职务, e.g. 副科级干部
    phone_cipher: Mapped[str | None] = mapped_column(Text)  # Fernet token; never the number in clear
    phone_hash: Mapped[str | None] = mapped_column(String(64))  # keyed hash of the normalised number
    phone_masked: Mapped[str | None] = mapped_column(String(16))  # 138****1234: what every list shows
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    note: Mapped[str | None] = mapped_column(Text)


class Responsibility(Versioned, Base):
    """Who answers for what, A (primary) and B (backup): a line of work in a work zone, one site, or one
    enterprise. Exactly one target per row."""

    __tablename__ = "responsibility"
    __table_args__ = (
        one_of("line", RESPONSIBILITY_LINES, nullable=True),
        CheckConstraint(
            "(line IS NOT NULL AND zone_id IS NOT NULL AND site_id IS NULL AND enterprise_id IS NULL) OR "
            "(line IS NULL AND zone_id IS NULL AND ((site_id IS NULL) <> (enterprise_id IS NULL)))",
            name="one_target"),
        CheckConstraint("b_person_id IS NULL OR a_person_id IS NULL OR a_person_id <> b_person_id", name="a_not_b"),
        Index("uq_responsibility_line_zone", "line", "zone_id", unique=True),
        Index("uq_responsibility_site_id", "site_id", unique=True),
        Index("uq_responsibility_enterprise_id", "enterprise_id", unique=True),
        Index("ix_responsibility_a_person_id", "a_person_id"),
        Index("ix_responsibility_b_person_id", "b_person_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    line: Mapped[str | None] = mapped_column(String(16))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("work_zone.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise.id"))
    a_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    b_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))


class DutyShift(Versioned, Base):
    """A shift of the day (e.g. 0-8, 8-16, 16-24), in minutes after local midnight; shifts never cross midnight."""

    __tablename__ = "duty_shift"
    __table_args__ = (CheckConstraint("start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440",
                                      name="minutes"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())


class DutyPost(Versioned, Base):
    """How many people a duty point (a checkpoint or a compound's gate) needs on one shift."""

    __tablename__ = "duty_post"
    __table_args__ = (
        UniqueConstraint("site_id", "shift_id", name="duty_post_site_shift"),
        CheckConstraint("required >= 0", name="required"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shift.id"))
    required: Mapped[int] = mapped_column(Integer, default=1)


class DutyAssignment(Base):
    """One person rostered at one duty point for one shift of one day. `absent` is set when an
    inspection found the post unmanned on that shift (absent_inspection_id says which)."""

    __tablename__ = "duty_assignment"
    __table_args__ = (
        UniqueConstraint("site_id", "day", "shift_id", "person_id", name="duty_assignment_slot"),
        Index("ix_duty_assignment_day", "day", "shift_id", "site_id", "person_id", "absent"),
        Index("ix_duty_assignment_person_day", "person_id", "day"),
        # only the rows an inspection marked (migration 0013): nearly every row's is NULL
        Index("ix_duty_assignment_absent_inspection_id", "absent_inspection_id",
              sqlite_where=text("absent_inspection_id IS NOT NULL"),
              postgresql_where=text("absent_inspection_id IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shift.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    absent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    absent_inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PersonalDataGrant(Base):
    """A user granted "view personal data": everywhere (no zone, no site), in one work zone, or at one
    site (a compound). Each full view it allows is an audit row."""

    __tablename__ = "personal_data_grant"
    __table_args__ = (
        CheckConstraint("zone_id IS NULL OR site_id IS NULL", name="one_target"),
        Index("ix_personal_data_grant_user_id", "user_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("work_zone.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


DOC_TYPES = ("resident_id", "passport", "hk_macao", "taiwan", "other")  # 居民身份证 / 护照 / 港澳 / 台湾 / 其他
DIRECTIONS = ("in", "out")


class GateRegistration(Base):
    """One person passing a compound's gate, in or out (门岗登记). The document number and the phone are
    personal data: kept encrypted (data_access/personal.py) with a keyed hash for look-ups and a masked
    form for lists. Deleted after the retention days (data_access/gate.py purge); the counts stay in
    gate_hour_count."""

    __tablename__ = "gate_registration"
    __table_args__ = (
        one_of("direction", DIRECTIONS),
        one_of("doc_type", DOC_TYPES),
        CheckConstraint("temperature IS NULL OR (temperature >= 34.0 AND temperature <= 43.0)", name="temperature"),
        Index("ix_gate_registration_site_at", "site_id", "at"),
        Index("ix_gate_registration_doc_hash", "doc_hash", "at"),  # a person's registrations, newest first
        Index("ix_gate_registration_phone_hash", "phone_hash"),
        Index("ix_gate_registration_at", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))  # a compound
    direction: Mapped[str] = mapped_column(String(3))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # the moment of passing
    doc_type: Mapped[str] = mapped_column(String(16))
    doc_cipher: Mapped[str] = mapped_column(Text)  # Fernet token; never the number in clear
    doc_hash: Mapped[str] = mapped_column(String(64))  # keyed hash of the normalised number
    doc_masked: Mapped[str] = mapped_column(String(32))  # first 6 and last 4
    name: Mapped[str] = mapped_column(String(64))
    building: Mapped[str | None] = mapped_column(String(64))  # 楼盘座号, e.g. 3号楼2单元501
    phone_cipher: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    from_outside: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    origin: Mapped[str | None] = mapped_column(String(100))  # place of origin when from outside
    temperature: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class GateHourCount(Base):
    """Entries and exits at one compound's gate in one local hour: kept by every registration write in
    its transaction, and kept after the registrations themselves are deleted (retention)."""

    __tablename__ = "gate_hour_count"
    __table_args__ = (
        CheckConstraint("entries >= 0 AND exits >= 0 AND from_outside >= 0", name="counts"),
        CheckConstraint("hour >= 0 AND hour <= 23", name="hour"),
        # a day (or range of days) across every compound: the summary tiles and the daily chart
        Index("ix_gate_hour_count_day", "day", "site_id", "hour", "entries", "exits", "from_outside"),
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    exits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    from_outside: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # entries from outside


class GateDayCount(Base):
    """Entries and exits at one compound's gate in one local day: gate_hour_count summed by day, kept by the
    same writes in the same transaction (the tiles and the daily chart read a row per compound and day, not
    one per hour); kept after the registrations are deleted, as the hours are."""

    __tablename__ = "gate_day_count"
    __table_args__ = (
        CheckConstraint("entries >= 0 AND exits >= 0 AND from_outside >= 0", name="counts"),
        Index("ix_gate_day_count_day", "day", "site_id", "entries", "exits", "from_outside"),
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    exits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    from_outside: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # entries from outside


class GatePersonSite(Base):
    """One person (by document hash) at one compound: the first and last registration kept there and how
    many. Kept by every registration write in its transaction (and rebuilt by bulk loads, trimmed by the
    retention purge), so "people at 2 or more compounds" reads a row per person and compound, not every pass."""

    __tablename__ = "gate_person_site"
    __table_args__ = (
        CheckConstraint("passes >= 0", name="passes"),
        Index("ix_gate_person_site_site", "site_id", "last_at"),
    )
    doc_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    first_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    passes: Mapped[int] = mapped_column(Integer)


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (one_of("role", ROLES),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    scopes: Mapped[list[UserScope]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class UserScope(Base):
    """Where a clerk may write: a whole work zone, or one site."""

    __tablename__ = "user_scope"
    __table_args__ = (
        CheckConstraint("(zone_id IS NULL) <> (site_id IS NULL)", name="one_target"),
        Index("ix_user_scope_user_id", "user_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("work_zone.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))


class DisplayKey(Base):
    """A read-only key for a wall display; only its hash is stored."""

    __tablename__ = "display_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("work_zone.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # A key may stop working on its own; the wall's last use is kept for the key list (to the minute).
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A signed-in browser. The browser holds a random token in an HttpOnly cookie; only its SHA-256
    hash is kept here. Between the sign-in and the browser's first call to the cookie route the row
    holds a one-time hand-off code (hashed as well) instead of a token."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    handoff_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    idle_seconds: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    client: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


SIGN_IN_OUTCOMES = ("success", "wrong_password", "unknown_user", "disabled", "throttled", "locked")


class SignInAttempt(Base):
    """Every sign-in attempt (the name as typed, the client address, the outcome): what throttling
    counts, and what the accounts page lists. Each one is in the audit log as well."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (
        one_of("outcome", SIGN_IN_OUTCOMES),
        Index("ix_sign_in_attempt_username_at", "username", "at"),
        Index("ix_sign_in_attempt_client_at", "client", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_table_row", "table_name", "row_id"),
        # the audit log page's filters: days, a user, a line of work (its tables)
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_username_at", "username", "at"),
        Index("ix_audit_log_table_name_at", "table_name", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # insert / update / delete / custom verbs
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)  # JSON
    reason: Mapped[str | None] = mapped_column(Text)


class Setting(Base):
    """Small key/value settings: whether this is demo data, thresholds an admin sets."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LineVersion(Base):
    """One row per line of work (traffic, shops, ...), bumped by every write to that line in the same
    transaction: the key of the read caches that read it (data_access/versions.py)."""

    __tablename__ = "line_version"
    line: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


# ---- the archive of issued reports (issue 18) ------------------------------------------------------

REPORT_KINDS = ("daily", "circular")  # 日报 / 通报
REPORT_FORMATS = ("txt", "xlsx", "pdf")
REPORT_LANGS = ("zh", "en")


class ReportArchive(Base):
    """A report as it was issued: its bytes exactly as handed out (with their SHA-256, so a damaged copy is
    never handed out as the report), what it was about (kind, day, zone, format, language), who issued it
    and when, the line versions the database held then (JSON {line: version}) and the figures it stated
    (JSON, as the report engine gave them): what changed in the data since can be told from both."""

    __tablename__ = "report_archive"
    __table_args__ = (
        one_of("kind", REPORT_KINDS),
        one_of("format", REPORT_FORMATS),
        one_of("lang", REPORT_LANGS),
        CheckConstraint("size >= 0", name="size"),
        # the archive list: one kind's reports by the day they report on (and newest first)
        Index("ix_report_archive_kind_day", "kind", "day", "issued_at"),
        Index("ix_report_archive_issued_at", "issued_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)  # the day reported on (a circular: its week ends on
    # the inspections' last day on or before it)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("work_zone.id"))  # None: the whole development zone
    format: Mapped[str] = mapped_column(String(8))
    lang: Mapped[str] = mapped_column(String(2))
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)  # BLOB on SQLite, bytea on PostgreSQL
    size: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of content, hex
    data_version: Mapped[str] = mapped_column(Text)  # JSON {line: version} read in the issuing transaction
    figures: Mapped[str] = mapped_column(Text)  # JSON: the figures the report stated
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
