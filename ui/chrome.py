"""Streamlit's own words in the Chinese UI.

Streamlit 1.67 prints some English that no parameter changes: the file uploader's button, its size line
and "Drag and drop a file here", a select box's "No results", "Press Enter to apply" under a field, the
date range picker's quick-select row ("Date range", "Select...", "Last 7 days", ...) and the keyboard
"Skip to main content" link. In the Chinese UI one small style, scoped to those elements by Streamlit's
test ids, hides the English and draws Chinese in its place with CSS `content` (the hidden English stays
in the page for Streamlit's own code). The quick-select row is hidden: its options cannot be reached
one by one, and the filter bar has its own jump to the latest day.

What this cannot reach: the date picker's month and weekday names follow the browser's own language
(Streamlit reads `navigator.language`), so they are Chinese on a Chinese browser and English on an
English one. Select boxes' "Choose an option" is fixed where they are made (placeholder=t("widget.choose")),
and every text field should have a `max_chars`: its character count is what tells the rule below which
line under the field is the "Press Enter" one.
"""
from __future__ import annotations

import json

import streamlit as st

from ui.i18n import lang, t

# selector: (the text key drawn in its place, at the size Streamlit draws the English); its own text is hidden
_SMALL, _TINY = "0.875rem", "0.75rem"
_REPLACED = {
    # the uploader's button label, its size-and-type line, and the line shown while a file is dragged over it
    "[data-testid='stFileUploaderDropzone'] [data-testid='stBaseButton-secondary'] [data-testid='stMarkdownContainer'] p":
        ("chrome.upload", _SMALL),
    "[data-testid='stFileUploaderDropzoneInstructions'] span": ("chrome.drop", _SMALL),
    "[data-testid='stFileUploaderDropzone'] > div:not([data-testid]) > span": ("chrome.drop_now", _SMALL),
    # a select box or multiselect whose search finds nothing
    "[role='listbox'][data-empty='true'] [role='option'] > span": ("chrome.no_results", _SMALL),
    # "Press Enter to apply" comes first when the field's character count follows it; a number field
    # and a password field have no count, so their only line is that one
    ".stTextInput [data-testid='InputInstructions'] > span:first-child:not(:only-child), "
    ".stNumberInput [data-testid='InputInstructions'] > span:first-child, "
    ".stTextInput:has(input[type='password']) [data-testid='InputInstructions'] > span:only-child":
        ("chrome.enter_apply", _TINY),
    "[data-testid='stForm'] .stTextInput [data-testid='InputInstructions'] > span:first-child:not(:only-child), "
    "[data-testid='stForm'] .stNumberInput [data-testid='InputInstructions'] > span:first-child, "
    "[data-testid='stForm'] .stTextInput:has(input[type='password']) [data-testid='InputInstructions'] > span:only-child":
        ("chrome.enter_submit", _TINY),
    ".stTextArea [data-testid='InputInstructions'] > span:first-child:not(:only-child)": ("chrome.ctrl_enter_apply", _TINY),
    "[data-testid='stForm'] .stTextArea [data-testid='InputInstructions'] > span:first-child:not(:only-child)":
        ("chrome.ctrl_enter_submit", _TINY),
}
_HIDDEN = ("[data-testid='stDateInputQuickSelect']",)


def _style() -> str:
    rules = []
    for selector, (key, size) in _REPLACED.items():
        rules.append(f"{_each(selector, '')} {{ visibility: hidden; font-size: 0; }}")
        rules.append(f"{_each(selector, '::after')} {{ content: {json.dumps(t(key), ensure_ascii=False)}; "
                     f"visibility: visible; font-size: {size}; }}")
    # the skip link must stay focusable, so its English is only shrunk away, not hidden
    rules.append("a[data-testid='stSkipToContent'] { font-size: 0; }")
    rules.append(f"a[data-testid='stSkipToContent']::after {{ content: {json.dumps(t('chrome.skip'), ensure_ascii=False)}; "
                 "font-size: 1rem; }")
    rules.append(f"{', '.join(_HIDDEN)} {{ display: none; }}")
    return "\n".join(rules)


def _each(selector: str, suffix: str) -> str:
    """A selector list with `suffix` (a pseudo-element) added to each of its selectors."""
    return ", ".join(part.strip() + suffix for part in selector.split(", "))


def chinese_chrome() -> None:
    """In the Chinese UI, Streamlit's built-in English replaced by Chinese (a style only: it takes no room)."""
    if lang() == "zh":
        st.html(f"<style>\n{_style()}\n</style>")
