#!/bin/sh
# Strong scaling on this machine and the rates the README's paper model
# (section "Scaling") is built from.
#
#   sh bench/scaling.sh            n=80000, d=1024 (the file of bench/stream.sh)
#   sh bench/scaling.sh --quick    n=20000, d=512
#
# 1. Rates of one core: OpenBLAS sgemm (2048^3) on 1 and all cores; the
#    covariance step of PCA-cov (ssyrk over row blocks: n d^2 flops,
#    float64 accumulation of each block) on one thread; the eigensolver
#    (top 10 of a d x d covariance, it does not scale with ranks) at
#    d = 1024, 2048 and 4096.
# 2. `mpirun -np 1` and `-np 2` of build/mpi/geoprobe (-j 1: one BLAS
#    thread per rank, so two ranks do not fight over the two cores) on one
#    file: pca --solver cov -k 10 and similarity (CKA) of two matrices with
#    the same rows; median of REPS of the report's fit_seconds (pca) and
#    of the whole run, and the speedup. Skipped, saying so, without mpirun
#    or mpicc. Per allreduce: d^2 doubles for a covariance (d1^2 + d2^2 +
#    d1 d2 for CKA); a logistic gradient is d doubles per iteration; the
#    logistic probe (C = 1, the one-process split) is timed whole.
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
. bench/lib.sh
N=80000 D=1024 D2=512 REPS=3
if [ "${1:-}" = "--quick" ]; then N=20000 D=512 D2=256; fi
OUT=build/bench
mkdir -p "$OUT"
X=$OUT/stream_${N}x${D}.npy
Y=$OUT/stream_${N}x${D2}.npy
[ -x /usr/bin/time ] || { echo "bench/scaling.sh needs /usr/bin/time (GNU time)" >&2; exit 1; }
make -s libgeoprobe.a geoprobe
cc -O2 -std=c11 -Iinclude $(pkg-config --cflags openblas 2>/dev/null) -o "$OUT/pca_geoprobe" \
    bench/pca_geoprobe.c libgeoprobe.a \
    $(pkg-config --libs lapacke openblas 2>/dev/null || echo -llapacke -lopenblas) \
    -lcjson -lm -lpthread
for f in "$X:$D" "$Y:$D2"; do
    p=${f%:*}
    [ -f "$p" ] || { echo "generating $p" >&2; $PY bench/pca_sklearn.py gen "$p" $N "${f#*:}"; }
done
LBL=$OUT/stream_${N}_y.npy   # a label read off the data, for the logistic probe
[ -f "$LBL" ] || $PY -c "import numpy as np, sys; X = np.load(sys.argv[1], mmap_mode='r'); \
v = X[:, :8].sum(1); np.save(sys.argv[2], (v > np.median(v)).astype(np.int64))" "$X" "$LBL"
cat "$X" "$Y" > /dev/null   # page cache
G="$OUT/pca_geoprobe"

echo "# scaling: n=$N d=$D float32, $(nproc) cores, median of $REPS"
echo "## rates"
wait_idle
echo "sgemm all cores: $($G --sgemm 2048 | grep -o 'sgemm_gflops=[^ ]*') GFLOP/s"
wait_idle
echo "sgemm 1 core:    $(OPENBLAS_NUM_THREADS=1 $G --sgemm 2048 | grep -o 'sgemm_gflops=[^ ]*') GFLOP/s"
: > "$OUT/scal_cov1.rate"
i=0
while [ $i -lt $REPS ]; do
    wait_idle
    OPENBLAS_NUM_THREADS=1 $G "$X" cov 10 "$OUT/scal_r.npy" > "$OUT/scal_cov1.out"
    sed -n 's/.*cov_gflops=\([0-9.]*\).*/\1/p' "$OUT/scal_cov1.out" >> "$OUT/scal_cov1.rate"
    i=$((i + 1))
done
rate1=$(median "$OUT/scal_cov1.rate")
echo "covariance step, 1 thread: $rate1 GFLOP/s (n d^2 flops; median of $REPS)"
for de in 1024 2048 4096; do
    E=$OUT/eig_4000x$de.npy
    [ -f "$E" ] || $PY bench/pca_sklearn.py gen "$E" 4000 $de
    : > "$OUT/scal_eig.t"
    for r in 1 2 3; do
        wait_idle
        OPENBLAS_NUM_THREADS=1 $G "$E" cov 10 "$OUT/scal_r.npy" | sed -n 's/.*eig_seconds=\([0-9.]*\).*/\1/p' >> "$OUT/scal_eig.t"
    done
    echo "eigensolver, top 10 of d=$de, 1 thread: $(median "$OUT/scal_eig.t") s"
done

echo "## MPI strong scaling (-j 1 per rank)"
MPI=build/mpi/geoprobe
if ! command -v mpirun > /dev/null 2>&1; then
    echo "SKIP: no mpirun (Debian: openmpi-bin libopenmpi-dev)"; exit 0
fi
if [ ! -x "$MPI" ] && command -v mpicc > /dev/null 2>&1; then make -s "$MPI" || true; fi
if [ ! -x "$MPI" ]; then echo "SKIP: no $MPI (make build/mpi/geoprobe needs mpicc)"; exit 0; fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN="mpirun -q --oversubscribe --allow-run-as-root"
for what in pca cka logistic; do
    for np in 1 2; do
        pre=$OUT/scal_${what}_$np
        rm -f "$pre".*
        i=0
        while [ $i -lt $REPS ]; do
            wait_idle
            if [ $what = pca ]; then
                timed "$pre" $MPIRUN -np $np "$MPI" pca "$X" --solver cov -k 10 -j 1 -q --json "$pre.json"
                json_num "$pre.json" fit_seconds >> "$pre.fit"
            elif [ $what = cka ]; then
                timed "$pre" $MPIRUN -np $np "$MPI" similarity "$X" "$Y" -j 1 -q --json "$pre.json"
            else
                timed "$pre" $MPIRUN -np $np "$MPI" probe "$X" --labels "$LBL" --C 1 --bootstrap 0 \
                    -j 1 -q --json "$pre.json"
            fi
            i=$((i + 1))
        done
    done
done
printf '%-34s %9s %9s %9s\n' "run" "1 rank" "2 ranks" "speedup"
f1=$(median "$OUT/scal_pca_1.fit"); f2=$(median "$OUT/scal_pca_2.fit")
printf '%-34s %9.3f %9.3f %8sx\n' "pca cov k=10: fit_seconds" "$f1" "$f2" "$(ratio "$f1" "$f2")"
w1=$(median "$OUT/scal_pca_1.wall"); w2=$(median "$OUT/scal_pca_2.wall")
printf '%-34s %9.2f %9.2f %8sx\n' "pca cov k=10: whole run" "$w1" "$w2" "$(ratio "$w1" "$w2")"
c1=$(median "$OUT/scal_cka_1.wall"); c2=$(median "$OUT/scal_cka_2.wall")
printf '%-34s %9.2f %9.2f %8sx\n' "similarity (CKA): whole run" "$c1" "$c2" "$(ratio "$c1" "$c2")"
l1=$(median "$OUT/scal_logistic_1.wall"); l2=$(median "$OUT/scal_logistic_2.wall")
printf '%-34s %9.2f %9.2f %8sx\n' "probe logistic C=1: whole run" "$l1" "$l2" "$(ratio "$l1" "$l2")"
echo "logistic: $(json_num "$OUT/scal_logistic_1.json" n_iter) iterations (1 rank)," \
     "$(json_num "$OUT/scal_logistic_2.json" n_iter) (2 ranks); test accuracy" \
     "$(json_num "$OUT/scal_logistic_1.json" test.accuracy) / $(json_num "$OUT/scal_logistic_2.json" test.accuracy)"
echo "ranks in the report: $(json_num "$OUT/scal_pca_2.json" distributed.ranks)"
echo "allreduce per fit: covariance $D^2 doubles = $((D * D * 8 / 1048576)) MB;" \
     "CKA $D^2 + $D2^2 + $D x $D2 doubles = $(( (D * D + D2 * D2 + D * D2) * 8 / 1048576 )) MB"
