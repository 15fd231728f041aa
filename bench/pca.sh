#!/bin/sh
# PCA: geoprobe vs scikit-learn on the same float32 .npy files, in one run.
#
#   sh bench/pca.sh            n=20000, d=4096 (issue 3's target; ~10 min)
#   sh bench/pca.sh --quick    n=4000,  d=1024
#
# Each fit runs in its own process under /usr/bin/time -v (peak RSS), three
# times; the table shows medians. Full spectrum: geoprobe cov vs
# PCA(svd_solver='full'). Top 50: geoprobe randomized and cov vs
# PCA(50, svd_solver='randomized'). Accuracy: max relative error of the top
# 50 explained-variance ratios against an exact float64 reference (numpy
# eigvalsh of the float64 covariance). Data and reference are cached in
# build/bench/.
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
N=20000 D=4096 REPS=3
if [ "${1:-}" = "--quick" ]; then N=4000 D=1024; fi
K=50
OUT=build/bench
mkdir -p "$OUT"
X=$OUT/x_${N}x${D}.npy
REF=$OUT/ref_${N}x${D}.npy

# Debian's OpenBLAS 0.3.21 falls back to its generic Prescott kernels on
# this CPU model; both sides get the AVX-512 ones.
if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi

make -s libgeoprobe.a
cc -O2 -std=c11 -Iinclude $(pkg-config --cflags openblas 2>/dev/null) -o "$OUT/pca_geoprobe" \
    bench/pca_geoprobe.c libgeoprobe.a \
    $(pkg-config --libs lapacke openblas 2>/dev/null || echo -llapacke -lopenblas) \
    -lcjson -lm -lpthread
[ -f "$X" ] || { echo "generating $X" >&2; $PY bench/pca_sklearn.py gen "$X" $N $D; }
[ -f "$REF" ] || { echo "exact float64 reference" >&2; $PY bench/pca_sklearn.py ref "$X" "$REF"; }

have_time=0
[ -x /usr/bin/time ] && have_time=1

BENCH_IDLE_WAIT=${BENCH_IDLE_WAIT:-300}
. bench/lib.sh   # wait_idle

# one NAME CMD...: one timed run; its seconds go to NAME.times, its peak RSS
# (KB) to NAME.rss, its output line to NAME.out
one() {
    name=$1; shift
    wait_idle
    if [ $have_time = 1 ]; then
        /usr/bin/time -v "$@" > "$OUT/$name.out" 2> "$OUT/$name.err"
        sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/$name.err" >> "$OUT/$name.rss"
    else
        "$@" > "$OUT/$name.out"
        echo 0 >> "$OUT/$name.rss"
    fi
    sed -n "s/.* seconds=\([0-9.]*\).*/\1/p" "$OUT/$name.out" | head -1 >> "$OUT/$name.times"
}

# result NAME: "median_seconds max_rss_mb last_line"
result() {
    echo "$(median "$OUT/$1.times") $(( $(maxcol "$OUT/$1.rss") / 1024 )) $(cat "$OUT/$1.out")"
}

G="$OUT/pca_geoprobe"
S="$PY bench/pca_sklearn.py fit"
echo "# PCA benchmark: n=$N d=$D float32, $(nproc) cores, median of $REPS interleaved rounds"
$G --sgemm 2048
CASES="gp_cov_full sk_full gp_rnd gp_cov50 sk_rnd"
for c in $CASES; do : > "$OUT/$c.times"; : > "$OUT/$c.rss"; done
# Rounds of every fit in turn, so that a slow spell of the shared machine
# lands on both sides rather than on one.
i=0
while [ $i -lt $REPS ]; do
    one gp_cov_full $G "$X" cov 0 "$OUT/r_gp_cov_full.npy"
    one sk_full $S "$X" full 0 "$OUT/r_sk_full.npy"
    one gp_rnd $G "$X" randomized $K "$OUT/r_gp_rnd.npy"
    one gp_cov50 $G "$X" cov $K "$OUT/r_gp_cov50.npy"
    one sk_rnd $S "$X" randomized $K "$OUT/r_sk_rnd.npy"
    i=$((i + 1))
done
r_gcov=$(result gp_cov_full)
r_skf=$(result sk_full)
r_grnd=$(result gp_rnd)
r_gcov50=$(result gp_cov50)
r_skr=$(result sk_rnd)

# round_ratios A B: the per-round speedups B/A, "min-max"
round_ratios() {
    paste "$OUT/$2.times" "$OUT/$1.times" | awk '{r = $1 / $2; if (NR == 1 || r < lo) lo = r;
        if (NR == 1 || r > hi) hi = r} END {printf "%.2f-%.2fx", lo, hi}'
}

err() { $PY bench/pca_sklearn.py err "$REF" "$OUT/r_$1.npy" $K; }
field() { echo "$1" | cut -d' ' -f"$2"; }
row() { # label result file baseline_seconds
    s=$(field "$2" 1)
    printf '%-28s %9.2f %9s %10s %9s   %s\n' "$1" "$s" \
        "$(echo "$4 $s" | awk '{printf "%.2fx", $1 / $2}')" "$(err "$3")" \
        "$(field "$2" 2)" "$(echo "$2" | cut -d' ' -f3- | grep -o 'core=[^ ]*')"
}
echo
printf '%-28s %9s %9s %10s %9s   %s\n' "fit" "seconds" "speedup" "top50 err" "RSS MB" "BLAS"
sf=$(field "$r_skf" 1)
sr=$(field "$r_skr" 1)
row "sklearn full" "$r_skf" sk_full "$sf"
row "geoprobe cov (full)" "$r_gcov" gp_cov_full "$sf"
row "sklearn randomized k=50" "$r_skr" sk_rnd "$sr"
row "geoprobe randomized k=50" "$r_grnd" gp_rnd "$sr"
row "geoprobe cov k=50" "$r_gcov50" gp_cov50 "$sr"
echo
echo "covariance step: $(echo "$r_gcov" | grep -o 'cov_seconds=[^ ]*') $(echo "$r_gcov" | grep -o 'cov_gflops=[^ ]*') GFLOP/s (n d^2 flops, ssyrk)"
echo "per-round speedups: full $(round_ratios gp_cov_full sk_full), top-$K $(round_ratios gp_rnd sk_rnd)"
echo "full spectrum, max relative error of all $D ratios: geoprobe $($PY bench/pca_sklearn.py err "$REF" "$OUT/r_gp_cov_full.npy" $D), scikit-learn $($PY bench/pca_sklearn.py err "$REF" "$OUT/r_sk_full.npy" $D)"
echo "input file: $(( $(stat -c %s "$X") / 1048576 )) MB"
