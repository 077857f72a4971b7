"""A workbook printed by LibreOffice (headless, to PDF) and read back with poppler's pdftotext: what a city
employee gets on paper. The bundled IPAex Gothic stands in for ＭＳ ゴシック through a private fontconfig file,
so the result does not depend on the fonts of the machine. Tests using it are skipped only when LibreOffice
or poppler is missing locally (.ci/run installs both)."""

import bisect
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
  <alias binding="same"><family>ＭＳ ゴシック</family><prefer><family>IPAexGothic</family></prefer></alias>
  <alias binding="same"><family>MS Gothic</family><prefer><family>IPAexGothic</family></prefer></alias>
</fontconfig>
"""

FOOTER_BAND = 0.8 * 72  # points: the bottom margin, where the page number prints (auditreg.xlsx.MARGIN_TOP)

needs_libreoffice = pytest.mark.skipif(  # CI sets REQUIRE_PRINT_TOOLS: there a missing tool fails, never skips
    not (shutil.which("libreoffice") and shutil.which("pdftotext")) and not os.environ.get("REQUIRE_PRINT_TOOLS"),
    reason="LibreOffice (libreoffice-calc) and poppler-utils are not installed (.ci/run installs them)",
)


def to_pdf(content: bytes, tmp_path: Path, name: str = "book") -> Path:
    """The workbook as LibreOffice prints it (every sheet, its own page setup)."""
    source = tmp_path / f"{name}.xlsx"
    source.write_bytes(content)
    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTS_CONF.format(fonts=FONT_DIR, cache=tmp_path / "fc-cache"))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "FONTCONFIG_FILE": str(conf),
        "LANG": "ja_JP.UTF-8",
    }
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / f"{name}.pdf"
    assert pdf.exists(), "LibreOffice wrote no PDF"
    if keep := os.environ.get("KEEP_PRINTS"):  # a folder to look at the pages in (pdftoppm -png)
        shutil.copy(pdf, Path(keep) / pdf.name)
    return pdf


@dataclass
class Word:
    page: int
    page_height: float
    x: float
    y: float
    text: str


def words(pdf: Path) -> list[Word]:
    """Every word pdftotext finds, with its page and top-left corner (points)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, timeout=120).stdout
    xml = re.sub(rb"<!DOCTYPE[^>]*>", b"", out)
    root = ET.fromstring(xml)
    found = []
    for n, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), start=1):
        for w in page.iter("{http://www.w3.org/1999/xhtml}word"):
            found.append(Word(n, float(page.get("height")), float(w.get("xMin")), float(w.get("yMin")), w.text or ""))
    return found


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=60).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def columns_below_header(found: list[Word], headers: list[str], pages: range) -> list[str]:
    """The printed text of each table column, page after page, below the header row that every page repeats.
    A column starts where its header's first line starts; a word belongs to the column it starts in. The
    first column's header must print on one line (its cells then start the body)."""
    by_page: dict[int, list[Word]] = {}
    for w in found:
        if w.page in pages:
            by_page.setdefault(w.page, []).append(w)
    assert sorted(by_page) == list(pages), "a page holds no text"
    texts = [[] for _ in headers]
    firsts = [squash(h.split("\n")[0]) for h in headers]
    candidates = sorted((h.split("\n")[0] for h in headers if " " not in h.split("\n")[0]), key=len, reverse=True)
    for page, ws in sorted(by_page.items()):
        ws.sort(key=lambda w: (round(w.y, 1), w.x))
        # the header row: the longest header printed whole as one word
        anchor = next((w for c in candidates for w in ws if w.text == c), None)
        assert anchor is not None, f"page {page} has no header row"
        row = [w for w in ws if abs(w.y - anchor.y) < 2]
        lefts = []
        for first in firsts:
            match = [w for w in row if w.text == first] or [
                w for w in row if len(w.text) >= 2 and first.startswith(w.text) and w.text not in firsts
            ]
            assert match, f"page {page}: header {first} not found"
            lefts.append(min(w.x for w in match))
        assert lefts == sorted(lefts), f"page {page}: headers out of order"
        footer = anchor.page_height - FOOTER_BAND
        body = [w for w in ws if anchor.y + 2 < w.y < footer]
        first_cell = min((w.y for w in body if abs(w.x - lefts[0]) < 3), default=None)
        assert first_cell is not None, f"page {page} has a header and no rows"
        for w in body:
            if w.y >= first_cell - 1:
                texts[bisect.bisect_right(lefts, w.x + 1) - 1].append(w.text)
    return ["".join(t) for t in texts]
