"""Smoke test: every page app.py registers, for every role allowed to see it, in both languages,
on SQLite and PostgreSQL, opens without an exception or an error box. Plus the wall and sign-in.

The page list is read from app.py's PAGES (without running app.py), so a new page is covered
the day it is registered.
"""
from __future__ import annotations

import pytest

from data_access import auth
from tests.app_pages import app_pages
from tests.apptest_helpers import DEFAULT_PAGE, app

DEMO_ROLES = ("admin", "supervisor", "clerk", "viewer")  # each demo account is named after its role
LANGS = ("zh", "en")


def registered_pages() -> list[tuple[str, frozenset[str]]]:
    """(file, roles) for each entry of app.py's PAGES, evaluated from app.py's own assignments."""
    return [(entry[1], frozenset(entry[-1])) for entry in app_pages()]


PAGES = registered_pages()


def problems(at, where: str) -> list[str]:
    """What a person would see go wrong: an exception, or an error box, on the page."""
    found = [f"{where}: exception {e.message[:300]!r}" for e in at.exception]
    found += [f"{where}: error box {e.value[:300]!r}" for e in at.error]
    return found


def test_pages_are_read_from_app_py():
    files = {path for path, _ in PAGES}
    assert {"pages/traffic.py", "pages/admin.py", "pages/audit_log.py"} <= files
    assert {"pages/supplies.py", "pages/meal_entry.py", "pages/donations.py"} <= files  # issue 15
    assert "viewer" in dict(PAGES)["pages/supplies.py"] and "viewer" not in dict(PAGES)["pages/meal_entry.py"]
    assert dict(PAGES)["pages/admin.py"] == {"admin"}


@pytest.mark.parametrize("language", LANGS, indirect=True)
@pytest.mark.parametrize("role", DEMO_ROLES)
def test_every_page_opens_for_every_role(demo_engine, role, language):
    """Signs in once and walks through every page the role may open, as a person clicking
    through the menu would; collects every failure so one broken page does not hide another."""
    lang = language
    user = auth.authenticate(role, "demo")
    assert user is not None and user.role == role
    at = app({"lang": lang} if lang == "en" else None)
    at.session_state["actor"] = user
    at.run()
    failures = problems(at, f"{role}/{lang} {DEFAULT_PAGE}")
    assert at.session_state["lang"] == lang
    for path, roles in PAGES:
        if role not in roles or path == DEFAULT_PAGE:
            continue
        at.session_state["lang"] = lang  # AppTest drops app.py's sidebar widgets (the switch) on a page switch
        try:
            at.switch_page(path).run()
        except Exception as error:  # AppTest itself gave up (a timeout, a page it cannot find)
            failures.append(f"{role}/{lang} {path}: {type(error).__name__}: {str(error)[:300]}")
            continue
        failures += problems(at, f"{role}/{lang} {path}")
        if at.title and lang == "en" and any("\u4e00" <= ch <= "\u9fff" for ch in at.title[0].value):
            failures.append(f"{role}/{lang} {path}: title not in English: {at.title[0].value!r}")
    assert not failures, "\n".join(failures)


def test_only_admin_sees_every_page():
    assert [role for role in DEMO_ROLES if all(role in roles for _, roles in PAGES)] == ["admin"]


@pytest.mark.parametrize("language", LANGS, indirect=True)
@pytest.mark.parametrize("role", [role for role in DEMO_ROLES if any(role not in roles for _, roles in PAGES)])
def test_pages_outside_the_role_are_not_reachable(demo_engine, role, language):
    lang = language
    hidden = [path for path, roles in PAGES if role not in roles]
    at = app({"lang": lang} if lang == "en" else None)
    at.session_state["actor"] = auth.authenticate(role, "demo")
    at.run()
    for path in hidden:
        # AppTest refuses a file st.navigation did not register for this session
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(path).run()


@pytest.mark.parametrize("lang", LANGS)
def test_sign_in_page_opens(demo_engine, lang):
    at = app({"lang": lang} if lang == "en" else None)
    at.run()
    assert not problems(at, f"sign-in/{lang}")
    assert at.text_input(key="signin_username") is not None


@pytest.mark.parametrize("lang", LANGS)
def test_wall_opens(demo_engine, lang):
    at = app({"key": "demo-wall", **({"lang": lang} if lang == "en" else {})})
    at.run()
    assert not problems(at, f"wall/{lang}")
    assert len(at.metric) == 14  # two rows of tiles: 7 (with the logistics tile, issue 15) + 7 (with 岗位在岗, issue 16)
