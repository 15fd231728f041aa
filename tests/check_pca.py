"""Check `geoprobe pca` outputs against scikit-learn (float64 oracle).

usage: python3 tests/check_pca.py REPORT.json X.npy COMPONENTS.npy PROJECT.npy [LABELS.npy]
"""
import json
import sys

import numpy as np
from sklearn.decomposition import PCA

rep = json.load(open(sys.argv[1]))
X = np.load(sys.argv[2]).astype(np.float64)
C = np.load(sys.argv[3])
P = np.load(sys.argv[4]).astype(np.float64)
k = rep["k"]
for key in ("n", "d", "k", "solver", "explained_variance", "explained_variance_ratio",
            "singular_values", "mean_norm", "geoprobe_version", "command", "inputs", "params", "seconds"):
    assert key in rep, f"missing key {key}"
assert rep["n"] == X.shape[0] and rep["d"] == X.shape[1]
ref = PCA(n_components=k, svd_solver="full").fit(X)
# scikit-learn >= 1.5 sign rule (Debian's 1.2 does not apply it).
comp = ref.components_.copy()
for i in range(k):
    if comp[i, np.argmax(np.abs(comp[i]))] < 0:
        comp[i] = -comp[i]
r = np.array(rep["explained_variance_ratio"])
top = min(k, 20)
rel = np.abs(r[:top] - ref.explained_variance_ratio_[:top]) / ref.explained_variance_ratio_[:top]
assert rel.max() < 1e-4, f"ratio rel err {rel.max()}"
assert np.allclose(rep["singular_values"][:top], ref.singular_values_[:top], rtol=1e-4)
assert np.isclose(rep["mean_norm"], np.linalg.norm(X.mean(axis=0)), rtol=1e-6)
assert C.shape == (k, X.shape[1])
ev = ref.explained_variance_
for i in range(top):
    gap = min(abs(ev[i] - ev[i - 1]) if i > 0 else np.inf, abs(ev[i] - ev[i + 1]) if i + 1 < len(ev) else np.inf)
    if gap / ev[0] < 1e-3:
        continue  # no eigengap: the component is not determined
    cos = C[i] @ comp[i]
    assert cos > 0.9999, f"component {i}: cos {cos}"
Pref = (X - X.mean(axis=0)) @ C.T
assert np.allclose(P, Pref, rtol=1e-3, atol=1e-3 * np.abs(Pref).max()), "projections"
if len(sys.argv) > 5:
    y = np.load(sys.argv[5])
    cls = rep["classes"]
    mu = X.mean(axis=0)
    for ci, name in enumerate(sorted(set(y.tolist()))):
        cent = (X[y == name].mean(axis=0) - mu) @ C.T
        assert np.allclose(cls["centroids"][ci], cent, rtol=1e-6, atol=1e-9), "centroids"
    between = sum((y == c).sum() * ((X[y == c].mean(axis=0) - mu) @ C.T) ** 2 for c in set(y.tolist()))
    tot = sum((y == c).sum() * np.sum((X[y == c].mean(axis=0) - mu) ** 2) for c in set(y.tolist()))
    assert np.allclose(cls["separation_share"], between / tot, atol=1e-9), "separation share"
print(f"pca report matches scikit-learn (k={k}, solver {rep['solver']}, max ratio rel err {rel.max():.2e})")
