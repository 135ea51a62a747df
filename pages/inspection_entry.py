"""巡察登记与整改销号: record a visit to a duty point (four checks, findings), close a finding."""
import datetime as dt

import streamlit as st

from data_access import inspections, territory
from data_access.errors import DataError, SaveFailed, ValidationError
from ui import errors as show_errors
from ui import saving
from ui.data import read
from ui.i18n import t
from ui.session import actor
from ui.flash import show_once
from ui.guard import require_router

require_router()

CHECKS = inspections.CHECKS
MAX_FINDINGS_ON_FORM = 10
KEEP = "session"  # typed values outlive runs that do not draw them (an outage screen)

user = actor()
filters = st.session_state["filters"]
today = dt.date.today()
first_day = read(territory.season_start)
start_day = min(max(filters.end, first_day), today)

st.title(t("inspect.entry.title"))
show_once("inspect_flash")

record_tab, close_tab = st.tabs([t("inspect.entry.record"), t("inspect.entry.close")])

# ---- record a visit ----------------------------------------------------------------------------
with record_tab:
    points = read(inspections.writable_points, user, filters.zone_id)
    if points.empty:
        st.info(t("inspect.no_points"))
    else:
        kinds = {("checkpoint", c): t(f"inspect.kind.checkpoint.{c}") for c in ("road", "village", None)}
        kinds.update({("compound", None): t("kind.compound")})  # translated once, not once per point
        names = {int(i): f"{n}（{kinds.get((k, c if k == 'checkpoint' else None), k)} · {z}）"
                 for i, n, k, c, z in zip(points["site_id"], points["name"], points["kind"], points["checkpoint_type"],
                                          points["zone"])}
        if filters.site_id in names and "inspect_site" not in st.session_state:
            st.session_state["inspect_site"] = filters.site_id
        if st.session_state.get("inspect_site") not in names:
            st.session_state.pop("inspect_site", None)
        pick_col, count_col = st.columns([3, 1])
        site_id = pick_col.selectbox(t("inspect.col.point"), list(names), format_func=names.get, key="inspect_site",
                                     persist_state=KEEP, placeholder=t("widget.choose"))
        count = count_col.number_input(t("inspect.entry.finding_count"), min_value=0, max_value=MAX_FINDINGS_ON_FORM, step=1,
                                value=0, key="inspect_finding_count", persist_state=KEEP, help=t("inspect.entry.finding_count_help"))
        form_key = "inspect_form"
        with st.form(form_key, border=True):
            left, right = st.columns(2)
            day = left.date_input(t("col.day"), value=start_day, min_value=first_day, max_value=today, format="YYYY-MM-DD",
                                  key=f"{form_key}_day", persist_state=KEEP)
            inspector = right.text_input(t("col.inspector"), value=user.display_name, max_chars=64,
                                         key=f"{form_key}_inspector", persist_state=KEEP)
            st.markdown(f"**{t('inspect.entry.checks')}**")
            check_columns = st.columns(len(CHECKS))
            checks = {c: check_columns[i].checkbox(t(f"col.{c}"), value=True, key=f"{form_key}_{c}", persist_state=KEEP)
                      for i, c in enumerate(CHECKS)}
            remarks = st.text_area(t("col.remarks"), max_chars=2000, key=f"{form_key}_remarks", persist_state=KEEP, height=80)
            findings = []
            for n in range(int(count)):
                st.markdown(f"**{t('inspect.entry.finding', n=n + 1)}**")
                a, b, c = st.columns([3, 1, 1])
                findings.append({
                    "description": a.text_input(t("inspect.col.description"), max_chars=2000, key=f"{form_key}_f{n}_description", persist_state=KEEP),
                    "owner": b.text_input(t("inspect.col.owner"), max_chars=64, key=f"{form_key}_f{n}_owner", persist_state=KEEP),
                    "due_on": c.date_input(t("inspect.col.due_on"), value=day + dt.timedelta(days=2), min_value=first_day,
                                           format="YYYY-MM-DD",
                                           key=f"{form_key}_f{n}_due_on", persist_state=KEEP),
                })
            submitted = st.form_submit_button(t("inspect.entry.save"), type="primary")
        record_box = st.container()
        saving.unsaved_notice(form_key, record_box, saving_now=submitted)
        if submitted:
            result = saving.attempt(form_key, lambda: inspections.record_inspection(
                user.username, site_id, day, checks, inspector, remarks or None, findings), record_box)
            if result is not None:
                st.session_state["inspect_flash"] = t(f"inspect.entry.saved.{result['action']}", name=show_errors.escape_markdown(points.set_index("site_id").loc[site_id, "name"]),
                                                      n=result["findings"])
                for key in [k for k in st.session_state if str(k).startswith(f"{form_key}_")]:
                    del st.session_state[key]
                st.session_state.pop("inspect_finding_count", None)  # back to no findings
                st.rerun()
        history = read(inspections.site_history, site_id)
        st.markdown(f"**{t('inspect.entry.history')}**")
        if history.empty:
            st.caption(t("inspect.never"))
        else:
            st.dataframe(history.fillna({"remarks": ""}), hide_index=True, placeholder="—", width="stretch", column_config={
                "day": st.column_config.DateColumn(t("col.day"), format="YYYY-MM-DD"),
                "inspector": st.column_config.TextColumn(t("col.inspector")),
                **{c: st.column_config.CheckboxColumn(t(f"col.{c}")) for c in CHECKS},
                # medium: a large column pushed the table past a 1366 px screen; a long remark shows in full on hover
                "remarks": st.column_config.TextColumn(t("col.remarks"), width="medium"),
            })

# ---- close a finding ---------------------------------------------------------------------------
with close_tab:
    open_ = read(inspections.closable_findings, user, today)
    details = {int(r.finding_id): r._asdict() for r in open_.itertuples()}
    # The finding this clerk has open stays on the form even if someone else closes it meanwhile:
    # the save is then refused as stale, instead of the form silently moving to another finding.
    picked = st.session_state.get("close_finding")
    if picked is not None and picked not in details and (still := inspections.finding_detail(picked)):
        details = {picked: still, **details}
    if not details:
        st.success(t("inspect.no_open"), icon=":material/check_circle:")
    else:
        labels = {i: f"{d['site']} · {d['owner']} · {t('inspect.col.due_on')} {d['due_on']}: {d['description'][:40]}"
                  for i, d in details.items()}
        finding_id = st.selectbox(t("inspect.entry.pick_finding"), list(labels), format_func=labels.get,
                                  key="close_finding", persist_state=KEEP, placeholder=t("widget.choose"))
        row = details[finding_id]
        loaded_key = f"close_loaded_{finding_id}"
        # The version this form checks against is the one seen when the finding was first opened.
        st.session_state.setdefault(loaded_key, int(row["version"]))
        box = st.container(border=True)
        esc = show_errors._escape_md  # names are stored text: no Markdown formatting from them
        box.caption(f"{t('inspect.col.point')}: {esc(row['site'])} · {t('col.zone')}: {esc(row['zone'])} · "
                    f"{t('inspect.col.owner')}: {esc(row['owner'])} · {t('inspect.col.raised_on')}: {row['raised_on']} · "
                    f"{t('inspect.col.due_on')}: {row['due_on']}")
        box.text(row["description"])  # plain text: stored text is shown exactly, never as markup
        form_key = f"close_form_{finding_id}"
        with st.form(form_key, border=True):
            fixed_on = st.date_input(t("inspect.col.fixed_on"), value=start_day, min_value=first_day, max_value=today,
                                     format="YYYY-MM-DD",
                                     key=f"{form_key}_fixed_on", persist_state=KEEP)
            note = st.text_area(t("inspect.col.fix_note"), max_chars=2000, key=f"{form_key}_note", persist_state=KEEP, height=80)
            closed = st.form_submit_button(t("inspect.entry.close_save"), type="primary")
        close_box = st.container()
        saving.unsaved_notice(form_key, close_box, saving_now=closed)
        if closed:
            def refuse(error: DataError) -> None:
                show_errors.show(error, close_box)
                if not isinstance(error, (ValidationError, SaveFailed)):
                    st.button(t("survey.reload"), key="close_reload",
                              on_click=lambda: st.session_state.pop(loaded_key, None))

            result = saving.attempt(form_key, lambda: inspections.close_finding(
                user.username, finding_id, fixed_on, note, st.session_state[loaded_key]), show=refuse)
            if result is not None:
                st.session_state.pop(loaded_key, None)
                st.session_state.pop("close_finding", None)
                st.session_state.pop(f"{form_key}_note", None)
                st.session_state["inspect_flash"] = t("inspect.entry.closed", site=show_errors.escape_markdown(row["site"]))
                st.rerun()
