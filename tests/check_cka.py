"""Check a `geoprobe similarity` report against a direct numpy implementation.

usage: python3 tests/check_cka.py REPORT.json METRIC A.npy B.npy [C.npy ...]
METRIC: cka, cka_debiased or cosine (cosine inputs: 1-D or 2-D arrays of directions)
"""
import json
import sys

import numpy as np


def cka(X, Y):
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    K, L = X @ X.T, Y @ Y.T
    kl, kk, ll = np.sum(K * L), np.sum(K * K), np.sum(L * L)
    return 0.0 if kk == 0 or ll == 0 else kl / np.sqrt(kk * ll)


def hsic_u(K, L):
    n = K.shape[0]
    K = K.copy(); L = L.copy()
    np.fill_diagonal(K, 0); np.fill_diagonal(L, 0)
    one = np.ones(n)
    t = np.trace(K @ L) + (one @ K @ one) * (one @ L @ one) / ((n - 1) * (n - 2)) - 2 / (n - 2) * (one @ K @ L @ one)
    return t / (n * (n - 3))


def cka_debiased(X, Y):
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    K, L = X @ X.T, Y @ Y.T
    kk, ll = hsic_u(K, K), hsic_u(L, L)
    return 0.0 if kk <= 0 or ll <= 0 else hsic_u(K, L) / np.sqrt(kk * ll)


rep = json.load(open(sys.argv[1]))
metric = sys.argv[2]
arrs = [np.load(p).astype(np.float64) for p in sys.argv[3:]]
assert rep["metric"] == metric, (rep["metric"], metric)
if metric == "cosine":
    D = np.vstack([a.reshape(-1, a.shape[-1]) for a in arrs])
    nrm = np.linalg.norm(D, axis=1)
    ref = (D @ D.T) / np.outer(nrm, nrm)
else:
    f = cka if metric == "cka" else cka_debiased
    ref = np.array([[f(a, b) for b in arrs] for a in arrs])
got = np.array(rep["matrix"]) if "matrix" in rep else np.array([[1, rep["value"]], [rep["value"], 1]])
if "value" in rep:
    ref = ref[:2, :2]
    got[0, 0], got[1, 1] = ref[0, 0], ref[1, 1]
assert np.allclose(got, ref, rtol=1e-6, atol=1e-7), f"\n{got}\n{ref}"
print(f"{metric} report matches numpy ({ref.shape[0]} inputs)")
