"""入户摸排登记: one form per village or compound and sweep round; earlier rounds stay as they were."""
import pandas as pd
import streamlit as st

from data_access import community
from ui import entry, saving
from ui import errors as show_errors
from ui import format as fmt
from ui.charts import coverage as charts
from ui.data import chart_spec, read
from ui.guard import require_router
from ui.i18n import t

require_router()

FIELDS = community.SURVEY_FIELDS
NEW = 0  # the mode value for "a new round"
FLASH = "survey_flash"
KEEP = entry.KEEP


def missing(value) -> bool:
    return value is None or value != value  # None, NaN or NaT


def pick_site(areas: pd.DataFrame, filtered_site: int | None) -> int | None:
    """The village or compound: the filter bar's site when it is one of them. Beyond entry.PICKER_LIMIT
    of them (every zone of a city: 2,000) a box beside the picker finds them by name."""
    kinds = {kind: t(f"kind.{kind}") for kind in community.AREA_KINDS}  # translated once, not once per site
    names = {int(i): f"{n}（{kinds[k]} · {z}）" for i, n, k, z in zip(areas["site_id"], areas["name"], areas["kind"], areas["zone"])}
    if filtered_site in names and "survey_site" not in st.session_state:
        st.session_state["survey_site"] = filtered_site
    search_box, pick_box = st.columns([1, 2]) if len(names) > entry.PICKER_LIMIT else (None, st)
    offered = entry.bounded_options(names, "survey_site_search", search_box, st.session_state.get("survey_site"))
    if st.session_state.get("survey_site") not in offered:
        st.session_state.pop("survey_site", None)
    if not offered:
        pick_box.info(t("picker.none"))
        return None
    return pick_box.selectbox(t("survey.site"), list(offered), format_func=offered.get, key="survey_site",
                              persist_state=KEEP, placeholder=t("widget.choose"))


def pick_mode(site_id: int, rounds: pd.DataFrame) -> tuple[int, int]:
    """A new round, or a correction of an earlier one; and the next round's number."""
    numbers = [int(n) for n in rounds["round_no"]]
    next_round = (max(numbers) if numbers else 0) + 1
    mode = st.segmented_control(
        t("survey.mode"), [NEW, *reversed(numbers)], key=f"survey_mode_{site_id}", persist_state=KEEP, default=NEW,
        required=True,
        format_func=lambda n: t("survey.mode.new", n=next_round) if n == NEW else t("survey.mode.correct", n=n))
    return (NEW if mode is None else mode), next_round


def loaded_round(site_id: int, mode: int, rounds: pd.DataFrame) -> tuple[str, dict | None]:
    """The round being corrected as it was when first opened: the version a correction is checked
    against is that one, not the one cached for the chart (which moves with others' saves)."""
    loaded_key = f"survey_loaded_{site_id}_{mode}"
    if mode != NEW and loaded_key not in st.session_state:
        row = rounds[rounds["round_no"] == mode].iloc[0]
        st.session_state[loaded_key] = {"version": int(row["version"]), "day": row["day"],
                                        **{f: int(row[f]) for f in FIELDS}}
    return loaded_key, st.session_state.get(loaded_key)


def rounds_side_by_side(rounds) -> pd.DataFrame:
    """One row per figure, one column per round: a site has a few rounds and eleven figures, so read
    this way the table fits beside the chart at 1366 px (a row per round scrolled sideways), and each
    figure reads across the rounds."""
    def each(column, show):
        return ["—" if missing(v) else show(v) for v in rounds[column]]

    coverage = ["—" if missing(r) or missing(k) else fmt.percent(r, k)
                for r, k in zip(rounds["households_reached"], rounds["households_known"])]
    figures = {t("col.day"): each("day", fmt.day), t("map.coverage"): coverage,
               **{t(f"col.{f}"): each(f, fmt.num) for f in FIELDS}, t("survey.col.updated_by"): each("updated_by", str)}
    table = pd.DataFrame.from_dict(figures, orient="index",
                                   columns=[t("survey.round_label", n=int(n)) for n in rounds["round_no"]])
    return table.rename_axis(t("survey.col.figure")).reset_index()


def show_progress(site_id: int, rounds: pd.DataFrame) -> None:
    st.subheader(t("survey.progress"))
    if rounds.empty:
        st.info(t("survey.no_rounds"))
        return
    chart_col, table_col = st.columns([2, 3])
    chart_col.vega_lite_chart(chart_spec(charts.rounds_chart, community.site_rounds, (site_id,), label=t),
                              width="stretch")
    table_col.dataframe(rounds_side_by_side(rounds), hide_index=True, placeholder="—", width="stretch")


def start_value(field: str, loaded: dict | None, rounds: pd.DataFrame, site_row) -> int | None:
    """What a field opens with: the saved figure when correcting; for a new round only the
    households known (from the last round, else the register), so no count is copied by accident."""
    if loaded:
        return loaded[field]
    if field == "households_known":
        known = rounds.iloc[-1]["households_known"] if not rounds.empty else site_row["households_known"]
        return None if missing(known) else int(known)
    return None


def round_form(form_key: str, mode: int, next_round: int, loaded, rounds, site_row, days: entry.Days, end):
    """The round's figures (and a reason for a correction); whether it was submitted."""
    with st.form(form_key, clear_on_submit=False, border=True):
        title = t("survey.form_title.new", n=next_round) if mode == NEW else t("survey.form_title.correct", n=mode)
        st.markdown(f"**{title}**")
        day = st.date_input(t("col.day"), value=loaded["day"] if loaded else days.start(end),
                            min_value=min(days.first, loaded["day"]) if loaded else days.first, max_value=days.today,
                            format="YYYY-MM-DD", key=f"{form_key}_day", persist_state=KEEP)
        columns = st.columns(4)
        values = {field: columns[index % 4].number_input(
            t(f"col.{field}"), min_value=0, step=1, value=start_value(field, loaded, rounds, site_row), format="%d",
            help=t(f"survey.help.{field}"), key=f"{form_key}_{field}", persist_state=KEEP)
            for index, field in enumerate(FIELDS)}
        reason = (st.text_input(t("common.reason"), max_chars=500, key=f"{form_key}_reason", persist_state=KEEP)
                  if mode != NEW else None)
        submitted = st.form_submit_button(t("survey.save"), type="primary")
    return day, values, reason, submitted


def show_form(user, site_id: int, site_row, rounds: pd.DataFrame, days: entry.Days, end) -> None:
    mode, next_round = pick_mode(site_id, rounds)
    loaded_key, loaded = loaded_round(site_id, mode, rounds)
    form_key = f"survey_form_{site_id}_{mode}"
    day, values, reason, submitted = round_form(form_key, mode, next_round, loaded, rounds, site_row, days, end)
    result_box = st.container()
    saving.unsaved_notice(form_key, result_box, saving_now=submitted)
    if submitted:
        result = saving.attempt(form_key, lambda: community.save_survey_round(
            user.username, site_id, values, day, round_no=None if mode == NEW else mode,
            version=loaded["version"] if loaded else None, reason=reason or None),
            show=entry.refusal_with_reload(result_box, "survey_reload", lambda: st.session_state.pop(loaded_key, None)))
        if result is not None:
            # the next round starts blank, not with these figures
            entry.done(FLASH, t(f"survey.saved.{result['action']}", n=result["round_no"],
                                name=show_errors.escape_markdown(site_row["name"])),
                       f"{form_key}_", loaded_key, f"survey_mode_{site_id}")
    if mode != NEW:
        st.caption(t("survey.correct_note"))


def show_all_rounds(progress: pd.DataFrame) -> None:
    """Every site in the filtered area, round by round."""
    count = lambda key: st.column_config.NumberColumn(t(key), format="localized")  # noqa: E731
    day = lambda key: st.column_config.DateColumn(t(key), format="YYYY-MM-DD")  # noqa: E731
    st.dataframe(
        progress.assign(kind=progress["kind"].map(lambda k: t(f"kind.{k}"))), hide_index=True, placeholder="—",
        width="stretch",
        column_order=["round_no", "kind", "sites", "first_day", "last_day", "households_known", "households_reached",
                      "coverage", "people"],
        column_config={
            "round_no": st.column_config.NumberColumn(t("survey.col.round_no")),
            "kind": st.column_config.TextColumn(t("map.col.kind")),
            "sites": st.column_config.NumberColumn(t("survey.col.sites")),
            "first_day": day("survey.col.first_day"), "last_day": day("survey.col.last_day"),
            **{c: count(f"col.{c}") for c in ("households_known", "households_reached", "people")},
            # green, as on the coverage map: more is better (the primary red read 95 % as bad)
            "coverage": st.column_config.ProgressColumn(t("map.coverage"), format="percent", min_value=0, max_value=1,
                                                        color="#2f8f5b"),
        },
    )


def main() -> None:
    user = entry.heading("survey.title", FLASH, intro_key="survey.intro")
    filters, days = st.session_state["filters"], entry.days()
    areas = read(community.writable_areas, user, filters.zone_id)
    if areas.empty:
        st.info(t("survey.no_sites"))
        return
    site_id = pick_site(areas, filters.site_id)
    if site_id is None:
        return
    # cached on the data version, so rounds saved by others show at once
    rounds = read(community.site_rounds, site_id)
    show_progress(site_id, rounds)
    show_form(user, site_id, areas[areas["site_id"] == site_id].iloc[0], rounds, days, filters.end)
    with st.expander(t("survey.all_rounds"), expanded=False):
        show_all_rounds(read(community.rounds_progress, filters))


if __name__ == "__main__":
    main()
