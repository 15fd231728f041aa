#!/usr/bin/python3
"""The reference CCS procedure (Burns et al. 2022's code) in PyTorch, and the
data for bench/ccs.sh.

    ccs_reference.py gen  DIR N D [N_TEST]   synthetic contrast pairs with a
                                             planted truth direction
    ccs_reference.py real DIR SPEC_POS SPEC_NEG LABELS
                                             a real dataset, split 80/20
    ccs_reference.py fit  DIR [--tries 10] [--epochs 1000] [--seed 0]
                                             the PyTorch reference on DIR
    ccs_reference.py gp   FIT.json APPLY.json
                                             one result line from geoprobe's
                                             `ccs` and `apply` reports

DIR holds pos_train.npy, neg_train.npy, y_train.npy (int32) and the same
*_test.npy, float32 C order. Every mode prints one line of key=value pairs:
seconds (fit only, loading excluded), loss (the CCS loss of the kept try at
its final parameters, on the training pairs), test_accuracy (sign-calibrated:
Platt scale fitted on the training pairs' labels, measured on the test
pairs), paper_accuracy (max(acc, 1 - acc) on the test pairs).

The reference, as in the paper's code (github.com/collin-burns/
discovering_latent_knowledge, CCS class): nn.Sequential(nn.Linear(d, 1),
nn.Sigmoid()) in float32; per try, a fresh probe (nn.Linear's own init),
AdamW(lr 1e-3, weight_decay 0.01), full batch, 1000 epochs of loss ->
backward -> step with loss = mean(min(p0, p1)^2) + mean((p0 - (1 - p1))^2);
the try whose last epoch's loss is lowest is kept (10 tries). Normalization:
the paper's, fitted on the training pairs only (each set centered, then
divided by its mean row norm / sqrt(d)) and reapplied to the test pairs
(the reference code normalizes test data with its own statistics; that is
the bug geoprobe avoids, so both sides here use the training statistics).
torch runs on the machine's cores (torch.set_num_threads).
"""
import copy
import json
import os
import sys
import time

import numpy as np


def load_dir(d, part):
    return (np.load(os.path.join(d, "pos_%s.npy" % part)), np.load(os.path.join(d, "neg_%s.npy" % part)),
            np.load(os.path.join(d, "y_%s.npy" % part)))


def save_dir(d, part, pos, neg, y):
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "pos_%s.npy" % part), np.ascontiguousarray(pos, np.float32))
    np.save(os.path.join(d, "neg_%s.npy" % part), np.ascontiguousarray(neg, np.float32))
    np.save(os.path.join(d, "y_%s.npy" % part), np.ascontiguousarray(y, np.int32))


# ------------------------------------------------------------------ data

def gen(out, n, d, n_test):
    """Contrast pairs that look like a model's: low-rank shared content with
    decaying scales (the statement), answer-token offsets, anisotropic noise
    with a power-law spectrum (per-dimension std 1.5 k^-0.75, dimensions in
    random order), a few label-independent directions along which the two
    answers differ (nuisance), and a truth direction u of moderate strength:
    x+ gets (+-0.8 + 0.54 e_i) u and x- the opposite, e_i ~ N(0, 1), so even
    the exact direction reads the label at only about 0.93. The noise's top
    dimensions differ more between a pair's answers than the truth does, so
    the top principal component of the differences (CRC) is not the truth:
    the direction has to be found by its bimodal, consistent structure."""
    rng = np.random.default_rng(5000)
    r, k = 48, 4
    B = rng.standard_normal((r, d)) / np.sqrt(d) * 8.0     # content basis
    sv = np.geomspace(6.0, 0.5, r)                          # its scales
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)                                  # truth
    V = rng.standard_normal((k, d))
    V -= np.outer(V @ u, u)
    V, _ = np.linalg.qr(V.T)
    V = V.T                                                 # nuisance, orthonormal, _|_ u
    a_pos, a_neg = 2.0 * rng.standard_normal(d), 2.0 * rng.standard_normal(d)
    sig = 1.5 * np.arange(1, d + 1) ** -0.75
    sig = sig[rng.permutation(d)]                           # noise std per dimension
    strength, jitter, nuisance = 0.8, 0.54, 0.6
    total = n + n_test
    pos = np.empty((total, d), np.float32)
    neg = np.empty((total, d), np.float32)
    y = rng.integers(0, 2, total).astype(np.int32)
    for lo in range(0, total, 1000):
        hi = min(total, lo + 1000)
        m = hi - lo
        c = (rng.standard_normal((m, r)) * sv) @ B
        t = (2 * y[lo:hi] - 1) * strength + jitter * rng.standard_normal(m)
        s = t[:, None] * u
        q = (nuisance * rng.standard_normal((m, k))) @ V
        pos[lo:hi] = 1.2 * (c + a_pos + s + q + rng.standard_normal((m, d)) * sig)
        neg[lo:hi] = c + a_neg - s - q + rng.standard_normal((m, d)) * sig
    save_dir(out, "train", pos[:n], neg[:n], y[:n])
    save_dir(out, "test", pos[n:], neg[n:], y[n:])
    np.save(os.path.join(out, "truth.npy"), u)


def real(out, spec_pos, spec_neg, labels):
    pos, neg, y = np.load(spec_pos), np.load(spec_neg), np.load(labels).astype(np.int32)
    rng = np.random.default_rng(0)
    test = np.zeros(len(y), bool)
    for c in (0, 1):                   # stratified 80/20
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[:round(0.2 * len(idx))]] = True
    save_dir(out, "train", pos[~test], neg[~test], y[~test])
    save_dir(out, "test", pos[test], neg[test], y[test])


# ------------------------------------------------------------------ evaluation

def burns_stats(x):
    x = x.astype(np.float64)
    m = x.mean(0)
    return m, np.linalg.norm(x - m, axis=1).mean() / np.sqrt(x.shape[1])


def normalize(x, stats):
    m, s = stats
    return ((x.astype(np.float64) - m) / s).astype(np.float32)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def ccs_loss(w, b, P, N):
    pp = sigmoid(P.astype(np.float64) @ w + b)
    pn = sigmoid(N.astype(np.float64) @ w + b)
    return float(np.mean((pp - (1 - pn)) ** 2) + np.mean(np.minimum(pp, pn) ** 2))


def credence(w, b, P, N):
    return 0.5 * (sigmoid(P.astype(np.float64) @ w + b) + 1 - sigmoid(N.astype(np.float64) @ w + b))


def platt(cred, y):
    """P(y=1) = sigmoid(a logit(cred) + c), maximum likelihood (Newton, a
    1e-8 ridge so separable data stay finite)."""
    p = np.clip(cred, 1e-12, 1 - 1e-12)
    F = np.c_[np.log(p) - np.log1p(-p), np.ones(len(p))]
    th = np.zeros(2)
    for _ in range(100):
        q = sigmoid(F @ th)
        g = F.T @ (q - y) + 1e-8 * th
        H = F.T @ (F * (q * (1 - q))[:, None]) + 1e-8 * np.eye(2)
        step = np.linalg.solve(H, g)
        th -= step
        if np.abs(step).max() < 1e-12:
            break
    return th


def evaluate(w, b, Ptr, Ntr, ytr, Pte, Nte, yte):
    a, c = platt(credence(w, b, Ptr, Ntr), ytr)
    ct = credence(w, b, Pte, Nte)
    lt = np.log(np.clip(ct, 1e-12, 1 - 1e-12)) - np.log1p(-np.clip(ct, 1e-12, 1 - 1e-12))
    cal = float(np.mean((sigmoid(a * lt + c) > 0.5) == (yte == 1)))
    acc = float(np.mean((ct > 0.5) == (yte == 1)))
    return cal, max(acc, 1 - acc)


# ------------------------------------------------------------------ the reference

def fit(d, tries, epochs, seed):
    try:
        import torch
        import torch.nn as nn
    except ImportError:
        print("skip: PyTorch is not installed (apt-get install python3-torch)")
        return
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(seed)
    pos, neg, ytr = load_dir(d, "train")
    tpos, tneg, yte = load_dir(d, "test")
    sp, sn = burns_stats(pos), burns_stats(neg)
    Ptr, Ntr = normalize(pos, sp), normalize(neg, sn)
    Pte, Nte = normalize(tpos, sp), normalize(tneg, sn)
    x1, x0 = torch.from_numpy(Ptr), torch.from_numpy(Ntr)     # x1 = "yes", x0 = "no"

    def get_loss(p0, p1):
        informative_loss = (torch.min(p0, p1) ** 2).mean(0)
        consistent_loss = ((p0 - (1 - p1)) ** 2).mean(0)
        return informative_loss + consistent_loss

    t0 = time.perf_counter()
    best_loss, best_probe = np.inf, None
    for _ in range(tries):
        probe = nn.Sequential(nn.Linear(x1.shape[1], 1), nn.Sigmoid())
        perm = torch.randperm(len(x0))
        a0, a1 = x0[perm], x1[perm]
        opt = torch.optim.AdamW(probe.parameters(), lr=1e-3, weight_decay=0.01)
        for _ in range(epochs):
            p0, p1 = probe(a0), probe(a1)
            loss = get_loss(p0, p1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        loss = loss.detach().cpu().item()
        if loss < best_loss:
            best_probe, best_loss = copy.deepcopy(probe), loss
    seconds = time.perf_counter() - t0
    lin = best_probe[0]
    w = lin.weight.detach().numpy()[0].astype(np.float64)
    b = float(lin.bias.detach().numpy()[0])
    cal, paper = evaluate(w, b, Ptr, Ntr, ytr, Pte, Nte, yte)
    print("seconds=%.3f loss=%.6f test_accuracy=%.4f paper_accuracy=%.4f threads=%d tries=%d epochs=%d"
          % (seconds, ccs_loss(w, b, Ptr, Ntr), cal, paper, torch.get_num_threads(), tries, epochs))


def gp(fit_json, apply_json):
    f, a = json.load(open(fit_json)), json.load(open(apply_json))
    print("seconds=%.3f loss=%.6f test_accuracy=%.4f paper_accuracy=%.4f total_seconds=%.3f n_iter=%d core=%s"
          % (f["fit_seconds"], f["loss"], a["accuracy"], a["paper_accuracy"], f["seconds"], f["n_iter"],
             f["blas"]["core"]))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1000)
    elif mode == "real":
        real(*sys.argv[2:6])
    elif mode == "fit":
        args = sys.argv[3:]
        opt = {"--tries": 10, "--epochs": 1000, "--seed": 0}
        for k, v in zip(args[::2], args[1::2]):
            opt[k] = int(v)
        fit(sys.argv[2], opt["--tries"], opt["--epochs"], opt["--seed"])
    elif mode == "gp":
        gp(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
