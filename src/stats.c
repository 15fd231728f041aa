/* stats.c — summary statistics of a matrix (geoprobe info) and the
 * finiteness check every numerical routine runs on its input. */
#include "gp_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static gp_status check_matrix(const gp_matrix *X, const char *fn) {
    if (!X) return gp__error(GP_EINVAL, "%s: matrix is NULL", fn);
    if (!gp__dtype_is_valid(X->dtype))
        return gp__error(GP_EDTYPE, "%s: unknown dtype %d", fn, (int)X->dtype);
    if (X->rows < 0 || X->cols < 0)
        return gp__error(GP_ESHAPE, "%s: negative shape (%lld, %lld)", fn,
                         (long long)X->rows, (long long)X->cols);
    if (X->ld < X->cols)
        return gp__error(GP_ESHAPE, "%s: ld %lld < cols %lld", fn, (long long)X->ld,
                         (long long)X->cols);
    if (!X->data && X->rows > 0 && X->cols > 0)
        return gp__error(GP_EINVAL, "%s: data is NULL", fn);
    return GP_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

gp_status gp_matrix_stats_compute(const gp_matrix *X, gp_matrix_stats *st) {
    gp__clear_error();
    gp_status s = check_matrix(X, "gp_matrix_stats_compute");
    if (s != GP_OK) return s;
    if (!st) return gp__error(GP_EINVAL, "gp_matrix_stats_compute: out is NULL");
    memset(st, 0, sizeof *st);
    st->first_bad_row = st->first_bad_col = -1;
    st->min = INFINITY;
    st->max = -INFINITY;
    size_t d = (size_t)X->cols;
    double *row = gp__malloc((d ? d : 1) * sizeof *row);
    double *col_abs = gp__calloc(d ? d : 1, sizeof *col_abs);
    if (!row || !col_abs) {
        gp__free(row);
        gp__free(col_abs);
        return gp__error(GP_ENOMEM, "gp_matrix_stats_compute: out of memory (%zu features)", d);
    }
    double sum = 0, norm_sum = 0;
    int64_t n_finite = 0, n_norm_rows = 0;
    for (int64_t i = 0; i < X->rows; i++) {
        gp__convert_to_f64(X->dtype, gp__row(X, i), false, d, row);
        double sq = 0;
        bool row_ok = true;
        for (size_t j = 0; j < d; j++) {
            double v = row[j];
            if (!isfinite(v)) {
                if (isnan(v)) st->n_nan++;
                else st->n_inf++;
                if (st->first_bad_row < 0) {
                    st->first_bad_row = i;
                    st->first_bad_col = (int64_t)j;
                }
                row_ok = false;
                continue;
            }
            if (v < st->min) st->min = v;
            if (v > st->max) st->max = v;
            sum += v;
            sq += v * v;
            col_abs[j] += fabs(v);
            n_finite++;
        }
        if (row_ok) {
            double nrm = sqrt(sq);
            norm_sum += nrm;
            if (nrm > st->max_row_norm) st->max_row_norm = nrm;
            n_norm_rows++;
        }
    }
    if (n_finite == 0) st->min = st->max = 0;
    st->mean = n_finite ? sum / (double)n_finite : 0;
    st->mean_row_norm = n_norm_rows ? norm_sum / (double)n_norm_rows : 0;
    double rows = X->rows > 0 ? (double)X->rows : 1;
    for (size_t j = 0; j < d; j++) col_abs[j] /= rows;

    /* Top dims by mean |x|: a selection pass per slot (at most 8). Ties go
     * to the lower index, so the order is deterministic. */
    st->n_top = (int32_t)GP_MIN(d, (size_t)GP_STATS_TOP_DIMS);
    for (int k = 0; k < st->n_top; k++) {
        int64_t best = -1;
        for (size_t j = 0; j < d; j++) {
            bool taken = false;
            for (int q = 0; q < k; q++) taken |= st->top_dims[q] == (int64_t)j;
            if (!taken && (best < 0 || col_abs[j] > col_abs[best])) best = (int64_t)j;
        }
        st->top_dims[k] = best;
        st->top_dims_mean_abs[k] = col_abs[best];
    }
    if (d) {
        memcpy(row, col_abs, d * sizeof *row);
        qsort(row, d, sizeof *row, cmp_double);
        st->median_dim_mean_abs = d % 2 ? row[d / 2] : 0.5 * (row[d / 2 - 1] + row[d / 2]);
    }
    gp__free(row);
    gp__free(col_abs);
    return GP_OK;
}

gp_status gp_matrix_check_finite(const gp_matrix *X, const char *what, int64_t *bad_row,
                                 int64_t *bad_col) {
    gp__clear_error();
    if (bad_row) *bad_row = -1;
    if (bad_col) *bad_col = -1;
    gp_status s = check_matrix(X, what ? what : "gp_matrix_check_finite");
    if (s != GP_OK) return s;
    if (!gp__dtype_is_float(X->dtype)) return GP_OK;
    size_t d = (size_t)X->cols;
    for (int64_t i = 0; i < X->rows; i++) {
        const void *r = gp__row(X, i);
        for (size_t j = 0; j < d; j++) {
            double v;
            if (X->dtype == GP_DTYPE_F32) v = ((const float *)r)[j];
            else if (X->dtype == GP_DTYPE_F64) v = ((const double *)r)[j];
            else gp__convert_to_f64(X->dtype, (const unsigned char *)r + j * 2, false, 1, &v);
            if (isfinite(v)) continue;
            if (bad_row) *bad_row = i;
            if (bad_col) *bad_col = (int64_t)j;
            return gp__error(GP_ENAN, "%s: non-finite value %s at row %lld, column %lld "
                             "(fp16 overflow? drop or fix those rows)",
                             what ? what : "matrix", isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"),
                             (long long)i, (long long)j);
        }
        /* streaming: give back the pages checked (gp_set_stream_mode) */
        gp__release_after_row(X, i);
    }
    return GP_OK;
}

gp_status gp_matrix_mark_nonfinite(const gp_matrix *X, uint8_t *mask, int64_t *n_bad,
                                   int64_t *bad_row, int64_t *bad_col) {
    gp__clear_error();
    if (n_bad) *n_bad = 0;
    if (bad_row) *bad_row = -1;
    if (bad_col) *bad_col = -1;
    gp_status s = check_matrix(X, "gp_matrix_mark_nonfinite");
    if (s != GP_OK) return s;
    if (!mask && X->rows > 0) return gp__error(GP_EINVAL, "gp_matrix_mark_nonfinite: mask is NULL");
    if (!gp__dtype_is_float(X->dtype)) return GP_OK;
    size_t d = (size_t)X->cols;
    int64_t count = 0;
    for (int64_t i = 0; i < X->rows; i++) {
        const void *r = gp__row(X, i);
        size_t j = 0;
        /* the first bad column of the row: the rest need not be read */
        if (X->dtype == GP_DTYPE_F32) {
            while (j < d && isfinite(((const float *)r)[j])) j++;
        } else if (X->dtype == GP_DTYPE_F64) {
            while (j < d && isfinite(((const double *)r)[j])) j++;
        } else {
            for (; j < d; j++) {
                double v;
                gp__convert_to_f64(X->dtype, (const unsigned char *)r + j * 2, false, 1, &v);
                if (!isfinite(v)) break;
            }
        }
        if (j == d) continue;
        mask[i] |= 1;
        if (count++ == 0) {
            if (bad_row) *bad_row = i;
            if (bad_col) *bad_col = (int64_t)j;
        }
    }
    if (n_bad) *n_bad = count;
    return GP_OK;
}
