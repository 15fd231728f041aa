/* ridge.c — ridge regression probe for a continuous target:
 *     minimize ||y - X w - b||^2 + alpha ||w||^2,
 * the intercept unpenalized by centering X and y (o->fit_intercept; with 0
 * there is no centering and b = 0), as sklearn.linear_model.Ridge(alpha).
 *
 * n >= d: the d x d normal equations (Xc^T Xc + alpha I) w = Xc^T yc.
 * n <  d: the n x n dual (kernel) form, (Xc Xc^T + alpha I) a = yc and
 *         w = Xc^T a, the same minimizer for alpha > 0, at O(n^2 d).
 * Both solved by Cholesky in float64. The Gram products run in float32
 * BLAS over blocks accumulated in float64 (scatter.c's gp__scatter for the
 * primal; column blocks here for the dual); the O(n d) products with y and
 * a run in float64, and the solution is refined against the exact float64
 * products (gp__spd_solve, scatter.c). With alpha = 0 a singular system is
 * an error, not a guess. */
#include "probe_internal.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

static const char fn[] = "ridge";

/* Columns per float32 block of the dual Gram product. */
#define COL_BLOCK 256

static bool cancelled(const gp_probe_opts *o) { return o->cancel && *o->cancel; }

/* Upper triangle made full of K = Xc Xc^T (n, n) in float64: ssyrk over
 * column blocks of the centered rows, scaled by a power of two into
 * [-1, 1] as in gp__scatter. */
static gp_status gram(const gp_matrix *X, const double *mu, double big, const gp_probe_opts *o,
                      double *K) {
    size_t n = (size_t)X->rows, d = (size_t)X->cols;
    if (n > INT_MAX) return gp__error(GP_ESHAPE, "%s: %zu rows, more than BLAS takes", fn, n);
    size_t bc = GP_MIN((size_t)COL_BLOCK, d);
    float *blk = gp__alloc_n(n, bc * sizeof *blk);
    float *prod = gp__alloc_n(n, n * sizeof *prod);
    double *row = gp__alloc_n(d, sizeof *row);
    gp_status s = GP_OK;
    if (!blk || !prod || !row) {
        s = gp__error(GP_ENOMEM, "%s: out of memory for the %zu x %zu Gram matrix", fn, n, n);
        goto done;
    }
    int e = 0;
    if (big > 0) frexp(big, &e);
    double scale = ldexp(1.0, -(e + 1));
    memset(K, 0, n * n * sizeof *K);
    for (size_t c0 = 0; c0 < d; c0 += bc) {
        if (cancelled(o)) {
            s = gp__error(GP_ECANCELLED, "%s: cancelled", fn);
            goto done;
        }
        size_t nc = GP_MIN(bc, d - c0);
        for (size_t i = 0; i < n; i++) {
            gp__row_f64(X, i, c0, nc, row);
            for (size_t j = 0; j < nc; j++)
                blk[i * nc + j] = (float)((row[j] - mu[c0 + j]) * scale);
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)nc, 1.0f, blk, (int)nc,
                    0.0f, prod, (int)n);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i; j < n; j++) K[i * n + j] += prod[i * n + j];
        if (o->progress) o->progress(o->progress_user, (int64_t)(c0 + nc), (int64_t)d, "gram");
    }
    double unscale = 1.0 / (scale * scale);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++) K[i * n + j] = K[j * n + i] = K[i * n + j] * unscale;
done:
    gp__free(blk);
    gp__free(prod);
    gp__free(row);
    return s;
}

static gp_status singular_error(double alpha) {
    return gp__error(GP_ELAPACK, "%s: the normal equations are singular at alpha = %g "
                     "(constant or collinear features, or fewer rows than features); use "
                     "alpha > 0", fn, alpha);
}

/* The exact float64 products for the refinement, with xc_i = x_i - mu
 * (mu zero without an intercept). Primal: (Xc^T Xc + alpha I) V. */
typedef struct ridge_op {
    const gp_matrix *X;
    const double    *mu, *dg;
    double          *t, *row;   /* dual: d-vector scratch, row scratch */
    double           alpha;
    const gp_comm   *comm;
} ridge_op;

static gp_status primal_apply(void *ctx, const double *V, int64_t nrhs, double *U) {
    const ridge_op *c = ctx;
    return gp__scatter_apply(c->X, NULL, c->mu, NULL, c->dg, V, nrhs, U, c->comm, fn);
}

/* Dual: (Xc Xc^T + alpha I) a, as Xc (Xc^T a), two O(n d) passes. */
static gp_status dual_apply(void *ctx, const double *V, int64_t nrhs, double *U) {
    const ridge_op *c = ctx;
    size_t n = (size_t)c->X->rows, d = (size_t)c->X->cols;
    (void)nrhs; /* one target */
    memset(c->t, 0, d * sizeof *c->t);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            gp__row_f64(c->X, i, 0, d, c->row);
            double q = 0;
            for (size_t j = 0; j < d; j++) {
                double x = c->row[j] - c->mu[j];
                if (pass == 0) c->t[j] += x * V[i];
                else q += x * c->t[j];
            }
            if (pass == 1) U[i] = q + c->alpha * V[i];
            gp__release_after_row(c->X, (int64_t)i);
        }
    return GP_OK;
}

gp_status gp__ridge_fit(const gp_matrix *X, const double *target, const gp_probe_opts *o,
                        struct gp_probe *p) {
    size_t n = (size_t)X->rows, d = (size_t)X->cols;
    const gp_comm *comm = o->comm;
    /* Distributed: always the d x d primal (the dual's n x n system would
     * span every process's rows); the same minimizer for alpha > 0. */
    bool dual = n < d && !gp__comm_active(comm);
    size_t m = dual ? n : d; /* order of the system */
    double *mu = gp__alloc_n(d, sizeof *mu), *row = gp__alloc_n(d, sizeof *row);
    double *yc = gp__alloc_n(n, sizeof *yc), *A = gp__alloc_n(m, m * sizeof *A);
    double *dg = gp__alloc_n(d, sizeof *dg);
    p->n_outputs = 1;
    p->weight = gp__alloc_n(d, sizeof *p->weight);
    p->bias = gp__alloc_n(1, sizeof *p->bias);
    gp_status s = GP_OK;
    if (!mu || !row || !yc || !A || !dg || !p->weight || !p->bias)
        s = gp__error(GP_ENOMEM, "%s: out of memory (%zu x %zu system)", fn, m, m);
    else if (!(o->alpha >= 0))
        s = gp__error(GP_EINVAL, "%s: alpha must be >= 0, not %g", fn, o->alpha);
    if ((s = gp__agree(comm, s, fn)) != GP_OK) goto done;
    int64_t cnt;
    double big = 0, ybar = 0;
    bool icpt = o->fit_intercept != 0;
    if ((s = gp__class_means(X, NULL, 1, comm, fn, mu, &cnt, &big)) != GP_OK) goto done;
    double nt = (double)cnt; /* rows of every process */
    if (icpt) {
        for (size_t i = 0; i < n; i++) ybar += target[i];
        if ((s = gp__comm_reduce(comm, &ybar, 1, GP_REDUCE_SUM, s, fn)) != GP_OK) goto done;
        ybar /= nt;
    }
    for (size_t i = 0; i < n; i++) yc[i] = target[i] - ybar;
    for (size_t j = 0; j < d; j++) dg[j] = o->alpha;

    /* The float32 Gram products always see centered rows; without an
     * intercept the uncentered Gram is put back exactly in float64 by the
     * rank-one terms of the column means m:
     *     X^T X = Xc^T Xc + n m m^T,  X X^T = Xc Xc^T + v 1^T + 1 v^T + |m|^2 1 1^T
     * with v = Xc m, so activations far from the origin keep the accuracy
     * of their spread, not of their offset. From there on mu is the
     * centering of the model: zero without an intercept. */
    double *w = p->weight;
    bool singular = false;
    ridge_op op = {X, mu, dg, w, row, o->alpha, comm};
    if (!dual) {
        if ((s = gp__scatter(X, NULL, -1, mu, NULL, big, o, fn, A, NULL)) != GP_OK) goto done;
        for (size_t i = 0; i < d && !icpt; i++)
            for (size_t j = 0; j < d; j++) A[i * d + j] += nt * mu[i] * mu[j];
        for (size_t j = 0; j < d; j++) A[j * d + j] += o->alpha;
        if (!icpt) memset(mu, 0, d * sizeof *mu);
        memset(w, 0, d * sizeof *w); /* w = Xc^T yc, in float64 */
        for (size_t i = 0; i < n; i++) {
            gp__row_f64(X, i, 0, d, row);
            for (size_t j = 0; j < d; j++) w[j] += (row[j] - mu[j]) * yc[i];
            gp__release_after_row(X, (int64_t)i);
        }
        if ((s = gp__comm_reduce(comm, w, (int64_t)d, GP_REDUCE_SUM, s, fn)) != GP_OK) goto done;
        if ((s = gp__spd_solve(A, (int64_t)d, w, 1, primal_apply, &op, comm, fn, &singular)) !=
            GP_OK)
            goto done;
    } else {
        if ((s = gram(X, mu, big, o, A)) != GP_OK) goto done;
        if (!icpt) {
            double mm = 0;
            for (size_t j = 0; j < d; j++) mm += mu[j] * mu[j];
            for (size_t i = 0; i < n; i++) {
                gp__row_f64(X, i, 0, d, row);
                double v = 0;
                for (size_t j = 0; j < d; j++) v += (row[j] - mu[j]) * mu[j];
                for (size_t j = 0; j < n; j++) A[i * n + j] += v;
                for (size_t j = 0; j < n; j++) A[j * n + i] += v;
                gp__release_after_row(X, (int64_t)i);
            }
            for (size_t i = 0; i < n * n; i++) A[i] += mm;
            memset(mu, 0, d * sizeof *mu);
        }
        for (size_t i = 0; i < n; i++) A[i * n + i] += o->alpha;
        if ((s = gp__spd_solve(A, (int64_t)n, yc, 1, dual_apply, &op, NULL, fn, &singular)) !=
            GP_OK)
            goto done;
        if (!singular) {
            memset(w, 0, d * sizeof *w); /* w = Xc^T a, in float64 */
            for (size_t i = 0; i < n; i++) {
                gp__row_f64(X, i, 0, d, row);
                for (size_t j = 0; j < d; j++) w[j] += (row[j] - mu[j]) * yc[i];
                gp__release_after_row(X, (int64_t)i);
            }
        }
    }
    if (singular) {
        s = gp__agree(comm, singular_error(o->alpha), fn);
        goto done;
    }
    double q = 0;
    for (size_t j = 0; j < d; j++) q += w[j] * mu[j];
    p->bias[0] = ybar - q;
    for (size_t j = 0; j < d; j++)
        if (!isfinite(w[j])) {
            s = gp__agree(comm, gp__error(GP_ENAN, "%s: coefficients are not finite (values "
                                          "too large for float64 products?)", fn), fn);
            goto done;
        }
done:
    gp__free(mu);
    gp__free(row);
    gp__free(yc);
    gp__free(A);
    gp__free(dg);
    return s;
}
