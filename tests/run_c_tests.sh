#!/bin/sh
# Run each C test binary (cmocka), then print one tally line over all of them.
# Exit non-zero when any test or binary failed.
passed=0; failed=0; status=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^\[  (FAILED|  OK  |PASSED) \]|^\[ ERROR|^\[  FAILED' | grep -v '^\[       OK \]' >/dev/null
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    p=${p:-0}; f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" -ne 0 ]; then
        status=1
        printf '%s\n' "$out"
        echo "FAIL: $t (exit $rc)"
    else
        echo "ok:   $t ($p tests)"
    fi
done
echo "c-tests: $passed passed, $failed failed"
exit $status
