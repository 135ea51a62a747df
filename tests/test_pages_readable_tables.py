"""AppTest: the tables people read are whole (issue 12). The inspection board marks overdue points and
past-due findings with coloured labels, not emoji (🔴 needs an emoji font the command post's browsers lack:
it was drawn as a box), and 「逾期未整改」 fits its column; 当前状态, 包保干部 and other columns are as
wide as their longest value; coverage bars are green (more is better), not the theme's red."""
from __future__ import annotations

import json
import re

import pytest

from tests.apptest_helpers import signed_in
from ui.grids import PADDING, header_room, text_px

EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")


def open_page(path: str, language: str, user: str = "supervisor"):
    at = signed_in(user, query={"lang": "en"} if language == "en" else None)
    at.session_state["lang"] = language
    at.switch_page(path).run()
    assert not at.exception and not at.error
    return at


def tables(at) -> list[tuple]:
    """(frame, column config by name) of every table on the page."""
    return [(d.value, json.loads(d.proto.columns) if d.proto.columns else {}) for d in at.dataframe]


def shown_width(config: dict, column: str) -> int:
    width = config[column].get("width")
    assert isinstance(width, int), (column, width)  # a number: not left to Streamlit's guess (it clipped)
    return width


def assert_whole(frame, config, column: str, editable: bool = False, extra: int = 0) -> None:
    width = shown_width(config, column)
    label = config[column].get("label") or column
    assert width >= header_room(label, editable), (column, label, width)
    values = [v for v in frame[column] if isinstance(v, str)]
    longest = max((text_px(v) for v in values), default=0)
    assert width >= longest + 2 * PADDING + extra, (column, max(values, key=text_px), width)


@pytest.mark.parametrize("language", ["zh", "en"], indirect=True)
def test_inspection_marks_are_coloured_labels_not_emoji(demo_engine, language):
    at = open_page("pages/inspections.py", language)
    found = 0
    for frame, config in tables(at):
        if "state" not in frame.columns:
            continue
        found += 1
        state = config["state"]
        assert state["type_config"]["type"] == "multiselect", state
        colours = state["type_config"]["options"]
        assert all(option.get("color") for option in colours), colours  # red for late, green for on time
        words = {option["value"] for option in colours}
        for cell in frame["state"]:
            assert not isinstance(cell, str) and set(cell) <= words, cell  # a list of labels, not text
        assert not any(EMOJI.search(str(v)) for column in frame.columns for v in frame[column])
        assert shown_width(config, "state") >= max(text_px(w) for w in words) + 2 * PADDING + 20  # 逾期未整改 whole
    assert found == 2  # the duty points and the open findings
    points = next((f, c) for f, c in tables(at) if "lead_cadre" in f.columns)
    for column in ("name", "kind", "last_day", "lead_cadre"):  # 包保干部 whole
        assert_whole(*points, column)


@pytest.mark.parametrize("language", ["zh", "en"], indirect=True)
def test_reopening_status_and_owners_are_whole(demo_engine, language):
    at = open_page("pages/reopening.py", language)
    listing = next((f, c) for f, c in tables(at) if "department" in f.columns)
    for column in ("status", "zone", "owners"):  # 当前状态 and the A/B pair whole
        assert_whole(*listing, column)
    assert listing[1]["name"].get("pinned") is True  # the name stays in view when a laptop scrolls the rest
    assert all(" / " in owners for owners in listing[0]["owners"])


@pytest.mark.parametrize("language", ["zh", "en"], indirect=True)
def test_coverage_bars_are_green_and_columns_whole(demo_engine, language):
    at = open_page("pages/coverage_map.py", language)
    with_bars = [(f, c) for f, c in tables(at) if "coverage" in c]
    assert len(with_bars) == 2
    for frame, config in with_bars:
        bar = config["coverage"]
        assert bar["type_config"]["type"] == "progress" and bar["type_config"].get("color") == "#2f8f5b", bar
    least = next((f, c) for f, c in with_bars if "lead_cadre" in f.columns)
    for column in ("name", "lead_cadre"):  # 包保干部 whole
        assert_whole(*least, column)
    assert not any(name.endswith("卡口（卡口）") for name in least[0]["name"])
