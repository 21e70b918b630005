"""The CLI's image commands and the folder quickstart against the real app with the real engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PIL import Image, ImageOps

from faceprint.cli.commands import EXIT_OK, EXIT_PARTIAL
from tests.cli.conftest import Cli
from tests.client._apps import DAMON_2, NO_FACE, PHOTOS, Tenant, ThreadedServer

Server = tuple[ThreadedServer, Tenant]


def photo_folder(faces_dir: Path, dest: Path, *, with_no_face: bool = False) -> Path:
    """Temporary copies named by their key (copies in tmp_path only, never in the repository)."""
    dest.mkdir(parents=True)
    for key, file in PHOTOS.items():
        shutil.copyfile(faces_dir / file, dest / f"{key}{Path(file).suffix}")
    if with_no_face:
        shutil.copyfile(faces_dir / NO_FACE, dest / "coffee.png")
    (dest / "notes.txt").write_text("not a photo: left out of a folder")
    return dest


def test_detect_human_json_and_a_failed_item(cli: Cli, face_server: Server, faces_dir: Path,
                                             tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    one, none = faces_dir / PHOTOS["obama"], faces_dir / NO_FACE
    r = cli("detect", one, none, broken, "--json")
    assert r.rc == EXIT_PARTIAL
    images = r.json()["images"]
    assert [len(i["faces"]) for i in images] == [1, 0, 0]
    assert [i["result"]["code"] for i in images] == [0, 0, 3]
    human = cli("detect", one)
    assert human.rc == EXIT_OK
    assert f"{one}: 1 face" in human.out and "confidence" in human.out and "yaw" in human.out


def test_detect_draws_boxes_on_the_photo(cli: Cli, face_server: Server, faces_dir: Path, tmp_path: Path) -> None:
    src = faces_dir / PHOTOS["damon"]
    out = tmp_path / "drawn.png"
    r = cli("detect", src, "--draw", out, "--json")
    assert r.rc == EXIT_OK
    rect = r.json()["images"][0]["faces"][0]["rectangle"]
    with Image.open(src) as im:
        original = ImageOps.exif_transpose(im).convert("RGB")
    with Image.open(out) as drawn_im:
        drawn = drawn_im.convert("RGB")
    assert drawn.size == original.size
    # the box outline is drawn at the rectangle's left edge (first box colour: #00e676)
    x, y = rect["left"], rect["top"] + rect["height"] // 2
    assert drawn.getpixel((x, y)) == (0x00, 0xE6, 0x76) != original.getpixel((x, y))
    # far from the face the photo is unchanged
    assert drawn.getpixel((1, original.size[1] - 2)) == original.getpixel((1, original.size[1] - 2))


def test_compare_and_quality(cli: Cli, face_server: Server, faces_dir: Path) -> None:
    same = cli("compare", faces_dir / PHOTOS["damon"], faces_dir / DAMON_2, "--json").json()["score"]
    other = cli("compare", faces_dir / PHOTOS["damon"], faces_dir / PHOTOS["obama"], "--json").json()["score"]
    assert 0 <= other < same <= 1
    human = cli("compare", faces_dir / PHOTOS["damon"], faces_dir / DAMON_2, "--threshold", f"{other:.6f}")
    assert human.rc == EXIT_OK and "same person" in human.out
    q = cli("quality", faces_dir / PHOTOS["obama"])
    assert q.rc == EXIT_OK
    for field in ("angle.yaw", "quality.sharpness", "occlusion.occlusion_total", "optimal rotation"):
        assert field in q.out
    assert cli("quality", faces_dir / NO_FACE).rc == 3  # no face: invalid argument


def test_folder_quickstart_is_resumable_and_search_finds_each_photo(
    cli: Cli, face_server: Server, faces_dir: Path, tmp_path: Path
) -> None:
    folder = photo_folder(faces_dir, tmp_path / "photos", with_no_face=True)
    db = cli("db", "create", "foo", "--max-size", "1000", "--json").json()["db_id"]
    first = cli("features", "add", db, folder, "--key-from", "filename", "--batch-size", "4", "--json")
    assert first.rc == EXIT_PARTIAL  # the coffee photo has no face
    report = first.json()
    assert (report["added"], report["skipped"], report["failed"]) == (len(PHOTOS), 0, 1)
    by_name = {Path(f["path"]).stem: f for f in report["files"]}
    assert by_name["coffee"]["outcome"] == "failed" and by_name["coffee"]["internal_code"] == 1201
    assert all(by_name[k]["outcome"] == "added" and by_name[k]["key"] == k for k in PHOTOS)
    assert Path(report["journal"]).is_file()

    again = cli("features", "add", db, folder, "--key-from", "filename", "--progress")
    assert again.rc == EXIT_PARTIAL
    assert f"] {len(PHOTOS) + 1}/{len(PHOTOS) + 1} added 0 skipped {len(PHOTOS)} failed 1" in again.err
    verbs = [line.split()[0] for line in again.out.splitlines()]
    assert sorted(verbs) == ["failed"] + ["skipped"] * len(PHOTOS)
    assert f"0 added, {len(PHOTOS)} skipped, 1 failed" in again.err
    assert cli("db", "show", db, "--json").json()["size"] == len(PHOTOS)

    for key in PHOTOS:
        hits = cli("search", folder / f"{key}{Path(PHOTOS[key]).suffix}", "--db", db, "--top-k", "3",
                   "--json").json()["batches"][0]["features"]
        assert hits[0]["feature"]["key"] == key
    human = cli("search", faces_dir / DAMON_2, "--top-k", "1")  # no --db: every database of the app
    assert human.rc == EXIT_OK and "key damon" in human.out

    # per-feature commands; deleting a feature lets the next run add its photo again
    fid = by_name["obama"]["feature_id"]
    assert cli("features", "set-extra-info", db, fid, '{"name": "Barack"}').rc == EXIT_OK
    got = cli("features", "get", db, fid, "--json").json()["feature"]
    assert (got["key"], got["extra_info"]) == ("obama", '{"name": "Barack"}')
    assert cli("features", "delete", db, fid).rc == EXIT_OK
    third = cli("features", "add", db, folder, "--key-from", "filename", "--json").json()
    assert (third["added"], third["skipped"]) == (1, len(PHOTOS) - 1)


def test_the_same_photo_twice_in_one_run_is_added_once(
    cli: Cli, face_server: Server, faces_dir: Path, tmp_path: Path
) -> None:
    a = tmp_path / "a.jpg"
    b = tmp_path / "b.jpg"
    shutil.copyfile(faces_dir / PHOTOS["musk"], a)
    shutil.copyfile(faces_dir / PHOTOS["musk"], b)
    db = cli("db", "create", "dup", "--max-size", "10", "--json").json()["db_id"]
    r = cli("features", "add", db, a, b, "--key", "musk", "--no-journal", "--json")
    assert r.rc == EXIT_OK
    outcomes = [f["outcome"] for f in json.loads(r.out)["files"]]
    assert outcomes == ["added", "skipped"]
