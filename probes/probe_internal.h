/* probe_internal.h — what every probe family shares (private).
 *
 * probes/probe.c owns the gp_probe object: it validates inputs (shapes,
 * finiteness, labels), optionally standardizes X, calls one family's fit,
 * maps standardized weights back, and does everything after the fit
 * (scores, probabilities, save/load) the same way for every family: each
 * family only turns (X, y) into W (n_outputs, d) and b (n_outputs). */
#ifndef GP_PROBE_INTERNAL_H
#define GP_PROBE_INTERNAL_H

#include "gp_internal.h"

struct gp_probe {
    gp_probe_method method;
    int64_t         d;
    int32_t         n_classes;     /* 0 for ridge */
    int32_t         n_outputs;     /* 1 for binary and ridge, k otherwise */
    double         *weight;        /* (n_outputs, d), gp__malloc'd by the family */
    double         *bias;          /* (n_outputs,) */
    double          C;             /* logistic: the C used; else 0 */
    int32_t         n_iter;
    int32_t         converged;     /* 1 unless an iterative solver hit max_iter */
    void           *meta;          /* loaded probes: their __metadata__ (a cJSON
                                      object); NULL for fitted ones */
};

/* Family fits. On entry X (n, d) is float32 or float64 with finite values,
 * y holds ids in 0..k-1 with every class at least 2 rows (k >= 2), o is
 * valid. Each sets p->n_outputs, allocates p->weight and p->bias with
 * gp__malloc (the caller frees them, also on failure), and sets C, n_iter
 * and converged where they apply. Errors name the method ("logistic: ..."). */
gp_status gp__logistic_fit(const gp_matrix *X, const int32_t *y, int32_t k,
                           const gp_probe_opts *o, struct gp_probe *p);
/* iid = false: w = mu_1 - mu_0; true: w = (Sigma_w + shrinkage)^-1 (mu_1 - mu_0).
 * Binary only (k == 2). */
gp_status gp__massmean_fit(const gp_matrix *X, const int32_t *y, int32_t k, bool iid,
                           const gp_probe_opts *o, struct gp_probe *p);
gp_status gp__lda_fit(const gp_matrix *X, const int32_t *y, int32_t k,
                      const gp_probe_opts *o, struct gp_probe *p);
gp_status gp__ridge_fit(const gp_matrix *X, const double *target,
                        const gp_probe_opts *o, struct gp_probe *p);

/* Distributed fits (o->comm): every pass over rows reduces its sums, so
 * each process ends with the numbers of all rows and runs the same
 * arithmetic on them (processes run the same build). A failure that is this
 * process's alone (allocation, cancellation) is announced with gp__agree
 * where it happens, so the others stop at their next reduction instead of
 * waiting; the helpers below that reduce return only agreed failures. */
static inline gp_status gp__agree(const gp_comm *comm, gp_status local, const char *fn) {
    return gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, local, fn);
}

/* Shared by the covariance-based probes (massmean.c, lda.c, ridge.c), defined
 * in scatter.c. Output buffers are the caller's; fn prefixes error messages,
 * set through gp__error; after an error the outputs hold garbage. */

/* U (nrhs, m) = A V exactly in float64 (rows are right-hand sides); GP_OK or an error. */
typedef gp_status (*gp__apply_fn)(void *ctx, const double *V, int64_t nrhs, double *U);

/* Elements [c0, c0 + len) of row i of X (float32 or float64) into dst as float64; cannot fail. */
void gp__row_f64(const gp_matrix *X, size_t i, size_t c0, size_t len, double *dst);
/* Class means mu (k, d), counts cnt (k), *big = max |x| (y NULL: one class); GP_ENOMEM. */
gp_status gp__class_means(const gp_matrix *X, const int32_t *y, int32_t k, const gp_comm *comm,
                          const char *fn, double *mu, int64_t *cnt, double *big);
/* Scatter S (d, d) of class `only` (< 0: all), r4 optional; GP_ESHAPE/ENOMEM/ECANCELLED. */
gp_status gp__scatter(const gp_matrix *X, const int32_t *y, int32_t only, const double *mu,
                      const double *inv_sd, double big, const gp_probe_opts *o, const char *fn,
                      double *S, double *r4);
/* U (nrhs, d) = (weighted scatter + diag) V in float64, never formed; GP_ENOMEM. */
gp_status gp__scatter_apply(const gp_matrix *X, const int32_t *y, const double *mu,
                            const double *coef, const double *diag, const double *V,
                            int64_t nrhs, double *U, const gp_comm *comm, const char *fn);
/* sklearn's Ledoit-Wolf shrinkage in [0, 1] from emp (d, d) and r4; pure, 0 if degenerate. */
double gp__ledoit_wolf(const double *emp, const double *inv_sd, int64_t d, double n, double r4);
/* B := A^-1 B (A SPD, destroyed), refined by apply; not SPD: *singular, GP_OK; else error. */
gp_status gp__spd_solve(double *A, int64_t m, double *B, int64_t nrhs, gp__apply_fn apply,
                        void *ctx, const gp_comm *comm, const char *fn, bool *singular);

#endif
