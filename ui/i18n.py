"""One translation table for all UI text: Chinese by default, English by a switch or ?lang=en."""
from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import pkgutil
from typing import Callable, Iterator

import streamlit as st

from ui import text as _text_package

LANGS = ("zh", "en")


def _load() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for module_info in sorted(pkgutil.iter_modules(_text_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"ui.text.{module_info.name}")
        for key, pair in module.TEXT.items():
            if key in table:
                raise KeyError(f"translation key {key!r} defined twice (ui/text/{module_info.name}.py)")
            table[key] = pair
    return table


TEXT = _load()


# Set by `speaking` around work that labels thousands of things in one known language: reading the
# session's language through st.session_state costs ~15 us a call, ~0.1 s of the audit log's 27,000.
_speaking: contextvars.ContextVar[str | None] = contextvars.ContextVar("speaking", default=None)


def lang() -> str:
    bound = _speaking.get()
    if bound is not None:
        return bound
    value = st.session_state.get("lang", "zh")
    return value if value in LANGS else "zh"


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """t() and lang() answer in `language` inside, without asking the session each time."""
    token = _speaking.set(language if language in LANGS else "zh")
    try:
        yield
    finally:
        _speaking.reset(token)


def text_in(language: str, key: str, **values) -> str:
    """The text for key in `language`; a missing key shows itself, never crashes."""
    pair = TEXT.get(key)
    if pair is None:
        return key
    template = pair[1] if language == "en" else pair[0]
    return template.format(**values) if values else template


def t(key: str, **values) -> str:
    """The text for key in the current language."""
    return text_in(lang(), key, **values)


def translator(language: str) -> Callable[..., str]:
    """t() for a given language, for code that runs outside a session (tests, exports, the CLI)."""
    return functools.partial(text_in, language)
