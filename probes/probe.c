/* probe.c — the gp_probe object every family shares: input checks,
 * optional standardization, dispatch to a family's fit, and everything
 * after the fit (scores, probabilities, classes, save, load). */
#include "probe_internal.h"

#include <cJSON.h>
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const METHOD_NAMES[] = {"logistic", "massmean", "massmean-iid", "lda", "ridge"};
#define N_METHODS ((int)(sizeof METHOD_NAMES / sizeof METHOD_NAMES[0]))

const char *gp_probe_method_name(gp_probe_method m) {
    return (m >= 0 && (int)m < N_METHODS) ? METHOD_NAMES[m] : "unknown";
}

gp_status gp_probe_method_parse(const char *name, gp_probe_method *out) {
    gp__clear_error();
    if (!name || !out) return gp__error(GP_EINVAL, "probe: NULL argument");
    for (int i = 0; i < N_METHODS; i++)
        if (strcmp(name, METHOD_NAMES[i]) == 0) {
            *out = (gp_probe_method)i;
            return GP_OK;
        }
    return gp__error(GP_EINVAL, "unknown probe method '%s' (logistic, massmean, massmean-iid, lda, ridge)",
                     name);
}

void gp_probe_opts_init(gp_probe_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->method = GP_PROBE_LOGISTIC;
    o->C = 1.0;
    o->alpha = 1.0;
    o->shrinkage = -1.0;
    o->fit_intercept = 1;
    o->solver = GP_LOGISTIC_AUTO;
    o->tol = 1e-8;
    o->cv_folds = 5;
    o->n_Cs = 10;
}

void gp_probe_free(gp_probe *p) {
    if (!p) return;
    gp__free(p->weight);
    gp__free(p->bias);
    cJSON_Delete(p->meta);
    gp__free(p);
}

static gp_status check_X(const gp_matrix *X, const char *what) {
    if (!X) return gp__error(GP_EINVAL, "%s: X is NULL", what);
    if (X->dtype != GP_DTYPE_F32 && X->dtype != GP_DTYPE_F64)
        return gp__error(GP_EDTYPE, "%s: X must be float32 or float64, not %s", what,
                         gp_dtype_name(X->dtype));
    if (X->rows < 1 || X->cols < 1 || X->ld < X->cols || !X->data)
        return gp__error(GP_ESHAPE, "%s: X has shape (%lld, %lld), ld %lld: need rows, cols >= 1 "
                         "and ld >= cols", what, (long long)X->rows, (long long)X->cols,
                         (long long)X->ld);
    return gp_matrix_check_finite(X, what, NULL, NULL);
}

static gp_status check_opts(const gp_probe_opts *o) {
    if ((int)o->method < 0 || (int)o->method >= N_METHODS)
        return gp__error(GP_EINVAL, "probe: unknown method %d", (int)o->method);
    if (!isfinite(o->C)) return gp__error(GP_EINVAL, "probe: C must be finite");
    if (!(o->alpha >= 0) || !isfinite(o->alpha))
        return gp__error(GP_EINVAL, "probe: alpha must be >= 0, not %g", o->alpha);
    if (o->shrinkage > 1 || isnan(o->shrinkage))
        return gp__error(GP_EINVAL, "probe: shrinkage must be in [0, 1] (or < 0 for Ledoit-Wolf), not %g",
                         o->shrinkage);
    if (o->solver < GP_LOGISTIC_AUTO || o->solver > GP_LOGISTIC_LBFGS)
        return gp__error(GP_EINVAL, "probe: unknown logistic solver %d", (int)o->solver);
    if (o->max_iter < 0) return gp__error(GP_EINVAL, "probe: max_iter must be >= 0");
    if (!(o->tol > 0)) return gp__error(GP_EINVAL, "probe: tol must be > 0, not %g", o->tol);
    if (o->C <= 0 && (o->cv_folds < 2 || o->n_Cs < 1))
        return gp__error(GP_EINVAL, "probe: choosing C needs cv_folds >= 2 and n_Cs >= 1");
    return GP_OK;
}

/* z-scored float32 copy of X: mean and scale (std, or 1 for a constant
 * feature, as scikit-learn's StandardScaler) in float64. Distributed: the
 * statistics of every process's rows (n of them); failures are agreed. */
static gp_status standardize(const gp_matrix *X, int64_t n_all, const gp_comm *comm, gp_matrix *Z,
                             double **mean, double **scale) {
    int64_t n = X->rows, d = X->cols;
    *mean = gp__calloc((size_t)d, sizeof **mean);
    *scale = gp__calloc((size_t)d, sizeof **scale);
    double *row = gp__malloc((size_t)d * sizeof *row);
    float *z = gp__malloc((size_t)n * (size_t)d * sizeof *z);
    gp_status s = GP_OK;
    if (!*mean || !*scale || !row || !z)
        s = gp__error(GP_ENOMEM, "probe: out of memory standardizing %lld x %lld", (long long)n,
                      (long long)d);
    if ((s = gp__agree(comm, s, "probe")) != GP_OK) {
        gp__free(row);
        gp__free(z);
        return s;
    }
    size_t es = gp_dtype_size(X->dtype);
    const unsigned char *base = X->data;
    for (int64_t i = 0; i < n; i++) {
        gp__convert_to_f64(X->dtype, base + (size_t)i * (size_t)X->ld * es, false, (size_t)d, row);
        for (int64_t j = 0; j < d; j++) (*mean)[j] += row[j];
        gp__release_after_row(X, i);
    }
    if ((s = gp__comm_reduce(comm, *mean, d, GP_REDUCE_SUM, s, "probe")) != GP_OK) goto fail;
    for (int64_t j = 0; j < d; j++) (*mean)[j] /= (double)n_all;
    for (int64_t i = 0; i < n; i++) {
        gp__convert_to_f64(X->dtype, base + (size_t)i * (size_t)X->ld * es, false, (size_t)d, row);
        for (int64_t j = 0; j < d; j++) {
            double c = row[j] - (*mean)[j];
            (*scale)[j] += c * c;
        }
        gp__release_after_row(X, i);
    }
    if ((s = gp__comm_reduce(comm, *scale, d, GP_REDUCE_SUM, s, "probe")) != GP_OK) goto fail;
    for (int64_t j = 0; j < d; j++) {
        double sd = sqrt((*scale)[j] / (double)n_all);
        (*scale)[j] = sd > 0 ? sd : 1.0;
    }
    for (int64_t i = 0; i < n; i++) {
        gp__convert_to_f64(X->dtype, base + (size_t)i * (size_t)X->ld * es, false, (size_t)d, row);
        for (int64_t j = 0; j < d; j++)
            z[(size_t)i * (size_t)d + (size_t)j] = (float)((row[j] - (*mean)[j]) / (*scale)[j]);
        gp__release_after_row(X, i);
    }
    gp__free(row);
    *Z = (gp_matrix){GP_DTYPE_F32, n, d, d, z};
    return GP_OK;
fail:
    gp__free(row);
    gp__free(z);
    return s;
}

/* Weights fit on z-scored features, mapped back to raw activations:
 * w.z + b = (w/s).x + (b - sum w mu/s), so apply needs no statistics. */
static void unstandardize(struct gp_probe *p, const double *mean, const double *scale) {
    for (int32_t o = 0; o < p->n_outputs; o++) {
        double *w = p->weight + (size_t)o * (size_t)p->d;
        double shift = 0;
        for (int64_t j = 0; j < p->d; j++) {
            w[j] /= scale[j];
            shift += w[j] * mean[j];
        }
        p->bias[o] -= shift;
    }
}

static gp_status fit_common(const gp_matrix *X, const int32_t *y, int32_t k, const double *target,
                            int64_t n_all, const gp_probe_opts *o, gp_probe **out) {
    gp_matrix Z = {0};
    double *mean = NULL, *scale = NULL;
    const gp_matrix *Xf = X;
    gp_status s = GP_OK;
    if (o->standardize) {
        s = standardize(X, n_all, o->comm, &Z, &mean, &scale);
        Xf = &Z;
    }
    struct gp_probe *p = NULL;
    if (s == GP_OK) {
        p = gp__calloc(1, sizeof *p);
        s = gp__agree(o->comm, p ? GP_OK : gp__error(GP_ENOMEM, "probe: out of memory"), "probe");
    }
    if (s == GP_OK) {
        p->method = o->method;
        p->d = X->cols;
        p->n_classes = target ? 0 : k;
        p->converged = 1;
        switch (o->method) {
        case GP_PROBE_LOGISTIC:     s = gp__logistic_fit(Xf, y, k, o, p); break;
        case GP_PROBE_MASSMEAN:     s = gp__massmean_fit(Xf, y, k, false, o, p); break;
        case GP_PROBE_MASSMEAN_IID: s = gp__massmean_fit(Xf, y, k, true, o, p); break;
        case GP_PROBE_LDA:          s = gp__lda_fit(Xf, y, k, o, p); break;
        case GP_PROBE_RIDGE:        s = gp__ridge_fit(Xf, target, o, p); break;
        }
        if (s == GP_OK && (!p->weight || !p->bias || p->n_outputs < 1))
            s = gp__error(GP_EINTERNAL, "probe: %s fit returned no weights", gp_probe_method_name(o->method));
    }
    if (s == GP_OK && o->standardize) unstandardize(p, mean, scale);
    /* Distributed: a failure after the family's last reduction (each
     * family announces its own) reaches the others here. */
    if (s == GP_OK) s = gp__agree(o->comm, GP_OK, gp_probe_method_name(o->method));
    if (o->standardize) {
        gp__free(Z.data);
        gp__free(mean);
        gp__free(scale);
    }
    if (s != GP_OK) {
        gp_probe_free(p);
        return s;
    }
    *out = p;
    return GP_OK;
}

/* Distributed: agree that every process's inputs passed (local), with the
 * same number of features and classes, and sum acc[0..nacc) (class counts,
 * then the row count) over the processes. */
static gp_status agree_inputs(const gp_probe_opts *o, gp_status local, const gp_matrix *X,
                              int32_t k, double *acc, int64_t nacc, const char *fn) {
    const gp_comm *comm = o->comm;
    if (!gp__comm_active(comm)) return local;
    double shape[6] = {0};
    if (local == GP_OK) {
        shape[0] = (double)X->cols, shape[1] = -(double)X->cols;
        shape[2] = k, shape[3] = -(double)k;
        shape[4] = o->method, shape[5] = -(double)o->method;
    }
    gp_status s = gp__comm_reduce(comm, shape, 6, GP_REDUCE_MAX, local, fn);
    if (s != GP_OK) return s;
    if (shape[0] != -shape[1] || shape[2] != -shape[3] || shape[4] != -shape[5])
        return gp__error(GP_ESHAPE, "%s: the processes disagree on the number of features "
                         "(%.0f to %.0f), classes or the method", fn, -shape[1], shape[0]);
    return gp__comm_reduce(comm, acc, nacc, GP_REDUCE_SUM, GP_OK, fn);
}

static gp_status check_comm_opts(const gp_probe_opts *o) {
    gp_status s = GP_OK;
    if (gp__comm_active(o->comm) && o->method == GP_PROBE_LOGISTIC && o->C <= 0)
        s = gp__error(GP_EINVAL, "logistic: choosing C by cross-validation (C <= 0) is not "
                      "supported across processes; give C > 0");
    return s;
}

gp_status gp_probe_fit(const gp_matrix *X, const int32_t *y, int32_t n_classes,
                       const gp_probe_opts *o, gp_probe **out) {
    gp__clear_error();
    if (!out) return gp__error(GP_EINVAL, "probe: out is NULL");
    *out = NULL;
    gp_probe_opts defaults;
    if (!o) {
        gp_probe_opts_init(&defaults);
        o = &defaults;
    }
    gp_status s = gp__comm_check(o->comm, "probe");
    if (s != GP_OK) return s;  /* the communicator itself is unusable */
    s = check_opts(o);
    if (s == GP_OK) s = check_comm_opts(o);
    if (s == GP_OK && o->method == GP_PROBE_RIDGE)
        s = gp__error(GP_EINVAL, "probe: ridge fits a continuous target (gp_probe_fit_regression)");
    if (s == GP_OK) s = check_X(X, gp_probe_method_name(o->method));
    if (s == GP_OK && !y) s = gp__error(GP_EINVAL, "probe: labels are NULL");
    if (s == GP_OK && n_classes < 2)
        s = gp__error(GP_EINVAL, "probe: only one class in the labels (%d): a probe needs two or more",
                      (int)n_classes);
    /* class counts (k), then the row count; summed over the processes */
    double *count = s == GP_OK ? gp__calloc((size_t)n_classes + 1, sizeof *count) : NULL;
    if (s == GP_OK && !count) s = gp__error(GP_ENOMEM, "probe: out of memory");
    for (int64_t i = 0; s == GP_OK && i < X->rows; i++) {
        if (y[i] < 0 || y[i] >= n_classes)
            s = gp__error(GP_EINVAL, "probe: label of row %lld is %d, not in 0..%d", (long long)i,
                          (int)y[i], (int)n_classes - 1);
        else
            count[y[i]]++;
    }
    if (s == GP_OK) count[n_classes] = (double)X->rows;
    s = agree_inputs(o, s, X, n_classes, count, (int64_t)n_classes + 1, "probe");
    int32_t present = 0;
    for (int32_t c = 0; c < n_classes && s == GP_OK; c++) {
        if (count[c] > 0) present++;
        if (count[c] == 1)
            s = gp__error(GP_EINVAL, "probe: class %d has a single example; a probe needs at least 2 "
                          "of each class", (int)c);
    }
    if (s == GP_OK && present < 2)
        s = gp__error(GP_EINVAL, "probe: only one class in the training labels");
    else if (s == GP_OK && present < n_classes)
        for (int32_t c = 0; c < n_classes && s == GP_OK; c++)
            if (count[c] == 0)
                s = gp__error(GP_EINVAL, "probe: class %d has no training rows", (int)c);
    int64_t n_all = s == GP_OK ? (int64_t)count[n_classes] : 0;
    gp__free(count);
    /* (the checks after the reduction saw the same sums everywhere) */
    if (s != GP_OK) return s;
    return fit_common(X, y, n_classes, NULL, n_all, o, out);
}

gp_status gp_probe_fit_regression(const gp_matrix *X, const double *target,
                                  const gp_probe_opts *o, gp_probe **out) {
    gp__clear_error();
    if (!out) return gp__error(GP_EINVAL, "ridge: out is NULL");
    *out = NULL;
    if (!o || o->method != GP_PROBE_RIDGE)
        return gp__error(GP_EINVAL, "probe: regression needs method ridge");
    gp_status s = gp__comm_check(o->comm, "ridge");
    if (s != GP_OK) return s;
    s = check_opts(o);
    if (s == GP_OK) s = check_X(X, "ridge");
    if (s == GP_OK && !target) s = gp__error(GP_EINVAL, "ridge: target is NULL");
    for (int64_t i = 0; s == GP_OK && i < X->rows; i++)
        if (!isfinite(target[i]))
            s = gp__error(GP_ENAN, "ridge: target of row %lld is not finite", (long long)i);
    double rows = s == GP_OK ? (double)X->rows : 0;
    s = agree_inputs(o, s, X, 0, &rows, 1, "ridge");
    if (s == GP_OK && rows < 2) s = gp__error(GP_ESHAPE, "ridge: need 2 or more rows");
    if (s != GP_OK) return s;
    return fit_common(X, NULL, 0, target, (int64_t)rows, o, out);
}

gp_probe_method gp_probe_get_method(const gp_probe *p) { return p ? p->method : GP_PROBE_LOGISTIC; }
int64_t gp_probe_n_features(const gp_probe *p) { return p ? p->d : 0; }
int32_t gp_probe_n_classes(const gp_probe *p) { return p ? p->n_classes : 0; }
int32_t gp_probe_n_outputs(const gp_probe *p) { return p ? p->n_outputs : 0; }
const double *gp_probe_weight(const gp_probe *p) { return p ? p->weight : NULL; }
const double *gp_probe_bias(const gp_probe *p) { return p ? p->bias : NULL; }
double gp_probe_C(const gp_probe *p) { return p ? p->C : 0; }
int32_t gp_probe_n_iter(const gp_probe *p) { return p ? p->n_iter : 0; }
int32_t gp_probe_converged(const gp_probe *p) { return p ? p->converged : 0; }

gp_status gp_probe_decision(const gp_probe *p, const gp_matrix *X, double *scores) {
    gp__clear_error();
    if (!p || !scores) return gp__error(GP_EINVAL, "probe: NULL argument");
    gp_status s = check_X(X, "probe apply");
    if (s != GP_OK) return s;
    if (X->cols != p->d)
        return gp__error(GP_ESHAPE, "probe apply: X has %lld features, the probe was trained on %lld",
                         (long long)X->cols, (long long)p->d);
    /* float64 scores: convert a block of rows, then one dgemm per block. */
    const int64_t block = 1024, d = p->d, m = p->n_outputs;
    double *buf = gp__malloc((size_t)GP_MIN(block, X->rows) * (size_t)d * sizeof *buf);
    if (!buf) return gp__error(GP_ENOMEM, "probe apply: out of memory");
    size_t es = gp_dtype_size(X->dtype);
    for (int64_t r0 = 0; r0 < X->rows; r0 += block) {
        int64_t nb = GP_MIN(block, X->rows - r0);
        for (int64_t i = 0; i < nb; i++)
            gp__convert_to_f64(X->dtype, (const unsigned char *)X->data + (size_t)(r0 + i) * (size_t)X->ld * es,
                               false, (size_t)d, buf + (size_t)i * (size_t)d);
        gp__release_rows(X, r0, r0 + nb); /* converted into buf */
        double *out = scores + (size_t)r0 * (size_t)m;
        for (int64_t i = 0; i < nb; i++) memcpy(out + (size_t)i * (size_t)m, p->bias, (size_t)m * sizeof *out);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)m, (int)d, 1.0, buf, (int)d,
                    p->weight, (int)d, 1.0, out, (int)m);
    }
    gp__free(buf);
    return GP_OK;
}

gp_status gp_probe_predict_proba(const gp_probe *p, const gp_matrix *X, double *proba) {
    gp__clear_error();
    if (!p || !proba) return gp__error(GP_EINVAL, "probe: NULL argument");
    if (p->n_classes < 2)
        return gp__error(GP_EINVAL, "probe: a %s probe has no class probabilities", gp_probe_method_name(p->method));
    int64_t n = X ? X->rows : 0;
    int32_t m = p->n_outputs, k = p->n_classes;
    double *sc = gp__malloc((size_t)(n ? n : 1) * (size_t)m * sizeof *sc);
    if (!sc) return gp__error(GP_ENOMEM, "probe: out of memory");
    gp_status s = gp_probe_decision(p, X, sc);
    for (int64_t i = 0; s == GP_OK && i < n; i++) {
        double *pr = proba + (size_t)i * (size_t)k;
        const double *z = sc + (size_t)i * (size_t)m;
        if (m == 1) {
            /* Stable sigmoid: never exp of a large positive number. */
            double e = exp(-fabs(z[0])), p1 = z[0] >= 0 ? 1 / (1 + e) : e / (1 + e);
            pr[0] = 1 - p1;
            pr[1] = p1;
        } else {
            double mx = z[0], sum = 0;
            for (int32_t c = 1; c < m; c++) mx = GP_MAX(mx, z[c]);
            for (int32_t c = 0; c < m; c++) sum += pr[c] = exp(z[c] - mx);
            for (int32_t c = 0; c < m; c++) pr[c] /= sum;
        }
    }
    gp__free(sc);
    return s;
}

gp_status gp_probe_predict(const gp_probe *p, const gp_matrix *X, int32_t *pred) {
    gp__clear_error();
    if (!p || !pred) return gp__error(GP_EINVAL, "probe: NULL argument");
    if (p->n_classes < 2) return gp__error(GP_EINVAL, "probe: ridge predicts values (gp_probe_decision)");
    int64_t n = X ? X->rows : 0;
    int32_t m = p->n_outputs;
    double *sc = gp__malloc((size_t)(n ? n : 1) * (size_t)m * sizeof *sc);
    if (!sc) return gp__error(GP_ENOMEM, "probe: out of memory");
    gp_status s = gp_probe_decision(p, X, sc);
    for (int64_t i = 0; s == GP_OK && i < n; i++) {
        const double *z = sc + (size_t)i * (size_t)m;
        if (m == 1) {
            pred[i] = z[0] > 0;
        } else {
            int32_t best = 0;   /* ties: the lowest class, as numpy's argmax */
            for (int32_t c = 1; c < m; c++)
                if (z[c] > z[best]) best = c;
            pred[i] = best;
        }
    }
    gp__free(sc);
    return s;
}

gp_status gp_probe_from_weights(gp_probe_method m, int32_t n_classes, int32_t n_outputs, int64_t d,
                                const double *weight, const double *bias, gp_probe **out) {
    gp__clear_error();
    if (!out) return gp__error(GP_EINVAL, "probe: out is NULL");
    *out = NULL;
    if ((int)m < 0 || (int)m >= N_METHODS) return gp__error(GP_EINVAL, "probe: unknown method %d", (int)m);
    if (!weight || !bias || d < 1 || n_outputs < 1)
        return gp__error(GP_EINVAL, "probe: need weights (n_outputs >= 1, d >= 1) and a bias");
    bool regression = m == GP_PROBE_RIDGE;
    if (regression ? (n_classes != 0 || n_outputs != 1)
                   : (n_classes < 2 || n_outputs != (n_classes == 2 ? 1 : n_classes)))
        return gp__error(GP_EINVAL, "probe: %d outputs do not fit %d classes (a binary or ridge probe "
                         "has 1 output, a k-class one k)", (int)n_outputs, (int)n_classes);
    for (int64_t i = 0; i < (int64_t)n_outputs * d; i++)
        if (!isfinite(weight[i])) return gp__error(GP_ENAN, "probe: weight %lld is not finite", (long long)i);
    for (int32_t i = 0; i < n_outputs; i++)
        if (!isfinite(bias[i])) return gp__error(GP_ENAN, "probe: bias %d is not finite", (int)i);
    struct gp_probe *p = gp__calloc(1, sizeof *p);
    if (p) {
        p->weight = gp__malloc((size_t)n_outputs * (size_t)d * sizeof *p->weight);
        p->bias = gp__malloc((size_t)n_outputs * sizeof *p->bias);
    }
    if (!p || !p->weight || !p->bias) {
        gp_probe_free(p);
        return gp__error(GP_ENOMEM, "probe: out of memory");
    }
    p->method = m;
    p->d = d;
    p->n_classes = n_classes;
    p->n_outputs = n_outputs;
    p->converged = 1;
    memcpy(p->weight, weight, (size_t)n_outputs * (size_t)d * sizeof *weight);
    memcpy(p->bias, bias, (size_t)n_outputs * sizeof *bias);
    *out = p;
    return GP_OK;
}
