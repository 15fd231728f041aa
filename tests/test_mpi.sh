#!/bin/sh
# test_mpi.sh — mpirun -np 2 and -np 3 of the MPI-built CLI (make
# check-mpi: build/mpi/geoprobe) against the one-process results on
# generated data: PCA (cov, randomized, --project, shards), CKA, the sweep
# with --distribute layers (logistic, LDA, CCS, CRC per layer); a NaN on
# one rank's shard gives one clean error line and exit 1 from every rank;
# commands that do not run distributed say so once.
. "$(dirname "$0")/cli_lib.sh"
M=${GEOPROBE_MPI:-build/mpi/geoprobe}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# -q: no banner from mpirun itself; --oversubscribe: 3 ranks on 2 cores
run() { np=$1; shift; mpirun -q --oversubscribe -np "$np" "$M" "$@"; }

"$PY" - "$T" <<'EOF' || { echo "test_mpi: cannot write the data"; exit 1; }
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(11)
n, p = 2003, 48
# anisotropic with an outlier dimension far from zero, like real activations
X = (rng.standard_normal((n, p)) * (6.0 / (1 + np.arange(p)) ** 0.7)).astype(np.float32)
X[:, 4] += 50
np.save(f"{d}/x.npy", X)
for r, (a, b) in enumerate([(0, 700), (700, 1400), (1400, n)]):
    np.save(f"{d}/x3_{r}.npy", X[a:b])
Y = (X[:, :12] @ rng.standard_normal((12, 40)) + rng.standard_normal((n, 40))).astype(np.float32)
np.save(f"{d}/y.npy", Y)
bad = X[1400:].copy(); bad[5, 9] = np.nan
np.save(f"{d}/xbad_2.npy", bad)
np.save(f"{d}/xbad_0.npy", X[:700]); np.save(f"{d}/xbad_1.npy", X[700:1400])
# a small layered set for the sweep: 4 layers, a planted direction
L, m, q = 4, 400, 24
y = rng.integers(0, 2, m)
acts = rng.standard_normal((L, m, q)).astype(np.float32)
for l in range(L):
    acts[l, :, 0] += (0.5 + l) * (2 * y - 1)
np.save(f"{d}/layers.npy", acts)
np.save(f"{d}/labels.npy", y)
pos = rng.standard_normal((L, m, q)).astype(np.float32)
neg = pos.copy()
for l in range(L):
    pos[l, :, 1] += (1 + l) * (2 * y - 1); neg[l, :, 1] -= (1 + l) * (2 * y - 1)
np.save(f"{d}/pos.npy", pos); np.save(f"{d}/neg.npy", neg)
EOF

# compare A.json B.json KEY TOL: the numbers under KEY agree within TOL (relative)
compare() {
    if "$PY" - "$@" <<'EOF'; then ok; else bad "compare $*"; fi
import json, sys, numpy as np
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for key in sys.argv[3].split(","):
    va, vb = np.array(a[key], float), np.array(b[key], float)
    tol = float(sys.argv[4])
    if va.shape != vb.shape or not np.allclose(va, vb, rtol=tol, atol=tol * 1e-3):
        print(f"{key}: {va.ravel()[:5]} vs {vb.ravel()[:5]}"); sys.exit(1)
EOF
}

# --- PCA: cov on one file, 2 and 3 ranks
"$M" pca "$T/x.npy" --solver cov -k 8 --components "$T/c1.npy" --project "$T/p1.npy" --json "$T/one.json" -q \
    || bad "one-process pca"
for np in 2 3; do
    expect_ok run $np pca "$T/x.npy" --solver cov -k 8 --components "$T/c$np.npy" --project "$T/p$np.npy" \
        --json "$T/cov$np.json" -q
    compare "$T/one.json" "$T/cov$np.json" explained_variance_ratio,explained_variance,singular_values,total_variance 1e-6
    if "$PY" - "$T" "$np" <<'EOF'; then ok; else bad "pca -np $np: components, projections, report"; fi
import json, sys, numpy as np
d, np_ = sys.argv[1], sys.argv[2]
c1, c = np.load(f"{d}/c1.npy"), np.load(f"{d}/c{np_}.npy")
cos = np.abs(np.sum(c1 * c, axis=1))
assert cos.min() > 0.9999, cos
p1, p = np.load(f"{d}/p1.npy"), np.load(f"{d}/p{np_}.npy")
assert p.shape == p1.shape == (2003, 8), p.shape
assert np.allclose(np.abs(p), np.abs(p1), atol=1e-3 * np.abs(p1).max()), abs(np.abs(p) - np.abs(p1)).max()
r = json.load(open(f"{d}/cov{np_}.json"))
assert r["n"] == 2003 and r["distributed"]["ranks"] == int(np_), r.get("distributed")
assert sum(r["distributed"]["rows"]) == 2003
assert len(r["inputs"]) == 1 and len(r["inputs"][0]["sha256"]) == 64
EOF
done

# --- randomized: the same seed gives the one-process answer
"$M" pca "$T/x.npy" --solver randomized -k 5 --seed 4 --json "$T/r1.json" -q || bad "one-process randomized"
expect_ok run 3 pca "$T/x.npy" --solver randomized -k 5 --seed 4 --json "$T/r3.json" -q
compare "$T/r1.json" "$T/r3.json" explained_variance_ratio 1e-5

# --- shards: each rank its own file ({rank}), same answer as the whole file
expect_ok run 3 pca --shard "$T/x3_{rank}.npy" --solver cov -k 8 --json "$T/sh.json" -q
compare "$T/one.json" "$T/sh.json" explained_variance_ratio 1e-6

# --- CKA, biased and debiased
"$M" similarity "$T/x.npy" "$T/y.npy" --json "$T/s1.json" -q || bad "one-process cka"
"$M" similarity "$T/x.npy" "$T/y.npy" --debiased --json "$T/d1.json" -q || bad "one-process debiased cka"
for np in 2 3; do
    expect_ok run $np similarity "$T/x.npy" "$T/y.npy" --json "$T/s$np.json" -q
    compare "$T/s1.json" "$T/s$np.json" value 1e-6
    expect_ok run $np similarity "$T/x.npy" "$T/y.npy" --debiased --json "$T/d$np.json" -q
    compare "$T/d1.json" "$T/d$np.json" value 1e-6
done

# --- a NaN on one rank's shard: one line naming it, exit 1 everywhere,
#     nothing written
rm -f "$T/bad.json"
expect_fail 1 "xbad_2.npy: non-finite value NaN at row 5, column 9" \
    run 3 pca --shard "$T/xbad_{rank}.npy" -k 3 --json "$T/bad.json"
[ ! -e "$T/bad.json" ] && ok || bad "a failed distributed run wrote its report"
# in one file: the row is numbered in the whole file
"$PY" -c "import numpy as np; X=np.load('$T/x.npy'); X[1500,2]=np.inf; np.save('$T/xinf.npy',X)"
expect_fail 1 "xinf.npy: non-finite value +Inf at row 1500, column 2" run 2 pca "$T/xinf.npy" -k 3
# a missing shard on one rank
expect_fail 1 "x3_3.npy: no such file" run 4 pca --shard "$T/x3_{rank}.npy" -k 3
# shards that disagree on the feature count: every rank stops, none waits
"$PY" -c "import numpy as np; X=np.load('$T/x.npy'); np.save('$T/xd_0.npy', X[:700]); np.save('$T/xd_1.npy', X[700:, :47])"
expect_fail 1 "features; they must agree" run 2 pca --shard "$T/xd_{rank}.npy" -k 3
# the svd solver needs one process
expect_fail 1 "svd solver needs every row" run 2 pca "$T/x.npy" --solver svd
# usage errors and refusals: once, not once per rank
expect_fail 2 "need all rows in one process" run 2 pca "$T/x.npy" --labels "$T/labels.npy"
expect_fail 1 "info does not run distributed" run 2 info "$T/x.npy"
expect_fail 2 "--distribute layers" run 2 sweep --acts "$T/layers.npy@{L}" --labels "$T/labels.npy" \
    --layers 0-3 --out "$T/sw"
# the MPI build without mpirun is one process
expect_out "pca" "$M" pca "$T/x.npy" -k 2

# --- probes: the one-process split and metrics, rows fit across ranks
"$PY" - "$T" <<'EOF2' || bad "probe data"
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(5)
n, p = 1501, 30
y = rng.integers(0, 3, n)
X = rng.standard_normal((n, p)).astype(np.float32)
X[:, 0] += y; X[:, 1] -= (y == 2); X[:, 2] += 20
np.save(f"{d}/px.npy", X); np.save(f"{d}/py3.npy", y); np.save(f"{d}/py2.npy", (y > 0).astype(np.int64))
np.save(f"{d}/pt.npy", X[:, :3].astype(np.float64) @ [1.0, 2.0, 3.0] + rng.standard_normal(n))
np.save(f"{d}/px_0.npy", X[:600]); np.save(f"{d}/px_1.npy", X[600:])
Xb = X[600:].copy(); Xb[7, 3] = np.inf; np.save(f"{d}/pxb_1.npy", Xb); np.save(f"{d}/pxb_0.npy", X[:600])
EOF2
# probe_same NAME ARGS...: one process and -np 2, -np 3 give the same report numbers
probe_same() {
    name=$1; shift
    "$M" probe "$T/px.npy" "$@" --json "$T/pr1_$name.json" --save "$T/pr1_$name.safetensors" -q || bad "one-process probe $name"
    for np in 2 3; do
        expect_ok run $np probe "$T/px.npy" "$@" --json "$T/pr${np}_$name.json" --save "$T/pr${np}_$name.safetensors" -q
        if "$PY" - "$T/pr1_$name.json" "$T/pr${np}_$name.json" <<'EOF2'; then ok; else bad "probe $name -np $np differs"; fi
import json, sys, numpy as np
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["n"] == b["n"] == 1501
for part in ("train", "test"):
    for k, v in a[part].items():
        if isinstance(v, float):
            assert abs(v - b[part][k]) <= 1e-6 * max(1, abs(v)), (part, k, v, b[part][k])
        elif isinstance(v, list):
            assert np.allclose(np.array(v, float), np.array(b[part][k], float), rtol=1e-6, atol=1e-9), (part, k)
wa, wb = np.array(a["weight"]), np.array(b["weight"])
assert np.abs(wa - wb).max() <= 1e-5 * np.abs(wa).max(), np.abs(wa - wb).max()
EOF2
    done
}
probe_same logistic --labels "$T/py3.npy" --method logistic --C 0.5
probe_same logistic2 --labels "$T/py2.npy" --method logistic --balanced --standardize
probe_same lda --labels "$T/py3.npy" --method lda
probe_same massmean --labels "$T/py2.npy" --method massmean
probe_same ridge --labels "$T/pt.npy" --method ridge
# shards: labels of all rows, in rank order
expect_ok run 2 probe "$T/px_{rank}.npy" --labels "$T/py3.npy" --json "$T/prs.json" -q
compare "$T/pr1_logistic.json" "$T/prs.json" n 0
expect_fail 1 "pxb_1.npy: non-finite value +Inf at row 7, column 3" run 2 probe "$T/pxb_{rank}.npy" --labels "$T/py3.npy"
expect_fail 2 "need one process" run 2 probe "$T/px.npy" --labels "$T/py3.npy" --folds 5
expect_fail 1 "labels from another run" run 2 probe "$T/px.npy" --labels "$T/labels.npy"

# --- sweep: layers shared out; every number as one process gives
SW="--acts $T/layers.npy@{L} --labels $T/labels.npy --pos $T/pos.npy@{L} --neg $T/neg.npy@{L} \
    --layers 0-3 --methods logistic,lda,ccs,crc --no-plots -q -j 1"
# shellcheck disable=SC2086
"$M" sweep $SW --out "$T/sw1" || bad "one-process sweep"
# shellcheck disable=SC2086
expect_ok run 2 sweep $SW --out "$T/sw2" --distribute layers
if "$PY" - "$T" <<'EOF'; then ok; else bad "sweep --distribute layers differs from one process"; fi
import json, sys, math
d = sys.argv[1]
a, b = (json.load(open(f"{d}/{s}/report.json")) for s in ("sw1", "sw2"))
def walk(x, y, path):
    if isinstance(x, dict):
        assert set(x) == set(y), path
        for k in x:
            if "seconds" in k or k in ("argv", "out", "command_line"): continue
            walk(x[k], y[k], path + "." + k)
    elif isinstance(x, list):
        assert len(x) == len(y), path
        for i, (u, v) in enumerate(zip(x, y)): walk(u, v, f"{path}[{i}]")
    elif isinstance(x, float) and isinstance(y, (int, float)):
        assert math.isclose(x, y, rel_tol=1e-7, abs_tol=1e-9), (path, x, y)
    elif not isinstance(x, (int, float)) or isinstance(x, bool):
        pass  # strings: paths differ by folder
assert [l["layer"] for l in a["layers"]] == [0, 1, 2, 3]
walk(a["layers"], b["layers"], "layers")
walk(a["best_layer"], b["best_layer"], "best_layer")
EOF

finish test_mpi
