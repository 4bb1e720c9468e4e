"""The openpi wire format: msgpack with numpy arrays as tagged maps.

An array travels as a map with binary keys, in this order:
    {b"__ndarray__": True, b"data": <raw bytes, C order>, b"dtype": "<f4" (dtype.str), b"shape": [..]}
and a numpy scalar as
    {b"__npgeneric__": True, b"data": <the Python value>, b"dtype": "<i8"}
Object, void and complex dtypes are refused (they would need pickle or have no portable form).
Strings are msgpack str, bytes are msgpack bin (msgpack's `use_bin_type`). Decoding accepts
the tags with str keys as well, as openpi's own decoder does.
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

_REFUSED_KINDS = ("V", "O", "c")


def _encode(obj: Any) -> Any:
    if isinstance(obj, (np.ndarray, np.generic)) and obj.dtype.kind in _REFUSED_KINDS:
        raise ValueError(f"cannot send an array of dtype {obj.dtype} over the policy protocol")
    if isinstance(obj, np.ndarray):
        return {b"__ndarray__": True, b"data": obj.tobytes(), b"dtype": obj.dtype.str, b"shape": obj.shape}
    if isinstance(obj, np.generic):
        return {b"__npgeneric__": True, b"data": obj.item(), b"dtype": obj.dtype.str}
    raise TypeError(f"cannot encode {type(obj).__name__} for the policy protocol")


def _decode(obj: dict) -> Any:
    for nd, gen, data, dtype, shape in ((b"__ndarray__", b"__npgeneric__", b"data", b"dtype", b"shape"),
                                        ("__ndarray__", "__npgeneric__", "data", "dtype", "shape")):
        if nd in obj:
            return np.ndarray(buffer=obj[data], dtype=np.dtype(obj[dtype]), shape=tuple(obj[shape]))
        if gen in obj:
            return np.dtype(obj[dtype]).type(obj[data])
    return obj


def packb(obj: Any) -> bytes:
    return msgpack.packb(obj, default=_encode, use_bin_type=True)


def unpackb(data: bytes) -> Any:
    return msgpack.unpackb(data, object_hook=_decode, raw=False)
