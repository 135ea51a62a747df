"""Stored text is plain text everywhere: a clerk's Markdown never formats, links or runs.

The escape function itself (ui.format.plain), the data layer handing stored text back unchanged,
and AppTests of the wall and the sidebar: AppTest's element `.value` is what was sent to the
browser's Markdown. tests/browser/test_wall_browser.py checks what Chromium makes of it.
"""
from __future__ import annotations

import re
import string

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access import alerts, auth, territory
from data_access.db import write_session
from data_access.models import Finding, ReopeningStep, Site, User, WorkZone
from tests.apptest_helpers import app, signed_in, texts
from ui import errors
from ui.format import WORD_JOINER, plain

EVIL = "**b** [l](javascript:alert(1)) www.evil.example $x^2$ ~~s~~ :red[r] <b>h</b>"
TRICKY = [
    EVIL,
    "see http://evil.example/x, WWW.Evil.example or evil@example.com",
    ":smile: :material/home: :red-background[x] :rainbow[z] &lt;b&gt; &#42;x&#42;",
    "# h\n\n    code\n- item\n1. one\n> quote\n| a | b |\n|---|---|",
    "$$\\int x$$ and \\(x\\) \\ trailing \\",
    "东卡口（试）__下划线__ `代码` 12:30 a_b*c",
]
# What Markdown syntax looks like once rendered: any of these in a value means it was not escaped.
RAW_SYNTAX = ("**b**", "[l](", "~~s~~", "$x^2$", ":red[r]", "<b>h</b>")


def unplain(markdown: str) -> str:
    """What a reader sees of plain()'s output: escapes resolved, word joiners invisible."""
    text = markdown.replace("  \n", "\n").replace(WORD_JOINER, "")
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


# ---- the escape function --------------------------------------------------------------------------

@pytest.mark.parametrize("text", TRICKY)
def test_plain_reads_exactly_as_typed(text):
    expected = "\n".join(line.strip() for line in text.split("\n") if line.strip())
    assert unplain(plain(text)) == expected


@pytest.mark.parametrize("text", TRICKY)
def test_every_ascii_punctuation_mark_is_escaped(text):
    escaped = plain(text).replace("  \n", "\n")
    for i, ch in enumerate(escaped):
        if ch in string.punctuation and ch != "\\":
            assert escaped[i - 1] == "\\", f"{ch!r} at {i} of {escaped!r} is not escaped"
    # every backslash is an escape of the next character (none is left dangling)
    assert re.fullmatch(r"(?:\\[!-/:-@\[-`{-~]|[^\\])*", escaped, flags=re.S)


def test_autolinks_are_split_by_a_word_joiner():
    """GFM finds these in the text after escapes are resolved: the escapes alone do not stop them."""
    seen = plain("www.a.example http://b.example c@d.example WWW.E.EXAMPLE").replace("\\", "")
    assert not re.search(r"(?i)www\.", seen)
    assert "://" not in seen
    assert not re.search(r"[\w.+-]@", seen)


def test_lines_indentation_and_nothing():
    assert plain("one\n\n    two\r\nthree") == "one  \ntwo  \nthree"  # no paragraph, no code block
    assert plain(None) == "" and plain("") == "" and plain("   ") == ""
    assert plain(42) == "42"


def test_one_escape_function():
    assert errors.escape_markdown is plain and errors._escape_md is plain


def test_a_refusal_naming_stored_text_is_plain():
    def page():
        from data_access.errors import NotFound
        from ui import errors as show

        show.show(NotFound("**b** www.evil.example"))

    at = AppTest.from_function(page)
    at.run()
    assert not at.exception
    assert plain("**b** www.evil.example") in at.error[0].value


# ---- stored text on the pages ----------------------------------------------------------------------

def store_evil(engine) -> str:
    """EVIL as every finding, every suspension reason and the name of a past-due finding's duty
    point. Returns that duty point's former name."""
    with write_session(engine) as session:
        site_id, name = session.execute(
            sa.select(Site.id, Site.name).join(Finding, Finding.site_id == Site.id)
            .where(Finding.fixed_on.is_(None)).order_by(Finding.due_on, Finding.id).limit(1)).one()
        session.execute(sa.update(Finding).values(description=EVIL))
        session.execute(sa.update(ReopeningStep).where(ReopeningStep.reason.is_not(None)).values(reason=EVIL))
        session.execute(sa.update(Site).where(Site.id == site_id).values(name=EVIL))
    return name


def test_the_data_layer_hands_stored_text_back_unchanged(demo_engine):
    """Escaping belongs to the display: the wall's alert reads give back exactly what was typed."""
    store_evil(demo_engine)
    start, end = territory.default_range()
    from data_access.filters import Filters

    found = alerts.alerts(Filters(start=start, end=end))
    assert (found["kind"].eq("finding_past_due") & found["detail"].eq(EVIL)).any()
    assert (found["kind"].eq("suspended") & found["detail"].eq(EVIL)).any()
    assert found["subject"].eq(EVIL).any()


def _markdown_values(at) -> list[str]:
    return [str(e.value) for e in at.markdown]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_wall_shows_findings_reasons_and_names_as_plain_text(demo_engine):
    store_evil(demo_engine)
    at = app({"key": "demo-wall"})
    at.run()
    assert not at.exception, at.exception
    alerts_shown = [v for v in _markdown_values(at) if plain(EVIL) in v]
    assert len(alerts_shown) >= 3, _markdown_values(at)  # a finding, a suspension, the duty point's name
    shown = texts(at)
    for syntax in RAW_SYNTAX:
        assert syntax not in shown, f"{syntax!r} reached the wall's Markdown unescaped"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_zone_walls_title_is_plain_text(demo_engine):
    with write_session(demo_engine) as session:
        zone_id = session.scalar(sa.select(WorkZone.id).where(WorkZone.code == "Z1"))
        session.execute(sa.update(WorkZone).where(WorkZone.id == zone_id).values(name=EVIL))
    key = auth.create_display_key("zone wall", None, zone_id)
    at = app({"key": key})
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value.endswith(" · " + plain(EVIL))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_display_name_in_the_sidebar_is_plain_text(demo_engine):
    with write_session(demo_engine) as session:
        session.execute(sa.update(User).where(User.username == "clerk").values(display_name=EVIL))
    at = signed_in("clerk")
    captions = [c.value for c in at.sidebar.caption]
    assert any(plain(EVIL) in c for c in captions), captions
    assert not any(syntax in c for c in captions for syntax in RAW_SYNTAX)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_site_name_on_the_traffic_page_is_plain_text(demo_engine):
    with write_session(demo_engine) as session:
        site_id = session.scalar(sa.select(Site.id).where(Site.kind == "checkpoint").order_by(Site.id).limit(1))
        session.execute(sa.update(Site).where(Site.id == site_id).values(name=EVIL))
    at = signed_in("supervisor", query={"site": str(site_id)})
    notes = [i.value for i in at.info if plain(EVIL) in i.value]
    assert notes, [i.value for i in at.info]
    assert not any(syntax in i.value for i in at.info for syntax in RAW_SYNTAX)
