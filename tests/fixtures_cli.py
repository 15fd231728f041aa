"""Fixtures for tests/test_cli.sh: good and bad activation files.

usage: python3 tests/fixtures_cli.py OUTDIR   (writes OUTDIR/cli/)
"""
import json
import os
import struct
import sys

import numpy as np

out = os.path.join(sys.argv[1], "cli")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)


def path(name):
    return os.path.join(out, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def npy_bytes(arr):
    import io
    b = io.BytesIO()
    np.save(b, arr)
    return b.getvalue()


def safetensors_bytes(tensors, metadata=None, header_override=None):
    """tensors: list of (name, dtype_str, ndarray) in order."""
    header, blobs, off = {}, [], 0
    for name, dt, arr in tensors:
        raw = arr.tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = header_override if header_override is not None else json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


# Activations with outlier dimensions, like a real residual stream.
X = rng.standard_normal((300, 48)).astype(np.float32)
X[:, 7] *= 40
X[:, 31] += 15
np.save(path("acts.npy"), X)
np.save(path("acts_f16.npy"), X.astype(np.float16))
np.save(path("acts_f64.npy"), X.astype(np.float64))
bf = ((X.view(np.uint32) + 0x7FFF + ((X.view(np.uint32) >> 16) & 1)) >> 16).astype(np.uint16)
np.save(path("acts_bf16_u2.npy"), bf)
np.save(path("acts_bf16_ref.npy"), (bf.astype(np.uint32) << 16).view(np.float32))
np.save(path("acts_fortran.npy"), np.asfortranarray(X))
np.save(path("acts_be.npy"), X.astype(">f4"))
L3 = rng.standard_normal((4, 50, 16)).astype(np.float32)
np.save(path("layers.npy"), L3)
Xn = X.copy()
Xn[5, 9] = np.nan
Xn[100, 2] = np.inf
Xn[200, 0] = np.nan
np.save(path("acts_nan.npy"), Xn)
np.save(path("labels.npy"), (rng.random(300) > 0.4).astype(np.int32))
np.save(path("labels_short.npy"), np.zeros(299, dtype=np.int32))
with open(path("labels.txt"), "w") as f:
    f.write("\n".join(rng.choice(["paris", "berlin", "rome"], 300)) + "\n")

write("model.safetensors", safetensors_bytes(
    [("model.layers.0", "F32", X[:, :16].copy()), ("model.layers.1", "F16", X[:, 16:32].astype(np.float16)),
     ("hidden", "F32", L3)], metadata={"format": "pt", "model": "fixture"}))
write("single.safetensors", safetensors_bytes([("h", "F32", X)]))

# Bad inputs: one per failure the issue names.
write("empty.npy", b"")
good = npy_bytes(X)
write("trunc_header.npy", good[:20])
write("trunc_data.npy", good[: len(good) - 100])
hdr = b"{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }"
hdr += b" " * (-(len(hdr) + 11) % 64) + b"\n"
write("claims_more.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + b"\0" * 64)
hdr = b"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"
hdr += b" " * (-(len(hdr) + 11) % 64) + b"\n"
write("overflow.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + b"\0" * 64)
np.save(path("complex.npy"), np.zeros((3, 3), dtype=np.complex64))
st = safetensors_bytes([("a", "F32", X[:4])])
write("st_hlen.safetensors", struct.pack("<Q", 10 ** 9) + st[8:])
write("st_badjson.safetensors", safetensors_bytes([], header_override=b'{"a": {"dtype": "F32", "shape": [2,'))
write("st_overlap.safetensors", safetensors_bytes([], header_override=json.dumps({
    "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
    "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}).encode()) + b"\0" * 24)
write("st_range.safetensors", safetensors_bytes([], header_override=json.dumps({
    "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
    "b": {"dtype": "F32", "shape": [4], "data_offsets": [16, 32]}}).encode()) + b"\0" * 20)
write("st_dtype.safetensors", safetensors_bytes([], header_override=json.dumps({
    "a": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}).encode()) + b"\0" * 4)
os.makedirs(path("a_directory.npy"), exist_ok=True)

# Planted spectrum for PCA: a decaying spectrum with clear gaps, plus noise,
# a large mean offset and two outlier dimensions (as in LLM residual streams).
n, d = 600, 40
U = np.linalg.qr(rng.standard_normal((n, 12)))[0]
V = np.linalg.qr(rng.standard_normal((d, 12)))[0]
s = 40.0 * 0.7 ** np.arange(12)
P = (U * s) @ V.T + 0.05 * rng.standard_normal((n, d)) + 3.0
P[:, 5] += 20.0
np.save(path("planted.npy"), P.astype(np.float32))
np.save(path("planted_labels.npy"), (U[:, 1] > 0).astype(np.int32))
# Related layers for CKA: Y = X R + noise (R orthogonal), and an unrelated Z.
R = np.linalg.qr(rng.standard_normal((40, 40)))[0]
Y = P.astype(np.float64) @ R + rng.standard_normal((n, d))
np.save(path("planted_rot.npy"), Y.astype(np.float32))
np.save(path("unrelated.npy"), rng.standard_normal((n, 24)).astype(np.float32))
np.save(path("constant.npy"), np.tile(rng.standard_normal(40), (n, 1)).astype(np.float32))
np.save(path("dir_a.npy"), rng.standard_normal(40).astype(np.float32))
np.save(path("dir_b.npy"), rng.standard_normal(40).astype(np.float32))
np.save(path("dirs.npy"), rng.standard_normal((3, 40)).astype(np.float32))
np.save(path("dir_short.npy"), rng.standard_normal(39).astype(np.float32))

# Probes: binary and 3-class data with a planted direction, anisotropic
# scales and offsets; labels for the failure cases.
n, d = 500, 20
Xp = rng.standard_normal((n, d)) * np.linspace(0.5, 3.0, d) + 4.0
w_true = rng.standard_normal(d)
logit = (Xp - Xp.mean(0)) @ w_true / 3
yb = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int32)
np.save(path("probe_X.npy"), Xp.astype(np.float32))
np.save(path("probe_y.npy"), yb)
with open(path("probe_y_words.txt"), "w") as f:
    f.write("\n".join("yes" if v else "no" for v in yb) + "\n")
with open(path("probe_y_other.txt"), "w") as f:
    f.write("\n".join("true" if v else "false" for v in yb) + "\n")
y3 = np.digitize(logit, np.quantile(logit, [1 / 3, 2 / 3])).astype(np.int32)
np.save(path("probe_y3.npy"), y3)
np.save(path("probe_target.npy"), (logit + 0.3 * rng.standard_normal(n)).astype(np.float64))
np.save(path("probe_one_class.npy"), np.zeros(n, dtype=np.int32))
y1 = yb.copy()
y1[:] = 0
y1[:250] = 1
y1[7] = 2
np.save(path("probe_single.npy"), y1)

# Perfectly separable data, for the large-C warning.
Xs = rng.standard_normal((200, 50)).astype(np.float32)
np.save(path("sep_X.npy"), Xs)
np.save(path("sep_y.npy"), (Xs[:, 0] > 0).astype(np.int32))
