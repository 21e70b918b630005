"""What the service needs from a face engine: :class:`~faceprint.engine.engine.Engine` (in this process) and
:class:`~faceprint.engine.processes.EngineProcesses` (in worker processes) both are one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from faceprint.engine.types import Box, Face, ImageInput, ImageSource
from faceprint.errors import FaceprintError

if TYPE_CHECKING:
    from faceprint.engine.engine import Comparison, ImageFaces, QualityReport
    from faceprint.engine.recognizers.packs import PackSpec

__all__ = ["FaceEngine"]


@runtime_checkable
class FaceEngine(Protocol):
    """Detection, descriptors by recogniser pack, 1:1 comparison and the quality check. Thread-safe."""

    #: Every recogniser pack the engine can run, by name.
    packs: dict[str, PackSpec]
    #: The pack used when none is named.
    default_pack: str

    def detect(self, image: ImageSource, rectangle: Box | None = None, *, embed: bool = False,
               attributes: bool = True, packs: Sequence[str] | None = None) -> ImageFaces: ...

    def largest_face(self, image: ImageSource, rectangle: Box | None = None, *, embed: bool = True,
                     attributes: bool = True, packs: Sequence[str] | None = None) -> tuple[Face, ImageFaces]: ...

    def embed_many(self, images: Sequence[ImageInput], *, attributes: bool = True,
                   packs: Sequence[str] | None = None) -> list[tuple[Face, ImageFaces] | FaceprintError]: ...

    def compare(self, a: ImageSource, b: ImageSource, rect_a: Box | None = None, rect_b: Box | None = None,
                pack: str | None = None) -> Comparison: ...

    def quality(self, image: ImageSource, rectangle: Box | None = None) -> QualityReport: ...

    def close(self) -> None:
        """Releases what the engine holds (worker processes); the engine is not used after."""
        ...
