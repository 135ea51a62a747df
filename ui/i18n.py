"""One translation table for all UI text: Chinese by default, English by a switch or ?lang=en."""
from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Callable

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


def lang() -> str:
    value = st.session_state.get("lang", "zh")
    return value if value in LANGS else "zh"


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
