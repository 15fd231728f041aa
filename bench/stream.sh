#!/bin/sh
# Streaming vs in-memory PCA (cov, k = 10) on the same float32 .npy, warm
# in the page cache: `geoprobe pca --stream on` (pages given back behind
# every block and faulted in again from the page cache on the next pass)
# against `--stream off` (pages kept mapped).
#
#   sh bench/stream.sh            n=80000, d=1024 (328 MB)
#   sh bench/stream.sh --quick    n=20000, d=512
#
# Runs alternate off / on with the automatic block (32 MB of rows) and with
# --block-rows 2048, REPS times each; the table shows medians of the fit (the report's fit_seconds: mean pass,
# covariance pass, eigensolver) and of the whole process (load, NaN scan,
# the report's SHA-256 of the file, fit), the ratios to --stream off, the
# kernel time (what streaming adds: the pages faulted in again from the
# page cache on every pass, the madvise calls) and the largest peak RSS.
# REPS=5 sh bench/stream.sh for more runs. Data cached in build/bench/.
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
. bench/lib.sh
N=80000 D=1024 REPS=${REPS:-3} K=10
if [ "${1:-}" = "--quick" ]; then N=20000 D=512; fi
OUT=build/bench
mkdir -p "$OUT"
X=$OUT/stream_${N}x${D}.npy
[ -x /usr/bin/time ] || { echo "bench/stream.sh needs /usr/bin/time (GNU time)" >&2; exit 1; }
make -s geoprobe
[ -f "$X" ] || { echo "generating $X" >&2; $PY bench/pca_sklearn.py gen "$X" $N $D; }
cat "$X" > /dev/null   # into the page cache: the comparison is of CPU, not disk

MODES="off on off2048 on2048"
for m in $MODES; do rm -f "$OUT/stream_$m".*; done
i=0
while [ $i -lt $REPS ]; do
    for m in $MODES; do
        case $m in
            off2048) opts="--stream off --block-rows 2048" ;;
            on2048) opts="--stream on --block-rows 2048" ;;
            *) opts="--stream $m" ;;
        esac
        wait_idle
        # shellcheck disable=SC2086
        timed "$OUT/stream_$m" ./geoprobe pca "$X" --solver cov -k $K $opts -q --json "$OUT/stream_$m.json"
        json_num "$OUT/stream_$m.json" fit_seconds >> "$OUT/stream_$m.fit"
    done
    i=$((i + 1))
done

size_mb=$(( $(stat -c %s "$X") / 1048576 ))
echo "# streaming PCA: n=$N d=$D float32 ($size_mb MB, in page cache), cov k=$K, $(nproc) cores, median of $REPS"
printf '%-30s %9s %7s %9s %7s %7s %10s\n' "run" "fit s" "ratio" "total s" "ratio" "sys s" "peak RSS"
f0=$(median "$OUT/stream_off.fit")
w0=$(median "$OUT/stream_off.wall")
for m in $MODES; do
    case $m in
        off) label="--stream off" ;;
        on) label="--stream on (auto block)" ;;
        off2048) label="--stream off --block-rows 2048" ;;
        on2048) label="--stream on --block-rows 2048" ;;
    esac
    f=$(median "$OUT/stream_$m.fit")
    w=$(median "$OUT/stream_$m.wall")
    r=$(maxcol "$OUT/stream_$m.rss")
    printf '%-30s %9.3f %6sx %9.2f %6sx %7.2f %7d MB\n' "$label" "$f" "$(ratio "$f" "$f0")" "$w" \
        "$(ratio "$w" "$w0")" "$(median "$OUT/stream_$m.sys")" $((r / 1024))
done
echo "ratios: to --stream off with the automatic block; target: streaming within 1.30x"
