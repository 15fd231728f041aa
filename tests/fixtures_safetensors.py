#!/usr/bin/python3
"""Write the .safetensors test fixtures into OUTDIR/safetensors/.

Run as: /usr/bin/python3 tests/fixtures_safetensors.py OUTDIR

The `safetensors` package is not installed here, so files are laid out by
hand the way the reference writer (safetensors 0.4) does it: an 8-byte
little-endian header length, compact JSON with "__metadata__" first and the
tensors ordered by dtype (widest first) then name, the header padded with
spaces so the data buffer starts at a multiple of 8, then the tensors'
bytes back to back in header order.

For every value tensor a raw little-endian float32 .bin holds the values a
loader must produce (gp_tensor_load(..., GP_DTYPE_F32)), so the C tests
compare bit for bit. Files named bad_*.safetensors are corrupt on purpose.
"""
import json
import os
import struct
import sys

import numpy as np

# Reference writer order: its Dtype enum, compared descending.
DTYPE_RANK = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32",
              "F32", "F64", "I64", "U64"]


def bf16_bits(x):
    """float32 -> bfloat16 bits, round to nearest even (as torch does)."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def raw_bytes(dtype, arr):
    if dtype == "BF16":
        return bf16_bits(arr).astype("<u2").tobytes()
    np_type = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8",
               "I32": "<i4", "BOOL": "|b1", "U8": "|u1"}[dtype]
    return np.ascontiguousarray(arr).astype(np_type).tobytes()


def header_bytes(header, pad=True):
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


def write_reference(path, tensors, metadata=None, pad=True):
    """tensors: {name: (DTYPE, numpy array)}; laid out as the reference does."""
    order = sorted(tensors, key=lambda n: (-DTYPE_RANK.index(tensors[n][0]), n))
    header, blobs, at = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in order:
        dtype, arr = tensors[name]
        b = raw_bytes(dtype, arr)
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    with open(path, "wb") as f:
        f.write(header_bytes(header, pad) + b"".join(blobs))
    return order


def write_raw(path, header_text, data=b"", length=None):
    """A file with exactly this header text (for malformed headers)."""
    h = header_text.encode() if isinstance(header_text, str) else header_text
    n = len(h) if length is None else length
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", n) + h + data)


def f32_bin(path, arr):
    np.ascontiguousarray(arr, dtype="<f4").tofile(path)


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "build/fixtures",
                       "safetensors")
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)  # noqa: E731
    rng = np.random.default_rng(260)

    # --- a model dump: hidden states per layer plus a few other dtypes ---
    hidden = rng.standard_normal((3, 4, 6)).astype(np.float32)
    layer0 = rng.standard_normal((4, 6)).astype(np.float32)
    layer12 = rng.standard_normal((4, 6)).astype(np.float32) * 3
    f16 = np.concatenate([rng.standard_normal(8), [65504.0, -0.0, 6e-8, np.inf]])
    f16 = f16.astype(np.float16).reshape(3, 4)
    # bf16: random values plus exact ties, so round-to-nearest-even shows.
    bf = rng.standard_normal(16).astype(np.float32)
    ties = np.array([0x3F808000, 0x3F818000, 0xBF808000, 0x3F80FFFF],
                    dtype=np.uint32).view(np.float32)
    bf = np.concatenate([bf, ties]).reshape(4, 5)
    f64 = rng.standard_normal((2, 3)) * 1e3
    i64 = np.array([[1, -2], [3, 1 << 20]], dtype=np.int64)
    i32 = np.array([7, -8, 9, 0, 123456], dtype=np.int32)
    mask = np.array([True, False, True, True])
    order = write_reference(p("model.safetensors"), {
        "model.layers.0": ("F32", layer0),
        "model.layers.12": ("F32", layer12),
        "hidden_states": ("F32", hidden),
        "f16": ("F16", f16),
        "bf16": ("BF16", bf),
        "f64": ("F64", f64),
        "i64": ("I64", i64),
        "i32": ("I32", i32),
        "mask": ("BOOL", mask),
    }, metadata={"format": "pt", "model": "stories260K"})
    assert order == ["i64", "f64", "hidden_states", "model.layers.0",
                     "model.layers.12", "i32", "bf16", "f16", "mask"], order
    f32_bin(p("model_layers_0.bin"), layer0)
    f32_bin(p("model_layers_12.bin"), layer12)
    f32_bin(p("hidden_states.bin"), hidden)
    f32_bin(p("hidden_states_1.bin"), hidden[1])
    f32_bin(p("f16.bin"), f16.astype(np.float32))
    f32_bin(p("bf16.bin"), (bf16_bits(bf).astype(np.uint32) << 16).view(np.float32))
    f32_bin(p("f64.bin"), f64.astype(np.float32))
    f32_bin(p("i64.bin"), i64.astype(np.float32))
    f32_bin(p("i32.bin"), i32.astype(np.float32))

    # --- one tensor, header not padded (older writers) ---
    acts = rng.standard_normal((5, 4)).astype(np.float32)
    write_reference(p("single.safetensors"), {"acts": ("F32", acts)}, pad=False)
    f32_bin(p("single.bin"), acts)

    # --- an F32 tensor at data offset 3: not 4-byte aligned in the file ---
    x = rng.standard_normal((2, 3)).astype(np.float32)
    xb = raw_bytes("F32", x)
    h = json.dumps({
        "a": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]},
        "x": {"dtype": "F32", "shape": [2, 3], "data_offsets": [3, 3 + len(xb)]},
    }, separators=(",", ":"))
    h += " " * (-len(h) % 8)  # data buffer 8-aligned, so x sits at 3 mod 8
    write_raw(p("misaligned.safetensors"), h, b"\x01\x02\x03" + xb)
    f32_bin(p("misaligned_x.bin"), x)

    # --- corrupt files ---
    def entry(dtype="F32", shape=(3, 4), offsets=(0, 48)):
        return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}

    def bad(name, hdr, data=b"\0" * 48, length=None):
        text = hdr if isinstance(hdr, (str, bytes)) else json.dumps(hdr)
        write_raw(p("bad_" + name + ".safetensors"), text, data, length)

    bad("header_len", {"x": entry()}, length=10_000)
    bad("truncated", {"x": entry()}, data=b"\0" * 20)
    bad("json", '{"x": {"dtype": "F32", "shape": [3, 4], ')
    bad("not_object", "[1, 2, 3]")
    bad("trailing", json.dumps({"x": entry()}) + " }")
    bad("utf8", b'{"x\xff": ' + json.dumps(entry()).encode() + b"}")
    bad("entry", {"x": 5})
    bad("no_dtype", {"x": {"shape": [3, 4], "data_offsets": [0, 48]}})
    bad("no_shape", {"x": {"dtype": "F32", "data_offsets": [0, 48]}})
    bad("no_offsets", {"x": {"dtype": "F32", "shape": [3, 4]}})
    bad("dtype", {"x": entry(dtype="F8_E4M3", offsets=(0, 12))})
    bad("overlap", {"x": entry(offsets=(0, 48)), "y": entry(shape=(2,), offsets=(40, 48))})
    bad("range", {"x": entry(offsets=(400, 448))})
    bad("end_before_begin", {"x": entry(offsets=(48, 0))})
    bad("span", {"x": entry(offsets=(0, 20))})
    bad("negative_dim", {"x": entry(shape=(-1, 4))})
    bad("fraction_dim", {"x": entry(shape=(1.5, 4))})
    bad("too_many_dims", {"x": entry(shape=(1,) * 9, offsets=(0, 4))})
    bad("overflow", {"x": entry(shape=(2**40, 2**40, 2**40), offsets=(0, 0))})
    bad("duplicate", '{"x": %s, "x": %s}' % (json.dumps(entry(shape=(3,), offsets=(0, 12))),
                                            json.dumps(entry(shape=(3,), offsets=(12, 24)))))
    bad("meta_value", {"__metadata__": {"format": "pt", "step": 3}, "x": entry()})
    bad("meta_type", {"__metadata__": ["pt"], "x": entry()})
    with open(p("bad_empty.safetensors"), "wb"):
        pass
    with open(p("bad_only_len.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 0))


if __name__ == "__main__":
    main()
