# cli_lib.sh — helpers for the CLI test scripts (sourced).
G=${GEOPROBE:-./geoprobe}
F=${GP_FIXTURES:-build/fixtures}/cli
PY=${PY:-/usr/bin/python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_fail CODE SUBSTRING CMD...: exit CODE; for CODE 1, exactly one
# stderr line, containing SUBSTRING; nothing on stdout.
expect_fail() {
    code=$1; sub=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    lines=$(grep -c . "$T/err")
    if [ "$rc" -ne "$code" ]; then bad "$* -> exit $rc, want $code: $(cat "$T/err")"; return; fi
    if ! grep -qF -- "$sub" "$T/err"; then bad "$* -> stderr lacks '$sub': $(cat "$T/err")"; return; fi
    if [ "$code" -eq 1 ] && [ "$lines" -ne 1 ]; then bad "$* -> $lines stderr lines, want 1: $(cat "$T/err")"; return; fi
    if [ "$code" -eq 1 ] && [ -s "$T/out" ]; then bad "$* -> wrote to stdout on failure"; return; fi
    ok
}

# expect_ok CMD...: exit 0
expect_ok() {
    if "$@" >"$T/out" 2>"$T/err"; then ok; else bad "$* -> exit $?: $(cat "$T/err")"; fi
}

# expect_out SUBSTRING CMD...: exit 0 and stdout contains SUBSTRING
expect_out() {
    sub=$1; shift
    if ! "$@" >"$T/out" 2>"$T/err"; then bad "$* -> exit $?: $(cat "$T/err")"; return; fi
    if grep -qF -- "$sub" "$T/out"; then ok; else bad "$* -> stdout lacks '$sub'"; fi
}

# finish NAME: print the tally, exit non-zero on any failure
finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
