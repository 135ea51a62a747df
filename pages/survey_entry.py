"""入户摸排登记: one form per village or compound and sweep round; earlier rounds stay as they were."""
import datetime as dt

import pandas as pd
import streamlit as st

from data_access import community, territory
from data_access.errors import DataError, SaveFailed, ValidationError
from ui import errors as show_errors
from ui import format as fmt
from ui import saving
from ui.data import read
from ui.charts import coverage as charts
from ui.i18n import lang, t
from ui.session import actor
from ui.flash import show_once
from ui.guard import require_router

require_router()

FIELDS = community.SURVEY_FIELDS
NEW = 0  # the mode value for "a new round"
KEEP = "session"  # typed values outlive runs that do not draw them (an outage screen)

user = actor()
filters = st.session_state["filters"]
today = dt.date.today()
first_day = read(territory.season_start)

st.title(t("survey.title"))
st.caption(t("survey.intro"))

show_once("survey_flash")

areas = read(community.writable_areas, user, filters.zone_id)
if areas.empty:
    st.info(t("survey.no_sites"))
    st.stop()
kinds = {kind: t(f"kind.{kind}") for kind in community.AREA_KINDS}  # translated once, not once per site
names = {int(i): f"{n}（{kinds[k]} · {z}）" for i, n, k, z in zip(areas["site_id"], areas["name"], areas["kind"], areas["zone"])}
if filters.site_id in names and "survey_site" not in st.session_state:
    st.session_state["survey_site"] = filters.site_id
if st.session_state.get("survey_site") not in names:
    st.session_state.pop("survey_site", None)
site_id = st.selectbox(t("survey.site"), list(names), format_func=names.get, key="survey_site", persist_state=KEEP,
                       placeholder=t("widget.choose"))

# Cached on the data version, so rounds saved by others show at once. The version a correction is
# checked against is the one captured when the round was first opened (below), not this one.
rounds = read(community.site_rounds, site_id)

# ---- progress round by round -------------------------------------------------------------------
def missing(value) -> bool:
    return value is None or value != value  # None, NaN or NaT


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


st.subheader(t("survey.progress"))
if rounds.empty:
    st.info(t("survey.no_rounds"))
else:
    chart_col, table_col = st.columns([2, 3])
    chart_col.vega_lite_chart(charts.rounds_spec(rounds, lang()), width="stretch")
    table_col.dataframe(rounds_side_by_side(rounds), hide_index=True, placeholder="—", width="stretch")

# ---- the form ----------------------------------------------------------------------------------
numbers = [int(n) for n in rounds["round_no"]]
next_round = (max(numbers) if numbers else 0) + 1
mode = st.segmented_control(
    t("survey.mode"), [NEW, *reversed(numbers)], key=f"survey_mode_{site_id}", persist_state=KEEP, default=NEW, required=True,
    format_func=lambda n: t("survey.mode.new", n=next_round) if n == NEW else t("survey.mode.correct", n=n))
mode = NEW if mode is None else mode

loaded_key = f"survey_loaded_{site_id}_{mode}"
if mode != NEW and loaded_key not in st.session_state:
    row = rounds[rounds["round_no"] == mode].iloc[0]
    st.session_state[loaded_key] = {"version": int(row["version"]), "day": row["day"],
                                    **{f: int(row[f]) for f in FIELDS}}
loaded = st.session_state.get(loaded_key)
previous = rounds.iloc[-1] if not rounds.empty else None
site_row = areas[areas["site_id"] == site_id].iloc[0]


def start_value(field: str):
    """What a field opens with: the saved figure when correcting; for a new round only the
    households known (from the last round, else the register), so no count is copied by accident."""
    if loaded:
        return loaded[field]
    if field == "households_known":
        known = previous["households_known"] if previous is not None else site_row["households_known"]
        return None if known is None or known != known else int(known)
    return None


def forget_loaded() -> None:
    st.session_state.pop(loaded_key, None)


form_key = f"survey_form_{site_id}_{mode}"
with st.form(form_key, clear_on_submit=False, border=True):
    st.markdown(f"**{t('survey.form_title.new', n=next_round) if mode == NEW else t('survey.form_title.correct', n=mode)}**")
    day = st.date_input(t("col.day"), value=loaded["day"] if loaded else min(max(filters.end, first_day), today),
                        min_value=min(first_day, loaded["day"]) if loaded else first_day, max_value=today,
                        format="YYYY-MM-DD", key=f"{form_key}_day", persist_state=KEEP)
    columns = st.columns(4)
    values = {}
    for index, field in enumerate(FIELDS):
        values[field] = columns[index % 4].number_input(
            t(f"col.{field}"), min_value=0, step=1, value=start_value(field), format="%d",
            help=t(f"survey.help.{field}"), key=f"{form_key}_{field}", persist_state=KEEP)
    reason = st.text_input(t("common.reason"), max_chars=500, key=f"{form_key}_reason", persist_state=KEEP) if mode != NEW else None
    submitted = st.form_submit_button(t("survey.save"), type="primary")

result_box = st.container()
saving.unsaved_notice(form_key, result_box, saving_now=submitted)


def refuse(error: DataError) -> None:
    show_errors.show(error, result_box)
    if not isinstance(error, (ValidationError, SaveFailed)):
        result_box.button(t("survey.reload"), on_click=forget_loaded, key="survey_reload")


if submitted:
    result = saving.attempt(form_key, lambda: community.save_survey_round(
        user.username, site_id, values, day, round_no=None if mode == NEW else mode,
        version=loaded["version"] if loaded else None, reason=reason or None), show=refuse)
    if result is not None:
        forget_loaded()
        st.session_state["survey_flash"] = t(f"survey.saved.{result['action']}", n=result["round_no"],
                                             name=show_errors.escape_markdown(site_row["name"]))
        st.session_state.pop(f"survey_mode_{site_id}", None)
        for key in [k for k in st.session_state if str(k).startswith(f"{form_key}_")]:
            del st.session_state[key]  # the next round starts blank, not with these figures
        st.rerun()
if mode != NEW:
    st.caption(t("survey.correct_note"))

# ---- every site in the filtered area, round by round -------------------------------------------
with st.expander(t("survey.all_rounds"), expanded=False):
    progress = read(community.rounds_progress, filters)
    st.dataframe(
        progress.assign(kind=progress["kind"].map(lambda k: t(f"kind.{k}"))), hide_index=True, placeholder="—", width="stretch",
        column_order=["round_no", "kind", "sites", "first_day", "last_day", "households_known", "households_reached",
                      "coverage", "people"],
        column_config={
            "round_no": st.column_config.NumberColumn(t("survey.col.round_no")),
            "kind": st.column_config.TextColumn(t("map.col.kind")),
            "sites": st.column_config.NumberColumn(t("survey.col.sites")),
            "first_day": st.column_config.DateColumn(t("survey.col.first_day"), format="YYYY-MM-DD"),
            "last_day": st.column_config.DateColumn(t("survey.col.last_day"), format="YYYY-MM-DD"),
            "households_known": st.column_config.NumberColumn(t("col.households_known"), format="localized"),
            "households_reached": st.column_config.NumberColumn(t("col.households_reached"), format="localized"),
            # green, as on the coverage map: more is better (the primary red read 95 % as bad)
            "coverage": st.column_config.ProgressColumn(t("map.coverage"), format="percent", min_value=0, max_value=1,
                                                        color="#2f8f5b"),
            "people": st.column_config.NumberColumn(t("col.people"), format="localized"),
        },
    )
