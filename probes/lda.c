/* lda.c — linear discriminant analysis (shared covariance, k classes).
 *
 * Precision: the class means, scatter, Ledoit-Wolf shrinkage and the
 * refined Cholesky solve come from scatter.c (see its header): the
 * coefficients match a float64 computation to about 1e-12, 1e-9 with
 * Ledoit-Wolf, whose coefficient sees the float32 off-diagonals.
 *
 * LDA matches sklearn's LinearDiscriminantAnalysis(solver='lsqr'): priors
 * are the class frequencies, coef_c = Sigma^-1 mu_c, intercept_c =
 * -mu_c.coef_c / 2 + log prior_c, and two classes reduce to one output
 * (class 1 minus class 0). o->shrinkage in [0, 1] is sklearn's float
 * shrinkage, 0 is shrinkage=None, < 0 is 'auto' (see lda_covariance).
 * o->fit_intercept and class weights do not apply (the intercept is part
 * of the discriminant). Without shrinkage a singular covariance gets a
 * minimum-norm solution (pinv_solve), where sklearn's lstsq answer is
 * itself mostly rounding noise; with constant columns and otherwise full
 * rank both give those columns weight 0 and agree. */
#include "probe_internal.h"
#include "linalg.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Below this fraction of the top eigenvalue of the correlation-scaled
 * covariance an eigenvalue is rounding (the float32 products leave about
 * 1e-7 relative per entry), not variance: the pseudo-inverse drops it. */
#define PINV_RCOND 1e-6

/* Minimum-norm solve of Sigma X = B (in the metric of the correlation-
 * scaled Sigma, so feature scales do not decide what is dropped) when
 * Sigma is singular: no shrinkage and fewer rows than features, or
 * collinear features. Sigma (d, d) is destroyed. */
static gp_status pinv_solve(double *Sig, int64_t d, double *B, int64_t nrhs) {
    size_t D = (size_t)d;
    double *dsc = gp__alloc_n(D, sizeof *dsc), *w = gp__alloc_n(D, sizeof *w);
    double *Z = gp__alloc_n(D, D * sizeof *Z), *t = gp__alloc_n(D, sizeof *t);
    gp_status s = GP_OK;
    if (!dsc || !w || !Z || !t) {
        s = gp__error(GP_ENOMEM, "lda: out of memory for the pseudo-inverse");
        goto done;
    }
    for (size_t j = 0; j < D; j++) dsc[j] = Sig[j * D + j] > 0 ? 1 / sqrt(Sig[j * D + j]) : 0;
    for (size_t i = 0; i < D; i++)
        for (size_t j = 0; j < D; j++) Sig[i * D + j] *= dsc[i] * dsc[j];
    if ((s = gp__eigh_top(Sig, d, d, w, Z)) != GP_OK) {
        gp__error_prefix("lda");
        goto done;
    }
    double cut = PINV_RCOND * w[0];
    for (int64_t r = 0; r < nrhs; r++) {
        double *b = B + (size_t)r * D;
        memset(t, 0, D * sizeof *t);
        for (size_t e = 0; e < D && w[e] > cut; e++) {
            const double *z = Z + e * D;
            double c = 0;
            for (size_t j = 0; j < D; j++) c += z[j] * b[j] * dsc[j];
            c /= w[e];
            for (size_t j = 0; j < D; j++) t[j] += c * z[j];
        }
        for (size_t j = 0; j < D; j++) b[j] = t[j] * dsc[j];
    }
done:
    gp__free(dsc);
    gp__free(w);
    gp__free(Z);
    gp__free(t);
    return s;
}

/* The shared covariance sklearn's LinearDiscriminantAnalysis(solver='lsqr')
 * builds: sum_c prior_c * Sigma_c with Sigma_c the class's empirical
 * covariance (divisor n_c), shrunk per class. Fixed shrinkage s is linear,
 * so it is applied once to the pooled scatter / n. Ledoit-Wolf ('auto')
 * follows sklearn exactly: each class standardized (StandardScaler, near-
 * constant features keep scale 1), its own LW coefficient s_c, rescaled:
 * Sigma_c = (1 - s_c) S_c + s_c mu_c diag(sd_c^2), mu_c = tr(R_c) / d. */
static gp_status lda_covariance(const gp_matrix *X, const int32_t *y, int32_t k,
                                const double *mu, const int64_t *cnt, size_t n, double big,
                                const gp_probe_opts *o, double *Sig, double *coef, double *dg) {
    size_t nl = (size_t)X->rows, d = (size_t)X->cols;
    if (o->shrinkage >= 0) {
        gp_status s = gp__scatter(X, y, -1, mu, NULL, big, o, "lda", Sig, NULL);
        if (s != GP_OK) return s;
        double sh = o->shrinkage, tr = 0;
        for (size_t j = 0; j < d; j++) tr += Sig[j * d + j] / (double)n;
        for (size_t i = 0; i < d * d; i++) Sig[i] *= (1 - sh) / (double)n;
        for (size_t j = 0; j < d; j++) Sig[j * d + j] += sh * tr / (double)d;
        for (int32_t c = 0; c < k; c++) coef[c] = (1 - sh) / (double)n;
        for (size_t j = 0; j < d; j++) dg[j] = sh * tr / (double)d;
        return GP_OK;
    }
    double *S = gp__alloc_n(d, d * sizeof *S), *isd = gp__alloc_n(d, sizeof *isd);
    double *row = gp__alloc_n(d, sizeof *row), *var = gp__alloc_n(d, sizeof *var);
    gp_status s = GP_OK;
    if (!S || !isd || !row || !var) {
        s = gp__agree(o->comm, gp__error(GP_ENOMEM, "lda: out of memory for the %zu x %zu "
                                         "covariance", d, d), "lda");
        goto done;
    }
    memset(Sig, 0, d * d * sizeof *Sig);
    memset(dg, 0, d * sizeof *dg);
    for (int32_t c = 0; c < k; c++) {
        const double *m = mu + (size_t)c * d;
        double nc = (double)cnt[c];
        /* StandardScaler's variance (ddof 0) in float64, two-pass */
        memset(var, 0, d * sizeof *var);
        for (size_t i = 0; i < nl; i++) {
            if (y[i] == c) {
                gp__row_f64(X, i, 0, d, row);
                for (size_t j = 0; j < d; j++) var[j] += (row[j] - m[j]) * (row[j] - m[j]);
            }
            gp__release_after_row(X, (int64_t)i);
        }
        if ((s = gp__comm_reduce(o->comm, var, (int64_t)d, GP_REDUCE_SUM, GP_OK, "lda")) != GP_OK)
            goto done;
        for (size_t j = 0; j < d; j++) {
            double v = var[j] / nc, e = nc * m[j] * DBL_EPSILON;
            /* sklearn's _is_constant_feature: the variance is within the
             * two-pass algorithm's rounding of zero */
            isd[j] = v <= nc * DBL_EPSILON * v + e * e ? 1.0 : 1.0 / sqrt(v);
        }
        double r4 = 0;
        if ((s = gp__scatter(X, y, c, mu, isd, big, o, "lda", S, &r4)) != GP_OK) goto done;
        for (size_t i = 0; i < d * d; i++) S[i] /= nc;
        double sc = gp__ledoit_wolf(S, isd, (int64_t)d, nc, r4), trR = 0;
        for (size_t j = 0; j < d; j++) trR += S[j * d + j] * isd[j] * isd[j];
        double pc = nc / (double)n, muR = trR / (double)d;
        for (size_t i = 0; i < d * d; i++) Sig[i] += pc * (1 - sc) * S[i];
        for (size_t j = 0; j < d; j++) dg[j] += pc * sc * muR / (isd[j] * isd[j]);
        coef[c] = pc * (1 - sc) / nc;
    }
    for (size_t j = 0; j < d; j++) Sig[j * d + j] += dg[j];
done:
    gp__free(S);
    gp__free(isd);
    gp__free(row);
    gp__free(var);
    return s;
}

/* Sigma V for the refinement: sum_i coef[y_i] xc_i xc_i^T V + diag(dg) V. */
typedef struct lda_op {
    const gp_matrix *X;
    const int32_t   *y;
    const double    *mu, *coef, *dg;
    const gp_comm   *comm;
} lda_op;

static gp_status lda_apply(void *ctx, const double *V, int64_t nrhs, double *U) {
    const lda_op *c = ctx;
    return gp__scatter_apply(c->X, c->y, c->mu, c->coef, c->dg, V, nrhs, U, c->comm, "lda");
}

gp_status gp__lda_fit(const gp_matrix *X, const int32_t *y, int32_t k, const gp_probe_opts *o,
                      struct gp_probe *p) {
    size_t n = 0, d = (size_t)X->cols, K = (size_t)k;
    size_t nout = k == 2 ? 1 : K;
    double *mu = gp__alloc_n(K, d * sizeof *mu), *Sig = gp__alloc_n(d, d * sizeof *Sig);
    double *keep = o->shrinkage == 0 ? gp__alloc_n(d, d * sizeof *keep) : NULL;
    int64_t *cnt = gp__alloc_n(K, sizeof *cnt);
    double *rhs = gp__alloc_n(nout, d * sizeof *rhs);
    double *coef = gp__alloc_n(K, sizeof *coef), *dg = gp__alloc_n(d, sizeof *dg);
    p->n_outputs = (int32_t)nout;
    p->weight = gp__alloc_n(nout, d * sizeof *p->weight);
    p->bias = gp__alloc_n(nout, sizeof *p->bias);
    gp_status s = GP_OK;
    double big = 0;
    if (!mu || !Sig || (o->shrinkage == 0 && !keep) || !cnt || !rhs || !coef || !dg ||
        !p->weight || !p->bias) {
        s = gp__agree(o->comm, gp__error(GP_ENOMEM, "lda: out of memory (%zu features, %zu "
                                         "classes)", d, K), "lda");
        goto done;
    }
    if ((s = gp__class_means(X, y, k, o->comm, "lda", mu, cnt, &big)) != GP_OK) goto done;
    for (size_t c = 0; c < K; c++) n += (size_t)cnt[c]; /* every process's rows */
    if ((s = lda_covariance(X, y, k, mu, cnt, n, big, o, Sig, coef, dg)) != GP_OK) goto done;
    /* Binary: sklearn keeps coef_[1] - coef_[0] = Sigma^-1 (mu_1 - mu_0);
     * solving for the difference directly avoids cancelling two large
     * Sigma^-1 mu_c when the activations sit far from the origin. */
    for (size_t r = 0; r < nout; r++)
        for (size_t j = 0; j < d; j++)
            rhs[r * d + j] = k == 2 ? mu[d + j] - mu[j] : mu[r * d + j];
    if (keep) memcpy(keep, Sig, d * d * sizeof *keep);
    bool singular = false;
    lda_op op = {X, y, mu, coef, dg, o->comm};
    memcpy(p->weight, rhs, nout * d * sizeof *rhs);
    if ((s = gp__spd_solve(Sig, (int64_t)d, p->weight, (int64_t)nout, lda_apply, &op, o->comm,
                           "lda", &singular)) != GP_OK)
        goto done;
    if (singular && !keep) {
        s = gp__agree(o->comm, gp__error(GP_ELAPACK, "lda: the shrunk within-class covariance "
                                         "is singular (every feature constant within its "
                                         "class?)"), "lda");
        goto done;
    }
    if (singular) {
        /* No shrinkage and a singular covariance (d >= n - k, constant or
         * collinear features): the minimum-norm solution, as sklearn's
         * lstsq gives, in the correlation metric (see pinv_solve). */
        memcpy(p->weight, rhs, nout * d * sizeof *rhs);
        if ((s = gp__agree(o->comm, pinv_solve(keep, (int64_t)d, p->weight, (int64_t)nout),
                           "lda")) != GP_OK)
            goto done;
    }
    /* Intercepts: -mu_c . coef_c / 2 + log prior_c; binary, their
     * difference: -(mu_0 + mu_1) . w / 2 + log(prior_1 / prior_0). */
    for (size_t r = 0; r < nout; r++) {
        const double *w = p->weight + r * d;
        double q = 0;
        for (size_t j = 0; j < d; j++)
            q += w[j] * (k == 2 ? mu[j] + mu[d + j] : mu[r * d + j]);
        p->bias[r] = -0.5 * q + (k == 2 ? log((double)cnt[1] / (double)cnt[0])
                                        : log((double)cnt[r] / (double)n));
    }
    for (size_t i = 0; i < nout * d; i++)
        if (!isfinite(p->weight[i])) {
            s = gp__agree(o->comm, gp__error(GP_ENAN, "lda: coefficients are not finite "
                                             "(values too large for float64 products?)"),
                          "lda");
            goto done;
        }
done:
    gp__free(mu);
    gp__free(Sig);
    gp__free(keep);
    gp__free(cnt);
    gp__free(rhs);
    gp__free(coef);
    gp__free(dg);
    return s;
}
