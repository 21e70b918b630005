"""Fixtures of the console's browser tests: the real app (real engine, real store) served by uvicorn on a free
loopback port, driven by Debian's headless Chromium through chromedriver (selenium).

Without a browser the tests skip with the reason, unless ``FACEPRINT_TEST_BROWSER_REQUIRED=1`` (set by
``./run test`` in CI), where its absence fails them. Screenshots go to build/console-screenshots/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from faceprint.api import create_app
from faceprint.client import Client
from faceprint.settings import Settings
from faceprint.storage.base import FeatureStore
from tests.client._apps import Tenant, ThreadedServer, make_settings, make_tenant, open_test_store

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from faceprint.engine import Engine

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "build" / "console-screenshots"
_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_DRIVERS = ("chromedriver", "/usr/lib/chromium/chromedriver")


def _find(names: tuple[str, ...]) -> str | None:
    for n in names:
        found = shutil.which(n) or (n if os.path.isabs(n) and os.access(n, os.X_OK) else None)
        if found:
            return found
    return None


def browser_required() -> bool:
    """Set by ./run test under CI: a missing browser fails the tests instead of skipping them."""
    return os.environ.get("FACEPRINT_TEST_BROWSER_REQUIRED") == "1"


def _no_browser(reason: str) -> None:
    if browser_required():
        pytest.fail(f"FACEPRINT_TEST_BROWSER_REQUIRED=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium per test module (a fresh profile: no storage carried between modules)."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _no_browser("selenium is not installed (pip install -e '.[dev]')")
    binary, driver = _find(_BROWSERS), _find(_DRIVERS)
    if binary is None or driver is None:
        _no_browser("no chromium and chromedriver on this machine (Debian: apt-get install chromium "
                    "chromium-driver; ./run test installs them where it may)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        drv = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    except WebDriverException as e:
        _no_browser(f"chromium did not start: {e.msg}")
    drv.set_page_load_timeout(30)
    (SHOTS / "failure.png").unlink(missing_ok=True)
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def console_settings(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Settings:
    return make_settings(tmp_path_factory.mktemp("console"), model_dir)


@pytest.fixture(scope="module")
def console_store(console_settings: Settings) -> Iterator[FeatureStore]:
    s = open_test_store(console_settings)
    yield s
    s.close()


@pytest.fixture(scope="module")
def tenants(console_store: FeatureStore, console_settings: Settings) -> tuple[Tenant, Tenant]:
    """Two apps of one service: the console of each must see only its own data."""
    return (make_tenant(console_store, console_settings, name="first"),
            make_tenant(console_store, console_settings, name="second"))


@pytest.fixture(scope="module")
def server(console_settings: Settings, console_store: FeatureStore, engine: Engine) -> Iterator[ThreadedServer]:
    """The real app with the real engine, served on a free loopback port."""
    app = create_app(console_settings, engine=engine, store=console_store)
    with ThreadedServer(app) as srv:
        yield srv


def base_url(server: ThreadedServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def sdk(server: ThreadedServer, tenant: Tenant) -> Client:
    """The SDK over the same server: the test's independent view of what the console did."""
    return Client(server.endpoint, tenant.app_id, tenant.access_key, tenant.secret)


def screenshot(browser: WebDriver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    # the whole page, not only the window: the height of the document
    height = int(browser.execute_script("return document.documentElement.scrollHeight") or 1000)
    browser.set_window_size(1280, min(max(height + 120, 700), 4000))
    browser.save_screenshot(str(path))
    browser.set_window_size(1280, 1000)
    return path


def console_errors(browser: WebDriver) -> list[dict[str, Any]]:
    """The browser console's SEVERE entries other than the HTTP errors the tests provoke on purpose."""
    logs: list[dict[str, Any]] = browser.get_log("browser")
    return [e for e in logs if e.get("level") == "SEVERE" and "Failed to load resource" not in e.get("message", "")]
