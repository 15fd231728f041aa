"""Check a `geoprobe probe --test-frac 0` report against scikit-learn.

usage: python3 tests/check_probe.py REPORT.json METHOD X.npy Y.npy [C]
The probe trained on every row must equal scikit-learn's estimator fitted
on the same rows (weights by cosine > 0.9999 and 1e-3 relative norm).
"""
import json
import sys
import warnings

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression, Ridge

warnings.simplefilter("ignore")
rep = json.load(open(sys.argv[1]))
method = sys.argv[2]
X = np.load(sys.argv[3]).astype(np.float64)
y = np.load(sys.argv[4])
for key in ("method", "train", "test", "geoprobe_version", "command", "inputs", "params", "seconds"):
    assert key in rep, f"missing {key}"
assert rep["method"] == method
W = np.array(rep["weight"])
b = np.array(rep["bias"])
if method == "logistic":
    C = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
    # newton-cg, not lbfgs: on offset, anisotropic features scipy's L-BFGS
    # stops on its ftol with a gradient of ~1e-2 (checked), short of the optimum.
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=100000, solver="newton-cg").fit(X, y)
    RW, Rb = ref.coef_, ref.intercept_
elif method == "lda":
    ref = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(X, y)
    RW, Rb = ref.coef_, ref.intercept_
elif method == "ridge":
    ref = Ridge(alpha=1.0).fit(X, y)
    RW, Rb = ref.coef_[None, :], np.atleast_1d(ref.intercept_)
elif method == "massmean":
    RW = (X[y == 1].mean(0) - X[y == 0].mean(0))[None, :]
    Rb = None
assert W.shape == RW.shape, (W.shape, RW.shape)
for w, r in zip(W, RW):
    cos = w @ r / np.linalg.norm(w) / np.linalg.norm(r)
    assert cos > 0.9999, f"cosine {cos}"
    assert abs(np.linalg.norm(w) / np.linalg.norm(r) - 1) < 1e-3, "norm"
if Rb is not None:
    assert np.allclose(b, Rb, rtol=1e-3, atol=1e-3 * max(1, np.abs(Rb).max())), (b, Rb)
print(f"{method} probe matches scikit-learn")
