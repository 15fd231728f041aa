"""Check a `geoprobe info --json` report against numpy.

usage: python3 tests/check_info.py REPORT.json FILE.npy [FILE.npy ...]
Each FILE.npy is the float values the corresponding result should describe.
Exits non-zero with a message on the first mismatch.
"""
import hashlib
import json
import sys

import numpy as np

rep = json.load(open(sys.argv[1]))
for key in ("geoprobe_version", "command", "inputs", "params", "seconds", "blas"):
    assert key in rep, f"missing key {key}"
assert rep["command"] == "info"
results = rep["results"]
assert len(results) == len(sys.argv) - 2, "one result per input"
for res, inp, ref in zip(results, rep["inputs"], sys.argv[2:]):
    for key in ("path", "tensor", "shape", "dtype", "sha256"):
        assert key in inp, f"input lacks {key}"
    assert inp["sha256"] == hashlib.sha256(open(inp["path"], "rb").read()).hexdigest(), "sha256"
    X = np.load(ref).astype(np.float64)
    assert list(X.shape) == res["shape"], (X.shape, res["shape"])
    X = X.reshape(-1, X.shape[-1])
    fin = np.isfinite(X)
    assert res["nan_count"] == int(np.isnan(X).sum()), "nan_count"
    assert res["inf_count"] == int(np.isinf(X).sum()), "inf_count"
    if (~fin).any():
        r, c = np.argwhere(~fin)[0]
        assert res["first_nonfinite"] == [int(r), int(c)], res["first_nonfinite"]
    v = X[fin]
    assert np.isclose(res["min"], v.min()) and np.isclose(res["max"], v.max()), "min/max"
    assert np.isclose(res["mean"], v.mean(), rtol=1e-9, atol=1e-12), "mean"
    ok_rows = fin.all(axis=1)
    norms = np.linalg.norm(X[ok_rows], axis=1)
    assert np.isclose(res["mean_row_norm"], norms.mean(), rtol=1e-9), "mean_row_norm"
    assert np.isclose(res["max_row_norm"], norms.max(), rtol=1e-9), "max_row_norm"
    mabs = np.where(fin, np.abs(X), 0).sum(axis=0) / X.shape[0]
    top = np.argsort(-mabs, kind="stable")[: len(res["top_dims"])]
    assert [t["dim"] for t in res["top_dims"]] == top.tolist(), ("top_dims", res["top_dims"], top)
    assert np.isclose(res["median_dim_mean_abs"], np.median(mabs)), "median"
print("info report matches numpy:", ", ".join(sys.argv[2:]))
