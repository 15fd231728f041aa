"""The scikit-learn side of bench/logistic.sh, and its data generator.

    logistic_sklearn.py gen DIR N D          X_train/y_train/X_test/y_test .npy
    logistic_sklearn.py fit DIR              LogisticRegression(lbfgs), one fit
    logistic_sklearn.py cv DIR CS FOLDS      LogisticRegressionCV(Cs, cv)

fit/cv print one line of key=value pairs (seconds excludes loading).
The data look like transformer activations: a power-law spectrum in a
random basis, a few "massive activation" dimensions with large offsets and
variance, a planted label direction, and 5% label noise.
"""
import os
import sys
import time

import numpy as np


def gen(out, n, d, seed=0):
    rng = np.random.default_rng(seed)
    r = min(d, 512)
    basis = np.linalg.qr(rng.standard_normal((d, r)))[0].T.astype(np.float32)  # (r, d)
    scale = (np.arange(1, r + 1) ** -0.6).astype(np.float32) * 4.0
    offset = (0.2 * rng.standard_normal(d)).astype(np.float32)
    massive = rng.choice(d, 4, replace=False)
    offset[massive] = rng.uniform(20, 80, 4).astype(np.float32)
    u = rng.standard_normal(d).astype(np.float32)
    u /= np.linalg.norm(u)
    n_all = n + n // 4
    X = np.empty((n_all, d), np.float32)
    y = np.empty(n_all, np.int64)
    for i0 in range(0, n_all, 4096):
        m = min(4096, n_all - i0)
        lat = rng.standard_normal((m, r)).astype(np.float32) * scale
        x = lat @ basis + 0.05 * rng.standard_normal((m, d)).astype(np.float32)
        x[:, massive] *= 8.0
        s = x @ u
        x += offset
        p = 1 / (1 + np.exp(-(3.0 * s / 0.3)))
        yy = (rng.uniform(size=m) < p).astype(np.int64)
        flip = rng.uniform(size=m) < 0.05
        yy[flip] = 1 - yy[flip]
        X[i0:i0 + m] = x
        y[i0:i0 + m] = yy
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "X_train.npy"), X[:n])
    np.save(os.path.join(out, "y_train.npy"), y[:n])
    np.save(os.path.join(out, "X_test.npy"), X[n:])
    np.save(os.path.join(out, "y_test.npy"), y[n:])


def load(dir_):
    f = lambda s: np.load(os.path.join(dir_, s))
    return f("X_train.npy"), f("y_train.npy"), f("X_test.npy"), f("y_test.npy")


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    from threadpoolctl import threadpool_info
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    X, y, Xt, yt = load(sys.argv[2])
    core = ",".join(sorted({i.get("architecture", "?") for i in threadpool_info()
                            if i.get("internal_api") == "openblas"})) or "?"
    t = time.perf_counter()
    if cmd == "fit":
        m = LogisticRegression(C=float(os.environ.get("BENCH_C", "1.0")), solver="lbfgs",
                               max_iter=100000).fit(X, y)
        extra = "n_iter=%d" % m.n_iter_[0]
    else:
        # as users run it: defaults (lbfgs, tol 1e-4, max_iter 100)
        m = LogisticRegressionCV(Cs=int(sys.argv[3]), cv=int(sys.argv[4])).fit(X, y)
        extra = "C=%.6g n_iter_max=%d" % (m.C_[0], int(m.n_iter_.max()))
    sec = time.perf_counter() - t
    if cmd == "cv":
        extra += " max_iter_hit=%d" % int((m.n_iter_ >= 100).sum())
    print("seconds=%.4f test_accuracy=%.4f %s core=%s" % (sec, m.score(Xt, yt), extra, core))


if __name__ == "__main__":
    main()
