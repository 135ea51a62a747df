"""审计日志: who changed what, when, and why: one line per change, in words, with filters and an export."""
import datetime as dt

import streamlit as st

from data_access import audit, clock
from ui import audit_view, entry
from ui.data import read
from ui.filter_bar import site_names
from ui.guard import require_router
from ui.page import run
from ui.i18n import lang, t

require_router()

ALL = ""
KEEP = "session"  # the filters outlive a run that does not draw them (an outage screen)
SHOWN_LIMIT = 1000  # lines on the page and in an export; the count says how many there are


# ---- settings → load → show ---------------------------------------------------------------------

def today() -> dt.date:
    return dt.datetime.now(clock.zone()).date()  # changes are stamped with the real time, also on demo data


def day_range(picked, pick_range) -> tuple[dt.date, dt.date]:
    """The picked days; while only the first day is picked, that day alone (and a hint to pick the last)."""
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        return picked[0], picked[1]
    pick_range.caption(t("audit.pick_range"))
    day = picked[0] if isinstance(picked, (tuple, list)) and picked else today()
    return day, day


def settings() -> audit.AuditView:
    """The filters: days, user, line of work and site (kept across a run that does not draw them)."""
    st.title(t("audit.title"))
    st.caption(t("audit.intro"))
    users = read(audit.users_in_log)
    who_names = dict(zip(users["username"], users["display_name"]))
    every_site = read(site_names, None, lang())  # the sidebar's filters do not apply to this page
    pick_range, pick_user, pick_line, pick_site = st.columns([3, 2, 2, 3])
    last = today()
    picked = pick_range.date_input(t("audit.range"), value=(last - dt.timedelta(days=29), last), max_value=last,
                                   format="YYYY-MM-DD", key="audit_range", persist_state=KEEP)
    choose = t("widget.choose")  # the search box's hint, in the UI's language (Streamlit's own is English)
    username = pick_user.selectbox(t("audit.user"), [ALL, *who_names], key="audit_user", persist_state=KEEP,
                                   placeholder=choose,
                                   format_func=lambda u: t("audit.all_users") if u == ALL else who_names.get(u, u))
    line = pick_line.selectbox(t("audit.line"), [ALL, *audit.LINES], key="audit_line", persist_state=KEEP,
                               placeholder=choose, help=t("audit.line_help"),
                               format_func=lambda l: t("audit.all_lines") if l == ALL else t(f"audit.line.{l}"))
    all_sites = t("audit.all_sites")
    # a city's 4,495 sites: found by part of the name beyond entry.PICKER_LIMIT (the box above the picker)
    sites = entry.bounded_options(every_site, "audit_site_search", pick_site, st.session_state.get("audit_site"))
    site_id = pick_site.selectbox(t("audit.site"), [0, *sites], key="audit_site", persist_state=KEEP,
                                  placeholder=choose, format_func=lambda i: all_sites if i == 0 else sites.get(i, "—"))
    start, end = day_range(picked, pick_range)
    return audit.AuditView(start=start, end=end, username=username or None, line=line or None,
                           site_id=site_id or None, limit=SHOWN_LIMIT)


def load(view: audit.AuditView) -> dict:
    lines, export = read(audit_view.labelled, view, lang())
    return {"total": read(audit.count_changes, view), "lines": lines, "export": export}


def show_table(lines, total: int) -> None:
    st.caption(t("audit.count_limited", n=f"{total:,}", shown=f"{len(lines):,}") if total > len(lines)
               else t("audit.count_one") if total == 1 else t("audit.count", n=f"{total:,}"))
    st.dataframe(
        lines, key="audit_table", hide_index=True, width="stretch", placeholder="",
        height=min(38 + 35 * len(lines), 640),
        column_order=["when", "who", "what", "reason"],
        column_config={
            "when": st.column_config.TextColumn(t("audit.col.when"), width=132),
            "who": st.column_config.TextColumn(t("audit.col.who"), width=150),
            "what": st.column_config.TextColumn(t("audit.col.what"), width="large"),
            "reason": st.column_config.TextColumn(t("audit.col.reason"), width=180),
        },
    )


def show_exports(view: audit.AuditView, export) -> None:
    """CSV and .xlsx of the lines shown: labelled in the page's language; made into files when asked for."""
    sheet = t("audit.sheet")
    stamp = f"{view.start:%Y%m%d}-{view.end:%Y%m%d}"
    csv_col, xlsx_col, _ = st.columns([2, 2, 3])
    csv_col.download_button(t("audit.export_csv"), lambda: audit_view.to_csv(export), file_name=f"audit_{stamp}.csv",
                            mime="text/csv", key="audit_csv", icon=":material/download:", width="stretch")
    xlsx_col.download_button(t("audit.export_xlsx"), lambda: audit_view.to_xlsx(export, sheet),
                             file_name=f"audit_{stamp}.xlsx",
                             mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="audit_xlsx",
                             icon=":material/download:", width="stretch")


def show(view: audit.AuditView, data: dict) -> None:
    if data["lines"].empty:
        st.info(t("audit.none"), icon=":material/history:")
        return
    show_table(data["lines"], data["total"])
    show_exports(view, data["export"])


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
