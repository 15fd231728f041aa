#!/usr/bin/python3
"""Fixtures for the layer sweep (tests/test_cli_sweep.sh): a six-layer
"model" whose concept is planted with a known strength per layer.

    /usr/bin/python3 tests/fixtures_sweep.py OUTDIR      writes OUTDIR/sweep/

Everything is seeded: byte-identical files on every run.

Layer L of dataset D in {A, B} (float32, (n, d) with d = 24; n_A = 500, n_B = 400):
    D_layer{L}.npy       x = content + s_L (2y - 1) u_L / 2 + noise
    D_pos_layer{L}.npy   contrast pairs: x+ = content + "yes" offset
    D_neg_layer{L}.npy                   + s_L (2y - 1) u_L / 2 ... (truth
                         flips sign between the completions), + noise
    D_y.npy              (n,) int32 truth labels
with strengths s = (0, 0.6, 1.6, 3.2, 1.6, 0.8): layer 0 carries no signal
(the token-embedding baseline), layer 3 is the best layer. u_L, the planted
unit direction of layer L, turns slowly with L (consecutive layers' cosine
about 0.95); A and B share u_L but not their content distribution, so a
probe trained on A transfers to B.
    A_stack.npy          (6, n_A, d): the A layers stacked, for 'acts.npy@{L}'
    A.safetensors        tensors "layers.{L}.hidden" (n_A, d), for
                         'A.safetensors:layers.{L}.hidden'
    u.npy                (6, d) float64 the planted directions
    strengths.npy        (6,) float64
"""
import json
import os
import struct
import sys

import numpy as np

out = os.path.join(sys.argv[1], "sweep")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(2026)
d, L = 24, 6
S = np.array([0.0, 0.6, 1.6, 3.2, 1.6, 0.8])

u0 = rng.standard_normal(d)
v0 = rng.standard_normal(d)
U = []
for layer in range(L):
    u = u0 + 0.08 * layer * v0
    U.append(u / np.linalg.norm(u))
U = np.array(U)


def make(name, n, content_scale):
    y = rng.integers(0, 2, n).astype(np.int32)
    mix = rng.standard_normal((d, d)) * content_scale / np.sqrt(d)
    content = rng.standard_normal((n, d)) @ mix + rng.standard_normal(d) * 3
    yes, no = rng.standard_normal(d), rng.standard_normal(d)
    layers = []
    for layer in range(L):
        t = (S[layer] * (2 * y - 1) / 2)[:, None] * U[layer][None, :]
        drift = 0.2 * layer * content[:, ::-1]
        x = content + drift + t + 0.5 * rng.standard_normal((n, d))
        xp = content + drift + yes + t + 0.5 * rng.standard_normal((n, d))
        xn = content + drift + no - t + 0.5 * rng.standard_normal((n, d))
        for stem, arr in (("layer", x), ("pos_layer", xp), ("neg_layer", xn)):
            np.save(os.path.join(out, f"{name}_{stem}{layer}.npy"), arr.astype(np.float32))
        layers.append(x.astype(np.float32))
    np.save(os.path.join(out, f"{name}_y.npy"), y)
    return np.stack(layers)


A = make("A", 500, 2.0)
make("B", 400, 1.0)
np.save(os.path.join(out, "A_stack.npy"), A)
np.save(os.path.join(out, "u.npy"), U)
np.save(os.path.join(out, "strengths.npy"), S)

header, blobs, off = {}, [], 0
for layer in range(L):
    raw = np.ascontiguousarray(A[layer]).tobytes()
    header[f"layers.{layer}.hidden"] = {"dtype": "F32", "shape": list(A[layer].shape),
                                       "data_offsets": [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)
hb = json.dumps(header, separators=(",", ":")).encode()
hb += b" " * (-len(hb) % 8)
with open(os.path.join(out, "A.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
