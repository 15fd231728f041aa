#!/bin/sh
# test_mpi_ccs.sh — mpirun -np 2 and -np 3 of the MPI-built CLI's ccs (make
# check-mpi: build/mpi/geoprobe) against the one-process report on
# generated contrast pairs: CCS (L-BFGS, and AdamW with few epochs), CRC-TPC
# and VINC, held-out and --folds, --calibrate, shards; the report's
# accuracies, AUROC and loss equal one process's, rank 0 alone writes
# --json/--save/--plot; a NaN on one rank's rows gives one error line and
# exit 1 from every rank; --compare and --drop-nonfinite are refused once.
. "$(dirname "$0")/cli_lib.sh"
M=${GEOPROBE_MPI:-build/mpi/geoprobe}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# -q: no banner from mpirun itself; --oversubscribe: 3 ranks on 2 cores;
# </dev/null: mpirun would read the loop's list below
run() { np=$1; shift; mpirun -q --oversubscribe -np "$np" "$M" "$@" </dev/null; }

"$PY" - "$T" <<'EOF' || { echo "test_mpi_ccs: cannot write the data"; exit 1; }
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(5)
n, p = 601, 20
y = rng.integers(0, 2, n)
# a shared statement component, a planted truth direction that flips
# between the two answers, an answer-token offset, an outlier feature
common = rng.standard_normal((n, p)) * (3.0 / (1 + np.arange(p)))
truth = np.zeros(p); truth[2] = 1.0; truth[5] = 0.7
s = (2 * y - 1)[:, None]
pos = (common + s * truth + 0.5 + 0.7 * rng.standard_normal((n, p))).astype(np.float32)
neg = (common - s * truth - 0.5 + 0.7 * rng.standard_normal((n, p))).astype(np.float32)
pos[:, 7] += 30; neg[:, 7] += 30
np.save(f"{d}/pos.npy", pos); np.save(f"{d}/neg.npy", neg); np.save(f"{d}/y.npy", y)
for r, (a, b) in enumerate([(0, 200), (200, 450), (450, n)]):
    np.save(f"{d}/pos3_{r}.npy", pos[a:b]); np.save(f"{d}/neg3_{r}.npy", neg[a:b])
bad = pos.copy(); bad[520, 3] = np.nan
np.save(f"{d}/posbad.npy", bad)
np.save(f"{d}/neg_short.npy", neg[:-1])
EOF

# same A.json B.json: the evaluation and fit numbers agree (the accuracies
# and AUROC exactly up to rounding, the loss within 1e-6; log-loss and ECE,
# which weigh every credence, within 1e-4)
same() {
    if "$PY" - "$@" <<'EOF'; then ok; else bad "same $*"; fi
import json, sys, math
a, b = (json.load(open(f)) for f in sys.argv[1:3])
def close(x, y, tol, what):
    if x is None or y is None:
        assert x is None and y is None, what
        return
    assert math.isclose(x, y, rel_tol=tol, abs_tol=tol), (what, x, y)
exact = ("accuracy", "sign_calibrated_accuracy", "auroc", "balanced_accuracy", "credence_above_half", "n")
for k in exact:
    if k in a: close(a[k], b[k], 1e-9, k)
close(a["loss"], b["loss"], 1e-6, "loss")
assert len(a["try_losses"]) == len(b["try_losses"])
for u, v in zip(a["try_losses"], b["try_losses"]): close(u, v, 1e-6, "try_losses")
# tries that reach the same minimum tie to rounding: either may be kept
ba, bb = a["best_try"], b["best_try"]
assert ba == bb or abs(a["try_losses"][ba] - a["try_losses"][bb]) < 1e-6, ("best_try", ba, bb)
assert a["calibration"]["sign"] == b["calibration"]["sign"]
for part in ("train", "test"):
    for k in exact + ("accuracy_ci95", "sign_calibrated_accuracy_ci95", "auroc_ci95"):
        if k not in a[part]: continue
        x, y = a[part][k], b[part][k]
        if isinstance(x, list):
            for u, v in zip(x, y): close(u, v, 1e-9, part + "." + k)
        else: close(x, y, 1e-9, part + "." + k)
    for k in ("log_loss", "ece", "credence_mean"):
        if k in a[part]: close(a[part][k], b[part][k], 1e-4, part + "." + k)
if "cv" in a:
    for k in ("fold_accuracy", "fold_sign_calibrated_accuracy", "fold_auroc"):
        for u, v in zip(a["cv"][k], b["cv"][k]): close(u, v, 1e-9, k)
    for u, v in zip(a["cv"]["fold_loss"], b["cv"]["fold_loss"]): close(u, v, 1e-6, "fold_loss")
w1, w2 = a["weight"], b["weight"]
dot = sum(u * v for u, v in zip(w1, w2)) / math.sqrt(sum(u * u for u in w1) * sum(v * v for v in w2))
assert dot > 0.99999, ("weight cosine", dot)
nr = int(sys.argv[3])
if nr > 1:
    assert b["distributed"]["ranks"] == nr and sum(b["distributed"]["rows"]) == a["n"], b.get("distributed")
EOF
}

P="$T/pos.npy"; N="$T/neg.npy"; L="--labels $T/y.npy"
# name | options
while read -r name opts; do
    [ -n "$name" ] || continue
    # shellcheck disable=SC2086
    "$M" ccs "$P" "$N" $L $opts --json "$T/$name.1.json" -q || bad "one-process ccs $name"
    for np in 2 3; do
        # shellcheck disable=SC2086
        expect_ok run $np ccs "$P" "$N" $L $opts --json "$T/$name.$np.json" -q
        same "$T/$name.1.json" "$T/$name.$np.json" $np
    done
done <<'EOS'
lbfgs --seed 3
adam --optimizer adam --epochs 60 --lr 0.01 --tries 4
crc --method crc --norm feature
vinc --method vinc --calibrate 20 --seed 2
vinc_center --method vinc --norm center --test-frac 0
folds --method crc --folds 3 --bootstrap 0
ccsfolds --folds 3 --tries 3 --max-iter 200 --bootstrap 0 --calibrate 40
EOS

# shards: each rank its own files ({rank}), the same pairs in the same order
expect_ok run 3 ccs "$T/pos3_{rank}.npy" "$T/neg3_{rank}.npy" $L --json "$T/sh.json" -q
"$M" ccs "$P" "$N" $L --json "$T/plain.1.json" -q || bad "one-process ccs"
same "$T/plain.1.json" "$T/sh.json" 3

# no labels: credences only, still equal
"$M" ccs "$P" "$N" --method crc --json "$T/nolab.1.json" -q || bad "one-process unlabeled"
expect_ok run 2 ccs "$P" "$N" --method crc --json "$T/nolab.2.json" -q
same "$T/nolab.1.json" "$T/nolab.2.json" 2

# rank 0 alone writes: the report, the saved probe, the plot, the summary
rm -f "$T/s.safetensors" "$T/s.png"
run 3 ccs "$P" "$N" $L --method crc --save "$T/s.safetensors" --plot "$T/s.png" --json "$T/s.json" >"$T/sum" 2>"$T/err" \
    && ok || bad "distributed --save/--plot: $(cat "$T/err")"
[ -s "$T/s.safetensors" ] && [ -s "$T/s.png" ] && [ -s "$T/s.json" ] && ok || bad "distributed outputs missing"
[ "$(grep -c '^crc on' "$T/sum")" -eq 1 ] && ok || bad "the summary is printed $(grep -c '^crc on' "$T/sum") times"
[ -z "$(ls -A "$T" | grep '\.gp-')" ] && ok || bad "a temporary plot file was left behind"
# the saved probe scores new pairs as the one-process probe does
"$M" ccs "$P" "$N" $L --method crc --save "$T/s1.safetensors" -q || bad "one-process --save"
"$M" apply "$T/s.safetensors" "$P" "$N" $L --json "$T/ap.json" -q || bad "apply the distributed probe"
"$M" apply "$T/s1.safetensors" "$P" "$N" $L --scores "$T/sc1.npy" --json "$T/ap1.json" -q \
    || bad "apply the one-process probe"
if "$PY" - "$T" <<'EOF'; then ok; else bad "apply: the distributed probe scores differently"; fi
import json, sys
d = sys.argv[1]
a, b = (json.load(open(f"{d}/{s}.json")) for s in ("ap", "ap1"))
for k in ("accuracy", "sign_calibrated_accuracy", "auroc"):
    assert abs(a[k] - b[k]) < 1e-9, (k, a[k], b[k])
EOF

# apply under mpirun: each rank scores its pairs, rank 0 writes the same
# report and scores as one process
for np in 2 3; do
    expect_ok run $np apply "$T/s1.safetensors" "$P" "$N" $L --scores "$T/sc$np.npy" --json "$T/ap$np.json" -q
    if "$PY" - "$T" $np <<'EOF'; then ok; else bad "apply -np $np differs from one process"; fi
import json, sys, numpy as np
d, k = sys.argv[1], sys.argv[2]
a, b = (json.load(open(f"{d}/{s}.json")) for s in ("ap1", f"ap{k}"))
for key in ("accuracy", "paper_accuracy", "sign_calibrated_accuracy", "auroc", "n"):
    assert a[key] == b[key], (key, a[key], b[key])
for key in ("credence", "proba"):
    assert np.array_equal(np.array(a[key]), np.array(b[key])), key
for key in ("log_loss", "ece", "accuracy_ci95", "auroc_ci95"):
    assert a["metrics"][key] == b["metrics"][key], key
assert b["distributed"]["ranks"] == int(k)
assert np.array_equal(np.load(f"{d}/sc{k}.npy"), np.load(f"{d}/sc1.npy"))
EOF
done
"$M" probe "$P" --labels "$T/y.npy" --test-frac 0 --save "$T/lin.safetensors" -q || bad "one-process probe --save"
expect_fail 1 "apply scores contrast-pair probes (ccs, crc, vinc) only" run 2 apply "$T/lin.safetensors" "$P"
expect_fail 2 "--drop-nonfinite needs every pair in one process" \
    run 2 apply "$T/s1.safetensors" "$P" "$N" --drop-nonfinite

# --- failures: one line, exit 1 from every rank, nothing written
rm -f "$T/bad.json"
expect_fail 1 "posbad.npy: non-finite value NaN at row 520, column 3" \
    run 3 ccs "$T/posbad.npy" "$N" $L --json "$T/bad.json"
[ ! -e "$T/bad.json" ] && ok || bad "a failed distributed run wrote its report"
expect_fail 1 "row i of each must be the two answers" run 2 ccs "$P" "$T/neg_short.npy" $L
expect_fail 1 "pos3_3.npy: no such file" run 4 ccs "$T/pos3_{rank}.npy" "$T/neg3_{rank}.npy" $L
expect_fail 1 "labels" run 2 ccs "$P" "$N" --labels "$T/pos.npy"
# what needs every pair in one process is refused, once
expect_fail 2 "--compare and --drop-nonfinite need every pair in one process" run 2 ccs "$P" "$N" $L --compare
expect_fail 2 "--compare and --drop-nonfinite need every pair in one process" run 3 ccs "$P" "$N" --drop-nonfinite

finish test_mpi_ccs
