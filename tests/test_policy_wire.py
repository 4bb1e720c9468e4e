"""The openpi wire format, checked byte for byte against the published msgpack_numpy convention."""

import numpy as np
import pytest

pytest.importorskip("msgpack")

from skills.policies import wire  # noqa: E402


def _bin(b: bytes) -> bytes:
    return bytes([0xC4, len(b)]) + b  # msgpack bin 8


def test_array_encodes_as_the_tagged_map_openpi_uses():
    a = np.array([1.0, 2.0], dtype="<f4")
    expected = (b"\x84"  # a map of four entries, in this order:
                + _bin(b"__ndarray__") + b"\xc3"  # True
                + _bin(b"data") + _bin(a.tobytes())
                + _bin(b"dtype") + b"\xa3<f4"  # str "<f4"
                + _bin(b"shape") + b"\x91\x02")  # [2]
    assert wire.packb(a) == expected


def test_numpy_scalar_encodes_as_npgeneric():
    expected = b"\x83" + _bin(b"__npgeneric__") + b"\xc3" + _bin(b"data") + b"\x07" + _bin(b"dtype") + b"\xa3<i8"
    assert wire.packb(np.int64(7)) == expected


def test_decodes_known_bytes_and_str_keyed_tags():
    raw = (b"\x81\xa7actions" + b"\x84" + _bin(b"__ndarray__") + b"\xc3" + _bin(b"data")
           + _bin(np.arange(6, dtype="<f8").tobytes()) + _bin(b"dtype") + b"\xa3<f8" + _bin(b"shape") + b"\x92\x02\x03")
    out = wire.unpackb(raw)
    np.testing.assert_array_equal(out["actions"], np.arange(6.0).reshape(2, 3))
    # openpi's decoder also accepts the tags as str keys
    str_keyed = b"\x84\xab__ndarray__\xc3\xa4data" + _bin(b"\x01\x02") + b"\xa5dtype\xa3|u1\xa5shape\x91\x02"
    np.testing.assert_array_equal(wire.unpackb(str_keyed), np.array([1, 2], np.uint8))


def test_observation_round_trip_keeps_dtypes_and_shapes():
    obs = {"images": {"front": np.random.default_rng(0).integers(0, 255, (4, 5, 3), dtype=np.uint8)},
           "state": np.linspace(0, 1, 7, dtype=np.float32), "prompt": "put the red cup in the bin", "n": np.int32(3)}
    back = wire.unpackb(wire.packb(obs))
    assert back["prompt"] == obs["prompt"]
    assert back["images"]["front"].dtype == np.uint8 and back["images"]["front"].shape == (4, 5, 3)
    np.testing.assert_array_equal(back["images"]["front"], obs["images"]["front"])
    np.testing.assert_array_equal(back["state"], obs["state"])
    assert back["n"] == 3 and back["n"].dtype == np.int32


def test_object_and_complex_arrays_are_refused():
    with pytest.raises(ValueError):
        wire.packb(np.array([object()], dtype=object))
    with pytest.raises(ValueError):
        wire.packb(np.array([1j]))
