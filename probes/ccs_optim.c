/* ccs_optim.c — minimizing the CCS loss over every try at once.
 *
 *   L(w, b) = mean_i (p+_i - (1 - p-_i))^2 + mean_i min(p+_i, p-_i)^2,
 *   p±_i = sigmoid(w . x±_i + b) on the normalized pairs.
 *
 * Each evaluation is one pass over the pairs for all tries still moving:
 * a row block of POS and the same rows of NEG are normalized into one
 * float32 buffer (2 nb, d), one GEMM gives the margins of every try
 * (BLAS-3: X W^T with W (tries, d), not a GEMV per try), the loss and
 * dL/dz follow per element in float64, and a second GEMM gives the
 * gradient X^T R while the block is still in cache: X is read once per
 * evaluation whatever the number of tries.
 *
 * Two optimizers: AdamW exactly as torch.optim.AdamW with the reference's
 * schedule (full batch, so its results compare one to one with Burns et
 * al.'s code), and a batched L-BFGS (a memory of 10 pairs and an Armijo
 * backtracking line search per try) on L + l2/2 |theta|^2 that stops each
 * try on a loss plateau.
 *
 * Distributed (o->comm): each process passes over its own pairs and the
 * evaluation's sums (the tries' losses, gradients and bias sums) are
 * reduced before anything uses them, so every process takes the same
 * steps, line-search decisions and stops as one process on all pairs. */
#include "ccs_internal.h"
#include "lbfgs_memory.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

struct gp__ccs_pass {
    const struct gp_ccs *c;
    const gp_matrix *pos, *neg;
    const gp_comm *comm;
    int64_t n, n_total, d, nb;   /* this process's pairs, everyone's */
    int32_t P;
    float *xb;      /* (2 nb, d) normalized rows: POS block, then NEG block */
    float *xall;    /* every block normalized once, block k at 2 k nb rows, when it
                       fits COPY_MAX; else NULL and each pass normalizes again */
    float *wf;      /* (P, d) */
    float *zf, *rf; /* (2 nb, P) margins, dL/dz */
    float *gf;      /* (P, d) one block's gradient */
    double *red;    /* (P d + 2 P): per pass, the na tries' gradients (na, d),
                       bias sums (na,) and losses (na,), reduced as one */
};

/* About 2 MiB of normalized rows per block: the GEMMs' operands stay in
 * cache between the margins and the gradient. */
static int64_t block_rows(int64_t n, int64_t d) {
    int64_t nb = ((int64_t)1 << 18) / GP_MAX(d, 1);
    return GP_MAX(GP_MIN(GP_MAX(nb, 8), n), 1);  /* 1: a process with no pairs */
}

/* The normalized pairs are kept when they take at most 1 GiB: normalizing
 * costs as much as the GEMMs of a pass, and L-BFGS or Adam make hundreds. */
#define COPY_MAX ((uint64_t)1 << 30)

static void normalize_block(const gp__ccs_pass *ps, int64_t r0, int64_t nb, float *dst) {
    gp__ccs_normalize_rows(ps->c, ps->pos, 0, r0, nb, dst, ps->d);
    gp__ccs_normalize_rows(ps->c, ps->neg, 1, r0, nb, dst + nb * ps->d, ps->d);
}

gp_status gp__ccs_pass_new(const struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                           int32_t P, const gp_comm *comm, int64_t n_total, gp__ccs_pass **out) {
    *out = NULL;
    gp__ccs_pass *ps = gp__calloc(1, sizeof *ps);
    if (!ps)
        return gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM,
                               gp__error(GP_ENOMEM, "ccs: out of memory"), "ccs");
    ps->c = c;
    ps->pos = pos;
    ps->neg = neg;
    ps->comm = comm;
    ps->n = pos->rows;
    ps->n_total = n_total;
    ps->d = c->d;
    ps->P = P;
    ps->nb = block_rows(ps->n, ps->d);
    size_t d = (size_t)ps->d, nb = (size_t)ps->nb, p = (size_t)P;
    if (ps->n > 0 && 2 * (uint64_t)ps->n * d * sizeof(float) <= COPY_MAX) {
        ps->xall = gp__alloc_n(2 * (size_t)ps->n * d, sizeof(float));
        if (ps->xall)
            for (int64_t r0 = 0; r0 < ps->n; r0 += ps->nb)
                normalize_block(ps, r0, GP_MIN(ps->nb, ps->n - r0), ps->xall + 2 * r0 * ps->d);
    }
    ps->xb = gp__alloc_n(2 * nb * d, sizeof(float));
    ps->wf = gp__alloc_n(p * d, sizeof(float));
    ps->zf = gp__alloc_n(2 * nb * p, sizeof(float));
    ps->rf = gp__alloc_n(2 * nb * p, sizeof(float));
    ps->gf = gp__alloc_n(p * d, sizeof(float));
    ps->red = gp__alloc_n(p * d + 2 * p, sizeof(double));
    gp_status s = GP_OK;
    if (!ps->xb || !ps->wf || !ps->zf || !ps->rf || !ps->gf || !ps->red)
        s = gp__error(GP_ENOMEM, "ccs: out of memory (%d tries of %lld features)", (int)P,
                      (long long)d);
    s = gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, s, "ccs");
    if (s != GP_OK) {
        gp__ccs_pass_free(ps);
        return s;
    }
    *out = ps;
    return GP_OK;
}

void gp__ccs_pass_free(gp__ccs_pass *ps) {
    if (!ps) return;
    gp__free(ps->xall);
    gp__free(ps->xb);
    gp__free(ps->wf);
    gp__free(ps->zf);
    gp__free(ps->rf);
    gp__free(ps->gf);
    gp__free(ps->red);
    gp__free(ps);
}

static double sigmoid(double z) {
    if (z >= 0) return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

gp_status gp__ccs_pass_eval(gp__ccs_pass *ps, int32_t na, const int32_t *act, const double *theta,
                            double *L, double *G, gp_status local) {
    int64_t d = ps->d, nv = d + 1, n = local == GP_OK ? ps->n : 0;
    /* gradients, then bias sums, then losses: one reduction */
    double *gacc = ps->red, *bsum = ps->red + (G ? (size_t)na * (size_t)d : 0), *lsum = bsum + na;
    for (int32_t a = 0; a < na; a++) {
        const double *th = theta + act[a] * nv;
        for (int64_t j = 0; j < d; j++) ps->wf[a * d + j] = (float)th[j];
        lsum[a] = 0;
        bsum[a] = 0;
    }
    if (G) memset(gacc, 0, (size_t)na * (size_t)d * sizeof *gacc);
    double inv_n = 1 / (double)ps->n_total;
    for (int64_t r0 = 0; r0 < n; r0 += ps->nb) {
        int64_t nb = GP_MIN(ps->nb, n - r0), m = 2 * nb;
        const float *xb = ps->xall ? ps->xall + 2 * r0 * d : ps->xb;
        if (!ps->xall) normalize_block(ps, r0, nb, ps->xb);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, na, (int)d, 1.0f, xb,
                    (int)d, ps->wf, (int)d, 0.0f, ps->zf, na);
        for (int32_t a = 0; a < na; a++) {
            double b = theta[act[a] * nv + d], loss = 0, bs = 0;
            for (int64_t i = 0; i < nb; i++) {
                double pp = sigmoid((double)ps->zf[i * na + a] + b);
                double pn = sigmoid((double)ps->zf[(nb + i) * na + a] + b);
                double cons = pp + pn - 1, mn = GP_MIN(pp, pn);
                loss += cons * cons + mn * mn;
                /* min's gradient goes to the smaller one (half each on a tie) */
                double gmin_p = pp < pn ? 1 : pp > pn ? 0 : 0.5;
                double dpp = 2 * cons + 2 * mn * gmin_p, dpn = 2 * cons + 2 * mn * (1 - gmin_p);
                double rp = dpp * pp * (1 - pp) * inv_n, rn = dpn * pn * (1 - pn) * inv_n;
                ps->rf[i * na + a] = (float)rp;
                ps->rf[(nb + i) * na + a] = (float)rn;
                bs += rp + rn;
            }
            lsum[a] += loss;
            bsum[a] += bs;
        }
        if (!G) continue;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, na, (int)d, (int)m, 1.0f, ps->rf,
                    na, xb, (int)d, 0.0f, ps->gf, (int)d);
        for (int64_t e = 0; e < (int64_t)na * d; e++) gacc[e] += (double)ps->gf[e];
    }
    int64_t nred = (G ? (int64_t)na * d : 0) + 2 * (int64_t)na;
    gp_status s = gp__comm_reduce(ps->comm, ps->red, nred, GP_REDUCE_SUM, local, "ccs");
    if (s != GP_OK) return s;
    for (int32_t a = 0; a < na; a++) {
        int32_t p = act[a];
        L[p] = lsum[a] * inv_n;
        if (!G) continue;
        memcpy(G + p * nv, gacc + a * d, (size_t)d * sizeof *G);
        G[p * nv + d] = bsum[a];
    }
    return GP_OK;
}

/* This process's status at the top of an iteration: cancelled or not
 * (agreed in the pass that follows). */
static gp_status cancelled(const gp_ccs_opts *o) {
    return o->cancel && *o->cancel ? gp__error(GP_ECANCELLED, "ccs: cancelled") : GP_OK;
}

/* ------------------------------------------------------------------ */
/* AdamW                                                              */
/* ------------------------------------------------------------------ */

static void trace_push(struct gp_ccs *c, int32_t p, double L) {
    if (c->trace && c->trace_len[p] < c->trace_cap)
        c->trace[(size_t)p * (size_t)c->trace_cap + (size_t)c->trace_len[p]++] = L;
}

/* torch.optim.AdamW (betas 0.9, 0.999, eps 1e-8): decoupled decay first,
 * then the bias-corrected Adam step; the loss traced at each epoch is the
 * one before its update, as the reference's training loop sees it. */
static gp_status adam(struct gp_ccs *c, gp__ccs_pass *ps, const gp_ccs_opts *o, double *theta,
                      double *G, double *mom, double *vel, int32_t *act, int32_t *iters) {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    int32_t T = o->tries;
    int64_t nv = c->d + 1;
    for (int32_t t = 0; t < T; t++) act[t] = t;
    gp_status s;
    for (int32_t e = 1; e <= o->epochs; e++) {
        if ((s = gp__ccs_pass_eval(ps, T, act, theta, c->try_loss, G, cancelled(o))) != GP_OK)
            return s;
        double bc1 = 1 - pow(b1, e), bc2 = sqrt(1 - pow(b2, e));
        for (int32_t t = 0; t < T; t++) {
            trace_push(c, t, c->try_loss[t]);
            for (int64_t k = t * nv; k < (t + 1) * nv; k++) {
                double g = G[k];
                theta[k] *= 1 - o->lr * o->weight_decay;
                mom[k] = b1 * mom[k] + (1 - b1) * g;
                vel[k] = b2 * vel[k] + (1 - b2) * g * g;
                theta[k] -= o->lr / bc1 * mom[k] / (sqrt(vel[k]) / bc2 + eps);
            }
        }
        if (o->progress) o->progress(o->progress_user, e, o->epochs, "ccs adam");
    }
    if ((s = gp__ccs_pass_eval(ps, T, act, theta, c->try_loss, NULL, GP_OK)) != GP_OK) return s;
    for (int32_t t = 0; t < T; t++) {
        iters[t] = o->epochs;
        iters[T + t] = 1;
    }
    return GP_OK;
}

/* ------------------------------------------------------------------ */
/* Batched L-BFGS                                                     */
/* ------------------------------------------------------------------ */

enum { LM = LBFGS_M, MAX_LS = 20, PLATEAU = 10 };

typedef struct lbfgs_state {
    int64_t nv;
    double *x, *g, *xt, *gt, *dir, *S, *Y, *rho, *fring; /* per try */
    double *f, *ft, *Lt, *step, *slope;
    int32_t *mem, *head, *nls, *fresh, *alive;
} lbfgs_state;

static double dot(const double *a, const double *b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static double max_abs(const double *a, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = GP_MAX(m, fabs(a[i]));
    return m;
}

/* The penalized objective and gradient of try p from its loss and raw gradient. */
static double penalize(double L, const double *x, double *g, int64_t nv, double l2) {
    for (int64_t e = 0; e < nv; e++) g[e] += l2 * x[e];
    return L + 0.5 * l2 * dot(x, x, nv);
}

/* Try p's memory inside the batch's arrays. */
static gp__lbfgs_mem memory_of(lbfgs_state *B, int32_t p) {
    size_t at = (size_t)p * LM;
    return (gp__lbfgs_mem){B->nv, B->S + at * (size_t)B->nv, B->Y + at * (size_t)B->nv,
                           B->rho + at, B->mem + p, B->head + p};
}

/* dir = -H g over try p's memory; the step to try. */
static void direction(lbfgs_state *B, int32_t p) {
    gp__lbfgs_mem M = memory_of(B, p);
    double sl = gp__lbfgs_direction(&M, B->g + p * B->nv, B->dir + p * B->nv);
    B->slope[p] = sl;
    B->step[p] = B->mem[p] == 0 ? GP_MIN(1.0, 1 / sqrt(-sl)) : 1.0;
}

static void accept(lbfgs_state *B, int32_t p) {
    int64_t nv = B->nv;
    gp__lbfgs_mem M = memory_of(B, p);
    gp__lbfgs_remember(&M, B->x + p * nv, B->xt + p * nv, B->g + p * nv, B->gt + p * nv);
    memcpy(B->x + p * nv, B->xt + p * nv, (size_t)nv * sizeof *B->x);
    memcpy(B->g + p * nv, B->gt + p * nv, (size_t)nv * sizeof *B->g);
    B->f[p] = B->ft[p];
}

static gp_status lbfgs(struct gp_ccs *c, gp__ccs_pass *ps, const gp_ccs_opts *o,
                       lbfgs_state *B, int32_t *act, int32_t *iters) {
    int32_t T = o->tries, max_iter = o->max_iter > 0 ? o->max_iter : 1000, na = 0, ndone = 0;
    int64_t nv = B->nv;
    int32_t *conv = iters + T;
    for (int32_t t = 0; t < T; t++) act[t] = t;
    gp_status s = gp__ccs_pass_eval(ps, T, act, B->x, c->try_loss, B->g, GP_OK);
    if (s != GP_OK) return s;
    for (int32_t t = 0; t < T; t++) {
        B->f[t] = penalize(c->try_loss[t], B->x + t * nv, B->g + t * nv, nv, o->l2);
        B->fring[t * (PLATEAU + 1)] = B->f[t];
        trace_push(c, t, c->try_loss[t]);
        B->fresh[t] = 1;
        iters[t] = 0;
        conv[t] = 1;
        B->alive[t] = max_iter > 0 && max_abs(B->g + t * nv, nv) > 0;
        if (B->alive[t]) act[na++] = t;
        else ndone++;
    }
    while (na > 0) {
        for (int32_t a = 0; a < na; a++) {
            int32_t p = act[a];
            if (B->fresh[p]) direction(B, p);
            B->fresh[p] = 0;
            for (int64_t e = p * nv; e < (p + 1) * nv; e++) B->xt[e] = B->x[e] + B->step[p] * B->dir[e];
        }
        if ((s = gp__ccs_pass_eval(ps, na, act, B->xt, B->Lt, B->gt, cancelled(o))) != GP_OK)
            return s;
        int32_t keep = 0;
        for (int32_t a = 0; a < na; a++) {
            int32_t p = act[a];
            B->ft[p] = penalize(B->Lt[p], B->xt + p * nv, B->gt + p * nv, nv, o->l2);
            double f = B->f[p], ft = B->ft[p], t = B->step[p];
            /* near the optimum float32 rounding hides the decrease of f; a
             * step that does not raise f and shrinks the gradient is progress */
            bool ok = ft <= f + 1e-4 * t * B->slope[p] ||
                      (ft - f <= 1e-7 * fabs(f) &&
                       max_abs(B->gt + p * nv, nv) < max_abs(B->g + p * nv, nv));
            if (ok) {
                accept(B, p);
                c->try_loss[p] = B->Lt[p];
                trace_push(c, p, B->Lt[p]);
                int32_t it = ++iters[p];
                double *ring = B->fring + p * (PLATEAU + 1);
                ring[it % (PLATEAU + 1)] = B->f[p];
                B->fresh[p] = 1;
                B->nls[p] = 0;
                if (it >= PLATEAU) {
                    double old = ring[(it - PLATEAU) % (PLATEAU + 1)];
                    if (old - B->f[p] <= o->tol) B->alive[p] = 0;
                }
                if (B->alive[p] && it >= max_iter) {
                    B->alive[p] = 0;
                    conv[p] = 0;
                }
            } else if (++B->nls[p] >= MAX_LS) {
                B->alive[p] = 0;  /* no decrease left at float32's resolution */
            } else {
                /* minimum of the quadratic through f, the slope and ft, kept
                 * within [0.1, 0.5] of the step */
                double sl = B->slope[p] * t, den = 2 * (ft - f - sl);
                double r = den > 0 ? -sl / den : 0.5;
                B->step[p] = t * GP_MIN(GP_MAX(r, 0.1), 0.5);
            }
            if (B->alive[p]) act[keep++] = p;
            else ndone++;
        }
        na = keep;
        if (o->progress) o->progress(o->progress_user, ndone, T, "ccs lbfgs");
    }
    return GP_OK;
}

gp_status gp__ccs_optimize(struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                           const gp_ccs_opts *o, int64_t n_total, double *theta, int32_t *iters) {
    int32_t T = o->tries;
    int64_t nv = c->d + 1;
    size_t tv = (size_t)T * (size_t)nv;
    gp__ccs_pass *ps = NULL;
    gp_status s = gp__ccs_pass_new(c, pos, neg, T, o->comm, n_total, &ps);
    if (s != GP_OK) return s;
    /* the optimizer's state: allocated, and agreed on, before its first pass */
    int32_t *act = gp__alloc_n((size_t)T * 6, sizeof *act);
    bool is_adam = o->optimizer == GP_CCS_ADAM;
    size_t nd = is_adam ? 3 * tv : tv * (5 + 2 * LM) + (size_t)T * (LM + PLATEAU + 1 + 5);
    double *buf = act ? gp__calloc(nd, sizeof *buf) : NULL;
    if (!buf) s = gp__error(GP_ENOMEM, "ccs: out of memory (%d tries)", (int)T);
    s = gp__comm_reduce(o->comm, NULL, 0, GP_REDUCE_SUM, s, "ccs");
    if (s == GP_OK && is_adam) {
        s = adam(c, ps, o, theta, buf, buf + tv, buf + 2 * tv, act, iters);
    } else if (s == GP_OK) {
        lbfgs_state B = {.nv = nv};
        double *at = buf;
        B.x = theta;
        B.g = at, at += tv;
        B.xt = at, at += tv;
        B.gt = at, at += tv;
        B.dir = at, at += tv;
        at += tv;  /* spare */
        B.S = at, at += tv * LM;
        B.Y = at, at += tv * LM;
        B.rho = at, at += (size_t)T * LM;
        B.fring = at, at += (size_t)T * (PLATEAU + 1);
        B.f = at, at += T;
        B.ft = at, at += T;
        B.Lt = at, at += T;
        B.step = at, at += T;
        B.slope = at;
        B.mem = act + T;
        B.head = act + 2 * T;
        B.nls = act + 3 * T;
        B.fresh = act + 4 * T;
        B.alive = act + 5 * T;
        memset(B.mem, 0, (size_t)T * 5 * sizeof *B.mem);
        s = lbfgs(c, ps, o, &B, act, iters);
    }
    gp__free(buf);
    gp__free(act);
    gp__ccs_pass_free(ps);
    return s;
}
