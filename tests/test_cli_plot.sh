#!/bin/sh
# CLI tests of the charts: --plot on pca, probe and similarity (PNG, SVG,
# PDF, size, provenance, the report's "plot" object), `geoprobe plot` from a
# saved report, and failures that leave nothing half-written.
. tests/cli_lib.sh
D=datasets/larger_than
X3=$D/plain_layer3.npy
Y=$D/labels.npy

# magic FILE: png, svg, pdf or "?" from the file's first bytes
magic() {
    head -c 8 "$1" | od -An -c | tr -d ' \n' | {
        read -r m
        case "$m" in
        211PNG\\r\\n032\\n*) echo png ;;
        %PDF*) echo pdf ;;
        *) if head -c 512 "$1" | grep -q "<svg"; then echo svg; else echo "?"; fi ;;
        esac
    }
}
# png_size FILE: "W H" from the IHDR chunk
png_size() {
    od -An -tu1 -j16 -N8 "$1" | {
        read -r a b c d e f g h
        echo "$(((a << 24) | (b << 16) | (c << 8) | d)) $(((e << 24) | (f << 16) | (g << 8) | h))"
    }
}
# png_text FILE KEY: the value of a tEXt / zTXt / iTXt chunk
png_text() {
    $PY - "$1" "$2" <<'PYEOF'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
i, out = 8, {}
while i + 8 <= len(d):
    n, = struct.unpack(">I", d[i:i + 4])
    t, c = d[i + 4:i + 8], d[i + 8:i + 8 + n]
    i += 12 + n
    if t == b"tEXt":
        k, v = c.split(b"\0", 1)
        out[k.decode("latin-1")] = v.decode("latin-1")
    elif t == b"zTXt":
        k, v = c.split(b"\0", 1)
        out[k.decode("latin-1")] = zlib.decompress(v[1:]).decode("latin-1")
    elif t == b"iTXt":
        k, r = c.split(b"\0", 1)
        flag, r = r[0], r[2:]
        lang, r = r.split(b"\0", 1)
        tk, v = r.split(b"\0", 1)
        out[k.decode("latin-1")] = (zlib.decompress(v) if flag else v).decode("utf-8")
print(out.get(sys.argv[2], ""))
PYEOF
}
# expect_plot FILE FORMAT [W H]: a file of that format (and PNG size)
expect_plot() {
    f=$1; fmt=$2
    if [ ! -s "$f" ]; then bad "$f: no plot written"; return; fi
    m=$(magic "$f")
    if [ "$m" != "$fmt" ]; then bad "$f: a $m file, want $fmt"; return; fi
    if [ $# -ge 4 ] && [ "$(png_size "$f")" != "$3 $4" ]; then
        bad "$f: PNG is $(png_size "$f"), want $3 $4"; return
    fi
    ok
}
# json_check FILE PYTHON-EXPR: the expression holds for r = the report,
# p = its "plot" object
json_check() {
    if $PY -c "import json, sys; r = json.load(open(sys.argv[1])); p = r.get('plot'); sys.exit(0 if ($2) else 1)" \
        "$1" 2>"$T/pyerr"; then ok; else bad "$1: not ($2) $(cat "$T/pyerr")"; fi
}
# no_leftovers DIR: no temporary plot file left behind
no_leftovers() {
    if ls -A "$1" | grep -q "\.gp-"; then bad "temporary files left in $1: $(ls -A "$1")"; else ok; fi
}

# --- pca: scatter by class, scree; the three formats ----------------------
expect_ok $G pca $X3 --labels $Y -k 5 --plot "$T/pca.png" --size 800x600 --json "$T/pca.json" -q
expect_plot "$T/pca.png" png 800 600
json_check "$T/pca.json" "p['kind'] == 'scatter' and len(p['x']) == len(p['y']) == len(p['ids']) == r['n'] == 1980"
json_check "$T/pca.json" "p['class_names'] == ['0', '1'] and p['x_label'].startswith('PC1 (') and 'var.)' in p['x_label']"
json_check "$T/pca.json" "p['y_label'].startswith('PC2 (') and p['show_centroids'] and 'plain_layer3' in p['title']"
expect_ok $G pca $X3 --labels $Y --plot "$T/pca.svg" -q
expect_plot "$T/pca.svg" svg
expect_ok $G pca $X3 --plot "$T/pca.pdf" -q
expect_plot "$T/pca.pdf" pdf
expect_ok $G pca $X3 --labels $Y --plot "$T/pca13.png" --pcs 1,3 --dpi 100 --plot-title "layer 3" --json "$T/pca13.json" -q
expect_plot "$T/pca13.png" png 1600 1200
json_check "$T/pca13.json" "p['y_label'].startswith('PC3 (') and p['title'] == 'layer 3'"
expect_ok $G pca "$F/planted.npy" -k 10 --plot "$T/scree.png" --plot-kind scree --log --json "$T/scree.json" -q
expect_plot "$T/scree.png" png 1600 1200
json_check "$T/scree.json" "p['kind'] == 'scree' and p['log_scale'] and p['ratio'] == r['explained_variance_ratio']"
# the plotted coordinates are the projections (--project), whitened too
for w in "" --whiten; do
    if $G pca $X3 -k 4 $w --pcs 2,4 --plot "$T/pp.png" --project "$T/proj.npy" --json "$T/pp.json" -q &&
        $PY -c "
import json, sys, numpy as np
p = json.load(open(sys.argv[1]))['plot']
P = np.load(sys.argv[2])
assert np.allclose(P[:, 1], p['x'], atol=1e-5) and np.allclose(P[:, 3], p['y'], atol=1e-5)
" "$T/pp.json" "$T/proj.npy"; then ok; else bad "pca $w --pcs 2,4: plotted points differ from --project"; fi
done
# the chart's data only with --plot
expect_ok $G pca $X3 -k 3 --json "$T/pca_noplot.json" -q
json_check "$T/pca_noplot.json" "'plot' not in r"

# provenance: the command line and each input's sha256 in tEXt chunks
sha=$(sha256sum $X3 | cut -d' ' -f1)
cmdline=$(png_text "$T/pca.png" Command)
case "$cmdline" in
*"pca $X3 --labels $Y -k 5 --plot $T/pca.png --size 800x600"*) ok ;;
*) bad "PNG Command is '$cmdline'" ;;
esac
if [ "$(png_text "$T/pca.png" "Input 1")" = "$X3 $sha" ]; then ok
else bad "PNG 'Input 1' is '$(png_text "$T/pca.png" "Input 1")', want '$X3 $sha'"; fi
if grep -aq "$sha" "$T/pca.svg" && grep -aq "$sha" "$T/pca.pdf"; then ok
else bad "the SVG or PDF lacks the input's sha256"; fi
expect_ok $G pca $X3 --plot "$T/quote.png" --plot-title "it's a test" -q
case "$(png_text "$T/quote.png" Command)" in
*"--plot-title 'it'\\''s a test'"*) ok ;;
*) bad "Command not shell-quoted: $(png_text "$T/quote.png" Command)" ;;
esac

# usage errors (exit 2) come before any computation and write nothing
expect_fail 2 "--plot wants FILE.png, FILE.svg or FILE.pdf" $G pca $X3 --plot "$T/bad.jpg" --json "$T/bad.json"
if [ -e "$T/bad.jpg" ] || [ -e "$T/bad.json" ]; then bad "a usage error wrote a file"; else ok; fi
expect_fail 2 "--plot wants" $G pca $X3 --plot "$T/noext"
expect_fail 2 "--dpi wants" $G pca $X3 --plot "$T/x.png" --dpi 0
expect_fail 2 "--size wants" $G pca $X3 --plot "$T/x.png" --size 800
expect_fail 2 "--size wants" $G pca $X3 --plot "$T/x.png" --size 10x10
expect_fail 2 "go with --plot" $G pca $X3 --dpi 300
expect_fail 2 "go with --plot" $G pca $X3 --pcs 1,2
expect_fail 2 "needs -k 3 or more" $G pca $X3 -k 2 --plot "$T/x.png" --pcs 1,3
expect_fail 2 "--pcs wants" $G pca $X3 --plot "$T/x.png" --pcs 2,2
expect_fail 2 "unknown --plot-kind" $G pca $X3 --plot "$T/x.png" --plot-kind pie
expect_fail 2 "--log is for" $G pca $X3 --plot "$T/x.png" --log
expect_fail 1 "the fit has 1 component" $G pca "$F/dir_a.npy" --plot "$T/x.png"
if [ -e "$T/x.png" ]; then bad "a failed run wrote $T/x.png"; else ok; fi

# --- probe: score histogram per class --------------------------------------
expect_ok $G probe $X3 --labels $Y --plot "$T/probe.png" --json "$T/probe.json" -q
expect_plot "$T/probe.png" png 1600 1200
json_check "$T/probe.json" "p['kind'] == 'hist' and len(p['scores']) == len(p['ids']) == r['test']['n'] and p['threshold'] == 0"
json_check "$T/probe.json" "'logit' in p['x_label'] and p['class_names'] == r['classes']"
# the plotted logits agree with the reported accuracy
json_check "$T/probe.json" "abs(sum((s > 0) == (i == 1) for s, i in zip(p['scores'], p['ids'])) / len(p['ids']) - r['test']['accuracy']) < 1e-9"
expect_ok $G probe "$F/probe_X.npy" --labels "$F/probe_y.npy" --test-frac 0 --plot "$T/probe_tr.svg" --json "$T/probe_tr.json" -q
expect_plot "$T/probe_tr.svg" svg
json_check "$T/probe_tr.json" "len(p['scores']) == 500 and 'training' in p['title']"
expect_ok $G probe "$F/probe_X.npy" --labels "$F/probe_y3.npy" --folds 3 --bootstrap 0 --plot "$T/probe3.pdf" --json "$T/probe3.json" -q
expect_plot "$T/probe3.pdf" pdf
json_check "$T/probe3.json" "p['n_classes'] == 3 and 'margin' in p['x_label'] and len(p['scores']) == 500"
json_check "$T/probe3.json" "abs(sum(s > 0 for s in p['scores']) / 500 - r['test']['accuracy']) < 1e-9"
expect_ok $G probe "$F/probe_X.npy" --labels "$F/probe_target.npy" --method ridge --plot "$T/ridge.png" --json "$T/ridge.json" -q
json_check "$T/ridge.json" "p['kind'] == 'scatter' and len(p['x']) == r['test']['n'] and p['x_label'] == 'target'"
expect_fail 2 "--plot wants" $G probe $X3 --labels $Y --plot "$T/p.gif"

# --- similarity: heatmap ----------------------------------------------------
expect_ok $G similarity $D/plain_layer1.npy $D/plain_layer3.npy $D/plain_layer5.npy --plot "$T/cka.png" --json "$T/cka.json" -q
expect_plot "$T/cka.png" png 1600 1200
json_check "$T/cka.json" "p['kind'] == 'heatmap' and p['values'] == r['matrix'] and p['range'] == [0, 1]"
json_check "$T/cka.json" "p['row_names'] == p['col_names'] == ['plain_layer1', 'plain_layer3', 'plain_layer5']"
if [ "$(png_text "$T/cka.png" "Input 3")" = "$D/plain_layer5.npy $(sha256sum $D/plain_layer5.npy | cut -d' ' -f1)" ]; then ok
else bad "similarity PNG 'Input 3' is '$(png_text "$T/cka.png" "Input 3")'"; fi
expect_ok $G similarity "$F/planted.npy" "$F/planted_rot.npy" --plot "$T/cka2.svg" --json "$T/cka2.json" -q
json_check "$T/cka2.json" "len(p['values']) == 2 and p['values'][0][1] == r['value']"
expect_ok $G similarity --metric cosine "$F/dir_a.npy" "$F/dirs.npy" --plot "$T/cos.pdf" --json "$T/cos.json" -q
expect_plot "$T/cos.pdf" pdf
json_check "$T/cos.json" "p['range'] == [-1, 1] and p['row_names'] == ['dir_a', 'dirs[0]', 'dirs[1]', 'dirs[2]']"

# --- a failed plot fails the run, and writes nothing ------------------------
expect_fail 1 "$T/nodir/x.png" $G pca $X3 --plot "$T/nodir/x.png" --json "$T/nodir.json"
if [ -e "$T/nodir.json" ]; then bad "the JSON was written though the plot failed"; else ok; fi
mkdir -p "$T/isdir.png"
expect_fail 1 "is a directory" $G similarity $D/plain_layer1.npy $D/plain_layer3.npy --plot "$T/isdir.png"
# an unwritable folder: the old plot stays, no JSON is written
mkdir -p "$T/ro" "$T/rw"
cp "$T/pca.png" "$T/ro/old.png"
run_ro() { "$@"; }
skip_ro=""
if [ "$(id -u)" -eq 0 ]; then
    # root writes anywhere: run as nobody, who may write $T/rw only
    if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        chmod 755 "$T"
        chmod 777 "$T/rw"
        run_ro() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    else
        skip_ro="running as root without setpriv"
    fi
else
    chmod 555 "$T/ro"
fi
if [ -n "$skip_ro" ]; then
    echo "note: unwritable-folder test skipped ($skip_ro)"
    ok
elif run_ro $G pca $X3 --labels $Y --plot "$T/ro/old.png" --json "$T/rw/ro.json" -q >"$T/out" 2>"$T/err"; then
    bad "plot into an unwritable folder succeeded"
elif ! grep -q "$T/ro/old.png" "$T/err" || [ "$(grep -c . "$T/err")" -ne 1 ]; then
    bad "unwritable folder: want one line naming the file: $(cat "$T/err")"
elif ! cmp -s "$T/pca.png" "$T/ro/old.png"; then
    bad "unwritable folder: the old plot changed"
elif [ -e "$T/rw/ro.json" ]; then
    bad "unwritable folder: the JSON was written though the plot failed"
else ok; fi
chmod 755 "$T/ro"
# a run that fails after the plot was drawn leaves neither plot nor temporary
expect_fail 1 "$T/nodir/c.npy" $G pca $X3 --plot "$T/late.png" --components "$T/nodir/c.npy"
if [ -e "$T/late.png" ]; then bad "a failed run left its plot"; else ok; fi
no_leftovers "$T"

# --- geoprobe plot: redraw from a report --------------------------------------
for f in pca probe probe3 cka cos scree; do
    expect_ok $G plot "$T/$f.json" "$T/re_$f.png"
    expect_plot "$T/re_$f.png" png 1600 1200
done
expect_ok $G plot "$T/pca.json" "$T/re_pca_small.png" --size 800x600
if [ "$(png_size "$T/re_pca_small.png")" = "$(png_size "$T/pca.png")" ]; then ok
else bad "redrawn PNG is $(png_size "$T/re_pca_small.png"), the original $(png_size "$T/pca.png")"; fi
expect_ok $G plot "$T/pca.json" "$T/re_pca.svg"
expect_plot "$T/re_pca.svg" svg
expect_ok $G plot "$T/probe.json" "$T/re_probe.pdf" --plot-title "held-out logits"
expect_plot "$T/re_probe.pdf" pdf
rsha=$(sha256sum "$T/pca.json" | cut -d' ' -f1)
if [ "$(png_text "$T/re_pca_small.png" Report)" = "$T/pca.json $rsha" ] &&
    [ "$(png_text "$T/re_pca_small.png" "Input 1")" = "$X3 $sha" ]; then ok
else bad "redrawn PNG provenance: Report '$(png_text "$T/re_pca_small.png" Report)'"; fi
# reports made without --plot: scree from pca, heatmap from similarity
expect_ok $G plot "$T/pca_noplot.json" "$T/re_scree.png" --log
expect_plot "$T/re_scree.png" png 1600 1200
expect_ok $G plot "$T/pca.json" "$T/re_scree2.svg" --kind scree
$G similarity $D/plain_layer1.npy $D/plain_layer2.npy --json "$T/sim2.json" -q
expect_ok $G plot "$T/sim2.json" "$T/re_sim2.png"
expect_fail 1 "--plot" $G plot "$T/pca_noplot.json" "$T/x.png" --kind scatter
$G probe "$F/probe_X.npy" --labels "$F/probe_y.npy" --bootstrap 0 --json "$T/probe_noplot.json" -q
expect_fail 1 "--plot FILE --json" $G plot "$T/probe_noplot.json" "$T/x.png"
expect_fail 1 "no layers" $G plot "$T/pca.json" "$T/x.png" --kind curve
# the layer curve of a sweep report (DESIGN.md's contract)
cat >"$T/sweep.json" <<'EOF'
{"geoprobe_version": "0.1.0", "command": "sweep", "inputs": [],
 "layers": [
  {"layer": 1, "methods": {"logistic": {"test": {"accuracy": 0.71, "accuracy_ci95": [0.66, 0.75], "auroc": 0.8}},
                           "ccs": {"accuracy": 0.55}}},
  {"layer": 2, "methods": {"logistic": {"test": {"accuracy": 0.93, "accuracy_ci95": [0.9, 0.95], "auroc": 0.97}},
                           "ccs": {"accuracy": 0.81}}},
  {"layer": 3, "methods": {"logistic": {"test": {"accuracy": 0.95, "accuracy_ci95": [0.93, 0.97], "auroc": 0.98}},
                           "ccs": {"accuracy": null}}}]}
EOF
expect_ok $G plot "$T/sweep.json" "$T/curve.png"
expect_plot "$T/curve.png" png 1600 1200
expect_ok $G plot "$T/sweep.json" "$T/curve.svg" --kind curve --metric test.auroc
expect_plot "$T/curve.svg" svg
expect_fail 1 "no layer has methods.<method>.test.r2" $G plot "$T/sweep.json" "$T/x.png" --metric test.r2
# malformed reports: exit 1, one line naming the file
printf '{"plot": {"kind": "scatter", "x": [1, 2, 3], "y": [1, 2]}}' >"$T/m1.json"
expect_fail 1 "$T/m1.json: plot.x has 3 values but plot.y has 2" $G plot "$T/m1.json" "$T/x.png"
printf '{"plot": {"kind": "hist", "scores": [1, "a", 3]}}' >"$T/m2.json"
expect_fail 1 "$T/m2.json: plot.scores[1] is not a number" $G plot "$T/m2.json" "$T/x.png"
printf '{"plot": {"kind": "heatmap"}}' >"$T/m3.json"
expect_fail 1 "$T/m3.json: plot.values is missing" $G plot "$T/m3.json" "$T/x.png"
printf '{"plot": {"kind": "scatter", "x": [1, 2' >"$T/m4.json"
expect_fail 1 "$T/m4.json: not valid JSON" $G plot "$T/m4.json" "$T/x.png"
printf '{"plot": {"kind": "pie"}}' >"$T/m5.json"
expect_fail 1 "$T/m5.json: plot.kind is 'pie', unknown" $G plot "$T/m5.json" "$T/x.png"
printf '{"command": "similarity", "names": ["a", "b", "c"], "matrix": [[1, 0.5], [0.5, 1]]}' >"$T/m6.json"
expect_fail 1 "$T/m6.json: report.matrix is not 3 rows" $G plot "$T/m6.json" "$T/x.png"
printf '{"layers": [{"layer": 0, "methods": {"lr": {"test": {"accuracy": "high"}}}}]}' >"$T/m7.json"
expect_fail 1 "$T/m7.json: report.layers[0].methods.lr.test.accuracy is not a number" $G plot "$T/m7.json" "$T/x.png"
expect_fail 1 "$T/none.json: cannot read" $G plot "$T/none.json" "$T/x.png"
if [ -e "$T/x.png" ]; then bad "a failed geoprobe plot wrote $T/x.png"; else ok; fi
expect_fail 2 "OUT.png, OUT.svg or OUT.pdf" $G plot "$T/pca.json" "$T/x.bmp"
expect_fail 2 "unknown --kind" $G plot "$T/pca.json" "$T/x.png" --kind pie
expect_fail 2 "--metric is for" $G plot "$T/pca.json" "$T/x.png" --kind scree --metric test.auroc
expect_fail 2 "no output file" $G plot "$T/pca.json"
no_leftovers "$T"

# --- help ---------------------------------------------------------------------
expect_out "--plot FILE" $G pca --help
expect_out "--pcs A,B" $G pca --help
expect_out "--plot FILE" $G probe --help
expect_out "--plot FILE" $G similarity --help
expect_out "usage: geoprobe plot" $G plot --help
expect_out "plot " $G help

finish cli-plot
