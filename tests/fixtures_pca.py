#!/usr/bin/python3
"""Write the PCA fixtures for tests/test_pca.c into OUTDIR/pca/.

Usage: /usr/bin/python3 tests/fixtures_pca.py OUTDIR

Each case NAME.npy (the data, as the C test loads it) comes with the
scikit-learn reference, computed in float64 with PCA(svd_solver='full') on
X.astype(float64):
    NAME_components.npy   (K, d)  sign rule of scikit-learn >= 1.5 applied
                                  here (Debian's 1.2 does not apply it)
    NAME_ev.npy, NAME_ratio.npy, NAME_sv.npy   (K,)
    NAME_mean.npy         (d,)
    NAME_proj.npy         (n, K)  (X - mean) components^T
    NAME_total.npy        ()      total variance (sum of feature variances)
with K = min(n, d, 30). Data are planted with a fixed seed, so the files are
the same on every run.
"""
import os
import shutil
import sys

import numpy as np
from sklearn.decomposition import PCA

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def sign_rule(comp):
    """scikit-learn >= 1.5: the largest-|v| entry of each row is positive."""
    idx = np.argmax(np.abs(comp), axis=1)
    signs = np.sign(comp[np.arange(comp.shape[0]), idx])
    signs[signs == 0] = 1
    return comp * signs[:, None]


def planted(rng, n, d, variances, noise):
    """n samples whose covariance has the given leading variances along
    random orthonormal directions, plus isotropic noise."""
    r = len(variances)
    basis, _ = np.linalg.qr(rng.standard_normal((d, r)))
    z = rng.standard_normal((n, r)) * np.sqrt(variances)
    return z @ basis.T + noise * rng.standard_normal((n, d))


def write_case(out, name, X):
    np.save(os.path.join(out, name + ".npy"), X)
    X64 = np.asarray(X, dtype=np.float64)
    n, d = X64.shape
    K = min(n, d, 30)
    ref = PCA(n_components=K, svd_solver="full").fit(X64)
    comp = sign_rule(ref.components_)
    mean = X64.mean(axis=0)
    total = X64.var(axis=0, ddof=1).sum()

    def save(suffix, a):
        np.save(os.path.join(out, f"{name}_{suffix}.npy"), np.ascontiguousarray(a, np.float64))

    save("components", comp)
    save("ev", ref.explained_variance_)
    save("ratio", ref.explained_variance_ratio_)
    save("sv", ref.singular_values_)
    save("mean", mean)
    save("proj", (X64 - mean) @ comp.T)
    save("total", np.array(total))


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "build/fixtures", "pca")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240611)

    # Anisotropic, like LLM activations: 24 planted directions with a clear
    # spectrum (geometric, 200 down to 5, then a gap to noise 0.01), and
    # two "massive activation" dimensions scaled x50 and offset +20.
    var = np.geomspace(200.0, 5.0, 24)
    X = planted(rng, 2000, 256, var, 0.1)
    for j in (7, 100):
        X[:, j] = X[:, j] * 50 + 20
    write_case(out, "aniso", X.astype(np.float32))
    write_case(out, "aniso64", X.astype(np.float64))

    # Fewer samples than features (n < d): rank-10 signal plus noise.
    W = planted(rng, 60, 300, np.geomspace(50.0, 2.0, 10), 0.05) + 3.0
    write_case(out, "wide", W.astype(np.float32))

    # Real activations from the demo dataset (layer 3 of the "larger than"
    # task): 1980 x 64 float32. Layer 0 is constant (every row the same).
    src = os.path.join(REPO, "datasets", "larger_than")
    write_case(out, "layer3", np.load(os.path.join(src, "plain_layer3.npy")))
    shutil.copyfile(os.path.join(src, "plain_layer0.npy"), os.path.join(out, "layer0.npy"))


if __name__ == "__main__":
    main()
