/* logistic_cv.c — choosing the logistic probe's C by cross-validation
 * (o->C <= 0): o->n_Cs values logspace(-4, 4), o->cv_folds stratified
 * folds, the C with the best mean held-out accuracy (the smallest on ties,
 * as LogisticRegressionCV), then a refit on every row at that C with the
 * single-fit solvers of logistic.c, started from the folds' mean solution.
 *
 * Binary: every (fold, C) problem is solved at once by a batched L-BFGS
 * (lg_batched) whose every evaluation is one pass over X for all the
 * problems still moving: float32 GEMMs on row blocks of X centered by the
 * mean of all rows (any centering has the same optimum: the intercept
 * absorbs it) give the margins Z = X W of every problem (BLAS-3), the
 * per-problem losses with the fold's rows masked out, and G = X^T R in the
 * same pass while the block is in cache. One fold fit alone is a
 * memory-bound GEMV pass; 40 of them one after the other read X 40 times
 * as often. On 20000 x 4096 (2 cores) the batch takes ~15 s where the path
 * of single fits took ~400 s.
 *
 * k > 2, and the reference for the tests: each fold walks the path from
 * the smallest C, one fit at a time, warm-started from the previous C's
 * solution (lg_path). */
#include "lbfgs_memory.h"
#include "logistic_impl.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* One problem at a time, along the path                              */
/* ------------------------------------------------------------------ */

/* Fold fits only rank the Cs by held-out accuracy, which settles long
 * before the last digits of the weights do: a relative gradient of 1e-5
 * is plenty (scikit-learn's LogisticRegressionCV stops its fold fits at
 * 100 iterations). The refit uses o->tol. */
static double cv_tol(const gp_probe_opts *o) { return GP_MAX(o->tol, 1e-5); }
static int32_t cv_max_iter(const lg_fit *F) {
    return F->o->max_iter > 0 ? F->o->max_iter : GP_MIN(F->max_iter, 200);
}

/* Share of the rows whose argmax score (float64) is their class; z (nout) scratch. */
static double accuracy(const lg_fit *F, const double *theta, const int64_t *rows, int64_t nrows,
                       double *z) {
    int64_t d = F->X->cols, good = 0;
    int no = F->nout;
    for (int64_t t = 0; t < nrows; t++) {
        int64_t r = rows[t];
        for (int c = 0; c < no; c++) {
            const double *w = theta + (int64_t)c * d;
            double s = F->o->fit_intercept ? theta[(int64_t)no * d + c] : 0;
            if (F->X->dtype == GP_DTYPE_F64) {
                const double *x = gp__row(F->X, r);
                for (int64_t j = 0; j < d; j++) s += w[j] * (x[j] - F->mu[j]);
            } else {
                const float *x = gp__row(F->X, r);
                for (int64_t j = 0; j < d; j++) s += w[j] * ((double)x[j] - F->mu[j]);
            }
            z[c] = s;
        }
        int32_t pred = 0;
        if (no == 1) pred = z[0] > 0;
        else
            for (int c = 1; c < no; c++)
                if (z[c] > z[pred]) pred = c;
        good += pred == F->y[r];
    }
    return nrows ? (double)good / (double)nrows : 0;
}

static gp_status lg_path(lg_fit *F, const int32_t *fold, const double *Cs, double *acc,
                         double *sol) {
    const gp_probe_opts *o = F->o;
    int64_t n = F->X->rows, nv = (int64_t)F->nout * F->X->cols + (o->fit_intercept ? F->nout : 0);
    int32_t nf = o->cv_folds, nC = o->n_Cs, full_iter = F->max_iter;
    int64_t *rows = gp__alloc_n((size_t)n, sizeof *rows);
    double *zbuf = gp__alloc_n((size_t)F->nout, sizeof *zbuf);
    gp_status st = GP_OK;
    if (!rows || !zbuf) {
        st = gp__error(GP_ENOMEM, "logistic: out of memory (cross-validation)");
        goto done;
    }
    int64_t total = (int64_t)nf * nC + 1;
    /* progress counts fits here, not the iterations inside each */
    gp_probe_opts quiet = *o;
    quiet.progress = NULL;
    quiet.tol = cv_tol(o);
    F->max_iter = cv_max_iter(F);
    F->o = &quiet;
    for (int32_t f = 0; f < nf && st == GP_OK; f++) {
        int64_t ntr = 0, nte = 0;
        for (int64_t i = 0; i < n; i++)
            if (fold[i] != f) rows[ntr++] = i;
        for (int64_t i = 0; i < n; i++)
            if (fold[i] == f) rows[ntr + nte++] = i;
        double *th = sol + (size_t)f * (size_t)nC * (size_t)nv;
        memset(th, 0, (size_t)nv * sizeof *th);
        for (int32_t j = 0; j < nC && st == GP_OK; j++) {
            double *tj = th + (size_t)j * (size_t)nv;
            if (j > 0) memcpy(tj, tj - nv, (size_t)nv * sizeof *tj);
            int32_t it = 0;
            bool cv_conv;
            st = gp__lg_fit_C(F, rows, ntr, Cs[j], tj, &it, &cv_conv);
            acc[(size_t)f * nC + j] = accuracy(F, tj, rows + ntr, nte, zbuf);
            if (o->progress)
                o->progress(o->progress_user, (int64_t)f * nC + j + 1, total, "logistic cv");
        }
    }
done:
    F->o = o;
    F->max_iter = full_iter;
    gp__free(rows);
    gp__free(zbuf);
    return st;
}

/* ------------------------------------------------------------------ */
/* Every (fold, C) at once: batched L-BFGS (binary)                   */
/* ------------------------------------------------------------------ */

/* Problem p = f nC + j trains on the rows outside fold f at C_j. Each runs
 * its own L-BFGS (memory LB_M, Armijo backtracking: the objective is
 * strictly convex, so s.y > 0 without a Wolfe test) on u = P_p^{1/2} w with
 * logistic.c's principal-component preconditioner at its own scale
 * c_p = C curv sum(s), rescaled (memory dropped) when the curvature has
 * moved 3x; a pass evaluates the trial points of all problems still moving,
 * whether first tries or backtracks. All start from zero at once: warm
 * starts along C would make the problems wait on each other, and the
 * passes narrow. A problem stops at logistic.c's relative gradient (1e-5
 * here), at LB_MAX_ITER, or when float32 can no longer show a decrease;
 * stopped problems leave the GEMMs. */
enum { LB_M = LBFGS_M, LB_MAX_LS = 12, LB_MAX_ITER = 100 };
/* Largest centered copy of X (float32 elements): 2 GiB. */
#define LB_COPY_MAX ((uint64_t)1 << 29)
/* Memory for the problems' state solved at once. */
#define LB_CHUNK_BYTES 536870912.0

typedef struct lb {
    lg_fit        *F;
    const int32_t *fold;
    int64_t        n, d, nv, nb, kp;
    int32_t        P, nC, nf;
    bool           intercept;
    int64_t       *ord, *fst;     /* rows by fold, fold starts (nf + 1) */
    float         *xc;            /* (n, d) centered rows in ord's order, or NULL */
    /* per problem */
    int32_t *pf, *iter, *nls, *mem, *head, *act, *alive, *fresh;
    double  *C, *swsum, *tolabs, *cpre, *bs, *step, *slope;
    double  *f, *gmax, *curv, *ft, *gmaxt, *curvt, *rho;   /* rho (P, LB_M) */
    double  *u, *gu, *w, *gw, *dir, *ut, *wt, *gwt, *gut;  /* (P, nv) */
    double  *S, *Y;                                        /* (P, LB_M, nv) */
    double  *A, *Ainv;                                     /* (P, kp) */
    double  *gacc, *rsum, *T;                              /* (P, d), (P), (P, kp) */
    float   *xb, *wf, *zf, *rf, *gf;
    float   *muf;                                          /* (d) mu in float32 */
    void    *dbl, *flt, *ints;
} lb;

static void lb_free(lb *B) {
    gp__free(B->dbl);
    gp__free(B->flt);
    gp__free(B->ints);
    B->dbl = B->flt = B->ints = NULL;
}

static double *carve(double **at, size_t count) {
    double *p = *at;
    *at += count;
    return p;
}

static gp_status lb_alloc(lb *B) {
    size_t P = (size_t)B->P, nv = (size_t)B->nv, d = (size_t)B->d, kp = (size_t)B->kp;
    size_t nb = (size_t)B->nb;
    size_t nd = P * (16 + LB_M) + P * nv * (9 + 2 * LB_M) + P * kp * 3 + P * d + P;
    size_t nfl = nb * d + P * d * 2 + nb * P * 2;
    B->dbl = gp__alloc_n(nd, sizeof(double));
    B->flt = gp__alloc_n(nfl, sizeof(float));
    B->ints = gp__alloc_n(P * 8, sizeof(int32_t));
    if (!B->dbl || !B->flt || !B->ints) {
        lb_free(B);
        return gp__error(GP_ENOMEM, "logistic: out of memory (batched cross-validation, %d "
                         "problems)", (int)B->P);
    }
    memset(B->dbl, 0, nd * sizeof(double));
    double *at = B->dbl;
    double **scal[] = {&B->C, &B->swsum, &B->tolabs, &B->cpre, &B->bs, &B->step, &B->slope,
                       &B->f, &B->gmax, &B->curv, &B->ft, &B->gmaxt, &B->curvt, &B->rsum};
    for (size_t i = 0; i < sizeof scal / sizeof *scal; i++) *scal[i] = carve(&at, P);
    B->rho = carve(&at, P * LB_M);
    double **vec[] = {&B->u, &B->gu, &B->w, &B->gw, &B->dir, &B->ut, &B->wt, &B->gwt, &B->gut};
    for (size_t i = 0; i < sizeof vec / sizeof *vec; i++) *vec[i] = carve(&at, P * nv);
    B->S = carve(&at, P * LB_M * nv);
    B->Y = carve(&at, P * LB_M * nv);
    B->A = carve(&at, P * kp);
    B->Ainv = carve(&at, P * kp);
    B->T = carve(&at, P * kp);
    B->gacc = carve(&at, P * d);
    float *fa = B->flt;
    B->xb = fa, fa += nb * d;
    B->wf = fa, fa += P * d;
    B->gf = fa, fa += P * d;
    B->zf = fa, fa += nb * P;
    B->rf = fa;
    int32_t *ia = B->ints;
    int32_t **iv[] = {&B->pf, &B->iter, &B->nls, &B->mem, &B->head, &B->act, &B->alive, &B->fresh};
    for (size_t i = 0; i < sizeof iv / sizeof *iv; i++) *iv[i] = ia, ia += P;
    memset(B->ints, 0, P * 8 * sizeof(int32_t));
    return GP_OK;
}

/* Rows of X by fold (ord; fold f's are ord[fst[f] .. fst[f+1])), centered
 * into xb in float32: the products then sum terms of the data's spread,
 * not of its offsets (up to hundreds in activations), which float32 could
 * not cancel to the gradient's last digits. */
static void center_rows(const gp_matrix *X, const int64_t *rows, int64_t nb, int64_t d,
                        const double *mu, const float *restrict muf, float *restrict xb) {
    for (int64_t i = 0; i < nb; i++) {
        float *restrict o = xb + i * d;
        if (X->dtype == GP_DTYPE_F64) {
            const double *restrict x = gp__row(X, rows[i]);
            for (int64_t j = 0; j < d; j++) o[j] = (float)(x[j] - mu[j]);
        } else {
            /* -O2 does not vectorize a plain loop; memcpy and saxpy are */
            memcpy(o, gp__row(X, rows[i]), (size_t)d * sizeof *o);
            cblas_saxpy((int)d, -1.0f, muf, 1, o, 1);
        }
    }
}

static void add_f32(double *restrict acc, const float *restrict v, int64_t n) {
    for (int64_t e = 0; e < n; e++) acc[e] += (double)v[e];
}

/* Loss, gradient (into g, (P, nv) by problem), summed curvature and max
 * |gradient| of the na problems act[] (ascending) at th (P, nv): one pass
 * over X. The rows go fold by fold, so each block skips the problems that
 * hold its fold out: the GEMMs run on the act[] columns left and right of
 * them. */
static void lb_eval(lb *B, int32_t na, const int32_t *act, const double *th, double *fo,
                    double *g, double *cu, double *gm) {
    const int32_t *y = B->F->y;
    const double *sw = B->F->sw;
    int64_t d = B->d, nv = B->nv;
    for (int32_t a = 0; a < na; a++) {
        int32_t p = act[a];
        for (int64_t j = 0; j < d; j++) B->wf[a * d + j] = (float)th[p * nv + j];
        B->rsum[a] = fo[p] = cu[p] = 0;
    }
    memset(B->gacc, 0, (size_t)na * (size_t)d * sizeof *B->gacc);
    int32_t lo = 0;
    for (int32_t f = 0; f < B->nf; f++) {
        while (lo < na && B->pf[act[lo]] < f) lo++;
        int32_t hi = lo;
        while (hi < na && B->pf[act[hi]] == f) hi++;
        /* Columns [c0, c1): all but fold f's problems when those are at an
         * end; else all (one wide GEMM beats two narrow ones) with fold
         * f's residuals zero. */
        int32_t c0 = lo == 0 ? hi : 0, c1 = hi == na ? lo : na, nc = c1 - c0;
        if (nc <= 0) continue;
        for (int64_t t0 = B->fst[f]; t0 < B->fst[f + 1]; t0 += B->nb) {
            int64_t nb = GP_MIN(B->nb, B->fst[f + 1] - t0);
            const int64_t *rows = B->ord + t0;
            const float *xb = B->xc ? B->xc + t0 * d : B->xb;
            if (!B->xc) center_rows(B->F->X, rows, nb, d, B->F->mu, B->muf, B->xb);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, nc, (int)d, 1.0f, xb,
                        (int)d, B->wf + c0 * d, (int)d, 0.0f, B->zf + c0, na);
            for (int64_t i = 0; i < nb; i++) {
                int64_t r = rows[i];
                double s = sw ? sw[r] : 1.0, yv = y[r] == 1 ? 1.0 : 0.0;
                const float *zr = B->zf + i * na;
                float *rr = B->rf + i * na;
                for (int32_t a = c0; a < c1; a++) {
                    if (a >= lo && a < hi) {  /* held out of these */
                        rr[a] = 0;
                        continue;
                    }
                    int32_t p = act[a];
                    double t = (double)zr[a] + (B->intercept ? th[p * nv + d] : 0);
                    double Cs = B->C[p] * s, e = exp(-fabs(t));
                    double pr = t >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
                    fo[p] += Cs * ((t > 0 ? t : 0) + log1p(e) - yv * t);
                    cu[p] += s * pr * (1 - pr);
                    double res = Cs * (pr - yv);
                    B->rsum[a] += res;
                    rr[a] = (float)res;
                }
            }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nc, (int)d, (int)nb, 1.0f,
                        B->rf + c0, na, xb, (int)d, 0.0f, B->gf, (int)d);
            add_f32(B->gacc + c0 * d, B->gf, (int64_t)nc * d);
        }
    }
    for (int32_t a = 0; a < na; a++) {
        int32_t p = act[a];
        const double *w = th + p * nv;
        double *gp = g + p * nv, wn = 0, mx = 0;
        for (int64_t j = 0; j < d; j++) {
            gp[j] = w[j] + B->gacc[a * d + j];
            wn += w[j] * w[j];
            mx = fabs(gp[j]) > mx ? fabs(gp[j]) : mx;
        }
        if (B->intercept) {
            gp[d] = B->rsum[a];
            mx = fabs(gp[d]) > mx ? fabs(gp[d]) : mx;
        }
        fo[p] += 0.5 * wn;
        gm[p] = mx;
    }
}

/* The preconditioner of problem p at scale c (see lg_pre in logistic_impl.h). */
static void lb_pre_set(lb *B, int32_t p, double c) {
    const double *lam = B->F->pre.lam;
    for (int64_t i = 0; i < B->kp; i++) {
        double f = sqrt(1 + c * lam[i]);
        B->A[p * B->kp + i] = 1 / f - 1;
        B->Ainv[p * B->kp + i] = f - 1;
    }
    B->cpre[p] = c;
    B->bs[p] = B->intercept ? 1 / sqrt(1 + c) : 1;
}

static double lb_scale(const lb *B, int32_t p, double curv) {
    return B->C[p] * GP_MAX(curv / GP_MAX(B->swsum[p], 1e-300), 1e-3) * B->swsum[p];
}

/* V's rows act[] (stride nv) <- P_p^{-1/2} v (inverse = false) or P_p^{1/2} v;
 * one pair of GEMMs with Q for all of them. */
static void lb_pre_apply(lb *B, int32_t na, const int32_t *act, double *V, bool inverse) {
    int64_t d = B->d, nv = B->nv, kp = B->kp;
    const double *coef = inverse ? B->Ainv : B->A;
    if (kp > 0 && na > 0) {
        double *vb = B->gacc;  /* free outside lb_eval */
        for (int32_t a = 0; a < na; a++)
            memcpy(vb + a * d, V + act[a] * nv, (size_t)d * sizeof *vb);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, na, (int)kp, (int)d, 1.0, vb,
                    (int)d, B->F->pre.Q, (int)d, 0.0, B->T, (int)kp);
        for (int32_t a = 0; a < na; a++)
            for (int64_t i = 0; i < kp; i++) B->T[a * kp + i] *= coef[act[a] * kp + i];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, na, (int)d, (int)kp, 1.0, B->T,
                    (int)kp, B->F->pre.Q, (int)d, 1.0, vb, (int)d);
        for (int32_t a = 0; a < na; a++)
            memcpy(V + act[a] * nv, vb + a * d, (size_t)d * sizeof *vb);
    }
    if (B->intercept)
        for (int32_t a = 0; a < na; a++) {
            int32_t p = act[a];
            V[p * nv + d] *= inverse ? 1 / B->bs[p] : B->bs[p];
        }
}

/* Problem p's memory inside the batch's arrays. */
static gp__lbfgs_mem memory_of(lb *B, int32_t p) {
    size_t at = (size_t)p * LB_M;
    return (gp__lbfgs_mem){B->nv, B->S + at * (size_t)B->nv, B->Y + at * (size_t)B->nv,
                           B->rho + at, B->mem + p, B->head + p};
}

/* dir = -H gu over problem p's memory. */
static void lb_direction(lb *B, int32_t p) {
    gp__lbfgs_mem M = memory_of(B, p);
    double sl = gp__lbfgs_direction(&M, B->gu + p * B->nv, B->dir + p * B->nv);
    B->slope[p] = sl;
    /* First step of a fresh memory: unit length in u, as liblbfgs does. */
    B->step[p] = B->mem[p] == 0 ? GP_MIN(1.0, 1 / sqrt(-sl)) : 1.0;
}

/* Take the accepted trial point of p and remember (s, y). */
static void lb_accept(lb *B, int32_t p) {
    int64_t nv = B->nv;
    double *u = B->u + p * nv, *ut = B->ut + p * nv, *gu = B->gu + p * nv, *gut = B->gut + p * nv;
    gp__lbfgs_mem M = memory_of(B, p);
    gp__lbfgs_remember(&M, u, ut, gu, gut);
    memcpy(u, ut, (size_t)nv * sizeof *u);
    memcpy(gu, gut, (size_t)nv * sizeof *gu);
    memcpy(B->w + p * nv, B->wt + p * nv, (size_t)nv * sizeof *u);
    memcpy(B->gw + p * nv, B->gwt + p * nv, (size_t)nv * sizeof *u);
    B->f[p] = B->ft[p];
    B->gmax[p] = B->gmaxt[p];
    B->curv[p] = B->curvt[p];
    B->iter[p]++;
}

/* Restart p's L-BFGS in the variables of a preconditioner at scale c. */
static void lb_restart(lb *B, int32_t p, double c) {
    int64_t nv = B->nv;
    lb_pre_set(B, p, c);
    memcpy(B->u + p * nv, B->w + p * nv, (size_t)nv * sizeof *B->u);
    memcpy(B->gu + p * nv, B->gw + p * nv, (size_t)nv * sizeof *B->u);
    lb_pre_apply(B, 1, &p, B->u, true);
    lb_pre_apply(B, 1, &p, B->gu, false);
    B->mem[p] = 0;
    B->head[p] = 0;
}

static gp_status lb_solve(lb *B) {
    const gp_probe_opts *o = B->F->o;
    /* 100 iterations, as LogisticRegressionCV's fold fits: at large C
     * (near-separable folds) they stop short of 1e-5 either way, and 200
     * would double the passes for no change in the choice. */
    int32_t P = B->P, max_iter = o->max_iter > 0 ? o->max_iter : LB_MAX_ITER, na = 0, ndone = 0;
    int64_t nv = B->nv;
    double tol = cv_tol(o);
    for (int32_t p = 0; p < P; p++) B->act[p] = p;
    lb_eval(B, P, B->act, B->w, B->f, B->gw, B->curv, B->gmax);
    for (int32_t p = 0; p < P; p++) {
        B->tolabs[p] = tol * (B->gmax[p] > 0 ? B->gmax[p] : B->C[p]);
        lb_restart(B, p, lb_scale(B, p, B->curv[p]));
        B->alive[p] = B->gmax[p] > B->tolabs[p] && max_iter > 0;
        B->fresh[p] = 1;
        if (B->alive[p]) B->act[na++] = p;
        else ndone++;
    }
    while (na > 0) {
        if (o->cancel && *o->cancel) return gp__error(GP_ECANCELLED, "logistic: cancelled");
        for (int32_t a = 0; a < na; a++) {
            int32_t p = B->act[a];
            if (B->fresh[p]) lb_direction(B, p);
            B->fresh[p] = 0;
            const double *u = B->u + p * nv, *dr = B->dir + p * nv;
            double *ut = B->ut + p * nv;
            for (int64_t e = 0; e < nv; e++) ut[e] = u[e] + B->step[p] * dr[e];
        }
        memcpy(B->wt, B->ut, (size_t)P * (size_t)nv * sizeof *B->wt);
        lb_pre_apply(B, na, B->act, B->wt, false);
        lb_eval(B, na, B->act, B->wt, B->ft, B->gwt, B->curvt, B->gmaxt);
        memcpy(B->gut, B->gwt, (size_t)P * (size_t)nv * sizeof *B->gut);
        lb_pre_apply(B, na, B->act, B->gut, false);
        int32_t keep = 0;
        for (int32_t a = 0; a < na; a++) {
            int32_t p = B->act[a];
            double f = B->f[p], ft = B->ft[p], t = B->step[p];
            /* Near the optimum f's float32 rounding hides its decrease;
             * a step that also shrinks the gradient is progress then. */
            bool ok = ft <= f + 1e-4 * t * B->slope[p] ||
                      (ft - f <= 1e-7 * fabs(f) && B->gmaxt[p] < B->gmax[p]);
            if (ok) {
                lb_accept(B, p);
                B->fresh[p] = 1;
                B->nls[p] = 0;
                if (B->gmax[p] <= B->tolabs[p] || B->iter[p] >= max_iter) {
                    B->alive[p] = 0;
                } else if (B->iter[p] % 10 == 0) {
                    /* The curvature moves away from its start (0.25 at w = 0)
                     * as the fit sharpens, most at large C: rescale. */
                    double c = lb_scale(B, p, B->curv[p]);
                    if (c > 3 * B->cpre[p] || 3 * c < B->cpre[p]) lb_restart(B, p, c);
                }
            } else if (++B->nls[p] >= LB_MAX_LS) {
                B->alive[p] = 0;  /* no decrease left at float32's resolution */
            } else {
                /* minimum of the quadratic through f, slope and ft, kept
                 * within [0.1, 0.5] of the step */
                double sl = B->slope[p] * t, den = 2 * (ft - f - sl);
                double r = den > 0 ? -sl / den : 0.5;
                B->step[p] = t * GP_MIN(GP_MAX(r, 0.1), 0.5);
            }
            if (B->alive[p]) B->act[keep++] = p;
            else ndone++;
        }
        na = keep;
        if (o->progress) o->progress(o->progress_user, ndone, (int64_t)P + 1, "logistic cv");
    }
    return GP_OK;
}

/* The problems of Cs[j0 .. j0 + B->nC) for every fold: solve, then their
 * solutions and held-out accuracies into sol and acc (all nC Cs). */
static gp_status lb_chunk(lb *B, const double *Cs, int32_t j0, int32_t nC, double sw_all,
                          double *acc, double *sol) {
    const lg_fit *F = B->F;
    gp_status st = lb_alloc(B);
    if (st != GP_OK) return st;
    for (int32_t p = 0; p < B->P; p++) {
        int32_t f = p / B->nC;
        B->pf[p] = f;
        B->C[p] = Cs[j0 + p % B->nC];
        B->swsum[p] = sw_all;
        for (int64_t t = B->fst[f]; t < B->fst[f + 1]; t++)
            B->swsum[p] -= F->sw ? F->sw[B->ord[t]] : 1.0;
    }
    st = lb_solve(B);
    for (int32_t p = 0; p < B->P && st == GP_OK; p++) {
        int32_t f = B->pf[p];
        size_t at = (size_t)f * (size_t)nC + (size_t)(j0 + p % B->nC);
        double z = 0, *w = B->w + (size_t)p * (size_t)B->nv;
        memcpy(sol + at * (size_t)B->nv, w, (size_t)B->nv * sizeof *sol);
        acc[at] = accuracy(F, w, B->ord + B->fst[f], B->fst[f + 1] - B->fst[f], &z);
    }
    lb_free(B);
    return st;
}

static gp_status lg_batched(lg_fit *F, const int32_t *fold, const double *Cs, double *acc,
                            double *sol) {
    const gp_probe_opts *o = F->o;
    gp_status st = gp__lg_pre_init(F);
    if (st != GP_OK) return st;
    lb B;
    memset(&B, 0, sizeof B);
    B.F = F;
    B.fold = fold;
    B.n = F->X->rows;
    B.d = F->X->cols;
    B.intercept = o->fit_intercept != 0;
    B.nv = B.d + (B.intercept ? 1 : 0);
    B.kp = F->pre.kp;
    B.nf = o->cv_folds;
    /* 8 MB of float32 rows: large enough for both GEMMs to run near their
     * peak with 40 columns, small enough to stay in cache between them. */
    B.nb = GP_MIN(GP_MAX((int64_t)2097152 / GP_MAX(B.d, 1), 64), GP_MAX(B.n, 1));
    /* A problem's state is ~(9 + 2 LB_M) nv doubles: a large grid on many
     * features goes in chunks of Cs, each within LB_CHUNK_BYTES. */
    double per = (double)((9 + 2 * LB_M) * B.nv + 3 * B.kp + B.d + 32) * 8.0 * B.nf;
    int32_t nCc = (int32_t)GP_MAX(1.0, GP_MIN((double)o->n_Cs, LB_CHUNK_BYTES / per));
    B.ord = gp__alloc_n((size_t)B.n + (size_t)B.nf + 1, sizeof *B.ord);
    if (!B.ord) return gp__error(GP_ENOMEM, "logistic: out of memory (cross-validation)");
    B.fst = B.ord + B.n;
    memset(B.fst, 0, ((size_t)B.nf + 1) * sizeof *B.fst);
    for (int64_t i = 0; i < B.n; i++) B.fst[fold[i] + 1]++;
    for (int32_t f = 0; f < B.nf; f++) B.fst[f + 1] += B.fst[f];
    for (int32_t f = 0, t = 0; f < B.nf; f++)
        for (int64_t i = 0; i < B.n; i++)
            if (fold[i] == f) B.ord[t++] = i;
    B.muf = gp__alloc_n((size_t)B.d, sizeof *B.muf);
    if (!B.muf) {
        st = gp__error(GP_ENOMEM, "logistic: out of memory (cross-validation)");
        goto done;
    }
    for (int64_t j = 0; j < B.d; j++) B.muf[j] = (float)F->mu[j];
    /* The passes read X a few hundred times: a centered float32 copy in
     * fold order, when it is not too large, saves centering (a serial
     * pass over X) each time, and the GEMMs read it in place. */
    if ((uint64_t)B.n * (uint64_t)B.d <= LB_COPY_MAX) {
        B.xc = gp__alloc_n((size_t)B.n * (size_t)B.d, sizeof *B.xc);
        if (!B.xc) {
            st = gp__error(GP_ENOMEM, "logistic: out of memory (centered copy of X)");
            goto done;
        }
        for (int64_t t0 = 0; t0 < B.n; t0 += B.nb)
            center_rows(F->X, B.ord + t0, GP_MIN(B.nb, B.n - t0), B.d, F->mu, B.muf,
                        B.xc + t0 * B.d);
    }
    double sw_all = 0;
    for (int64_t i = 0; i < B.n; i++) sw_all += F->sw ? F->sw[i] : 1.0;
    for (int32_t j0 = 0; j0 < o->n_Cs && st == GP_OK; j0 += nCc) {
        B.nC = GP_MIN(nCc, o->n_Cs - j0);
        B.P = B.nf * B.nC;
        st = lb_chunk(&B, Cs, j0, o->n_Cs, sw_all, acc, sol);
    }
done:
    gp__free(B.ord);
    gp__free(B.muf);
    gp__free(B.xc);
    return st;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                       */
/* ------------------------------------------------------------------ */

/* Folds, grid, and every (fold, C)'s held-out accuracy and solution. */
static gp_status cv_run(lg_fit *F, bool batched, int32_t *fold, double *Cs, double *acc,
                        double *sol) {
    const gp_probe_opts *o = F->o;
    int32_t nf = o->cv_folds, nC = o->n_Cs;
    for (int32_t j = 0; j < nC; j++)
        Cs[j] = nC == 1 ? 1e-4 : pow(10.0, -4.0 + 8.0 * j / (nC - 1));
    gp_status st = gp_split_kfold(F->y, F->X->rows, F->k, nf, o->seed, fold);
    if (st != GP_OK) {
        gp__error_prefix("logistic: choosing C by cross-validation");
        return st;
    }
    return batched ? lg_batched(F, fold, Cs, acc, sol) : lg_path(F, fold, Cs, acc, sol);
}

static int32_t cv_best(const double *acc, int32_t nf, int32_t nC) {
    int32_t best = 0;
    double best_acc = -1;
    for (int32_t j = 0; j < nC; j++) {
        double m = 0;
        for (int32_t f = 0; f < nf; f++) m += acc[(size_t)f * nC + j];
        m /= nf;
        if (m > best_acc) best_acc = m, best = j;
    }
    return best;
}

typedef struct cv_buf {
    int32_t *fold;
    double  *acc, *Cs, *sol;
} cv_buf;

static gp_status cv_alloc(const lg_fit *F, cv_buf *b) {
    const gp_probe_opts *o = F->o;
    int64_t nv = (int64_t)F->nout * F->X->cols + (o->fit_intercept ? F->nout : 0);
    int32_t nf = o->cv_folds, nC = o->n_Cs;
    memset(b, 0, sizeof *b);
    if (nf < 2 || nC < 1)
        return gp__error(GP_EINVAL, "logistic: choosing C needs cv_folds >= 2 and n_Cs >= 1 "
                         "(got %d, %d)", (int)nf, (int)nC);
    b->fold = gp__alloc_n((size_t)F->X->rows, sizeof *b->fold);
    b->acc = gp__alloc_n((size_t)nf * (size_t)nC + (size_t)nC, sizeof *b->acc);
    b->sol = gp__alloc_n((size_t)nf * (size_t)nC, (size_t)nv * sizeof *b->sol);
    if (!b->fold || !b->acc || !b->sol) {
        gp__free(b->fold);
        gp__free(b->acc);
        gp__free(b->sol);
        return gp__error(GP_ENOMEM, "logistic: out of memory (cross-validation)");
    }
    b->Cs = b->acc + (size_t)nf * (size_t)nC;
    return GP_OK;
}

static void cv_free(cv_buf *b) {
    gp__free(b->fold);
    gp__free(b->acc);
    gp__free(b->sol);
}

gp_status gp__lg_fit_cv(lg_fit *F, double *theta, double *C_out, int32_t *iters,
                        bool *converged) {
    const gp_probe_opts *o = F->o;
    int64_t nv = (int64_t)F->nout * F->X->cols + (o->fit_intercept ? F->nout : 0);
    int32_t nf = o->cv_folds, nC = o->n_Cs;
    cv_buf b;
    gp_status st = cv_alloc(F, &b);
    if (st != GP_OK) return st;
    st = cv_run(F, F->nout == 1, b.fold, b.Cs, b.acc, b.sol);
    if (st != GP_OK) goto done;
    int32_t best = cv_best(b.acc, nf, nC);
    memset(theta, 0, (size_t)nv * sizeof *theta);
    for (int32_t f = 0; f < nf; f++)
        for (int64_t e = 0; e < nv; e++)
            theta[e] += b.sol[((size_t)f * nC + best) * (size_t)nv + e] / nf;
    *C_out = b.Cs[best];
    st = gp__lg_fit_C(F, NULL, F->X->rows, b.Cs[best], theta, iters, converged);
    if (st == GP_OK && o->progress) {
        int64_t total = (int64_t)nf * nC + 1;
        o->progress(o->progress_user, total, total, "logistic cv");
    }
done:
    cv_free(&b);
    return st;
}

gp_status gp__logistic_cv_scores(const gp_matrix *X, const int32_t *y, int32_t k,
                                 const gp_probe_opts *o, bool batched, double *acc,
                                 int32_t *best) {
    lg_fit F;
    gp_status st = gp__lg_setup(&F, X, y, k, o);
    if (st != GP_OK) return st;
    if (batched && F.nout != 1) {
        gp__lg_teardown(&F);
        return gp__error(GP_EINVAL, "logistic: the batched cross-validation is binary only");
    }
    cv_buf b;
    st = cv_alloc(&F, &b);
    if (st == GP_OK) {
        st = cv_run(&F, batched, b.fold, b.Cs, b.acc, b.sol);
        if (st == GP_OK) {
            memcpy(acc, b.acc, (size_t)o->cv_folds * (size_t)o->n_Cs * sizeof *acc);
            *best = cv_best(b.acc, o->cv_folds, o->n_Cs);
        }
        cv_free(&b);
    }
    gp__lg_teardown(&F);
    return st;
}
