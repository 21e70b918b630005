"""PostgreSQL binary COPY encoding of feature rows and decoding of ``(id, descriptor)`` streams.

Descriptors travel in pgvector's binary form (int16 dim, int16 unused = 0, dim big-endian float32), inside
PostgreSQL's binary COPY format: a 19-byte header, then per row an int16 field count and per field an int32
length and the bytes, then an int16 -1 trailer. Reading ``(id bigint, descriptor vector(128))`` rows yields
fixed-size records that numpy parses in bulk, without a Python call per row.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["COPY_HEADER", "COPY_TRAILER", "IdVectorReader", "encode_feature_rows"]

DIM = 128
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)

# One (id bigint, descriptor vector(128)) record of a binary COPY TO stream.
_RECORD = np.dtype(
    [
        ("nfields", ">i2"),
        ("id_len", ">i4"),
        ("id", ">i8"),
        ("vec_len", ">i4"),
        ("dim", ">i2"),
        ("unused", ">i2"),
        ("vec", ">f4", (DIM,)),
    ]
)
_VEC_HEADER = struct.pack(">hh", DIM, 0)
_VEC_FIELD_LEN = struct.pack(">i", 4 + 4 * DIM)


def _text(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">i", len(raw)) + raw


def encode_feature_rows(
    ids: Sequence[int],
    db_id: str,
    keys: Sequence[str],
    extra_infos: Sequence[str],
    model_version: str,
    created_at: float,
    version: int,
    vectors: npt.NDArray[np.float32],
) -> bytes:
    """The binary COPY payload (header to trailer) of rows for
    ``fp_features (id, db_id, key, extra_info, model_version, created_at, version, descriptor)``."""
    big = np.ascontiguousarray(vectors, dtype=">f4").reshape(-1, DIM)
    db = _text(db_id)
    mv = _text(model_version)
    tail = struct.pack(">id", 8, created_at) + struct.pack(">iq", 8, version)
    parts = [COPY_HEADER]
    for i, fid in enumerate(ids):
        parts.append(struct.pack(">hiq", 8, 8, fid))
        parts.append(db)
        parts.append(_text(keys[i]))
        parts.append(_text(extra_infos[i]))
        parts.append(mv)
        parts.append(tail)
        parts.append(_VEC_FIELD_LEN + _VEC_HEADER + big[i].tobytes())
    parts.append(COPY_TRAILER)
    return b"".join(parts)


class IdVectorReader:
    """Accumulates a binary ``COPY (SELECT id, descriptor ...) TO STDOUT`` stream chunk by chunk and hands
    back whole records as ``(ids int64 (n,), vectors float32 (n, 128))``."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._header_seen = False

    def feed(
        self, chunk: bytes | bytearray | memoryview
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        self._buf += chunk
        if not self._header_seen:
            if len(self._buf) < len(COPY_HEADER):
                return _empty()
            if bytes(self._buf[:11]) != COPY_HEADER[:11]:
                raise ValueError("not a PostgreSQL binary COPY stream")
            del self._buf[: len(COPY_HEADER)]
            self._header_seen = True
        n = len(self._buf) // _RECORD.itemsize
        if n == 0:
            return _empty()
        recs = np.frombuffer(self._buf, dtype=_RECORD, count=n)
        if (recs["nfields"] != 2).any() or (recs["dim"] != DIM).any():
            raise ValueError("unexpected record in the descriptor COPY stream")
        ids = recs["id"].astype(np.int64)
        vecs = recs["vec"].astype(np.float32)
        del recs
        del self._buf[: n * _RECORD.itemsize]
        return ids, vecs

    def finish(self) -> None:
        """Checks that only the trailer is left."""
        if self._header_seen and bytes(self._buf) not in (COPY_TRAILER, b""):
            raise ValueError(f"{len(self._buf)} unparsed bytes at the end of the descriptor COPY stream")


def _empty() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    return np.empty(0, dtype=np.int64), np.empty((0, DIM), dtype=np.float32)
