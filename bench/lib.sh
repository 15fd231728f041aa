# lib.sh — helpers of bench/stream.sh and bench/scaling.sh (sourced).

# wait_idle: the machine is shared; before each timed run wait (at most
# BENCH_IDLE_WAIT seconds, default 60) for a second in which the CPUs are
# >= 90% idle, so that another user's job does not land in one side's
# timings only.
wait_idle() {
    t=0
    while [ $t -lt "${BENCH_IDLE_WAIT:-60}" ]; do
        idle=$(vmstat 1 2 | tail -1 | awk '{print $15}')
        [ "$idle" -ge 90 ] && return 0
        t=$((t + 2))
    done
    echo "warning: the machine stayed busy; timings are contended" >&2
}

# median FILE: the median of the numbers in FILE, one a line
median() {
    sort -g "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# maxcol FILE: the largest number in FILE
maxcol() {
    sort -g "$1" | tail -1
}

# json_num FILE KEY[.KEY...]: a number from a JSON report ("" when absent)
json_num() {
    $PY -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$1" "$2"
}

# timed OUTPREFIX CMD...: run CMD (stdout discarded) under /usr/bin/time;
# appends wall seconds to OUTPREFIX.wall, peak RSS (KB) to OUTPREFIX.rss and
# kernel CPU seconds (page faults, madvise...) to OUTPREFIX.sys
timed() {
    pre=$1; shift
    /usr/bin/time -f "%e %M %S" -o "$pre.time" "$@" > /dev/null
    cut -d' ' -f1 "$pre.time" >> "$pre.wall"
    cut -d' ' -f2 "$pre.time" >> "$pre.rss"
    cut -d' ' -f3 "$pre.time" >> "$pre.sys"
}

# ratio A B: A / B to two decimals
ratio() {
    echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'
}

# Debian's OpenBLAS 0.3.21 falls back to its generic Prescott kernels on
# this CPU model; every run here gets the AVX-512 ones.
if grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi
