/* pca_classes.c — where labeled classes sit in PC space and which
 * components carry their separation (geoprobe pca --labels). */
#include "gp_internal.h"

#include <string.h>

gp_status gp_pca_class_centroids(const gp_pca *p, const gp_matrix *X, const int32_t *ids,
                                 int32_t n_classes, double *centroids, double *share) {
    gp__clear_error();
    if (!p || !X || !ids) return gp__error(GP_EINVAL, "pca classes: NULL argument");
    int64_t d = gp_pca_n_features(p), k = gp_pca_n_components(p), n = X->rows;
    if (X->cols != d)
        return gp__error(GP_ESHAPE, "pca classes: X has %lld columns, the PCA was fit on %lld",
                         (long long)X->cols, (long long)d);
    if (X->dtype != GP_DTYPE_F32 && X->dtype != GP_DTYPE_F64)
        return gp__error(GP_EDTYPE, "pca classes: X must be float32 or float64");
    if (X->ld < X->cols || (!X->data && n > 0))
        return gp__error(GP_ESHAPE, "pca classes: bad matrix (ld < cols or no data)");
    if (n_classes < 1) return gp__error(GP_EINVAL, "pca classes: n_classes must be >= 1");
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= n_classes)
            return gp__error(GP_EINVAL, "pca classes: label of row %lld is %d, not in 0..%d",
                             (long long)i, (int)ids[i], (int)n_classes - 1);

    /* Class means in feature space (float64), then project: k*d per class
     * instead of projecting all n rows. */
    double *means = gp__calloc((size_t)n_classes * (size_t)d, sizeof *means);
    int64_t *counts = gp__calloc((size_t)n_classes, sizeof *counts);
    double *proj = gp__calloc((size_t)n_classes * (size_t)k, sizeof *proj);
    double *row = gp__malloc((size_t)d * sizeof *row);
    if (!means || !counts || !proj || !row) {
        gp__free(means); gp__free(counts); gp__free(proj); gp__free(row);
        return gp__error(GP_ENOMEM, "pca classes: out of memory");
    }
    size_t esize = gp_dtype_size(X->dtype);
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *r = (const unsigned char *)X->data + (size_t)i * (size_t)X->ld * esize;
        gp__convert_to_f64(X->dtype, r, false, (size_t)d, row);
        double *m = means + (size_t)ids[i] * (size_t)d;
        for (int64_t j = 0; j < d; j++) m[j] += row[j];
        counts[ids[i]]++;
        gp__release_after_row(X, i);
    }
    gp_status s = GP_OK;
    for (int32_t c = 0; c < n_classes && s == GP_OK; c++)
        if (counts[c] == 0) s = gp__error(GP_EINVAL, "pca classes: class %d has no rows", (int)c);
    const double *mu = gp_pca_mean(p), *comp = gp_pca_components(p);
    double total = 0;
    if (share) memset(share, 0, (size_t)k * sizeof *share);
    for (int32_t c = 0; c < n_classes && s == GP_OK; c++) {
        double *m = means + (size_t)c * (size_t)d;
        double dist2 = 0;
        for (int64_t j = 0; j < d; j++) {
            m[j] = m[j] / (double)counts[c] - mu[j];
            dist2 += m[j] * m[j];
        }
        total += (double)counts[c] * dist2;
        for (int64_t a = 0; a < k; a++) {
            double v = 0;
            const double *ca = comp + (size_t)a * (size_t)d;
            for (int64_t j = 0; j < d; j++) v += ca[j] * m[j];
            proj[(size_t)c * (size_t)k + (size_t)a] = v;
            if (share) share[a] += (double)counts[c] * v * v;
        }
    }
    if (s == GP_OK) {
        if (centroids) memcpy(centroids, proj, (size_t)n_classes * (size_t)k * sizeof *proj);
        /* Identical class means: no separation to share out (0, not NaN). */
        if (share)
            for (int64_t a = 0; a < k; a++) share[a] = total > 0 ? share[a] / total : 0;
    }
    gp__free(means); gp__free(counts); gp__free(proj); gp__free(row);
    return s;
}
