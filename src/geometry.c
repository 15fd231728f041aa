/* geometry.c — cosine matrices, linear CKA (biased and debiased) and class
 * separation statistics.
 *
 * CKA streams the data: one pass for the column means, one pass of centered
 * float32 blocks through BLAS, each block product added into float64
 * accumulators. The float32 block rounding costs about 1e-7 relative per
 * block product; adding blocks in float64 keeps it from growing with n. */
#include "gp_internal.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* Rows (feature form) or columns (Gram form) per BLAS block. Smaller
 * blocks round less in float32; larger ones amortize the float64 add of
 * the block product (about 30% of the time at 512 rows, d = 2048). At
 * n = 20000, d = 1024 every block size up to 2048 kept CKA within 6e-8 of
 * float64 numpy. */
#define BLOCK_SMALL 256
#define BLOCK_LARGE 1024

/* Cap on the Fisher ratio: its value when within_std is at the rounding
 * level (1e-15 relative) of mean_distance. Reports carry no Inf. */
#define FISHER_CAP 1e30

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static void *alloc_zero(size_t count, size_t size) { return gp__calloc(count, size); }

/* Shape, dtype and finiteness of a float input; errors name fn and arg. */
static gp_status check_input(const gp_matrix *X, const char *fn, const char *arg) {
    if (!X) return gp__error(GP_EINVAL, "%s: %s is NULL", fn, arg);
    if (X->dtype != GP_DTYPE_F32 && X->dtype != GP_DTYPE_F64)
        return gp__error(GP_EDTYPE, "%s: %s has dtype %s; need float32 or float64", fn, arg,
                         gp__dtype_is_valid(X->dtype) ? gp_dtype_name(X->dtype) : "(unknown)");
    if (X->rows <= 0 || X->cols <= 0)
        return gp__error(GP_ESHAPE, "%s: %s has shape (%lld, %lld); need at least one row "
                         "and one column", fn, arg, (long long)X->rows, (long long)X->cols);
    if (X->ld < X->cols)
        return gp__error(GP_ESHAPE, "%s: %s has ld %lld < cols %lld", fn, arg,
                         (long long)X->ld, (long long)X->cols);
    if (X->cols > INT_MAX)
        return gp__error(GP_ESHAPE, "%s: %s has %lld columns, more than BLAS takes", fn, arg,
                         (long long)X->cols);
    if (!X->data) return gp__error(GP_EINVAL, "%s: %s data is NULL", fn, arg);
    char what[96];
    snprintf(what, sizeof what, "%s: %s", fn, arg);
    return gp_matrix_check_finite(X, what, NULL, NULL);
}

static double elem(const gp_matrix *X, const void *row, int64_t j) {
    return X->dtype == GP_DTYPE_F32 ? (double)((const float *)row)[j]
                                    : ((const double *)row)[j];
}

static void row_f64(const gp_matrix *X, int64_t i, double *dst) {
    gp__convert_to_f64(X->dtype, gp__row(X, i), false, (size_t)X->cols, dst);
}

static gp_status oom(const char *fn) { return gp__error(GP_ENOMEM, "%s: out of memory", fn); }

/* ------------------------------------------------------------------ */
/* Cosine matrix                                                      */
/* ------------------------------------------------------------------ */

gp_status gp_cosine_matrix(const gp_matrix *A, double *out) {
    static const char fn[] = "cosine";
    gp__clear_error();
    gp_status s = check_input(A, fn, "A");
    if (s != GP_OK) return s;
    if (!out) return gp__error(GP_EINVAL, "%s: out is NULL", fn);
    if (A->rows > INT_MAX)
        return gp__error(GP_ESHAPE, "%s: A has %lld rows, more than BLAS takes", fn,
                         (long long)A->rows);
    size_t m = (size_t)A->rows, d = (size_t)A->cols;
    double *U = gp__alloc_n(m, d * sizeof *U);
    unsigned char *zero = gp__alloc_n(m, 1);
    if (!U || !zero) {
        gp__free(U);
        gp__free(zero);
        return oom(fn);
    }
    /* Normalize first, dividing by the max |a| before squaring, so float64
     * inputs near DBL_MAX neither overflow nor lose the small rows. */
    for (size_t i = 0; i < m; i++) {
        double *u = U + i * d;
        row_f64(A, (int64_t)i, u);
        double big = 0;
        for (size_t j = 0; j < d; j++) big = GP_MAX(big, fabs(u[j]));
        zero[i] = big == 0;
        if (zero[i]) continue;
        double sq = 0;
        for (size_t j = 0; j < d; j++) {
            u[j] /= big;
            sq += u[j] * u[j];
        }
        double inv = 1.0 / sqrt(sq);
        for (size_t j = 0; j < d; j++) u[j] *= inv;
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)m, (int)d, 1.0, U, (int)d, 0.0,
                out, (int)m);
    /* Mirror so the result is exactly symmetric; the diagonal is set, not
     * computed, so it is exactly 1 (or 0 for a zero row). */
    for (size_t i = 0; i < m; i++) {
        out[i * m + i] = zero[i] ? 0.0 : 1.0;
        for (size_t j = i + 1; j < m; j++) {
            double c = out[i * m + j];
            c = c > 1 ? 1 : (c < -1 ? -1 : c);
            out[i * m + j] = out[j * m + i] = c;
        }
    }
    gp__free(U);
    gp__free(zero);
    return GP_OK;
}

/* ------------------------------------------------------------------ */
/* CKA                                                                */
/* ------------------------------------------------------------------ */

/* Column means (float64), a power-of-two scale and whether every row
 * equals the first. The scale brings max|x - mean| below 1: CKA is
 * scale-invariant, a power of two scales exactly, and it keeps float32
 * products of huge activations from overflowing. Constancy is tested on
 * the raw values, not on the centered ones, because the float64 mean of
 * identical float64 values can be off by an ulp and leave rounding noise
 * that would otherwise pass for signal. */
typedef struct centering {
    double *mu;
    double  scale;
    bool    constant;
} centering;

/* Column sums, maxima and minima over this process's rows, then (comm)
 * over every process: ntot rows in all. */
static gp_status center_stats(const gp_matrix *X, const char *fn, const gp_comm *comm,
                              int64_t ntot, centering *c) {
    size_t n = (size_t)X->rows, d = (size_t)X->cols;
    c->mu = alloc_zero(d, sizeof *c->mu);
    double *hi = gp__alloc_n(2 * d + 1, sizeof *hi), *nlo = hi + d; /* max, -min, big */
    if (!c->mu || !hi) {
        gp__free(hi);
        return gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, oom(fn), fn);
    }
    for (size_t j = 0; j < 2 * d; j++) hi[j] = -HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        const void *r = gp__row(X, (int64_t)i);
        for (size_t j = 0; j < d; j++) {
            double v = elem(X, r, (int64_t)j);
            c->mu[j] += v;
            hi[j] = GP_MAX(hi[j], v);
            nlo[j] = GP_MAX(nlo[j], -v);
        }
        gp__release_after_row(X, (int64_t)i);
    }
    gp_status s = gp__comm_reduce(comm, c->mu, (int64_t)d, GP_REDUCE_SUM, GP_OK, fn);
    if (s == GP_OK) s = gp__comm_reduce(comm, hi, 2 * (int64_t)d, GP_REDUCE_MAX, GP_OK, fn);
    if (s != GP_OK) {
        gp__free(hi);
        return s;
    }
    double big = 0;
    c->constant = true;
    for (size_t j = 0; j < d; j++) {
        c->mu[j] /= (double)ntot;
        if (hi[j] != -nlo[j]) c->constant = false;
        big = GP_MAX(big, GP_MAX(fabs(hi[j]), fabs(nlo[j])));
    }
    gp__free(hi);
    int e = 0;
    if (big > 0) frexp(big, &e);   /* big < 2^e, so |x - mu| < 2^(e+1) */
    c->scale = ldexp(1.0, -(e + 1));
    return GP_OK;
}

/* Centered, scaled float32 copy of rows [r0, r0+nr) x cols [c0, c0+nc)
 * into dst (leading dimension nc); sq[i] (if not NULL) gets the squared
 * norm of each row of the float32 copy, so the debiasing terms see the same
 * numbers BLAS does. */
static void load_block(const gp_matrix *X, const centering *c, size_t r0, size_t nr, size_t c0,
                       size_t nc, float *dst, double *sq) {
    for (size_t i = 0; i < nr; i++) {
        const void *r = gp__row(X, (int64_t)(r0 + i));
        float *o = dst + i * nc;
        double acc = 0;
        for (size_t j = 0; j < nc; j++) {
            float v = (float)((elem(X, r, (int64_t)(c0 + j)) - c->mu[c0 + j]) * c->scale);
            o[j] = v;
            acc += (double)v * v;
        }
        if (sq) sq[i] = acc;
    }
}

/* Sum of squares of a symmetric matrix held in its upper triangle. */
static double sym_frob2(const double *S, size_t d) {
    double diag = 0, off = 0;
    for (size_t i = 0; i < d; i++) {
        diag += S[i * d + i] * S[i * d + i];
        for (size_t j = i + 1; j < d; j++) off += S[i * d + j] * S[i * d + j];
    }
    return diag + 2 * off;
}

/* n(n-3) HSIC_u from feature-space terms (derivation at gp_cka). */
static double hsic_u_feature(double frob2, double kl, double sk, double sl, double n) {
    return frob2 - n / (n - 2) * kl + sk * sl / ((n - 1) * (n - 2));
}

/* The three (scaled) HSIC values in feature space, n > d: Xc^T Xc, Yc^T Yc
 * by ssyrk and Xc^T Yc by sgemm over row blocks. */
static gp_status cka_feature(const gp_matrix *X, const centering *cx, const gp_matrix *Y,
                             const centering *cy, int debiased, const gp_comm *comm,
                             int64_t ntot, double h[3]) {
    static const char fn[] = "cka";
    size_t n = (size_t)X->rows, d1 = (size_t)X->cols, d2 = (size_t)Y->cols;
    size_t B = GP_MAX(d1, d2) > 512 ? BLOCK_LARGE : BLOCK_SMALL;
    size_t pmax = GP_MAX(GP_MAX(d1 * d1, d2 * d2), d1 * d2);
    float *xb = gp__alloc_n(B, d1 * sizeof *xb);
    float *yb = gp__alloc_n(B, d2 * sizeof *yb);
    float *prod = gp__alloc_n(pmax, sizeof *prod);
    double *kx = gp__alloc_n(B, sizeof *kx), *ky = gp__alloc_n(B, sizeof *ky);
    double *axx = alloc_zero(d1 * d1, sizeof *axx);
    double *ayy = alloc_zero(d2 * d2, sizeof *ayy);
    double *axy = alloc_zero(d1 * d2, sizeof *axy);
    gp_status s = GP_OK;
    if (!xb || !yb || !prod || !kx || !ky || !axx || !ayy || !axy) {
        s = gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, oom(fn), fn);
        goto done;
    }
    double kk = 0, ll = 0, kl = 0, sk = 0, sl = 0;
    for (size_t r0 = 0; r0 < n; r0 += B) {
        size_t b = GP_MIN(B, n - r0);
        load_block(X, cx, r0, b, 0, d1, xb, kx);
        load_block(Y, cy, r0, b, 0, d2, yb, ky);
        for (size_t i = 0; i < b; i++) {
            kk += kx[i] * kx[i];
            ll += ky[i] * ky[i];
            kl += kx[i] * ky[i];
            sk += kx[i];
            sl += ky[i];
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d1, (int)b, 1.0f, xb, (int)d1,
                    0.0f, prod, (int)d1);
        for (size_t i = 0; i < d1; i++)
            for (size_t j = i; j < d1; j++) axx[i * d1 + j] += prod[i * d1 + j];
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d2, (int)b, 1.0f, yb, (int)d2,
                    0.0f, prod, (int)d2);
        for (size_t i = 0; i < d2; i++)
            for (size_t j = i; j < d2; j++) ayy[i * d2 + j] += prod[i * d2 + j];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d1, (int)d2, (int)b, 1.0f, xb,
                    (int)d1, yb, (int)d2, 0.0f, prod, (int)d2);
        for (size_t i = 0; i < d1 * d2; i++) axy[i] += prod[i];
        gp__release_rows(X, (int64_t)r0, (int64_t)(r0 + b));
        gp__release_rows(Y, (int64_t)r0, (int64_t)(r0 + b));
    }
    /* Over processes: the three products (d1^2 + d2^2 + d1 d2 doubles) and
     * the five debiasing sums. */
    double sums[5] = {kk, ll, kl, sk, sl};
    if ((s = gp__comm_reduce(comm, axx, (int64_t)(d1 * d1), GP_REDUCE_SUM, s, fn)) != GP_OK ||
        (s = gp__comm_reduce(comm, ayy, (int64_t)(d2 * d2), GP_REDUCE_SUM, s, fn)) != GP_OK ||
        (s = gp__comm_reduce(comm, axy, (int64_t)(d1 * d2), GP_REDUCE_SUM, s, fn)) != GP_OK ||
        (s = gp__comm_reduce(comm, sums, 5, GP_REDUCE_SUM, s, fn)) != GP_OK)
        goto done;
    kk = sums[0], ll = sums[1], kl = sums[2], sk = sums[3], sl = sums[4];
    double fxy = 0;
    for (size_t i = 0; i < d1 * d2; i++) fxy += axy[i] * axy[i];
    double fxx = sym_frob2(axx, d1), fyy = sym_frob2(ayy, d2);
    if (debiased) {
        double nn = (double)ntot;
        h[0] = hsic_u_feature(fxy, kl, sk, sl, nn);
        h[1] = hsic_u_feature(fxx, kk, sk, sk, nn);
        h[2] = hsic_u_feature(fyy, ll, sl, sl, nn);
    } else {
        h[0] = fxy;
        h[1] = fxx;
        h[2] = fyy;
    }
done:
    gp__free(xb);
    gp__free(yb);
    gp__free(prod);
    gp__free(kx);
    gp__free(ky);
    gp__free(axx);
    gp__free(ayy);
    gp__free(axy);
    return s;
}

/* Upper triangle of K = Xc Xc^T (n x n, float64), by ssyrk over column
 * blocks of the centered data. */
static void gram_upper(const gp_matrix *X, const centering *c, size_t bc, float *blk,
                       float *prod, double *K) {
    size_t n = (size_t)X->rows, d = (size_t)X->cols;
    memset(K, 0, n * n * sizeof *K);
    for (size_t c0 = 0; c0 < d; c0 += bc) {
        size_t nc = GP_MIN(bc, d - c0);
        load_block(X, c, 0, n, c0, nc, blk, NULL);
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)nc, 1.0f, blk, (int)nc,
                    0.0f, prod, (int)n);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i; j < n; j++) K[i * n + j] += prod[i * n + j];
    }
}

/* HSIC of two Gram matrices given by their upper triangles: tr(KL)
 * (biased; K, L are already centered since the data was), or n(n-3)
 * HSIC_u by Song et al.'s formula on the zero-diagonal K~, L~, with rk, rl
 * the row sums of K~, L~. */
static double hsic_gram(const double *K, const double *L, const double *rk, const double *rl,
                        size_t n, int debiased) {
    double diag = 0, off = 0;
    for (size_t i = 0; i < n; i++) {
        diag += K[i * n + i] * L[i * n + i];
        for (size_t j = i + 1; j < n; j++) off += K[i * n + j] * L[i * n + j];
    }
    if (!debiased) return diag + 2 * off;
    double sk = 0, sl = 0, kl = 0, nn = (double)n;
    for (size_t i = 0; i < n; i++) {
        sk += rk[i];
        sl += rl[i];
        kl += rk[i] * rl[i];
    }
    return 2 * off + sk * sl / ((nn - 1) * (nn - 2)) - 2 / (nn - 2) * kl;
}

static void offdiag_row_sums(const double *K, size_t n, double *r) {
    memset(r, 0, n * sizeof *r);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            r[i] += K[i * n + j];
            r[j] += K[i * n + j];
        }
}

/* The three (scaled) HSIC values through n x n Gram matrices, n <= d. */
static gp_status cka_gram(const gp_matrix *X, const centering *cx, const gp_matrix *Y,
                          const centering *cy, int debiased, double h[3]) {
    static const char fn[] = "cka";
    size_t n = (size_t)X->rows;
    size_t bc = n > 512 ? BLOCK_LARGE : BLOCK_SMALL;
    bc = GP_MIN(bc, (size_t)GP_MAX(X->cols, Y->cols));
    float *blk = gp__alloc_n(n, bc * sizeof *blk);
    float *prod = gp__alloc_n(n, n * sizeof *prod);
    double *K = gp__alloc_n(n, n * sizeof *K), *L = gp__alloc_n(n, n * sizeof *L);
    double *rk = gp__alloc_n(n, sizeof *rk), *rl = gp__alloc_n(n, sizeof *rl);
    if (!blk || !prod || !K || !L || !rk || !rl) {
        gp__free(blk);
        gp__free(prod);
        gp__free(K);
        gp__free(L);
        gp__free(rk);
        gp__free(rl);
        return oom(fn);
    }
    gram_upper(X, cx, bc, blk, prod, K);
    gram_upper(Y, cy, bc, blk, prod, L);
    offdiag_row_sums(K, n, rk);
    offdiag_row_sums(L, n, rl);
    h[0] = hsic_gram(K, L, rk, rl, n, debiased);
    h[1] = hsic_gram(K, K, rk, rk, n, debiased);
    h[2] = hsic_gram(L, L, rl, rl, n, debiased);
    gp__free(blk);
    gp__free(prod);
    gp__free(K);
    gp__free(L);
    gp__free(rk);
    gp__free(rl);
    return GP_OK;
}

/* Debiased CKA in feature space. With Xc, Yc column-centered (1^T Xc = 0),
 * K = Xc Xc^T, k_i = K_ii = ||x_i||^2, K~ = K - diag(k), likewise L, l:
 *     tr(K~ L~)    = tr(KL) - k.l          = ||Xc^T Yc||_F^2 - k.l
 *     1^T K~ 1     = ||Xc^T 1||^2 - sum k  = -sum k
 *     K~ 1         = Xc (Xc^T 1) - k       = -k,  so 1^T K~ L~ 1 = k.l
 * and n(n-3) HSIC_u = ||Xc^T Yc||^2 - n/(n-2) k.l + (sum k)(sum l)/((n-1)(n-2)),
 * the form of Kornblith et al.'s feature_space_linear_cka. HSIC_u is
 * invariant to centering (U-centering removes any a_i + b_j), so this equals
 * Song et al.'s estimator on the raw Gram matrices. Every term streams over
 * row blocks; the common factor n(n-3) cancels in the ratio. */
gp_status gp_cka(const gp_matrix *X, const gp_matrix *Y, int debiased, double *out,
                 int *degenerate) {
    return gp_cka_comm(X, Y, debiased, NULL, out, degenerate);
}

gp_status gp_cka_comm(const gp_matrix *X, const gp_matrix *Y, int debiased,
                      const gp_comm *comm, double *out, int *degenerate) {
    static const char fn[] = "cka";
    gp__clear_error();
    if (out) *out = 0;
    if (degenerate) *degenerate = 0;
    gp_status s = gp__comm_check(comm, fn);
    if (s != GP_OK) return s;
    s = check_input(X, fn, "X");
    if (s == GP_OK) s = check_input(Y, fn, "Y");
    if (s == GP_OK && !out) s = gp__error(GP_EINVAL, "%s: out is NULL", fn);
    if (s == GP_OK && X->rows != Y->rows)
        s = gp__error(GP_ESHAPE, "%s: X has %lld rows but Y has %lld", fn,
                      (long long)X->rows, (long long)Y->rows);
    /* Distributed: the total rows, and every process well so far. */
    int64_t n = 0;
    int32_t first = 0;
    s = gp__comm_rows(comm, X ? X->rows : 0, s, fn, &n, &first);
    if (s != GP_OK) return s;
    if (debiased && n < 4)
        return gp__error(GP_EINVAL, "%s: debiased CKA needs at least 4 rows, got %lld", fn,
                         (long long)n);
    bool gram = n <= GP_MAX(X->cols, Y->cols) && !gp__comm_active(comm);
    if (gram && n > INT_MAX)
        return gp__error(GP_ESHAPE, "%s: %lld rows, more than BLAS takes", fn, (long long)n);

    centering cx = {0}, cy = {0};
    double h[3] = {0, 0, 0};
    s = center_stats(X, fn, comm, n, &cx);
    if (s == GP_OK) s = center_stats(Y, fn, comm, n, &cy);
    if (s == GP_OK && !cx.constant && !cy.constant)
        s = gram ? cka_gram(X, &cx, Y, &cy, debiased, h)
                 : cka_feature(X, &cx, Y, &cy, debiased, comm, n, h);
    bool constant = cx.constant || cy.constant;
    gp__free(cx.mu);
    gp__free(cy.mu);
    if (s != GP_OK) return s;

    /* A constant input has no centered signal; a self-HSIC <= 0 (only by
     * rounding, or for tiny n debiased) leaves the ratio undefined. Both
     * answer 0, never NaN. */
    if (constant || !(h[1] > 0) || !(h[2] > 0)) {
        if (degenerate) *degenerate = 1;
        return GP_OK;
    }
    double v = h[0] / (sqrt(h[1]) * sqrt(h[2]));
    /* Cauchy-Schwarz bounds both: biased CKA lies in [0, 1], debiased in
     * [-1, 1] (HSIC_u is an inner product of U-centered Gram matrices);
     * clamping only removes rounding past the bound. */
    double lo = debiased ? -1.0 : 0.0;
    *out = v < lo ? lo : (v > 1 ? 1 : v);
    return GP_OK;
}

/* ------------------------------------------------------------------ */
/* Class separation                                                   */
/* ------------------------------------------------------------------ */

/* Two passes in float64 (the work is O(n d)): class means, then scatter
 * about the global and class means. Rules for the undefined cases:
 *   - total scatter 0: both variance fractions are 0;
 *   - 2 classes with equal means: no direction, so within_std, fisher_ratio
 *     and mean_dir_var_fraction are 0;
 *   - n == 2 (no within-class degrees of freedom): within_std is 0;
 *   - fisher_ratio is capped at FISHER_CAP (1e30), its value when within_std
 *     is 1e-15 of mean_distance, the rounding level; a zero within-class
 *     spread with distinct means gives the cap, never Inf. */
gp_status gp_class_separation_compute(const gp_matrix *X, const int32_t *ids,
                                      int32_t n_classes, gp_class_separation *out) {
    static const char fn[] = "class separation";
    gp__clear_error();
    if (out) memset(out, 0, sizeof *out);
    gp_status s = check_input(X, fn, "X");
    if (s != GP_OK) return s;
    if (!ids) return gp__error(GP_EINVAL, "%s: ids is NULL", fn);
    if (!out) return gp__error(GP_EINVAL, "%s: out is NULL", fn);
    if (n_classes < 2)
        return gp__error(GP_EINVAL, "%s: n_classes is %d; need at least 2", fn, (int)n_classes);
    size_t n = (size_t)X->rows, d = (size_t)X->cols, k = (size_t)n_classes;
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= n_classes)
            return gp__error(GP_EINVAL, "%s: row %zu has class id %d, outside 0..%d", fn, i,
                             (int)ids[i], (int)n_classes - 1);

    double *mu = alloc_zero(k + 1, d * sizeof *mu);   /* k class means, then the global */
    int64_t *cnt = alloc_zero(k, sizeof *cnt);
    double *row = gp__alloc_n(d, sizeof *row);
    double *u = gp__alloc_n(d, sizeof *u);
    if (!mu || !cnt || !row || !u) {
        s = oom(fn);
        goto done;
    }
    double *g = mu + k * d;
    for (size_t i = 0; i < n; i++) {
        row_f64(X, (int64_t)i, row);
        double *m = mu + (size_t)ids[i] * d;
        for (size_t j = 0; j < d; j++) m[j] += row[j];
        cnt[ids[i]]++;
    }
    for (size_t c = 0; c < k; c++) {
        if (cnt[c] == 0) {
            s = gp__error(GP_EINVAL, "%s: class %zu has no rows", fn, c);
            goto done;
        }
        for (size_t j = 0; j < d; j++) {
            g[j] += mu[c * d + j];
            mu[c * d + j] /= (double)cnt[c];
        }
    }
    for (size_t j = 0; j < d; j++) g[j] /= (double)n;

    double between = 0;
    for (size_t c = 0; c < k; c++) {
        double sq = 0;
        for (size_t j = 0; j < d; j++) sq += (mu[c * d + j] - g[j]) * (mu[c * d + j] - g[j]);
        between += (double)cnt[c] * sq;
    }
    double dist = 0;
    for (size_t a = 0; a < k; a++)
        for (size_t b = a + 1; b < k; b++) {
            double sq = 0;
            for (size_t j = 0; j < d; j++)
                sq += (mu[b * d + j] - mu[a * d + j]) * (mu[b * d + j] - mu[a * d + j]);
            dist += sqrt(sq);
        }
    out->n_classes = n_classes;
    out->mean_distance = dist / (double)(k * (k - 1) / 2);

    bool two = k == 2 && out->mean_distance > 0;
    if (two)
        for (size_t j = 0; j < d; j++) u[j] = (mu[d + j] - mu[j]) / out->mean_distance;
    double total = 0, along = 0, within = 0;
    for (size_t i = 0; i < n; i++) {
        row_f64(X, (int64_t)i, row);
        const double *m = mu + (size_t)ids[i] * d;
        double sq = 0, pg = 0, pc = 0;
        for (size_t j = 0; j < d; j++) {
            double dg = row[j] - g[j];
            sq += dg * dg;
            if (two) {
                pg += dg * u[j];
                pc += (row[j] - m[j]) * u[j];
            }
        }
        total += sq;
        along += pg * pg;
        within += pc * pc;
    }
    if (total > 0) out->between_var_fraction = GP_MIN(between / total, 1.0);
    if (two) {
        if (total > 0) out->mean_dir_var_fraction = GP_MIN(along / total, 1.0);
        if (n > k) out->within_std = sqrt(within / (double)(n - k));
        double r = out->mean_distance / out->within_std;   /* +Inf when within_std is 0 */
        out->fisher_ratio = r > sqrt(FISHER_CAP) ? FISHER_CAP : r * r;
    }
done:
    gp__free(mu);
    gp__free(cnt);
    gp__free(row);
    gp__free(u);
    if (s != GP_OK) memset(out, 0, sizeof *out);
    return s;
}
