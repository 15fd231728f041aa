/* pca_randomized.c — the randomized solver of pca.c: block Krylov
 * iteration on the covariance, top k only, a few passes over X. */
#include "pca_internal.h"
#include "linalg.h"
#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static uint64_t keep_limit; /* gp__pca_set_keep_limit; 0: auto */

void gp__pca_set_keep_limit(uint64_t bytes) { keep_limit = bytes; }

/* ------------------------------------------------------------------ */
/* randomized                                                         */
/* ------------------------------------------------------------------ */

/* Randomized block Krylov PCA (Halko, Martinsson and Tropp 2011, sec. 4.5;
 * Musco and Musco 2015) on C = Xc^T Xc, with basis blocks of l = k + p
 * vectors (rows, orthonormal):
 *     V_0 = orth(Omega);  V_{t+1} = C V_t, t = 0..q-1,
 *     K = orth([V_0 .. V_q]),
 * then Rayleigh-Ritz on all of K: the eigenpairs of G = K^T C K = Y^T Y,
 * Y = Xc K^T, accumulated in float64 from float32 Y blocks. Plain subspace
 * iteration keeps only V_q; keeping every block makes the Krylov space,
 * which holds far better polynomial filters of the spectrum, so q passes
 * here beat scikit-learn's 7 power iterations (2 reads of X each) on the
 * slowly decaying spectra of real activations; see bench/pca.sh. Each pass
 * reads a block once for both Y_b = Xc_b V^T and Xc_b^T Y_b, while the
 * block is in cache. The columns Y_t = Xc V_t^T a power pass computes are
 * kept (when n m floats fit in an eighth of the memory available), so the
 * last pass only computes those of V_q: (2q + 1) l columns of products in
 * all instead of (3q + 1) l. Ritz values from Y^T Y err by ~eps s_1 s_i,
 * not eps s_1^2 as K^T (C K) would: that matters when outlier dimensions
 * make s_1 huge. Deterministic: Omega comes from a seeded stream, the block
 * order is fixed, only BLAS-3 calls touch the data (OpenBLAS keeps their
 * bits whatever its thread count with the kernels this CPU should run), and
 * orthonormalization and the small eigenproblem (gp__eigh_small: a
 * hand-written reduction, then dsteqr) avoid threaded level-2 BLAS (dgemv,
 * dsymv), which is not thread-invariant. */
gp_status gp__pca_fit_randomized(gp__pca_ctx *c, double *eigval, double **vec_out) {
    const gp_pca_opts *o = c->o;
    size_t d = (size_t)c->d;
    int64_t mn = GP_MIN(c->n, c->d);
    /* auto depth: 3 Krylov steps already beat scikit-learn's 7 power
     * iterations on the top-50 ratios of bench/pca.sh (4 are ~40x more
     * accurate still); 2 when k is a larger share of the spectrum, where
     * the gaps past k are wider. */
    int64_t q = o->n_power_iter >= 0 ? o->n_power_iter : (c->k * 10 < mn ? 3 : 2);
    /* auto oversampling: 10, then up to a multiple of 16 columns, the
     * float32 sgemm kernels' width (on bench/pca.sh, k = 50, l = 64 runs
     * ~12% faster than l = 60, and is more accurate), unless the q + 1
     * blocks would no longer fit in min(n, d) dimensions: wider blocks
     * would then cost Krylov steps. */
    int64_t l = c->k + (o->n_oversamples >= 0 ? o->n_oversamples : 10);
    if (o->n_oversamples < 0 && (q + 1) * ((l + 15) / 16 * 16) <= mn) l = (l + 15) / 16 * 16;
    l = GP_MIN(l, mn);
    /* q + 1 blocks, the last one cut short where the basis would exceed
     * min(n, d) vectors (small problems: then fewer Krylov steps). */
    int64_t nblk = GP_MIN(q + 1, (mn + l - 1) / l);
    int64_t m = GP_MIN(nblk * l, mn);
    *vec_out = NULL;
    if (!gp__fits_lapack_int(c->block * c->d) || !gp__fits_lapack_int(m * c->d) ||
        !gp__fits_lapack_int(c->rows * m) || !gp__fits_lapack_int(c->X->ld))
        return gp__error(GP_ESHAPE, "pca: %lld features is too many for BLAS",
                         (long long)c->d);
    size_t L = (size_t)l, M = (size_t)m, B = (size_t)c->block;
    bool f64 = c->X->dtype == GP_DTYPE_F64;
    uint64_t avail = gp_memory_available(), limit = keep_limit;
    if (!limit) limit = avail ? avail / 8 : (uint64_t)1 << 28;
    bool keep = (uint64_t)c->rows * M * sizeof(float) <= limit;
    size_t yrows = keep ? (size_t)c->rows : B; /* rows of the Y buffer, (yrows, M) */
    double *K = gp__alloc_n(M * d, sizeof *K), *G = gp__alloc_n(M * M, sizeof *G);
    double *W = gp__alloc_n(M * M, sizeof *W), *w = gp__alloc_n(M, sizeof *w);
    double *Yd = gp__alloc_n(B * M, sizeof *Yd);
    float *Kf = gp__alloc_n(M * d, sizeof *Kf), *Zf = gp__alloc_n(L * d, sizeof *Zf);
    float *buf = f64 ? gp__alloc_n(B * d, sizeof *buf) : NULL;
    float *Y = gp__alloc_n(yrows * M, sizeof *Y);
    float *vmean = gp__alloc_n(M, sizeof *vmean);
    double *ysum = gp__alloc_n(L, sizeof *ysum);
    double *vec = NULL;
    gp_status st = GP_OK;
    if (!K || !G || !W || !w || !Yd || !Kf || !Zf || (f64 && !buf) || !Y || !vmean || !ysum) {
        st = agree(c, gp__error(GP_ENOMEM, "pca: out of memory for a %zu x %zu basis", d, M));
        goto done;
    }
    gp__rng rng;
    gp__rng_stream(&rng, o->seed, 0);
    for (size_t i = 0; i < L * d; i++) K[i] = gp__rng_normal(&rng);
    if ((st = gp__orthonormalize_block(K, 0, l, c->d)) != GP_OK) goto done;

    int D = (int)d, Li = (int)l, Mi = (int)m;
    int64_t passes = nblk, done_rows = 0;
    for (int64_t pass = 0; pass < passes; pass++) {
        bool last = pass == passes - 1;
        /* power pass: Y_t and C V_t for block t = pass; last: the columns
         * of Y not kept yet, then G = Y^T Y */
        size_t c0 = last && !keep ? 0 : (size_t)pass * L, nv = last ? M - c0 : L;
        double *next = K + (size_t)(pass + 1) * L * d;
        /* rows of C V_t the basis has room for */
        size_t take = last ? 0 : (size_t)GP_MIN(l, m - (pass + 1) * l);
        const float *V = Kf + c0 * d;
        for (size_t i = c0 * d; i < (c0 + nv) * d; i++) Kf[i] = (float)K[i];
        if (last) memset(G, 0, M * M * sizeof *G);
        else memset(Zf, 0, L * d * sizeof *Zf);
        /* float32 X needs no centered copy: Xc V^T = X V^T - 1 (V mean)^T
         * and, as Xc^T 1 = 0, Xc^T Xc V^T = X^T Y - mean (1^T Y) with Y the
         * centered products. The sgemms read the mapped rows in place; the
         * single-threaded centering (the second BLAS thread spinning
         * meanwhile) was ~20% of the fit's CPU samples under perf. Each
         * product then rounds at eps32 |x| |v| instead of
         * eps32 |x - mean| |v|: on tests/test_pca.c's data with offset
         * outlier dimensions the Ritz values still match scikit-learn to
         * well within the 1e-4 asked. */
        if (!f64) {
            for (size_t j = 0; j < nv; j++) {
                double a = 0;
                for (size_t i = 0; i < d; i++) a += (double)V[j * d + i] * c->mean[i];
                vmean[j] = (float)a;
            }
            for (size_t j = 0; j < L; j++) ysum[j] = 0;
        }
        for (int64_t r0 = 0; r0 < c->rows; r0 += c->block) {
            if ((st = cancelled(o)) != GP_OK) break;
            int nb = (int)GP_MIN(c->block, c->rows - r0);
            const float *xb = buf;
            int ldx = D;
            if (f64) {
                gp__pca_center_f32(c, r0, nb, buf);
            } else {
                xb = (const float *)gp__row(c->X, r0);
                ldx = (int)c->X->ld;
            }
            float *Yb = Y + (keep ? (size_t)r0 * M : 0), *Yt = Yb + c0;
            /* Y_b[:, c0 .. c0 + nv) = Xc_b V^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, (int)nv, D, 1.0f, xb, ldx, V,
                        D, 0.0f, Yt, Mi);
            if (!f64)
                for (size_t i = 0; i < (size_t)nb; i++)
                    for (size_t j = 0; j < nv; j++) Yt[i * M + j] -= vmean[j];
            if (last) {
                for (size_t i = 0; i < (size_t)nb * M; i++) Yd[i] = Yb[i];
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Mi, nb, 1.0, Yd, Mi, 1.0, G,
                            Mi);
            } else {
                if (!f64)
                    for (size_t i = 0; i < (size_t)nb; i++)
                        for (size_t j = 0; j < L; j++) ysum[j] += Yt[i * M + j];
                /* (C V)^T (l, d) += Y_b^T Xc_b: a float32 sum over the
                 * blocks, whose rounding only tilts the next basis block */
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Li, D, nb, 1.0f, Yt, Mi, xb,
                            ldx, 1.0f, Zf, D);
            }
            gp__release_rows(c->X, r0, r0 + nb);
            done_rows += nb;
            progress(o, done_rows, passes * c->rows, "power iteration");
        }
        if (!last)
            for (size_t j = 0; j < take; j++)
                for (size_t i = 0; i < d; i++)
                    next[j * d + i] = Zf[j * d + i] - (f64 ? 0 : ysum[j] * c->mean[i]);
        /* Over processes: the new basis block (l d doubles) or, last, G. */
        if ((st = gp__comm_reduce(c->comm, last ? G : next, (int64_t)(last ? M * M : take * d),
                                  GP_REDUCE_SUM, st, "pca")) != GP_OK)
            goto done;
        if (!last && take > 0 &&
            (st = gp__orthonormalize_block(K, (pass + 1) * l, (int64_t)take, c->d)) != GP_OK) {
            st = agree(c, st);
            goto done;
        }
    }
    /* G is upper-triangular from dsyrk: mirror it. */
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < i; j++) G[i * M + j] = G[j * M + i];
    if ((st = gp__eigh_small(G, m, w, W)) != GP_OK) {
        st = agree(c, st);
        goto done;
    }
    /* Ritz vectors: components = W[:k] Kf, with Kf the basis G was built on */
    if (!(vec = gp__alloc_n((size_t)c->k * d + c->tail, sizeof *vec))) {
        st = agree(c, gp__error(GP_ENOMEM, "pca: out of memory"));
        goto done;
    }
    for (size_t i = 0; i < M * d; i++) K[i] = Kf[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)c->k, D, Mi, 1.0, W, Mi, K, D,
                0.0, vec, D);
    /* Kf is orthonormal only to float32 rounding: renormalize. */
    for (size_t i = 0; i < (size_t)c->k; i++) {
        double ss = 0;
        for (size_t j = 0; j < d; j++) ss += vec[i * d + j] * vec[i * d + j];
        double s = ss > 0 ? 1.0 / sqrt(ss) : 0;
        for (size_t j = 0; j < d; j++) vec[i * d + j] *= s;
        eigval[i] = w[i];
    }
    *vec_out = vec;
done:
    gp__free(K);
    gp__free(G);
    gp__free(W);
    gp__free(w);
    gp__free(Yd);
    gp__free(Kf);
    gp__free(Zf);
    gp__free(buf);
    gp__free(Y);
    gp__free(vmean);
    gp__free(ysum);
    return st;
}
