"""The study report rendered by a real browser (Debian's chromium, headless).

CI installs chromium (.ci/run) and this test fails if it is missing there. Outside CI,
``CSCORE_NO_BROWSER=1`` limits the test to checks of the HTML text (say so in your notes).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from testkit import ROOT

from compassion_scales.cli import main

EXAMPLE = ROOT / "examples" / "responses.csv"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    r = CliRunner().invoke(main, ["report", str(EXAMPLE), "-i", "fcs", "--group", "group", "--time",
                                  "time", "--id", "pid", "-o", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    return out, r.output


def _run(browser: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-dev-shm-usage", "--hide-scrollbars", *args],
                          capture_output=True, text=True, timeout=timeout)


def _text(dom: str) -> str:
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", dom, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


KEY = [
    "Fears of Compassion Scales: study report", "300 rows from 150 people",
    "Internal consistency (first occasion)", "Scree plot with parallel analysis",
    "3 factor(s) suggested", "Confirmatory factor analysis of the declared model",
    "Group comparison", "Flows of compassion", "Reliable change from time = 1 to 2",
    "Unverified in the instrument file", "Gilbert, P., McEwan, K., Matos, M., & Rivis, A. (2011)",
]


@pytest.mark.slow
def test_report_renders_in_headless_chromium(built, tmp_path):
    html_path, _ = built
    html = html_path.read_text(encoding="utf-8")
    # self-contained: no external resources
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and "@media print" in html
    # the numbers printed in the page are the library's (alpha of each FCS scale)
    import compassion_scales as cs

    rel = cs.reliability(cs.read_responses(str(EXAMPLE)).query("time == '1'"), "fcs", n_boot=0)
    alphas = [f"{a:.2f}".lstrip("0") for a in rel.summary["alpha"]]
    browser = _chromium()
    if browser is None:
        if os.environ.get("CSCORE_NO_BROWSER") == "1" and not os.environ.get("CI"):
            text = _text(html)
            for k in KEY + alphas:
                assert k in text
            return
        pytest.fail("chromium is not installed: CI installs it with 'apt-get install -y chromium' "
                    "(.ci/run); locally install it too, or set CSCORE_NO_BROWSER=1 outside CI to "
                    "check the HTML text only.")
    url = html_path.resolve().as_uri()
    # one browser launch does all three (a launch costs ~4 s): print the DOM after scripts ran,
    # take a screenshot and print to PDF
    png, pdf = tmp_path / "report.png", tmp_path / "report.pdf"
    run = _run(browser, "--enable-logging=stderr", "--v=0", "--window-size=1200,2400",
               f"--screenshot={png}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
               "--dump-dom", url)
    assert run.returncode == 0, run.stderr[-2000:]
    console = [ln for ln in run.stderr.splitlines() if ":CONSOLE" in ln]
    assert console == [], "console messages: " + "\n".join(console)
    text = _text(run.stdout)
    for k in KEY + alphas:
        assert k in text, k
    assert text.count("Table ") >= 10
    assert png.stat().st_size > 50_000, run.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.exists(), run.stderr[-2000:]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 4, pages


def test_report_writes_provenance(built):
    # its speed is measured by benchmarks/bench_startup.py ("report"), not timed here
    html_path, output = built
    prov = html_path.with_name(html_path.name + ".provenance.json")
    assert prov.exists()
    assert "Wrote" in output and "sections" in output


def test_library_report_object(tmp_path):
    import compassion_scales as cs

    d = cs.read_responses(str(EXAMPLE))
    rep = cs.report(d[d["time"] == "1"], "fcs", n_boot=0)
    assert rep.html.startswith("<!DOCTYPE html>")
    assert "Change over time" not in rep.sections
    assert rep.key_numbers["n_rows"] == "150"
    assert rep.save(tmp_path / "r.html").read_text(encoding="utf-8") == rep.html
    assert "StudyReport(" in repr(rep)


def test_report_unknown_column_is_one_line_error(tmp_path):
    r = CliRunner().invoke(main, ["report", str(EXAMPLE), "-i", "fcs", "--group", "nope",
                                  "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 1
    assert r.output.strip().splitlines()[-1].startswith("Error: The group column 'nope' is not in the data")
