#!/bin/sh
# CLI tests of --drop-nonfinite (issue 9) on tests/fixtures_nonfinite.py:
# a command run with the flag on a file with NaN/Inf rows gives the same
# report, number for number, as the command run without it on the file with
# those rows (and their labels) removed by numpy. Also: the note on stderr
# and -q, the report's record, every row bad, a class left with no rows, the
# hint without the flag, cosine, and the sweep (flag and config key).
. tests/cli_lib.sh
N=${GP_FIXTURES:-build/fixtures}/nonfinite

# same A.json B.json: equal reports, numbers to 1e-9 relative, but for the
# keys that name the run (command, argv, inputs, params, timings, dropped_rows, the sweep's
# per-layer "acts" spec and "files").
same() {
    $PY - "$@" <<'PYEOF'
import json, math, sys
SKIP = {"command", "argv", "inputs", "params", "dropped_rows", "timings", "acts", "files", "geoprobe_version", "blas"}
def diff(a, b, at):
    if isinstance(a, dict) and isinstance(b, dict):
        ka = {k for k in a if k not in SKIP and not k.endswith("seconds")}
        kb = {k for k in b if k not in SKIP and not k.endswith("seconds")}
        if ka != kb:
            return "%s: keys differ: %s" % (at, sorted(ka ^ kb))
        for k in sorted(ka):
            e = diff(a[k], b[k], at + "." + k)
            if e:
                return e
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return "%s: length %d vs %d" % (at, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            e = diff(x, y, "%s[%d]" % (at, i))
            if e:
                return e
        return None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b)):
            return None
        return "%s: %r vs %r" % (at, a, b)
    if isinstance(a, str) and isinstance(b, str):  # file names: x_bad / x vs x_clean
        a, b = (s.replace("_clean", "").replace("_bad", "") for s in (a, b))
    return None if a == b else "%s: %r vs %r" % (at, a, b)
a, b = (json.load(open(p)) for p in sys.argv[1:3])
e = diff(a, b, "$")
if e:
    print(e)
    sys.exit(1)
PYEOF
}

# dropped A.json COUNT OF ROWS...: the report's record of what was dropped
dropped() {
    $PY - "$@" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
want = {"count": int(sys.argv[2]), "of": int(sys.argv[3]), "rows": [int(x) for x in sys.argv[4:]]}
assert r["params"]["drop_nonfinite"] is True, r["params"]
assert r["dropped_rows"] == want, (r["dropped_rows"], want)
PYEOF
}

# oracle NAME 'ARGS WITH --drop-nonfinite' 'ARGS ON THE CLEAN FILES': run
# both (JSON into $T/NAME_{drop,clean}.json) and compare.
oracle() {
    name=$1; dropargs=$2; cleanargs=$3
    # shellcheck disable=SC2086
    if ! $G $dropargs --drop-nonfinite --json "$T/${name}_drop.json" >"$T/out" 2>"$T/err"; then
        bad "$name: with --drop-nonfinite: $(cat "$T/err")"; return 1
    fi
    cp "$T/err" "$T/${name}_drop.err"
    # shellcheck disable=SC2086
    if ! $G $cleanargs --json "$T/${name}_clean.json" >"$T/out" 2>"$T/err"; then
        bad "$name: on the clean files: $(cat "$T/err")"; return 1
    fi
    if same "$T/${name}_drop.json" "$T/${name}_clean.json" >"$T/py" 2>&1; then ok
    else bad "$name: reports differ: $(tail -3 "$T/py")"; return 1; fi
}

# ---- pca ------------------------------------------------------------------
oracle pca "pca $N/acts_bad.npy -k 4" "pca $N/acts_clean.npy -k 4"
if dropped "$T/pca_drop.json" 6 160 0 5 17 40 41 159; then ok; else bad "pca: dropped_rows record"; fi
if [ "$(cat "$T/pca_drop.err")" = "geoprobe pca: dropped 6 of 160 rows with NaN/Inf ($N/acts_bad.npy: first at row 0, column 3)" ]
then ok; else bad "pca: stderr note: $(cat "$T/pca_drop.err")"; fi
oracle pca_labels "pca $N/acts_bad.npy -k 3 --labels $N/acts_y3.npy" "pca $N/acts_clean.npy -k 3 --labels $N/acts_y3_clean.npy"
oracle pca_svd "pca $N/acts_bad.npy --solver svd --labels $N/acts_city.txt" \
    "pca $N/acts_clean.npy --solver svd --labels $N/acts_city_clean.txt"

# ---- probe: logistic, closed forms, k classes, regression, folds ------------
oracle probe_logistic "probe $N/acts_bad.npy --labels $N/acts_y.npy --bootstrap 50" \
    "probe $N/acts_clean.npy --labels $N/acts_y_clean.npy --bootstrap 50"
oracle probe_massmean "probe $N/acts_bad.npy --labels $N/acts_y.npy --method massmean --bootstrap 0" \
    "probe $N/acts_clean.npy --labels $N/acts_y_clean.npy --method massmean --bootstrap 0"
oracle probe_lda3 "probe $N/acts_bad.npy --labels $N/acts_y3.npy --method lda --folds 3 --bootstrap 0" \
    "probe $N/acts_clean.npy --labels $N/acts_y3_clean.npy --method lda --folds 3 --bootstrap 0"
oracle probe_ridge "probe $N/acts_bad.npy --labels $N/acts_target.npy --method ridge --bootstrap 0" \
    "probe $N/acts_clean.npy --labels $N/acts_target_clean.npy --method ridge --bootstrap 0"
oracle probe_text "probe $N/acts_bad.npy --labels $N/acts_city.txt --bootstrap 0" \
    "probe $N/acts_clean.npy --labels $N/acts_city_clean.txt --bootstrap 0"
oracle probe_control "probe $N/acts_bad.npy --labels $N/acts_y.npy --control-types $N/acts_y3.npy --bootstrap 0" \
    "probe $N/acts_clean.npy --labels $N/acts_y_clean.npy --control-types $N/acts_y3_clean.npy --bootstrap 0"
if dropped "$T/probe_logistic_drop.json" 6 160 0 5 17 40 41 159; then ok; else bad "probe: dropped_rows record"; fi
if grep -q '^geoprobe probe: dropped 6 of 160 rows with NaN/Inf' "$T/probe_logistic_drop.err"; then ok
else bad "probe: stderr note: $(cat "$T/probe_logistic_drop.err")"; fi

# ---- ccs: a bad row in POS only, in NEG only, in both -----------------------
for s in posbad negbad bothbad; do
    oracle "ccs_$s" "ccs $N/${s}_pos.npy $N/${s}_neg.npy --labels $N/${s}_y.npy --method crc --bootstrap 0" \
        "ccs $N/${s}_pos_clean.npy $N/${s}_neg_clean.npy --labels $N/${s}_y_clean.npy --method crc --bootstrap 0"
done
oracle ccs_ccs "ccs $N/negbad_pos.npy $N/negbad_neg.npy --labels $N/negbad_y.npy --tries 3 --bootstrap 0" \
    "ccs $N/negbad_pos_clean.npy $N/negbad_neg_clean.npy --labels $N/negbad_y_clean.npy --tries 3 --bootstrap 0"
if dropped "$T/ccs_posbad_drop.json" 2 120 3 119 && dropped "$T/ccs_negbad_drop.json" 2 120 0 10 &&
    dropped "$T/ccs_bothbad_drop.json" 4 120 0 3 10 119; then ok; else bad "ccs: dropped_rows records"; fi
if grep -qF "(${N}/bothbad_pos.npy: first at row 3, column 2; ${N}/bothbad_neg.npy: first at row 0, column 1)" \
    "$T/ccs_bothbad_drop.err"; then ok; else bad "ccs: note names both files: $(cat "$T/ccs_bothbad_drop.err")"; fi

# ---- apply: both forms ------------------------------------------------------
$G probe "$N/acts_clean.npy" --labels "$N/acts_y_clean.npy" --test-frac 0 --bootstrap 0 --save "$T/p.safetensors" -q
$G ccs "$N/posbad_pos_clean.npy" "$N/posbad_neg_clean.npy" --labels "$N/posbad_y_clean.npy" --method crc \
    --test-frac 0 --bootstrap 0 --save "$T/c.safetensors" -q
oracle apply "apply $T/p.safetensors $N/test_bad.npy --labels $N/test_y.npy --bootstrap 20" \
    "apply $T/p.safetensors $N/test_clean.npy --labels $N/test_y_clean.npy --bootstrap 20"
oracle apply_pairs "apply $T/c.safetensors $N/bothbad_pos.npy $N/bothbad_neg.npy --labels $N/bothbad_y.npy --bootstrap 0" \
    "apply $T/c.safetensors $N/bothbad_pos_clean.npy $N/bothbad_neg_clean.npy --labels $N/bothbad_y_clean.npy --bootstrap 0"
if dropped "$T/apply_drop.json" 1 60 9; then ok; else bad "apply: dropped_rows record"; fi
# --scores holds the kept rows
if $G apply "$T/p.safetensors" "$N/test_bad.npy" --drop-nonfinite --scores "$T/s.npy" -q 2>/dev/null &&
    $PY -c "import numpy as np, sys; assert np.load(sys.argv[1]).shape == (59,)" "$T/s.npy"; then ok
else bad "apply --scores with dropped rows"; fi

# ---- similarity: CKA drops a row from every input ---------------------------
oracle cka2 "similarity $N/cka_a_bad.npy $N/cka_b_bad.npy" "similarity $N/cka_a_clean.npy $N/cka_b_clean.npy"
oracle cka3 "similarity $N/cka_a_bad.npy $N/cka_b_bad.npy $N/cka_c_bad.npy --debiased" \
    "similarity $N/cka_a_clean.npy $N/cka_b_clean.npy $N/cka_c_clean.npy --debiased"
if dropped "$T/cka3_drop.json" 3 90 7 12 89; then ok; else bad "similarity: dropped_rows record"; fi
expect_fail 2 "--drop-nonfinite is for --metric cka" $G similarity "$N/cka_a_bad.npy" "$N/cka_b_bad.npy" \
    --metric cosine --drop-nonfinite

# ---- the flag on clean files: same numbers, nothing copied, count 0 ---------
oracle clean "probe $N/acts_clean.npy --labels $N/acts_y_clean.npy --bootstrap 0" \
    "probe $N/acts_clean.npy --labels $N/acts_y_clean.npy --bootstrap 0"
if dropped "$T/clean_drop.json" 0 154 && [ ! -s "$T/clean_drop.err" ]; then ok; else bad "clean file: record / note"; fi
# without the flag the report has no trace of it
$G probe "$N/acts_clean.npy" --labels "$N/acts_y_clean.npy" --bootstrap 0 --json "$T/plain.json" -q
if $PY -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert 'dropped_rows' not in r and 'drop_nonfinite' not in r['params']" "$T/plain.json"; then ok
else bad "no flag: report mentions dropping"; fi

# ---- -q: no note; the JSON still records it --------------------------------
if $G pca "$N/acts_bad.npy" -k 2 --drop-nonfinite -q --json "$T/q.json" >"$T/out" 2>"$T/err" && [ ! -s "$T/err" ] &&
    [ ! -s "$T/out" ] && dropped "$T/q.json" 6 160 0 5 17 40 41 159; then ok
else bad "-q: $(cat "$T/err")"; fi

# ---- failures ---------------------------------------------------------------
# no flag: the first bad value, and the hint
expect_fail 1 "$N/acts_bad.npy: non-finite value +Inf at row 0, column 3 (skip such rows with --drop-nonfinite)" \
    $G probe "$N/acts_bad.npy" --labels "$N/acts_y.npy"
expect_fail 1 "$N/negbad_neg.npy: non-finite value NaN at row 0, column 1 (skip such rows with --drop-nonfinite)" \
    $G ccs "$N/negbad_pos.npy" "$N/negbad_neg.npy"
expect_fail 1 "$N/test_bad.npy: non-finite value NaN at row 9, column 6 (skip such rows with --drop-nonfinite)" \
    $G apply "$T/p.safetensors" "$N/test_bad.npy"
expect_fail 1 "non-finite value NaN at row 7, column 3 (skip such rows with --drop-nonfinite)" \
    $G similarity "$N/cka_a_bad.npy" "$N/cka_b_bad.npy"
# every row bad: one line naming the file
for cmd in "pca $N/allbad.npy" "probe $N/allbad.npy --labels $N/allbad_y.npy"; do
    # shellcheck disable=SC2086
    expect_fail 1 "$N/allbad.npy: every one of the 12 rows has a NaN or Inf: --drop-nonfinite leaves nothing" \
        $G $cmd --drop-nonfinite
done
# a class whose every row is dropped: an error for what learns classes...
expect_fail 1 "$N/acts_ygone.npy: every row of class '3' has a NaN or Inf" \
    $G probe "$N/acts_bad.npy" --labels "$N/acts_ygone.npy" --drop-nonfinite
expect_fail 1 "$N/acts_ygone.npy: every row of class '3' has a NaN or Inf" \
    $G pca "$N/acts_bad.npy" --labels "$N/acts_ygone.npy" --drop-nonfinite
# ...and none for apply, whose labels only name the probe's classes
expect_ok $G apply "$T/p.safetensors" "$N/acts_bad.npy" --labels "$N/acts_y.npy" --drop-nonfinite -q
# labels still count the ORIGINAL rows
expect_fail 1 "154 labels, but $N/acts_bad.npy has 160 rows" \
    $G probe "$N/acts_bad.npy" --labels "$N/acts_y_clean.npy" --drop-nonfinite
# help mentions it
for c in pca probe ccs apply similarity sweep; do
    if $G "$c" --help | grep -q -- "--drop-nonfinite"; then ok; else bad "$c --help lacks --drop-nonfinite"; fi
done

# ---- sweep: the flag and the config key ------------------------------------
SB="--acts $N/sw_bad_layer{L}.npy --labels $N/sw_bad_y.npy --pos $N/sw_bad_pos_layer{L}.npy --neg $N/sw_bad_neg_layer{L}.npy"
SC="--acts $N/sw_clean_layer{L}.npy --labels $N/sw_clean_y.npy --pos $N/sw_clean_pos_layer{L}.npy --neg $N/sw_clean_neg_layer{L}.npy"
SW="--methods logistic,crc --bootstrap 0 --no-plots -q"
# shellcheck disable=SC2086
if $G sweep $SB $SW --drop-nonfinite --out "$T/swd" 2>"$T/err" >/dev/null &&
    $G sweep $SC $SW --out "$T/swc" 2>>"$T/err" >/dev/null; then
    if same "$T/swd/report.json" "$T/swc/report.json" >"$T/py" 2>&1; then ok
    else bad "sweep --drop-nonfinite: reports differ: $(tail -3 "$T/py")"; fi
    if $PY - "$T/swd/report.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["params"]["drop_nonfinite"] is True
assert r["cka"]["dropped_rows"] == 3 and r["cka"]["of_rows"] == 137, r["cka"]
# each layer's commands dropped that layer's own bad rows
got = [L["methods"]["logistic"]["dropped_rows"]["count"] for L in r["layers"]]
assert got == [3, 3, 3], got
PYEOF
    then ok; else bad "sweep: drop recorded"; fi
else
    bad "sweep --drop-nonfinite: $(cat "$T/err")"
fi
# the config key; its fingerprint differs, so --resume redoes the layers
cat >"$T/cfg.json" <<EOF2
{"acts": "$N/sw_bad_layer{L}.npy", "labels": "$N/sw_bad_y.npy", "pos": "$N/sw_bad_pos_layer{L}.npy",
 "neg": "$N/sw_bad_neg_layer{L}.npy", "methods": ["logistic", "crc"], "bootstrap": 0, "plots": false,
 "drop_nonfinite": true, "out": "$T/swk"}
EOF2
if $G report "$T/cfg.json" -q >/dev/null 2>"$T/err" && same "$T/swk/report.json" "$T/swc/report.json" >"$T/py" 2>&1
then ok; else bad "report with \"drop_nonfinite\": true: $(cat "$T/err") $(tail -3 "$T/py")"; fi
h1=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['config_hash'])" "$T/swk/layers/layer_0.json")
sed 's/"drop_nonfinite": true, //' "$T/cfg.json" >"$T/cfg2.json"
# without the key the bad rows fail each method: the layer is redone, not reused
$G report "$T/cfg2.json" -q --resume >/dev/null 2>&1
h2=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['config_hash'])" "$T/swk/layers/layer_0.json")
if [ -n "$h1" ] && [ -n "$h2" ] && [ "$h1" != "$h2" ]; then ok; else bad "config hash ignores drop_nonfinite ($h1 $h2)"; fi
printf '{"acts": "%s", "labels": "%s", "drop_nonfinite": "yes", "out": "%s"}\n' "$N/sw_bad_layer{L}.npy" "$N/sw_bad_y.npy" "$T/swx" >"$T/cfg_bad.json"
expect_fail 1 "bad value for 'drop_nonfinite'" $G report "$T/cfg_bad.json"
finish test_cli_nonfinite
