#!/bin/sh
# CLI tests of `geoprobe pca` and `geoprobe similarity`: results checked
# against scikit-learn / numpy, and every failure one clear line.
. tests/cli_lib.sh
D=datasets/larger_than

# pca_check SOLVER K [LABELS]: run pca, check every output against sklearn
pca_check() {
    solver=$1; k=$2; x=$3; shift 3
    lab=""
    [ $# -gt 0 ] && lab=$1
    if ! $G pca "$x" -k "$k" --solver "$solver" ${lab:+--labels "$lab"} --components "$T/c.npy" \
            --project "$T/p.npy" --json "$T/pca.json" >"$T/out" 2>"$T/err"; then
        bad "pca $x $solver k=$k: $(cat "$T/err")"; return
    fi
    if $PY tests/check_pca.py "$T/pca.json" "$x" "$T/c.npy" "$T/p.npy" $lab >"$T/py" 2>&1; then ok
    else bad "pca $x $solver k=$k: $(tail -3 "$T/py")"; fi
}

pca_check cov 10 "$F/planted.npy"
pca_check svd 10 "$F/planted.npy"
pca_check randomized 8 "$F/planted.npy"
pca_check auto 40 "$F/planted.npy"
pca_check cov 10 "$F/planted.npy" "$F/planted_labels.npy"
pca_check auto 20 $D/plain_layer3.npy $D/labels.npy
pca_check svd 5 "$F/acts_f16.npy"
expect_out "explained" $G pca --help
expect_out "cumulative" $G pca "$F/planted.npy" -k 3
expect_out "separation share" $G pca $D/plain_layer3.npy -k 5 --labels $D/labels.npy

# the same seed gives the same bytes
$G pca "$F/planted.npy" -k 5 --solver randomized --seed 3 --components "$T/r1.npy" -q
$G pca "$F/planted.npy" -k 5 --solver randomized --seed 3 --components "$T/r2.npy" -q -j 1
if cmp -s "$T/r1.npy" "$T/r2.npy"; then ok; else bad "randomized pca differs between runs / thread counts"; fi

expect_fail 1 "zero variance" $G pca $D/plain_layer0.npy
expect_fail 1 "$F/acts_nan.npy: non-finite value NaN at row 5, column 9" $G pca "$F/acts_nan.npy"
expect_fail 1 "n_components" $G pca "$F/acts.npy" -k 49
expect_fail 1 "299 labels, but $F/acts.npy has 300 rows" $G pca "$F/acts.npy" --labels "$F/labels_short.npy"
expect_fail 1 "$T/nodir/c.npy" $G pca "$F/acts.npy" -k 2 --components "$T/nodir/c.npy"
expect_fail 2 "unknown solver" $G pca "$F/acts.npy" --solver magic
expect_fail 2 "-k wants" $G pca "$F/acts.npy" -k zero
expect_fail 1 "3-D" $G pca "$F/layers.npy"

# similarity: CKA between layers, cosine between directions
sim_check() {
    metric=$1; shift
    flag=""
    [ "$metric" = cka_debiased ] && flag=--debiased
    m=$metric
    [ "$metric" = cka_debiased ] && m=cka
    if ! $G similarity --metric "$m" $flag "$@" --json "$T/s.json" >"$T/out" 2>"$T/err"; then
        bad "similarity $metric $*: $(cat "$T/err")"; return
    fi
    if $PY tests/check_cka.py "$T/s.json" "$metric" "$@" >"$T/py" 2>&1; then ok
    else bad "similarity $metric $*: $(tail -3 "$T/py")"; fi
}
sim_check cka "$F/planted.npy" "$F/planted_rot.npy"
sim_check cka "$F/planted.npy" "$F/planted_rot.npy" "$F/unrelated.npy"
sim_check cka_debiased "$F/planted.npy" "$F/planted_rot.npy" "$F/unrelated.npy"
sim_check cka $D/plain_layer1.npy $D/plain_layer3.npy $D/plain_layer5.npy
sim_check cosine "$F/dir_a.npy" "$F/dir_b.npy"
sim_check cosine "$F/dir_a.npy" "$F/dirs.npy"
expect_out "CKA planted.npy planted_rot.npy" $G similarity "$F/planted.npy" "$F/planted_rot.npy"
$G similarity "$F/constant.npy" "$F/planted.npy" --json "$T/deg.json" >/dev/null 2>"$T/err"
if grep -q "rank 0" "$T/err" && $PY -c "import json,sys; r=json.load(open('$T/deg.json')); assert r['value']==0 and r['degenerate']==['constant.npy']"; then ok
else bad "constant input not reported as degenerate: $(cat "$T/err")"; fi
expect_fail 1 "planted.npy has 600 rows but" $G similarity "$F/acts.npy" "$F/planted.npy"
expect_fail 1 "dimensions" $G similarity --metric cosine "$F/dir_a.npy" "$F/dir_short.npy"
expect_fail 2 "two or more" $G similarity "$F/acts.npy"
expect_fail 2 "unknown metric" $G similarity --metric euclid "$F/acts.npy" "$F/acts.npy"

finish cli-pca
