"""The accounts page's parts for issue 11 (drawn by pages/admin.py): recent failed sign-ins and what is
locked now, a role change (the last active administrator keeps theirs), and a display key's last day."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from data_access import auth, throttle
from data_access.errors import DataError
from data_access.models import ROLES
from ui import errors as show_errors
from ui.format import plain
from ui.i18n import t


def recent_failures() -> None:
    """Read fresh on every run, not through the read cache: a lock runs out with time, not with a write."""
    with st.container(key="admin_signins", border=True):
        st.subheader(t("admin.signins"))
        locked = throttle.locked_now()
        if locked:
            names = "、".join(t("admin.locked_until", who=plain(item["who"]),
                                until=item["until"].astimezone().strftime("%H:%M")) for item in locked)
            st.warning(t("admin.locked_now", who=names), icon=":material/lock_clock:")
        failures = throttle.recent_failures()
        if failures.empty:
            st.caption(t("admin.signins_none"))
            return
        st.caption(t("admin.signins_caption"))
        failures = failures.assign(at=[local_time(value) for value in failures["at"]],
                                   outcome=[t(f"outcome.{value}") for value in failures["outcome"]])
        st.dataframe(failures, hide_index=True, width="stretch", height=min(35 * (len(failures) + 1) + 3, 300),
                     column_config={"at": t("col.at"), "username": t("col.username"), "client": t("col.client"),
                                    "outcome": t("col.outcome")})


def local_time(value) -> str:
    """A stored (UTC) time as the server's local time, to the second."""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def role_change(target: str | None, user) -> None:
    """A role for the account picked above (applies at that account's next rerun)."""
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    role = left.selectbox(t("admin.new_role"), ROLES, format_func=lambda r: t("role." + r), key="admin_target_role",
                          placeholder=t("widget.choose"))
    if right.button(t("admin.set_role"), key="admin_set_role", width="stretch") and target:
        try:
            auth.set_role(target, role, actor=user)
        except DataError as error:
            show_errors.show(error)
        else:
            st.success(t("admin.done"))


def key_valid_through() -> dt.date | None:
    """Inside the new-key form: the key's last day, or none (it works until revoked)."""
    return st.date_input(t("admin.key_valid_through"), value=None, min_value=dt.date.today(), format="YYYY-MM-DD",
                         key="admin_key_valid_through")
