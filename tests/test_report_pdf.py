"""The daily report and the weekly circular as A4 PDF (issue 18): the seed figures are in the PDF as text, every
character drawn is in the embedded font that draws it (no missing glyph: proved able to fail with a font set
without Chinese), stored names print as typed, incomplete days say so, English has no Chinese label left, and a
missing WeasyPrint says what to install. On SQLite and PostgreSQL (the demo data set)."""
from __future__ import annotations

import ctypes
import datetime as dt
import functools
import io
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

pdfium = pytest.importorskip("pypdfium2")
raw = pytest.importorskip("pypdfium2.raw")
from fontTools.ttLib import TTFont  # noqa: E402  (WeasyPrint's own dependency)

from data_access import clock, inspections  # noqa: E402
from data_access.filters import Filters  # noqa: E402
from data_access.models import SupplyItem  # noqa: E402
from reports import daily, pdf  # noqa: E402
from ui.i18n import translator  # noqa: E402
from tests.test_report import drop_reports  # noqa: E402

DAY = dt.date(2020, 2, 25)
NEXT_MORNING = dt.datetime(2020, 2, 26, 9, 30, tzinfo=clock.zone())
A4 = (595.28, 841.89)  # points
SEED_TEXT = ["辖34个行政村", "7718户", "11222人", "69户", "4892人", "盘查车辆15294台次", "日最高车辆1656台次",
             "外地返烟人员164人", "已开门营业商铺58户"]
HEADINGS_ZH = ["一、路域卡口", "二、企业复工", "三、商铺管控", "四、摸排（截至2月24日）", "五、专题巡察", "六、后勤保障", "七、值守"]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


# ---- reading a PDF back ------------------------------------------------------------------------------

def pages(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    try:
        return [doc[k].get_textpage().get_text_range() for k in range(len(doc))]
    finally:
        doc.close()


def flat(text: str) -> str:
    """Text without whitespace: line breaks fall where the layout put them."""
    return re.sub(r"\s+", "", text)


def sizes(data: bytes) -> list[tuple[float, float]]:
    doc = pdfium.PdfDocument(data)
    try:
        return [doc[k].get_size() for k in range(len(doc))]
    finally:
        doc.close()


@functools.lru_cache(maxsize=64)
def _covered(font_program: bytes) -> frozenset[int]:
    """The code points an embedded (subset) font's own cmap maps (those whose nominal glyph was used)."""
    font = TTFont(io.BytesIO(font_program), fontNumber=0)
    return frozenset(font.getBestCmap() or {}) if "cmap" in font else frozenset()


def _font_program(font) -> bytes:
    size = ctypes.c_size_t()
    if not raw.FPDFFont_GetFontData(font, None, 0, ctypes.byref(size)) or not size.value:
        return b""
    buffer = (ctypes.c_uint8 * size.value)()
    raw.FPDFFont_GetFontData(font, buffer, size.value, ctypes.byref(size))
    return bytes(buffer)


@functools.cache
def _system_fonts() -> dict[str, tuple[str, int]]:
    """Installed fonts by the name a PDF gives them ("Noto Serif CJK SC" → "Noto-Serif-CJK-SC"): file, index."""
    listing = subprocess.run(["fc-list", "--format", "%{family}\t%{file}\t%{index}\n"], capture_output=True,
                             text=True, check=True).stdout
    fonts = {}
    for line in listing.splitlines():
        families, file, index = line.split("\t")
        for family in families.split(","):
            fonts.setdefault(family.strip().replace(" ", "-"), (file, int(index)))
    return fonts


@functools.lru_cache(maxsize=16)
def _system_cmap(file: str, index: int) -> frozenset[int]:
    return frozenset(TTFont(file, fontNumber=index, lazy=True).getBestCmap() or {})


def _font_name(textpage, index: int) -> str:
    buffer, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    raw.FPDFText_GetFontInfo(textpage, index, buffer, 256, ctypes.byref(flags))
    return buffer.value.decode("latin-1").split("+", 1)[-1]  # without the subset tag ("LWGGBP+")


def _has_glyph(name: str, char: str) -> bool | None:
    """Whether the installed font the PDF names has a glyph for `char` (None: no such font installed)."""
    fonts = _system_fonts()
    family = max((f for f in fonts if name == f or name.startswith(f + "-")), key=len, default=None)
    return None if family is None else ord(char) in _system_cmap(*fonts[family])


def glyph_problems(data: bytes) -> list[tuple[int, str, str]]:
    """(page, character, problem) for every character drawn whose font is not embedded or has no glyph for it.

    Extracted text alone cannot tell: a character no font has is still written into the PDF's text (its
    ToUnicode map) and extracts fine, while the page shows an empty box (the fallback font's .notdef). So
    each character is traced to the text object drawing it: its font must be embedded, and it must map the
    character: the embedded subset's cmap, or (a glyph used only in a contextual form, e.g. Latin digits in
    a CJK font, leaves the subset without that cmap entry) the installed font of the name the PDF gives."""
    if not shutil.which("fc-list"):
        pytest.skip("fc-list (Debian's fontconfig) is not installed")
    problems = []
    doc = pdfium.PdfDocument(data)
    try:
        for number in range(len(doc)):
            textpage = doc[number].get_textpage()
            for index in range(textpage.count_chars()):
                char = chr(raw.FPDFText_GetUnicode(textpage, index))
                if char.isspace() or not char.isprintable():
                    continue
                obj = raw.FPDFText_GetTextObject(textpage, index)
                if not obj:
                    problems.append((number + 1, char, "no text object"))
                    continue
                font = raw.FPDFTextObj_GetFont(obj)
                if not raw.FPDFFont_GetIsEmbedded(font):
                    problems.append((number + 1, char, "font not embedded"))
                elif ord(char) not in _covered(_font_program(font)):
                    name = _font_name(textpage, index)
                    drawn = _has_glyph(name, char)
                    if not drawn:
                        problems.append((number + 1, char, "no glyph" if drawn is False else f"unknown font {name}"))
    finally:
        doc.close()
    return problems


# ---- the daily report --------------------------------------------------------------------------------

@pytest.fixture
def figures(demo_engine):
    return daily.daily_figures(DAY, now=NEXT_MORNING, engine=demo_engine)


def test_daily_pdf_is_a4_with_the_seed_figures_as_text(demo_engine, figures):
    data = pdf.daily_pdf(figures, "zh", engine=demo_engine)
    assert data.startswith(b"%PDF-")
    page_sizes = sizes(data)
    assert len(page_sizes) >= 2
    assert all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in page_sizes), page_sizes
    texts = pages(data)
    text = flat("".join(texts))
    for phrase in SEED_TEXT + HEADINGS_ZH:
        assert phrase in text, phrase
    # the opening paragraphs, every character of them, as the text report words them
    for paragraph in daily.opening_paragraph(figures, "zh").split("\n\n"):
        assert flat(paragraph) in text
    assert "栖霞经济开发区疫情防控日报2020年2月25日范围：全区数据截至2020年2月26日09:30演示数据" in text  # the masthead
    for number, page in enumerate(texts, 1):  # "第 n 页 共 m 页" on each page, from @page
        assert f"第{number}页共{len(texts)}页" in flat(page)
    # key-figure tables and charts (their axis and legend text is text too, drawn from the pages' charts)
    assert "累计盘查车辆（自2月1日）15294" in text and "日最高车辆（2月17日）1656" in text
    assert "农村34/3477188182" in text  # the survey table's village row
    assert "第三工作管区口罩87只300只1.9" in text  # the short supplies
    assert "每日盘查车辆（柱）与7日均值（线）" in text and "02-17" in text  # the traffic trend
    assert "22/62" in text and "群众送餐（份）" in text  # shops by category, meals per day
    assert "None" not in text and "nan" not in text and "未完" not in text


def test_no_missing_glyphs_and_fonts_embedded(demo_engine, figures):
    for lang in ("zh", "en"):
        data = pdf.daily_pdf(figures, lang, engine=demo_engine)
        assert glyph_problems(data) == [], lang


NO_CJK_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


def test_the_glyph_check_fails_without_chinese_fonts(demo_engine, backend, tmp_path):
    """The same report made where fontconfig knows no Chinese font: it extracts as the same text, yet the
    check finds the characters it could not draw. (One backend is enough: this is about fonts.)"""
    if backend != "sqlite":
        pytest.skip("fonts, not data: checked on SQLite")
    if not Path("/usr/share/fonts/truetype/dejavu").is_dir():
        pytest.skip("DejaVu (Debian's fonts-dejavu-core) is not installed")
    (tmp_path / "fonts.conf").write_text(NO_CJK_FONTS.format(cache=tmp_path / "cache"))
    out = tmp_path / "report.pdf"
    script = textwrap.dedent(f"""
        import datetime as dt
        from data_access import clock, db
        from reports import daily, pdf
        engine = db.get_engine()
        now = dt.datetime(2020, 2, 26, 9, 30, tzinfo=clock.zone())
        figures = daily.daily_figures(dt.date(2020, 2, 25), now=now, engine=engine)
        open({str(out)!r}, "wb").write(pdf.daily_pdf(figures, "zh", engine=engine))
    """)
    env = {**os.environ, "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}  # DATABASE_URL: the demo database
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=Path(__file__).parents[1], timeout=300)
    data = out.read_bytes()
    assert "辖34个行政村" in flat("".join(pages(data)))  # the text is all there...
    missing = {char for _, char, problem in glyph_problems(data) if problem == "no glyph"}
    assert {"辖", "摸", "排"} <= missing  # ...but not drawn
    assert not {c for c in missing if c.isascii()}  # DejaVu has the digits and Latin letters


def test_no_pdf_is_offered_without_a_chinese_font(tmp_path):
    """Where fontconfig knows no Chinese font, the pages and the CLI are told no PDF can be made (and why),
    rather than handed one whose Chinese is empty boxes."""
    if not Path("/usr/share/fonts/truetype/dejavu").is_dir():
        pytest.skip("DejaVu (Debian's fonts-dejavu-core) is not installed")
    (tmp_path / "fonts.conf").write_text(NO_CJK_FONTS.format(cache=tmp_path / "cache"))
    script = "import reports; print(reports.unavailable('pdf') or 'available')"
    for conf, expected in ((tmp_path / "fonts.conf", "fonts-noto-cjk"), (None, "available")):
        env = {**os.environ, **({"FONTCONFIG_FILE": str(conf)} if conf else {})}
        said = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parents[1], timeout=120).stdout
        assert expected in said, said


def test_stored_markup_prints_as_typed(demo_engine):
    with demo_engine.begin() as conn:
        conn.execute(sa.update(SupplyItem).where(SupplyItem.name == "口罩").values(name="<b>x</b>口罩"))
    figures = daily.daily_figures(DAY, now=NEXT_MORNING, engine=demo_engine)
    text = flat("".join(pages(pdf.daily_pdf(figures, "zh", engine=demo_engine))))
    assert "第三工作管区<b>x</b>口罩87只" in text  # the paragraph
    assert "第三工作管区<b>x</b>口罩87只300只" in text  # the short-supplies table
    html = pdf.daily_html(figures, "zh", engine=demo_engine)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_an_incomplete_day_says_so(demo_engine):
    """Three checkpoints' reports of the day not in yet (before they are due): the PDF says so where the
    section starts, not only inside the paragraph."""
    drop_reports(demo_engine, DAY, 3)
    figures = daily.daily_figures(DAY, now=NEXT_MORNING, engine=demo_engine)
    assert not figures["traffic"]["completeness"]["final"]
    text = flat("".join(pages(pdf.daily_pdf(figures, "zh", engine=demo_engine))))
    section = text.split("一、路域卡口", 1)[1].split("二、企业复工", 1)[0]
    assert section.startswith("数字未完截至2020年2月26日09:30，12个卡口中9个已上报：2月25日数字未完，以后续上报为准。")
    assert "15294" not in text  # the totals without the missing reports
    english = flat("".join(pages(pdf.daily_pdf(figures, "en", engine=demo_engine))))
    assert "Notcomplete" in english and "9of12checkpointshavereported:25Februaryisnotcomplete" in english


def test_english_pdf_has_no_chinese_label_left(demo_engine, figures):
    data = pdf.daily_pdf(figures, "en", engine=demo_engine)
    texts = pages(data)
    text = "".join(texts)
    assert "The Qixia Economic Development Zone has 34 administrative villages" in text
    assert "15,294vehicles" in flat(text) and "busiestday1,656vehicles" in flat(text)
    for number, page in enumerate(texts, 1):
        assert f"Page{number}of{len(texts)}" in flat(page)
    # Chinese only where the data itself is Chinese: the stored names of items, zones and units
    stored = "".join(f"{x['item']}{x['zone']}{x['unit']}" for x in figures["logistics"]["short"])
    assert set(CJK.findall(text)) <= set(stored), set(CJK.findall(text)) - set(stored)
    assert "Demo data" in text and "Data as of 26 February 2020 09:30" in text


def test_pdf_unavailable_names_the_packages(monkeypatch, figures, demo_engine):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if not installed: import raises ImportError
    with pytest.raises(pdf.PdfUnavailable) as caught:
        pdf.daily_pdf(figures, "zh", engine=demo_engine)
    message = str(caught.value)
    assert "无法生成PDF" in message and "The PDF cannot be made" in message
    assert all(package in message for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-noto-cjk"))


# ---- the weekly circular ----------------------------------------------------------------------------

def test_circular_pdf_holds_its_findings(demo_engine):
    week = inspections.week_circular(Filters(end=DAY), demo_engine)
    assert len(week["findings"])  # the demo's week has findings
    data = pdf.circular_pdf(week, "zh", "全区", demo_engine)
    assert all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in sizes(data))
    texts = pages(data)
    text = flat("".join(texts))
    assert "全区" in text
    assert all(flat(translator("zh")("pdf.demo_short")) in flat(page) for page in texts)  # demo data, on every page
    for description in week["findings"]["description"]:
        assert flat(description) in text, description
    for name in week["overdue_points"]["name"]:
        assert flat(name) in text, name
    for number, page in enumerate(texts, 1):
        assert f"第{number}页共{len(texts)}页" in flat(page)
    assert glyph_problems(data) == []
    english = flat("".join(pages(pdf.circular_pdf(week, "en", "Whole zone", demo_engine))))
    assert "Wholezone" in english and all(flat(d) in english for d in week["findings"]["description"])
