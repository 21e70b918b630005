"""The console in real headless Chromium against the real service (real engine, real store, real signatures).

One browser for the module. The flow: sign in, create a database, add photos (three of ../shared/faces when
present, and scikit-image's astronaut always), see them listed, search with one and find its own key first,
edit an extra_info, delete the database; a wrong secret refused with the API's own message; a second app's
console not listing the first app's databases; the browser's signature equal to the server's.
Screenshots of each page: build/console-screenshots/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from faceprint.errors import FeatureNotFound
from tests.client._apps import PHOTOS, Tenant, ThreadedServer
from tests.conftest import _faces_dir
from tests.console.conftest import base_url, browser_required, console_errors, screenshot, sdk

try:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    if browser_required():
        raise
    pytest.skip("selenium is not installed (pip install -e '.[dev]')", allow_module_level=True)

WAIT = 60  # seconds: the engine shares two cores with other work

GUIDE_SECRET = "blFWSvhp9pRz2JnRHnfvkFeAuApClhKg"
GUIDE_DATE = "Fri, 09 Jul 2021 01:51:02 GMT"
GUIDE_PATH = "/openapi/face/v1/abc1a8a7-038f-4f9a-b98a-5b602978b135/detect"
GUIDE_SIGNATURE = "kUJ6OHiMMBZnxgSEa2ARxVAlgjC2kzjedZgxOz07i+Y="


def wait(browser: WebDriver, cond: Callable[[Any], Any], timeout: float = WAIT) -> Any:
    """``cond`` within ``timeout``; else fail with what the page shows (its errors, its text, a screenshot)."""
    try:
        return WebDriverWait(browser, timeout).until(cond)
    except TimeoutException:
        shot = screenshot(browser, "failure")
        main = browser.find_element(By.TAG_NAME, "main").text[-1500:]
        pytest.fail(f"timed out; errors shown: {errors_shown(browser)}; page: {main}; screenshot {shot}; "
                    f"console: {browser.get_log('browser')[-5:]}")


def css(browser: WebDriver, sel: str) -> WebElement:
    return browser.find_element(By.CSS_SELECTOR, sel)


def visible(browser: WebDriver, sel: str) -> WebElement:
    return wait(browser, ec.visibility_of_element_located((By.CSS_SELECTOR, sel)))


def errors_shown(browser: WebDriver) -> list[str]:
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#errors .error")]


def idle(browser: WebDriver) -> None:
    """Every call of the page answered (the busy marker hidden) and no error shown."""
    wait(browser, lambda b: not css(b, "#busy").is_displayed())
    assert errors_shown(browser) == []


def go(browser: WebDriver, page: str) -> None:
    browser.execute_script("location.hash = arguments[0]", f"#{page}")
    wait(browser, lambda b: b.execute_script("return document.body.dataset.ready") == page.split("/")[0])
    idle(browser)


def sign_in(browser: WebDriver, server: ThreadedServer, tenant: Tenant, secret: str | None = None,
            *, paste: bool = False) -> None:
    """Through the form's three fields, or (``paste``) the credentials JSON `faceprint serve` writes."""
    browser.get(f"{base_url(server)}/console/")
    wait(browser, lambda b: b.execute_script("return document.body.dataset.started") == "1")
    if css(browser, "#signout").is_displayed():  # signed in from an earlier test: sign out, the page reloads
        old = css(browser, "body")
        css(browser, "#signout").click()
        wait(browser, ec.staleness_of(old))
        wait(browser, lambda b: b.execute_script("return document.body.dataset.started") == "1")
        assert browser.execute_script("return sessionStorage.length") == 0
    visible(browser, "#signin-form")
    if paste:
        css(browser, "#page-signin summary").click()
        css(browser, "#signin-json").send_keys(json.dumps(
            {"endpoint": server.endpoint, "app_id": tenant.app_id, "access_key": tenant.access_key,
             "secret_key": tenant.secret if secret is None else secret}))
    else:
        for sel, value in (("#signin-app", tenant.app_id), ("#signin-ak", tenant.access_key),
                           ("#signin-sk", tenant.secret if secret is None else secret)):
            css(browser, sel).clear()
            css(browser, sel).send_keys(value)
    css(browser, "#signin-go").click()


def key_of(photo: Path) -> str:
    """The key the console gives a photo: its name without extension, '-' for what a key may not hold."""
    return photo.stem.replace("_", "-")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Scikit-image's astronaut (always), then three single-face photos of ../shared/faces when present."""
    from PIL import Image
    from skimage import data

    folder = tmp_path_factory.mktemp("upload")
    astronaut = folder / "astronaut.png"
    Image.fromarray(data.astronaut()).save(astronaut)
    faces = _faces_dir()
    extra = [faces / PHOTOS[k] for k in ("jolie", "damon", "obama")] if (faces / "labels.csv").is_file() else []
    return [astronaut, *extra]


def _no_face_png() -> str:
    """Scikit-image's coffee cup (no face), as base64 PNG."""
    import base64
    import io

    from PIL import Image
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.coffee()).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_browser_signature_equals_the_servers(browser: WebDriver, server: ThreadedServer) -> None:
    """The guide's worked example, signed in the page by WebCrypto and by the fallback SHA-256 of non-secure
    pages: both give the guide's signature, as faceprint.signing does."""
    browser.get(f"{base_url(server)}/console/")
    got = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        import('./sign.js').then(async (s) => {
          const text = s.signingString('POST', arguments[1], arguments[2]);
          done({text, webcrypto: await s.hmacSha256B64(arguments[0], text),
                fallback: await s.hmacSha256B64(arguments[0], text, {forceFallback: true}),
                long: await s.hmacSha256B64('k'.repeat(100), 'x'.repeat(1000), {forceFallback: true}),
                longWc: await s.hmacSha256B64('k'.repeat(100), 'x'.repeat(1000)),
                date: s.httpDate(Date.UTC(2021, 6, 9, 1, 51, 2))});
        }, (e) => done({error: String(e)}));""",
        GUIDE_SECRET, GUIDE_PATH, GUIDE_DATE)
    assert got.get("error") is None, got
    assert got["text"] == f"x-date: {GUIDE_DATE}\nPOST {GUIDE_PATH} HTTP/1.1"
    assert got["webcrypto"] == got["fallback"] == GUIDE_SIGNATURE
    assert got["long"] == got["longWc"]  # a key longer than the block, a message over many blocks
    assert got["date"] == GUIDE_DATE


def test_wrong_secret_is_refused_with_the_apis_message(
    browser: WebDriver, server: ThreadedServer, tenants: tuple[Tenant, Tenant]
) -> None:
    sign_in(browser, server, tenants[0], secret="not-the-secret-key")
    err = visible(browser, "#errors .error")
    assert "HMAC signature does not match" in err.text
    trace = css(browser, "#errors .trace-id").text
    assert len(trace) == 32
    assert "HTTP 401" in err.text
    assert css(browser, "#page-signin").is_displayed() and not css(browser, "#nav").is_displayed()
    assert browser.execute_script("return sessionStorage.length") == 0
    screenshot(browser, "0-sign-in-refused")


def test_console_flow(
    browser: WebDriver, server: ThreadedServer, tenants: tuple[Tenant, Tenant], photos: list[Path]
) -> None:
    first = tenants[0]
    api = sdk(server, first)
    sign_in(browser, server, first)
    wait(browser, lambda b: b.execute_script("return document.body.dataset.ready") == "databases")
    idle(browser)
    # the secret is kept in this tab's sessionStorage only: no cookie, not in the URL
    assert browser.get_cookies() == []
    assert first.secret not in browser.current_url

    # create a database
    css(browser, "#db-name").send_keys("console-test")
    css(browser, "#db-desc").send_keys("made by the browser test")
    max_size = css(browser, "#db-max")
    max_size.clear()
    max_size.send_keys("50")
    css(browser, "#db-create-go").click()
    row = visible(browser, "#db-table tr.fresh")
    db_id = row.get_attribute("data-db")
    assert db_id in api.list_databases().databases
    assert "0 / 50" in row.find_element(By.CSS_SELECTOR, ".db-size").text
    assert row.find_element(By.CSS_SELECTOR, ".db-name").text == "console-test"
    assert row.find_element(By.CSS_SELECTOR, ".db-created").text == api.get_database(db_id).created_at.replace(
        "T", " ").replace("Z", "")
    idle(browser)
    screenshot(browser, "1-databases")

    # add the photos
    go(browser, f"features/{db_id}")
    assert Select(css(browser, "#ft-db")).first_selected_option.get_attribute("value") == db_id
    css(browser, "#ft-files").send_keys("\n".join(str(p) for p in photos))
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#ft-queue tr.q-item")) == len(photos))
    info_in = browser.find_elements(By.CSS_SELECTOR, "#ft-queue .q-info")[0]
    info_in.send_keys('{"name": "astronaut"}')
    css(browser, "#ft-add").click()
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#ft-queue tr.ok")) == len(photos))
    idle(browser)
    assert css(browser, "#ft-progress").get_attribute("value") == str(len(photos))
    assert f"{len(photos)} added, 0 failed" in css(browser, "#ft-progress-text").text
    # a photo dropped on the drop zone (a real drag-and-drop event) without a face: its own error, with the code
    coffee = browser.execute_script(
        """const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'coffee.png', {type: 'image/png'}));
        document.querySelector('#drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true}));
        return dt.files.length;""", _no_face_png())
    assert coffee == 1
    wait(browser, lambda b: css(b, "#ft-add").text == "Add 1 photo(s)")
    css(browser, "#ft-add").click()
    failed = visible(browser, "#ft-queue tr.failed .error-inline")
    idle(browser)
    assert "internal_code 1201" in failed.text and "trace_id" in failed.text
    assert "0 added, 1 failed, of 1" in css(browser, "#ft-progress-text").text
    screenshot(browser, "2-features")

    # listed (from the service: GET databases/{db_id}/features), and each really in the database with its key
    keys = [key_of(p) for p in photos]
    rows = browser.find_elements(By.CSS_SELECTOR, "#ft-table tr[data-feature]")
    assert [r.get_attribute("data-key") for r in rows] == keys
    ids = {r.get_attribute("data-key"): r.get_attribute("data-feature") for r in rows}
    for key, fid in ids.items():
        assert api.get_feature(db_id, fid).feature.key == key
    assert api.get_database(db_id).size == len(photos)
    assert api.get_feature(db_id, ids["astronaut"]).feature.extra_info == '{"name": "astronaut"}'

    # a feature added by another client (the SDK) is found by its key too: the list is the service's
    other = api.add_features(db_id, [(str(photos[0]), "from-sdk", "")]).features[0].feature_id
    q = css(browser, "#ft-find-q")
    q.send_keys("from-sdk")
    css(browser, "#ft-find-go").click()
    assert visible(browser, f"#ft-found tr[data-feature='{other}']").get_attribute("data-key") == "from-sdk"
    idle(browser)
    # ... and deleted from the console, after a confirmation
    css(browser, f"#ft-found tr[data-feature='{other}'] .f-delete").click()
    visible(browser, "#confirm-yes").click()
    wait(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, f"tr[data-feature='{other}']"))
    idle(browser)
    with pytest.raises(FeatureNotFound):
        api.get_feature(db_id, other)
    q.clear()
    q.send_keys("no-such-key")
    css(browser, "#ft-find-go").click()
    visible(browser, "#ft-found .ft-none")
    idle(browser)

    # find by key and by feature_id
    probe = photos[-1]
    for query in (key_of(probe), ids[key_of(probe)]):
        q = css(browser, "#ft-find-q")
        q.clear()
        q.send_keys(query)
        css(browser, "#ft-find-go").click()
        found = visible(browser, f"#ft-found tr[data-feature='{ids[key_of(probe)]}']")
        assert found.get_attribute("data-key") == key_of(probe)
        idle(browser)

    # edit an extra_info in the list, read back through the API
    row = css(browser, f"#ft-table tr[data-feature='{ids[key_of(probe)]}']")
    field = row.find_element(By.CSS_SELECTOR, ".f-info")
    field.clear()
    field.send_keys('{"vip": true}')
    row.find_element(By.CSS_SELECTOR, ".f-save").click()
    wait(browser, lambda b: css(b, f"#ft-table tr[data-feature='{ids[key_of(probe)]}'] .f-status").text == "saved")
    assert api.get_feature(db_id, ids[key_of(probe)]).feature.extra_info == '{"vip": true}'

    # search with one of them: its own key first
    go(browser, "try/search")
    box = visible(browser, f"#s-dbs input[value='{db_id}']")
    if not box.is_selected():
        box.click()
    css(browser, "#s-file").send_keys(str(probe))
    css(browser, "#s-go").click()
    first_hit = visible(browser, f"#s-result .s-batch[data-db='{db_id}'] tr.s-hit")
    idle(browser)
    assert first_hit.find_element(By.CSS_SELECTOR, ".s-key").text == key_of(probe)
    assert float(first_hit.find_element(By.CSS_SELECTOR, ".s-score").text) > 0.97
    assert '{"vip": true}' in first_hit.text
    screenshot(browser, "5-try-search")

    # the other tools of "Try it", each on a real photo
    _try_detect_compare_quality(browser, photos)

    # service page: version, health and the request chart from /metrics
    go(browser, "service")
    assert css(browser, "#svc-ready").text.startswith("200")
    assert "faceprint" in css(browser, "#svc-info").text
    endpoints = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#svc-chart .svc-endpoint")]
    assert "POST databases/search" in endpoints
    screenshot(browser, "7-service")

    # delete the database, after a confirmation; cancel first
    go(browser, "databases")
    delete = f"#db-table tr[data-db='{db_id}'] .db-delete"
    css(browser, delete).click()
    visible(browser, "#confirm-no").click()
    idle(browser)
    assert db_id in api.list_databases().databases
    css(browser, delete).click()
    assert "console-test" in visible(browser, "#confirm-text").text
    screenshot(browser, "8-delete-confirmation")
    css(browser, "#confirm-yes").click()
    wait(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, f"#db-table tr[data-db='{db_id}']"))
    idle(browser)
    assert db_id not in api.list_databases().databases
    assert browser.execute_script("return localStorage.length") == 0  # the console keeps nothing there
    # nothing was loaded from anywhere but this server, and no script error or CSP violation happened
    origins = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => new URL(e.name).origin)")
    assert set(origins) <= {base_url(server)}
    assert console_errors(browser) == []


def _try_detect_compare_quality(browser: WebDriver, photos: list[Path]) -> None:
    astronaut = photos[0]
    go(browser, "try/detect")
    css(browser, "#det-file").send_keys(str(astronaut))
    count = visible(browser, "#det-faces .det-count")
    idle(browser)
    assert count.text == "1 face(s)"
    face = css(browser, "#det-faces .face")
    assert "FEMALE" in face.text
    # the box was drawn: the canvas holds the photo, and pixels of the box's colour
    assert int(css(browser, "#det-canvas").get_attribute("width")) == 512
    screenshot(browser, "3-try-detect")

    go(browser, "try/compare")
    css(browser, "#cmp-one").send_keys(str(astronaut))
    css(browser, "#cmp-another").send_keys(str(photos[-1]))
    css(browser, "#cmp-go").click()
    score = float(visible(browser, "#cmp-score").text)
    idle(browser)
    assert 0.0 <= score < 0.94 if len(photos) > 1 else score > 0.99
    ticks = browser.find_elements(By.CSS_SELECTOR, "#cmp-bar line")
    assert len(ticks) == 4  # the four documented thresholds of GET info
    screenshot(browser, "4-try-compare")

    go(browser, "try/quality")
    css(browser, "#q-file").send_keys(str(astronaut))
    rows = wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#q-table tr[data-field]"))
    idle(browser)
    assert len(rows) == 16
    assert "optimal_rotation_angle: 0" in css(browser, "#q-result .q-rotation").text
    screenshot(browser, "6-try-quality")


def test_an_app_sees_only_its_own_databases(
    browser: WebDriver, server: ThreadedServer, tenants: tuple[Tenant, Tenant]
) -> None:
    first, second = tenants
    theirs = sdk(server, first).create_database("first-app-only", max_size=10).db_id
    mine = sdk(server, second).create_database("second-app", max_size=10).db_id
    sign_in(browser, server, second, paste=True)
    wait(browser, lambda b: b.execute_script("return document.body.dataset.ready") == "databases")
    idle(browser)
    listed = [r.get_attribute("data-db") for r in browser.find_elements(By.CSS_SELECTOR, "#db-table tr[data-db]")]
    assert listed == [mine]
    assert theirs not in browser.page_source and "first-app-only" not in browser.page_source
