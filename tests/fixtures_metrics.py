#!/usr/bin/python3
"""Write the fixtures for tests/test_metrics.c into OUTDIR/metrics/.

Usage: /usr/bin/python3 tests/fixtures_metrics.py OUTDIR

Classification cases (labels y int32 (n,), probabilities float64 (n, k)) with
scikit-learn 1.2's values as the reference: binary with many tied scores
(probabilities rounded to a 0.05 grid, which also puts confidences on the
ECE bin edges), imbalanced, perfect, inverted, one class only, 3- and
10-class with tied scores (integer logits through a softmax), 10-class with
a class absent from y, and a hand-written small case with argmax ties and
probabilities of exactly 0 and 1. Per case:
    NAME_y.npy NAME_proba.npy
    NAME_ref.npy        [accuracy, balanced_accuracy, auroc, log_loss, ece]
    NAME_confusion.npy  int64 (k, k), sklearn confusion_matrix
Regression cases: NAME_target.npy NAME_pred.npy NAME_ref.npy [r2, pearson, mse].
Bootstrap cases: the same data-generating process at n = 500 and n = 8000,
NAME_boot.npy [acc_lo, acc_hi, auc_lo, auc_hi] from a numpy percentile
bootstrap (numpy's RNG, 1000 resamples).
cases.txt lists "class NAME" / "regr NAME" / "boot NAME" lines.
"""
import os
import sys
import warnings

import numpy as np
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, confusion_matrix,
                             log_loss, mean_squared_error, r2_score, roc_auc_score)

EPS = 1e-15


def ece_ref(y, p):
    """Top-class ECE, bins (i/10, (i+1)/10], the first closed at 0."""
    pred = p.argmax(axis=1)
    conf = p[np.arange(len(y)), pred]
    edges = np.arange(11) / 10.0
    b = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, 9)
    ece = 0.0
    for i in range(10):
        m = b == i
        if m.any():
            ece += m.sum() / len(y) * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return ece


def auroc_ref(y, p, k):
    present = np.unique(y)
    if len(present) < 2:
        return 0.5
    if k == 2:
        return roc_auc_score(y, p[:, 1])
    if len(present) == k:
        return roc_auc_score(y, p, multi_class="ovr", average="macro", labels=np.arange(k))
    # sklearn refuses an absent class; ours is the macro mean over present ones
    return np.mean([roc_auc_score(y == c, p[:, c]) for c in present])


def class_case(out, cases, name, y, p):
    y = np.asarray(y, np.int32)
    p = np.asarray(p, np.float64)
    k = p.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = p.argmax(axis=1)
        ref = [accuracy_score(y, pred), balanced_accuracy_score(y, pred),
               auroc_ref(y, p, k),
               log_loss(y, p, eps=EPS, labels=np.arange(k)), ece_ref(y, p)]
    np.save(os.path.join(out, name + "_y.npy"), y)
    np.save(os.path.join(out, name + "_proba.npy"), p)
    np.save(os.path.join(out, name + "_ref.npy"), np.array(ref, np.float64))
    np.save(os.path.join(out, name + "_confusion.npy"),
            confusion_matrix(y, pred, labels=np.arange(k)).astype(np.int64))
    cases.append("class " + name)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def binary_scores(rng, y, sep):
    """P(class 1) from a noisy logit; sep = separation of the class means."""
    z = rng.normal(size=len(y)) + sep * (2 * y - 1)
    return 1 / (1 + np.exp(-z))


def two_col(p1):
    return np.stack([1 - p1, p1], axis=1)


def weighted_auc(order, ends, y_sorted, w):
    """Mann-Whitney AUC with row weights w on a pre-sorted order."""
    ws = w[order]
    pos = np.add.reduceat(ws * y_sorted, ends)
    neg = np.add.reduceat(ws * (1 - y_sorted), ends)
    below = np.concatenate([[0], np.cumsum(neg)[:-1]])
    npos, nneg = pos.sum(), neg.sum()
    if npos == 0 or nneg == 0:
        return None
    return (pos * below + 0.5 * pos * neg).sum() / (npos * nneg)


def boot_case(out, cases, name, y, p1, rng, n_boot=1000):
    y = np.asarray(y, np.int32)
    p = two_col(p1)
    n = len(y)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    order = np.argsort(p1, kind="stable")
    s = p1[order]
    ends = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))
    ys = y[order].astype(np.float64)
    accs, aucs = [], []
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        w = np.bincount(idx, minlength=n).astype(np.float64)
        accs.append((w * correct).sum() / n)
        a = weighted_auc(order, ends, ys, w)
        if b < 3:   # the weighted form is the AUROC of the resampled rows
            assert abs(a - roc_auc_score(y[idx], p1[idx])) < 1e-12
        if a is not None:
            aucs.append(a)
    ref = np.percentile(accs, [2.5, 97.5]).tolist() + np.percentile(aucs, [2.5, 97.5]).tolist()
    np.save(os.path.join(out, name + "_y.npy"), y)
    np.save(os.path.join(out, name + "_proba.npy"), p)
    np.save(os.path.join(out, name + "_boot.npy"), np.array(ref, np.float64))
    cases.append("boot " + name)


def regr_case(out, cases, name, t, pr):
    t = np.asarray(t, np.float64)
    pr = np.asarray(pr, np.float64)
    const = np.all(t == t[0]) or np.all(pr == pr[0])
    r2 = 0.0 if np.all(t == t[0]) else r2_score(t, pr)
    pearson = 0.0 if const else np.corrcoef(t, pr)[0, 1]
    ref = [r2, pearson, mean_squared_error(t, pr)]
    np.save(os.path.join(out, name + "_target.npy"), t)
    np.save(os.path.join(out, name + "_pred.npy"), pr)
    np.save(os.path.join(out, name + "_ref.npy"), np.array(ref, np.float64))
    cases.append("regr " + name)


def main():
    out = os.path.join(sys.argv[1], "metrics")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240404)
    cases = []

    # binary, many ties: probabilities on a 0.05 grid (also on ECE edges)
    y = rng.integers(0, 2, 500)
    class_case(out, cases, "bin_ties", y, two_col(np.round(binary_scores(rng, y, 0.7) * 20) / 20))
    # binary, continuous scores
    y = rng.integers(0, 2, 800)
    class_case(out, cases, "bin_smooth", y, two_col(binary_scores(rng, y, 1.0)))
    # imbalanced: 3% positives, coarse ties
    y = (rng.random(2000) < 0.03).astype(np.int32)
    class_case(out, cases, "bin_imbalanced", y,
               two_col(np.round(binary_scores(rng, y, 1.2) * 50) / 50))
    # perfect and inverted classifiers, with exact 0 / 1 probabilities
    y = rng.integers(0, 2, 300)
    pp = np.where(y == 1, rng.uniform(0.6, 1.0, 300), rng.uniform(0.0, 0.4, 300))
    pp[:4] = y[:4]
    class_case(out, cases, "bin_perfect", y, two_col(pp))
    class_case(out, cases, "bin_inverted", y, two_col(1 - pp))
    # one class only: AUROC undefined -> 0.5
    y = np.zeros(50, np.int32)
    class_case(out, cases, "bin_oneclass", y, two_col(rng.random(50)))
    # 3 and 10 classes: integer logits give identical rows, so tied scores
    for name, k, n in (("mc3", 3, 600), ("mc10", 10, 2000)):
        y = rng.integers(0, k, n)
        z = np.round(rng.normal(size=(n, k)) * 1.2 + 1.5 * np.eye(k)[y])
        class_case(out, cases, name, y, softmax(z))
    # 10 classes, class 7 absent from y (and rarely predicted)
    y = rng.integers(0, 9, 1000)
    y[y == 7] = 9
    z = np.round(rng.normal(size=(1000, 10)) + 2.0 * np.eye(10)[y])
    class_case(out, cases, "mc10_absent", y, softmax(z))
    # small hand-written: argmax ties (-> lowest id), zeros, bin edges
    y = [0, 1, 2, 3, 0, 1, 2, 3, 1, 0, 2]
    p = [[0.25, 0.25, 0.25, 0.25], [0.4, 0.4, 0.2, 0.0], [0.0, 0.3, 0.7, 0.0],
         [0.1, 0.1, 0.1, 0.7], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0],
         [0.3, 0.3, 0.4, 0.0], [0.2, 0.2, 0.3, 0.3], [0.1, 0.6, 0.1, 0.2],
         [0.5, 0.5, 0.0, 0.0], [0.0, 0.2, 0.8, 0.0]]
    class_case(out, cases, "small4", y, p)

    # regression
    t = rng.normal(size=400)
    regr_case(out, cases, "reg_noisy", t, 0.8 * t + 0.5 * rng.normal(size=400) + 0.3)
    regr_case(out, cases, "reg_bad", t, -t + rng.normal(size=400))   # negative r2
    regr_case(out, cases, "reg_perfect", t, t.copy())
    regr_case(out, cases, "reg_offset", 1e6 + t, 1e6 + t + 0.1 * rng.normal(size=400))
    regr_case(out, cases, "reg_constpred", t, np.full(400, 0.25))
    regr_case(out, cases, "reg_consttarget", np.full(400, 0.1), t)

    # bootstrap: one process, two sizes (width ~ 1/sqrt(n))
    for name, n in (("boot_small", 500), ("boot_large", 8000)):
        y = rng.integers(0, 2, n)
        boot_case(out, cases, name, y, np.round(binary_scores(rng, y, 0.6) * 100) / 100, rng)

    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(cases) + "\n")


if __name__ == "__main__":
    main()
