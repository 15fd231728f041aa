#!/usr/bin/python3
"""Write the fixtures for tests/test_probes_linear.c into OUTDIR/probes_linear/.

Usage: /usr/bin/python3 tests/fixtures_probes_linear.py OUTDIR

Every case NAME has its data NAME_X.npy (float32, or float64 for *64 cases)
and NAME_y.npy (int32 class ids) or NAME_t.npy (float64 ridge target), and
references computed in float64 on X.astype(float64):

    NAME_<tag>_w.npy (n_outputs, d), NAME_<tag>_b.npy (n_outputs,)

with tag
    mm              mass-mean: w = mu1 - mu0, b = -w.(mu0 + mu1)/2 (numpy)
    iid_lw, iid_s01, iid_s0
                    mass-mean IID, np.linalg.solve of
                    (1-s) Sw + s tr(Sw)/d I, Sw pooled within-class (n - 2),
                    s = ledoit_wolf_shrinkage(class-centered X), 0.1 or 0
    lda_auto, lda_s03, lda_none
                    LinearDiscriminantAnalysis(solver='lsqr', shrinkage=
                    'auto' / 0.3 / None): coef_, intercept_
    ridge_a1, ridge_a10, ridge_a1_noint
                    Ridge(alpha=1 / 10, fit_intercept=True / False)

The real datasets get a stratified 70/30 split (seed 0): REAL_Xtr, REAL_ytr,
REAL_Xte, REAL_yte (and REAL_ttr, REAL_tte for the ridge target), with the
numpy mass-mean and sklearn logistic test accuracies in REAL_acc.npy
[massmean, massmean_iid_lw, lda_auto, logistic] and, for the ridge target,
the sklearn Ridge(alpha=1) test R^2 in REAL_r2.npy. Everything is seeded:
the files are the same on every run.
"""
import os
import sys
import warnings

import numpy as np
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def save(out, name, a, dtype=np.float64):
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(a, dtype))


def activations(rng, n, d, k, sep, priors=None, scale_range=(0.05, 20.0)):
    """LLM-like activations: anisotropic per-dim scales, a few outlier dims
    with large offsets, correlated features, class means shifted along
    random directions. Returns X (float32) and y (int32)."""
    priors = np.full(k, 1.0 / k) if priors is None else np.asarray(priors)
    y = rng.choice(k, size=n, p=priors / priors.sum()).astype(np.int32)
    # every class at least 3 rows
    for c in range(k):
        if (y == c).sum() < 3:
            y[rng.choice(n, 3, replace=False)] = c
    scales = np.exp(rng.uniform(np.log(scale_range[0]), np.log(scale_range[1]), d))
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    Z = rng.standard_normal((n, d)) @ (np.eye(d) + 0.5 * mix)
    offsets = rng.normal(0, 1, d)
    outl = rng.choice(d, max(1, d // 16), replace=False)
    offsets[outl] = rng.uniform(30, 150, len(outl)) * rng.choice([-1, 1], len(outl))
    means = sep * rng.standard_normal((k, d))
    X = (Z + means[y]) * scales + offsets * scales.max()
    return X.astype(np.float32), y


def massmean_ref(X, y):
    mu0, mu1 = X[y == 0].mean(0), X[y == 1].mean(0)
    w = mu1 - mu0
    return w[None, :], np.array([-w @ (mu0 + mu1) / 2])


def iid_ref(X, y, s):
    mu = np.stack([X[y == c].mean(0) for c in (0, 1)])
    Xc = X - mu[y]
    n, d = X.shape
    if s is None:
        s = ledoit_wolf_shrinkage(Xc)
    Sw = Xc.T @ Xc / (n - 2)
    A = (1 - s) * Sw + s * np.trace(Sw) / d * np.eye(d)
    w = np.linalg.solve(A, mu[1] - mu[0])
    return w[None, :], np.array([-w @ (mu[0] + mu[1]) / 2])


def lda_ref(X, y, shrinkage):
    m = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=shrinkage).fit(X, y)
    return m.coef_, m.intercept_


def classification_case(out, name, X, y, tags):
    save(out, name + "_X", X, X.dtype)
    save(out, name + "_y", y, np.int32)
    X64 = X.astype(np.float64)
    for tag in tags:
        if tag == "mm":
            w, b = massmean_ref(X64, y)
        elif tag.startswith("iid"):
            w, b = iid_ref(X64, y, {"iid_lw": None, "iid_s01": 0.1, "iid_s0": 0.0}[tag])
        else:
            w, b = lda_ref(X64, y, {"lda_auto": "auto", "lda_s03": 0.3, "lda_none": None}[tag])
        save(out, f"{name}_{tag}_w", w)
        save(out, f"{name}_{tag}_b", np.atleast_1d(b))


def ridge_case(out, name, X, t):
    save(out, name + "_X", X, X.dtype)
    save(out, name + "_t", t)
    X64 = X.astype(np.float64)
    for tag, alpha, fi in (("ridge_a1", 1.0, True), ("ridge_a10", 10.0, True),
                           ("ridge_a1_noint", 1.0, False)):
        m = Ridge(alpha=alpha, fit_intercept=fi, solver="cholesky").fit(X64, t)
        save(out, f"{name}_{tag}_w", m.coef_[None, :])
        save(out, f"{name}_{tag}_b", np.atleast_1d(m.intercept_))


def accuracy(w, b, X, y):
    s = X @ w.T + b
    pred = (s[:, 0] > 0).astype(int) if s.shape[1] == 1 else s.argmax(1)
    return float((pred == y).mean())


def real_case(out, name, X, y, t=None):
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=0.3, random_state=0, stratify=y)
    tr.sort()
    te.sort()
    save(out, name + "_Xtr", X[tr], np.float32)
    save(out, name + "_Xte", X[te], np.float32)
    save(out, name + "_ytr", y[tr], np.int32)
    save(out, name + "_yte", y[te], np.int32)
    X64 = X.astype(np.float64)
    accs = [accuracy(*massmean_ref(X64[tr], y[tr]), X64[te], y[te]),
            accuracy(*iid_ref(X64[tr], y[tr], None), X64[te], y[te]),
            accuracy(*lda_ref(X64[tr], y[tr], "auto"), X64[te], y[te])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = LogisticRegression(C=1.0, max_iter=5000).fit(X64[tr], y[tr])
    accs.append(float(lr.score(X64[te], y[te])))
    save(out, name + "_acc", np.array(accs))
    w, b = lda_ref(X64[tr], y[tr], "auto")
    save(out, name + "_lda_auto_w", w)
    save(out, name + "_lda_auto_b", b)
    if t is not None:
        save(out, name + "_ttr", t[tr])
        save(out, name + "_tte", t[te])
        m = Ridge(alpha=1.0, solver="cholesky").fit(X64[tr], t[tr])
        save(out, name + "_ridge_a1_w", m.coef_[None, :])
        save(out, name + "_ridge_a1_b", np.atleast_1d(m.intercept_))
        save(out, name + "_r2", np.array([m.score(X64[te], t[te])]))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = os.path.join(sys.argv[1], "probes_linear")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240611)
    all_tags = ["mm", "iid_lw", "iid_s01", "iid_s0", "lda_auto", "lda_s03", "lda_none"]

    # binary, class 1 rare (20 %), anisotropic with outlier offsets
    X, y = activations(rng, 1200, 48, 2, 0.4, priors=[0.8, 0.2])
    classification_case(out, "bin", X, y, all_tags)
    # the same in float64
    classification_case(out, "bin64", X.astype(np.float64) + rng.normal(0, 1e-3, X.shape),
                        y, all_tags)
    # 3 classes, one of them rare (4 %)
    X, y = activations(rng, 1000, 32, 3, 0.5, priors=[0.56, 0.4, 0.04])
    classification_case(out, "k3", X, y, ["lda_auto", "lda_s03", "lda_none"])
    # 10 classes
    X, y = activations(rng, 2000, 64, 10, 0.3)
    classification_case(out, "k10", X, y, ["lda_auto", "lda_s03", "lda_none"])
    # fewer rows than features: shrinkage makes the covariance invertible
    X, y = activations(rng, 60, 150, 2, 0.5)
    classification_case(out, "wide", X, y, ["mm", "iid_lw", "iid_s01", "lda_auto", "lda_s03"])
    # constant feature columns (one at a large offset)
    X, y = activations(rng, 400, 24, 2, 0.5)
    X[:, 3] = 2.5
    X[:, 17] = -1234.5
    classification_case(out, "const", X, y, ["mm", "iid_lw", "iid_s01", "lda_auto", "lda_s03",
                                             "lda_none"])

    # ridge: n > d and d > n (dual), target linear in X plus noise
    for name, n, d in (("reg", 800, 40), ("regwide", 90, 300)):
        X, _ = activations(rng, n, d, 2, 0.0)
        beta = rng.standard_normal(d) / X.std(0)
        t = (X.astype(np.float64) - X.mean(0)) @ beta + 0.5 * rng.standard_normal(n) + 3.0
        ridge_case(out, name, X, t)

    # real data
    lt = os.path.join(REPO, "datasets", "larger_than")
    real_case(out, "larger_than", np.load(os.path.join(lt, "plain_layer3.npy")),
              np.load(os.path.join(lt, "labels.npy")))
    gl = os.path.join(REPO, "datasets", "glove", "afinn_sentiment")
    real_case(out, "afinn", np.load(os.path.join(gl, "X.npy")),
              np.load(os.path.join(gl, "labels.npy")),
              np.load(os.path.join(gl, "scores.npy")).astype(np.float64))


if __name__ == "__main__":
    main()
