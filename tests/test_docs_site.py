"""Build the documentation site and load every page in headless Chromium.

Checks that each page renders its article, that every image on it loads, and that the browser
console reports no errors. Chromium and its driver come from the system packages that `.ci/run`
installs (``chromium``, ``chromium-driver``); outside CI the test skips when they are missing.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.slow


def _need_browser() -> None:
    if CHROMIUM and DRIVER:
        return
    if os.environ.get("CI"):
        pytest.fail("CI must provide chromium and chromedriver (.ci/run installs them)")
    pytest.skip("chromium/chromedriver not installed (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return out


def test_site_builds_with_every_page(site: Path) -> None:
    for page in ("index.html", "getting-started/index.html", "packages/spike-core/index.html"):
        assert (site / page).is_file(), page
    assert "spike_core.neurons" in (site / "api" / "spike_core" / "index.html").read_text()


def test_pages_render_in_chromium(site: Path) -> None:
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    pages = sorted(
        p.relative_to(site).as_posix() for p in site.rglob("index.html") if "assets" not in p.parts
    )
    images_seen = 0
    try:
        for page in pages:
            driver.get(f"http://127.0.0.1:{server.server_port}/{page}")
            assert driver.execute_script("return document.readyState") == "complete"
            assert driver.execute_script("return !!document.querySelector('article h1')"), page
            broken = driver.execute_script(
                "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                ".map(i => i.src)"
            )
            assert not broken, f"{page}: images failed to load: {broken}"
            images_seen += driver.execute_script("return document.images.length")
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert not errors, f"{page}: console errors {errors}"
    finally:
        driver.quit()
        server.shutdown()
    assert len(pages) >= 20
    assert images_seen >= 1, "no page shows a figure"
