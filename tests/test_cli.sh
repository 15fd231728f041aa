#!/bin/sh
# CLI tests: exit codes, one-line errors that name the file, the JSON
# contract checked against numpy. Run by `make check-cli`.
. tests/cli_lib.sh

# --- usage -----------------------------------------------------------------
expect_fail 2 "usage" $G
expect_fail 2 "unknown command" $G frobnicate
expect_fail 2 "usage: geoprobe info" $G info
expect_fail 2 "unknown or incomplete option" $G info --bogus "$F/acts.npy"
expect_out "commands:" $G help
expect_out "usage: geoprobe info" $G info --help
expect_out "usage: geoprobe info" $G help info
expect_out "blas core:" $G version

# --- bad input: exit 1, one line naming the file and the problem -----------
expect_fail 1 "$F/missing.npy: no such file" $G info "$F/missing.npy"
expect_fail 1 "$F/empty.npy: empty file" $G info "$F/empty.npy"
expect_fail 1 "$F/trunc_header.npy: truncated header" $G info "$F/trunc_header.npy"
expect_fail 1 "$F/trunc_data.npy: truncated data" $G info "$F/trunc_data.npy"
expect_fail 1 "$F/claims_more.npy: truncated data" $G info "$F/claims_more.npy"
expect_fail 1 "$F/overflow.npy" $G info "$F/overflow.npy"
expect_fail 1 "overflow" $G info "$F/overflow.npy"
expect_fail 1 "$F/complex.npy: unsupported dtype '<c8'" $G info "$F/complex.npy"
expect_fail 1 "$F/st_hlen.safetensors: header length" $G info "$F/st_hlen.safetensors"
expect_fail 1 "$F/st_badjson.safetensors: header is not valid JSON" $G info "$F/st_badjson.safetensors"
expect_fail 1 "overlap" $G info "$F/st_overlap.safetensors"
expect_fail 1 "$F/st_range.safetensors" $G info "$F/st_range.safetensors"
expect_fail 1 "F8_E4M3" $G info "$F/st_dtype.safetensors"
expect_fail 1 "no tensor 'model.layers.7' (tensors: model.layers.0, model.layers.1, hidden)" \
    $G info "$F/model.safetensors:model.layers.7"
expect_fail 1 "$F/a_directory.npy: is a directory" $G info "$F/a_directory.npy"
expect_fail 1 "299 labels, but $F/acts.npy has 300 rows" $G info "$F/acts.npy" --labels "$F/labels_short.npy"
expect_fail 1 "layer 9 out of range" $G info "$F/layers.npy@9"
expect_fail 1 "$F/nolabels.npy: no such file" $G info "$F/acts.npy" --labels "$F/nolabels.npy"

# --- good input --------------------------------------------------------------
expect_out "300 x 48  (float32" $G info "$F/acts.npy"
expect_out "memory-mapped" $G info "$F/acts.npy"
expect_out "float16" $G info "$F/acts_f16.npy"
expect_out "bfloat16 (stored as uint16)" $G info "$F/acts_bf16_u2.npy"
expect_out "3 tensors" $G info "$F/model.safetensors"
expect_out "hidden" $G info "$F/model.safetensors"
expect_out "\"model\":\"fixture\"" $G info "$F/model.safetensors"
expect_out "300 x 16  (float16" $G info "$F/model.safetensors:model.layers.1"
expect_out "50 x 16" $G info "$F/model.safetensors:hidden@2"
expect_out "50 x 16" $G info "$F/layers.npy@-1"
expect_out "300 x 48" $G info "$F/single.safetensors"
expect_out "2 NaN, 1 Inf  (first at row 5, column 9)" $G info "$F/acts_nan.npy"
expect_out "3 classes" $G info "$F/acts.npy" --labels "$F/labels.txt"

# --- JSON reports against numpy ----------------------------------------------
check_json() {
    ref=$1; shift
    if ! $G info "$@" --json "$T/r.json" >/dev/null 2>"$T/err"; then bad "info $* --json: $(cat "$T/err")"; return; fi
    if $PY tests/check_info.py "$T/r.json" $ref >"$T/py" 2>&1; then ok; else bad "info $*: $(tail -3 "$T/py")"; fi
}
check_json "$F/acts.npy" "$F/acts.npy"
check_json "$F/acts_f16.npy" "$F/acts_f16.npy"
check_json "$F/acts_f64.npy" "$F/acts_f64.npy"
check_json "$F/acts_bf16_ref.npy" "$F/acts_bf16_u2.npy"
check_json "$F/acts.npy" "$F/acts_fortran.npy"
check_json "$F/acts.npy" "$F/acts_be.npy"
check_json "$F/acts_nan.npy" "$F/acts_nan.npy"
check_json "$F/layers.npy" "$F/layers.npy"
check_json "$F/acts.npy $F/acts_f16.npy" "$F/acts.npy" "$F/acts_f16.npy"

# stdout JSON is one parseable object; the text summary then goes to stderr.
if $G info "$F/acts.npy" --json - 2>/dev/null | $PY -c 'import json,sys; json.load(sys.stdin)'; then ok; else bad "--json - is not one JSON object"; fi

# nothing half-written: a failing run leaves no report and no temp file
mkdir -p "$T/outdir"
expect_fail 1 "$F/empty.npy" $G info "$F/acts.npy" "$F/empty.npy" --json "$T/outdir/r.json"
if [ -z "$(ls -A "$T/outdir")" ]; then ok; else bad "failed run left files: $(ls "$T/outdir")"; fi
expect_fail 1 "$T/nodir/r.json: cannot create" $G info "$F/acts.npy" --json "$T/nodir/r.json"
echo old >"$T/outdir/keep.json"
expect_fail 1 "$F/missing.npy" $G info "$F/missing.npy" --json "$T/outdir/keep.json"
if [ "$(cat "$T/outdir/keep.json")" = old ]; then ok; else bad "previous output was replaced on failure"; fi

# --- BLAS core: a generic core on an AVX2/AVX-512 CPU is replaced ------------
kept=$(GEOPROBE_BLAS_CORE=keep $G version | sed -n 's/^blas core: \([^,]*\),.*/\1/p')
auto=$($G version | sed -n 's/^blas core: \([^,]*\),.*/\1/p')
if [ "$kept" = Prescott ] && grep -q avx512f /proc/cpuinfo; then
    if [ "$auto" = SkylakeX ]; then ok; else bad "generic core $kept not replaced (got $auto)"; fi
else
    if [ -n "$auto" ]; then ok; else bad "no core reported"; fi
fi
user=$(OPENBLAS_CORETYPE=Haswell $G version | sed -n 's/^blas core: \(.*\)/\1/p')
case "$user" in Haswell*"user (OPENBLAS_CORETYPE)"*) ok ;; *) bad "user core not honoured: $user" ;; esac
if $G info "$F/acts.npy" --json - 2>/dev/null | grep -q '"core_chosen_by"'; then ok; else bad "report lacks blas core"; fi

# ---- a shape larger than memory: refused before converting ---------------
# A float16 .npy whose header claims twice this machine's memory once
# converted to float32, as a sparse file (no disk used): pca must refuse it
# in one line before allocating. Skipped where the filesystem cannot hold
# such a sparse file.
mem_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo 2>/dev/null)
if [ -n "$mem_kb" ] && $PY - "$T/huge.npy" "$mem_kb" <<'PYEOF' 2>/dev/null && \
   [ "$(du -k "$T/huge.npy" | cut -f1)" -lt 1024 ]; then
import struct, sys
path, mem = sys.argv[1], int(sys.argv[2]) * 1024
cols = 8192
rows = mem // (cols * 2) + 1            # float16 bytes >= MemTotal: float32 needs 2x
hdr = "{'descr': '<f2', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    f.truncate(10 + len(hdr) + rows * cols * 2)
PYEOF
    expect_fail 1 "float16 to float32 needs" $G pca "$T/huge.npy" -k 2
    grep -q "^geoprobe pca: error: $T/huge.npy: converting ([0-9]*, 8192) float16 to float32 needs [0-9.]* GB, only [0-9.]* GB of memory available$" "$T/err" \
        && ok || bad "huge float16: $(cat "$T/err")"
    rm -f "$T/huge.npy"
    # the same as a bfloat16 .safetensors tensor, named in the message
    $PY - "$T/huge.safetensors" "$mem_kb" <<'PYEOF'
import json, struct, sys
path, mem = sys.argv[1], int(sys.argv[2]) * 1024
rows = mem // (8192 * 2) + 1
n = rows * 8192 * 2
hdr = json.dumps({"h.3": {"dtype": "BF16", "shape": [rows, 8192], "data_offsets": [0, n]}}).encode()
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(hdr)) + hdr)
    f.truncate(8 + len(hdr) + n)
PYEOF
    expect_fail 1 "$T/huge.safetensors: converting 'h.3' (" $G pca "$T/huge.safetensors:h.3" -k 2
    grep -q "bfloat16 to float32 needs [0-9.]* GB, only [0-9.]* GB of memory available$" "$T/err" \
        && ok || bad "huge bfloat16: $(cat "$T/err")"
    rm -f "$T/huge.safetensors"
else
    echo "SKIP: no sparse file of $mem_kb kB here"
    rm -f "$T/huge.npy"
fi

finish cli-info
