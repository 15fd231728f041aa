/* ccs.c — the contrast-pair probe object: options, input checks, the
 * normalization fitted on the training pairs, the fit's dispatch (CCS's
 * restarts here, their optimizers in ccs_optim.c, the closed forms in
 * crc.c), credences, Platt calibration and accessors. Distributed
 * (gp_ccs_opts.comm, gp_ccs_calibrate_comm): every sum over pairs here is
 * reduced over the processes (see ccs_internal.h). */
#include "ccs_internal.h"
#include "rng.h"

#include <cJSON.h>
#include <math.h>
#include <string.h>

static const char *const METHODS[] = {"ccs", "crc", "vinc"};
static const char *const NORMS[] = {"burns", "center", "feature"};
static const char *const OPTIMIZERS[] = {"lbfgs", "adam"};
#define COUNT(a) ((int)(sizeof(a) / sizeof(a)[0]))

static const char *name_of(const char *const *names, int n, int v) {
    return v >= 0 && v < n ? names[v] : "unknown";
}

static gp_status parse(const char *const *names, int n, const char *what, const char *name,
                       int *out) {
    gp__clear_error();
    if (!name || !out) return gp__error(GP_EINVAL, "ccs: NULL argument");
    for (int i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = i;
            return GP_OK;
        }
    char list[64] = "";
    for (int i = 0; i < n; i++) {
        if (i) strcat(list, ", ");
        strcat(list, names[i]);
    }
    return gp__error(GP_EINVAL, "unknown %s '%s' (%s)", what, name, list);
}

const char *gp_ccs_method_name(gp_ccs_method m) { return name_of(METHODS, COUNT(METHODS), m); }
const char *gp_ccs_norm_name(gp_ccs_norm n) { return name_of(NORMS, COUNT(NORMS), n); }
const char *gp_ccs_optimizer_name(gp_ccs_optimizer o) {
    return name_of(OPTIMIZERS, COUNT(OPTIMIZERS), o);
}

gp_status gp_ccs_method_parse(const char *name, gp_ccs_method *out) {
    int v = 0;
    gp_status s = parse(METHODS, COUNT(METHODS), "contrast-pair method", name, &v);
    if (s == GP_OK) *out = (gp_ccs_method)v;
    return s;
}
gp_status gp_ccs_norm_parse(const char *name, gp_ccs_norm *out) {
    int v = 0;
    gp_status s = parse(NORMS, COUNT(NORMS), "normalization", name, &v);
    if (s == GP_OK) *out = (gp_ccs_norm)v;
    return s;
}
gp_status gp_ccs_optimizer_parse(const char *name, gp_ccs_optimizer *out) {
    int v = 0;
    gp_status s = parse(OPTIMIZERS, COUNT(OPTIMIZERS), "optimizer", name, &v);
    if (s == GP_OK) *out = (gp_ccs_optimizer)v;
    return s;
}

void gp_ccs_opts_init(gp_ccs_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->method = GP_CCS_CCS;
    o->norm = GP_CCS_NORM_BURNS;
    o->optimizer = GP_CCS_LBFGS;
    o->tries = 10;
    o->epochs = 1000;
    o->lr = 1e-3;
    o->weight_decay = 0.01;
    o->l2 = 1e-4;
    o->tol = 3e-5;
}

/* ------------------------------------------------------------------ */
/* The object                                                         */
/* ------------------------------------------------------------------ */

struct gp_ccs *gp__ccs_new(int64_t d) {
    struct gp_ccs *c = gp__calloc(1, sizeof *c);
    double *buf = c ? gp__calloc((size_t)d * 5, sizeof *buf) : NULL;
    float *fbuf = buf ? gp__calloc((size_t)d * 4, sizeof *fbuf) : NULL;
    if (!fbuf) {
        gp__free(buf);
        gp__free(c);
        gp__error(GP_ENOMEM, "ccs: out of memory (%lld features)", (long long)d);
        return NULL;
    }
    c->d = d;
    c->mean[0] = buf;
    c->mean[1] = buf + d;
    c->scale[0] = buf + 2 * d;
    c->scale[1] = buf + 3 * d;
    c->w = buf + 4 * d;
    for (int i = 0; i < 2; i++) {
        c->mean_f32[i] = fbuf + (2 * i) * d;
        c->inv_scale_f32[i] = fbuf + (2 * i + 1) * d;
    }
    c->platt_a = 1;
    c->best = 0;
    c->converged = 1;
    return c;
}

gp_status gp__ccs_alloc_tries(struct gp_ccs *c, int32_t tries, int32_t trace_cap) {
    size_t t = (size_t)tries;
    c->try_loss = gp__calloc(t, sizeof *c->try_loss);
    c->try_cos = gp__calloc(t * t, sizeof *c->try_cos);
    c->trace_len = gp__calloc(t, sizeof *c->trace_len);
    c->trace = trace_cap > 0 ? gp__calloc(t * (size_t)trace_cap, sizeof *c->trace) : NULL;
    if (!c->try_loss || !c->try_cos || !c->trace_len || (trace_cap > 0 && !c->trace))
        return gp__error(GP_ENOMEM, "ccs: out of memory (%d tries)", (int)tries);
    c->tries = tries;
    c->trace_cap = trace_cap;
    return GP_OK;
}

void gp_ccs_free(gp_ccs *c) {
    if (!c) return;
    gp__free(c->mean[0]);
    gp__free(c->mean_f32[0]);
    gp__free(c->try_loss);
    gp__free(c->try_cos);
    gp__free(c->trace);
    gp__free(c->trace_len);
    cJSON_Delete(c->meta);
    gp__free(c);
}

/* ------------------------------------------------------------------ */
/* Normalization                                                      */
/* ------------------------------------------------------------------ */

static double elem(const gp_matrix *X, int64_t i, int64_t j) {
    size_t at = (size_t)i * (size_t)X->ld + (size_t)j;
    return X->dtype == GP_DTYPE_F64 ? ((const double *)X->data)[at]
                                    : (double)((const float *)X->data)[at];
}

void gp__ccs_norm_sync(struct gp_ccs *c) {
    for (int i = 0; i < 2; i++)
        for (int64_t j = 0; j < c->d; j++) {
            c->mean_f32[i][j] = (float)c->mean[i][j];
            c->inv_scale_f32[i][j] = (float)(1 / c->scale[i][j]);
        }
}

void gp__ccs_normalize_rows(const struct gp_ccs *c, const gp_matrix *X, int which, int64_t r0,
                            int64_t nr, float *out, int64_t ldo) {
    const double *mu = c->mean[which], *sc = c->scale[which];
    int64_t d = c->d;
    for (int64_t i = 0; i < nr; i++) {
        float *o = out + i * ldo;
        size_t at = (size_t)(r0 + i) * (size_t)X->ld;
        if (X->dtype == GP_DTYPE_F64) {
            const double *x = (const double *)X->data + at;
            for (int64_t j = 0; j < d; j++) o[j] = (float)((x[j] - mu[j]) / sc[j]);
        } else {
            /* float32 throughout (vectorized): x - mean loses nothing x's
             * own rounding has not lost already */
            const float *x = (const float *)X->data + at;
            const float *muf = c->mean_f32[which], *isf = c->inv_scale_f32[which];
            for (int64_t j = 0; j < d; j++) o[j] = (x[j] - muf[j]) * isf[j];
        }
    }
}

/* Mean, then the scale the norm asks for, of one set; float64 sums, over
 * this process's rows, reduced over the processes (nt rows in all). */
static gp_status fit_norm(struct gp_ccs *c, const gp_matrix *X, int which, const char *what,
                          const gp_comm *comm, int64_t nt) {
    int64_t n = X->rows, d = c->d;
    double *mu = c->mean[which], *sc = c->scale[which];
    memset(mu, 0, (size_t)d * sizeof *mu);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) mu[j] += elem(X, i, j);
    gp_status s = gp__comm_reduce(comm, mu, d, GP_REDUCE_SUM, GP_OK, "ccs");
    if (s != GP_OK) return s;
    for (int64_t j = 0; j < d; j++) mu[j] /= (double)nt;
    for (int64_t j = 0; j < d; j++) sc[j] = 1;
    if (c->norm == GP_CCS_NORM_CENTER) return GP_OK;
    if (c->norm == GP_CCS_NORM_BURNS) {
        double sum = 0;
        for (int64_t i = 0; i < n; i++) {
            double ss = 0;
            for (int64_t j = 0; j < d; j++) {
                double v = elem(X, i, j) - mu[j];
                ss += v * v;
            }
            sum += sqrt(ss);
        }
        if ((s = gp__comm_reduce(comm, &sum, 1, GP_REDUCE_SUM, GP_OK, "ccs")) != GP_OK) return s;
        double sd = sum / (double)nt / sqrt((double)d);
        if (!(sd > 0))
            return gp__error(GP_EINVAL, "ccs: %s: every row is the same: no spread to normalize "
                             "by (--norm burns); a constant layer carries no signal", what);
        for (int64_t j = 0; j < d; j++) sc[j] = sd;
        return GP_OK;
    }
    /* feature: per-feature std (ddof 0, as the reference's x.std(0));
     * a constant feature keeps scale 1 (it is zero after centering) */
    double *ss = gp__calloc((size_t)d, sizeof *ss);
    if (!ss) s = gp__error(GP_ENOMEM, "ccs: out of memory");
    for (int64_t i = 0; ss && i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double v = elem(X, i, j) - mu[j];
            ss[j] += v * v;
        }
    if ((s = gp__comm_reduce(comm, ss, ss ? d : 0, GP_REDUCE_SUM, s, "ccs")) != GP_OK) {
        gp__free(ss);
        return s;
    }
    for (int64_t j = 0; j < d; j++) {
        double sd = sqrt(ss[j] / (double)nt);
        sc[j] = sd > 0 ? sd : 1;
    }
    gp__free(ss);
    return GP_OK;
}

/* ------------------------------------------------------------------ */
/* Fit                                                                */
/* ------------------------------------------------------------------ */

/* A set of pairs; min_rows 0 for one process of a distributed call. */
static gp_status check_set(const gp_matrix *X, const char *what, int64_t min_rows) {
    if (!X || (!X->data && X->rows > 0)) return gp__error(GP_EINVAL, "ccs: %s is NULL", what);
    if (X->dtype != GP_DTYPE_F32 && X->dtype != GP_DTYPE_F64)
        return gp__error(GP_EDTYPE, "ccs: %s must be float32 or float64, not %s", what,
                         gp_dtype_name(X->dtype));
    if (X->rows < min_rows || X->cols < 1 || X->ld < X->cols)
        return gp__error(GP_ESHAPE, "ccs: %s has shape (%lld, %lld), ld %lld", what,
                         (long long)X->rows, (long long)X->cols, (long long)X->ld);
    return X->rows > 0 ? gp_matrix_check_finite(X, what, NULL, NULL) : GP_OK;
}

static gp_status check_pairs(const gp_matrix *pos, const gp_matrix *neg, int64_t min_rows) {
    gp_status s = check_set(pos, "POS", min_rows);
    if (s == GP_OK) s = check_set(neg, "NEG", min_rows);
    if (s != GP_OK) return s;
    if (pos->rows != neg->rows || pos->cols != neg->cols)
        return gp__error(GP_ESHAPE, "ccs: POS is (%lld, %lld) but NEG is (%lld, %lld): row i of "
                         "each must be the two completions of statement i",
                         (long long)pos->rows, (long long)pos->cols, (long long)neg->rows,
                         (long long)neg->cols);
    return GP_OK;
}

static gp_status check_opts(const gp_ccs_opts *o) {
    if ((int)o->method < 0 || o->method > GP_CCS_VINC)
        return gp__error(GP_EINVAL, "ccs: unknown method %d", (int)o->method);
    if ((int)o->norm < 0 || o->norm > GP_CCS_NORM_FEATURE)
        return gp__error(GP_EINVAL, "ccs: unknown normalization %d", (int)o->norm);
    if ((int)o->optimizer < 0 || o->optimizer > GP_CCS_ADAM)
        return gp__error(GP_EINVAL, "ccs: unknown optimizer %d", (int)o->optimizer);
    if (o->tries < 1 || o->tries > 10000)
        return gp__error(GP_EINVAL, "ccs: tries must be in 1..10000, not %d", (int)o->tries);
    if (o->optimizer == GP_CCS_ADAM && (o->epochs < 1 || o->epochs > 10000000))
        return gp__error(GP_EINVAL, "ccs: epochs must be >= 1, not %d", (int)o->epochs);
    if (!(o->lr > 0) || !isfinite(o->lr))
        return gp__error(GP_EINVAL, "ccs: lr must be > 0");
    if (!(o->weight_decay >= 0) || !isfinite(o->weight_decay))
        return gp__error(GP_EINVAL, "ccs: weight_decay must be >= 0");
    if (!(o->l2 >= 0) || !isfinite(o->l2)) return gp__error(GP_EINVAL, "ccs: l2 must be >= 0");
    if (o->max_iter < 0) return gp__error(GP_EINVAL, "ccs: max_iter must be >= 0");
    if (!(o->tol >= 0) || !isfinite(o->tol)) return gp__error(GP_EINVAL, "ccs: tol must be >= 0");
    return GP_OK;
}

static double cosine(const double *a, const double *b, int64_t d) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t j = 0; j < d; j++) {
        ab += a[j] * b[j];
        aa += a[j] * a[j];
        bb += b[j] * b[j];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

/* CCS: every try from its own start, all optimized together; the lowest
 * final loss is kept (the first on ties). */
static gp_status fit_ccs(struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                         const gp_ccs_opts *o, int64_t nt) {
    int32_t T = o->tries;
    int64_t d = c->d, nv = d + 1;
    int32_t cap = o->optimizer == GP_CCS_ADAM ? o->epochs : (o->max_iter > 0 ? o->max_iter : 1000) + 1;
    gp_status s = gp__ccs_alloc_tries(c, T, cap);
    double *theta = NULL;
    int32_t *iters = NULL;
    if (s == GP_OK) {
        theta = gp__alloc_n((size_t)T * (size_t)nv, sizeof(double));
        iters = gp__calloc((size_t)T * 2, sizeof *iters);
        if (!theta || !iters)
            s = gp__error(GP_ENOMEM, "ccs: out of memory (%d tries of %lld features)", (int)T,
                          (long long)d);
    }
    if ((s = gp__comm_reduce(o->comm, NULL, 0, GP_REDUCE_SUM, s, "ccs")) != GP_OK) {
        gp__free(theta);
        gp__free(iters);
        return s;
    }
    /* the starts depend on the seed and d only: the same on every process */
    if (o->init) {
        memcpy(theta, o->init, (size_t)T * (size_t)nv * sizeof *theta);
    } else {
        double bound = 1 / sqrt((double)d);  /* nn.Linear: kaiming_uniform(a=sqrt(5)) */
        for (int32_t t = 0; t < T; t++) {
            gp__rng r;
            gp__rng_stream(&r, o->seed, (uint64_t)t);
            for (int64_t e = 0; e < nv; e++)
                theta[t * nv + e] = (2 * gp__rng_uniform(&r) - 1) * bound;
        }
    }
    s = gp__ccs_optimize(c, pos, neg, o, nt, theta, iters);
    if (s == GP_OK) {
        int32_t best = 0;
        for (int32_t t = 1; t < T; t++)
            if (c->try_loss[t] < c->try_loss[best]) best = t;
        c->best = best;
        c->loss = c->try_loss[best];
        c->n_iter = iters[best];
        c->converged = iters[T + best];
        memcpy(c->w, theta + best * nv, (size_t)d * sizeof *c->w);
        c->b = theta[best * nv + d];
        for (int32_t a = 0; a < T; a++)
            for (int32_t b = 0; b < T; b++)
                c->try_cos[a * T + b] = cosine(theta + a * nv, theta + b * nv, d);
    }
    gp__free(theta);
    gp__free(iters);
    return s;
}

/* The CCS loss of a closed-form direction, for the report. */
static gp_status closed_form_loss(struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                                  const gp_comm *comm, int64_t nt) {
    gp__ccs_pass *ps = NULL;
    double *theta = gp__alloc_n((size_t)c->d + 1, sizeof(double));
    gp_status s = theta ? GP_OK : gp__error(GP_ENOMEM, "ccs: out of memory");
    if ((s = gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, s, "ccs")) != GP_OK) {
        gp__free(theta);
        return s;
    }
    s = gp__ccs_pass_new(c, pos, neg, 1, comm, nt, &ps);
    if (s == GP_OK) {
        int32_t act = 0;
        memcpy(theta, c->w, (size_t)c->d * sizeof *theta);
        theta[c->d] = c->b;
        s = gp__ccs_pass_eval(ps, 1, &act, theta, &c->loss, NULL, GP_OK);
    }
    if (s == GP_OK) {
        c->try_loss[0] = c->loss;
        c->try_cos[0] = 1;
        c->n_iter = 1;
    }
    gp__ccs_pass_free(ps);
    gp__free(theta);
    return s;
}

gp_status gp_ccs_fit(const gp_matrix *pos, const gp_matrix *neg, const gp_ccs_opts *o,
                     gp_ccs **out) {
    gp__clear_error();
    if (!out) return gp__error(GP_EINVAL, "ccs: out is NULL");
    *out = NULL;
    gp_ccs_opts def;
    if (!o) {
        gp_ccs_opts_init(&def);
        o = &def;
    }
    const gp_comm *comm = o->comm;
    gp_status s = gp__comm_check(comm, "ccs");
    if (s != GP_OK) return s;
    bool dist = gp__comm_active(comm);
    s = check_opts(o);
    /* distributed: a process may hold no pairs; the total must reach 2 */
    if (s == GP_OK) s = check_pairs(pos, neg, dist ? 0 : 1);
    int64_t nt = 0;
    int32_t first_rank = 0;
    s = gp__comm_rows(comm, s == GP_OK ? pos->rows : 0, s, "ccs", &nt, &first_rank);
    if (s != GP_OK) return s;
    if (dist) {
        /* every process the same d: max d and max -d in one reduction */
        double dd[2] = {(double)pos->cols, -(double)pos->cols};
        if ((s = gp__comm_reduce(comm, dd, 2, GP_REDUCE_MAX, GP_OK, "ccs")) != GP_OK) return s;
        if (dd[0] != -dd[1])
            return gp__error(GP_ESHAPE, "ccs: the processes' pairs differ in features (%.0f to "
                             "%.0f)", -dd[1], dd[0]);
    }
    if (nt < 2)
        return gp__error(GP_EINVAL, "ccs: need at least 2 contrast pairs, got %lld",
                         (long long)nt);
    struct gp_ccs *c = gp__ccs_new(pos->cols);
    if ((s = gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, c ? GP_OK : GP_ENOMEM, "ccs")) != GP_OK) {
        gp_ccs_free(c);
        return s;
    }
    c->method = o->method;
    c->norm = o->norm;
    /* from here every failure is agreed inside the step that meets it, so
     * all processes leave together */
    s = fit_norm(c, pos, 0, "POS", comm, nt);
    if (s == GP_OK) s = fit_norm(c, neg, 1, "NEG", comm, nt);
    if (s == GP_OK) gp__ccs_norm_sync(c);
    if (s == GP_OK) {
        if (o->method == GP_CCS_CCS) {
            s = fit_ccs(c, pos, neg, o, nt);
        } else {
            s = gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, gp__ccs_alloc_tries(c, 1, 0), "ccs");
            if (s == GP_OK)
                s = o->method == GP_CCS_CRC ? gp__crc_fit(c, pos, neg, comm)
                                            : gp__vinc_fit(c, pos, neg, o, nt);
            /* a failure after the closed form's last reduction (its
             * eigensolver's workspace, PCA's result) is agreed here */
            s = gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, s, "ccs");
            if (s == GP_OK) s = closed_form_loss(c, pos, neg, comm, nt);
        }
    }
    if (s != GP_OK) {
        gp_ccs_free(c);
        return s;
    }
    *out = c;
    return GP_OK;
}

/* ------------------------------------------------------------------ */
/* Credence, calibration                                              */
/* ------------------------------------------------------------------ */

static double sigmoid(double z) {
    if (z >= 0) return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

static gp_status check_apply(const gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                             int64_t min_rows) {
    if (!c) return gp__error(GP_EINVAL, "ccs: probe is NULL");
    gp_status s = check_pairs(pos, neg, min_rows);
    if (s != GP_OK) return s;
    if (pos->cols != c->d)
        return gp__error(GP_ESHAPE, "ccs: the pairs have %lld features but the probe was fit on "
                         "%lld", (long long)pos->cols, (long long)c->d);
    return GP_OK;
}

/* z of row i of X under set `which`'s normalization, in float64. */
static double z_of(const gp_ccs *c, const gp_matrix *X, int which, int64_t i) {
    const double *mu = c->mean[which], *sc = c->scale[which];
    double z = c->b;
    for (int64_t j = 0; j < c->d; j++) z += c->w[j] * (elem(X, i, j) - mu[j]) / sc[j];
    return z;
}

/* The credence's logit, and p+ and p-. CRC/VINC's credence is
 * sigmoid(z+ - z-); CCS's is (p+ + 1 - p-) / 2, whose logit we take
 * clipped away from 0 and 1. */
static double pair_logit(const gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg, int64_t i,
                         double *pp, double *pn) {
    double zp = z_of(c, pos, 0, i), zn = z_of(c, neg, 1, i);
    *pp = sigmoid(zp);
    *pn = sigmoid(zn);
    if (c->method != GP_CCS_CCS) return zp - zn;
    double q = 0.5 * (*pp + 1 - *pn);
    q = GP_MIN(GP_MAX(q, 1e-12), 1 - 1e-12);
    return log(q / (1 - q));
}

gp_status gp_ccs_credence(const gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                          double *p_pos, double *p_neg, double *credence) {
    gp__clear_error();
    gp_status s = check_apply(c, pos, neg, 1);
    if (s != GP_OK) return s;
    for (int64_t i = 0; i < pos->rows; i++) {
        double pp, pn, l = pair_logit(c, pos, neg, i, &pp, &pn);
        if (p_pos) p_pos[i] = pp;
        if (p_neg) p_neg[i] = pn;
        if (credence) credence[i] = c->method == GP_CCS_CCS ? 0.5 * (pp + 1 - pn) : sigmoid(l);
    }
    return GP_OK;
}

gp_status gp_ccs_predict_proba(const gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                               double *proba) {
    gp__clear_error();
    gp_status s = check_apply(c, pos, neg, 1);
    if (s != GP_OK) return s;
    if (!proba) return gp__error(GP_EINVAL, "ccs: proba is NULL");
    for (int64_t i = 0; i < pos->rows; i++) {
        double pp, pn, l = pair_logit(c, pos, neg, i, &pp, &pn);
        if (c->sign == 0)
            proba[i] = c->method == GP_CCS_CCS ? 0.5 * (pp + 1 - pn) : sigmoid(l);
        else
            proba[i] = sigmoid(c->platt_a * l + c->platt_c);
    }
    return GP_OK;
}

/* Platt: maximize sum y log s + (1 - y) log(1 - s), s = sigmoid(a x + c),
 * by Newton on (a, c). A small ridge on a (1e-3 against a sum over the
 * pairs) keeps the fit finite when the calibration pairs are separable,
 * where the unpenalized a grows without bound and c drifts, moving the
 * threshold off the credence's own 0.5; elsewhere it changes a by ~1e-5. */
static gp_status platt_fit(const double *x, const int32_t *y, int64_t n, const gp_comm *comm,
                           double *a_out, double *c_out) {
    double a = 0, c = 0;
    const double ridge = 1e-3;
    /* distributed: the sums over the pairs are reduced each step (the
     * ridge counted once, by rank 0), so every process steps alike */
    bool lead = !gp__comm_active(comm) || comm->rank == 0;
    for (int it = 0; it < 100; it++) {
        double g[5] = {lead ? -ridge * a : 0, 0, lead ? ridge : 0, 0, 0};
        for (int64_t i = 0; i < n; i++) {
            double s = sigmoid(a * x[i] + c), r = (y[i] ? 1.0 : 0.0) - s, v = s * (1 - s);
            g[0] += r * x[i];
            g[1] += r;
            g[2] += v * x[i] * x[i];
            g[3] += v * x[i];
            g[4] += v;
        }
        gp_status st = gp__comm_reduce(comm, g, 5, GP_REDUCE_SUM, GP_OK, "ccs calibrate");
        if (st != GP_OK) return st;
        double ga = g[0], gc = g[1], haa = g[2], hac = g[3], hcc = g[4];
        double det = haa * hcc - hac * hac;
        if (!(det > 1e-300)) break;
        double da = (hcc * ga - hac * gc) / det, dc = (haa * gc - hac * ga) / det;
        a += da;
        c += dc;
        if (fabs(da) <= 1e-12 * (1 + fabs(a)) && fabs(dc) <= 1e-12 * (1 + fabs(c))) break;
    }
    *a_out = a;
    *c_out = c;
    return GP_OK;
}

gp_status gp_ccs_calibrate(gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                           const int32_t *y) {
    return gp_ccs_calibrate_comm(c, pos, neg, y, NULL);
}

gp_status gp_ccs_calibrate_comm(gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                                const int32_t *y, const gp_comm *comm) {
    gp__clear_error();
    gp_status s = gp__comm_check(comm, "ccs calibrate");
    if (s != GP_OK) return s;
    bool dist = gp__comm_active(comm);
    s = check_apply(c, pos, neg, dist ? 0 : 1);
    if (s == GP_OK && !y && pos->rows > 0)
        s = gp__error(GP_EINVAL, "ccs calibrate: labels are NULL");
    int64_t n = s == GP_OK ? pos->rows : 0, ones = 0;
    for (int64_t i = 0; s == GP_OK && i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            s = gp__error(GP_EINVAL, "ccs calibrate: label %d of pair %lld is not 0 or 1",
                          (int)y[i], (long long)i);
        else ones += y[i];
    }
    double *x = s == GP_OK ? gp__alloc_n((size_t)GP_MAX(n, 1), sizeof(double)) : NULL;
    if (s == GP_OK && !x) s = gp__error(GP_ENOMEM, "ccs calibrate: out of memory");
    /* every process's counts, and whether all got this far */
    double cnt[2] = {(double)n, (double)ones};
    if ((s = gp__comm_reduce(comm, cnt, 2, GP_REDUCE_SUM, s, "ccs calibrate")) != GP_OK) {
        gp__free(x);
        return s;
    }
    if (cnt[1] == 0 || cnt[1] == cnt[0]) {
        gp__free(x);
        return gp__error(GP_EINVAL, "ccs calibrate: the %.0f calibration pairs are all %s: need "
                         "both true and false ones to fix the sign", cnt[0],
                         cnt[1] > 0 ? "true" : "false");
    }
    for (int64_t i = 0; i < n; i++) {
        double pp, pn;
        x[i] = pair_logit(c, pos, neg, i, &pp, &pn);
    }
    double a, off;
    s = platt_fit(x, y, n, comm, &a, &off);
    gp__free(x);
    if (s != GP_OK) return s;
    if (!isfinite(a) || !isfinite(off))
        return gp__error(GP_ENOCONVERGE, "ccs calibrate: the Platt fit diverged");
    if (a < 0) {
        for (int64_t j = 0; j < c->d; j++) c->w[j] = -c->w[j];
        c->b = -c->b;
        a = -a;
        c->sign = c->sign == 0 ? -1 : -c->sign;  /* net flip from the fit's direction */
    } else if (c->sign == 0) {
        c->sign = 1;
    }
    c->platt_a = a;
    c->platt_c = off;
    return GP_OK;
}

gp_status gp_ccs_transform(const gp_ccs *c, const gp_matrix *X, int which, float *out,
                           int64_t ldo) {
    gp__clear_error();
    if (!c || !out) return gp__error(GP_EINVAL, "ccs transform: NULL argument");
    if (which != 0 && which != 1)
        return gp__error(GP_EINVAL, "ccs transform: which must be 0 (POS) or 1 (NEG)");
    gp_status s = check_set(X, which ? "NEG" : "POS", 1);
    if (s != GP_OK) return s;
    if (X->cols != c->d)
        return gp__error(GP_ESHAPE, "ccs transform: %lld features, the probe has %lld",
                         (long long)X->cols, (long long)c->d);
    if (ldo < c->d) return gp__error(GP_EINVAL, "ccs transform: ldo < d");
    gp__ccs_normalize_rows(c, X, which, 0, X->rows, out, ldo);
    return GP_OK;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                          */
/* ------------------------------------------------------------------ */

gp_ccs_method gp_ccs_get_method(const gp_ccs *c) { return c ? c->method : GP_CCS_CCS; }
gp_ccs_norm gp_ccs_get_norm(const gp_ccs *c) { return c ? c->norm : GP_CCS_NORM_BURNS; }
int64_t gp_ccs_n_features(const gp_ccs *c) { return c ? c->d : 0; }
const double *gp_ccs_weight(const gp_ccs *c) { return c ? c->w : NULL; }
double gp_ccs_bias(const gp_ccs *c) { return c ? c->b : 0; }
const double *gp_ccs_mean(const gp_ccs *c, int which) {
    return c && (which == 0 || which == 1) ? c->mean[which] : NULL;
}
const double *gp_ccs_scale(const gp_ccs *c, int which) {
    return c && (which == 0 || which == 1) ? c->scale[which] : NULL;
}
int32_t gp_ccs_tries(const gp_ccs *c) { return c ? c->tries : 0; }
const double *gp_ccs_try_losses(const gp_ccs *c) { return c ? c->try_loss : NULL; }
const double *gp_ccs_try_cosines(const gp_ccs *c) { return c ? c->try_cos : NULL; }
int32_t gp_ccs_best_try(const gp_ccs *c) { return c ? c->best : 0; }
double gp_ccs_loss(const gp_ccs *c) { return c ? c->loss : 0; }
int32_t gp_ccs_n_iter(const gp_ccs *c) { return c ? c->n_iter : 0; }
int32_t gp_ccs_converged(const gp_ccs *c) { return c ? c->converged : 0; }
int32_t gp_ccs_sign(const gp_ccs *c) { return c ? c->sign : 0; }
void gp_ccs_platt(const gp_ccs *c, double *a, double *offset) {
    if (a) *a = c ? c->platt_a : 1;
    if (offset) *offset = c ? c->platt_c : 0;
}
const double *gp_ccs_trace(const gp_ccs *c, int32_t t, int32_t *len) {
    if (len) *len = 0;
    if (!c || !c->trace || t < 0 || t >= c->tries) return NULL;
    if (len) *len = c->trace_len[t];
    return c->trace + (size_t)t * (size_t)c->trace_cap;
}
