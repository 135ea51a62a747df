"""app.py's PAGES, read without running app.py, so tests cover a new page the day it is registered."""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def app_pages() -> list[tuple]:
    """Each entry of app.py's PAGES as app.py has it: (section, file, title key, icon, url path, roles)."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    namespace: dict = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and all(isinstance(target, ast.Name) for target in node.targets):
            try:
                exec(compile(ast.Module([node], type_ignores=[]), str(APP), "exec"), namespace)
            except Exception:  # an assignment that needs the app running (none of PAGES' inputs do)
                continue
    pages = list(namespace["PAGES"])
    assert pages and all((APP.parent / entry[1]).exists() for entry in pages), pages
    return pages
