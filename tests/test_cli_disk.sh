#!/bin/sh
# CLI tests of output files on a disk that refuses them: a full filesystem,
# a file-size limit and a read-only folder. Every writer (--json, pca
# --components / --project, probe --save, apply --scores) must exit 1 with
# one stderr line naming the file, leave the previous file intact and leave
# no temporary file behind. Run by `make check-cli` (and under ASan and
# valgrind).
#
# Mechanisms, each used when the machine allows it (a SKIP line says why
# not): a 64 KiB tmpfs filled to the last block (mount: root only); a
# read-only folder: chmod 555 (not root, which ignores modes), else a
# read-only tmpfs; a file-size limit (ulimit -f, SIGXFSZ ignored so write()
# fails with EFBIG), which works for everyone and fails the writes the way a
# full disk does.
. tests/cli_lib.sh

MOUNTS=""
cleanup() {
    for m in $MOUNTS; do umount "$m" 2>/dev/null; done
    chmod -R u+w "$T" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

X="$F/probe_X.npy"
Y="$F/probe_y.npy"
# A saved probe for apply, and proof that every writer works on a good disk.
mkdir -p "$T/good"
expect_ok $G info "$F/acts.npy" --json "$T/good/out.json"
expect_ok $G pca "$F/acts.npy" -k 2 --components "$T/good/c.npy" --project "$T/good/p.npy" -q
expect_ok $G probe "$X" --labels "$Y" --test-frac 0 --save "$T/good/probe.safetensors" -q
expect_ok $G apply "$T/good/probe.safetensors" "$X" --scores "$T/good/s.npy" -q
P="$T/good/probe.safetensors"

OUTS="out.json c.npy p.npy probe.safetensors s.npy"

# seed DIR: a previous version of every output, to be kept intact
seed() {
    for o in $OUTS; do echo old >"$1/$o"; done
}

# writers DIR LABEL [RUNNER...]: every writer into DIR must fail cleanly
writers() {
    dir=$1; label=$2; shift 2
    expect_fail 1 "$dir/out.json" "$@" $G info "$F/acts.npy" --json "$dir/out.json"
    expect_fail 1 "$dir/c.npy" "$@" $G pca "$F/acts.npy" -k 2 --components "$dir/c.npy" -q
    expect_fail 1 "$dir/p.npy" "$@" $G pca "$F/acts.npy" -k 2 --project "$dir/p.npy" -q
    expect_fail 1 "$dir/probe.safetensors" "$@" $G probe "$X" --labels "$Y" --test-frac 0 \
        --save "$dir/probe.safetensors" -q
    expect_fail 1 "$dir/s.npy" "$@" $G apply "$P" "$X" --scores "$dir/s.npy" -q
    for o in $OUTS; do
        if [ "$(cat "$dir/$o" 2>/dev/null)" = old ]; then ok; else bad "$label: previous $o not intact"; fi
    done
    extra=$(ls -A "$dir" | grep -v -x -e out.json -e c.npy -e p.npy -e probe.safetensors \
        -e s.npy -e fill)
    if [ -z "$extra" ]; then ok; else bad "$label: files left behind: $extra"; fi
}

# --- a full filesystem --------------------------------------------------------
mkdir -p "$T/full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=64k tmpfs "$T/full" 2>/dev/null; then
    MOUNTS="$MOUNTS $T/full"
    seed "$T/full"
    dd if=/dev/zero of="$T/full/fill" bs=4096 2>/dev/null
    if [ "$(df -P "$T/full" | awk 'NR == 2 {print $4}')" = 0 ]; then
        writers "$T/full" "full disk"
        expect_fail 1 "No space left on device" $G info "$F/acts.npy" --json "$T/full/out.json"
    else
        echo "SKIP: full filesystem: the 64 KiB tmpfs did not fill up"
    fi
else
    echo "SKIP: full filesystem: cannot mount a small tmpfs (needs root); the file-size limit below stands in"
fi

# --- a file-size limit: write() fails with EFBIG past 512 bytes ----------------
limited() {
    (trap '' XFSZ; ulimit -f 1 && exec "$@")
}
mkdir -p "$T/limit"
seed "$T/limit"
writers "$T/limit" "file-size limit" limited
expect_fail 1 "File too large" limited $G info "$F/acts.npy" --json "$T/limit/out.json"

# --- a read-only folder ----------------------------------------------------------
ro="$T/ro"
mkdir -p "$ro"
seed "$ro"
how=""
if [ "$(id -u)" -ne 0 ]; then
    chmod 555 "$ro" && how="chmod 555"
elif mount -t tmpfs -o size=64k tmpfs "$ro" 2>/dev/null; then
    MOUNTS="$MOUNTS $ro"
    seed "$ro"
    mount -o remount,ro "$ro" 2>/dev/null && how="read-only tmpfs"
fi
if [ -n "$how" ] && ! (: >"$ro/.probe") 2>/dev/null; then
    writers "$ro" "read-only folder ($how)"
    expect_fail 1 "$ro/out.json: cannot create" $G info "$F/acts.npy" --json "$ro/out.json"
else
    rm -f "$ro/.probe" 2>/dev/null
    echo "SKIP: read-only folder: running as root without mount, and root ignores chmod"
fi

finish cli-disk
