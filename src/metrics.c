/* metrics.c — classification metrics (accuracy, balanced accuracy, AUROC,
 * log-loss, ECE, confusion), their percentile-bootstrap intervals, and
 * regression metrics. Everything in float64.
 *
 * Reference behaviour is scikit-learn 1.2 (tests/fixtures_metrics.py):
 *   accuracy           argmax of each row, ties to the lowest class id (numpy)
 *   balanced accuracy  mean recall over the classes present in y
 *   AUROC              binary: roc_auc_score(y, proba[:, 1]); k > 2: one-vs-rest
 *                      macro average over the classes present in y. Ties count
 *                      half (Mann-Whitney). Undefined (fewer than two classes
 *                      present) is reported as 0.5, never NaN; scikit-learn
 *                      raises instead, and for k > 2 it also raises when any
 *                      class is absent, where we average over those present.
 *   log-loss           scikit-learn 1.2 log_loss(eps=1e-15): clip each entry to
 *                      [eps, 1 - eps], renormalize the row, mean of -log p(true)
 *   ECE                top-class confidence in 10 bins (i/10, (i+1)/10], the
 *                      first bin closed at 0; sum of (n_b/n) |acc_b - conf_b|
 *   r2                 r2_score, except that a constant target gives 0
 *
 * AUROC is computed from one sort per score column: rows in ascending score
 * order, cut into groups of equal scores. With weights w (bootstrap counts;
 * 1 for the point estimate) the Mann-Whitney numerator is
 *     sum over groups g of  P_g * (negatives below g) + P_g * Q_g / 2
 * (P_g, Q_g the weighted positives and negatives in g), so each bootstrap
 * resample costs O(n) per column on the pre-sorted order, with no new sort. */
#include "gp_internal.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOGLOSS_EPS 1e-15
#define ECE_BINS    10

/* ------------------------------------------------------------------ */
/* Validation                                                         */
/* ------------------------------------------------------------------ */

static gp_status check_classification(const char *fn, const int32_t *y, const double *proba,
                                      int64_t n, int32_t k) {
    if (!y) return gp__error(GP_EINVAL, "%s: labels are NULL", fn);
    if (!proba) return gp__error(GP_EINVAL, "%s: probabilities are NULL", fn);
    if (n < 1) return gp__error(GP_EINVAL, "%s: need at least 1 row, got %lld", fn, (long long)n);
    if (k < 2) return gp__error(GP_EINVAL, "%s: need at least 2 classes, got %d", fn, (int)k);
    uint64_t nk;
    if (gp__mul_overflow((uint64_t)n, (uint64_t)k, &nk) || nk > SIZE_MAX / sizeof(double))
        return gp__error(GP_ENOMEM, "%s: %lld rows x %d classes is too large", fn,
                         (long long)n, (int)k);
    for (int64_t i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= k)
            return gp__error(GP_EINVAL, "%s: label of row %lld is %d, not in 0..%d", fn,
                             (long long)i, (int)y[i], (int)k - 1);
        const double *p = proba + i * k;
        for (int32_t c = 0; c < k; c++) {
            if (!isfinite(p[c]))
                return gp__error(GP_ENAN, "%s: probability of row %lld, class %d is %g", fn,
                                 (long long)i, (int)c, p[c]);
            /* A probe's probabilities are in [0, 1]; anything else is a
             * score passed by mistake, and would make log-loss meaningless. */
            if (p[c] < 0 || p[c] > 1)
                return gp__error(GP_EINVAL, "%s: probability of row %lld, class %d is %g, "
                                 "not in [0, 1]", fn, (long long)i, (int)c, p[c]);
        }
    }
    return GP_OK;
}

/* Predicted class: the first maximum, as numpy.argmax. */
static int32_t argmax_row(const double *p, int32_t k) {
    int32_t best = 0;
    for (int32_t c = 1; c < k; c++)
        if (p[c] > p[best]) best = c;
    return best;
}

/* ------------------------------------------------------------------ */
/* AUROC on a pre-sorted score column                                 */
/* ------------------------------------------------------------------ */

typedef struct keyed {
    double  s;
    int64_t row;
} keyed;

static int keyed_cmp(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->s < y->s) return -1;
    if (x->s > y->s) return 1;
    /* Order within a tie group does not change the AUROC; the row index
     * only makes the sort's output unique (qsort is not stable), so the
     * bootstrap, which draws sorted positions, is reproducible. */
    return (x->row > y->row) - (x->row < y->row);
}

#define F_POS  1u   /* the row at this sorted position is of the class */
#define F_LAST 2u   /* this sorted position ends a group of equal scores */

/* Sort column c of proba ascending into tmp (n,) and describe each sorted
 * position in flags (n,): F_POS when its row is of class c, F_LAST when it
 * ends a tie group. */
static void sort_column(const int32_t *y, const double *proba, int64_t n, int32_t k, int32_t c,
                        keyed *tmp, uint8_t *flags) {
    for (int64_t i = 0; i < n; i++) {
        tmp[i].s = proba[i * k + c];
        tmp[i].row = i;
    }
    qsort(tmp, (size_t)n, sizeof *tmp, keyed_cmp);
    for (int64_t j = 0; j < n; j++) {
        /* != keeps -0.0 and +0.0 together: they are the same score. */
        bool last = j + 1 == n || tmp[j + 1].s != tmp[j].s;
        flags[j] = (uint8_t)((y[tmp[j].row] == c ? F_POS : 0u) | (last ? F_LAST : 0u));
    }
}

/* ROC AUC of a sorted column. Sorted position j weighs w[idx[j]] (idx NULL:
 * w[j]; w NULL: 1). False when positives or negatives weigh nothing. */
static bool auc_sorted(const int32_t *idx, const uint8_t *flags, const int32_t *w, int64_t n,
                       double *auc) {
    int64_t below = 0, npos = 0, gp = 0, gq = 0;
    double num = 0;
    for (int64_t j = 0; j < n; j++) {
        int64_t wr = !w ? 1 : idx ? w[idx[j]] : w[j];
        int64_t pos = flags[j] & F_POS;
        gp += wr * pos;             /* no branch on the class: it is random */
        gq += wr * (1 - pos);
        if (flags[j] & F_LAST) {
            /* Integer counts: every term is exact in a double up to 2^53. */
            num += (double)gp * (double)below + 0.5 * (double)gp * (double)gq;
            below += gq;
            npos += gp;
            gp = gq = 0;
        }
    }
    if (npos == 0 || below == 0) return false;
    *auc = num / ((double)npos * (double)below);
    return true;
}

/* The score columns AUROC needs and the positive class of each: binary
 * uses column 1 only; k > 2 uses every column, one-vs-rest. */
static int32_t auc_columns(int32_t k) { return k == 2 ? 1 : k; }
static int32_t auc_column_class(int32_t k, int32_t j) { return k == 2 ? 1 : j; }

/* ------------------------------------------------------------------ */
/* Point estimates                                                    */
/* ------------------------------------------------------------------ */

gp_status gp_metrics_compute(const int32_t *y, const double *proba, int64_t n, int32_t k,
                             gp_metrics *out, int64_t *confusion) {
    gp__clear_error();
    const char *fn = "metrics";
    gp_status s = check_classification(fn, y, proba, n, k);
    if (s != GP_OK) return s;
    if (!out) return gp__error(GP_EINVAL, "%s: out is NULL", fn);

    int32_t ncol = auc_columns(k);
    /* One column sorted at a time, into the same scratch. */
    keyed *tmp = gp__calloc((size_t)n, sizeof *tmp);
    uint8_t *flags = gp__malloc((size_t)n);
    int64_t *cls = gp__calloc((size_t)k, sizeof *cls);
    int64_t *hit = gp__calloc((size_t)k, sizeof *hit);
    if (!tmp || !flags || !cls || !hit) {
        s = gp__error(GP_ENOMEM, "%s: out of memory for %lld rows", fn, (long long)n);
        goto done;
    }
    if (confusion) memset(confusion, 0, (size_t)k * (size_t)k * sizeof *confusion);

    double correct = 0, logloss = 0;
    double bin_acc[ECE_BINS] = {0}, bin_conf[ECE_BINS] = {0};
    for (int64_t i = 0; i < n; i++) {
        const double *p = proba + i * k;
        int32_t t = y[i], pred = argmax_row(p, k);
        cls[t]++;
        int ok = pred == t;
        hit[t] += ok;
        correct += ok;
        if (confusion) confusion[(size_t)t * (size_t)k + (size_t)pred]++;

        /* scikit-learn 1.2: clip every entry, then renormalize the row. */
        double rowsum = 0;
        for (int32_t c = 0; c < k; c++)
            rowsum += fmin(fmax(p[c], LOGLOSS_EPS), 1 - LOGLOSS_EPS);
        logloss -= log(fmin(fmax(p[t], LOGLOSS_EPS), 1 - LOGLOSS_EPS) / rowsum);

        /* Bin (b/10, (b+1)/10]: start from the rounded guess and correct it
         * against the edges b/10.0, so a confidence of exactly 0.3 lands in
         * (0.2, 0.3] whatever the rounding of conf * 10. */
        double conf = p[pred];
        int b = (int)ceil(conf * ECE_BINS) - 1;
        b = GP_MAX(0, GP_MIN(ECE_BINS - 1, b));
        while (b > 0 && conf <= (double)b / ECE_BINS) b--;
        while (b < ECE_BINS - 1 && conf > (double)(b + 1) / ECE_BINS) b++;
        bin_acc[b] += ok;
        bin_conf[b] += conf;
    }

    double recall = 0;
    int32_t present = 0;
    for (int32_t c = 0; c < k; c++) {
        if (cls[c] == 0) continue;
        recall += (double)hit[c] / (double)cls[c];
        present++;
    }
    double ece = 0;
    for (int b = 0; b < ECE_BINS; b++)
        ece += fabs(bin_acc[b] - bin_conf[b]);   /* = n_b |acc_b - conf_b| */

    /* AUROC: macro average over the columns of present classes. */
    double auc_sum = 0;
    int32_t auc_used = 0;
    if (present >= 2) {
        for (int32_t j = 0; j < ncol; j++) {
            int32_t c = auc_column_class(k, j);
            if (cls[c] == 0) continue;
            sort_column(y, proba, n, k, c, tmp, flags);
            double a;
            if (auc_sorted(NULL, flags, NULL, n, &a)) {
                auc_sum += a;
                auc_used++;
            }
        }
    }

    out->n = n;
    out->accuracy = correct / (double)n;
    out->balanced_accuracy = recall / present;
    out->auroc = auc_used ? auc_sum / auc_used : 0.5;   /* 0.5: undefined */
    out->log_loss = logloss / (double)n;
    out->ece = ece / (double)n;

done:
    gp__free(tmp);
    gp__free(flags);
    gp__free(cls);
    gp__free(hit);
    return s;
}

/* ------------------------------------------------------------------ */
/* Bootstrap                                                          */
/* ------------------------------------------------------------------ */

static int dbl_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile q (0..100) of v (m >= 1 values, sorted here), linear
 * interpolation as numpy.percentile's default method ("linear"). */
static double percentile(double *v, int32_t m, double q) {
    qsort(v, (size_t)m, sizeof *v, dbl_cmp);
    double pos = q / 100.0 * (double)(m - 1);
    double lo = floor(pos);
    int32_t i = (int32_t)lo;
    if (i >= m - 1) return v[m - 1];
    double t = pos - lo, a = v[i], b = v[i + 1], d = b - a;
    /* numpy's _lerp: interpolate from the nearer end for accuracy. */
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/* Uniform integer in [0, n) for 0 < n < 2^32, unbiased: Lemire's
 * multiply-and-reject, which needs no division in the common case (the
 * bootstrap draws n of these per resample). */
static uint32_t draw_below(gp__rng *r, uint32_t n) {
    uint64_t m = (gp__rng_next(r) >> 32) * (uint64_t)n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t t = (uint32_t)(0u - n) % n;   /* 2^32 mod n */
        while (low < t) {
            m = (gp__rng_next(r) >> 32) * (uint64_t)n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* Resampling rows with replacement draws sorted positions of the first
 * AUROC column instead ("base" positions): the same distribution, but the
 * weights of that column, of accuracy and of the class totals are then
 * read in order. Column j > 0 reads them through idx_j = base position of
 * its j-th sorted row. */
gp_status gp_metrics_bootstrap(const int32_t *y, const double *proba, int64_t n, int32_t k,
                               int32_t n_boot, uint64_t seed, double accuracy_ci[2],
                               double auroc_ci[2]) {
    gp__clear_error();
    const char *fn = "bootstrap";
    gp_status s = check_classification(fn, y, proba, n, k);
    if (s != GP_OK) return s;
    if (n_boot < 1) return gp__error(GP_EINVAL, "%s: need at least 1 resample, got %d", fn,
                                     (int)n_boot);
    if (!accuracy_ci || !auroc_ci)
        return gp__error(GP_EINVAL, "%s: interval outputs are NULL", fn);
    /* int32 weights and positions halve the memory traffic per resample. */
    if (n > INT32_MAX)
        return gp__error(GP_EINVAL, "%s: %lld rows, more than the %d supported", fn,
                         (long long)n, (int)INT32_MAX);

    size_t un = (size_t)n, ncol = (size_t)auc_columns(k);
    keyed *tmp = gp__calloc(un, sizeof *tmp);
    int32_t *inv = gp__calloc(un, sizeof *inv);
    int32_t *idx = gp__calloc((ncol - 1) * un, sizeof *idx);
    uint8_t *flags = gp__calloc(ncol, un);
    int32_t *w = gp__calloc(un, sizeof *w);
    int32_t *yb = gp__calloc(un, sizeof *yb);
    uint8_t *correct = gp__malloc(un);
    int64_t *cls_w = gp__calloc((size_t)k, sizeof *cls_w);
    double *accs = gp__calloc((size_t)n_boot, sizeof *accs);
    double *aucs = gp__calloc((size_t)n_boot, sizeof *aucs);
    if (!tmp || !inv || !idx || !flags || !w || !yb || !correct || !cls_w || !accs || !aucs) {
        s = gp__error(GP_ENOMEM, "%s: out of memory for %lld rows", fn, (long long)n);
        goto done;
    }
    /* Sort once; every resample reuses the orders with its own weights. */
    sort_column(y, proba, n, k, auc_column_class(k, 0), tmp, flags);
    for (size_t j = 0; j < un; j++) {
        int64_t r = tmp[j].row;
        inv[r] = (int32_t)j;
        yb[j] = y[r];
        correct[j] = argmax_row(proba + r * k, k) == y[r];
    }
    for (size_t c = 1; c < ncol; c++) {
        sort_column(y, proba, n, k, auc_column_class(k, (int32_t)c), tmp, flags + c * un);
        for (size_t j = 0; j < un; j++) idx[(c - 1) * un + j] = inv[tmp[j].row];
    }

    int32_t n_auc = 0;
    for (int32_t b = 0; b < n_boot; b++) {
        /* One stream per resample: resample b is the same whatever order
         * or thread computes it. */
        gp__rng r;
        gp__rng_stream(&r, seed, (uint64_t)b);
        memset(w, 0, un * sizeof *w);
        for (size_t i = 0; i < un; i++) w[draw_below(&r, (uint32_t)n)]++;
        memset(cls_w, 0, (size_t)k * sizeof *cls_w);
        int64_t hits = 0;
        for (size_t j = 0; j < un; j++) {
            hits += correct[j] * w[j];
            cls_w[yb[j]] += w[j];
        }
        accs[b] = (double)hits / (double)n;

        /* AUROC as in gp_metrics_compute: macro mean over the classes
         * drawn; undefined (skipped) when fewer than two were drawn. */
        int32_t present = 0;
        for (int32_t c = 0; c < k; c++) present += cls_w[c] > 0;
        if (present < 2) continue;
        double sum = 0, a;
        int32_t used = 0;
        for (size_t c = 0; c < ncol; c++) {
            if (cls_w[auc_column_class(k, (int32_t)c)] == 0) continue;
            const int32_t *ic = c ? idx + (c - 1) * un : NULL;
            if (auc_sorted(ic, flags + c * un, w, n, &a)) {
                sum += a;
                used++;
            }
        }
        if (used) aucs[n_auc++] = sum / used;
    }

    accuracy_ci[0] = percentile(accs, n_boot, 2.5);
    accuracy_ci[1] = percentile(accs, n_boot, 97.5);
    if (n_auc > 0) {
        auroc_ci[0] = percentile(aucs, n_auc, 2.5);
        auroc_ci[1] = percentile(aucs, n_auc, 97.5);
    } else {
        /* No resample had two classes (y holds one class): the AUROC is
         * undefined, reported as 0.5 like the point estimate. */
        auroc_ci[0] = auroc_ci[1] = 0.5;
    }

done:
    gp__free(tmp);
    gp__free(inv);
    gp__free(idx);
    gp__free(flags);
    gp__free(w);
    gp__free(yb);
    gp__free(correct);
    gp__free(cls_w);
    gp__free(accs);
    gp__free(aucs);
    return s;
}

/* ------------------------------------------------------------------ */
/* Regression                                                         */
/* ------------------------------------------------------------------ */

/* Exactly constant: a computed mean need not equal the constant (0.1 * 3 /
 * 3 != 0.1), so tiny residuals would otherwise pass for variance. */
static bool is_constant(const double *v, int64_t n) {
    for (int64_t i = 1; i < n; i++)
        if (v[i] != v[0]) return false;
    return true;
}

gp_status gp_regression_metrics_compute(const double *target, const double *pred, int64_t n,
                                        gp_regression_metrics *out) {
    gp__clear_error();
    const char *fn = "regression metrics";
    if (!target || !pred) return gp__error(GP_EINVAL, "%s: target or prediction is NULL", fn);
    if (!out) return gp__error(GP_EINVAL, "%s: out is NULL", fn);
    if (n < 1) return gp__error(GP_EINVAL, "%s: need at least 1 row, got %lld", fn, (long long)n);
    double mt = 0, mp = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(target[i]))
            return gp__error(GP_ENAN, "%s: target of row %lld is %g", fn, (long long)i, target[i]);
        if (!isfinite(pred[i]))
            return gp__error(GP_ENAN, "%s: prediction of row %lld is %g", fn, (long long)i,
                             pred[i]);
        mt += target[i];
        mp += pred[i];
    }
    mt /= (double)n;
    mp /= (double)n;
    /* Two passes over centered values, as numpy does, for accuracy. */
    double ss_res = 0, ss_tot = 0, spp = 0, stp = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = target[i] - pred[i], dt = target[i] - mt, dp = pred[i] - mp;
        ss_res += e * e;
        ss_tot += dt * dt;
        spp += dp * dp;
        stp += dt * dp;
    }
    bool tconst = is_constant(target, n), pconst = is_constant(pred, n);
    out->n = n;
    out->mse = ss_res / (double)n;
    /* Our rule for a constant target: 0 (scikit-learn gives 1 for a perfect
     * prediction of it); never NaN or -inf. */
    out->r2 = tconst || ss_tot == 0 ? 0.0 : 1.0 - ss_res / ss_tot;
    double r = 0;
    if (!tconst && !pconst && ss_tot > 0 && spp > 0) {
        r = stp / sqrt(ss_tot * spp);
        r = fmax(-1.0, fmin(1.0, r));   /* numpy.corrcoef clips the same way */
    }
    out->pearson_r = r;
    return GP_OK;
}
