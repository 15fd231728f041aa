#!/bin/sh
# CLI tests of `geoprobe ccs` and `geoprobe apply` on contrast-pair probes:
# planted truth found, no-signal data at chance, the JSON contract, saved
# probes applied with their saved normalization, and bad input.
. tests/cli_lib.sh
C=${GP_FIXTURES:-build/fixtures}/ccs
D=datasets/larger_than
SP="$C/cli_strong_pos.npy" SN="$C/cli_strong_neg.npy" SY="$C/cli_strong_y.npy"
ZP="$C/cli_nosignal_pos.npy" ZN="$C/cli_nosignal_neg.npy" ZY="$C/cli_nosignal_y.npy"

# py CHECK_NAME SCRIPT ARGS...: run a python check, count it
py() {
    name=$1; shift
    if $PY - "$@" >"$T/py" 2>&1; then ok; else bad "$name: $(tail -3 "$T/py")"; fi
}

# Planted truth, strong signal: every method reads it on held-out pairs and
# finds the planted direction (|cosine| in the normalized space; burns norm
# scales each set by one scalar, so the raw direction is kept).
for m in ccs crc vinc; do
    if $G ccs "$SP" "$SN" --labels "$SY" --method $m --json "$T/$m.json" -q 2>"$T/err"; then
        py "planted $m" "$T/$m.json" "$C/cli_strong_u.npy" "$m" <<'PYEOF'
import json, sys
import numpy as np
r = json.load(open(sys.argv[1])); u = np.load(sys.argv[2]); m = sys.argv[3]
w = np.array(r["weight"])
cos = abs(w @ u) / np.linalg.norm(w)
assert cos > (0.85 if m == "ccs" else 0.9), cos
assert r["sign_calibrated_accuracy"] >= 0.9, r["sign_calibrated_accuracy"]
assert r["accuracy"] >= 0.9 and r["test"]["auroc"] >= 0.95, r["test"]
assert r["train"]["n"] == 320 and r["test"]["n"] == 80
PYEOF
    else bad "ccs --method $m: $(cat "$T/err")"; fi
done

# No truth signal (labels drawn apart from the data, which still hold a
# strong pair-difference direction): held-out accuracy near chance, for
# CCS and CRC, on a split and over folds.
for m in ccs crc; do
    $G ccs "$ZP" "$ZN" --labels "$ZY" --method $m --json "$T/z$m.json" -q
    $G ccs "$ZP" "$ZN" --labels "$ZY" --method $m --folds 5 --json "$T/zf$m.json" -q
    py "no signal $m" "$T/z$m.json" "$T/zf$m.json" <<'PYEOF'
import json, sys
h = json.load(open(sys.argv[1])); f = json.load(open(sys.argv[2]))
for r in (h, f):
    assert r["sign_calibrated_accuracy"] < 0.62, r["sign_calibrated_accuracy"]
    assert r["accuracy"] < 0.62, r["accuracy"]
    assert 0.35 < r["auroc"] < 0.65, r["auroc"]
PYEOF
done

# JSON contract (DESIGN.md) and the fit's diagnostics
if $G ccs "$SP" "$SN" --labels "$SY" --tries 4 --json "$T/j.json" -q; then
    py "ccs JSON contract" "$T/j.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("geoprobe_version", "command", "inputs", "params", "seconds", "method", "loss", "tries",
          "accuracy", "sign_calibrated_accuracy", "auroc", "try_losses", "try_cosines", "best_try",
          "n_iter", "converged", "weight_norm", "train", "test", "calibration"):
    assert k in r, k
assert r["command"] == "ccs" and r["method"] == "ccs" and r["tries"] == 4
assert len(r["inputs"]) == 2 and all(len(i["sha256"]) == 64 for i in r["inputs"])
assert len(r["try_losses"]) == 4 and len(r["try_cosines"]) == 4 and len(r["try_cosines"][0]) == 4
assert abs(r["try_losses"][r["best_try"]] - r["loss"]) < 1e-12 and r["loss"] == min(r["try_losses"])
assert all(abs(r["try_cosines"][i][i] - 1) < 1e-9 for i in range(4))
for part in ("train", "test"):
    for k in ("accuracy", "sign_calibrated_accuracy", "auroc", "n"):
        assert k in r[part], (part, k)
t = r["test"]
assert r["accuracy"] == t["accuracy"] and r["sign_calibrated_accuracy"] == t["sign_calibrated_accuracy"]
lo, hi = t["sign_calibrated_accuracy_ci95"]
assert lo <= t["sign_calibrated_accuracy"] <= hi
assert t["accuracy"] >= 0.5 and r["calibration"]["sign"] in (-1, 1)
assert r["params"]["norm"] == "burns" and r["params"]["optimizer"] == "lbfgs"
PYEOF
else bad "ccs --json"; fi

# Without labels: a fit and credences, no accuracy
if $G ccs "$SP" "$SN" --method crc --json "$T/nl.json" -q; then
    py "ccs without labels" "$T/nl.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["accuracy"] is None and r["sign_calibrated_accuracy"] is None
assert r["calibration"]["sign"] == 0 and "credence_mean" in r["test"]
PYEOF
else bad "ccs without labels"; fi

# Same seed, same numbers
$G ccs "$SP" "$SN" --labels "$SY" --seed 7 --json "$T/s1.json" -q
$G ccs "$SP" "$SN" --labels "$SY" --seed 7 --threads 1 --json "$T/s2.json" -q
py "deterministic" "$T/s1.json" "$T/s2.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for r in (a, b):
    for k in ("seconds", "fit_seconds", "blas", "argv"):
        r.pop(k, None)
assert a == b
PYEOF

# K-fold: K fits, per-fold and mean metrics
if $G ccs "$SP" "$SN" --labels "$SY" --method crc --folds 4 --json "$T/f.json" -q; then
    py "ccs --folds" "$T/f.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
cv = r["cv"]
assert cv["folds"] == 4 and len(cv["fold_accuracy"]) == 4 and len(cv["fold_sign_calibrated_accuracy"]) == 4
mean = sum(cv["fold_sign_calibrated_accuracy"]) / 4
assert abs(mean - r["sign_calibrated_accuracy"]) < 1e-12 and mean >= 0.9
assert r["test"]["n"] == 400 and r["train"]["n"] == 400
PYEOF
else bad "ccs --folds"; fi

# --compare: supervised logistic, the probe and a random direction
if $G ccs "$SP" "$SN" --labels "$SY" --compare --json "$T/c.json" >"$T/ct.txt"; then
    py "ccs --compare" "$T/c.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))["compare"]
assert c["supervised"]["accuracy"] >= 0.9, c
assert c["unsupervised"]["sign_calibrated_accuracy"] >= 0.9, c
assert c["random"]["sign_calibrated_accuracy"] < 0.75, c
assert 0.9 <= c["recovered"] <= 1.1
PYEOF
    if grep -q "supervised logistic" "$T/ct.txt" && grep -q "random direction" "$T/ct.txt"; then ok
    else bad "compare table missing from the text output"; fi
else bad "ccs --compare"; fi

# Few-shot sign: 16 labeled training pairs
if $G ccs "$SP" "$SN" --labels "$SY" --method crc --calibrate 16 --json "$T/fs.json" -q; then
    py "ccs --calibrate" "$T/fs.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["calibration_pairs"] == 16 and r["params"]["calibrate"] == 16
assert r["sign_calibrated_accuracy"] >= 0.85, r["sign_calibrated_accuracy"]
PYEOF
else bad "ccs --calibrate"; fi

# The reference optimizer: adam, epochs counted
if $G ccs "$SP" "$SN" --labels "$SY" --optimizer adam --epochs 50 --tries 3 --json "$T/ad.json" -q; then
    py "ccs --optimizer adam" "$T/ad.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["n_iter"] == 50 and r["tries"] == 3 and r["params"]["optimizer"] == "adam", r["n_iter"]
PYEOF
else bad "ccs --optimizer adam"; fi

# L-BFGS stopped at its limit: converged false and the iterations in the
# JSON, a warning on stderr
if $G ccs "$SP" "$SN" --labels "$SY" --max-iter 1 --tries 2 --json "$T/mi.json" -q 2>"$T/err" && \
   grep -q "^geoprobe ccs: warning: L-BFGS stopped at 1 iterations" "$T/err"; then
    py "ccs --max-iter 1" "$T/mi.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["converged"] is False and r["n_iter"] == 1 and r["params"]["max_iter"] == 1, r["converged"]
PYEOF
else bad "ccs --max-iter 1: $(cat "$T/err")"; fi

# Real data (datasets/README.md): the supervised probe on the normalized
# pair differences reads truth; every number is a probability.
if $G ccs $D/pos_layer3.npy $D/neg_layer3.npy --labels $D/labels.npy --method crc --compare \
        --json "$T/real.json" -q; then
    py "real data" "$T/real.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["compare"]["supervised"]["accuracy"] >= 0.85, r["compare"]
for k in ("accuracy", "sign_calibrated_accuracy", "auroc"):
    assert 0 <= r[k] <= 1, (k, r[k])
assert r["test"]["n"] == 396, r["test"]["n"]
PYEOF
else bad "ccs on real data"; fi

# save -> apply: the saved normalization is reapplied unchanged, so apply on
# the training pairs gives the fit's numbers, and on a subset of them the
# same credences (a refit normalization would change them).
for m in ccs crc; do
    $G ccs "$SP" "$SN" --labels "$C/cli_y_words.txt" --method $m --test-frac 0 --save "$T/$m.safetensors" \
        --json "$T/fit_$m.json" -q
    if $G apply "$T/$m.safetensors" "$SP" "$SN" --labels "$C/cli_y_words.txt" --scores "$T/sc_$m.npy" \
            --json "$T/ap_$m.json" -q; then
        py "save/apply $m" "$T/fit_$m.json" "$T/ap_$m.json" "$T/sc_$m.npy" "$SP" "$SN" "$T" <<'PYEOF'
import json, sys
import numpy as np
f = json.load(open(sys.argv[1]))["test"]; a = json.load(open(sys.argv[2]))
assert a["n"] == 400 and a["calibrated"] is True
assert a["accuracy"] == f["sign_calibrated_accuracy"], (a["accuracy"], f)
assert a["paper_accuracy"] == f["accuracy"], (a["paper_accuracy"], f)
assert abs(a["auroc"] - f["auroc"]) < 1e-6, (a["auroc"], f)
sc = np.load(sys.argv[3])
assert np.allclose(sc, a["proba"], atol=1e-12) and sc.shape == (400,)
T = sys.argv[6]
np.save(T + "/sub_pos.npy", np.load(sys.argv[4])[:50]); np.save(T + "/sub_neg.npy", np.load(sys.argv[5])[:50])
PYEOF
        $G apply "$T/$m.safetensors" "$T/sub_pos.npy" "$T/sub_neg.npy" --json "$T/sub_$m.json" -q
        py "apply keeps the saved normalization ($m)" "$T/ap_$m.json" "$T/sub_$m.json" <<'PYEOF'
import json, sys
import numpy as np
a = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
assert s["n"] == 50 and "accuracy" not in s
assert np.allclose(s["credence"], a["credence"][:50], atol=1e-12)
PYEOF
    else bad "apply $m: $(cat "$T/err")"; fi
done
expect_out "sign-calibrated" $G apply "$T/crc.safetensors" "$SP" "$SN" --labels "$C/cli_y_words.txt"

# --plot: the contrast chart on the held-out pairs, data in the report
# (skipped while the library's plots are a stub)
if $G ccs "$SP" "$SN" --labels "$SY" --method crc --plot "$T/pairs.png" --json "$T/pl.json" -q 2>"$T/err"; then
    if [ -s "$T/pairs.png" ] && head -c 8 "$T/pairs.png" | od -An -c | grep -q "P   N   G"; then
        py "ccs --plot report" "$T/pl.json" <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1]))["plot"]
assert p["kind"] == "contrast", p["kind"]
PYEOF
    else bad "ccs --plot wrote no PNG"; fi
elif grep -q "not implemented" "$T/err"; then
    echo "skip: ccs --plot (plots not implemented yet)"
else bad "ccs --plot: $(cat "$T/err")"; fi
expect_fail 2 "--plot wants FILE.png" $G ccs "$SP" "$SN" --plot "$T/pairs.txt"
[ -e "$T/pairs.txt" ] && bad "a refused --plot left a file"

# bad input
expect_fail 1 "differ in shape" $G ccs "$SP" "$C/cli_short_neg.npy"
expect_fail 1 "needs at least 2" $G ccs "$C/cli_one_pos.npy" "$C/cli_one_neg.npy"
expect_fail 1 "cli_nan_pos.npy: non-finite value NaN at row 3, column 5" $G ccs "$C/cli_nan_pos.npy" "$SN"
expect_fail 1 "399 labels, but $SP has 400 rows" $G ccs "$SP" "$SN" --labels "$C/cli_y_short.npy"
expect_fail 1 "binary" $G ccs "$SP" "$SN" --labels "$C/cli_y3.npy"
expect_fail 1 "--calibrate 500" $G ccs "$SP" "$SN" --labels "$SY" --calibrate 500
expect_fail 2 "--compare needs --labels" $G ccs "$SP" "$SN" --compare
expect_fail 2 "--calibrate needs --labels" $G ccs "$SP" "$SN" --calibrate 10
expect_fail 2 "give two inputs" $G ccs "$SP"
expect_fail 2 "not both" $G ccs "$SP" "$SN" --folds 3 --test-frac 0.2
expect_fail 2 "unknown contrast-pair method" $G ccs "$SP" "$SN" --method svm
expect_fail 1 "give two inputs, POS and NEG" $G apply "$T/crc.safetensors" "$SP"
expect_fail 1 "differ in shape" $G apply "$T/crc.safetensors" "$SP" "$C/cli_short_neg.npy"
expect_fail 1 "48 features, but the probe" $G apply "$T/crc.safetensors" "${GP_FIXTURES:-build/fixtures}/cli/acts.npy" \
    "${GP_FIXTURES:-build/fixtures}/cli/acts.npy"
$G probe "$SP" --labels "$SY" --save "$T/sup.safetensors" -q
expect_fail 1 "give one input, not two" $G apply "$T/sup.safetensors" "$SP" "$SN"
expect_out "usage: geoprobe ccs" $G ccs --help
expect_out "sign_calibrated_accuracy" $G ccs --help
expect_out "ccs" $G help

finish cli-ccs
