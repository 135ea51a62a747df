"""The thank-you list (爱心捐赠公示): a printable HTML page, and its body for the on-page preview.

Built from logistics.thank_you_list's frame (an anonymous donor's name is never in it: the data layer
sends None) and rendered by Jinja2 with autoescaping (ui/templates/thanks.html.j2), as the inspections
circular (reports/circular.py): a donor typed as "<b>" prints as those characters.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from reports.circular import CIRCULAR_CSS, PREVIEW_CSS

THANKS_CSS = CIRCULAR_CSS + """
.intro { text-indent: 2em; line-height: 1.8; }
.summary { font-weight: bold; }
.footer { text-align: right; margin-top: 2em; }
"""
THANKS_PREVIEW_CSS = PREVIEW_CSS.replace(".circular", ".thanks") + """
.thanks .intro { text-indent: 2em; line-height: 1.7; }
.thanks .summary { font-weight: bold; }
.thanks .footer { text-align: right; margin-top: 1.5em; }
"""
BY = ("day", "donor")


@cache
def _template():
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=select_autoescape(default=True, default_for_string=True))
    return environment.get_template("thanks.html.j2")


def _int(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def donor_name(donor, anonymous, label) -> str:
    """The name as posted: '匿名' for a donor who asked to stay anonymous (or whose name is not sent)."""
    if bool(anonymous) or donor is None or (isinstance(donor, float) and pd.isna(donor)) or not str(donor).strip():
        return label("don.anonymous")
    return str(donor)


def what(kind: str, amount, unit, label) -> str:
    """'5,000 元', '2,000 只', '300 份'."""
    n = f"{_int(amount):,}"
    if kind == "goods":
        return label("don.what.goods", n=n, unit="" if unit is None or pd.isna(unit) else unit).strip()
    return label(f"don.what.{kind}", n=n) if kind in ("money", "meals") else n


def totals(frame: pd.DataFrame) -> dict:
    """Gifts, yuan given, estimated yuan of goods, meals: from a list by day (or donations()) or by donor."""
    if frame.empty:
        return {"n": 0, "money": 0, "goods": 0, "meals": 0}
    if "gifts" in frame.columns:  # by donor
        return {"n": int(frame["gifts"].sum()), "money": int(frame["money"].sum()),
                "goods": int(pd.to_numeric(frame["goods_value"], errors="coerce").fillna(0).sum()),
                "meals": int(frame["meals"].sum())}
    amount = pd.to_numeric(frame["amount"], errors="coerce").fillna(0)
    value = pd.to_numeric(frame["estimated_value"], errors="coerce").fillna(0)
    return {"n": len(frame), "money": int(amount[frame["kind"] == "money"].sum()),
            "goods": int(value[frame["kind"] == "goods"].sum()), "meals": int(amount[frame["kind"] == "meals"].sum())}


def _description(kind, item, text) -> str | None:
    """What was given besides its amount: the item of goods, and the donor's words."""
    parts = [str(v) for v in (item if kind == "goods" else None, text)
             if v is not None and not (isinstance(v, float) and pd.isna(v)) and str(v).strip()]
    return " · ".join(parts) or None


def groups(frame: pd.DataFrame, by: str, label) -> tuple[list[str], list[dict]]:
    """(table headers, [{heading, rows}]): by day, one table per day in day order (logistics.thank_you_list
    by "day"); by donor, one table, the largest gifts first and every anonymous gift in one last row (by "donor")."""
    if frame.empty:
        return [], []
    donors = [donor_name(d, a, label) for d, a in zip(frame["donor"], frame["anonymous"])]
    if by == "donor":
        headers = [label(k) for k in ("don.col.donor", "thanks.col.gifts", "thanks.col.money", "thanks.col.goods_value",
                                      "thanks.col.meals", "thanks.col.days")]
        rows = [[d, f"{_int(g):,}", f"{_int(m):,}", f"{_int(v):,}", f"{_int(n):,}",
                 str(f) if f == l else f"{f} – {l}"]
                for d, g, m, v, n, f, l in zip(donors, frame["gifts"], frame["money"], frame["goods_value"],
                                               frame["meals"], frame["first_day"], frame["last_day"])]
        return headers, [{"heading": label("thanks.by.donor"), "rows": rows}]
    headers = [label(k) for k in ("don.col.donor", "don.col.kind", "don.col.what", "don.col.description")]
    rows = [(day, [d, label(f"don.kind.{k}"), what(k, a, u, label), _description(k, i, text)])
            for day, d, k, a, u, i, text in zip(frame["day"], donors, frame["kind"], frame["amount"], frame["unit"],
                                                 frame["item"], frame["description"])]
    days = list(dict.fromkeys(day for day, _ in rows))
    return headers, [{"heading": str(day), "rows": [row for d, row in rows if d == day]} for day in days]


def _render(frame: pd.DataFrame, by: str, label, area: str, start, end, body_only: bool, lang: str = "zh") -> str:
    headers, parts = groups(frame, by, label)
    sums = totals(frame)
    return _template().render(
        body_only=body_only, html_lang="en" if lang == "en" else "zh-CN", css=Markup(THANKS_CSS),
        heading=label("thanks.heading"), meta=label("thanks.meta", area=area, start=start, end=end),
        intro=label("thanks.intro"),
        summary=label("thanks.summary", n=f"{sums['n']:,}", money=f"{sums['money']:,}", goods=f"{sums['goods']:,}",
                      meals=f"{sums['meals']:,}"),
        headers=headers, groups=parts, none_text=label("thanks.none"), footer=label("thanks.footer", area=area))


def thanks_body(frame: pd.DataFrame, by: str, label, area: str, start, end) -> str:
    """The list's content, escaped, for the on-page preview."""
    return _render(frame, by, label, area, start, end, body_only=True)


def thanks_html(frame: pd.DataFrame, by: str, label, area: str, start, end, lang: str = "zh") -> str:
    """A complete, print-ready HTML document (open it and print, or save as PDF)."""
    return _render(frame, by, label, area, start, end, body_only=False, lang=lang)
