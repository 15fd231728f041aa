/* linalg.h — thin wrappers over LAPACKE for the library's numerical code
 * (private).
 *
 * Every wrapper takes row-major data, calls LAPACKE with LAPACK_COL_MAJOR
 * on a layout that needs no transpose (STYLE.md R12), allocates its
 * workspace through gp__malloc after one workspace query (so the
 * allocation hooks see everything and LAPACKE allocates nothing), and maps
 * LAPACK's info to a gp_status with a message naming the routine. Sizes
 * are checked against lapack_int first (GP_ESHAPE). */
#ifndef GP_LINALG_H
#define GP_LINALG_H

#include "gp_internal.h"

/* Status for a LAPACK info value: < 0 is our bug (GP_EINTERNAL), > 0 a
 * failure to converge (GP_ENOCONVERGE); -1010/-1011 out of memory. */
gp_status gp__lapack_status(const char *routine, int64_t info);

/* true when every value fits a lapack_int (and a BLAS int). */
bool gp__fits_lapack_int(int64_t a);

/* Largest k eigenpairs of the symmetric n x n matrix A (float64; only the
 * upper triangle of the row-major matrix is read, A is destroyed).
 * w (k): eigenvalues in descending order; Z (k, n) row-major: the matching
 * unit eigenvectors as rows. k == n runs dsyevd (all pairs), k < n runs
 * dsyevr asking for the top k only. */
gp_status gp__eigh_top(double *A, int64_t n, int64_t k, double *w, double *Z);

/* All eigenpairs of a small symmetric n x n matrix A (row-major, full
 * storage, destroyed): Householder tridiagonalization in plain loops, then
 * LAPACK's dsteqr, which calls no threaded BLAS, so the bits do not depend
 * on OpenBLAS's thread count as LAPACK's dsytrd's (threaded dsymv) do.
 * O(n^3): for n up to a few hundred.
 * w (n) descending; Z (n, n) row-major, eigenvectors as rows. */
gp_status gp__eigh_small(double *A, int64_t n, double *w, double *Z);

/* As gp__eigh_top, in mixed precision, for large n: float32 tridiagonal
 * reduction, divide and conquer and back-transform (ssytrd, sstedc, blocks
 * of 256 reflectors applied by sgemm), then float64 eigenvalues: float64
 * Rayleigh-Ritz against A on the span of the top min(k, 64) vectors, dsterf
 * on the tridiagonal (on a thread of its own) for the rest. A is read, not destroyed, until Z (which may be A) is written.
 * Past the top 64, vectors are orthonormal to ~1e-6 and accurate to
 * ~eps32 |A| / gap, eigenvalues to a few eps32 |A| (absolute); the top 64
 * to ~(eps32 |A| / lambda_i)^2 relative. For callers that can take that
 * (PCA on a float32 covariance); LDA keeps gp__eigh_top. */
gp_status gp__eigh_top_mixed(double *A, int64_t n, int64_t k, double *w, double *Z);

/* Thin SVD of a row-major A (rows, cols, ld = cols) for its singular values
 * and right singular vectors; A is destroyed. m = min(rows, cols).
 * s (m): singular values, descending; Vt (m, cols) row-major: the right
 * singular vectors as rows. */
gp_status gp__svd_right_f32(float *A, int64_t rows, int64_t cols, float *s, float *Vt);
gp_status gp__svd_right_f64(double *A, int64_t rows, int64_t cols, double *s, double *Vt);

/* Orthonormalize rows p..p+r-1 of K (row length d, p + r <= d) against
 * rows 0..p-1 (already orthonormal) and among themselves, in place. Block
 * Gram-Schmidt, twice: dgemm against the earlier rows, plain loops inside
 * the block; no LAPACK, whose QR (threaded dgemv in dlarf) rounds
 * differently with the BLAS thread count. Rows that are dependent are
 * replaced by orthogonalized coordinate vectors: the result is always
 * orthonormal. */
gp_status gp__orthonormalize_block(double *K, int64_t p, int64_t r, int64_t d);

#endif /* GP_LINALG_H */
