#!/usr/bin/python3
"""Write the fixtures for tests/test_geometry.c into OUTDIR/geometry/.

Usage: /usr/bin/python3 tests/fixtures_geometry.py OUTDIR

Activation pairs with planted structure (related layers Y = X R + noise with
an orthogonal R, independent layers, anisotropic data with a few
huge-magnitude dimensions and large offsets like real LLM activations, and
n < d), labeled two- and three-class data, and direction sets for the cosine
matrix. Every reference value is computed here by a direct float64 numpy
implementation: linear CKA from the n x n Gram matrices of the centered data,
debiased CKA with Song et al. (2012)'s unbiased HSIC on those Gram matrices.
Reference files are float64 .npy. Only numpy is used.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "datasets", "larger_than")


def gram(x):
    x = np.asarray(x, dtype=np.float64)
    xc = x - x.mean(axis=0)
    return xc @ xc.T


def center(K):
    """H K H with H = I - 11^T/n, without forming H."""
    r = K.mean(axis=0)
    return K - r[None, :] - r[:, None] + r.mean()


def hsic_biased(K, L):
    return np.sum(center(K) * center(L))


def hsic_unbiased(K, L):
    """Song et al. (2012), as in Kornblith et al. (2019)."""
    n = K.shape[0]
    Kt = K.copy()
    Lt = L.copy()
    np.fill_diagonal(Kt, 0)
    np.fill_diagonal(Lt, 0)
    # tr(K~ L~) = sum(K~ * L~) and 1^T K~ L~ 1 = (K~ 1).(L~ 1): both are
    # symmetric, so no n^3 product is needed.
    rk, rl = Kt.sum(axis=1), Lt.sum(axis=1)
    t = np.sum(Kt * Lt)
    t += rk.sum() * rl.sum() / ((n - 1) * (n - 2))
    t -= 2.0 / (n - 2) * rk.dot(rl)
    return t / (n * (n - 3))


def cka_ref(x, y):
    K, L = gram(x), gram(y)
    b = hsic_biased(K, L) / np.sqrt(hsic_biased(K, K) * hsic_biased(L, L))
    d = np.nan
    if K.shape[0] >= 4:
        d = hsic_unbiased(K, L) / np.sqrt(hsic_unbiased(K, K) * hsic_unbiased(L, L))
    return np.array([b, d])


def cka_feature(x, y, debiased):
    """Kornblith et al.'s feature-space form: a self-check of the Gram oracle
    and of the derivation the C code uses."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    x = x - x.mean(0)
    y = y - y.mean(0)
    n = x.shape[0]

    def h(f, k, l):
        if not debiased:
            return f
        return f - n / (n - 2.0) * k.dot(l) + k.sum() * l.sum() / ((n - 1) * (n - 2))

    kx, ky = np.sum(x * x, 1), np.sum(y * y, 1)
    hxy = h(np.linalg.norm(x.T @ y) ** 2, kx, ky)
    hxx = h(np.linalg.norm(x.T @ x) ** 2, kx, kx)
    hyy = h(np.linalg.norm(y.T @ y) ** 2, ky, ky)
    return hxy / np.sqrt(hxx * hyy)


def orth(rng, a, b):
    """a x b with orthonormal rows (a <= b) or columns (a >= b)."""
    q, _ = np.linalg.qr(rng.standard_normal((max(a, b), min(a, b))))
    return q if a >= b else q.T


def cka_pair(out, name, x, y):
    np.save(os.path.join(out, name + "_x.npy"), x)
    np.save(os.path.join(out, name + "_y.npy"), y)
    ref = cka_ref(x, y)
    assert abs(ref[0] - cka_feature(x, y, False)) < 1e-9 * max(1.0, abs(ref[0])), name
    if x.shape[0] >= 4:
        assert abs(ref[1] - cka_feature(x, y, True)) < 1e-8, name
        # HSIC_u ignores centering: the raw Gram matrices give the same value.
        xr = np.asarray(x, np.float64)
        yr = np.asarray(y, np.float64)
        if np.abs(xr.mean(0)).max() < 10 and np.abs(yr.mean(0)).max() < 10:
            K, L = xr @ xr.T, yr @ yr.T
            raw = hsic_unbiased(K, L) / np.sqrt(hsic_unbiased(K, K) * hsic_unbiased(L, L))
            assert abs(raw - ref[1]) < 1e-7, (name, raw, ref[1])
    np.save(os.path.join(out, name + "_ref.npy"), ref)


def class_sep_ref(x, ids, k):
    x = np.asarray(x, np.float64)
    n = x.shape[0]
    g = x.mean(0)
    mu = np.stack([x[ids == c].mean(0) for c in range(k)])
    cnt = np.array([(ids == c).sum() for c in range(k)])
    total = np.sum((x - g) ** 2)
    between = np.sum(cnt * np.sum((mu - g) ** 2, 1))
    pairs = [np.linalg.norm(mu[b] - mu[a]) for a in range(k) for b in range(a + 1, k)]
    md = float(np.mean(pairs))
    ws = fisher = mdf = 0.0
    if k == 2:
        u = (mu[1] - mu[0]) / md
        proj = x @ u
        ws = np.sqrt(np.sum((proj - (mu @ u)[ids]) ** 2) / (n - k))
        fisher = (md / ws) ** 2
        mdf = np.sum((proj - g @ u) ** 2) / total
    return np.array([md, ws, fisher, between / total, mdf])


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "build/fixtures", "geometry")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240613)
    f32 = np.float32

    # Related layers: Y = X R + noise, R orthogonal; offsets in the means.
    x = rng.standard_normal((2000, 64)) * rng.uniform(0.5, 2.0, 64) + rng.normal(0, 3, 64)
    r = orth(rng, 64, 64)
    y = x @ r + 0.5 * rng.standard_normal((2000, 64))
    cka_pair(out, "related", x.astype(f32), y.astype(f32))
    # The same X after another orthogonal map and an isotropic scale, for the
    # invariance tests (float32 rounding of the stored copy is ~1e-7).
    q = orth(rng, 64, 64)
    np.save(os.path.join(out, "related_xq.npy"), (3.5 * (x @ q)).astype(f32))
    # Different widths: R with orthonormal rows (64 -> 96).
    r2 = orth(rng, 64, 96)
    y2 = np.tanh(0.3 * (x @ r2)) + 0.2 * rng.standard_normal((2000, 96))
    cka_pair(out, "wide", x.astype(f32), y2.astype(f32))
    # Independent layers.
    cka_pair(out, "indep", rng.standard_normal((2000, 64)).astype(f32),
             rng.standard_normal((2000, 32)).astype(f32))
    # Anisotropic: a few dimensions ~1000x the rest, large offsets.
    xa = rng.standard_normal((3000, 128))
    xa[:, :3] *= 800.0
    xa += 50.0
    xa[:, 5] += 2000.0
    ya = xa @ orth(rng, 128, 128) + 100.0 * rng.standard_normal((3000, 128))
    ya[:, 7] = 1500.0 + 0.01 * rng.standard_normal(3000)
    cka_pair(out, "aniso", xa.astype(f32), ya.astype(f32))
    # n < d: the Gram path.
    xs = rng.standard_normal((60, 300)) + 1.0
    ys = xs[:, :200] @ orth(rng, 200, 200) + 0.7 * rng.standard_normal((60, 200))
    cka_pair(out, "small_n", xs.astype(f32), ys.astype(f32))
    # min(d) < n <= max(d): the Gram path too.
    xm = rng.standard_normal((200, 100))
    ym = np.concatenate([xm, rng.standard_normal((200, 200))], 1) @ orth(rng, 300, 300)
    cka_pair(out, "mid_n", xm.astype(f32), ym.astype(f32))
    # float64 inputs.
    x8 = rng.standard_normal((500, 40))
    cka_pair(out, "f64", x8, x8 @ orth(rng, 40, 40) + rng.standard_normal((500, 40)))
    # Tiny n: 5 rows of 3 features (feature path; debiased needs n >= 4).
    xt = rng.standard_normal((5, 3))
    cka_pair(out, "tiny", xt.astype(f32), (xt + 0.5 * rng.standard_normal((5, 3))).astype(f32))

    # The demo dataset: layer 2 vs layer 3 (layer 0 is constant).
    demo = os.path.abspath(DEMO)
    l2 = np.load(os.path.join(demo, "plain_layer2.npy"))
    l3 = np.load(os.path.join(demo, "plain_layer3.npy"))
    assert np.ptp(np.load(os.path.join(demo, "plain_layer0.npy")), axis=0).max() == 0
    np.save(os.path.join(out, "demo_l2_l3_ref.npy"), cka_ref(l2, l3))
    with open(os.path.join(out, "demo_dir.txt"), "w") as f:
        f.write(demo + "\n")

    # Cosine: a zero row, a negated and scaled row, a tiny row.
    a = rng.standard_normal((10, 50)).astype(f32)
    a[3] = 0
    a[5] = -2.5 * a[1]
    a[7] = 1e-3 * a[2]
    a64 = a.astype(np.float64)
    nrm = np.linalg.norm(a64, axis=1)
    safe = np.where(nrm > 0, nrm, 1.0)
    u = a64 / safe[:, None]
    cos = u @ u.T
    np.fill_diagonal(cos, (nrm > 0).astype(np.float64))
    np.save(os.path.join(out, "cos_a.npy"), a)
    np.save(os.path.join(out, "cos_a_big.npy"), a64 * 1e300)  # squares overflow float64
    np.save(os.path.join(out, "cos_ref.npy"), cos)

    # Class separation: 2 unbalanced classes shifted along a direction, with
    # anisotropic noise; and 3 classes.
    n, d = 400, 30
    ids = (rng.uniform(size=n) < 0.4).astype(np.int32)
    direction = rng.standard_normal(d)
    direction /= np.linalg.norm(direction)
    xc = rng.standard_normal((n, d)) * rng.uniform(0.3, 3.0, d) + 5.0
    xc += np.outer(ids, 3.0 * direction)
    np.save(os.path.join(out, "sep2_x.npy"), xc.astype(f32))
    np.save(os.path.join(out, "sep2_ids.npy"), ids)
    np.save(os.path.join(out, "sep2_ref.npy"), class_sep_ref(xc.astype(f32), ids, 2))
    ids3 = rng.integers(0, 3, 300).astype(np.int32)
    centers = 2.0 * rng.standard_normal((3, 10))
    x3 = centers[ids3] + rng.standard_normal((300, 10))
    np.save(os.path.join(out, "sep3_x.npy"), x3)
    np.save(os.path.join(out, "sep3_ids.npy"), ids3)
    np.save(os.path.join(out, "sep3_ref.npy"), class_sep_ref(x3, ids3, 3))


if __name__ == "__main__":
    main()
