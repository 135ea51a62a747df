"""No keystroke typed into an entry grid is lost, however fast it follows the click.

An entry grid (st.data_editor: Glide Data Grid on a canvas) opens a cell's editor when a key is
typed on a selected cell, but the editor is loaded and focused a moment later: the first time on a
page it takes ~300 ms (its code is fetched), later a few ms. Keys typed in between hit the canvas,
which has no editor yet: each re-opens the editor with itself as its text, so "100" typed straight
after a click arrived as "0". And a Tab or Enter pressed within ~10 ms of the last digit committed
the text from before that digit, often nothing (both seen in Chromium with Streamlit 1.67's own
st.data_editor; tests/browser/test_entry_grid_browser.py types that way).

This small v2 component (its script runs in the page, no iframe) listens to key presses on the
entry grids (their canvas, or the cell of the accessible table the grid at times gives the focus
to) before the grid does. The first printable key goes on to the grid (it opens
the editor); that key and every key after it, until the editor has focus, are kept; when the
editor takes focus it is given exactly the kept text, and a Tab or Enter pressed meanwhile is
passed to it then, so the cell is committed and the selection moves as the clerk meant. A click
elsewhere, Escape, or an editor that never opens (a read-only cell) drops what was kept, as the
grid itself would. A Tab or Enter typed into an open editor hard on a key waits the few ms the
editor needs. Nothing here reads or sends data: it only moves key presses into the editor.
"""
from __future__ import annotations

import streamlit as st

GRIDS = ("entry_grid", "meal_grid")  # keys (prefixes) of the grids it guards: the checkpoint and meal grids (text cells only)

_JS = """
export default function (component) {
  const grids = (component.data && component.data.grids) || [];
  window.__entryGridKeyGuard = grids;          // the newest list of grids wins
  if (window.__entryGridKeyGuardInstalled) return;
  window.__entryGridKeyGuardInstalled = true;
  const WAIT_MS = 1500;                        // an editor that has not opened by then never will
  const SETTLE_MS = 40;                        // time the editor needs to take a key in
  let pending = null;                          // {text, commit, since}
  // the grid's canvas, or the cell of its accessible table the grid sometimes gives the focus to
  const guarded = (el) => !!(el && el.closest && !/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(el.tagName) &&
    (window.__entryGridKeyGuard || []).some((key) => el.closest('[class*="st-key-' + key + '"]')));
  const editor = () => document.querySelector('#portal textarea.gdg-input, #portal input.gdg-input');
  const drop = () => { pending = null; };
  let lastInput = 0;                           // when the open editor's text last changed
  let lastPointer = 0;                         // when the clerk last clicked
  const opened = new WeakMap();                // editor -> when it first took the focus
  document.addEventListener('input', (event) => { if (event.target === editor()) lastInput = performance.now(); }, true);
  const later = (field, key, shiftKey, wait) => setTimeout(() => field.dispatchEvent(new KeyboardEvent('keydown', {
    key, code: key, shiftKey, bubbles: true, cancelable: true })), Math.max(0, wait));
  const type = (field, text) => {              // as if typed: the editor's own change handling runs
    const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(field), 'value').set;
    setter.call(field, text);
    field.dispatchEvent(new Event('input', { bubbles: true }));
    lastInput = performance.now();
    field.setSelectionRange(text.length, text.length);
  };
  const swallow = (event) => { event.preventDefault(); event.stopImmediatePropagation(); };
  const commitKey = (key) => key === 'Tab' || key === 'Enter';
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing || !event.isTrusted) return;
    const field = editor();
    const printable = event.key.length === 1;
    if (field && event.target === field) {
      // A Tab or Enter hard on the last key would commit the editor's text from before that key:
      // it waits until the editor has taken the text in.
      const wait = SETTLE_MS - (performance.now() - lastInput);
      if (commitKey(event.key) && wait > 0) { swallow(event); later(field, event.key, event.shiftKey, wait); }
      return;
    }
    if (!guarded(event.target)) return;
    if (pending && performance.now() - pending.since > WAIT_MS) drop();
    if (field && !pending) {
      // The editor is open but the grid took the focus back for a moment: the key belongs in the editor
      // (unless the clerk has clicked since it opened: then it is closing, and the key is the grid's).
      if (field.readOnly || field.disabled || !(opened.get(field) > lastPointer)) return;
      if (printable) { swallow(event); field.focus(); type(field, field.value + event.key); }
      else if (event.key === 'Backspace') { swallow(event); field.focus(); type(field, field.value.slice(0, -1)); }
      else if (commitKey(event.key)) {
        swallow(event); field.focus(); later(field, event.key, event.shiftKey, SETTLE_MS - (performance.now() - lastInput));
      }
      return;
    }
    if (!pending) {
      if (printable && event.key !== ' ' && !field) pending = { text: event.key, commit: null, since: performance.now() };
      return;                                  // the grid sees this key: it opens the editor
    }
    if (event.key === 'Escape' || event.key.startsWith('Arrow') || event.key.startsWith('Page')) { drop(); return; }
    if (printable && !pending.commit) pending.text += event.key;
    else if (event.key === 'Backspace' && !pending.commit) pending.text = pending.text.slice(0, -1);
    else if (commitKey(event.key) && !pending.commit) pending.commit = { key: event.key, shiftKey: event.shiftKey };
    else return;
    swallow(event);                            // kept for the editor: the grid must not act on it as well
  }, true);
  document.addEventListener('pointerdown', () => { lastPointer = performance.now(); if (pending) drop(); }, true);
  document.addEventListener('focusin', (event) => {
    const field = event.target;
    if (field !== editor()) return;
    if (!opened.has(field)) opened.set(field, performance.now());
    if (!pending) return;
    const kept = pending;
    drop();
    if (field.readOnly || field.disabled || performance.now() - kept.since > WAIT_MS) return;
    type(field, kept.text);                    // what was typed, replacing whatever the editor started with
    if (kept.commit) later(field, kept.commit.key, kept.commit.shiftKey, SETTLE_MS);
  }, true);
}
"""

_guard = st.components.v2.component("entry_grid_keys", js=_JS)


def keep_keystrokes() -> None:
    """Draw once on a page with an entry grid (any place: it draws nothing)."""
    _guard(key="grid_key_guard", data={"grids": list(GRIDS)}, height=0, width="content")
