/* crc.c — the closed-form contrast-pair directions.
 *
 * CRC-TPC (Burns et al. 2022): the top principal component of the
 * normalized differences n+(x+) - n-(x-). Truth flips between the two
 * completions, so it moves the difference most.
 *
 * VINC, the eigen reporter of EleutherAI's elk in its single-prompt form
 * (variance weight 0, negative-covariance weight 0.5): the top eigenvector
 * of A = -1/2 (C + C^T), C = Cov(n+(x+), n-(x-)) = (1/n) sum_i n+ n-^T on
 * the centered sets: the direction along which the two completions of a
 * statement are most anti-correlated. The scale of A does not move its
 * eigenvectors, so the weight only documents the correspondence.
 *
 * Both leave the sign to calibration; until then the largest-|w| entry is
 * made positive, as PCA's components are, so results are reproducible.
 *
 * Distributed: CRC's PCA reduces over the processes itself (gp_pca_fit
 * with the communicator); VINC reduces its d x d cross-products. */
#include "ccs_internal.h"
#include "linalg.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static void fix_sign(double *w, int64_t d) {
    int64_t big = 0;
    for (int64_t j = 1; j < d; j++)
        if (fabs(w[j]) > fabs(w[big])) big = j;
    if (w[big] < 0)
        for (int64_t j = 0; j < d; j++) w[j] = -w[j];
}

gp_status gp__crc_fit(struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                      const gp_comm *comm) {
    int64_t n = pos->rows, d = c->d;
    /* at least one row: a process of a distributed fit may hold none */
    float *D = gp__alloc_n((size_t)GP_MAX(n, 1) * (size_t)d, sizeof *D);
    float *tmp = gp__alloc_n((size_t)d, sizeof *tmp);
    gp_status s = GP_OK;
    if (!D || !tmp)
        s = gp__error(GP_ENOMEM, "crc: out of memory (%lld x %lld differences)", (long long)n,
                      (long long)d);
    /* gp_pca_fit cannot be told of this failure: agree on it first */
    s = gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, s, "crc");
    if (s != GP_OK) {
        gp__free(D);
        gp__free(tmp);
        return s;
    }
    for (int64_t i = 0; i < n; i++) {
        gp__ccs_normalize_rows(c, pos, 0, i, 1, D + i * d, d);
        gp__ccs_normalize_rows(c, neg, 1, i, 1, tmp, d);
        for (int64_t j = 0; j < d; j++) D[i * d + j] -= tmp[j];
    }
    gp__free(tmp);
    gp_matrix M = {GP_DTYPE_F32, n, d, d, D};
    gp_pca_opts po;
    gp_pca_opts_init(&po);
    po.n_components = 1;
    po.comm = comm;
    gp_pca *pca = NULL;
    s = gp_pca_fit(&M, &po, &pca);
    gp__free(D);
    if (s != GP_OK) {
        gp__error_prefix("crc");
        return s;
    }
    const double *v = gp_pca_components(pca);
    double var = gp_pca_explained_variance(pca)[0];
    memcpy(c->w, v, (size_t)d * sizeof *c->w);
    gp_pca_free(pca);
    if (!(var > 0))
        return gp__error(GP_EINVAL, "crc: the differences x+ - x- are all equal after "
                         "normalization: no direction to find");
    c->b = 0;
    fix_sign(c->w, d);
    return GP_OK;
}

gp_status gp__vinc_fit(struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                       const gp_ccs_opts *o, int64_t n_total) {
    int64_t n = pos->rows, d = c->d;
    int64_t nb = GP_MAX(GP_MIN(GP_MAX(((int64_t)1 << 17) / d, 8), n), 1);
    size_t dd = (size_t)d * (size_t)d;
    double *A = gp__alloc_n(dd, sizeof *A);
    float *Cf = gp__alloc_n(dd, sizeof *Cf);
    float *xp = gp__alloc_n((size_t)nb * (size_t)d, sizeof *xp);
    float *xn = gp__alloc_n((size_t)nb * (size_t)d, sizeof *xn);
    double w1 = 0;
    gp_status s = GP_OK;
    if (!A || !Cf || !xp || !xn) {
        s = gp__error(GP_ENOMEM, "vinc: out of memory (%lld x %lld cross-covariance)",
                      (long long)d, (long long)d);
        goto reduce;
    }
    memset(A, 0, dd * sizeof *A);
    for (int64_t r0 = 0; r0 < n; r0 += nb) {
        if (o->cancel && *o->cancel) {
            s = gp__error(GP_ECANCELLED, "vinc: cancelled");
            goto reduce;
        }
        int64_t m = GP_MIN(nb, n - r0);
        gp__ccs_normalize_rows(c, pos, 0, r0, m, xp, d);
        gp__ccs_normalize_rows(c, neg, 1, r0, m, xn, d);
        /* blocks summed in float64: float32 would lose the small
         * cross-covariances of a long sum */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d, (int)m, 1.0f, xp,
                    (int)d, xn, (int)d, 0.0f, Cf, (int)d);
        for (size_t e = 0; e < dd; e++) A[e] += (double)Cf[e];
        if (o->progress) o->progress(o->progress_user, r0 + m, n, "vinc");
    }
reduce:
    /* every process's cross-products summed (d^2 doubles) */
    if ((s = gp__comm_reduce(o->comm, A, (int64_t)dd, GP_REDUCE_SUM, s, "vinc")) != GP_OK)
        goto done;
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = i; j < d; j++) {
            double v = -0.5 * (A[i * d + j] + A[j * d + i]) / (double)n_total;
            A[i * d + j] = A[j * d + i] = v;
        }
    s = d >= 512 ? gp__eigh_top_mixed(A, d, 1, &w1, c->w) : gp__eigh_top(A, d, 1, &w1, c->w);
    if (s != GP_OK) {
        gp__error_prefix("vinc");
        goto done;
    }
    c->b = 0;
    fix_sign(c->w, d);
done:
    gp__free(A);
    gp__free(Cf);
    gp__free(xp);
    gp__free(xn);
    return s;
}
