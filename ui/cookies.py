"""The small browser-side part of the cookie routes: one `fetch` to the app's own route, then a word back.

A Streamlit v2 component (its script runs in the page, no iframe) posts a JSON body to one of
ui/cookie_routes.py's routes with the page's own origin, so the route's `Set-Cookie` lands in the
browser as an HttpOnly cookie. The component reports "ok" or "failed" back to Python (which reruns);
it never sees a cookie's value, and no value read from the database goes into it.
"""
from __future__ import annotations

import streamlit as st

from ui import cookie_routes

_JS = """
export default function (component) {
  const { data, setStateValue } = component;
  if (!data || !data.url || !data.id) return;
  const calls = (window.__dashboardCookieCalls = window.__dashboardCookieCalls || {});
  if (calls[data.id] !== undefined) {          // a rerun draws the component again: post only once
    if (calls[data.id] !== 'pending') setStateValue('done', calls[data.id]);
    return;
  }
  calls[data.id] = 'pending';
  fetch(data.url, { method: 'POST', credentials: 'same-origin', cache: 'no-store',
                    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(data.body || {}) })
    .then((response) => (response.ok ? data.id + ':ok' : data.id + ':failed'))
    .catch(() => data.id + ':failed')
    .then((outcome) => { calls[data.id] = outcome; setStateValue('done', outcome); });
}
"""

_post = st.components.v2.component("dashboard_cookie", js=_JS)


def post(route: str, body: dict, call_id: str, key: str) -> str | None:
    """Post `body` to the named route once from the browser: None while under way, then "ok" or "failed".
    Draw it on every run until it answers (a component that is not drawn is gone)."""
    result = _post(key=key, data={"url": cookie_routes.url(route), "body": body, "id": call_id},
                   default={"done": None}, on_done_change=lambda: None, height=0, width="content")
    done = getattr(result, "done", None)
    if not isinstance(done, str) or not done.startswith(call_id + ":"):
        return None
    return done.rsplit(":", 1)[1]
