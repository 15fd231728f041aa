#!/bin/sh
# make demo: the main job on the bundled dataset (datasets/larger_than:
# stories260K residual streams on 1,980 true/false statements). Grows as
# geoprobe's commands land; writes its reports into demo-out/.
set -eu
G=./geoprobe
D=datasets/larger_than
OUT=demo-out
mkdir -p "$OUT"

echo "== geoprobe version"
$G version
echo
echo "== what is in the dump: every layer, checked against the labels"
$G info $D/plain_layer0.npy $D/plain_layer1.npy $D/plain_layer2.npy \
        $D/plain_layer3.npy $D/plain_layer4.npy $D/plain_layer5.npy \
        --labels $D/labels.npy --json "$OUT/info.json"
echo
echo "== principal components of layer 3, and where the true/false classes sit"
$G pca $D/plain_layer3.npy -k 10 --labels $D/labels.npy \
    --components "$OUT/pca_layer3_components.npy" --json "$OUT/pca_layer3.json"
echo
echo "== how the layers relate: linear CKA between every pair (layer 0 is constant)"
$G similarity $D/plain_layer0.npy $D/plain_layer1.npy $D/plain_layer2.npy \
    $D/plain_layer3.npy $D/plain_layer4.npy $D/plain_layer5.npy --json "$OUT/cka_layers.json"
echo
echo "== is truth linearly readable at layer 3? logistic vs mass-mean (they disagree on real data)"
$G probe $D/plain_layer3.npy --labels $D/labels.npy --standardize --folds 5 --control \
    --save "$OUT/probe_logistic_layer3.safetensors" --json "$OUT/probe_logistic_layer3.json"
$G probe $D/plain_layer3.npy --labels $D/labels.npy --method massmean --folds 5 \
    --json "$OUT/probe_massmean_layer3.json"
echo
echo "== the saved probe applied to layer 4 (does the direction transfer?)"
$G apply "$OUT/probe_logistic_layer3.safetensors" $D/plain_layer4.npy --labels $D/labels.npy \
    --json "$OUT/apply_layer3_probe_to_layer4.json"
echo
echo "reports written to $OUT/"
