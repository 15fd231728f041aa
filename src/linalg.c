/* linalg.c — LAPACKE wrappers: column-major calls on row-major data with no
 * transposes (STYLE.md R12), workspace from gp__malloc, info mapped to a
 * gp_status. */
#include "linalg.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

gp_status gp__lapack_status(const char *routine, int64_t info) {
    if (info == 0) return GP_OK;
    if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
        return gp__error(GP_ENOMEM, "%s: out of memory", routine);
    if (info < 0)
        return gp__error(GP_EINTERNAL, "%s: illegal value in argument %lld (a geoprobe bug)",
                         routine, (long long)-info);
    return gp__error(GP_ENOCONVERGE, "%s: info=%lld (no convergence)", routine,
                     (long long)info);
}

bool gp__fits_lapack_int(int64_t a) {
    /* OpenBLAS's BLAS ints are 32-bit in Debian's build even when lapack_int
     * might not be; keep to the smaller of the two. */
    return a >= 0 && a <= INT_MAX;
}

/* A workspace size reported in a floating-point word: round up, since a
 * float32 query cannot hold sizes above 2^24 exactly. */
static bool lwork_from(double q, lapack_int *out) {
    double v = q * (1.0 + 1e-6) + 16.0;
    if (!(v < (double)INT_MAX)) return false;
    *out = (lapack_int)v;
    return true;
}

/* Reverse the order of m rows of length n in place. */
static void reverse_rows(double *Z, int64_t m, int64_t n) {
    for (int64_t i = 0, j = m - 1; i < j; i++, j--)
        for (int64_t c = 0; c < n; c++) {
            double t = Z[i * n + c];
            Z[i * n + c] = Z[j * n + c];
            Z[j * n + c] = t;
        }
}

gp_status gp__eigh_top(double *A, int64_t n, int64_t k, double *w, double *Z) {
    if (k < 1 || k > n) return gp__error(GP_EINTERNAL, "eigh: k=%lld, n=%lld", (long long)k,
                                         (long long)n);
    if (!gp__fits_lapack_int(n) || !gp__fits_lapack_int(n * n))
        return gp__error(GP_ESHAPE, "eigh: %lld x %lld is too large for LAPACK", (long long)n,
                         (long long)n);
    lapack_int N = (lapack_int)n, info, lwork, liwork;
    double wq;
    lapack_int iq;
    gp_status st = GP_OK;
    /* A symmetric matrix is its own transpose: the row-major upper triangle
     * is LAPACK's column-major lower one, and column-major eigenvectors come
     * back as contiguous rows. */
    if (k == n) {
        info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'L', N, A, N, w, &wq, -1, &iq, -1);
        if (info) return gp__lapack_status("LAPACKE_dsyevd", info);
        if (!lwork_from(wq, &lwork)) return gp__error(GP_ENOMEM, "LAPACKE_dsyevd: workspace too large");
        liwork = iq;
        double *work = gp__alloc_n((size_t)lwork, sizeof *work);
        lapack_int *iwork = gp__alloc_n((size_t)liwork, sizeof *iwork);
        if (!work || !iwork) {
            st = gp__error(GP_ENOMEM, "LAPACKE_dsyevd: out of memory (%lld x %lld)",
                           (long long)n, (long long)n);
        } else {
            info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'V', 'L', N, A, N, w, work, lwork,
                                       iwork, liwork);
            st = gp__lapack_status("LAPACKE_dsyevd", info);
        }
        gp__free(work);
        gp__free(iwork);
        if (st != GP_OK) return st;
        if (Z != A) memcpy(Z, A, (size_t)n * (size_t)n * sizeof *Z);
        reverse_rows(Z, n, n);
        for (int64_t i = 0, j = n - 1; i < j; i++, j--) {
            double t = w[i];
            w[i] = w[j];
            w[j] = t;
        }
        return GP_OK;
    }

    lapack_int m = 0, il = (lapack_int)(n - k + 1), iu = N;
    info = LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, 'V', 'I', 'L', N, A, N, 0, 0, il, iu, DBL_MIN,
                               &m, w, Z, N, NULL, &wq, -1, &iq, -1);
    if (info) return gp__lapack_status("LAPACKE_dsyevr", info);
    if (!lwork_from(wq, &lwork)) return gp__error(GP_ENOMEM, "LAPACKE_dsyevr: workspace too large");
    liwork = iq;
    double *work = gp__alloc_n((size_t)lwork, sizeof *work);
    lapack_int *iwork = gp__alloc_n((size_t)liwork, sizeof *iwork);
    double *wall = gp__alloc_n((size_t)n, sizeof *wall); /* dsyevr writes up to n values */
    lapack_int *isuppz = gp__alloc_n(2 * (size_t)k, sizeof *isuppz);
    if (!work || !iwork || !wall || !isuppz) {
        st = gp__error(GP_ENOMEM, "LAPACKE_dsyevr: out of memory (%lld x %lld)", (long long)n,
                       (long long)n);
    } else {
        info = LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, 'V', 'I', 'L', N, A, N, 0, 0, il, iu,
                                   DBL_MIN, &m, wall, Z, N, isuppz, work, lwork, iwork, liwork);
        st = gp__lapack_status("LAPACKE_dsyevr", info);
        if (st == GP_OK && m != (lapack_int)k)
            st = gp__error(GP_ELAPACK, "LAPACKE_dsyevr: found %d of %lld eigenvalues", (int)m,
                           (long long)k);
        if (st == GP_OK) {
            reverse_rows(Z, k, n);
            for (int64_t i = 0; i < k; i++) w[i] = wall[k - 1 - i];
        }
    }
    gp__free(work);
    gp__free(iwork);
    gp__free(wall);
    gp__free(isuppz);
    return st;
}

/* Householder tridiagonalization Q^T A Q = tridiag(d, e) of a symmetric
 * n x n A (full storage, destroyed), with Q formed explicitly (column-major)
 * for dsteqr. Plain loops, so no threaded BLAS touches the bits; at n = 240
 * (randomized, k = 50) the whole eigensolve takes ~15 ms, against 0.37 s
 * for the cyclic Jacobi sweeps it replaced. */
static void tridiagonalize(double *A, size_t n, double *d, double *e, double *Q, double *v,
                           double *p) {
    double *tau = d; /* d is written at the end; until then it holds taus */
    for (size_t j = 0; j + 2 < n; j++) {
        /* x = A[j+1.., j] (row j, by symmetry); H x = beta e_1, LAPACK's
         * dlarfg convention: H = I - t u u^T, u_0 = 1. */
        const double *x = A + j * n + j + 1;
        size_t r = n - j - 1;
        double sig = 0;
        for (size_t i = 1; i < r; i++) sig += x[i] * x[i];
        double alpha = x[0], t = 0, beta = alpha;
        if (sig > 0) {
            beta = -copysign(sqrt(alpha * alpha + sig), alpha);
            t = (beta - alpha) / beta;
        }
        double *u = v + j * n + j + 1; /* kept for forming Q */
        u[0] = 1;
        for (size_t i = 1; i < r; i++) u[i] = t != 0 ? x[i] / (alpha - beta) : 0;
        tau[j] = t;
        e[j] = beta;
        if (t == 0) continue;
        /* A22 <- H A22 H = A22 - u w^T - w u^T, p = t A22 u,
         * w = p - (t/2)(p.u) u */
        double pu = 0;
        for (size_t i = 0; i < r; i++) {
            const double *row = A + (j + 1 + i) * n + j + 1;
            double s = 0;
            for (size_t c = 0; c < r; c++) s += row[c] * u[c];
            p[i] = t * s;
            pu += p[i] * u[i];
        }
        for (size_t i = 0; i < r; i++) p[i] -= 0.5 * t * pu * u[i];
        for (size_t i = 0; i < r; i++) {
            double *row = A + (j + 1 + i) * n + j + 1;
            for (size_t c = 0; c < r; c++) row[c] -= u[i] * p[c] + p[i] * u[c];
        }
    }
    /* Q = H_0 H_1 .. H_{n-3}, accumulated backwards: H_j touches rows and
     * columns j+1.. only. */
    memset(Q, 0, n * n * sizeof *Q);
    for (size_t i = 0; i < n; i++) Q[i * n + i] = 1;
    for (size_t j = n >= 2 ? n - 2 : 0; j-- > 0;) {
        const double *u = v + j * n + j + 1;
        double t = tau[j];
        if (t == 0) continue;
        for (size_t c = j + 1; c < n; c++) {
            double *q = Q + c * n + j + 1; /* column c, rows j+1.. */
            double s = 0;
            for (size_t i = 0; i < n - j - 1; i++) s += u[i] * q[i];
            s *= t;
            for (size_t i = 0; i < n - j - 1; i++) q[i] -= s * u[i];
        }
    }
    for (size_t j = 0; j < n; j++) d[j] = A[j * n + j];
    if (n >= 2) e[n - 2] = A[(n - 1) * n + n - 2];
}

gp_status gp__eigh_small(double *A, int64_t n, double *w, double *Z) {
    if (n < 1 || !gp__fits_lapack_int(n * n))
        return gp__error(GP_EINTERNAL, "eigh: n=%lld", (long long)n);
    size_t N = (size_t)n;
    double *Q = gp__alloc_n(N * N, sizeof *Q), *v = gp__alloc_n(N * N, sizeof *v);
    double *d = gp__alloc_n(N, sizeof *d), *e = gp__alloc_n(N, sizeof *e);
    double *work = gp__alloc_n(2 * N + 2, sizeof *work);
    gp_status st = GP_OK;
    if (!Q || !v || !d || !e || !work) {
        st = gp__error(GP_ENOMEM, "eigh: out of memory");
        goto done;
    }
    tridiagonalize(A, N, d, e, Q, v, work);
    /* dsteqr: implicit QL/QR with its rotations applied to Q by dlasr,
     * plain loops; no BLAS call whose threads could change the bits. */
    lapack_int info = LAPACKE_dsteqr_work(LAPACK_COL_MAJOR, 'V', (lapack_int)n, d, e, Q,
                                          (lapack_int)n, work);
    if ((st = gp__lapack_status("LAPACKE_dsteqr", info)) != GP_OK) goto done;
    /* ascending; column j of Q (contiguous) is eigenvector j */
    for (size_t i = 0; i < N; i++) {
        w[i] = d[N - 1 - i];
        memcpy(Z + i * N, Q + (N - 1 - i) * N, N * sizeof *Z);
    }
done:
    gp__free(Q);
    gp__free(v);
    gp__free(d);
    gp__free(e);
    gp__free(work);
    return st;
}

/* A row-major (rows, cols) matrix is the column-major M = A^T (cols, rows):
 * M's left singular vectors are A's right ones. jobz = 'O' overwrites M
 * with them when cols >= rows (so there is no second copy of the data), or
 * returns them as the small cols x cols U otherwise. One body for both
 * precisions: only the two gesdd calls differ. */
static lapack_int gesdd(bool f64, lapack_int M, lapack_int N, void *A, void *s, void *U,
                        lapack_int ldu, void *VT, lapack_int ldvt, void *work, lapack_int lwork,
                        lapack_int *iwork) {
    if (f64)
        return LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'O', M, N, A, M, s, U, ldu, VT, ldvt, work,
                                   lwork, iwork);
    return LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, 'O', M, N, A, M, s, U, ldu, VT, ldvt, work,
                               lwork, iwork);
}

static gp_status svd_right(bool f64, void *A, int64_t rows, int64_t cols, void *s, void *Vt) {
    const char *routine = f64 ? "LAPACKE_dgesdd" : "LAPACKE_sgesdd";
    size_t esz = f64 ? sizeof(double) : sizeof(float);
    if (!gp__fits_lapack_int(rows) || !gp__fits_lapack_int(cols) ||
        !gp__fits_lapack_int(rows * cols))
        return gp__error(GP_ESHAPE, "%s: %lld x %lld is too large for LAPACK", routine,
                         (long long)rows, (long long)cols);
    lapack_int M = (lapack_int)cols, N = (lapack_int)rows, mn = M < N ? M : N;
    bool wide = M >= N;
    double dummy[2] = {0, 0}; /* an unreferenced U or VT still needs a pointer */
    void *small = wide ? gp__alloc_n((size_t)N * (size_t)N, esz) : NULL; /* VT, unused */
    void *U = wide ? (void *)dummy : Vt, *VT = wide ? small : (void *)dummy;
    lapack_int ldu = wide ? 1 : M, ldvt = wide ? N : 1, lwork, info;
    lapack_int *iwork = gp__alloc_n(8 * (size_t)mn, sizeof *iwork);
    void *work = NULL;
    gp_status st = GP_OK;
    if ((wide && !small) || !iwork) {
        st = gp__error(GP_ENOMEM, "%s: out of memory", routine);
        goto done;
    }
    double wq64 = 0;
    float wq32 = 0;
    info = gesdd(f64, M, N, A, s, U, ldu, VT, ldvt, f64 ? (void *)&wq64 : (void *)&wq32, -1,
                 iwork);
    if (info) {
        st = gp__lapack_status(routine, info);
        goto done;
    }
    if (!lwork_from(f64 ? wq64 : (double)wq32, &lwork)) {
        st = gp__error(GP_ENOMEM, "%s: workspace too large", routine);
        goto done;
    }
    work = gp__alloc_n((size_t)lwork, esz);
    if (!work) {
        st = gp__error(GP_ENOMEM, "%s: out of memory (%lld x %lld)", routine, (long long)rows,
                       (long long)cols);
        goto done;
    }
    info = gesdd(f64, M, N, A, s, U, ldu, VT, ldvt, work, lwork, iwork);
    st = gp__lapack_status(routine, info);
    if (st == GP_OK && wide) memcpy(Vt, A, (size_t)mn * (size_t)M * esz);
done:
    gp__free(small);
    gp__free(iwork);
    gp__free(work);
    return st;
}

gp_status gp__svd_right_f32(float *A, int64_t rows, int64_t cols, float *s, float *Vt) {
    return svd_right(false, A, rows, cols, s, Vt);
}

gp_status gp__svd_right_f64(double *A, int64_t rows, int64_t cols, double *s, double *Vt) {
    return svd_right(true, A, rows, cols, s, Vt);
}

static double norm2(const double *x, size_t d) {
    double s = 0;
    for (size_t j = 0; j < d; j++) s += x[j] * x[j];
    return sqrt(s);
}

/* x -= (x . y) y for each of the n unit rows y of Y */
static void project_out(double *x, const double *Y, size_t n, size_t d) {
    for (size_t i = 0; i < n; i++) {
        const double *y = Y + i * d;
        double t = 0;
        for (size_t j = 0; j < d; j++) t += x[j] * y[j];
        for (size_t j = 0; j < d; j++) x[j] -= t * y[j];
    }
}

gp_status gp__orthonormalize_block(double *K, int64_t p, int64_t r, int64_t d) {
    if (p < 0 || r < 1 || p + r > d)
        return gp__error(GP_EINTERNAL, "orth: p=%lld r=%lld d=%lld", (long long)p, (long long)r,
                         (long long)d);
    if (!gp__fits_lapack_int(d * (p + r)))
        return gp__error(GP_ESHAPE, "orth: %lld x %lld is too large for BLAS",
                         (long long)(p + r), (long long)d);
    /* A long block goes in halves, the second against the first by dgemm:
     * the plain loops below cost r^2 d, ~10% of a randomized fit's time
     * with r = 64 (bench/pca.sh) before this. */
    if (r > 16) {
        gp_status st = gp__orthonormalize_block(K, p, r / 2, d);
        return st != GP_OK ? st : gp__orthonormalize_block(K, p + r / 2, r - r / 2, d);
    }
    size_t D = (size_t)d, R = (size_t)r, P = (size_t)p;
    double *Z = K + P * D;
    double *T = p ? gp__alloc_n(R * P, sizeof *T) : NULL;
    if (p && !T) return gp__error(GP_ENOMEM, "orth: out of memory");
    size_t next_coord = 0;
    /* Two rounds ("twice is enough", Giraud et al. 2005): orthogonality to
     * rounding even when the block is nearly dependent on earlier rows. */
    for (int round = 0; round < 2; round++) {
        if (p) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r, (int)p, (int)d, 1.0, Z,
                        (int)d, K, (int)d, 0.0, T, (int)p);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r, (int)d, (int)p, -1.0,
                        T, (int)p, K, (int)d, 1.0, Z, (int)d);
        }
        for (size_t i = 0; i < R; i++) {
            double *z = Z + i * D;
            double before = norm2(z, D);
            project_out(z, Z, i, D);
            double nrm = norm2(z, D);
            /* A dependent row: use coordinate vectors, made orthogonal to
             * every row so far, until one survives (d > p + i guarantees
             * one does). Any orthonormal completion serves the callers. */
            while (!(nrm > 1e-8 * before) && next_coord < 2 * D) {
                memset(z, 0, D * sizeof *z);
                z[next_coord++ % D] = 1;
                for (int again = 0; again < 2; again++) project_out(z, K, P + i, D);
                before = 1;
                nrm = norm2(z, D);
            }
            if (!(nrm > 0)) {
                gp__free(T);
                return gp__error(GP_EINTERNAL, "orth: no independent direction left");
            }
            for (size_t j = 0; j < D; j++) z[j] /= nrm;
        }
    }
    gp__free(T);
    return GP_OK;
}

/* ------------------------------------------------------------------ */
/* Mixed-precision symmetric eigensolver                              */
/* ------------------------------------------------------------------ */

/* Q Zk for the ssytrd('L') reflectors stored in S (n x n, column-major):
 * Q = H(1) .. H(n-1), H(i) acting on rows i+1..n-1. Blocks of nb
 * reflectors, Q_b = I - V T V^T, applied as two sgemms around a small
 * strmm, with V copied out dense (explicit unit diagonal and zeros above)
 * so that all of V goes through sgemm: slarfb splits off V's triangle
 * into strmm calls, and sormtr also uses LAPACK's block size of 32. On the
 * 4096 x 4096 back-transform (2 cores, SkylakeX kernels): 0.83 s with
 * nb = 256, against 1.1 s for slarfb with nb = 128 and 1.6 s for sormtr. */
static gp_status back_transform(const float *S, const float *tau, int64_t n, float *Zk,
                                int64_t k) {
    const lapack_int nb = 256, N = (lapack_int)n, K = (lapack_int)k, m = N - 1;
    if (m < 1) return GP_OK;
    size_t bw = (size_t)(m < nb ? m : nb);
    float *T = gp__alloc_n(bw * bw, sizeof *T), *W = gp__alloc_n((size_t)K * bw, sizeof *W);
    float *V = gp__alloc_n((size_t)m * bw, sizeof *V);
    gp_status st = GP_OK;
    if (!T || !W || !V) {
        st = gp__error(GP_ENOMEM, "eigh: out of memory");
        goto done;
    }
    /* Q Z = H(1) (H(2) (.. Z)): the last block first. */
    for (lapack_int i = ((m - 1) / nb) * nb; i >= 0; i -= nb) {
        lapack_int ib = m - i < nb ? m - i : nb, rows = m - i;
        const float *Vs = S + 1 + (size_t)i + (size_t)i * (size_t)n;
        lapack_int info = LAPACKE_slarft_work(LAPACK_COL_MAJOR, 'F', 'C', rows, ib, Vs, N,
                                              tau + i, T, (lapack_int)bw);
        if (info) {
            st = gp__lapack_status("LAPACKE_slarft", info);
            goto done;
        }
        for (lapack_int j = 0; j < ib; j++) {
            float *v = V + (size_t)j * (size_t)rows;
            const float *vs = Vs + (size_t)j * (size_t)N;
            for (lapack_int r = 0; r < j; r++) v[r] = 0;
            v[j] = 1;
            for (lapack_int r = j + 1; r < rows; r++) v[r] = vs[r];
        }
        /* rows i+1.. of Z: Z -= V (T (V^T Z)) */
        float *C = Zk + 1 + i;
        cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, ib, K, rows, 1.0f, V, rows, C, N,
                    0.0f, W, ib);
        cblas_strmm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, ib, K,
                    1.0f, T, (lapack_int)bw, W, ib);
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, rows, K, ib, -1.0f, V, rows, W,
                    ib, 1.0f, C, N);
    }
done:
    gp__free(T);
    gp__free(W);
    gp__free(V);
    return st;
}

/* dsterf on its own thread: it is sequential (~0.3 s at n = 4096) and
 * needs only the tridiagonal, so it runs beside sstedc and the
 * back-transform. */
typedef struct sterf_job {
    lapack_int n, info;
    double *d, *e;
} sterf_job;

static void *run_sterf(void *arg) {
    sterf_job *j = arg;
    j->info = LAPACKE_dsterf(j->n, j->d, j->e);
    return NULL;
}

gp_status gp__eigh_top_mixed(double *A, int64_t n, int64_t k, double *w, double *Z) {
    if (k < 1 || k > n) return gp__error(GP_EINTERNAL, "eigh: k=%lld, n=%lld", (long long)k,
                                         (long long)n);
    /* sstedc's workspace is 1 + 4n + n^2 floats */
    if (!gp__fits_lapack_int(n) || !gp__fits_lapack_int(n * n + 4 * n + 1))
        return gp__error(GP_ESHAPE, "eigh: %lld x %lld is too large for LAPACK", (long long)n,
                         (long long)n);
    size_t N = (size_t)n, K = (size_t)k;
    lapack_int Ni = (lapack_int)n, info;
    /* float64 Rayleigh-Ritz on the top r pairs (see below) */
    size_t r = K < 64 ? K : 64;
    float *S = gp__alloc_n(N * N, sizeof *S), *Zs = gp__alloc_n(N * N, sizeof *Zs);
    float *d32 = gp__alloc_n(3 * N, sizeof *d32), *e32 = d32 + N, *tau = e32 + N;
    double *dd = gp__alloc_n(2 * N, sizeof *dd), *de = dd + N;
    double *V = gp__alloc_n(2 * N * r, sizeof *V), *AV = V + N * r;
    double *rq = gp__alloc_n(r, sizeof *rq), *H = gp__alloc_n(2 * r * r, sizeof *H), *Hv = H + r * r;
    float *work = NULL;
    lapack_int *iwork = NULL;
    sterf_job sterf = {0, 0, NULL, NULL};
    pthread_t sterf_thread;
    bool sterf_threaded = false;
    gp_status st = GP_OK;
    if (!S || !Zs || !d32 || !dd || !V || !rq || !H) {
        st = gp__error(GP_ENOMEM, "eigh: out of memory (%lld x %lld)", (long long)n,
                       (long long)n);
        goto done;
    }
    /* Row-major upper triangle = column-major lower, as in gp__eigh_top. */
    for (size_t i = 0; i < N * N; i++) S[i] = (float)A[i];
    float q;
    lapack_int lwork;
    info = LAPACKE_ssytrd_work(LAPACK_COL_MAJOR, 'L', Ni, S, Ni, d32, e32, tau, &q, -1);
    if (info || !lwork_from(q, &lwork)) {
        st = info ? gp__lapack_status("LAPACKE_ssytrd", info)
                  : gp__error(GP_ENOMEM, "LAPACKE_ssytrd: workspace too large");
        goto done;
    }
    lwork = GP_MAX(lwork, 1 + 4 * Ni + Ni * Ni); /* reused by sstedc */
    work = gp__alloc_n((size_t)lwork, sizeof *work);
    iwork = gp__alloc_n(3 + 5 * N, sizeof *iwork);
    if (!work || !iwork) {
        st = gp__error(GP_ENOMEM, "eigh: out of memory (%lld x %lld)", (long long)n,
                       (long long)n);
        goto done;
    }
    info = LAPACKE_ssytrd_work(LAPACK_COL_MAJOR, 'L', Ni, S, Ni, d32, e32, tau, work, lwork);
    if ((st = gp__lapack_status("LAPACKE_ssytrd", info)) != GP_OK) goto done;
    /* The float64 eigenvalues of the float32 tridiagonal T: dsterf costs
     * O(n^2) and, on bench/pca.sh's covariance, brings the relative error
     * of the ratios from 4e-6 (top 20) / 3e-4 (tail) with sstedc's float32
     * values to 8e-7 / 1e-5: T itself carries float32 rounding, which the
     * Rayleigh-Ritz step below removes for the leading pairs. */
    for (size_t i = 0; i < N; i++) {
        dd[i] = d32[i];
        de[i] = e32[i];
    }
    if (r < K) {
        sterf = (sterf_job){.n = Ni, .d = dd, .e = de};
        sterf_threaded = pthread_create(&sterf_thread, NULL, run_sterf, &sterf) == 0;
        if (!sterf_threaded) run_sterf(&sterf);
    }
    /* Explicit workspace sizes: a float32 workspace query cannot hold
     * 1 + 4n + n^2 exactly once n^2 > 2^24. */
    info = LAPACKE_sstedc_work(LAPACK_COL_MAJOR, 'I', Ni, d32, e32, Zs, Ni, work, lwork, iwork,
                               3 + 5 * Ni);
    if ((st = gp__lapack_status("LAPACKE_sstedc", info)) != GP_OK) goto done;
    gp__free(work);
    work = NULL;
    /* Eigenvectors ascend: the top k are the last k columns. */
    float *Zk = Zs + (N - K) * N;
    if ((st = back_transform(S, tau, n, Zk, k)) != GP_OK) goto done;
    if (sterf_threaded) {
        pthread_join(sterf_thread, NULL);
        sterf_threaded = false;
    }
    if (sterf.info && (st = gp__lapack_status("LAPACKE_dsterf", sterf.info)) != GP_OK) goto done;
    /* Float64 Rayleigh-Ritz on the span of the top r vectors: the
     * eigenpairs of H = V^T A V. A plain Rayleigh quotient v^T A v errs by
     * ~(eps32 |A| / lambda_i)^2 / (relative gap to its neighbours), 1e-5 of
     * ratio 13 in tests/test_pca.c's outlier case (lambda_1 ~ 1e4
     * lambda_13); Rayleigh-Ritz resolves the neighbours inside the span and
     * leaves only the pull of the pairs beyond r, whose gap is wide. Costs
     * one dsymm with r columns (2 n^2 r flops). */
    for (size_t j = 0; j < r; j++) {
        const float *z = Zk + (K - 1 - j) * N;
        for (size_t i = 0; i < N; i++) V[j * N + i] = z[i];
    }
    /* V is orthonormal only to float32 rounding (~1e-6), which would
     * shift the Ritz values by as much: make it orthonormal in float64. */
    if ((st = gp__orthonormalize_block(V, 0, (int64_t)r, n)) != GP_OK) goto done;
    int R = (int)r;
    cblas_dsymm(CblasColMajor, CblasLeft, CblasLower, Ni, R, 1.0, A, Ni, V, Ni, 0.0, AV, Ni);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, R, R, Ni, 1.0, V, Ni, AV, Ni, 0.0, H,
                R);
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < i; j++) H[i * r + j] = H[j * r + i] = 0.5 * (H[i * r + j] + H[j * r + i]);
    if ((st = gp__eigh_small(H, (int64_t)r, rq, Hv)) != GP_OK) goto done;
    /* Ritz vectors U = V Hv^T (column i of U from row i of Hv), into AV */
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Ni, R, R, 1.0, V, Ni, Hv, R, 0.0, AV,
                Ni);
    /* A is read no more: Z may alias it. */
    for (size_t i = 0; i < K; i++) {
        double *zi = Z + i * N;
        if (i < r) {
            const double *u = AV + i * N;
            double ss = 0;
            for (size_t j = 0; j < N; j++) ss += u[j] * u[j];
            double s = ss > 0 ? 1 / sqrt(ss) : 0;
            for (size_t j = 0; j < N; j++) zi[j] = u[j] * s;
            w[i] = rq[i];
            continue;
        }
        /* past the refined ones, never above w[r-1]: the two differ by
         * rounding at most, and the order must hold */
        w[i] = GP_MIN(dd[N - 1 - i], w[i - 1]);
        const float *z = Zk + (K - 1 - i) * N;
        double ss = 0;
        for (size_t j = 0; j < N; j++) ss += (double)z[j] * z[j];
        double s = ss > 0 ? 1 / sqrt(ss) : 0;
        for (size_t j = 0; j < N; j++) zi[j] = z[j] * s;
    }
done:
    if (sterf_threaded) pthread_join(sterf_thread, NULL);
    gp__free(S);
    gp__free(Zs);
    gp__free(d32);
    gp__free(dd);
    gp__free(V);
    gp__free(rq);
    gp__free(H);
    gp__free(work);
    gp__free(iwork);
    return st;
}
