"""A small pool of model instances, so that concurrent requests do not queue on one interpreter.

LiteRT interpreters are not thread-safe; one per worker thread lets both cores infer at once. Instances
are made on first need, up to ``size``; a caller waits only when all are busy.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

__all__ = ["InstancePool"]

T = TypeVar("T")


class InstancePool(Generic[T]):
    """Up to ``size`` instances made by ``factory`` (default size: one per CPU core)."""

    def __init__(self, factory: Callable[[], T], size: int | None = None) -> None:
        self._factory = factory
        self._size = max(1, size or os.cpu_count() or 1)
        self._free: queue.LifoQueue[T] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()

    @contextmanager
    def get(self) -> Iterator[T]:
        """Borrow an instance for the duration of the ``with`` block."""
        try:
            item = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                make = self._made < self._size
                if make:
                    self._made += 1
            item = self._factory() if make else self._free.get()
        try:
            yield item
        finally:
            self._free.put(item)
