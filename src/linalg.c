/* linalg.c — LAPACKE wrappers: column-major calls on row-major data with no
 * transposes (STYLE.md R12), workspace from gp__malloc, info mapped to a
 * gp_status. */
#include "linalg.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
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

static void *alloc_n(size_t count, size_t size) {
    uint64_t total;
    if (gp__mul_overflow(count, size, &total) || total > SIZE_MAX) return NULL;
    return gp__malloc((size_t)total);
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
        double *work = alloc_n((size_t)lwork, sizeof *work);
        lapack_int *iwork = alloc_n((size_t)liwork, sizeof *iwork);
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
    double *work = alloc_n((size_t)lwork, sizeof *work);
    lapack_int *iwork = alloc_n((size_t)liwork, sizeof *iwork);
    double *wall = alloc_n((size_t)n, sizeof *wall); /* dsyevr writes up to n values */
    lapack_int *isuppz = alloc_n(2 * (size_t)k, sizeof *isuppz);
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

gp_status gp__eigh_jacobi(double *A, int64_t n, double *w, double *Z) {
    size_t N = (size_t)n;
    double *Vt = alloc_n(N * N, sizeof *Vt); /* rows: the eigenvectors so far */
    size_t *order = alloc_n(N, sizeof *order);
    gp_status st = GP_OK;
    if (!Vt || !order) {
        st = gp__error(GP_ENOMEM, "eigh: out of memory");
        goto done;
    }
    for (size_t i = 0; i < N * N; i++) Vt[i] = 0;
    for (size_t i = 0; i < N; i++) Vt[i * N + i] = 1;
    double frob = 0;
    for (size_t i = 0; i < N * N; i++) frob += A[i] * A[i];
    bool converged = false;
    for (int sweep = 0; sweep < 60 && !converged; sweep++) {
        double off = 0;
        for (size_t p = 0; p < N; p++)
            for (size_t q = p + 1; q < N; q++) off += A[p * N + q] * A[p * N + q];
        if (off <= 1e-32 * frob) {
            converged = true;
            break;
        }
        for (size_t p = 0; p < N; p++)
            for (size_t q = p + 1; q < N; q++) {
                double apq = A[p * N + q];
                if (apq == 0) continue;
                /* Golub and Van Loan's sym.schur2: the rotation J that
                 * zeroes A[p][q], taking the smaller angle. J^T A J changes
                 * rows and columns p and q only; by symmetry, update the
                 * rows (contiguous) and copy them into the columns. */
                double app = A[p * N + p], aqq = A[q * N + q];
                double tau = (aqq - app) / (2 * apq);
                double t = (tau >= 0 ? 1.0 : -1.0) / (fabs(tau) + sqrt(1 + tau * tau));
                double c = 1 / sqrt(1 + t * t), s = t * c;
                double *rp = A + p * N, *rq = A + q * N;
                for (size_t r = 0; r < N; r++) {
                    double x = rp[r], y = rq[r];
                    rp[r] = c * x - s * y;
                    rq[r] = s * x + c * y;
                }
                for (size_t r = 0; r < N; r++) {
                    A[r * N + p] = rp[r];
                    A[r * N + q] = rq[r];
                }
                rp[p] = app - t * apq;
                rq[q] = aqq + t * apq;
                rp[q] = rq[p] = 0;
                double *vp = Vt + p * N, *vq = Vt + q * N;
                for (size_t r = 0; r < N; r++) {
                    double x = vp[r], y = vq[r];
                    vp[r] = c * x - s * y;
                    vq[r] = s * x + c * y;
                }
            }
    }
    if (!converged) {
        st = gp__error(GP_ENOCONVERGE, "eigh: Jacobi did not converge in 60 sweeps");
        goto done;
    }
    /* Sort descending (selection: ties keep their order). */
    for (size_t i = 0; i < N; i++) order[i] = i;
    for (size_t i = 0; i < N; i++) {
        size_t best = i;
        for (size_t j = i + 1; j < N; j++)
            if (A[order[j] * N + order[j]] > A[order[best] * N + order[best]]) best = j;
        size_t t = order[i];
        order[i] = order[best];
        order[best] = t;
    }
    for (size_t i = 0; i < N; i++) {
        size_t c = order[i];
        w[i] = A[c * N + c];
        memcpy(Z + i * N, Vt + c * N, N * sizeof *Z);
    }
done:
    gp__free(Vt);
    gp__free(order);
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
    void *small = wide ? alloc_n((size_t)N * (size_t)N, esz) : NULL; /* VT, unused */
    void *U = wide ? (void *)dummy : Vt, *VT = wide ? small : (void *)dummy;
    lapack_int ldu = wide ? 1 : M, ldvt = wide ? N : 1, lwork, info;
    lapack_int *iwork = alloc_n(8 * (size_t)mn, sizeof *iwork);
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
    work = alloc_n((size_t)lwork, esz);
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
    size_t D = (size_t)d, R = (size_t)r, P = (size_t)p;
    double *Z = K + P * D;
    double *T = p ? alloc_n(R * P, sizeof *T) : NULL;
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
