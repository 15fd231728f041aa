#!/usr/bin/python3
"""Fixtures for tests/test_cli_nonfinite.sh (--drop-nonfinite, issue 9).

Each input with NaN/Inf rows comes with its oracle: the same file (and
labels) with those rows removed by numpy. A command run with
--drop-nonfinite on the first must give the numbers of the command run
without it on the second. Written into $GP_FIXTURES/nonfinite/."""
import os
import sys

import numpy as np

out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "build/fixtures", "nonfinite")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(909)


def path(name):
    return os.path.join(out, name)


def save_pair(name, X, bad, **labels):
    """NAME_bad.npy (X with NaN/Inf at rows bad) and NAME_clean.npy (without
    those rows); each labels array L as NAME_L.npy and NAME_L_clean.npy."""
    np.save(path(name + "_bad.npy"), X)
    keep = np.ones(len(X), bool)
    keep[list(bad)] = False
    np.save(path(name + "_clean.npy"), X[keep])
    for k, v in labels.items():
        np.save(path("%s_%s.npy" % (name, k)), v)
        np.save(path("%s_%s_clean.npy" % (name, k)), v[keep])
    return keep


# ---- probe / pca / apply: 160 rows x 8, two planted classes ------------
n, d = 160, 8
y = (rng.random(n) > 0.5).astype(np.int32)
y3 = rng.integers(0, 3, n).astype(np.int32)
X = rng.standard_normal((n, d)).astype(np.float32)
X[:, 0] += 1.5 * y
X[:, 1] += 1.0 * (y3 == 2)
target = (X[:, 0] * 0.7 + rng.standard_normal(n) * 0.3).astype(np.float64)
# the first row, the last row, NaN, +Inf, -Inf, two in one row
bad = [0, 5, 17, 40, 41, n - 1]
Xb = X.copy()
Xb[0, 3] = np.inf
Xb[5, 7] = np.nan
Xb[17, 0] = -np.inf
Xb[40, 2] = np.nan
Xb[40, 5] = np.inf
Xb[41, 1] = np.nan
Xb[n - 1, 4] = -np.inf
save_pair("acts", Xb, bad, y=y, y3=y3, target=target)
# text labels (strings) for the same rows
names = np.array(["paris", "berlin", "rome"])[y3]
keep = np.ones(n, bool)
keep[bad] = False
with open(path("acts_city.txt"), "w") as f:
    f.write("\n".join(names) + "\n")
with open(path("acts_city_clean.txt"), "w") as f:
    f.write("\n".join(names[keep]) + "\n")
# a class whose only rows are bad ones: "3" at rows 5 and 17
yg = y3.copy()
yg[[5, 17]] = 3
np.save(path("acts_ygone.npy"), yg)
# every row bad
Xa = X[:12].copy()
Xa[np.arange(12), np.arange(12) % d] = np.nan
np.save(path("allbad.npy"), Xa)
np.save(path("allbad_y.npy"), y[:12])
# a separate test file for apply, one bad row
Xt = rng.standard_normal((60, d)).astype(np.float32)
yt = (rng.random(60) > 0.5).astype(np.int32)
Xt[:, 0] += 1.5 * yt
Xtb = Xt.copy()
Xtb[9, 6] = np.nan
save_pair("test", Xtb, [9], y=yt)

# ---- contrast pairs: 120 pairs x 6 --------------------------------------
m, e = 120, 6
truth = (rng.random(m) > 0.5).astype(np.int32)
direction = rng.standard_normal(e)
base = rng.standard_normal((m, e))
sign = np.where(truth == 1, 1.0, -1.0)[:, None]
P = (base + 1.2 * sign * direction + rng.standard_normal((m, e)) * 0.3).astype(np.float32)
N = (base - 1.2 * sign * direction + rng.standard_normal((m, e)) * 0.3).astype(np.float32)
Pb = P.copy()
Pb[3, 2] = np.nan
Pb[m - 1, 0] = np.inf
Nb = N.copy()
Nb[10, 5] = -np.inf
Nb[0, 1] = np.nan
for name, (pp, nn, rows) in {"posbad": (Pb, N, [3, m - 1]), "negbad": (P, Nb, [0, 10]),
                             "bothbad": (Pb, Nb, [0, 3, 10, m - 1])}.items():
    keep = np.ones(m, bool)
    keep[rows] = False
    np.save(path(name + "_pos.npy"), pp)
    np.save(path(name + "_neg.npy"), nn)
    np.save(path(name + "_pos_clean.npy"), pp[keep])
    np.save(path(name + "_neg_clean.npy"), nn[keep])
    np.save(path(name + "_y.npy"), truth)
    np.save(path(name + "_y_clean.npy"), truth[keep])

# ---- CKA: three inputs over the same 90 rows ------------------------------
A = rng.standard_normal((90, 10)).astype(np.float32)
B = (A @ rng.standard_normal((10, 7)) + rng.standard_normal((90, 7)) * 0.5).astype(np.float32)
C = rng.standard_normal((90, 5)).astype(np.float32)
Ab, Bb = A.copy(), B.copy()
Ab[7, 3] = np.nan
Bb[12, 0] = np.inf
Bb[89, 6] = np.nan
keep = np.ones(90, bool)
keep[[7, 12, 89]] = False
for name, (bad_m, clean_m) in {"cka_a": (Ab, A[keep]), "cka_b": (Bb, B[keep]), "cka_c": (C, C[keep])}.items():
    np.save(path(name + "_bad.npy"), bad_m)
    np.save(path(name + "_clean.npy"), clean_m)

# ---- sweep: three layers, the same bad rows in each (in other columns) ----
# Each per-layer command drops its own layer's bad rows; with the same rows
# in every layer that is the oracle's removal in every layer.
ns = 140
ys = (rng.random(ns) > 0.5).astype(np.int32)
rows_bad = {L: [2, 50, 139] for L in range(3)}
keep = np.ones(ns, bool)
for r in rows_bad.values():
    keep[r] = False
for L in range(3):
    Z = rng.standard_normal((ns, 6)).astype(np.float32)
    Z[:, 0] += (0.5 + L) * ys
    Zp = (Z + 0.8 * np.where(ys == 1, 1, -1)[:, None] * 0.3).astype(np.float32)
    Zn = (Z - 0.8 * np.where(ys == 1, 1, -1)[:, None] * 0.3).astype(np.float32)
    Zb = Z.copy()
    for i, r in enumerate(rows_bad[L]):
        Zb[r, (L + i) % 6] = np.nan if i % 2 == 0 else -np.inf
    np.save(path("sw_bad_layer%d.npy" % L), Zb)
    np.save(path("sw_clean_layer%d.npy" % L), Z[keep])
    Zpb = Zp.copy()
    Zpb[rows_bad[L], 1] = np.inf
    np.save(path("sw_bad_pos_layer%d.npy" % L), Zpb)
    np.save(path("sw_clean_pos_layer%d.npy" % L), Zp[keep])
    np.save(path("sw_bad_neg_layer%d.npy" % L), Zn)
    np.save(path("sw_clean_neg_layer%d.npy" % L), Zn[keep])
np.save(path("sw_bad_y.npy"), ys)
np.save(path("sw_clean_y.npy"), ys[keep])
