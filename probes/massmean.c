/* massmean.c — the mass-mean probe of Marks & Tegmark, "The Geometry of
 * Truth" (2023): direction w = mu_1 - mu_0, the difference of the class
 * means, and its "IID" variant w = Sigma^-1 (mu_1 - mu_0) with Sigma the
 * pooled within-class covariance (divisor n - 2), shrunk toward a multiple
 * of the identity so it is invertible when features outnumber rows:
 *     Sigma = (1 - s) Sigma_w + s (tr(Sigma_w) / d) I,
 * s = o->shrinkage in [0, 1], or Ledoit-Wolf's estimate when it is < 0
 * (sklearn.covariance.ledoit_wolf_shrinkage of the class-centered rows).
 *
 * Threshold: the bias puts the decision boundary w.x + b = 0 halfway
 * between the two projected class means, b = -w.(mu_0 + mu_1)/2. That is
 * the Bayes threshold for two equal-variance classes along w with equal
 * priors; it ignores class frequencies on purpose, so a rare class is not
 * swallowed by the threshold (the paper's probe has no bias at all: with
 * o->fit_intercept == 0, b = 0). Class 1 is the positive side.
 *
 * Probabilities are sigmoid(w.x + b) with w at its raw scale: for the plain
 * probe that is the paper's probe, not a calibrated one.
 *
 * Precision: means in float64; the IID scatter from scatter.c (float32 BLAS
 * over row blocks, float64 accumulation), solved by Cholesky in float64
 * and refined against the exact float64 scatter (gp__spd_solve). */
#include "probe_internal.h"

#include <math.h>

/* Sigma V for the refinement: a * scatter V + c V. */
typedef struct iid_op {
    const gp_matrix *X;
    const int32_t   *y;
    const double    *mu, *dg;
    double           coef[2];
    const gp_comm   *comm;
} iid_op;

static gp_status iid_apply(void *ctx, const double *V, int64_t nrhs, double *U) {
    const iid_op *c = ctx;
    return gp__scatter_apply(c->X, c->y, c->mu, c->coef, c->dg, V, nrhs, U, c->comm,
                             "massmean-iid");
}

/* w = Sigma^-1 w (in place) with Sigma as in the header comment. */
static gp_status iid_direction(const gp_matrix *X, const int32_t *y, const double *mu,
                               double big, size_t n, const gp_probe_opts *o, double *w) {
    static const char fn[] = "massmean-iid";
    size_t d = (size_t)X->cols;
    double *S = gp__alloc_n(d, d * sizeof *S), *dg = gp__alloc_n(d, sizeof *dg);
    gp_status s = GP_OK;
    if (!S || !dg) {
        s = gp__agree(o->comm, gp__error(GP_ENOMEM, "%s: out of memory for the %zu x %zu "
                                         "covariance", fn, d, d), fn);
        goto done;
    }
    double r4 = 0;
    s = gp__scatter(X, y, -1, mu, NULL, big, o, fn, S, o->shrinkage < 0 ? &r4 : NULL);
    if (s != GP_OK) goto done;
    double sh = o->shrinkage;
    if (sh < 0) {
        /* ledoit_wolf on the class-centered rows: their column means are
         * zero, so its empirical covariance is scatter / n */
        for (size_t i = 0; i < d * d; i++) S[i] /= (double)n;
        sh = gp__ledoit_wolf(S, NULL, (int64_t)d, (double)n, r4);
        for (size_t i = 0; i < d * d; i++) S[i] *= (double)n;
    }
    double tr = 0, a = (1 - sh) / (double)(n - 2);
    for (size_t j = 0; j < d; j++) tr += S[j * d + j] / (double)(n - 2);
    for (size_t i = 0; i < d * d; i++) S[i] *= a;
    for (size_t j = 0; j < d; j++) {
        dg[j] = sh * tr / (double)d;
        S[j * d + j] += dg[j];
    }
    iid_op op = {X, y, mu, dg, {a, a}, o->comm};
    bool singular = false;
    if ((s = gp__spd_solve(S, (int64_t)d, w, 1, iid_apply, &op, o->comm, fn, &singular)) != GP_OK)
        goto done;
    if (singular)
        s = gp__agree(o->comm, gp__error(GP_ELAPACK, "%s: the within-class covariance is "
                                         "singular (constant or collinear features, or d >= "
                                         "n - 1) at shrinkage %g; use shrinkage > 0, or < 0 "
                                         "for Ledoit-Wolf", fn, sh), fn);
done:
    gp__free(S);
    gp__free(dg);
    return s;
}

gp_status gp__massmean_fit(const gp_matrix *X, const int32_t *y, int32_t k, bool iid,
                           const gp_probe_opts *o, struct gp_probe *p) {
    const char *fn = iid ? "massmean-iid" : "massmean";
    if (k != 2)
        return gp__error(GP_EINVAL, "%s: binary labels only (got %d classes); use lda", fn, (int)k);
    size_t d = (size_t)X->cols;
    double *mu = gp__alloc_n(2, d * sizeof *mu);
    int64_t cnt[2];
    p->n_outputs = 1;
    p->weight = gp__alloc_n(d, sizeof *p->weight);
    p->bias = gp__alloc_n(1, sizeof *p->bias);
    gp_status s = GP_OK;
    if (!mu || !p->weight || !p->bias) {
        s = gp__agree(o->comm, gp__error(GP_ENOMEM, "%s: out of memory (%zu features)", fn, d), fn);
        goto done;
    }
    double big = 0;
    if ((s = gp__class_means(X, y, 2, o->comm, fn, mu, cnt, &big)) != GP_OK) goto done;
    double *w = p->weight;
    for (size_t j = 0; j < d; j++) w[j] = mu[d + j] - mu[j];
    if (iid && (s = iid_direction(X, y, mu, big, (size_t)(cnt[0] + cnt[1]), o, w)) != GP_OK)
        goto done;
    double q = 0;
    for (size_t j = 0; j < d; j++) q += w[j] * (mu[j] + mu[d + j]);
    p->bias[0] = o->fit_intercept ? -0.5 * q : 0.0;
    for (size_t j = 0; j < d; j++)
        if (!isfinite(w[j])) {
            s = gp__agree(o->comm, gp__error(GP_ENAN, "%s: direction is not finite (values "
                                             "too large for float64 products?)", fn), fn);
            goto done;
        }
done:
    gp__free(mu);
    return s;
}
