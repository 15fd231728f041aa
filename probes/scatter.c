/* scatter.c — the class statistics and the refined SPD solve that the
 * covariance-based probes share (massmean.c's IID variant, lda.c and
 * ridge.c): class means, the within-class scatter, Ledoit-Wolf shrinkage,
 * the scatter applied exactly to vectors, and Cholesky with iterative
 * refinement; plus the small allocation and row-reading helpers they use.
 * Declarations, with ownership and failure notes, are in probe_internal.h.
 *
 * Precision: means, variances and every d x d matrix are float64. The one
 * O(n d^2) product, the scatter, runs in float32 BLAS (ssyrk) over row
 * blocks of class-centered rows, each block's product added into float64
 * (as src/geometry.c does); its diagonal is summed in float64 directly.
 * The float32 rounding (about 1e-7 of sqrt(S_ii S_jj) per entry) would
 * reach the coefficients multiplied by the condition number, so the
 * Cholesky solution is refined against the exact float64 scatter applied
 * in O(n d) per right-hand side (gp__scatter_apply and gp__spd_solve): the
 * coefficients match a float64 computation to about 1e-12, 1e-9 with
 * Ledoit-Wolf, whose coefficient sees the float32 off-diagonals. */
#include "probe_internal.h"
#include "linalg.h"

#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* Elements [c0, c0 + len) of row i as float64 (X is float32 or float64):
 * a plain loop, several times faster than the generic dtype converter. */
void gp__row_f64(const gp_matrix *X, size_t i, size_t c0, size_t len, double *dst) {
    if (X->dtype == GP_DTYPE_F64) {
        memcpy(dst, (const double *)X->data + i * (size_t)X->ld + c0, len * sizeof *dst);
    } else {
        const float *s = (const float *)X->data + i * (size_t)X->ld + c0;
        for (size_t j = 0; j < len; j++) dst[j] = s[j];
    }
}

/* Class means (k, d) in float64, counts (k) and big = max |x|. y NULL means
 * one class. Sums are shifted by the class's first row, which keeps a
 * constant column's mean exactly its value (so it centers to exact zeros)
 * and loses no digits to the large offsets of activation outlier dims.
 * Distributed: the shift is the class's first row on the lowest process
 * holding one (the one-process fit's first row of the class), and the
 * shifted sums, counts and big are reduced: every process gets the means
 * of all rows. */
gp_status gp__class_means(const gp_matrix *X, const int32_t *y, int32_t k, const gp_comm *comm,
                          const char *fn, double *mu, int64_t *cnt, double *big) {
    size_t n = (size_t)X->rows, d = (size_t)X->cols, K = (size_t)k;
    double *row = gp__alloc_n(d, sizeof *row);
    double *first = gp__alloc_n(K, d * sizeof *first);
    double *acc = gp__alloc_n(K, (d + 1) * sizeof *acc); /* sums (K, d), then counts (K) */
    double *own = gp__alloc_n(K, sizeof *own);
    gp_status s = GP_OK;
    if (!row || !first || !acc || !own)
        s = gp__error(GP_ENOMEM, "%s: out of memory (%zu features)", fn, d);
    bool dist = gp__comm_active(comm);
    double me = dist ? (double)(comm->size - comm->rank) : 1;
    if (s == GP_OK) {
        memset(acc, 0, K * (d + 1) * sizeof *acc);
        memset(own, 0, K * sizeof *own);
        for (size_t i = 0; i < n; i++) {
            size_t c = y ? (size_t)y[i] : 0;
            if (own[c] == 0) {
                own[c] = me;
                gp__row_f64(X, i, 0, d, first + c * d);
            }
        }
    }
    if (dist) {
        /* the lowest rank holding a row of class c has the largest size - rank */
        if ((s = gp__comm_reduce(comm, own, (int64_t)K, GP_REDUCE_MAX, s, fn)) != GP_OK) goto done;
        for (size_t c = 0; c < K; c++)
            if (own[c] != me) memset(first + c * d, 0, d * sizeof *first);
        if ((s = gp__comm_reduce(comm, first, (int64_t)(K * d), GP_REDUCE_SUM, s, fn)) != GP_OK)
            goto done;
    } else if (s != GP_OK) {
        goto done;
    }
    double *cs = acc + K * d, b = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = y ? (size_t)y[i] : 0;
        gp__row_f64(X, i, 0, d, row);
        double *m = acc + c * d;
        const double *f = first + c * d;
        cs[c] += 1;
        for (size_t j = 0; j < d; j++) {
            m[j] += row[j] - f[j];
            b = GP_MAX(b, fabs(row[j]));
        }
        gp__release_after_row(X, (int64_t)i);
    }
    if ((s = gp__comm_reduce(comm, acc, (int64_t)(K * (d + 1)), GP_REDUCE_SUM, s, fn)) != GP_OK ||
        (s = gp__comm_reduce(comm, &b, 1, GP_REDUCE_MAX, s, fn)) != GP_OK)
        goto done;
    for (size_t c = 0; c < K; c++) {
        cnt[c] = (int64_t)cs[c];
        for (size_t j = 0; j < d; j++)
            mu[c * d + j] = cnt[c] ? first[c * d + j] + acc[c * d + j] / cs[c] : 0;
    }
    *big = b;
done:
    gp__free(row);
    gp__free(first);
    gp__free(acc);
    gp__free(own);
    return s;
}

/* Rows per float32 block: as in geometry.c, small blocks round less in
 * float32 and large ones amortize the float64 add of the d x d product. */
#define BLOCK_SMALL 256
#define BLOCK_LARGE 1024

static void add_block(const float *prod, double *S, size_t d) {
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) S[i * d + j] += prod[i * d + j];
}

/* S (d, d), full symmetric: the scatter sum (x - mu_y)(x - mu_y)^T over the
 * rows of class `only` (every row when only < 0; y NULL means class 0).
 * r4 (optional) gets sum ||(x - mu_y) * inv_sd||^4 (inv_sd NULL: 1), the
 * fourth-moment term of Ledoit-Wolf, from the float64 centered values.
 * Values are scaled by a power of two (from big = max |x|) into [-1, 1]
 * before the float32 product, so it cannot overflow; the scale is undone
 * exactly in float64. The diagonal (variances, hence traces) is summed in
 * float64 directly, exact to float64 rounding. */
gp_status gp__scatter(const gp_matrix *X, const int32_t *y, int32_t only, const double *mu,
                      const double *inv_sd, double big, const gp_probe_opts *o, const char *fn,
                      double *S, double *r4) {
    size_t n = (size_t)X->rows, d = (size_t)X->cols;
    const gp_comm *comm = o ? o->comm : NULL;
    if (d > INT_MAX) return gp__error(GP_ESHAPE, "%s: %zu features, more than BLAS takes", fn, d);
    size_t B = GP_MAX(GP_MIN(d > 512 ? (size_t)BLOCK_LARGE : (size_t)BLOCK_SMALL, n), 1);
    float *blk = gp__alloc_n(B, d * sizeof *blk);
    float *prod = gp__alloc_n(d, d * sizeof *prod);
    double *row = gp__alloc_n(d, sizeof *row), *diag = gp__calloc(d, sizeof *diag);
    gp_status s = GP_OK;
    if (!blk || !prod || !row || !diag) {
        s = gp__error(GP_ENOMEM, "%s: out of memory for the %zu x %zu covariance", fn, d, d);
        goto done;
    }
    int e = 0;
    if (big > 0) frexp(big, &e); /* big < 2^e, so |x - mu| < 2^(e+1) */
    double scale = ldexp(1.0, -(e + 1));
    memset(S, 0, d * d * sizeof *S);
    double q4 = 0;
    size_t b = 0;
    for (size_t i = 0; i <= n; i++) {
        bool take = i < n && (only < 0 || (y ? y[i] : 0) == only);
        if (take) {
            const double *m = mu + (size_t)(y ? y[i] : 0) * d;
            gp__row_f64(X, i, 0, d, row);
            float *dst = blk + b * d;
            double q = 0;
            for (size_t j = 0; j < d; j++) {
                double v = row[j] - m[j];
                double z = inv_sd ? v * inv_sd[j] : v;
                q += z * z;
                diag[j] += v * v;
                dst[j] = (float)(v * scale);
            }
            q4 += q * q;
            b++;
        }
        /* row i is in blk (or not this class's): its page can go */
        if (i < n) gp__release_after_row(X, (int64_t)i);
        if (b > 0 && (b == B || i == n)) {
            if (o && o->cancel && *o->cancel) {
                s = gp__error(GP_ECANCELLED, "%s: cancelled", fn);
                goto done;
            }
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)b, 1.0f, blk, (int)d,
                        0.0f, prod, (int)d);
            add_block(prod, S, d);
            b = 0;
            if (o && o->progress) o->progress(o->progress_user, (int64_t)GP_MIN(i + 1, n),
                                              (int64_t)n, "covariance");
        }
    }
    double unscale = 1.0 / (scale * scale);
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) S[i * d + j] = S[j * d + i] = S[i * d + j] * unscale;
    for (size_t j = 0; j < d; j++) S[j * d + j] = diag[j];
    if (r4) *r4 = q4;
done:
    gp__free(blk);
    gp__free(prod);
    gp__free(row);
    gp__free(diag);
    /* distributed: every process's rows (a failure here is agreed) */
    s = gp__comm_reduce(comm, S, (int64_t)(d * d), GP_REDUCE_SUM, s, fn);
    if (s == GP_OK && r4) s = gp__comm_reduce(comm, r4, 1, GP_REDUCE_SUM, s, fn);
    return s;
}

/* Ledoit-Wolf shrinkage as sklearn.covariance.ledoit_wolf_shrinkage computes
 * it, from the empirical covariance emp (divisor n) of the data, optionally
 * standardized by inv_sd, and r4 = sum_i ||x_i||^4 of the same data:
 *   beta  = (r4 / n - ||emp||_F^2) / (d n),  mu = tr(emp) / d,
 *   delta = (||emp||_F^2 - d mu^2) / d,      s = min(beta, delta) / delta. */
double gp__ledoit_wolf(const double *emp, const double *inv_sd, int64_t d, double n, double r4) {
    if (d == 1) return 0; /* sklearn: one feature, nothing to shrink */
    size_t D = (size_t)d;
    double f2 = 0, tr = 0;
    for (size_t i = 0; i < D; i++) {
        double si = inv_sd ? inv_sd[i] : 1.0;
        tr += emp[i * D + i] * si * si;
        for (size_t j = 0; j < D; j++) {
            double v = emp[i * D + j] * si * (inv_sd ? inv_sd[j] : 1.0);
            f2 += v * v;
        }
    }
    double mu = tr / (double)d;
    double beta = (r4 / n - f2) / ((double)d * n);
    double delta = (f2 - (double)d * mu * mu) / (double)d;
    beta = GP_MIN(beta, delta);
    if (!(beta > 0) || !(delta > 0)) return 0;
    return GP_MIN(beta / delta, 1.0);
}

/* Rows per float64 block of gp__scatter_apply. */
#define APPLY_BLOCK 256

/* U (nrhs, d) = sum_i coef[y_i] (x_i - mu_y)(x_i - mu_y)^T V_r for each row
 * V_r of V (nrhs, d), plus diag * V_r (diag (d) may be NULL; coef NULL
 * means 1; y NULL means class 0), all in float64: two dgemm per row block,
 * O(n d nrhs). The scatter applied exactly, without forming it, for the
 * iterative refinement of gp__spd_solve. */
gp_status gp__scatter_apply(const gp_matrix *X, const int32_t *y, const double *mu,
                            const double *coef, const double *diag, const double *V,
                            int64_t nrhs, double *U, const gp_comm *comm, const char *fn) {
    size_t n = (size_t)X->rows, d = (size_t)X->cols, R = (size_t)nrhs;
    size_t B = GP_MAX(GP_MIN((size_t)APPLY_BLOCK, n), 1);
    double *xb = gp__alloc_n(B, d * sizeof *xb), *T = gp__alloc_n(B, R * sizeof *T);
    if (!xb || !T) {
        gp__free(xb);
        gp__free(T);
        return gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM,
                               gp__error(GP_ENOMEM, "%s: out of memory", fn), fn);
    }
    memset(U, 0, R * d * sizeof *U);
    for (size_t r0 = 0; r0 < n; r0 += B) {
        size_t nb = GP_MIN(B, n - r0);
        for (size_t i = 0; i < nb; i++) {
            const double *m = mu + (size_t)(y ? y[r0 + i] : 0) * d;
            double *x = xb + i * d;
            gp__row_f64(X, r0 + i, 0, d, x);
            for (size_t j = 0; j < d; j++) x[j] -= m[j];
        }
        gp__release_rows(X, (int64_t)r0, (int64_t)(r0 + nb)); /* copied into xb */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)R, (int)d, 1.0, xb,
                    (int)d, V, (int)d, 0.0, T, (int)R);
        if (coef)
            for (size_t i = 0; i < nb; i++)
                for (size_t r = 0; r < R; r++) T[i * R + r] *= coef[y ? y[r0 + i] : 0];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)R, (int)d, (int)nb, 1.0, T,
                    (int)R, xb, (int)d, 1.0, U, (int)d);
    }
    gp__free(xb);
    gp__free(T);
    gp_status s = gp__comm_reduce(comm, U, (int64_t)(R * d), GP_REDUCE_SUM, GP_OK, fn);
    if (s != GP_OK) return s;
    if (diag)
        for (size_t r = 0; r < R; r++)
            for (size_t j = 0; j < d; j++) U[r * d + j] += diag[j] * V[r * d + j];
    return GP_OK;
}

/* Refinement steps at most; each gains about -log10(cond * 1e-7) digits. */
#define REFINE_STEPS 4

/* Solve A X = B for symmetric positive definite A (m, m), destroyed, B
 * (nrhs, m) row-major, each right-hand side a row, overwritten by X.
 * *singular is set (status GP_OK, B garbage) when A is not positive
 * definite. A was formed from float32 products; apply (optional) computes
 * the exact float64 A V without forming it, and mixed-precision iterative
 * refinement x += A~^-1 (b - A x) brings X to float64 accuracy while the
 * correction shrinks (stopping, keeping the last good X, when it does not). */
gp_status gp__spd_solve(double *A, int64_t m, double *B, int64_t nrhs, gp__apply_fn apply,
                        void *ctx, const gp_comm *comm, const char *fn, bool *singular) {
    *singular = false;
    if (!gp__fits_lapack_int(m) || !gp__fits_lapack_int(m * m) || !gp__fits_lapack_int(m * nrhs))
        return gp__error(GP_ESHAPE, "%s: a %lld x %lld system is too large for LAPACK", fn,
                         (long long)m, (long long)m);
    lapack_int M = (lapack_int)m, R = (lapack_int)nrhs;
    /* Row-major symmetric A is its own transpose; B's rows are the
     * column-major columns. */
    lapack_int info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', M, A, M);
    if (info > 0) {
        *singular = true;
        return GP_OK;
    }
    if (info) return gp__lapack_status("LAPACKE_dpotrf", info);
    size_t N = (size_t)m * (size_t)nrhs;
    double *b = apply ? gp__alloc_n(N, sizeof *b) : NULL;
    double *r = apply ? gp__alloc_n(N, sizeof *r) : NULL;
    gp_status s = GP_OK;
    if (apply && (!b || !r)) s = gp__error(GP_ENOMEM, "%s: out of memory", fn);
    /* apply is collective when distributed: fail on every process or none */
    if (apply && (s = gp__comm_reduce(comm, NULL, 0, GP_REDUCE_SUM, s, fn)) != GP_OK) goto done;
    if (apply) memcpy(b, B, N * sizeof *b);
    info = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', M, R, A, M, B, M);
    if ((s = gp__lapack_status("LAPACKE_dpotrs", info)) != GP_OK) goto done;
    double prev = INFINITY;
    for (int it = 0; apply && it < REFINE_STEPS; it++) {
        if ((s = apply(ctx, B, nrhs, r)) != GP_OK) goto done;
        for (size_t i = 0; i < N; i++) r[i] = b[i] - r[i];
        info = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', M, R, A, M, r, M);
        if ((s = gp__lapack_status("LAPACKE_dpotrs", info)) != GP_OK) goto done;
        double dn = 0, xn = 0;
        for (size_t i = 0; i < N; i++) {
            dn = fmax(dn, fabs(r[i]));
            xn = fmax(xn, fabs(B[i]));
        }
        if (!(dn < 0.5 * prev)) break; /* not contracting: cond * 1e-7 near 1 */
        for (size_t i = 0; i < N; i++) B[i] += r[i];
        prev = dn;
        if (dn <= 1e-15 * xn) break;
    }
done:
    gp__free(b);
    gp__free(r);
    return s;
}
