#!/bin/sh
# CLI tests of `geoprobe probe` and `geoprobe apply`: probes equal to
# scikit-learn's, the JSON contract, saved probes applied, and bad input.
. tests/cli_lib.sh
D=datasets/larger_than
X="$F/probe_X.npy"

probe_check() {
    method=$1; y=$2; shift 2
    if ! $G probe "$X" --labels "$y" --method "$method" --test-frac 0 --bootstrap 0 "$@" \
            --json "$T/p.json" >"$T/out" 2>"$T/err"; then
        bad "probe $method: $(cat "$T/err")"; return
    fi
    if $PY tests/check_probe.py "$T/p.json" "$method" "$X" "$y" >"$T/py" 2>&1; then ok
    else bad "probe $method $y: $(tail -3 "$T/py")"; fi
}
probe_check logistic "$F/probe_y.npy"
probe_check logistic "$F/probe_y.npy" --solver newton
probe_check logistic "$F/probe_y.npy" --solver lbfgs
probe_check logistic "$F/probe_y3.npy"
probe_check lda "$F/probe_y.npy"
probe_check lda "$F/probe_y3.npy"
probe_check massmean "$F/probe_y.npy"
probe_check ridge "$F/probe_target.npy"

# JSON contract keys, held-out split with bootstrap intervals
if $G probe "$X" --labels "$F/probe_y.npy" --json "$T/h.json" -q && $PY - "$T/h.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["test"]
assert r["method"] == "logistic" and "accuracy" in r["train"]
for k in ("accuracy", "auroc", "log_loss", "n", "accuracy_ci95"):
    assert k in t, k
lo, hi = t["accuracy_ci95"]
assert lo <= t["accuracy"] <= hi, (lo, t["accuracy"], hi)
assert t["n"] == 100, t["n"]
PYEOF
then ok; else bad "probe JSON contract"; fi

# k-fold: pooled out-of-fold metrics over every row
if $G probe "$X" --labels "$F/probe_y.npy" --folds 5 --json "$T/k.json" -q && \
   $PY -c "import json; r=json.load(open('$T/k.json')); assert r['test']['n']==500 and len(r['cv']['fold_accuracy'])==5"
then ok; else bad "k-fold report"; fi

# real data: logistic (on z-scored features) reads truth well from layer 3,
# mass-mean much less (datasets/README.md)
$G probe $D/plain_layer3.npy --labels $D/labels.npy --test-frac 0.3 --standardize --json "$T/real.json" -q
$G probe $D/plain_layer3.npy --labels $D/labels.npy --test-frac 0.3 --method massmean --json "$T/mm.json" -q
if $PY -c "
import json
a = json.load(open('$T/real.json'))['test']['accuracy']
m = json.load(open('$T/mm.json'))['test']['accuracy']
assert 0.90 <= a <= 0.99, a
assert 0.50 <= m <= 0.80, m
print(a, m)" >"$T/py" 2>&1; then ok; else bad "real-data accuracies: $(cat "$T/py")"; fi

# control task: selectivity is reported and the control is near chance
if $G probe "$X" --labels "$F/probe_y.npy" --control --json "$T/c.json" -q && \
   $PY -c "import json; c=json.load(open('$T/c.json'))['control']; assert c['test_accuracy'] < 0.7 and c['selectivity'] > 0.1, c"
then ok; else bad "control task"; fi

# save, then apply: same scores as the training report, labels matched by name
$G probe "$X" --labels "$F/probe_y_words.txt" --test-frac 0 --save "$T/p.safetensors" --json "$T/s.json" -q
if $G apply "$T/p.safetensors" "$X" --labels "$F/probe_y_words.txt" --scores "$T/sc.npy" --json "$T/a.json" -q && \
   $PY -c "
import json, numpy as np
s = json.load(open('$T/s.json')); a = json.load(open('$T/a.json'))
assert abs(s['train']['accuracy'] - a['accuracy']) < 0.005, (s['train'], a['accuracy'])
assert a['n'] == 500 and 'auroc' in a
sc = np.load('$T/sc.npy'); X = np.load('$X').astype(np.float64)
w = np.array(s['weight'][0]); b = s['bias'][0]
assert np.allclose(sc, X @ w + b, rtol=1e-4, atol=1e-4)
"; then ok; else bad "save/apply round trip"; fi
expect_out "accuracy" $G apply "$T/p.safetensors" "$X" --labels "$F/probe_y_words.txt"
expect_fail 1 "label 'false' is not a class of the probe" $G apply "$T/p.safetensors" "$X" --labels "$F/probe_y_other.txt"
expect_fail 1 "48 features, but the probe" $G apply "$T/p.safetensors" "$F/acts.npy"
expect_fail 1 "not a probe" $G apply "$F/model.safetensors" "$X"

# separable data with a huge C: finite weights, and a warning that says so
if $G probe "$F/sep_X.npy" --labels "$F/sep_y.npy" --C 1e6 --json "$T/sep.json" -q 2>"$T/err" && \
   grep -q "perfectly separable" "$T/err" && \
   $PY -c "import json, math; r=json.load(open('$T/sep.json')); assert all(math.isfinite(v) for v in r['weight'][0])"
then ok; else bad "separable data at large C: $(cat "$T/err")"; fi

# a solver stopped at its limit says so: converged false and the iterations
# in the JSON (with the limit in params), a warning on stderr
if $G probe "$X" --labels "$F/probe_y.npy" --max-iter 1 --json "$T/mi.json" -q 2>"$T/err" && \
   grep -q "^geoprobe probe: warning: logistic did not converge in 1 iterations" "$T/err" && \
   $PY -c "import json; r=json.load(open('$T/mi.json')); assert r['converged'] is False and r['n_iter'] == 1 and r['params']['max_iter'] == 1, r"
then ok; else bad "probe --max-iter 1: $(cat "$T/err")"; fi
if $G probe "$X" --labels "$F/probe_y.npy" --json "$T/conv.json" -q 2>"$T/err" && ! grep -q "converge" "$T/err" && \
   $PY -c "import json; r=json.load(open('$T/conv.json')); assert r['converged'] is True and r['n_iter'] > 1 and 'max_iter' not in r['params'], r"
then ok; else bad "probe converged: $(cat "$T/err")"; fi

# bad input
expect_fail 1 "only one class" $G probe "$X" --labels "$F/probe_one_class.npy"
expect_fail 1 "single example" $G probe "$X" --labels "$F/probe_single.npy" --test-frac 0
expect_fail 1 "has 1 row" $G probe "$X" --labels "$F/probe_single.npy"
expect_fail 1 "299 labels, but $F/acts.npy has 300 rows" $G probe "$F/acts.npy" --labels "$F/labels_short.npy"
expect_fail 1 "non-finite value NaN at row 5, column 9" $G probe "$F/acts_nan.npy" --labels "$F/labels.npy"
expect_fail 1 "numeric targets" $G probe "$X" --labels "$F/probe_y_words.txt" --method ridge
expect_fail 1 "binary" $G probe "$X" --labels "$F/probe_y3.npy" --method massmean
expect_fail 2 "--labels is required" $G probe "$X"
expect_fail 2 "unknown probe method" $G probe "$X" --labels "$F/probe_y.npy" --method svm
expect_fail 2 "not both" $G probe "$X" --labels "$F/probe_y.npy" --folds 3 --test-frac 0.2
expect_out "usage: geoprobe probe" $G probe --help
expect_out "usage: geoprobe apply" $G apply --help

finish cli-probe
