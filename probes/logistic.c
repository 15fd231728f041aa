/* logistic.c — L2-regularized logistic regression in scikit-learn's
 * parameterization: minimize 0.5 ||W||^2 + C sum_i s_i loss_i, intercept
 * not penalized. k == 2: one output, p = sigmoid(w.x + b); k > 2: softmax
 * over k outputs (multinomial, the full k x d W that the L2 term makes
 * unique).
 *
 * Internally the model is z = W (x - mu) + b' with mu the column means and
 * b = b' - W mu: an exact change of variables (same optimum) that takes the
 * large offsets of activation dimensions out of the intercept's coupling
 * with W, which otherwise dominates the conditioning.
 *
 * Solvers (this file): Newton with a float32 ssyrk Hessian over row blocks
 * accumulated in float64 and a Cholesky solve (binary), and L-BFGS
 * (liblbfgs) preconditioned by the top principal components of X, with the
 * loss and gradient computed in one pass over row blocks: float32 BLAS
 * while far from the optimum, then float64 (blocks converted and centered)
 * to finish, since float32 sums cannot resolve the last digits of the
 * gradient. The C path with cross-validation is in logistic_cv.c. */
#include "logistic_impl.h"
#include "linalg.h"

#include <cblas.h>
#include <lapacke.h>
#include <lbfgs.h>
#include <math.h>
#include <string.h>

/* One logistic problem: the rows it uses, their weights, C, and the work
 * buffers of one evaluation. */
typedef struct lg_prob {
    const gp_matrix *X;
    const int32_t   *y;
    int32_t          k, nout;
    int64_t          d, nrows, nw, nvar;  /* nvar = nout d (+ nout intercepts) */
    const int64_t   *rows;                /* NULL: every row, in order */
    const double    *sw;                  /* per-row weights by row id; NULL = 1 */
    const double    *mu;                  /* (d,) centering */
    bool             intercept, precise;  /* precise: float64 products */
    double           C, sw_sum;
    double           curv, gmax;          /* of the last evaluation */
    int64_t          nb;                  /* rows per block */
    float           *bf, *wf, *gf, *zf;
    double          *bd, *z, *gacc, *wmu, *rsum;
    const gp_comm   *comm;                /* distributed: sums over processes */
    gp_status        status;              /* a failed (agreed) reduction */
} lg_prob;

static void lg_prob_free(lg_prob *P);

/* ------------------------------------------------------------------ */
/* Problem setup                                                      */
/* ------------------------------------------------------------------ */

static gp_status lg_prob_init(lg_prob *P, const gp_matrix *X, const int32_t *y, int32_t k,
                        const double *sw, const double *mu, bool intercept,
                        const int64_t *rows, int64_t nrows, const gp_comm *comm) {
    memset(P, 0, sizeof *P);
    P->comm = comm;
    P->X = X;
    P->y = y;
    P->k = k;
    P->nout = k == 2 ? 1 : k;
    P->d = X->cols;
    P->rows = rows;
    P->nrows = rows ? nrows : X->rows;
    P->sw = sw;
    P->mu = mu;
    P->intercept = intercept;
    P->nw = (int64_t)P->nout * P->d;
    P->nvar = P->nw + (intercept ? P->nout : 0);
    /* About 2 MB of float32 rows: the block stays in L2 between the
     * product for the margins and the one for the gradient. */
    int64_t nb = 524288 / GP_MAX(P->d, 1);
    P->nb = GP_MIN(GP_MAX(nb, 16), GP_MAX(P->nrows, 1));
    size_t nbd = (size_t)P->nb * (size_t)P->d, no = (size_t)P->nout;
    P->bf = gp__alloc_n(nbd, sizeof *P->bf);
    P->bd = gp__alloc_n(nbd, sizeof *P->bd);
    P->wf = gp__alloc_n(no * (size_t)P->d, sizeof *P->wf);
    P->gf = gp__alloc_n(no * (size_t)P->d, sizeof *P->gf);
    P->zf = gp__alloc_n((size_t)P->nb * no, sizeof *P->zf);
    P->z = gp__alloc_n((size_t)P->nb * no, sizeof *P->z);
    /* gacc: the gradient sums, then rsum (nout), f and curv: one reduction */
    P->gacc = gp__alloc_n(no * (size_t)P->d + no + 2, sizeof *P->gacc);
    P->wmu = gp__alloc_n(2 * no, sizeof *P->wmu);
    gp_status st = GP_OK;
    if (!P->bf || !P->bd || !P->wf || !P->gf || !P->zf || !P->z || !P->gacc || !P->wmu)
        st = gp__error(GP_ENOMEM, "logistic: out of memory (%lld x %lld blocks)",
                       (long long)P->nb, (long long)P->d);
    P->sw_sum = 0;
    for (int64_t t = 0; st == GP_OK && t < P->nrows; t++)
        P->sw_sum += sw ? sw[rows ? rows[t] : t] : 1.0;
    if ((st = gp__comm_reduce(comm, &P->sw_sum, 1, GP_REDUCE_SUM, st, "logistic")) != GP_OK) {
        lg_prob_free(P);
        return st;
    }
    P->rsum = P->wmu + no;
    return GP_OK;
}

static void lg_prob_free(lg_prob *P) {
    gp__free(P->bf);
    gp__free(P->bd);
    gp__free(P->wf);
    gp__free(P->gf);
    gp__free(P->zf);
    gp__free(P->z);
    gp__free(P->gacc);
    gp__free(P->wmu);
    P->wmu = NULL;
    P->bf = NULL;
    P->bd = NULL;
    P->wf = P->gf = P->zf = NULL;
    P->z = P->gacc = NULL;
}

/* ------------------------------------------------------------------ */
/* Loss and gradient                                                  */
/* ------------------------------------------------------------------ */

/* Rows t0..t0+nb of the problem into the block buffers: float32 as stored
 * (pointer returned, no copy when the rows are contiguous float32) or
 * float64 centered (x - mu computed in double). */
static const float *block_f32(const lg_prob *P, int64_t t0, int64_t nb, int64_t *ld) {
    const gp_matrix *X = P->X;
    size_t d = (size_t)P->d;
    if (!P->rows) {
        *ld = X->ld;
        return gp__row(X, t0);
    }
    for (int64_t i = 0; i < nb; i++)
        memcpy(P->bf + (size_t)i * d, gp__row(X, P->rows[t0 + i]), d * sizeof(float));
    *ld = (int64_t)d;
    return P->bf;
}

static void block_f64(const lg_prob *P, int64_t t0, int64_t nb) {
    const gp_matrix *X = P->X;
    size_t d = (size_t)P->d;
    for (int64_t i = 0; i < nb; i++) {
        int64_t r = P->rows ? P->rows[t0 + i] : t0 + i;
        double *b = P->bd + (size_t)i * d;
        if (X->dtype == GP_DTYPE_F64) {
            const double *x = gp__row(X, r);
            for (size_t j = 0; j < d; j++) b[j] = x[j] - P->mu[j];
        } else {
            const float *x = gp__row(X, r);
            for (size_t j = 0; j < d; j++) b[j] = (double)x[j] - P->mu[j];
        }
    }
}

/* Streaming (gp_set_stream_mode): done with the problem's rows t0..t0+nb.
 * Only when they are X's own rows in order; a row list (a fold, a split)
 * jumps around the file, and its pages stay. */
static void release_block(const lg_prob *P, int64_t t0, int64_t nb) {
    if (!P->rows) gp__release_rows(P->X, t0, t0 + nb);
}

/* Loss of one row with margins z (nout) and class c; z is overwritten by
 * the residuals C s (p - onehot). Also accumulates s * sum p(1-p). */
static double row_loss(const lg_prob *P, double *z, int32_t c, double s, double *curv) {
    double Cs = P->C * s;
    if (P->nout == 1) {
        double t = z[0], yv = c == 1 ? 1.0 : 0.0;
        /* log(1 + e^t) - y t, and the sigmoid, without overflow */
        double e = exp(-fabs(t));
        double loss = (t > 0 ? t : 0) + log1p(e) - yv * t;
        double p = t >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        *curv += s * p * (1 - p);
        z[0] = Cs * (p - yv);
        return Cs * loss;
    }
    double m = z[0];
    for (int32_t j = 1; j < P->nout; j++) m = z[j] > m ? z[j] : m;
    double sum = 0;
    for (int32_t j = 0; j < P->nout; j++) sum += exp(z[j] - m);
    double lse = m + log(sum), loss = lse - z[c];
    for (int32_t j = 0; j < P->nout; j++) {
        double p = exp(z[j] - lse);
        *curv += s * p * (1 - p) / (double)(P->nout - 1);
        z[j] = Cs * (p - (j == c ? 1.0 : 0.0));
    }
    return Cs * loss;
}

static double lg_eval(lg_prob *P, const double *theta, double *grad, double *hdiag) {
    size_t d = (size_t)P->d, no = (size_t)P->nout;
    /* after a failed reduction: no more collectives (the caller stops) */
    if (P->status != GP_OK) return NAN;
    const double *W = theta, *bp = P->intercept ? theta + P->nw : NULL;
    bool f64 = P->precise || P->X->dtype == GP_DTYPE_F64;
    double *wmu = P->wmu, *rsum = P->rsum;
    for (size_t c = 0; c < no; c++) {
        wmu[c] = 0;
        rsum[c] = 0;
        if (!f64) {
            for (size_t j = 0; j < d; j++) {
                wmu[c] += W[c * d + j] * P->mu[j];
                P->wf[c * d + j] = (float)W[c * d + j];
            }
        }
    }
    memset(P->gacc, 0, no * d * sizeof *P->gacc);
    double f = 0, curv = 0;
    for (int64_t t0 = 0; t0 < P->nrows; t0 += P->nb) {
        int64_t nb = GP_MIN(P->nb, P->nrows - t0);
        const float *bf = NULL;
        int64_t ld = 0;
        if (f64) {
            block_f64(P, t0, nb);
            if (no == 1)
                cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)nb, (int)d, 1.0, P->bd, (int)d, W,
                            1, 0.0, P->z, 1);
            else
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)no, (int)d,
                            1.0, P->bd, (int)d, W, (int)d, 0.0, P->z, (int)no);
        } else {
            bf = block_f32(P, t0, nb, &ld);
            if (no == 1)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)nb, (int)d, 1.0f, bf, (int)ld,
                            P->wf, 1, 0.0f, P->zf, 1);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)no, (int)d,
                            1.0f, bf, (int)ld, P->wf, (int)d, 0.0f, P->zf, (int)no);
            for (size_t e = 0; e < (size_t)nb * no; e++)
                P->z[e] = (double)P->zf[e] - wmu[e % no];
        }
        for (int64_t i = 0; i < nb; i++) {
            int64_t r = P->rows ? P->rows[t0 + i] : t0 + i;
            double s = P->sw ? P->sw[r] : 1.0, *zi = P->z + (size_t)i * no, c0 = curv;
            if (bp)
                for (size_t c = 0; c < no; c++) zi[c] += bp[c];
            f += row_loss(P, zi, P->y[r], s, &curv);
            if (hdiag) hdiag[t0 + i] = curv - c0;
            for (size_t c = 0; c < no; c++) rsum[c] += zi[c];
        }
        if (!grad) {
            release_block(P, t0, nb);
            continue;
        }
        if (f64) {
            if (no == 1)
                cblas_dgemv(CblasRowMajor, CblasTrans, (int)nb, (int)d, 1.0, P->bd, (int)d, P->z,
                            1, 1.0, P->gacc, 1);
            else
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)no, (int)d, (int)nb,
                            1.0, P->z, (int)no, P->bd, (int)d, 1.0, P->gacc, (int)d);
        } else {
            for (size_t e = 0; e < (size_t)nb * no; e++) P->zf[e] = (float)P->z[e];
            if (no == 1)
                cblas_sgemv(CblasRowMajor, CblasTrans, (int)nb, (int)d, 1.0f, bf, (int)ld, P->zf,
                            1, 0.0f, P->gf, 1);
            else
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)no, (int)d, (int)nb,
                            1.0f, P->zf, (int)no, bf, (int)ld, 0.0f, P->gf, (int)d);
            for (size_t e = 0; e < no * d; e++) P->gacc[e] += (double)P->gf[e];
        }
        release_block(P, t0, nb);
    }
    if (gp__comm_active(P->comm)) {
        /* every process's rows: gradient sums, intercept sums, f, curv */
        double *red = P->gacc, *tail = red + no * d;
        for (size_t c = 0; c < no; c++) tail[c] = rsum[c];
        tail[no] = f;
        tail[no + 1] = curv;
        P->status = gp__comm_reduce(P->comm, red, (int64_t)(no * d + no + 2), GP_REDUCE_SUM,
                                    GP_OK, "logistic");
        if (P->status != GP_OK) {
            P->gmax = 0;
            return NAN;
        }
        for (size_t c = 0; c < no; c++) rsum[c] = tail[c];
        f = tail[no];
        curv = tail[no + 1];
    }
    P->curv = P->sw_sum > 0 ? curv / P->sw_sum : 0.25;
    double wn = 0;
    for (size_t e = 0; e < no * d; e++) wn += W[e] * W[e];
    f += 0.5 * wn;
    if (!grad) return f;
    double gmax = 0;
    for (size_t c = 0; c < no; c++) {
        for (size_t j = 0; j < d; j++) {
            /* float32 sums were of uncentered x: take mu * sum r back out */
            double g = W[c * d + j] + P->gacc[c * d + j] - (f64 ? 0.0 : P->mu[j] * rsum[c]);
            grad[c * d + j] = g;
            gmax = fabs(g) > gmax ? fabs(g) : gmax;
        }
        if (bp) {
            grad[P->nw + c] = rsum[c];
            gmax = fabs(rsum[c]) > gmax ? fabs(rsum[c]) : gmax;
        }
    }
    P->gmax = gmax;
    return f;
}

/* ------------------------------------------------------------------ */
/* Preconditioner for L-BFGS                                          */
/* ------------------------------------------------------------------ */

/* The Hessian's data term is about C * curv * sum(s) * Cov(X), so with
 * Cov's top eigenpairs (lam_i, q_i) the model Hessian is
 *     P = I + c sum_i lam_i q_i q_i^T,   c = C curv sum(s),
 * and L-BFGS runs on u = P^{1/2} w, where the ill-conditioning of
 * activations (a few directions with most of the variance) is gone. The
 * intercepts are scaled by sqrt(1 + c). Exact change of variables: the
 * optimum does not move, only the path to it. */

static void pre_free(lg_pre *R) {
    gp__free(R->Q);
    gp__free(R->a);
    R->Q = R->a = NULL;
}

/* Top principal components of X (all rows; a fold's covariance is close
 * enough for a preconditioner). A constant X gives none (identity). */
gp_status gp__lg_pre_init(lg_fit *F) {
    if (F->have_pre) return GP_OK;
    lg_pre *R = &F->pre;
    const gp_matrix *X = F->X;
    const gp_probe_opts *o = F->o;
    int32_t nout = F->nout;
    memset(R, 0, sizeof *R);
    F->have_pre = true;
    R->d = X->cols;
    R->nout = nout;
    R->bs = 1;
    int64_t kp = GP_MIN(GP_MIN(X->cols, F->n_all), 100);
    gp_pca_opts po;
    gp_pca_opts_init(&po);
    po.n_components = kp;
    po.cancel = o->cancel;
    po.comm = F->comm;  /* the components of every process's rows */
    gp_pca *pca = NULL;
    gp_status s = gp_pca_fit(X, &po, &pca);
    if (s == GP_EINVAL) {  /* zero variance: no preconditioner, not an error */
        gp__clear_error();
        return GP_OK;
    }
    if (s != GP_OK) {
        gp__error_prefix("logistic: preconditioner");
        return s;
    }
    R->Q = gp__alloc_n((size_t)kp * (size_t)(R->d + 1), sizeof *R->Q);
    R->a = gp__alloc_n((size_t)kp * (size_t)(2 + nout), sizeof *R->a);
    if (!R->Q || !R->a) {
        gp_pca_free(pca);
        pre_free(R);
        return gp__agree(F->comm, gp__error(GP_ENOMEM, "logistic: out of memory (preconditioner)"),
                         "logistic");
    }
    R->kp = kp;
    R->lam = R->Q + (size_t)kp * (size_t)R->d;
    R->ainv = R->a + kp;
    R->t = R->ainv + kp;
    memcpy(R->Q, gp_pca_components(pca), (size_t)kp * (size_t)R->d * sizeof *R->Q);
    memcpy(R->lam, gp_pca_explained_variance(pca), (size_t)kp * sizeof *R->lam);
    gp_pca_free(pca);
    return GP_OK;
}

static void pre_set(lg_pre *R, double c, bool intercept) {
    for (int64_t i = 0; i < R->kp; i++) {
        double f = sqrt(1 + c * R->lam[i]);
        R->a[i] = 1 / f - 1;
        R->ainv[i] = f - 1;
    }
    R->bs = intercept ? 1 / sqrt(1 + c) : 1;
}

/* v (nout d [+ nout]) <- P^{-1/2} v (inverse = false) or P^{1/2} v. */
static void pre_apply(const lg_pre *R, double *v, bool inverse, bool intercept) {
    int64_t d = R->d, kp = R->kp;
    int no = R->nout;
    if (kp > 0) {
        const double *a = inverse ? R->ainv : R->a;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, no, (int)kp, (int)d, 1.0, v, (int)d,
                    R->Q, (int)d, 0.0, R->t, (int)kp);
        for (int c = 0; c < no; c++)
            for (int64_t i = 0; i < kp; i++) R->t[c * kp + i] *= a[i];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, no, (int)d, (int)kp, 1.0, R->t,
                    (int)kp, R->Q, (int)d, 1.0, v, (int)d);
    }
    if (intercept)
        for (int c = 0; c < no; c++) v[(int64_t)no * d + c] *= inverse ? 1 / R->bs : R->bs;
}

/* ------------------------------------------------------------------ */
/* L-BFGS                                                             */
/* ------------------------------------------------------------------ */

enum { LG_DONE = 100, LG_CANCEL = 101 };

typedef struct lg_run {
    lg_prob *P;
    lg_pre  *pre;
    double  *theta;
    double   target;
    int32_t  iters, max_iter;
    const gp_probe_opts *o;
} lg_run;

static lbfgsfloatval_t lg_evaluate(void *inst, const lbfgsfloatval_t *u, lbfgsfloatval_t *gu,
                                   const int n, const lbfgsfloatval_t step) {
    lg_run *R = inst;
    (void)step;
    memcpy(R->theta, u, (size_t)n * sizeof *u);
    pre_apply(R->pre, R->theta, false, R->P->intercept);
    double f = lg_eval(R->P, R->theta, gu, NULL);
    pre_apply(R->pre, gu, false, R->P->intercept);
    return f;
}

static int lg_progress(void *inst, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g,
                       const lbfgsfloatval_t fx, const lbfgsfloatval_t xnorm,
                       const lbfgsfloatval_t gnorm, const lbfgsfloatval_t step, int n, int k,
                       int ls) {
    lg_run *R = inst;
    (void)x, (void)g, (void)fx, (void)xnorm, (void)gnorm, (void)step, (void)n, (void)k, (void)ls;
    R->iters++;
    if (R->P->status != GP_OK) return LG_CANCEL;
    if (R->o->cancel && *R->o->cancel) return LG_CANCEL;
    if (R->o->progress) R->o->progress(R->o->progress_user, R->iters, R->max_iter, "logistic");
    return R->P->gmax <= R->target ? LG_DONE : 0;
}

/* Minimize from theta (in/out) to max |gradient| <= tolabs: float32
 * products first (float32 X), float64 to finish. */
static gp_status lg_lbfgs(lg_prob *P, lg_pre *pre, double *theta, double tolabs, int32_t max_iter,
                          const gp_probe_opts *o, int32_t *iters, bool *converged) {
    size_t nv = (size_t)P->nvar;
    double *u = gp__alloc_n(2 * nv, sizeof *u), *th = u + nv;
    gp_status ast = gp__agree(P->comm, u ? GP_OK : gp__error(GP_ENOMEM, "logistic: out of memory"),
                              "logistic");
    if (ast != GP_OK) {
        gp__free(u);
        return ast;
    }
    gp_status st = GP_OK;
    lg_run R = {P, pre, th, 0, 0, max_iter, o};
    *converged = false;
    bool f32 = P->X->dtype == GP_DTYPE_F32;
    for (int phase = f32 ? 0 : 1; phase < 2 && st == GP_OK; phase++) {
        P->precise = phase == 1;
        lg_eval(P, theta, th, NULL);
        if (P->status != GP_OK) {
            st = P->status;
            break;
        }
        R.target = phase == 0 ? GP_MAX(tolabs, 1e-4 * P->gmax) : tolabs;
        if (P->gmax <= R.target) {
            *converged = phase == 1;
            continue;
        }
        if (R.iters >= max_iter) break;
        pre_set(pre, P->C * GP_MAX(P->curv, 1e-3) * P->sw_sum, P->intercept);
        memcpy(u, theta, nv * sizeof *u);
        pre_apply(pre, u, true, P->intercept);
        lbfgs_parameter_t prm;
        lbfgs_parameter_init(&prm);
        prm.m = 10;
        prm.epsilon = 0;
        prm.max_iterations = max_iter - R.iters;
        lbfgsfloatval_t fx = 0;
        int ret = lbfgs((int)nv, u, &fx, lg_evaluate, lg_progress, &R, &prm);
        pre_apply(pre, u, false, P->intercept);
        memcpy(theta, u, nv * sizeof *u);
        if (P->status != GP_OK) st = P->status; /* agreed already */
        else if (ret == LG_CANCEL)
            st = gp__agree(P->comm, gp__error(GP_ECANCELLED, "logistic: cancelled"), "logistic");
        else if (ret == LBFGSERR_OUTOFMEMORY)
            st = gp__agree(P->comm, gp__error(GP_ENOMEM, "logistic: L-BFGS: out of memory"),
                           "logistic");
        else if (ret == LBFGSERR_MAXIMUMITERATION) break;
        else if (ret == LG_DONE) *converged = phase == 1;
        else if (ret >= LBFGSERR_INVALID_N && ret <= LBFGSERR_INVALID_ORTHANTWISE_END)
            st = gp__agree(P->comm, gp__error(GP_EINTERNAL, "logistic: L-BFGS rejected its "
                                              "parameters (%d)", ret), "logistic");
        else if (phase == 1) *converged = true;
        /* Anything else is a line search that can no longer decrease f at
         * this precision: float32 hands over to float64; in float64 it is
         * the limit of the objective's rounding (near 1e-8 relative
         * gradient, as scipy's ftol stops scikit-learn), which counts as
         * converged: `converged` = 0 means max_iter ran out, as the header
         * says. */
    }
    *iters += R.iters;
    gp__free(u);
    return st;
}

/* ------------------------------------------------------------------ */
/* Newton (binary)                                                    */
/* ------------------------------------------------------------------ */

/* H = I (w part) + C sum_i s_i p_i (1 - p_i) [x_i - mu, 1][x_i - mu, 1]^T:
 * float32 ssyrk of row blocks scaled by sqrt(C s p (1 - p)), each block's
 * product added into the float64 upper triangle. Its rounding only slows
 * the iteration down a little; the fixed point is set by the float64
 * gradient. */
static gp_status newton_hessian(const lg_prob *P, const double *hd, int64_t nbh, float *A,
                                float *Hf, double *H) {
    int64_t d = P->d, nv = P->nvar;
    size_t nv2 = (size_t)nv * (size_t)nv;
    memset(H, 0, nv2 * sizeof *H);
    for (int64_t t0 = 0; t0 < P->nrows; t0 += nbh) {
        int64_t nb = GP_MIN(nbh, P->nrows - t0);
        for (int64_t i = 0; i < nb; i++) {
            int64_t r = P->rows ? P->rows[t0 + i] : t0 + i;
            double sc = sqrt(P->C * hd[t0 + i]);
            float *a = A + (size_t)i * (size_t)nv;
            if (P->X->dtype == GP_DTYPE_F64) {
                const double *x = gp__row(P->X, r);
                for (int64_t j = 0; j < d; j++) a[j] = (float)(sc * (x[j] - P->mu[j]));
            } else {
                const float *x = gp__row(P->X, r);
                for (int64_t j = 0; j < d; j++) a[j] = (float)(sc * ((double)x[j] - P->mu[j]));
            }
            if (P->intercept) a[d] = (float)sc;
        }
        release_block(P, t0, nb); /* copied into A */
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)nv, (int)nb, 1.0f, A, (int)nv,
                    0.0f, Hf, (int)nv);
        for (int64_t i = 0; i < nv; i++)
            for (int64_t j = i; j < nv; j++) H[i * nv + j] += Hf[i * nv + j];
    }
    /* every process's rows (the upper triangle is what dpotrf reads) */
    gp_status st = gp__comm_reduce(P->comm, H, (int64_t)nv2, GP_REDUCE_SUM, GP_OK, "logistic");
    if (st != GP_OK) return st;
    for (int64_t j = 0; j < d; j++) H[j * nv + j] += 1.0;
    /* The intercept's curvature can underflow on separable data with a
     * huge C; a relative jitter keeps the factorization alive. */
    if (P->intercept) H[d * nv + d] += 1e-12 * (1 + H[d * nv + d]);
    return GP_OK;
}

static gp_status lg_newton(lg_prob *P, double *theta, double tolabs, int32_t max_iter,
                           const gp_probe_opts *o, int32_t *iters, bool *converged) {
    int64_t nv = P->nvar;
    int64_t nbh = GP_MIN(GP_MAX((int64_t)1048576 / nv, 64), GP_MAX(P->nrows, 1));
    size_t nv2 = (size_t)nv * (size_t)nv;
    *converged = false;
    if (!gp__fits_lapack_int(nv * nv))
        return gp__error(GP_ESHAPE, "logistic: %lld features is too many for Newton (use lbfgs)",
                         (long long)P->d);
    double *H = gp__alloc_n(nv2, sizeof *H), *g = gp__alloc_n(4 * (size_t)nv, sizeof *g);
    double *hd = gp__alloc_n((size_t)P->nrows, sizeof *hd);
    float *Hf = gp__alloc_n(nv2, sizeof *Hf), *A = gp__alloc_n((size_t)nbh * (size_t)nv, sizeof *A);
    gp_status st = GP_OK;
    if (!H || !g || !hd || !Hf || !A)
        st = gp__error(GP_ENOMEM, "logistic: out of memory (Newton, %lld features)",
                       (long long)P->d);
    if ((st = gp__agree(P->comm, st, "logistic")) != GP_OK) goto done;
    double *step = g + nv, *tn = step + nv, *gn = tn + nv;
    P->precise = true;
    double f = lg_eval(P, theta, g, hd);
    for (int32_t it = 0; P->status == GP_OK; it++) {
        if (P->gmax <= tolabs) {
            *converged = true;
            break;
        }
        if (it >= max_iter) break;
        if (o->cancel && *o->cancel) {
            st = gp__agree(P->comm, gp__error(GP_ECANCELLED, "logistic: cancelled"), "logistic");
            break;
        }
        if ((st = newton_hessian(P, hd, nbh, A, Hf, H)) != GP_OK) break;
        for (int64_t j = 0; j < nv; j++) step[j] = -g[j];
        /* row-major upper = column-major lower */
        lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)nv, H,
                                              (lapack_int)nv);
        if (info == 0)
            info = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', (lapack_int)nv, 1, H,
                                       (lapack_int)nv, step, (lapack_int)nv);
        if (info != 0) {
            st = gp__lapack_status("dpotrf", info);
            gp__error_prefix("logistic: Newton");
            st = gp__agree(P->comm, st, "logistic");
            break;
        }
        double slope = 0;
        for (int64_t j = 0; j < nv; j++) slope += g[j] * step[j];
        /* Armijo backtracking from the full Newton step */
        double t = 1, fn = f;
        bool ok = false;
        for (int ls = 0; ls < 60 && !ok && P->status == GP_OK; ls++, t *= 0.5) {
            for (int64_t j = 0; j < nv; j++) tn[j] = theta[j] + t * step[j];
            double gm = P->gmax;
            fn = lg_eval(P, tn, gn, hd);
            /* Near the optimum f changes below its rounding; then a full
             * step that shrinks the gradient is progress too. */
            ok = fn <= f + 1e-4 * t * slope ||
                 (t == 1 && fabs(fn - f) <= 1e-13 * fabs(f) && P->gmax < 0.5 * gm);
            if (!ok) P->gmax = gm;
        }
        (*iters)++;
        if (P->status != GP_OK) break;
        if (o->progress) o->progress(o->progress_user, it + 1, max_iter, "logistic");
        if (!ok) {
            /* no decrease left at double precision: stand on theta */
            lg_eval(P, theta, g, hd);
            *converged = true;
            break;
        }
        memcpy(theta, tn, (size_t)nv * sizeof *theta);
        memcpy(g, gn, (size_t)nv * sizeof *g);
        f = fn;
    }
done:
    gp__free(H);
    gp__free(g);
    gp__free(hd);
    gp__free(Hf);
    gp__free(A);
    if (st == GP_OK && P->status != GP_OK) st = P->status;
    return st;
}

/* ------------------------------------------------------------------ */
/* One fit, setup, the entry point                                    */
/* ------------------------------------------------------------------ */

/* Fit at C on the given rows from theta (in/out). The tolerance is o->tol
 * relative to the largest gradient entry at theta = 0, which scales with C,
 * the data's size and its units alike. */
gp_status gp__lg_fit_C(lg_fit *F, const int64_t *rows, int64_t nrows, double C, double *theta,
                       int32_t *iters, bool *converged) {
    lg_prob P;
    gp_status st = lg_prob_init(&P, F->X, F->y, F->k, F->sw, F->mu, F->o->fit_intercept != 0,
                                rows, nrows, F->comm);
    if (st != GP_OK) return st;
    double *z = gp__calloc((size_t)P.nvar * 2, sizeof *z);
    if ((st = gp__agree(F->comm, z ? GP_OK : gp__error(GP_ENOMEM, "logistic: out of memory"),
                        "logistic")) != GP_OK) {
        lg_prob_free(&P);
        gp__free(z);
        return st;
    }
    P.C = C;
    P.precise = true;
    lg_eval(&P, z, z + P.nvar, NULL);
    double tolabs = F->o->tol * (P.gmax > 0 ? P.gmax : C);
    gp__free(z);
    if (P.status != GP_OK) {
        lg_prob_free(&P);
        return P.status;
    }
    if (F->newton)
        st = lg_newton(&P, theta, tolabs, F->max_iter, F->o, iters, converged);
    else
        st = lg_lbfgs(&P, &F->pre, theta, tolabs, F->max_iter, F->o, iters, converged);
    lg_prob_free(&P);
    return st;
}

/* Newton pays n d^2 per iteration for its Hessian and converges in a
 * handful; L-BFGS pays ~n d per iteration and needs tens to hundreds.
 * Timed on 20000 rows: Newton wins up to about d = 1024. */
#define LG_NEWTON_MAX_D 1024

void gp__lg_teardown(lg_fit *F) {
    pre_free(&F->pre);
    gp__free(F->mu);
    gp__free(F->sw);
    F->mu = F->sw = NULL;
    F->have_pre = false;
}

gp_status gp__lg_setup(lg_fit *F, const gp_matrix *X, const int32_t *y, int32_t k,
                       const gp_probe_opts *o) {
    int64_t n = X->rows, d = X->cols;
    memset(F, 0, sizeof *F);
    F->X = X;
    F->y = y;
    F->k = k;
    F->o = o;
    F->comm = o->comm;
    F->nout = k == 2 ? 1 : k;
    F->newton = F->nout == 1 && (o->solver == GP_LOGISTIC_NEWTON ||
                                 (o->solver == GP_LOGISTIC_AUTO && d <= LG_NEWTON_MAX_D));
    F->max_iter = o->max_iter > 0 ? o->max_iter : F->newton ? 100 : 1000;
    int64_t nv = F->nout * d + (o->fit_intercept ? F->nout : 0);
    gp_status st = GP_OK;
    if (!gp__fits_lapack_int(n) || !gp__fits_lapack_int(nv) || !gp__fits_lapack_int(d))
        st = gp__error(GP_ESHAPE, "logistic: %lld x %lld is too large", (long long)n,
                       (long long)d);
    /* sums of x (d), class counts (k), rows: reduced over the processes */
    double *acc = st == GP_OK ? gp__calloc((size_t)d + (size_t)k + 1, sizeof *acc) : NULL;
    if (st == GP_OK) {
        F->mu = gp__calloc((size_t)d, sizeof *F->mu);
        if (o->class_weight_balanced) F->sw = gp__alloc_n((size_t)n, sizeof *F->sw);
        if (!acc || !F->mu || (o->class_weight_balanced && !F->sw))
            st = gp__error(GP_ENOMEM, "logistic: out of memory");
    }
    double *cnt = acc ? acc + d : NULL;
    for (int64_t i = 0; st == GP_OK && i < n; i++) {
        cnt[y[i]] += 1;
        if (!o->fit_intercept) continue;
        if (X->dtype == GP_DTYPE_F64) {
            const double *x = gp__row(X, i);
            for (int64_t j = 0; j < d; j++) acc[j] += x[j];
        } else {
            const float *x = gp__row(X, i);
            for (int64_t j = 0; j < d; j++) acc[j] += x[j];
        }
        gp__release_after_row(X, i);
    }
    if (st == GP_OK) acc[d + k] = (double)n;
    st = gp__comm_reduce(F->comm, acc, d + k + 1, GP_REDUCE_SUM, st, "logistic");
    if (st == GP_OK) {
        double na = acc[d + k];
        F->n_all = (int64_t)na;
        if (F->sw)
            for (int64_t i = 0; i < n; i++) F->sw[i] = na / ((double)k * cnt[y[i]]);
        if (o->fit_intercept)
            for (int64_t j = 0; j < d; j++) F->mu[j] = acc[j] / na;
    }
    gp__free(acc);
    if (st == GP_OK && !F->newton) st = gp__lg_pre_init(F);
    if (st != GP_OK) gp__lg_teardown(F);
    return st;
}

gp_status gp__logistic_fit(const gp_matrix *X, const int32_t *y, int32_t k,
                           const gp_probe_opts *o, struct gp_probe *p) {
    int64_t n = X->rows, d = X->cols;
    lg_fit F;
    gp_status st = gp__lg_setup(&F, X, y, k, o);
    if (st != GP_OK) return st;
    bool intercept = o->fit_intercept != 0;
    int64_t nv = F.nout * d + (intercept ? F.nout : 0);
    double *theta = gp__calloc((size_t)nv, sizeof *theta);
    if ((st = gp__agree(F.comm, theta ? GP_OK : gp__error(GP_ENOMEM, "logistic: out of memory"),
                        "logistic")) != GP_OK)
        goto done;
    int32_t iters = 0;
    bool conv = false;
    double C = o->C;
    if (C > 0) st = gp__lg_fit_C(&F, NULL, n, C, theta, &iters, &conv);
    else st = gp__lg_fit_cv(&F, theta, &C, &iters, &conv);
    if (st != GP_OK) goto done;
    p->n_outputs = F.nout;
    p->weight = gp__alloc_n((size_t)F.nout * (size_t)d, sizeof *p->weight);
    p->bias = gp__alloc_n((size_t)F.nout, sizeof *p->bias);
    if (!p->weight || !p->bias) {
        st = gp__agree(F.comm, gp__error(GP_ENOMEM, "logistic: out of memory"), "logistic");
        goto done;
    }
    memcpy(p->weight, theta, (size_t)F.nout * (size_t)d * sizeof *theta);
    double bmean = 0;
    for (int32_t c = 0; c < F.nout; c++) {
        double b = intercept ? theta[(int64_t)F.nout * d + c] : 0;
        if (intercept)
            for (int64_t j = 0; j < d; j++) b -= theta[(int64_t)c * d + j] * F.mu[j];
        p->bias[c] = b;
        bmean += b / F.nout;
    }
    /* softmax is blind to a common shift of the intercepts; scikit-learn's
     * (zero start, gradients summing to zero over classes) sum to zero */
    if (F.nout > 1 && intercept)
        for (int32_t c = 0; c < F.nout; c++) p->bias[c] -= bmean;
    p->C = C;
    p->n_iter = iters;
    p->converged = conv;
done:
    gp__lg_teardown(&F);
    gp__free(theta);
    return st;
}
