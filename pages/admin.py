"""账号与密钥: accounts, roles and scopes, the display keys wall screens open with, and report due times."""
import streamlit as st

from data_access import auth, clock, people, territory
from data_access.errors import DataError
from data_access.models import ROLES
from ui import admin_signins
from ui import due_times as due
from ui import errors as show_errors
from ui.data import read
from ui.grids import fit
from ui.i18n import t
from ui.session import actor
from ui.guard import require_router
from ui.page import run

require_router()


# ---- settings → load → show ---------------------------------------------------------------------

def settings():
    """Who is administering (every change is audited as theirs)."""
    st.title(t("admin.title"))
    return actor()


def load(_user) -> dict:
    zones = read(territory.zones)
    return {"zones": zones, "zone_names": dict(zip(zones["code"], zones["name"])),
            "users": read(auth.list_users), "keys": read(auth.list_display_keys)}


# ---- accounts ------------------------------------------------------------------------------------

def users_table(users, zone_names: dict) -> None:
    st.dataframe(
        users.drop(columns=["id"]).assign(role=users["role"].map(lambda r: t("role." + r)),
                     zones=users["zones"].map(lambda codes: "、".join(zone_names.get(c, c) for c in codes.split(", ") if c)
                                              if isinstance(codes, str) else "")),
        hide_index=True, width="stretch", placeholder="—",
        column_order=["username", "display_name", "role", "active", "zones", "is_demo"],
        column_config={
            "username": st.column_config.TextColumn(t("col.username"), width=120),
            "display_name": st.column_config.TextColumn(t("col.display_name"), width=220),
            "role": st.column_config.TextColumn(t("col.role"), width=110),
            "active": st.column_config.CheckboxColumn(t("col.active"), width=70),
            "zones": st.column_config.TextColumn(t("col.zones"), width=200),
            "is_demo": st.column_config.CheckboxColumn(t("col.is_demo"), width=70),
        })


def add_user_form(box, user, zone_names: dict) -> None:
    with box.form("add_user", clear_on_submit=False, border=True):
        st.subheader(t("admin.add_user"))
        username = st.text_input(t("signin.username"), key="admin_new_username", persist_state="session")
        display_name = st.text_input(t("admin.display_name"), key="admin_new_display", persist_state="session")
        password = st.text_input(t("signin.password"), type="password", key="admin_new_password",
                                 help=t("signin.password_rule"))
        role = st.selectbox(t("admin.role"), ROLES, format_func=lambda r: t("role." + r), key="admin_new_role",
                            persist_state="session", placeholder=t("widget.choose"))
        scope = st.multiselect(t("admin.zones"), list(zone_names), format_func=zone_names.get, key="admin_new_zones",
                               persist_state="session", placeholder=t("widget.choose_many"))
        if st.form_submit_button(t("admin.add_user"), type="primary"):
            try:
                auth.add_user(username.strip(), password, role, display_name.strip() or None, scope, actor=user)
            except DataError as error:
                show_errors.show(error)
            else:
                st.success(t("admin.added", name=show_errors.escape_markdown(username)))


def account_actions(box, user, users) -> None:
    """Disable, enable, set a password, change a role: one account at a time."""
    with box.container(border=True):
        st.subheader(t("admin.toggle"))
        target = st.selectbox(t("admin.pick_user"), users["username"].tolist(), key="admin_target",
                              persist_state="session", placeholder=t("widget.choose"))
        new_password = st.text_input(t("admin.new_password"), type="password", key="admin_reset_password",
                                     help=t("signin.password_rule"))
        buttons = st.columns(3)
        try:
            if buttons[0].button(t("admin.disable"), key="admin_disable"):
                auth.set_active(target, False, actor=user)
                st.success(t("admin.done"))
            if buttons[1].button(t("admin.enable"), key="admin_enable"):
                auth.set_active(target, True, actor=user)
                st.success(t("admin.done"))
            if buttons[2].button(t("admin.set_password"), key="admin_set_password"):
                auth.set_password(target, new_password, actor=user)
                st.success(t("admin.done"))
        except DataError as error:
            show_errors.show(error)
        admin_signins.role_change(target, user)


def accounts_tab(user, data: dict) -> None:
    users_table(data["users"], data["zone_names"])
    left, right = st.columns(2)
    add_user_form(left, user, data["zone_names"])
    account_actions(right, user, data["users"])
    admin_signins.recent_failures()


# ---- display keys --------------------------------------------------------------------------------

def keys_table(listing) -> None:
    """A key with no zone shows every zone; a missing time is "—" (never used, never expires, not revoked).
    Each column as wide as its header and longest value, so the eight fit a laptop (1366 px) side by side."""
    shown = listing.assign(zone=listing["zone"].fillna(t("filter.all_zones")))
    moment = lambda c: st.column_config.DatetimeColumn(  # noqa: E731
        t(f"col.{c}"), format="YYYY-MM-DD HH:mm", timezone=clock.zone().key, width=fit(t(f"col.{c}"), ["2020-02-26 09:30"]))
    words = lambda c: st.column_config.TextColumn(  # noqa: E731
        t(f"col.{c}"), width=fit(t(f"col.{c}"), shown[c].astype(str), most=160))
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—",
                 column_order=["id", "label", "zone", "created_by", "created_at", "expires_at", "last_used_at",
                               "revoked_at"],
                 column_config={"id": st.column_config.NumberColumn(t("col.id"), width=fit(t("col.id"), ["999"])),
                                **{c: words(c) for c in ("label", "zone", "created_by")},
                                **{c: moment(c) for c in ("created_at", "expires_at", "last_used_at", "revoked_at")}})


def create_key_form(box, user, zones, zone_names: dict) -> None:
    with box.form("create_key", border=True):
        label = st.text_input(t("admin.key_label"), key="admin_key_label", persist_state="session")
        zone = st.selectbox(t("admin.key_zone"), ["", *zone_names], format_func=lambda c: zone_names.get(c, "—"),
                            key="admin_key_zone", persist_state="session", placeholder=t("widget.choose"))
        valid_through = admin_signins.key_valid_through()
        if st.form_submit_button(t("admin.create_key"), type="primary"):
            zone_id = int(zones.loc[zones["code"] == zone, "id"].iloc[0]) if zone else None
            try:
                new_key = auth.create_display_key(label, user, zone_id, valid_through=valid_through)
            except DataError as error:
                show_errors.show(error)
            else:
                st.success(t("admin.key_created"))
                st.code(f"/wall?key={new_key}", language=None)


def revoke_key(box, user, listing) -> None:
    with box.container(border=True):
        live = listing[listing["revoked_at"].isna()]
        key_id = st.selectbox(t("admin.revoke"), live["id"].tolist(),
                              format_func=lambda i: str(live.loc[live["id"] == i, "label"].iloc[0]), key="admin_revoke_id",
                              placeholder=t("widget.choose"))
        if key_id is not None and st.button(t("admin.revoke"), key="admin_revoke"):
            try:
                auth.revoke_display_key(int(key_id), user)
            except DataError as error:
                show_errors.show(error)
            else:
                st.success(t("admin.revoked"))


def keys_tab(user, data: dict) -> None:
    keys_table(data["keys"])
    left, right = st.columns(2)
    create_key_form(left, user, data["zones"], data["zone_names"])
    revoke_key(right, user, data["keys"])


# ---- personal-data grants (issue 16) -------------------------------------------------------------

def grant_scope(zone, site) -> str:
    """Where a grant reaches: a zone, a compound, or everywhere."""
    for name in (zone, site):
        if isinstance(name, str) and name:
            return name
    return t("admin.grant.everywhere")


def grants_table(grants) -> None:
    if grants.empty:
        st.caption(t("admin.grants_none"))
        return
    shown = grants.assign(scope=[grant_scope(z, s) for z, s in zip(grants["zone"], grants["site"])],
                          user=[f"{u}（{d}）" if isinstance(d, str) and d and d != u else u
                                for u, d in zip(grants["username"], grants["display_name"])])
    words = lambda c, key: st.column_config.TextColumn(t(key), width=fit(t(key), shown[c].astype(str), most=220))  # noqa: E731
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—",
                 column_order=["user", "scope", "granted_by", "granted_at"],
                 column_config={"user": words("user", "admin.grant.col.user"), "scope": words("scope", "admin.grant.col.scope"),
                                "granted_by": words("granted_by", "admin.grant.col.by"),
                                "granted_at": st.column_config.DatetimeColumn(
                                    t("admin.grant.col.at"), format="YYYY-MM-DD HH:mm", timezone=clock.zone().key,
                                    width=fit(t("admin.grant.col.at"), ["2020-02-26 09:30"]))})


def grant_form(box, user, users, zone_names: dict, zones) -> None:
    """Grant an account full view of personal data: everywhere, in one work zone, or at one compound."""
    compounds = read(territory.sites, None, ("compound",))
    sites = {int(i): str(n) for i, n in zip(compounds["id"], compounds["name"])}
    zone_ids = dict(zip(zones["code"], zones["id"]))
    scopes = {"": t("admin.grant.everywhere"), **{f"z{zone_ids[c]}": n for c, n in zone_names.items()},
              **{f"s{i}": f"{t('admin.grant.site')} · {n}" for i, n in sites.items()}}
    with box.form("admin_grant", border=True):
        grantee = st.selectbox(t("admin.grant.user"), users["username"].tolist(), key="admin_grant_user", index=None,
                               placeholder=t("widget.choose"), persist_state="session")
        scope = st.selectbox(t("admin.grant.scope"), list(scopes), format_func=scopes.get, key="admin_grant_scope",
                             persist_state="session", placeholder=t("widget.choose"))
        if st.form_submit_button(t("admin.grant.add"), type="primary"):
            zone_id = int(scope[1:]) if scope.startswith("z") else None
            site_id = int(scope[1:]) if scope.startswith("s") else None
            try:
                people.grant_personal_data(user.username, grantee or "", zone_id=zone_id, site_id=site_id)
            except DataError as error:
                show_errors.show(error)
            else:
                st.success(t("admin.grant.added", user=show_errors.escape_markdown(grantee or ""), scope=scopes[scope]))


def revoke_grant(box, user, grants) -> None:
    with box.container(border=True):
        labels = {int(i): f"{u} · {grant_scope(z, s)}" for i, u, z, s in
                  zip(grants["grant_id"], grants["username"], grants["zone"], grants["site"])}
        grant_id = st.selectbox(t("admin.grant.revoke_pick"), list(labels), format_func=labels.get,
                                key="admin_grant_revoke_id", index=None, placeholder=t("widget.choose"))
        if grant_id is not None and st.button(t("admin.grant.revoke"), key="admin_grant_revoke"):
            try:
                people.revoke_personal_data(user.username, int(grant_id))
            except DataError as error:
                show_errors.show(error)
            else:
                st.success(t("admin.grant.revoked"))


def grants_tab(user, data: dict) -> None:
    st.caption(t("admin.grants_intro"))
    grants = read(people.grants)
    grants_table(grants)
    left, right = st.columns(2)
    grant_form(left, user, data["users"], data["zone_names"], data["zones"])
    revoke_grant(right, user, grants)


def show(user, data: dict) -> None:
    """Four tabs; the forms write (each an audited transaction) and say so where they are."""
    accounts, keys, due_times, grants = st.tabs([t("admin.users"), t("admin.keys"), t("admin.due"), t("admin.grants")])
    with accounts:
        accounts_tab(user, data)
    with keys:
        keys_tab(user, data)
    with due_times:
        due.admin_tab(user)
    with grants:
        grants_tab(user, data)


def main() -> None:
    run(settings, load, show)  # only load() is on one data version: the forms write, and what is read after is fresh


if __name__ == "__main__":
    main()
