"""The engine in worker processes: the same calls as :class:`~faceprint.engine.Engine`, each run by one of
N spawned processes that hold their own models.

Why: much of a face's work is short numpy and Python steps (region statistics, the shape predictor's
trees, glue between the models) that hold the interpreter lock, so two threads of one process reach only
~1.45x of one thread on two cores (bench/load.py, enrolment). Processes do not share that lock.

Each worker builds one :class:`Engine` with one inference thread at start-up; arguments (base64 text,
rectangles) and results (faces with their descriptors and attributes) travel pickled, a few hundred KB
per image. Domain errors raised in a worker reach the caller unchanged. A worker that dies (killed, out of
memory) fails the calls it held with InternalError and the pool is rebuilt for the next call.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from faceprint.engine.engine import Comparison, Engine, ImageFaces, QualityReport
from faceprint.engine.models import ModelStore, load_manifest
from faceprint.engine.recognizers import PackSpec, load_packs, pack_file
from faceprint.engine.recognizers.packs import resolve_pack
from faceprint.engine.types import Box, Face, ImageInput, ImageSource
from faceprint.errors import FaceprintError, InternalError, ModelMissing
from faceprint.settings import Settings

__all__ = ["EngineProcesses"]

log = logging.getLogger(__name__)

#: The engine of this worker process (set by the pool's initializer).
_ENGINE: Engine | None = None


def _exit_with_parent(parent: int) -> None:
    """A worker whose service process is gone (killed with -9) exits too, rather than live on orphaned."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _start_worker(model_dir: str, min_face: int, max_image_bytes: int, max_image_pixels: int,
                  recognizer: str, max_decode_pixels: int | None) -> None:
    global _ENGINE
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _ENGINE = Engine(Path(model_dir), threads=1, min_face=min_face, max_image_bytes=max_image_bytes,
                     max_image_pixels=max_image_pixels, recognizer=recognizer,
                     max_decode_pixels=max_decode_pixels)


def _call(method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if _ENGINE is None:
        raise ModelMissing("The face engine of this worker process is not loaded.")
    return getattr(_ENGINE, method)(*args, **kwargs)


def _ready() -> bool:
    return _ENGINE is not None


class EngineProcesses:
    """``processes`` worker processes, each with its own :class:`Engine`; thread-safe.

    Construction waits until every worker has loaded the models (a few seconds) and raises ModelMissing
    when they cannot be loaded.
    """

    def __init__(self, settings: Settings, processes: int) -> None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, not {processes}")
        store = ModelStore(settings.model_dir)
        for entry in load_manifest():  # a missing or truncated file is named here, not in a broken pool
            store.path(entry.file)
        self.packs: dict[str, PackSpec] = load_packs(settings.model_dir)
        self.default_pack = resolve_pack(self.packs, settings.recognizer).name
        default = self.packs[self.default_pack]
        for name in default.members or [default.name]:
            pack_file(self.packs[name], settings.model_dir)
        self.processes = processes
        self._args = (str(settings.model_dir), settings.min_face, settings.max_image_bytes,
                      settings.max_image_pixels, settings.recognizer, settings.max_decode_pixels)
        self._lock = threading.Lock()
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=self._args)
        try:
            # as many calls as workers, submitted at once: each starts its own worker and waits for its models
            for f in [pool.submit(_ready) for _ in range(self.processes)]:
                f.result(timeout=300)
        except BrokenProcessPool:
            pool.shutdown(wait=False, cancel_futures=True)
            raise ModelMissing("The face engine's worker processes could not load the models.") from None
        return pool

    def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            pool = self._pool
        try:
            return pool.submit(_call, method, args, kwargs).result()
        except FaceprintError:
            raise
        except BrokenProcessPool:
            log.error("a face engine worker process died; restarting the workers")
            with self._lock:
                if self._pool is pool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._start()
            raise InternalError("A face engine worker process stopped while handling this image.") from None

    # -- the Engine's calls ----------------------------------------------------------------------
    def detect(self, image: ImageSource, rectangle: Box | None = None, *, embed: bool = False,
               attributes: bool = True, packs: Sequence[str] | None = None) -> ImageFaces:
        result: ImageFaces = self._run("detect", image, rectangle, embed=embed, attributes=attributes,
                                       packs=packs)
        return result

    def largest_face(self, image: ImageSource, rectangle: Box | None = None, *, embed: bool = True,
                     attributes: bool = True, packs: Sequence[str] | None = None) -> tuple[Face, ImageFaces]:
        result: tuple[Face, ImageFaces] = self._run("largest_face", image, rectangle, embed=embed,
                                                    attributes=attributes, packs=packs)
        return result

    def embed_many(self, images: Sequence[ImageInput], *, attributes: bool = True,
                   packs: Sequence[str] | None = None) -> list[tuple[Face, ImageFaces] | FaceprintError]:
        result: list[tuple[Face, ImageFaces] | FaceprintError] = self._run("embed_many", list(images),
                                                                          attributes=attributes, packs=packs)
        return result

    def compare(self, a: ImageSource, b: ImageSource, rect_a: Box | None = None,
                rect_b: Box | None = None, pack: str | None = None) -> Comparison:
        result: Comparison = self._run("compare", a, b, rect_a, rect_b, pack=pack)
        return result

    def quality(self, image: ImageSource, rectangle: Box | None = None) -> QualityReport:
        result: QualityReport = self._run("quality", image, rectangle)
        return result

    def close(self) -> None:
        """Stops the workers (waits for the calls in progress)."""
        with self._lock:
            self._pool.shutdown(wait=True, cancel_futures=True)
