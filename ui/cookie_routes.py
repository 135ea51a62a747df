"""Three small HTTP routes on every app server, for cookies a page script cannot set itself.

Streamlit talks to the browser over a websocket, so a page cannot send `Set-Cookie`, and a cookie set
by a script in the page (document.cookie) can be read back by any script in the page. These routes
answer `Set-Cookie` with HttpOnly cookies that no script can read. serve.py mounts them
(`st.App("app.py", routes=routes())`); they refuse cross-site calls and accept only JSON.

    POST /account/session  {"code": hand-off}  -> the session cookie (see data_access/sessions.py)
    POST /account/signout  {"session": id}     -> forgets the session cookie if it is that session's
    POST /account/wall     {"key": key}        -> the wall's display key, kept so /wall needs no ?key=
"""
from __future__ import annotations

import json
import logging
import math
from urllib.parse import urlsplit

log = logging.getLogger("dashboard")

SESSION_COOKIE = "dash_session"
WALL_COOKIE = "dash_wall"
PATHS = {"session": "/account/session", "signout": "/account/signout", "wall": "/account/wall"}
WALL_COOKIE_MAX_AGE = 400 * 86400  # browsers cap cookie lifetimes at 400 days
MOUNTED = False  # set by routes(): a plain `streamlit run app.py` has none, and sign-in lasts one tab only


def base_path() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def url(name: str) -> str:
    return base_path() + PATHS[name]


def _same_origin(request) -> bool:
    """Only the app's own pages may call: the browser's Origin (always sent on a POST from a page) must
    name this host, and Sec-Fetch-Site, where sent, must say same-origin."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


async def _body(request) -> dict | None:
    if not _same_origin(request):
        return None
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    raw = await request.body()
    if len(raw) > 4096:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _cookie(response, request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=base_path() or "/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def _answer(ok: bool, status: int = 200):
    from starlette.responses import JSONResponse

    return JSONResponse({"ok": ok}, status_code=status if ok else 403, headers={"Cache-Control": "no-store"})


async def begin_session(request):
    from starlette.concurrency import run_in_threadpool

    from data_access import sessions

    data = await _body(request)
    if data is None or not isinstance(data.get("code"), str):
        return _answer(False)
    done = await run_in_threadpool(sessions.exchange, data["code"])
    if done is None:
        return _answer(False)
    response = _answer(True)
    _cookie(response, request, SESSION_COOKIE, done.token, done.cookie_max_age)
    return response


async def end_session(request):
    """Forget the cookie if it belongs to the session that signed out (or to no live session): another tab
    may have signed in again since, and its new cookie must stay."""
    from starlette.concurrency import run_in_threadpool

    from data_access import sessions

    data = await _body(request)
    if data is None:
        return _answer(False)
    token = request.cookies.get(SESSION_COOKIE)
    response = _answer(True)
    if token:
        found = await run_in_threadpool(sessions.resolve, token)
        if found is None or found[0] == data.get("session"):
            response.delete_cookie(SESSION_COOKIE, path=base_path() or "/", httponly=True, samesite="lax",
                                   secure=request.url.scheme == "https")
    return response


async def keep_wall_key(request):
    from starlette.concurrency import run_in_threadpool

    from data_access import auth

    data = await _body(request)
    key = data.get("key") if data else None
    if not isinstance(key, str):
        return _answer(False)
    display = await run_in_threadpool(auth.check_display_key, key)
    if display is None:
        return _answer(False)
    max_age = WALL_COOKIE_MAX_AGE
    if display.expires_at is not None:
        from data_access.sessions import now_utc

        max_age = max(1, min(max_age, math.ceil((display.expires_at - now_utc()).total_seconds())))
    response = _answer(True)
    _cookie(response, request, WALL_COOKIE, key, max_age)
    return response


def routes() -> list:
    from starlette.routing import Route

    global MOUNTED
    MOUNTED = True
    return [Route(url("session"), begin_session, methods=["POST"]),
            Route(url("signout"), end_session, methods=["POST"]),
            Route(url("wall"), keep_wall_key, methods=["POST"])]
