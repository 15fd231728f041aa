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
    char           *metadata_json; /* loaded probes: their __metadata__; else NULL */
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

#endif
