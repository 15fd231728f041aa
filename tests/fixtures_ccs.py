#!/usr/bin/python3
"""Fixtures for the contrast-pair probes (CCS, CRC-TPC, VINC): data and numpy
oracles for tests/test_ccs.c, and data for tests/test_cli_ccs.sh.

    /usr/bin/python3 tests/fixtures_ccs.py OUTDIR      writes OUTDIR/ccs/

Everything is seeded: the files are byte-identical on every run. Norm codes
follow gp_ccs_norm: 0 = burns, 1 = center, 2 = feature. All oracles run in
float64 on the float32 data (X.astype(float64)).

Data (row i of POS and NEG is one contrast pair; y = 1: x+ is the true one)
    planted_pos.npy, planted_neg.npy   (120, 12) float32: a truth direction of
                                       strength 2 plus shared content, answer
                                       offsets, a distractor and noise
    planted_y.npy                      (120,) int32
    planted_u.npy                      (12,) float64, the planted unit direction
                                       in raw space

Normalization fitted on planted_pos / planted_neg, one file per norm NORM in
burns, center, feature:
    norm_NORM_mean.npy    (2, d) float64: row 0 = mean of POS, row 1 = NEG
    norm_NORM_scale.npy   (2, d) float64: burns: the set's scalar
                          mean_i ||x_i - mean|| / sqrt(d) repeated d times;
                          center: ones; feature: per-feature std (ddof = 0)
    n+(x) = (x - mean[0]) / scale[0],  n-(x) = (x - mean[1]) / scale[1]

Closed-form directions (normalized space, unit norm, sign fixed so the
largest-|v| entry is positive), per NORM:
    crc_NORM.npy     (d,) top principal component of the differences
                     D_i = n+(x+_i) - n-(x-_i) (eigh of the covariance of
                     the centered differences)
    vinc_NORM.npy    (d,) top eigenvector (largest algebraic eigenvalue) of
                     A = -(C + C^T)/2, C = (1/n) sum_i n+(x+_i) n-(x-_i)^T
    crc_NORM_eig.npy / vinc_NORM_eig.npy   (2,) the two largest eigenvalues
                     of the matrix whose top eigenvector is the direction
                     (the gap shows the direction is well defined)

CCS loss at given parameters (for the C loss function; the gradient is
checked by finite differences in C):
    loss_params.npy  (3, d + 1) float64: three (w, b) rows
    loss_values.npy  (3,) float64 the CCS loss of each row under burns
                     L = mean((p+ - (1 - p-))^2) + mean(min(p+, p-)^2),
                     p = sigmoid(w . n(x) + b)

Full-batch AdamW (torch.optim.AdamW's update, betas (0.9, 0.999), eps 1e-8,
decoupled weight decay on w and b), tries = 2, for each case CASE:
    CASE_norm.npy        () int32 norm code
    CASE_params.npy      (3,) float64: [epochs, lr, weight_decay]
    CASE_init.npy        (2, d + 1) float64: starting w (d) then b of each try,
                         uniform(-1/sqrt(d), 1/sqrt(d)) like nn.Linear
    CASE_trace.npy       (2, epochs) float64: the loss of epoch e, computed
                         before that epoch's update
    CASE_final.npy       (2, d + 1) float64: w then b after the last update
    CASE_final_loss.npy  (2,) float64: the loss at the final parameters
  cases: adam       burns,  200 epochs, lr 1e-3, weight decay 0.01 (reference)
         adam_fast  center, 200 epochs, lr 5e-2, weight decay 0.01 (moves far)

Platt calibration (1-D logistic regression of y on logit(credence), credence
clipped to [1e-12, 1 - 1e-12], unpenalized, with intercept; numpy Newton,
cross-checked with scikit-learn LogisticRegression(penalty='none')):
    platt_credence.npy   (2, 150) float64: row 0 informative, row 1 the same
                         reversed (1 - credence: the fitted a is negative)
    platt_y.npy          (150,) int32 (not separable: some labels flipped)
    platt_ac.npy         (2, 2) float64: [a, c] of each row, P(y=1) =
                         sigmoid(a logit(credence) + c)

CLI data (tests/test_cli_ccs.sh), float32 (n, 16):
    cli_strong_{pos,neg}.npy, cli_strong_y.npy      400 pairs, strong truth
                           (strength 1.5: not separable, supervised ~0.98)
    cli_strong_u.npy       (16,) float64 its planted unit direction
    cli_nosignal_{pos,neg}.npy, cli_nosignal_y.npy  400 pairs, labels
                                                    independent of the data
    cli_short_neg.npy      (399, 16) (shape mismatch with cli_strong_pos)
    cli_one_{pos,neg}.npy  (1, 16)   one pair
    cli_nan_pos.npy        cli_strong_pos with NaN at row 3, column 5
    cli_y_short.npy        (399,) int32 labels (count mismatch)
    cli_y_words.txt        cli_strong_y as "false"/"true" lines
    cli_y3.npy             (400,) int32, three classes (not contrast-pair labels)
"""
import os
import sys
import warnings

import numpy as np

NORMS = ("burns", "center", "feature")


def save(out, name, a, dtype=np.float64):
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(a, dtype))


# ---------------------------------------------------------------- data

def planted(rng, n, d, strength, distractor=0.5, noise=1.0, signal=True):
    """Contrast pairs with a planted truth direction u (unit).

    x+_i = c_i + a+ + s_i strength u + r_i v + noise
    x-_i = c_i + a- - s_i strength u - r_i v + noise,   s_i = 2 y_i - 1
    c_i: shared content (anisotropic, correlated), a+/a-: answer-token
    offsets, v: a distractor direction whose pair differences do not depend
    on the truth (r_i ~ N(0, distractor)). POS is scaled by 1.3 so the two
    sets get different normalizations. signal=False: y is drawn apart from
    the data (s_i independent of y)."""
    y = rng.integers(0, 2, n).astype(np.int32)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    v = rng.standard_normal(d)
    v -= (v @ u) * u
    v /= np.linalg.norm(v)
    mix = np.eye(d) + 0.4 * rng.standard_normal((d, d)) / np.sqrt(d)
    scales = np.exp(rng.uniform(np.log(0.3), np.log(4.0), d))
    c = (rng.standard_normal((n, d)) @ mix) * scales
    a_pos = 3.0 * rng.standard_normal(d)
    a_neg = 3.0 * rng.standard_normal(d)
    s = (2 * y - 1) if signal else (2 * rng.integers(0, 2, n) - 1)
    r = distractor * rng.standard_normal(n)
    pos = c + a_pos + strength * s[:, None] * u + r[:, None] * v + noise * rng.standard_normal((n, d))
    neg = c + a_neg - strength * s[:, None] * u - r[:, None] * v + noise * rng.standard_normal((n, d))
    pos *= 1.3
    return pos.astype(np.float32), neg.astype(np.float32), y, u


# ---------------------------------------------------------------- oracles

def norm_stats(X, norm):
    X = X.astype(np.float64)
    mean = X.mean(0)
    C = X - mean
    d = X.shape[1]
    if norm == "burns":
        scale = np.full(d, np.linalg.norm(C, axis=1).mean() / np.sqrt(d))
    elif norm == "center":
        scale = np.ones(d)
    else:
        scale = C.std(0)
    return mean, scale


def normalize(pos, neg, norm):
    mp, sp = norm_stats(pos, norm)
    mn, sn = norm_stats(neg, norm)
    return ((pos.astype(np.float64) - mp) / sp, (neg.astype(np.float64) - mn) / sn,
            np.stack([mp, mn]), np.stack([sp, sn]))


def sign_fix(v):
    v = v / np.linalg.norm(v)
    return v if v[np.argmax(np.abs(v))] > 0 else -v


def top_eig(A):
    vals, vecs = np.linalg.eigh((A + A.T) / 2)
    return sign_fix(vecs[:, -1]), vals[::-1][:2].copy()


def crc(P, N):
    D = P - N
    D = D - D.mean(0)
    return top_eig(D.T @ D / len(D))


def vinc(P, N):
    C = P.T @ N / len(P)
    return top_eig(-(C + C.T) / 2)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ccs_loss_grad(theta, P, N):
    """CCS loss and its gradient in (w, b); ties of min(p+, p-) split the
    gradient half and half (torch.minimum's rule)."""
    w, b = theta[:-1], theta[-1]
    pp, pn = sigmoid(P @ w + b), sigmoid(N @ w + b)
    n = len(P)
    cons = pp + pn - 1.0
    m = np.minimum(pp, pn)
    loss = np.mean(cons ** 2) + np.mean(m ** 2)
    gp_ = 2.0 * cons / n + 2.0 * m / n * np.where(pp < pn, 1.0, np.where(pp == pn, 0.5, 0.0))
    gn_ = 2.0 * cons / n + 2.0 * m / n * np.where(pn < pp, 1.0, np.where(pp == pn, 0.5, 0.0))
    zp, zn = gp_ * pp * (1 - pp), gn_ * pn * (1 - pn)
    g = np.empty_like(theta)
    g[:-1] = P.T @ zp + N.T @ zn
    g[-1] = zp.sum() + zn.sum()
    return loss, g


def adamw(theta0, P, N, epochs, lr, wd, b1=0.9, b2=0.999, eps=1e-8):
    """torch.optim.AdamW on all of theta, full batch; returns the loss trace
    (before each update), the final theta and the loss there."""
    th = theta0.astype(np.float64).copy()
    m = np.zeros_like(th)
    v = np.zeros_like(th)
    trace = np.empty(epochs)
    for t in range(1, epochs + 1):
        loss, g = ccs_loss_grad(th, P, N)
        trace[t - 1] = loss
        th *= 1.0 - lr * wd
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** t)
        denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps
        th -= lr * mhat / denom
    return trace, th, ccs_loss_grad(th, P, N)[0]


def logit(p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def platt(cred, y):
    """Unpenalized MLE of P(y=1) = sigmoid(a logit(cred) + c) by Newton."""
    F = np.c_[logit(cred), np.ones(len(cred))]
    th = np.zeros(2)
    for _ in range(100):
        p = sigmoid(F @ th)
        g = F.T @ (p - y)
        H = F.T @ (F * (p * (1 - p))[:, None])
        step = np.linalg.solve(H, g)
        th -= step
        if np.abs(step).max() < 1e-14 * (1 + np.abs(th).max()):
            break
    p = sigmoid(F @ th)
    assert np.abs(F.T @ (p - y)).max() < 1e-9, F.T @ (p - y)
    try:  # scikit-learn cross-check
        from sklearn.linear_model import LogisticRegression
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = LogisticRegression(penalty="none", solver="newton-cg", tol=1e-12,
                                   max_iter=10000).fit(F[:, :1], y)
        assert abs(m.coef_[0, 0] - th[0]) < 1e-6 * (1 + abs(th[0])), (m.coef_, th)
        assert abs(m.intercept_[0] - th[1]) < 1e-6 * (1 + abs(th[1])), (m.intercept_, th)
    except ImportError:
        pass
    return th


# ---------------------------------------------------------------- main

def main():
    out = os.path.join(sys.argv[1], "ccs")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240605)

    n, d = 120, 12
    pos, neg, y, u = planted(rng, n, d, strength=2.0)
    save(out, "planted_pos", pos, np.float32)
    save(out, "planted_neg", neg, np.float32)
    save(out, "planted_y", y, np.int32)
    save(out, "planted_u", u)

    for norm in NORMS:
        P, N, mean, scale = normalize(pos, neg, norm)
        save(out, "norm_%s_mean" % norm, mean)
        save(out, "norm_%s_scale" % norm, scale)
        vc, ec = crc(P, N)
        vv, ev = vinc(P, N)
        save(out, "crc_%s" % norm, vc)
        save(out, "crc_%s_eig" % norm, ec)
        save(out, "vinc_%s" % norm, vv)
        save(out, "vinc_%s_eig" % norm, ev)

    # loss at given parameters (burns)
    P, N, _, _ = normalize(pos, neg, "burns")
    params = rng.uniform(-1, 1, (3, d + 1)) / np.sqrt(d)
    params[2] *= 4.0
    save(out, "loss_params", params)
    save(out, "loss_values", [ccs_loss_grad(th, P, N)[0] for th in params])

    # AdamW traces
    for case, norm, epochs, lr, wd in (("adam", "burns", 200, 1e-3, 0.01),
                                        ("adam_fast", "center", 200, 5e-2, 0.01)):
        P, N, _, _ = normalize(pos, neg, norm)
        init = rng.uniform(-1, 1, (2, d + 1)) / np.sqrt(d)
        traces, finals, flosses = [], [], []
        for t in range(2):
            tr, th, fl = adamw(init[t], P, N, epochs, lr, wd)
            traces.append(tr)
            finals.append(th)
            flosses.append(fl)
        save(out, case + "_norm", NORMS.index(norm), np.int32)
        save(out, case + "_params", [epochs, lr, wd])
        save(out, case + "_init", init)
        save(out, case + "_trace", traces)
        save(out, case + "_final", finals)
        save(out, case + "_final_loss", flosses)

    # Platt: an informative, noisy credence and its reverse
    m = 150
    yp = rng.integers(0, 2, m).astype(np.int32)
    z = 1.5 * (2 * yp - 1) + 1.2 * rng.standard_normal(m) + 0.3
    cred = sigmoid(0.7 * z)
    cred[:3] = [0.0, 1.0, 0.5]        # clipping at both ends
    flip = rng.choice(m, 12, replace=False)
    yp[flip] = 1 - yp[flip]            # keeps the MLE finite
    creds = np.stack([cred, 1.0 - cred])
    save(out, "platt_credence", creds)
    save(out, "platt_y", yp, np.int32)
    save(out, "platt_ac", np.stack([platt(c, yp) for c in creds]))

    # CLI data
    n, d = 400, 16
    pos, neg, y, u = planted(rng, n, d, strength=1.5, distractor=0.5)
    save(out, "cli_strong_u", u)
    save(out, "cli_strong_pos", pos, np.float32)
    save(out, "cli_strong_neg", neg, np.float32)
    save(out, "cli_strong_y", y, np.int32)
    with open(os.path.join(out, "cli_y_words.txt"), "w") as f:
        f.write("".join("true\n" if v else "false\n" for v in y))
    pz, nz, yz, _ = planted(rng, n, d, strength=3.0, signal=False)
    save(out, "cli_nosignal_pos", pz, np.float32)
    save(out, "cli_nosignal_neg", nz, np.float32)
    save(out, "cli_nosignal_y", yz, np.int32)
    save(out, "cli_short_neg", neg[:-1], np.float32)
    save(out, "cli_one_pos", pos[:1], np.float32)
    save(out, "cli_one_neg", neg[:1], np.float32)
    bad = pos.copy()
    bad[3, 5] = np.nan
    save(out, "cli_nan_pos", bad, np.float32)
    save(out, "cli_y_short", y[:-1], np.int32)
    save(out, "cli_y3", np.arange(n) % 3, np.int32)


if __name__ == "__main__":
    main()
