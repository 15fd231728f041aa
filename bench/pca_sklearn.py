#!/usr/bin/python3
"""The scikit-learn side of bench/pca.sh, plus data generation and scoring.

    pca_sklearn.py gen OUT.npy N D          float32 activations-like data
    pca_sklearn.py ref X.npy OUT.npy        exact float64 explained-variance
                                            ratios (numpy eigvalsh of the
                                            float64 covariance)
    pca_sklearn.py fit X.npy full|randomized K RATIOS_OUT.npy
                                            time one scikit-learn fit
    pca_sklearn.py err REF.npy RATIOS.npy K max relative error of the top K

Run with Debian's /usr/bin/python3 (numpy, scikit-learn 1.2). `fit` prints
one key=value line like bench/pca_geoprobe.c and loads X memory-mapped.
"""
import sys
import time

import numpy as np


def gen(path, n, d):
    """A decaying (power-law) spectrum along random directions, a few strong
    leading directions, and "massive activation" outlier dimensions with a
    large offset, as in LLM residual streams."""
    rng = np.random.default_rng(0)
    r = min(d, 1024)  # planted rank; the rest is isotropic noise
    lam = 1.0 / np.arange(1, r + 1) ** 1.1
    lam[:4] *= [8.0, 5.0, 3.0, 2.0]
    basis, _ = np.linalg.qr(rng.standard_normal((d, r)).astype(np.float32))
    X = np.empty((n, d), dtype=np.float32)
    step = 4096
    for i in range(0, n, step):
        m = min(step, n - i)
        z = rng.standard_normal((m, r), dtype=np.float32) * np.sqrt(lam).astype(np.float32)
        X[i:i + m] = z @ basis.T + np.float32(0.02) * rng.standard_normal((m, d), dtype=np.float32)
    for j in (7, 100, d // 2 + 3):
        X[:, j] = X[:, j] * 8 + 30
    np.save(path, X)


def ref(xpath, out):
    X = np.load(xpath, mmap_mode="r")
    n, d = X.shape
    mean = np.zeros(d)
    C = np.zeros((d, d))
    for i in range(0, n, 4096):
        mean += X[i:i + 4096].astype(np.float64).sum(axis=0)
    mean /= n
    for i in range(0, n, 4096):
        B = X[i:i + 4096].astype(np.float64) - mean
        C += B.T @ B
    ev = np.linalg.eigvalsh(C)[::-1].clip(min=0)
    np.save(out, ev / np.trace(C))


def fit(xpath, mode, k, out):
    from sklearn.decomposition import PCA
    try:
        from threadpoolctl import threadpool_info
        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        core = info[0].get("architecture", "?") if info else "?"
        threads = info[0].get("num_threads", "?") if info else "?"
    except Exception:  # threadpoolctl missing or too old
        core, threads = "?", "?"
    X = np.load(xpath, mmap_mode="r")
    if mode == "full":
        pca = PCA(svd_solver="full")
    else:
        pca = PCA(n_components=k, svd_solver="randomized", random_state=0)
    t = time.perf_counter()
    pca.fit(X)
    secs = time.perf_counter() - t
    np.save(out, pca.explained_variance_ratio_.astype(np.float64))
    print(f"solver=sklearn-{mode} k={len(pca.explained_variance_ratio_)} seconds={secs:.4f} "
          f"core={core} threads={threads}")


def err(refp, ratp, k):
    r = np.load(refp)[:k]
    g = np.load(ratp)[:k]
    print(f"{np.max(np.abs(g - r) / r):.3g}")


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "ref":
        ref(sys.argv[2], sys.argv[3])
    elif cmd == "fit":
        fit(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "err":
        err(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
