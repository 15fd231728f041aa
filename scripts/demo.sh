#!/bin/sh
# make demo: geoprobe's main job on the bundled dataset. Every layer of a
# real transformer (stories260K, datasets/larger_than: residual streams on
# 1,980 true/false statements), every method, one report folder.
set -eu
G=./geoprobe
OUT=demo-out

$G version
echo
$G report datasets/larger_than/sweep.json --out "$OUT"
echo
cat "$OUT/summary.md"
echo
echo "The report is in $OUT/: report.json (every number), summary.md, table.tex,"
echo "the plots ($(cd "$OUT" && ls *.png 2>/dev/null | tr '\n' ' '))and the probes of every layer."
