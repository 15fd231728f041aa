#!/usr/bin/python3
"""Write the .npy fixtures for tests/test_npy.c into OUTDIR/npy/.

Usage: /usr/bin/python3 tests/fixtures_npy.py OUTDIR

Valid files come from numpy itself (np.save / np.lib.format.write_array), so
the C reader is checked against the reference writer. Each valid NAME.npy has
a NAME.bin beside it: the expected values as little-endian float32 in C
order, which the C test compares bit-exactly with gp_tensor_load(..., F32).
Bad files are hand-made, one defect each. Only numpy is used.
"""
import os
import struct
import sys

import numpy as np

MAGIC = b"\x93NUMPY"


def save(d, name, arr, expect=None, version=None):
    """np.save arr as NAME.npy and its expected float32 values as NAME.bin."""
    path = os.path.join(d, name + ".npy")
    if version is None:
        np.save(path, arr)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)
    if expect is None:
        expect = np.asarray(arr).astype("<f4")
    np.ascontiguousarray(expect, dtype="<f4").tofile(os.path.join(d, name + ".bin"))


def raw(d, name, header, data=b"", version=1, hlen=None):
    """A hand-written .npy: header text padded like numpy's (to 64 bytes)."""
    pre = 10 if version == 1 else 12
    h = header.encode("utf8") if isinstance(header, str) else header
    if hlen is None:
        pad = (-(pre + len(h) + 1)) % 64
        h = h + b" " * pad + b"\n"
        hlen = len(h)
    fmt = "<H" if version == 1 else "<I"
    blob = MAGIC + bytes([version, 0]) + struct.pack(fmt, hlen) + h + data
    with open(os.path.join(d, name + ".npy"), "wb") as f:
        f.write(blob)
    return blob


def bf16_bits(x):
    """bfloat16 bits of float32 values, rounded to nearest even (as PyTorch's
    .to(torch.bfloat16) and ml_dtypes do); NaN stays a quiet NaN."""
    u = np.asarray(x, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    nan = np.isnan(np.asarray(x, dtype=np.float32))
    rounded[nan] = (u[nan] >> 16) | 0x40
    return rounded.astype("<u2")


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "build/fixtures", "npy")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)

    # ---- valid files written by numpy ----
    a34 = (np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5) / 3
    save(out, "f4_2d", a34)
    save(out, "f4_1d", np.linspace(-1, 1, 5, dtype=np.float32))
    save(out, "f4_3d", rng.standard_normal((4, 3, 5)).astype(np.float32))
    save(out, "f4_fortran", np.asfortranarray(a34), expect=a34)
    save(out, "f4_be", a34.astype(">f4"), expect=a34)
    save(out, "f4_empty", np.zeros((0, 4), dtype=np.float32))
    save(out, "f4_scalar", np.array(2.5, dtype=np.float32))
    save(out, "f4_v2", a34, version=(2, 0))
    save(out, "f4_v3", a34, version=(3, 0))
    # float64 -> float32 rounds to nearest, as astype does.
    save(out, "f8", rng.standard_normal((4, 3)) * 1e3)
    save(out, "f8_be", (rng.standard_normal((2, 3)) * 7).astype(">f8"))
    specials = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, np.inf, -np.inf,
                         np.nan, 2.0**-24, 2.0**-14, 2.0**-24 * 3, 6.1e-5, 1 / 3.0,
                         1e-8, 1234.5], dtype=np.float16).reshape(2, 8)
    save(out, "f2_special", specials)
    save(out, "i4", np.array([-3, 0, 7, 2**31 - 1], dtype=np.int32))
    save(out, "i8", np.array([[-(2**40), 5], [0, 2**24]], dtype=np.int64))
    save(out, "i2", np.array([-32768, 1, 32767], dtype=np.int16))
    save(out, "i1", np.array([-128, 0, 127], dtype=np.int8))
    save(out, "u1", np.array([0, 1, 255], dtype=np.uint8))
    # uint16 is how bfloat16 leaves PyTorch without ml_dtypes
    # (t.view(torch.uint16).numpy()), so the loader reads its floats as
    # bfloat16 bits: 0x3f80 is 1.0.
    u2 = np.array([0x0000, 0x3F80, 0xC020], dtype=np.uint16)
    save(out, "u2", u2, expect=(u2.astype(np.uint32) << 16).view("<f4"))
    save(out, "u4", np.array([0, 2**32 - 1], dtype=np.uint32))
    save(out, "u8", np.array([0, 2**40], dtype=np.uint64))
    save(out, "bool", np.array([True, False, True, True], dtype=np.bool_))

    # bfloat16 as plain numpy sees ml_dtypes / PyTorch data: two opaque bytes.
    vals = np.array([[1.0, -2.0, 3.14159, 1e-3], [65504.0, -0.0, np.inf, np.nan],
                     [1e30, -1e-30, 0.1, 255.0]], dtype=np.float32)
    bits = bf16_bits(vals)
    want = (bits.astype(np.uint32) << 16).view("<f4")
    for name, descr in (("bf16", "|V2"), ("bf16_le", "<V2")):
        raw(out, name, "{'descr': '%s', 'fortran_order': False, 'shape': (3, 4), }" % descr,
            bits.tobytes())
        want.tofile(os.path.join(out, name + ".bin"))

    # Header spellings numpy's reader accepts: double quotes, no spaces, keys
    # in another order, no trailing comma; Python 2's "3L" longs.
    raw(out, "quirky", '{"shape":(3,4),"fortran_order":False,"descr":"<f4"}',
        a34.astype("<f4").tobytes())
    a34.astype("<f4").tofile(os.path.join(out, "quirky.bin"))
    raw(out, "py2long", "{'descr': '<f4', 'fortran_order': False, 'shape': (3L, 4L), }",
        a34.astype("<f4").tobytes())
    a34.astype("<f4").tofile(os.path.join(out, "py2long.bin"))
    # Trailing bytes after the data are ignored, as numpy ignores them.
    raw(out, "trailing", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }",
        a34.astype("<f4").tobytes() + b"extra")

    # ---- bad files ----
    hdr34 = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"
    open(os.path.join(out, "empty.npy"), "wb").close()
    with open(os.path.join(out, "five.npy"), "wb") as f:
        f.write(MAGIC[:5])
    with open(os.path.join(out, "short_preamble.npy"), "wb") as f:
        f.write(MAGIC + b"\x01\x00\x76")            # 9 bytes: half a length
    good = raw(out, "trunc_header", hdr34, a34.tobytes())
    with open(os.path.join(out, "trunc_header.npy"), "wb") as f:
        f.write(good[:30])                           # declares 118, has 20
    raw(out, "trunc_data", hdr34, a34.tobytes()[:20])
    # 2**20 x 2**20 float32 is 4 TiB: fits 64 bits, far more than the file.
    raw(out, "huge_shape", "{'descr': '<f4', 'fortran_order': False, "
        "'shape': (1048576, 1048576), }", b"\0" * 64)
    # 2**40 x 2**40 x 4 bytes = 2**82: the byte count overflows 64 bits.
    raw(out, "overflow", "{'descr': '<f4', 'fortran_order': False, "
        "'shape': (1099511627776, 1099511627776), }", b"\0" * 64)
    # One dimension that is itself past int64.
    raw(out, "dim_overflow", "{'descr': '<f4', 'fortran_order': False, "
        "'shape': (18446744073709551616,), }", b"\0" * 64)
    np.save(os.path.join(out, "c8.npy"), np.zeros(3, dtype=np.complex64))
    np.save(os.path.join(out, "structured.npy"),
            np.zeros(3, dtype=[("x", "<f4"), ("y", "<i4")]))
    np.save(os.path.join(out, "unicode.npy"), np.array(["hello", "a"]))
    np.save(os.path.join(out, "bytes.npy"), np.array([b"abc", b"d"]))
    np.save(os.path.join(out, "object.npy"), np.array([1, "a"], dtype=object),
            allow_pickle=True)
    raw(out, "f16_pipe", "{'descr': '|f4', 'fortran_order': False, 'shape': (3,), }",
        b"\0" * 12)
    blob = bytearray(raw(out, "version4", hdr34, a34.tobytes()))
    blob[6] = 4
    with open(os.path.join(out, "version4.npy"), "wb") as f:
        f.write(blob)
    raw(out, "garbage", "hello, this is not a dict", b"\0" * 48)
    raw(out, "negdim", "{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }",
        b"\0" * 48)
    raw(out, "missing_key", "{'descr': '<f4', 'shape': (3, 4), }", b"\0" * 48)
    raw(out, "extra_key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), "
        "'x': 1, }", b"\0" * 48)
    raw(out, "bad_fortran", "{'descr': '<f4', 'fortran_order': 0, 'shape': (3, 4), }",
        b"\0" * 48)
    raw(out, "unterminated", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4",
        b"")
    raw(out, "text_after", hdr34 + " xyz", a34.tobytes())
    np.save(os.path.join(out, "nine_dims.npy"), np.zeros((1,) * 9, dtype=np.float32))
    # Version 2.0 whose u32 header length claims far more than the file has.
    raw(out, "v2_huge_hlen", b"{}", version=2, hlen=0xFFFFFFF0)


if __name__ == "__main__":
    main()
