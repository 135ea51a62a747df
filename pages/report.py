"""日报与通报: the daily report and the weekly inspection circular for the filter bar's day and work zone:
a preview (the text that is sent), downloads as PDF, Excel or text, issuing into the archive, and each
issued report downloaded again exactly as issued, with what has changed in the data since."""
import streamlit as st

import reports
from data_access import clock, report_archive, territory
from data_access.errors import DataError
from ui import format as fmt
from ui import errors, saving
from ui.data import read
from ui.flash import show_once
from ui.guard import require_router
from ui.i18n import lang, t
from ui.page import run
from ui.report_view import archive_table_key, figure_label, value_text
from ui.session import actor

require_router()  # never run outside app.py's sign-in and role check

FLASH = "report_flash"
ARCHIVE_SHOWN = 200


def settings() -> dict:
    filters = st.session_state["filters"]
    st.title(t("report.title"))
    zones = read(territory.zones)
    area = dict(zip(zones["id"], zones["name"])).get(filters.zone_id) or t("report.whole_zone")
    zone_code = dict(zip(zones["id"], zones["code"])).get(filters.zone_id)  # None: the whole zone
    st.caption(t("report.intro", area=area, day=fmt.day(filters.end)))
    left, middle, right = st.columns([2.2, 3, 1.4])
    kind = choice(left, "report_kind", t("report.kind"), list(reports.KINDS), "daily",
                  lambda k: t(f"report.kind.{k}"))
    formats = reports.KINDS[kind]  # the circular has no workbook: its first format then
    file_format = choice(middle, "report_format", t("report.format"), formats, formats[0],
                         lambda f: t(f"report.format.{f}"))
    language = choice(right, "report_lang", t("report.doc_lang"), ("zh", "en"), lang(),
                      lambda code: t(f"report.lang.{code}"))
    # the clock to the minute: the preview's "截至10:00" moves with it, and the cache with the minute
    now = clock.now().replace(second=0, microsecond=0)
    return {"kind": kind, "format": file_format, "lang": language, "day": filters.end, "zone_id": filters.zone_id,
            "zone_code": zone_code, "now": now}


def choice(box, key: str, label: str, options, default, words) -> str:
    """A segmented choice that outlives a run which does not draw it (Streamlit drops a widget's value
    then: the outage screen, a sign-in): the value is kept under a key of its own as well."""
    kept = st.session_state.get(f"_{key}_kept")
    if st.session_state.get(key) not in options:
        st.session_state[key] = kept if kept in options else default
    value = box.segmented_control(label, options, key=key, required=True, format_func=words)
    st.session_state[f"_{key}_kept"] = value
    return value


def load(view: dict) -> dict:
    return {
        "preview": read(reports.preview, view["kind"], view["day"], view["zone_id"], view["lang"], view["now"]),
        "archive": read(report_archive.archived, view["kind"], view["zone_id"], ARCHIVE_SHOWN),
    }


def show_preview(view: dict, text: str) -> None:
    st.subheader(t("report.preview"))
    st.code(text, language=None, wrap_lines=True, height=420)


def make(view: dict) -> reports.Document:
    """The file as of the moment it is asked for (the page may have been open an hour: its "截至" is now)."""
    return reports.render(view["kind"], view["format"], view["day"], view["zone_id"], view["lang"])


def show_actions(view: dict) -> None:
    problem = reports.unavailable(view["format"])
    if problem:  # e.g. a PDF on a machine without its fonts or libraries: said, not a traceback
        st.warning(t("report.no_pdf", reason=problem[0 if lang() == "zh" else 1]), icon=":material/print_disabled:")
        return
    # named from the page's zones read (cached), not a database read on every run
    document_name = reports.filename(view["kind"], view["format"], view["day"], view["zone_code"], view["lang"])
    left, right = st.columns(2)
    # the file is made when it is asked for, not on every run (a PDF takes a second or two)
    left.download_button(t("report.download", fmt=t(f"report.format.{view['format']}")), lambda: make(view).content,
                         file_name=document_name, mime=reports.MIME[view["format"]], type="primary",
                         icon=":material/download:", key="report_download", width="stretch")
    user = actor()
    if user is None or not report_archive.may_issue(user, view["zone_id"]):
        return
    if right.button(t("report.issue"), help=t("report.issue_help"), icon=":material/approval:", key="report_issue",
                    width="stretch"):
        with st.spinner():
            issued = saving.attempt("report_issue", lambda: reports.make_and_issue(
                user, view["kind"], view["format"], view["day"], view["zone_id"], view["lang"]))
        if issued is not None:
            document, number = issued
            st.session_state[FLASH] = t("report.issued", number=number, filename=document.filename)
            st.rerun()


def archive_table(frame) -> int | None:
    """The issued reports, newest first; the selected one's archive number."""
    st.subheader(t("report.archive"))
    if frame.empty:
        st.info(t("report.archive_empty"))
        return None
    st.caption(t("report.archive_pick"))
    shown = frame.assign(
        kind=[t(f"report.kind.{k}") for k in frame["kind"]],
        day=[fmt.day(d) for d in frame["day"]],
        zone=[z or t("report.whole_zone") for z in frame["zone"]],
        format=[f.upper() for f in frame["format"]],
        lang=[t(f"report.lang.{code}") for code in frame["lang"]],
        issued_at=[f"{m.astimezone(clock.zone()):%Y-%m-%d %H:%M}" for m in frame["issued_at"]],
        size=[f"{s / 1024:,.0f} KB" if s >= 1024 else f"{s} B" for s in frame["size"]],
        checksum=[c[:12] for c in frame["checksum"]],
    )
    columns = ["id", "kind", "day", "zone", "format", "lang", "issued_by", "issued_at", "size", "checksum"]
    names = {"id": "number", **{c: c for c in columns[1:]}}
    picked = st.dataframe(
        shown, hide_index=True, width="stretch", column_order=columns, on_select="rerun",
        selection_mode="single-row", key=archive_table_key(frame["id"]), height=min(420, 38 + 35 * len(shown)),
        column_config={c: st.column_config.TextColumn(t(f"report.col.{names[c]}")) for c in columns})
    rows = picked.selection.rows
    return int(frame["id"].iat[rows[0]]) if rows else None


def show_issued(archive_id: int) -> None:
    try:  # read afresh (not cached): its checksum is checked each time it is handed out
        stored = report_archive.download(archive_id)
    except DataError as error:  # a damaged or vanished copy: said in the reader's words, the page stays
        errors.show(error)
        return
    st.download_button(t("report.download_again", filename=stored.filename), stored.content,
                       file_name=stored.filename, mime=stored.mime, icon=":material/history:",
                       key=f"report_again_{archive_id}")
    st.markdown(f"**{t('report.changes')}**")
    differ = read(reports.changes_since, archive_id)
    if not differ:
        st.success(t("report.unchanged"), icon=":material/check_circle:")
        return
    st.warning(t("report.changed_count", n=len(differ)), icon=":material/update:")
    st.dataframe(
        [{"figure": figure_label(d["path"]), "stated": value_text(d["stated"]), "now": value_text(d["now"])}
         for d in differ],
        hide_index=True, width="stretch",
        column_config={c: st.column_config.TextColumn(t(f"report.col.{c}")) for c in ("figure", "stated", "now")})


def show(view: dict, data: dict) -> None:
    show_once(FLASH)
    show_actions(view)
    show_preview(view, data["preview"])
    picked = archive_table(data["archive"])
    if picked is not None:
        show_issued(picked)


def main() -> None:
    run(settings, load, show)


if __name__ == "__main__":
    main()
