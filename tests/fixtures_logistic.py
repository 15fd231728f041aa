"""Fixtures for tests/test_logistic.c: data sets and scikit-learn references.

    /usr/bin/python3 tests/fixtures_logistic.py OUTDIR     writes OUTDIR/logistic/

Each case NAME has NAME_X.npy (train), NAME_y.npy (int32), NAME_Xt.npy /
NAME_yt.npy (held out), and the reference of LogisticRegression(C, tol=1e-8,
max_iter=10000): NAME_coef.npy (n_outputs, d) float64, NAME_intercept.npy,
NAME_C.npy (scalar), NAME_balanced.npy (0/1), NAME_pred.npy (held-out
predictions, int32). cv_*: LogisticRegressionCV(Cs=10, cv=5) on a case:
the grid, the chosen C, its held-out accuracy, and LogisticRegression's
coefficients at every grid value (cv_coefs (10, d), cv_intercepts (10,)).
"""
import os
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def save(out, name, **arrays):
    for k, v in arrays.items():
        np.save(os.path.join(out, "%s_%s.npy" % (name, k)), v)


def split(X, y, rng, frac=0.25):
    idx = rng.permutation(len(y))
    nt = int(len(y) * frac)
    te, tr = idx[:nt], idx[nt:]
    return X[tr], y[tr], X[te], y[te]


def case(out, name, X, y, C, balanced=False, rng=None):
    rng = rng or np.random.default_rng(1)
    Xtr, ytr, Xte, yte = split(X, y, rng)
    m = reference(Xtr.astype(np.float64), ytr, C, balanced)
    save(out, name, X=np.ascontiguousarray(Xtr), y=ytr.astype(np.int32),
         Xt=np.ascontiguousarray(Xte), yt=yte.astype(np.int32),
         coef=m.coef_.astype(np.float64), intercept=m.intercept_.astype(np.float64),
         C=np.float64(C), balanced=np.int32(balanced),
         pred=m.predict(Xte.astype(np.float64)).astype(np.int32))


def reference(X, y, C, balanced=False):
    """LogisticRegression(C, tol=1e-8) with a solver that reaches the optimum.

    The lbfgs solver stops on scipy's relative-decrease test (ftol 2.2e-9)
    long before tol=1e-8 on the gradient: on offset dimensions its gradient
    stays 1e-4 of the initial one. newton-cholesky (binary) and newton-cg
    (multinomial) stop on the gradient itself; the check below asserts it.
    """
    k = len(np.unique(y))
    m = LogisticRegression(C=C, tol=1e-8, max_iter=10000,
                           solver="newton-cholesky" if k == 2 else "newton-cg",
                           class_weight="balanced" if balanced else None)
    m.fit(X, y)
    # relative gradient of 0.5 |W|^2 + C sum s_i loss_i at the solution
    Y = np.eye(k)[y] if k > 2 else y[:, None].astype(float)
    Z = X @ m.coef_.T + m.intercept_
    P = np.exp(Z - Z.max(1, keepdims=True))
    P = P / P.sum(1, keepdims=True) if k > 2 else 1 / (1 + np.exp(-Z))
    s = np.ones(len(y))
    if balanced:
        s = len(y) / (k * np.bincount(y))[y]
    R = C * s[:, None] * (P - Y)
    g = np.abs(np.c_[m.coef_ + R.T @ X, R.sum(0)]).max()
    R0 = C * s[:, None] * ((np.full_like(P, 1.0 / k) if k > 2 else 0.5) - Y)
    g0 = np.abs(np.c_[R0.T @ X, R0.sum(0)]).max()
    assert g <= 1e-6 * g0, (g, g0)
    return m


def binary(rng, n, d, margin, noise, offset=0.0):
    w = rng.standard_normal(d)
    X = rng.standard_normal((n, d))
    z = X @ w / np.sqrt(d) * margin
    y = (z + noise * rng.standard_normal(n) > 0).astype(np.int32)
    return X + offset, y


def main():
    out = os.path.join(sys.argv[1], "logistic")
    os.makedirs(out, exist_ok=True)
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(20240601)

    X, y = binary(rng, 400, 20, 6.0, 0.1)
    case(out, "sep", X.astype(np.float32), y, 1.0)
    X, y = binary(rng, 600, 30, 2.0, 1.0)
    case(out, "noisy", X.astype(np.float32), y, 0.5)
    case(out, "noisy64", X.astype(np.float64), y, 0.5)
    case(out, "noisybig", X.astype(np.float32), y, 100.0)

    # ten classes, multinomial
    k, d, n = 10, 25, 800
    M = 1.5 * rng.standard_normal((k, d))
    yk = rng.integers(0, k, n).astype(np.int32)
    Xk = M[yk] + rng.standard_normal((n, d))
    case(out, "multi", Xk.astype(np.float32), yk, 1.0)

    # one class much rarer than the other, plain and balanced
    n, d = 600, 15
    yr = (rng.uniform(size=n) < 0.08).astype(np.int32)
    Xr = rng.standard_normal((n, d)) + 1.2 * yr[:, None] * (np.arange(d) < 3)
    case(out, "rare", Xr.astype(np.float32), yr, 1.0)
    case(out, "rarebal", Xr.astype(np.float32), yr, 1.0, balanced=True)

    # activations-like: a few dimensions with large offsets and scales
    n, d = 500, 40
    Xa, ya = binary(rng, n, d, 2.5, 0.5)
    scale = np.exp(rng.uniform(-2, 2, d))
    scale[:3] = [30, 60, 90]
    off = rng.standard_normal(d) * 5
    off[:3] = [200, -150, 400]
    case(out, "aniso", (Xa * scale + off).astype(np.float32), ya, 1.0)

    # more features than rows, binary and multinomial
    Xw, yw = binary(rng, 90, 200, 3.0, 0.3)
    case(out, "wide", Xw.astype(np.float32), yw, 1.0)
    yw3 = rng.integers(0, 3, 90).astype(np.int32)
    Xw3 = rng.standard_normal((90, 150)) + 0.8 * (yw3[:, None] == np.arange(150) % 3)
    case(out, "wide3", Xw3.astype(np.float32), yw3, 0.3)

    # real activations
    for name, xf, lf, C in [
            ("larger", "datasets/larger_than/plain_layer3.npy", "datasets/larger_than/labels.npy", 1.0),
            ("afinn", "datasets/glove/afinn_sentiment/X.npy", "datasets/glove/afinn_sentiment/labels.npy", 1.0)]:
        Xd = np.load(os.path.join(ROOT, xf)).astype(np.float32)
        yd = np.load(os.path.join(ROOT, lf)).astype(np.int32)
        case(out, name, Xd, yd, C)

    # cross-validated C on the noisy case
    Xtr = np.load(os.path.join(out, "noisy_X.npy")).astype(np.float64)
    ytr = np.load(os.path.join(out, "noisy_y.npy"))
    Xte = np.load(os.path.join(out, "noisy_Xt.npy")).astype(np.float64)
    yte = np.load(os.path.join(out, "noisy_yt.npy"))
    cv = LogisticRegressionCV(Cs=10, cv=5, tol=1e-8, max_iter=10000).fit(Xtr, ytr)
    coefs, ints = [], []
    for C in cv.Cs_:
        m = reference(Xtr, ytr, C)
        coefs.append(m.coef_[0])
        ints.append(m.intercept_[0])
    save(out, "cv", Cs=cv.Cs_.astype(np.float64), C=np.float64(cv.C_[0]),
         acc=np.float64(cv.score(Xte, yte)), coefs=np.array(coefs), intercepts=np.array(ints))

    # separable with a huge C: finite weights, no divergence
    Xs, ys = binary(rng, 200, 5, 50.0, 0.0)
    save(out, "hugeC", X=Xs.astype(np.float32), y=ys)


if __name__ == "__main__":
    main()
