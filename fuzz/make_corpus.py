#!/usr/bin/python3
"""Write the fuzzers' seed corpora: small valid files, one per feature the
readers handle (dtypes, byte orders, Fortran order, format versions, 3-D
dumps, metadata, every label format). Run from the repository root:

    /usr/bin/python3 fuzz/make_corpus.py        # rewrites fuzz/corpus/*

The files are committed; rerun only to change them. Each stays under 4 KB.
"""
import io
import json
import os
import struct
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(sub, name, data):
    d = os.path.join(ROOT, sub)
    os.makedirs(d, exist_ok=True)
    assert len(data) < 4096, (sub, name, len(data))
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy(arr, version=None):
    b = io.BytesIO()
    np.lib.format.write_array(b, arr, version=version, allow_pickle=False)
    return b.getvalue()


NULL_META = object()


def safetensors(tensors, meta=None):
    """tensors: list of (name, dtype string, shape, raw bytes)."""
    hdr, at = {}, 0
    if meta is NULL_META:
        hdr["__metadata__"] = None
    elif meta is not None:
        hdr["__metadata__"] = meta
    for name, dt, shape, raw in tensors:
        hdr[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [at, at + len(raw)]}
        at += len(raw)
    text = json.dumps(hdr, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)


def bf16_bits(a):
    return (np.asarray(a, np.float32).view(np.uint32) >> 16).astype(np.uint16)


def main():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4)).astype(np.float32)

    # --- .npy ---
    put("npy", "f4_2d.npy", npy(x))
    put("npy", "f4_3d.npy", npy(rng.standard_normal((2, 3, 4)).astype(np.float32)))
    put("npy", "f4_fortran.npy", npy(np.asfortranarray(x)))
    put("npy", "f4_v2.npy", npy(x, version=(2, 0)))
    put("npy", "f4_v3.npy", npy(x, version=(3, 0)))
    put("npy", "f4_scalar.npy", npy(np.float32(1.5)))
    put("npy", "f4_empty.npy", npy(np.zeros((0, 4), np.float32)))
    put("npy", "f4_nan.npy", npy(np.array([[1, np.nan], [np.inf, -0.0]], np.float32)))
    put("npy", "f8_be.npy", npy(x.astype(">f8")))
    put("npy", "f2_3d_fortran.npy", npy(np.asfortranarray(
        rng.standard_normal((2, 2, 3)).astype(np.float16))))
    put("npy", "bf16_v2.npy", npy(bf16_bits(x).view("V2")))
    put("npy", "bf16_u2.npy", npy(bf16_bits(x)))
    put("npy", "i8.npy", npy(np.arange(6, dtype=np.int64).reshape(2, 3)))
    put("npy", "u1_1d.npy", npy(np.arange(5, dtype=np.uint8)))
    put("npy", "bool.npy", npy(np.array([True, False, True])))

    # --- .safetensors ---
    put("safetensors", "one_f32.safetensors",
        safetensors([("x", "F32", (3, 4), x.tobytes())]))
    h = rng.standard_normal((2, 3, 4)).astype(np.float32)
    put("safetensors", "model.safetensors", safetensors([
        ("model.layers.0", "F16", (3, 4), x.astype(np.float16).tobytes()),
        ("model.layers.1", "BF16", (3, 4), bf16_bits(x).tobytes()),
        ("hidden", "F32", (2, 3, 4), h.tobytes()),
    ], meta={"format": "pt", "model": "fuzz"}))
    put("safetensors", "ints.safetensors", safetensors([
        ("ids", "I64", (4,), np.arange(4, dtype=np.int64).tobytes()),
        ("mask", "BOOL", (4,), np.array([1, 0, 1, 1], np.uint8).tobytes()),
        ("w", "F64", (2, 2), np.eye(2).tobytes()),
        ("empty", "F32", (0, 3), b""),
    ], meta={}))
    # A 0-d tensor, U16, and "__metadata__": null (allowed by the format).
    put("safetensors", "scalar_null_meta.safetensors", safetensors(
        [("s", "F32", (), np.float32(2.5).tobytes()),
         ("v", "U16", (3,), np.array([1, 2, 3], np.uint16).tobytes())], meta=NULL_META))

    # --- labels: first byte picks the reader (fuzz_labels.c) ---
    NPY, TXT, CSV, CSV_LABEL, CSV_1, JSON = (bytes([i]) for i in range(6))
    put("labels", "npy_int.bin", NPY + npy(np.array([0, 1, 1, 2, 0], np.int64)))
    put("labels", "npy_bool.bin", NPY + npy(np.array([[True], [False], [True]])))
    put("labels", "npy_f4.bin", NPY + npy(np.array([0.5, -1.0, 0.5], np.float32)))
    put("labels", "txt_words.bin", TXT + b"paris\nrome\nparis\n\n")
    put("labels", "txt_numbers.bin", TXT + b"\xef\xbb\xbf1\n0\n 2.5 \r\n1e3\n")
    put("labels", "csv_one.bin", CSV + b"label\nyes\nno\nyes\n")
    put("labels", "csv_named.bin", CSV_LABEL +
        b'id,label,text\n1,a,"he said ""hi"""\n2,b,"two\nlines"\n3,a,x\n')
    put("labels", "csv_index.bin", CSV_1 + b"a,b\n1,0\n2,1\n3,1\n")
    put("labels", "json_numbers.bin", JSON + b"[0, 1, 1, 2.5, -3]")
    put("labels", "json_mixed.bin", JSON + b'["cat", "dog", 1, true, "cat"]')
    put("labels", "json_bools.bin", JSON + b"[true, false, true]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
