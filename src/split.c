/* split.c — seeded, stratified train/test splits and k-fold assignments,
 * and the control-task labels of Hewitt & Liang (2019). Each class draws
 * from its own RNG stream, so a class's split does not depend on the
 * others' sizes or order. */
#include "gp_internal.h"
#include "rng.h"

#include <math.h>
#include <string.h>

/* Rows of each class, each class's rows shuffled by its own stream. The
 * caller frees *rows; class c's rows are rows[start[c] .. start[c+1]). */
static gp_status rows_by_class(const int32_t *y, int64_t n, int32_t k, uint64_t seed,
                               const char *fn, int64_t **rows, int64_t **start) {
    *rows = gp__malloc((size_t)(n ? n : 1) * sizeof **rows);
    *start = gp__calloc((size_t)k + 1, sizeof **start);
    if (!*rows || !*start) {
        gp__free(*rows);
        gp__free(*start);
        return gp__error(GP_ENOMEM, "%s: out of memory", fn);
    }
    for (int64_t i = 0; i < n; i++) (*start)[y[i] + 1]++;
    for (int32_t c = 0; c < k; c++) (*start)[c + 1] += (*start)[c];
    int64_t *fill = gp__malloc((size_t)k * sizeof *fill);
    if (!fill) {
        gp__free(*rows);
        gp__free(*start);
        return gp__error(GP_ENOMEM, "%s: out of memory", fn);
    }
    memcpy(fill, *start, (size_t)k * sizeof *fill);
    for (int64_t i = 0; i < n; i++) (*rows)[fill[y[i]]++] = i;
    gp__free(fill);
    for (int32_t c = 0; c < k; c++) {
        gp__rng r;
        gp__rng_stream(&r, seed, (uint64_t)c);
        gp__rng_shuffle_i64(&r, *rows + (*start)[c], (*start)[c + 1] - (*start)[c]);
    }
    return GP_OK;
}

static gp_status check_labels(const int32_t *y, int64_t n, int32_t k, const char *fn) {
    if (!y && n > 0) return gp__error(GP_EINVAL, "%s: labels are NULL", fn);
    if (n < 0) return gp__error(GP_EINVAL, "%s: negative row count", fn);
    if (k < 1) return gp__error(GP_EINVAL, "%s: n_classes must be >= 1", fn);
    for (int64_t i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= k)
            return gp__error(GP_EINVAL, "%s: label of row %lld is %d, not in 0..%d", fn,
                             (long long)i, (int)y[i], (int)k - 1);
    return GP_OK;
}

gp_status gp_split_train_test(const int32_t *y, int64_t n, int32_t k, double test_frac,
                              uint64_t seed, uint8_t *is_test) {
    gp__clear_error();
    const char *fn = "split";
    gp_status s = check_labels(y, n, k, fn);
    if (s != GP_OK) return s;
    if (!is_test) return gp__error(GP_EINVAL, "%s: is_test is NULL", fn);
    if (!(test_frac >= 0 && test_frac < 1))
        return gp__error(GP_EINVAL, "%s: test fraction %g is not in [0, 1)", fn, test_frac);
    memset(is_test, 0, (size_t)n);
    if (test_frac == 0) return GP_OK;
    int64_t *rows, *start;
    s = rows_by_class(y, n, k, seed, fn, &rows, &start);
    if (s != GP_OK) return s;
    for (int32_t c = 0; c < k && s == GP_OK; c++) {
        int64_t nc = start[c + 1] - start[c];
        if (nc == 0) continue;   /* absent classes are the caller's concern */
        if (nc < 2) {
            s = gp__error(GP_EINVAL, "%s: class %d has %lld row: a test split needs at least 2 "
                          "of each class (one to train on, one to test)", fn, (int)c, (long long)nc);
            break;
        }
        /* Round to nearest, then keep one row on each side. */
        int64_t nt = (int64_t)llround(test_frac * (double)nc);
        nt = GP_MAX(1, GP_MIN(nc - 1, nt));
        for (int64_t j = 0; j < nt; j++) is_test[rows[start[c] + j]] = 1;
    }
    gp__free(rows);
    gp__free(start);
    return s;
}

gp_status gp_split_kfold(const int32_t *y, int64_t n, int32_t k, int32_t n_folds, uint64_t seed,
                         int32_t *fold) {
    gp__clear_error();
    const char *fn = "kfold";
    gp_status s = check_labels(y, n, k, fn);
    if (s != GP_OK) return s;
    if (!fold) return gp__error(GP_EINVAL, "%s: fold is NULL", fn);
    if (n_folds < 2) return gp__error(GP_EINVAL, "%s: need 2 or more folds, not %d", fn, (int)n_folds);
    int64_t *rows, *start;
    s = rows_by_class(y, n, k, seed, fn, &rows, &start);
    if (s != GP_OK) return s;
    /* Deal each class's shuffled rows round-robin, starting where the
     * previous class stopped, so fold sizes differ by at most one. */
    int64_t next = 0;
    for (int32_t c = 0; c < k && s == GP_OK; c++) {
        int64_t nc = start[c + 1] - start[c];
        if (nc > 0 && nc < n_folds) {
            s = gp__error(GP_EINVAL, "%s: class %d has %lld rows, fewer than the %d folds", fn,
                          (int)c, (long long)nc, (int)n_folds);
            break;
        }
        for (int64_t j = 0; j < nc; j++) fold[rows[start[c] + j]] = (int32_t)((next + j) % n_folds);
        next = (next + nc) % n_folds;
    }
    gp__free(rows);
    gp__free(start);
    return s;
}

gp_status gp_control_labels(const int32_t *y, const int32_t *type_ids, int64_t n, int32_t k,
                            uint64_t seed, int32_t *out) {
    gp__clear_error();
    const char *fn = "control";
    gp_status s = check_labels(y, n, k, fn);
    if (s != GP_OK) return s;
    if (!out) return gp__error(GP_EINVAL, "%s: out is NULL", fn);
    if (n == 0) return GP_OK;
    /* Integer cumulative counts and an integer draw in [0, n): summing 1/n
     * in floating point could leave the total just under 1, and a draw above
     * it would pick the last class even when that class never occurs. */
    int64_t *cum = gp__calloc((size_t)k, sizeof *cum);
    if (!cum) return gp__error(GP_ENOMEM, "%s: out of memory", fn);
    for (int64_t i = 0; i < n; i++) cum[y[i]]++;
    for (int32_t c = 1; c < k; c++) cum[c] += cum[c - 1];
    /* One draw per type from the type's own stream: every row of a type gets
     * the same label, whatever the row order. */
    for (int64_t i = 0; i < n; i++) {
        int64_t type = type_ids ? type_ids[i] : i;
        if (type < 0) {
            gp__free(cum);
            return gp__error(GP_EINVAL, "%s: type id of row %lld is negative", fn, (long long)i);
        }
        gp__rng r;
        gp__rng_stream(&r, seed ^ 0x636f6e74726f6cULL, (uint64_t)type);
        int64_t u = (int64_t)gp__rng_below(&r, (uint64_t)n);
        int32_t c = 0;
        while (u >= cum[c]) c++;   /* ends by cum[k - 1] = n > u */
        out[i] = c;
    }
    gp__free(cum);
    return GP_OK;
}
