#!/usr/bin/python3
"""Writes probing_tour.ipynb next to this file (stdlib only: the notebook is
plain nbformat 4 JSON with no stored outputs). Edit the cells here, then run

    /usr/bin/python3 python/examples/make_probing_tour.py

tests/test_python.py checks that the .ipynb equals this script's output and
executes every code cell in order from the repository root."""
import json
import os
import sys

CELLS = [
    ("markdown", """\
# A probing tour with geoprobe

Where does a small language model represent whether a statement is true? This
notebook runs the whole geoprobe toolbox from Python on the bundled dataset
`datasets/larger_than`: the residual stream of `stories260K` (a 5-block Llama,
d_model 64) at the last token of 1,980 statements like *"Fifty-one is larger
than fifty-two."*, half of them true (Marks & Tegmark, *The Geometry of Truth*).

1. load the layers (memory-mapped, no copy),
2. PCA and a scree plot,
3. logistic vs mass-mean probes per layer, with a layer curve,
4. CCS on contrast pairs (the statement + " True" / + " False"): the paper's
   accuracy vs the honest sign-calibrated one,
5. CKA between layers as a heatmap.

Run `make` in the checkout first; the first cell finds the checkout from the
working directory (the repository root or `python/examples/`). Every plot is
PNG bytes drawn by libgeoprobe, shown with `IPython.display.Image`."""),
    ("code", """\
import os
import sys
import tempfile
import warnings

ROOT = os.path.abspath(".")  # the checkout: the folder holding datasets/larger_than
while not os.path.isdir(os.path.join(ROOT, "datasets", "larger_than")) and os.path.dirname(ROOT) != ROOT:
    ROOT = os.path.dirname(ROOT)
if os.path.join(ROOT, "python") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "python"))  # or: pip install -e python/

import geoprobe  # before numpy: it picks the fast OpenBLAS kernels
import numpy as np
from IPython.display import Image, display

try:
    import tqdm  # noqa: F401  progress bars for the longer fits
    PROGRESS = True
except ImportError:
    PROGRESS = None

DATA = os.path.join(ROOT, "datasets", "larger_than")
print("geoprobe", geoprobe.__version__, "| BLAS core", geoprobe.blas_core(), "|", geoprobe.library_path)"""),
    ("markdown", """\
## 1. Load the layers

`geoprobe.load` memory-maps a float32 `.npy` (read-only, no copy); every geoprobe
call takes such an array as it is. Layer 0 is the token embedding of the last
token, which is the same for every statement: a trap for every method."""),
    ("code", """\
LAYERS = list(range(6))
X = {L: geoprobe.load(os.path.join(DATA, "plain_layer%d.npy" % L)) for L in LAYERS}
y = geoprobe.load_labels(os.path.join(DATA, "labels.npy"))  # 1 = the statement is true
print("shape per layer:", X[3].shape, X[3].dtype, "| true/false:", np.bincount(y))
for L in (0, 3):
    s = geoprobe.info(X[L])
    print("layer %d: mean row norm %.2f, largest per-feature range %.3g"
          % (L, s["mean_row_norm"], np.ptp(X[L], axis=0).max()))"""),
    ("markdown", """\
## 2. PCA

Components are sign-fixed (the largest entry of each is positive), so they
match the CLI's `geoprobe pca` and scikit-learn ≥ 1.5 exactly."""),
    ("code", """\
pca = geoprobe.PCA(n_components=20).fit(X[3])
print("explained variance ratio, top 5:", pca.explained_variance_ratio_[:5].round(3),
      "| 20 components:", pca.explained_variance_ratio_.sum().round(3))
display(Image(pca.plot_scree(title="Layer 3: variance per principal component")))"""),
    ("code", """\
Z = pca.transform(X[3])  # (n, 20) float32
truth = np.where(y == 1, "true", "false")
display(Image(geoprobe.plot.scatter(Z[:, :2], labels=truth, centroids=True, x_label="PC 1",
                                    y_label="PC 2", title="Layer 3 on its top two components")))"""),
    ("markdown", """\
## 3. Supervised probes per layer

One stratified 70/30 split (the CLI's `--test-frac 0.3 --seed 0` split), then per
layer a logistic probe (C chosen by 5-fold cross-validation on the training rows,
standardized features) and a mass-mean probe (the difference of the class
means). The band is the 95% bootstrap interval of the test accuracy."""),
    ("code", """\
test = geoprobe.train_test_split(y, test_frac=0.3, seed=0)  # boolean mask
probes = {"logistic": lambda: geoprobe.LogisticProbe(C="auto", standardize=True),
          "mass-mean": lambda: geoprobe.MassMeanProbe()}
acc = {name: [] for name in probes}
lo = {name: [] for name in probes}
hi = {name: [] for name in probes}
for L in LAYERS:
    for name, make in probes.items():
        p = make().fit(X[L][~test], y[~test])
        acc[name].append(p.score(X[L][test], y[test]))
        ci = geoprobe.bootstrap_ci(y[test], p.predict_proba(X[L][test]), n_boot=200, seed=0,
                                   classes=p.classes_)["accuracy"]
        lo[name].append(ci[0])
        hi[name].append(ci[1])
for name in probes:
    print("%-10s" % name, np.round(acc[name], 3))
display(Image(geoprobe.plot.curve(LAYERS, acc, lo=lo, hi=hi, chance=0.5, x_label="layer",
                                  y_label="test accuracy", title="Truth probes per layer")))"""),
    ("code", """\
best = int(np.argmax(acc["logistic"]))
probe = geoprobe.LogisticProbe(C="auto", standardize=True).fit(X[best][~test], y[~test], progress=PROGRESS)
print("layer %d: C = %.3g, test accuracy %.3f" % (best, probe.C_, probe.score(X[best][test], y[test])))
display(Image(geoprobe.plot.hist(probe.decision_function(X[best][test]), labels=truth[test], threshold=0,
                                 x_label="logit of the probe", title="Layer %d: test scores" % best)))"""),
    ("markdown", """\
## 4. CCS on contrast pairs

`pos_layer{L}.npy` / `neg_layer{L}.npy` hold the same statements followed by
" True" and by " False": row i of each is one contrast pair. CCS (Burns et al.
2022) looks for a direction on which the two answers are consistent and
confident, **without labels**, so its sign is arbitrary. Two accuracies:

* the paper's: `max(acc, 1 - acc)` on the test pairs (the sign chosen with the
  test labels: optimistic),
* the sign-calibrated one: `calibrate()` fixes the sign (and a Platt scale) on
  labeled *training* pairs, then `score()` measures the test pairs.

Layer 0 has no spread at all, and the library says so."""),
    ("code", """\
P = {L: geoprobe.load(os.path.join(DATA, "pos_layer%d.npy" % L)) for L in LAYERS}
N = {L: geoprobe.load(os.path.join(DATA, "neg_layer%d.npy" % L)) for L in LAYERS}
try:
    geoprobe.CCS().fit(P[0], N[0])
except ValueError as e:
    print("layer 0:", e)

ccs_paper, ccs_calibrated = [np.nan], [np.nan]  # NaN: no point drawn for layer 0
for L in LAYERS[1:]:
    ccs = geoprobe.CCS(method="ccs", tries=10, seed=0).fit(P[L][~test], N[L][~test])  # no labels
    ccs_paper.append(ccs.paper_accuracy(P[L][test], N[L][test], y[test]))
    ccs.calibrate(P[L][~test], N[L][~test], y[~test])
    ccs_calibrated.append(ccs.score(P[L][test], N[L][test], y[test]))
print("CCS paper-style  ", np.round(ccs_paper, 3))
print("CCS sign-calibr. ", np.round(ccs_calibrated, 3))
curves = {"logistic (supervised)": acc["logistic"], "CCS, paper max(acc, 1-acc)": ccs_paper,
          "CCS, sign-calibrated": ccs_calibrated}
display(Image(geoprobe.plot.curve(LAYERS, curves, chance=0.5, x_label="layer", y_label="test accuracy",
                                  title="Unsupervised CCS against a supervised probe")))"""),
    ("code", """\
L = 5
ccs = geoprobe.CCS(tries=10, seed=0).fit(P[L][~test], N[L][~test], progress=PROGRESS)
print("loss %.4f (best of %d tries, %d iterations); tries agree: |cos| >= %.3f"
      % (ccs.loss_, ccs.tries_, ccs.n_iter_, np.abs(ccs.try_cosines_).min()))
ccs.calibrate(P[L][~test], N[L][~test], y[~test])
print("sign %+d, Platt a = %.3g, c = %.3g; test accuracy %.3f"
      % (ccs.sign_, ccs.platt_[0], ccs.platt_[1], ccs.score(P[L][test], N[L][test], y[test])))
display(Image(ccs.plot_contrast(P[L][test], N[L][test], y[test], title="Layer 5: CCS on the test pairs")))

path = os.path.join(tempfile.mkdtemp(), "ccs_layer5.safetensors")
ccs.save(path, layer=L)  # weight, bias, normalization + metadata; the CLI's format
again = geoprobe.load_probe(path)  # a geoprobe.CCS again
print(type(again).__name__, again.metadata_["method"], "| same credences:",
      np.allclose(again.predict_proba(P[L][test], N[L][test]), ccs.predict_proba(P[L][test], N[L][test]),
                  atol=1e-5))
print("in a shell: geoprobe apply", path, "POS.npy NEG.npy --labels Y.npy")"""),
    ("markdown", """\
## 5. CKA between layers

Linear CKA compares two representations of the same inputs (1 = the same up to
rotation and scale). Layer 0 is constant, so its CKA is 0 by convention (the
library warns; silenced here)."""),
    ("code", """\
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)
    K = np.array([[geoprobe.cka(X[a], X[b]) for b in LAYERS] for a in LAYERS])
names = ["layer %d" % L for L in LAYERS]
print(K.round(2))
display(Image(geoprobe.plot.heatmap(K, row_names=names, col_names=names, vmin=0, vmax=1,
                                    colorbar_label="linear CKA", title="CKA between layers")))"""),
    ("markdown", """\
## Where next

* The same numbers from a shell: `geoprobe probe`, `geoprobe ccs`, `geoprobe similarity`
  (`geoprobe COMMAND --help`), each with a JSON report.
* `geoprobe.plot.*(..., path="figure.pdf")` writes SVG or PDF for a paper.
* Any fit takes `progress=True` (a tqdm bar) or `progress=callable(done, total, stage)`."""),
]


def notebook():
    cells = []
    for i, (kind, text) in enumerate(CELLS):
        lines = text.split("\n")
        src = [line + "\n" for line in lines[:-1]] + [lines[-1]]
        cell = {"cell_type": kind, "id": "cell-%02d" % i, "metadata": {}, "source": src}
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        cells.append(cell)
    return {"cells": cells,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python", "pygments_lexer": "ipython3"}},
            "nbformat": 4, "nbformat_minor": 5}


def text():
    return json.dumps(notebook(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             "probing_tour.ipynb")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text())
    print(out)
