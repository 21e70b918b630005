"""Binary encoding of feature rows for PostgreSQL and decoding of stored ``(id, descriptor)`` pairs.

Descriptors travel in pgvector's binary form (int16 dim, int16 unused = 0, dim big-endian float32). Writes
use PostgreSQL's binary COPY format: a 19-byte header, then per row an int16 field count and per field an
int32 length and the bytes, then an int16 -1 trailer. Reads fetch ``int8send(id) || vector_send(descriptor)``
per row: fixed-size records that numpy parses in bulk, without a Python call per row.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["COPY_HEADER", "COPY_TRAILER", "decode_id_vectors", "encode_feature_rows"]

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)


def _id_vec(dim: int) -> np.dtype[np.void]:
    """One ``int8send(id) || vector_send(descriptor)`` value of a ``dim``-value descriptor."""
    return np.dtype([("id", ">i8"), ("dim", ">i2"), ("unused", ">i2"), ("vec", ">f4", (dim,))])


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
    big = np.ascontiguousarray(vectors, dtype=">f4")
    big = big.reshape(len(ids), -1) if len(ids) else big.reshape(0, 0)
    dim = big.shape[1]
    vec_prefix = struct.pack(">i", 4 + 4 * dim) + struct.pack(">hh", dim, 0)
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
        parts.append(vec_prefix + big[i].tobytes())
    parts.append(COPY_TRAILER)
    return b"".join(parts)


def decode_id_vectors(buf: bytes) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Parses concatenated ``int8send(id) || vector_send(descriptor)`` values of one database (one dimension,
    read from the first value) into ``(ids int64 (n,), vectors float32 (n, dim))``."""
    if not buf:
        return np.empty(0, np.int64), np.empty((0, 0), np.float32)
    if len(buf) < 10:
        raise ValueError("truncated descriptor stream")
    dtype = _id_vec(struct.unpack(">h", buf[8:10])[0])
    if len(buf) % dtype.itemsize:
        raise ValueError("truncated descriptor stream (or descriptors of different dimensions)")
    recs = np.frombuffer(buf, dtype=dtype)
    if (recs["dim"] != dtype["vec"].shape[0]).any():
        raise ValueError("the stored descriptors of one database have different dimensions")
    return recs["id"].astype(np.int64), recs["vec"].astype(np.float32)
