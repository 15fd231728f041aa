/* pca_internal.h — what pca.c (the fit, the cov and svd solvers) shares
 * with pca_randomized.c (private). */
#ifndef GP_PCA_INTERNAL_H
#define GP_PCA_INTERNAL_H

#include "gp_internal.h"

/* One fit's inputs and the first pass's results, for every solver. */
typedef struct gp__pca_ctx {
    const gp_matrix   *X;
    const gp_pca_opts *o;
    const gp_comm     *comm;      /* NULL: one process */
    int64_t            n, d, k;   /* n: rows over every process */
    int64_t            rows;      /* rows of X (this process's share) */
    int32_t            first_rank;/* the first process holding rows */
    int64_t            block;     /* rows per block */
    double            *mean;      /* (d,) */
    size_t             tail;      /* doubles a solver allocates after its
                                     k x d components: the model's other
                                     arrays, so the buffer becomes the
                                     model's without a copy */
    double             total_var; /* sum of per-feature variances */
} gp__pca_ctx;

static inline gp_status cancelled(const gp_pca_opts *o) {
    if (o->cancel && *o->cancel) return gp__error(GP_ECANCELLED, "pca: cancelled");
    return GP_OK;
}

/* A failure before a collective: tell the other processes (they would
 * otherwise wait in it), return st. */
static inline gp_status agree(const gp__pca_ctx *c, gp_status st) {
    return gp__comm_reduce(c->comm, NULL, 0, GP_REDUCE_SUM, st, "pca");
}

static inline void progress(const gp_pca_opts *o, int64_t done, int64_t total, const char *stage) {
    if (o->progress) o->progress(o->progress_user, done, total, stage);
}

/* Rows r0..r0+nb of X minus the mean, into a (nb, d) float32 buffer: the
 * subtraction in float64, then rounded once. */
void gp__pca_center_f32(const gp__pca_ctx *c, int64_t r0, int64_t nb, float *buf);

/* The most bytes randomized PCA keeps of its power passes' products
 * (rows x basis floats) for the Rayleigh-Ritz pass; past it the last pass
 * computes them again. 0 (the default): an eighth of the memory
 * available. Process-wide; for tests of the recomputing path. */
void gp__pca_set_keep_limit(uint64_t bytes);

/* Randomized block Krylov PCA: eigval (k,) gets the top eigenvalues of
 * Xc^T Xc, *vec_out (k x d, then c->tail doubles) the vectors as rows. */
gp_status gp__pca_fit_randomized(gp__pca_ctx *c, double *eigval, double **vec_out);

#endif /* GP_PCA_INTERNAL_H */
