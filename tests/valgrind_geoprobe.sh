#!/bin/sh
# valgrind_geoprobe.sh — run the plain build's ./geoprobe under valgrind
# memcheck; a drop-in for GEOPROBE in the CLI test scripts (make valgrind):
#
#     GEOPROBE=tests/valgrind_geoprobe.sh sh tests/test_cli.sh
#
# Any invalid read or write, use of uninitialised memory or definite leak
# makes the run exit 99, which no geoprobe run returns, so the tests' exit
# code checks (0, 1 bad input, 2 usage) still see geoprobe's own code. With
# GP_VALGRIND_LOGS=DIR each run's report goes to DIR/vg.PID.log (stderr
# stays geoprobe's, so the one-line-error checks hold) and
#
#     sh tests/valgrind_geoprobe.sh --check-logs DIR
#
# then fails, printing them, if any log is not empty.
#
# The CLI re-executes itself when OpenBLAS picked a generic core
# (src/cli/main.c). Under valgrind OpenBLAS sees valgrind's CPU and picks
# its own core, so unless the caller chose (OPENBLAS_CORETYPE or
# GEOPROBE_BLAS_CORE set) this sets GEOPROBE_BLAS_CORE=keep: no re-exec.
# --trace-children=yes follows one anyway. tests/valgrind.supp holds the
# suppressions, for OpenBLAS / libgomp / ld.so internals only.
#
# OpenBLAS runs one thread here unless the caller set OPENBLAS_NUM_THREADS
# (-j still sets its own count): valgrind runs threads one at a time, so
# more buys nothing, and the kernels OpenBLAS picks for valgrind's CPU
# (Haswell) give different last bits with 2 threads than with 1 — a
# thread-count dependence memcheck is not the tool to judge (test_cli_pca.sh
# compares the default thread count with -j 1).
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = --check-logs ]; then
    dir=$2
    runs=0 bad=0
    for f in "$dir"/vg.*.log; do
        [ -e "$f" ] || continue
        runs=$((runs + 1))
        if [ -s "$f" ]; then
            bad=$((bad + 1))
            echo "valgrind: errors in $f:"
            cat "$f"
        fi
    done
    echo "valgrind: $runs geoprobe runs, $bad with errors"
    [ "$runs" -gt 0 ] && [ "$bad" -eq 0 ]
    exit
fi

bin=${GP_VALGRIND_BIN:-$here/../geoprobe}
if [ -z "${OPENBLAS_NUM_THREADS:-}" ]; then
    OPENBLAS_NUM_THREADS=1
    export OPENBLAS_NUM_THREADS
fi
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -z "${GEOPROBE_BLAS_CORE:-}" ]; then
    GEOPROBE_BLAS_CORE=keep
    export GEOPROBE_BLAS_CORE
fi
set -- --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --quiet --trace-children=yes --num-callers=30 \
    --suppressions="$here/valgrind.supp" "$bin" "$@"
if [ -n "${GP_VALGRIND_LOGS:-}" ]; then
    exec valgrind --log-file="$GP_VALGRIND_LOGS/vg.%p.log" "$@"
fi
exec valgrind "$@"
