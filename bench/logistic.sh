#!/bin/sh
# Logistic probe: geoprobe vs scikit-learn on the same float32 .npy files.
#
#   sh bench/logistic.sh            n=20000, d=4096 binary (issue 4's target)
#   sh bench/logistic.sh --quick    n=4000,  d=1024
#   options (any order): --quick, --cv-only (only the CV comparison),
#   --reps N (runs per measurement; also REPS=N)
#
# One fit: geoprobe (C=1, solver auto, default tol) vs LogisticRegression(
# solver='lbfgs', default tol, max_iter large enough to converge). CV:
# geoprobe --C auto (8 Cs, 5 folds) vs LogisticRegressionCV(Cs=8, cv=5) with
# its defaults. Each run is its own process, REPS times; the table shows
# medians (seconds exclude loading) and held-out accuracy on a 25% split
# of the same generator. Data are cached in build/bench/logistic/.
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
N=20000 D=4096 REPS=${REPS:-3} CV_ONLY=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) N=4000 D=1024 ;;
        --cv-only) CV_ONLY=1 ;;
        --reps) REPS=$2; shift ;;
        *) echo "usage: $0 [--quick] [--cv-only] [--reps N]" >&2; exit 2 ;;
    esac
    shift
done
OUT=build/bench/logistic
DATA=$OUT/${N}x${D}
mkdir -p "$OUT"

# Debian's OpenBLAS 0.3.21 falls back to its generic Prescott kernels on
# this CPU model; both sides get the AVX-512 ones.
if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi

make -s libgeoprobe.a
cc -O2 -std=c11 -Iinclude -o "$OUT/logistic_geoprobe" bench/logistic_geoprobe.c libgeoprobe.a \
    $(pkg-config --libs lapacke openblas 2>/dev/null || echo -llapacke -lopenblas) \
    -lcjson -llbfgs -lm -lpthread
[ -f "$DATA/y_test.npy" ] || { echo "generating $DATA" >&2; $PY bench/logistic_sklearn.py gen "$DATA" $N $D; }

# run NAME CMD...: REPS runs; prints "median_seconds last_line"
run() {
    name=$1; shift
    : > "$OUT/$name.times"
    i=0
    while [ $i -lt $REPS ]; do
        "$@" > "$OUT/$name.out"
        sed -n "s/^seconds=\([0-9.]*\).*/\1/p" "$OUT/$name.out" >> "$OUT/$name.times"
        i=$((i + 1))
    done
    med=$(sort -g "$OUT/$name.times" | sed -n "$(( (REPS + 1) / 2 ))p")
    echo "$med $(cat "$OUT/$name.out")"
}

G="$OUT/logistic_geoprobe"
S="$PY bench/logistic_sklearn.py"
echo "# logistic benchmark: n=$N d=$D float32 binary, $(nproc) cores, median of $REPS"
if [ $CV_ONLY = 0 ]; then
    r_g=$(run gp_fit $G "$DATA" 1)
    r_s=$(run sk_fit $S fit "$DATA")
fi
r_gcv=$(run gp_cv $G "$DATA" 0)
r_scv=$(run sk_cv $S cv "$DATA" 8 5)

field() { echo "$1" | cut -d' ' -f"$2"; }
kv() { echo "$1" | grep -o "$2=[^ ]*" | head -1 | cut -d= -f2; }
row() { # label result baseline_seconds
    s=$(field "$2" 1)
    printf '%-34s %9.2f %8s %9s %8s %8s   %s\n' "$1" "$s" \
        "$(echo "$3 $s" | awk '{printf "%.1fx", $1 / $2}')" "$(kv "$2" test_accuracy)" \
        "$(kv "$2" C)" "$(kv "$2" n_iter)$(kv "$2" n_iter_max)" "$(kv "$2" core)"
}
echo
printf '%-34s %9s %8s %9s %8s %8s   %s\n' "fit" "seconds" "speedup" "test acc" "C" "iters" "BLAS"
scv=$(field "$r_scv" 1)
if [ $CV_ONLY = 0 ]; then
    ss=$(field "$r_s" 1)
    row "sklearn LogisticRegression" "$r_s" "$ss"
    row "geoprobe logistic (auto)" "$r_g" "$ss"
fi
row "sklearn LogisticRegressionCV" "$r_scv" "$scv"
row "geoprobe logistic --C auto" "$r_gcv" "$scv"
