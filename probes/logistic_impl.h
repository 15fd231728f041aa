/* logistic_impl.h — what logistic.c (one fit, the solvers) and
 * logistic_cv.c (choosing C by cross-validation) share (private). */
#ifndef GP_LOGISTIC_IMPL_H
#define GP_LOGISTIC_IMPL_H

#include "probe_internal.h"

/* Preconditioner for L-BFGS from the top principal components of X (all
 * rows): with Cov's top eigenpairs (lam_i, q_i) the model Hessian is
 *     P = I + c sum_i lam_i q_i q_i^T,   c = C curv sum(s),
 * and L-BFGS runs on u = P^{1/2} w. */
typedef struct lg_pre {
    int64_t kp, d;
    int32_t nout;
    double *Q, *lam;        /* (kp, d), (kp,); NULL when kp == 0 */
    double *a, *ainv, *t;   /* (kp,), (kp,), (nout kp,) */
    double  bs;             /* intercept: b' = bs u_b */
} lg_pre;

/* One logistic fit's fixed inputs. theta, everywhere, is the model
 * z = W (x - mu) + b' laid out as W (nout, d) then b' (nout) when there is
 * an intercept; mu is the mean of all rows (zero without intercept). */
typedef struct lg_fit {
    const gp_matrix     *X;
    const int32_t       *y;
    int32_t              k, nout, max_iter;
    const gp_probe_opts *o;
    double              *sw, *mu;   /* sw: balanced weights by row, or NULL */
    const gp_comm       *comm;      /* distributed (fixed C only): X, y are this
                                       process's rows; mu, sw, sums are global */
    int64_t              n_all;     /* rows of every process */
    bool                 newton, have_pre;
    lg_pre               pre;
} lg_fit;

/* logistic.c */
/* Fill F for X, y, k, o (mu, weights, solver, preconditioner when L-BFGS
 * fits); on failure F is torn down already. */
gp_status gp__lg_setup(lg_fit *F, const gp_matrix *X, const int32_t *y, int32_t k,
                       const gp_probe_opts *o);
void gp__lg_teardown(lg_fit *F);
/* F->pre from the top principal components (no-op if F->have_pre). */
gp_status gp__lg_pre_init(lg_fit *F);
/* Fit at C on rows (NULL: all n) from theta (in/out) to o->tol relative. */
gp_status gp__lg_fit_C(lg_fit *F, const int64_t *rows, int64_t nrows, double C, double *theta,
                       int32_t *iters, bool *converged);
/* Row i of X (float32 or float64). */

/* logistic_cv.c */
/* C <= 0: choose C by cross-validation, then refit on every row. */
gp_status gp__lg_fit_cv(lg_fit *F, double *theta, double *C_out, int32_t *iters,
                        bool *converged);

/* For tests: held-out accuracy acc (cv_folds, n_Cs) of every (fold, C) of
 * the cross-validation for (X, y, k, o), solved all at once (batched) or
 * one problem at a time along the path (the reference), and the index of
 * the C it would choose. Binary only when batched. */
gp_status gp__logistic_cv_scores(const gp_matrix *X, const int32_t *y, int32_t k,
                                 const gp_probe_opts *o, bool batched, double *acc,
                                 int32_t *best);

#endif
