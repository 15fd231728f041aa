#!/bin/sh
# CLI tests of streaming (--stream on --block-rows N): PCA (cov and
# randomized), CKA and a probe fit on every row of a float32 .npy of several hundred MB keep peak
# resident memory below a third of the file, and give the same numbers as
# --stream off, which keeps the file's pages and so does use more (the
# check can fail). Peak RSS: getrusage(RUSAGE_CHILDREN) of one child, from
# Python. The data (328 MB and 164 MB, planted rank 10) are generated here
# in a few seconds and removed at the end; SKIP when the disk holding the
# temporary folder has less than 2 GB free.
. tests/cli_lib.sh

N=80000 D=1024 D2=512
free_kb=$(df -Pk "$T" | awk 'NR == 2 {print $4}')
if [ "${free_kb:-0}" -lt 2097152 ]; then
    echo "SKIP: test_cli_stream.sh needs 2 GB free in $T (has $((${free_kb:-0} / 1024)) MB)"
    finish test_cli_stream.sh
    exit $?
fi

# Rank-10 signal (column scales 6 * 0.8^i) plus unit noise, written block by
# block through a memmap so the generator never holds the matrix; B shares
# the first five latent factors with A, so their CKA is well above zero.
if ! $PY - "$T/a.npy" "$T/b.npy" $N $D $D2 <<'EOF'
import sys
import numpy as np
a, b, n, d, d2 = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
rng = np.random.default_rng(7)
r = 10
s = (6 * 0.8 ** np.arange(r)).astype(np.float32)
WA = rng.standard_normal((r, d), dtype=np.float32)
WB = rng.standard_normal((5, d2), dtype=np.float32)
y = np.zeros(n, dtype=np.int64)
A = np.lib.format.open_memmap(a, mode="w+", dtype=np.float32, shape=(n, d))
B = np.lib.format.open_memmap(b, mode="w+", dtype=np.float32, shape=(n, d2))
for i in range(0, n, 16384):
    m = min(16384, n - i)
    Z = rng.standard_normal((m, r), dtype=np.float32) * s
    A[i:i + m] = Z @ WA + rng.standard_normal((m, d), dtype=np.float32)
    B[i:i + m] = Z[:, :5] @ WB + rng.standard_normal((m, d2), dtype=np.float32)
    y[i:i + m] = Z[:, 0] > 0
np.save(a.replace("a.npy", "y.npy"), y)
A.flush()
B.flush()
EOF
then
    bad "generating the test data"
    finish test_cli_stream.sh
    exit 1
fi
size_kb=$(( $(wc -c < "$T/a.npy") / 1024 ))

# Under AddressSanitizer (make asan), freed heap waits in a quarantine of up
# to 256 MB that counts as resident; 16 MB keeps the peak the program's own.
# Other builds ignore the variable.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
export ASAN_OPTIONS

# rss CMD...: run CMD (stdout discarded, stderr to $T/err); prints its peak
# RSS in KB; exit status CMD's.
rss() {
    $PY -c '
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$@" 2>"$T/err"
}

# same_json KEY ON.json OFF.json: the reports' KEY (a number or list) agree
# within 1e-9 relative, and their "streaming" objects say what was asked.
same_json() {
    $PY - "$@" <<'EOF'
import json, sys
key, on, off = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
a, b = on[key], off[key]
a, b = (a, b) if isinstance(a, list) else ([a], [b])
assert len(a) == len(b) and len(a) > 0, (a, b)
for x, y in zip(a, b):
    assert abs(x - y) <= 1e-9 * max(abs(x), abs(y)), (key, x, y)
so, sf = on["streaming"], off["streaming"]
assert so["mode"] == "on" and so["streamed"] is True, so
assert sf["mode"] == "off" and sf["streamed"] is False, sf
EOF
}

# check NAME KEY ARGS...: geoprobe ARGS with --stream on and off; peak RSS
# on < size / 3 < peak RSS off; KEY the same both ways.
check() {
    name=$1; key=$2; shift 2
    if ! on=$(rss $G "$@" --stream on --json "$T/on.json"); then
        bad "$name --stream on: $(cat "$T/err")"; return
    fi
    if ! off=$(rss $G "$@" --stream off --json "$T/off.json"); then
        bad "$name --stream off: $(cat "$T/err")"; return
    fi
    echo "  $name: peak RSS $((on / 1024)) MB streamed, $((off / 1024)) MB kept; file $((size_kb / 1024)) MB"
    if [ $((on * 3)) -lt "$size_kb" ]; then ok
    else bad "$name --stream on: peak RSS $on KB, not below a third of the $size_kb KB file"; fi
    if [ $((off * 3)) -gt "$size_kb" ]; then ok
    else bad "$name --stream off: peak RSS $off KB, below a third of the file: the check cannot fail"; fi
    if same_json "$key" "$T/on.json" "$T/off.json" >"$T/py" 2>&1; then ok
    else bad "$name: on and off differ: $(tail -3 "$T/py")"; fi
}

echo "test_cli_stream.sh: $N x $D float32 ($((size_kb / 1024)) MB)"
check "pca cov" explained_variance_ratio pca "$T/a.npy" --solver cov -k 10 --block-rows 2048 -q
# the report records the block size asked for
if $PY -c "import json,sys; s=json.load(open('$T/on.json'))['streaming']; sys.exit(0 if s['block_rows'] == 2048 else 1)"
then ok; else bad "pca: streaming.block_rows is not 2048"; fi
check "pca randomized" explained_variance_ratio pca "$T/a.npy" --solver randomized -k 10 \
    --block-rows 2048 -q
check "similarity (CKA)" value similarity "$T/a.npy" "$T/b.npy" -q
# a probe fit on every row (--test-frac 0) reads the file in place
check "probe massmean" bias probe "$T/a.npy" --labels "$T/y.npy" --method massmean --test-frac 0 \
    --bootstrap 0 -q
expect_fail 2 "--stream" $G pca "$T/a.npy" --stream sometimes
rm -f "$T/a.npy" "$T/b.npy"
finish test_cli_stream.sh
