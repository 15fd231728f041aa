/* pca.c — principal component analysis with three solvers behind one call.
 *
 *   cov         Xc^T Xc by float32 ssyrk over row blocks, accumulated in
 *               float64, then a float64 eigensolver (top k only when k < d).
 *               Streams a memory-mapped X of any size; cost n d^2 + d^3.
 *   svd         thin SVD of an owned centered copy (n d memory): for n < d.
 *   randomized  block Krylov iteration on the covariance (Halko, Martinsson
 *               and Tropp 2011) for the top k, in pca_randomized.c: each
 *               pass reads X once, block by block, and applies Xc^T Xc to
 *               the basis with two float32 sgemms while the block is in
 *               cache.
 *
 * X (usually a read-only mapping of the file) is never modified: cov
 * centers it block by block into a small buffer, randomized reads float32
 * rows in place and corrects its products for the mean, and only svd,
 * whose LAPACK routine needs the whole matrix, makes a centered copy. */
#include "pca_internal.h"
#include "linalg.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

struct gp_pca {
    int64_t       n, d, k;
    gp_pca_solver solver;
    int32_t       whiten;
    double        total_var;
    double       *components; /* (k, d); the arrays share one allocation */
    double       *ev, *ratio, *sv, *mean;
};

void gp_pca_opts_init(gp_pca_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->solver = GP_PCA_AUTO;
    o->n_oversamples = -1;
    o->n_power_iter = -1;
}

const char *gp_pca_solver_name(gp_pca_solver s) {
    switch (s) {
    case GP_PCA_AUTO: return "auto";
    case GP_PCA_COV: return "cov";
    case GP_PCA_SVD: return "svd";
    case GP_PCA_RANDOMIZED: return "randomized";
    }
    return "unknown";
}

/* ------------------------------------------------------------------ */
/* Shared pieces                                                      */
/* ------------------------------------------------------------------ */

/* Default rows per block: about `bytes` of float32 rows (and no more than
 * a sixteenth of the memory available now, so a streamed pass fits beside
 * the d x d accumulators on a small machine), at least 256. */
static int64_t block_rows(const gp__pca_ctx *c, size_t bytes) {
    int64_t b = c->o->block_rows;
    uint64_t avail = gp_memory_available();
    if (avail > 0 && avail / 16 < bytes) bytes = (size_t)(avail / 16);
    if (b <= 0) b = GP_MAX((int64_t)(bytes / ((size_t)c->d * sizeof(float))), 256);
    return GP_MAX(GP_MIN(b, c->rows), 1);
}

/* Pass 1, in float64: column means and the total variance, shifted by the
 * first row (sums of x - x0 and (x - x0)^2), which is exact for constant
 * columns and loses no digits to a large mean, as raw sums of x^2 would on
 * activations whose outlier dimensions sit far from zero. A non-finite sum
 * means a NaN/Inf in X (float32 sums cannot overflow a double); only then
 * is X scanned again to name the first bad element. */
static gp_status moments(gp__pca_ctx *c) {
    const gp_matrix *X = c->X;
    size_t d = (size_t)c->d;
    bool f64 = X->dtype == GP_DTYPE_F64;
    double *s1 = gp__calloc(2 * d, sizeof *s1), *s2 = s1 + d;
    double *x0 = gp__alloc_n(d, sizeof *x0);
    gp_status st = GP_OK;
    if (!s1 || !x0) {
        st = agree(c, gp__error(GP_ENOMEM, "pca: out of memory (%zu features)", d));
        goto done;
    }
    /* The shift: the first row of the first process holding rows. */
    bool mine = !gp__comm_active(c->comm) || c->comm->rank == c->first_rank;
    for (size_t j = 0; j < d; j++)
        x0[j] = !mine ? 0 : f64 ? ((const double *)X->data)[j] : ((const float *)X->data)[j];
    if ((st = gp__comm_reduce(c->comm, x0, (int64_t)d, GP_REDUCE_SUM, st, "pca")) != GP_OK)
        goto done;
    for (int64_t r0 = 0; r0 < c->rows; r0 += c->block) {
        if ((st = cancelled(c->o)) != GP_OK) break;
        int64_t r1 = GP_MIN(r0 + c->block, c->rows);
        int64_t i = r0;
        /* float32: four rows per sweep over s1/s2, a quarter of their load
         * and store traffic (this pass was ~8% of a randomized fit) */
        for (; !f64 && i + 4 <= r1; i += 4) {
            const float *x0r = (const float *)gp__row(X, i), *x1r = (const float *)gp__row(X, i + 1);
            const float *x2r = (const float *)gp__row(X, i + 2), *x3r = (const float *)gp__row(X, i + 3);
            for (size_t j = 0; j < d; j++) {
                double v0 = (double)x0r[j] - x0[j], v1 = (double)x1r[j] - x0[j];
                double v2 = (double)x2r[j] - x0[j], v3 = (double)x3r[j] - x0[j];
                s1[j] += (v0 + v1) + (v2 + v3);
                s2[j] += (v0 * v0 + v1 * v1) + (v2 * v2 + v3 * v3);
            }
        }
        for (; i < r1; i++) {
            if (f64) {
                const double *x = (const double *)gp__row(X, i);
                for (size_t j = 0; j < d; j++) {
                    double v = x[j] - x0[j];
                    s1[j] += v;
                    s2[j] += v * v;
                }
            } else {
                const float *x = (const float *)gp__row(X, i);
                for (size_t j = 0; j < d; j++) {
                    double v = (double)x[j] - x0[j];
                    s1[j] += v;
                    s2[j] += v * v;
                }
            }
        }
        gp__release_rows(X, r0, r1);
        progress(c->o, r1, c->rows, "mean");
    }
    if ((st = gp__comm_reduce(c->comm, s1, 2 * (int64_t)d, GP_REDUCE_SUM, st, "pca")) != GP_OK)
        goto done;
    double n = (double)c->n, total = 0;
    bool all_constant = true;
    for (size_t j = 0; j < d; j++) {
        if (!isfinite(s1[j]) || !isfinite(s2[j])) {
            st = gp_matrix_check_finite(X, "pca: X", NULL, NULL);
            if (st == GP_OK && gp__comm_active(c->comm))
                st = gp__error(GP_ENAN, "pca: another process's rows hold a NaN or Inf");
            else if (st == GP_OK) /* finite float64 values whose squares overflow */
                st = gp__error(GP_EINVAL, "pca: X column %zu is too large to square in "
                               "float64; rescale the data", j);
            goto done;
        }
        /* A constant column gets its value as the mean, exactly, so its
         * centered values are exactly 0 in every solver. */
        if (s2[j] == 0) {
            c->mean[j] = x0[j];
            continue;
        }
        all_constant = false;
        c->mean[j] = x0[j] + s1[j] / n;
        double ss = s2[j] - s1[j] * s1[j] / n;
        total += ss > 0 ? ss : 0;
    }
    c->total_var = total / (n - 1);
    if (all_constant || !(c->total_var > 0))
        st = gp__error(GP_EINVAL, "pca: X has zero variance (every row is the same)");
    else if (!isfinite(c->total_var))
        st = gp__error(GP_EINVAL, "pca: the total variance of X overflows float64");
done:
    gp__free(s1);
    gp__free(x0);
    return st;
}

/* Rows r0..r0+nb of X minus the mean, into a (nb, d) buffer: the
 * subtraction in float64, then rounded once to the buffer's precision. */
void gp__pca_center_f32(const gp__pca_ctx *c, int64_t r0, int64_t nb, float *buf) {
    const gp_matrix *X = c->X;
    size_t d = (size_t)c->d;
    for (int64_t i = 0; i < nb; i++) {
        float *b = buf + (size_t)i * d;
        if (X->dtype == GP_DTYPE_F64) {
            const double *x = (const double *)gp__row(X, r0 + i);
            for (size_t j = 0; j < d; j++) b[j] = (float)(x[j] - c->mean[j]);
        } else {
            const float *x = (const float *)gp__row(X, r0 + i);
            for (size_t j = 0; j < d; j++) b[j] = (float)((double)x[j] - c->mean[j]);
        }
    }
}

static void center_f64(const gp__pca_ctx *c, int64_t r0, int64_t nb, double *buf) {
    size_t d = (size_t)c->d;
    for (int64_t i = 0; i < nb; i++) {
        const double *x = (const double *)gp__row(c->X, r0 + i);
        double *b = buf + (size_t)i * d;
        for (size_t j = 0; j < d; j++) b[j] = x[j] - c->mean[j];
    }
}

/* ------------------------------------------------------------------ */
/* cov                                                                */
/* ------------------------------------------------------------------ */

/* eigval (k,) gets the eigenvalues of Xc^T Xc, vec (k, d) the vectors. */
static gp_status fit_cov(gp__pca_ctx *c, double *eigval, double **vec_out) {
    size_t d = (size_t)c->d;
    bool f64 = c->X->dtype == GP_DTYPE_F64;
    gp_status st = GP_OK;
    *vec_out = NULL;
    if (!gp__fits_lapack_int(c->d * c->d) || !gp__fits_lapack_int(c->block * c->d))
        return gp__error(GP_ESHAPE, "pca: %lld features is too many for the cov solver "
                         "(use randomized)", (long long)c->d);
    double *C = gp__calloc(d * d + (c->k == c->d ? c->tail : 0), sizeof *C);
    float *C32 = f64 ? NULL : gp__alloc_n(d * d, sizeof *C32);
    void *buf = gp__alloc_n((size_t)c->block * d, f64 ? sizeof(double) : sizeof(float));
    double *Z = NULL;
    if (!C || (!f64 && !C32) || !buf) {
        st = agree(c, gp__error(GP_ENOMEM, "pca: out of memory for the %zu x %zu covariance",
                                d, d));
        goto fail;
    }
    int D = (int)d;
    int64_t partial = 0; /* rows in C32's float32 sum */
    for (int64_t r0 = 0; r0 < c->rows; r0 += c->block) {
        if ((st = cancelled(c->o)) != GP_OK) break;
        int64_t nb = GP_MIN(c->block, c->rows - r0);
        if (f64) {
            center_f64(c, r0, nb, buf);
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, D, (int)nb, 1.0, buf, D, 1.0, C,
                        D);
        } else {
            /* float32 products at twice the float64 speed, summed in
             * float32 over ~4096 rows, then added into float64 so the
             * n-row total keeps its digits. The float64 sum, which
             * streams the d x d matrices through memory, was ~8% of a
             * full-spectrum fit when done for every 2048-row block. */
            gp__pca_center_f32(c, r0, nb, buf);
            cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, D, (int)nb, 1.0f, buf, D,
                        partial ? 1.0f : 0.0f, C32, D);
            partial += nb;
            if (partial >= 4096 || r0 + nb == c->rows) {
                for (size_t i = 0; i < d; i++)
                    for (size_t j = i; j < d; j++) C[i * d + j] += C32[i * d + j];
                partial = 0;
            }
        }
        gp__release_rows(c->X, r0, r0 + nb);
        progress(c->o, r0 + nb, c->rows, "covariance");
    }
    /* The lower triangle is zero everywhere, so a sum of whole matrices
     * is the sum of the upper triangles (d^2 doubles per process). */
    if ((st = gp__comm_reduce(c->comm, C, (int64_t)(d * d), GP_REDUCE_SUM, st, "pca")) != GP_OK)
        goto fail;
    gp__free(C32);
    gp__free(buf);
    C32 = NULL;
    buf = NULL;
    /* From here on a failure is this process's: agree() tells the others
     * (they meet it in gp_pca_fit's last agreement). */
    if ((st = agree(c, cancelled(c->o))) != GP_OK) goto fail;
    progress(c->o, 0, 1, "eigensolver");
    /* All pairs: the vectors overwrite C (no second d x d array). */
    if (c->k == c->d) {
        Z = C;
    } else if (!(Z = gp__alloc_n((size_t)c->k * d + c->tail, sizeof *Z))) {
        st = agree(c, gp__error(GP_ENOMEM, "pca: out of memory"));
        goto fail;
    }
    /* From d = 512 on, the mixed-precision eigensolver: on bench/pca.sh's
     * 4096 x 4096 covariance it takes 3.0 s against 6.4 s for dsyevd (whose
     * float64 tridiagonal reduction alone, memory-bound dsymv, is 2.7-3 s),
     * with the top-50 ratios within 3.4e-8 and all 4096 within 3.5e-5
     * (relative) of an exact float64 reference; the float32 covariance
     * already carries ~eps32 errors. Below 512, float64 LAPACK costs
     * little. */
    st = c->d >= 512 ? gp__eigh_top_mixed(C, c->d, c->k, eigval, Z)
                     : gp__eigh_top(C, c->d, c->k, eigval, Z);
    if (st != GP_OK) {
        st = agree(c, st);
        goto fail;
    }
    progress(c->o, 1, 1, "eigensolver");
    if (Z != C) gp__free(C);
    *vec_out = Z;
    return GP_OK;
fail:
    if (Z != C) gp__free(Z);
    gp__free(C);
    gp__free(C32);
    gp__free(buf);
    return st;
}

/* ------------------------------------------------------------------ */
/* svd                                                                */
/* ------------------------------------------------------------------ */

/* sval (k,) gets the singular values, vec (k, d) the right vectors. */
static gp_status fit_svd(gp__pca_ctx *c, double *sval, double **vec_out) {
    size_t n = (size_t)c->n, d = (size_t)c->d, m = (size_t)GP_MIN(c->n, c->d);
    bool f64 = c->X->dtype == GP_DTYPE_F64;
    size_t esz = f64 ? sizeof(double) : sizeof(float);
    *vec_out = NULL;
    /* float64 input keeps float64: the caller chose the precision. */
    void *A = gp__alloc_n(n * d, esz), *s = gp__alloc_n(m, esz), *Vt = gp__alloc_n(m * d, esz);
    double *vec = NULL;
    gp_status st = GP_OK;
    if (!A || !s || !Vt) {
        st = gp__error(GP_ENOMEM, "pca: out of memory for the svd solver's %zu x %zu copy",
                       n, d);
        goto done;
    }
    for (int64_t r0 = 0; r0 < c->n; r0 += c->block) {
        if ((st = cancelled(c->o)) != GP_OK) goto done;
        int64_t nb = GP_MIN(c->block, c->n - r0);
        if (f64) center_f64(c, r0, nb, (double *)A + (size_t)r0 * d);
        else gp__pca_center_f32(c, r0, nb, (float *)A + (size_t)r0 * d);
        progress(c->o, r0 + nb, c->n, "center");
    }
    progress(c->o, 0, 1, "svd");
    st = f64 ? gp__svd_right_f64(A, c->n, c->d, s, Vt) : gp__svd_right_f32(A, c->n, c->d, s, Vt);
    if (st != GP_OK) goto done;
    progress(c->o, 1, 1, "svd");
    if (!(vec = gp__alloc_n((size_t)c->k * d + c->tail, sizeof *vec))) {
        st = gp__error(GP_ENOMEM, "pca: out of memory");
        goto done;
    }
    for (size_t i = 0; i < (size_t)c->k; i++) {
        sval[i] = f64 ? ((double *)s)[i] : ((float *)s)[i];
        for (size_t j = 0; j < d; j++)
            vec[i * d + j] = f64 ? ((double *)Vt)[i * d + j] : ((float *)Vt)[i * d + j];
    }
    *vec_out = vec;
done:
    gp__free(A);
    gp__free(s);
    gp__free(Vt);
    return st;
}

/* ------------------------------------------------------------------ */
/* Fit                                                                */
/* ------------------------------------------------------------------ */

static gp_status check_X(const gp_matrix *X, const char *fn) {
    if (!X) return gp__error(GP_EINVAL, "%s: X is NULL", fn);
    if (X->dtype != GP_DTYPE_F32 && X->dtype != GP_DTYPE_F64)
        return gp__error(GP_EDTYPE, "%s: X is %s; float32 or float64 needed", fn,
                         gp_dtype_name(X->dtype));
    if (X->rows < 0 || X->cols < 1)
        return gp__error(GP_EINVAL, "%s: X has shape (%lld, %lld); at least one feature "
                         "needed", fn, (long long)X->rows, (long long)X->cols);
    if (X->ld < X->cols)
        return gp__error(GP_ESHAPE, "%s: X's ld %lld < cols %lld", fn, (long long)X->ld,
                         (long long)X->cols);
    if (!X->data && X->rows > 0) return gp__error(GP_EINVAL, "%s: X's data is NULL", fn);
    return GP_OK;
}

static gp_status check_opts(const gp_pca_opts *o) {
    if (o->solver < GP_PCA_AUTO || o->solver > GP_PCA_RANDOMIZED)
        return gp__error(GP_EINVAL, "pca: unknown solver %d", (int)o->solver);
    if (o->n_components < 0)
        return gp__error(GP_EINVAL, "pca: n_components %lld < 0", (long long)o->n_components);
    if (o->n_oversamples < -1)
        return gp__error(GP_EINVAL, "pca: n_oversamples %d: use -1 (auto) or >= 0",
                         (int)o->n_oversamples);
    if (o->n_power_iter < -1 || o->n_power_iter > 1000)
        return gp__error(GP_EINVAL, "pca: n_power_iter %d: use -1 (auto) or 0..1000",
                         (int)o->n_power_iter);
    if (o->block_rows < 0)
        return gp__error(GP_EINVAL, "pca: block_rows %lld < 0", (long long)o->block_rows);
    return GP_OK;
}

/* The auto rule, from bench/pca.sh on a 2-core AVX-512 machine (n=20000,
 * d=4096, k=50): randomized 0.7-0.9 s, cov 3.5-4 s (the tridiagonal
 * reduction of the 4096^2 covariance, ~1.5 s even in float32, costs the
 * same whatever k is), so small k goes to randomized once the matrix is big
 * enough for the d^3 term to matter. For the full or a large part of the
 * spectrum, cov costs n d^2 + d^3 and svd
 * about n d^2 + n^2 d with a larger constant: cov when n >= d, svd when
 * n < d (where cov would factor a d x d matrix of rank < n). */
static gp_pca_solver choose_solver(int64_t n, int64_t d, int64_t k) {
    int64_t mn = GP_MIN(n, d);
    if (mn >= 500 && k * 10 <= mn) return GP_PCA_RANDOMIZED;
    return n >= d ? GP_PCA_COV : GP_PCA_SVD;
}

/* Sign rule of scikit-learn >= 1.5: the largest-|v| entry of each component
 * (the first one on ties) is positive. */
static void fix_signs(double *vec, int64_t k, int64_t d) {
    for (int64_t i = 0; i < k; i++) {
        double *v = vec + (size_t)i * (size_t)d;
        int64_t best = 0;
        for (int64_t j = 1; j < d; j++)
            if (fabs(v[j]) > fabs(v[best])) best = j;
        if (v[best] < 0)
            for (int64_t j = 0; j < d; j++) v[j] = -v[j];
    }
}

gp_status gp_pca_fit(const gp_matrix *X, const gp_pca_opts *opts, gp_pca **out) {
    gp__clear_error();
    if (out) *out = NULL;
    gp_pca_opts defaults;
    gp_pca_opts_init(&defaults);
    const gp_pca_opts *o = opts ? opts : &defaults;
    const gp_comm *comm = o->comm;
    gp_status st = gp__comm_check(comm, "pca");
    if (st != GP_OK) return st;
    st = check_X(X, "pca");
    if (st == GP_OK && !out) st = gp__error(GP_EINVAL, "pca: out is NULL");
    if (st == GP_OK) st = check_opts(o);
    /* Distributed: every process learns the total row count (and whether
     * all of them got this far) before anything else. */
    int64_t n = 0;
    int32_t first_rank = 0;
    /* the largest and (negated) smallest column count: all fail together */
    double cols[2] = {st == GP_OK ? (double)X->cols : 0, st == GP_OK ? -(double)X->cols : 0};
    st = gp__comm_rows(comm, X ? X->rows : 0, st, "pca", &n, &first_rank);
    if (st == GP_OK && gp__comm_active(comm) &&
        (st = gp__comm_reduce(comm, cols, 2, GP_REDUCE_MAX, st, "pca")) == GP_OK &&
        cols[0] != -cols[1])
        st = gp__error(GP_ESHAPE, "pca: the processes' X have %.0f to %.0f features; they must agree",
                       -cols[1], cols[0]);
    if (st != GP_OK) return st;
    int64_t d = X->cols, mn = GP_MIN(n, d);
    if (n < 2)
        return gp__error(GP_EINVAL, "pca: X has %lld row%s; at least 2 samples needed",
                         (long long)n, n == 1 ? "" : "s");
    int64_t k = o->n_components ? o->n_components : mn;
    if (k > mn)
        return gp__error(GP_EINVAL, "pca: n_components %lld > min(n_samples %lld, "
                         "n_features %lld)", (long long)k, (long long)n, (long long)d);
    gp_pca_solver solver = o->solver == GP_PCA_AUTO ? choose_solver(n, d, k) : o->solver;
    if (gp__comm_active(comm) && solver == GP_PCA_SVD) {
        if (o->solver == GP_PCA_SVD)
            return gp__error(GP_EINVAL, "pca: the svd solver needs every row in one process; "
                             "use cov or randomized");
        solver = GP_PCA_COV;
    }

    gp__pca_ctx c = {.X = X, .o = o, .comm = comm, .n = n, .d = d, .k = k, .rows = X->rows,
                 .first_rank = first_rank, .tail = 4 * (size_t)k + (size_t)d};
    /* Big blocks for ssyrk (its d x d output is rewritten once per block);
     * cache-sized ones for randomized, whose block is read twice. */
    c.block = block_rows(&c, solver == GP_PCA_RANDOMIZED ? (size_t)4 << 20 : (size_t)32 << 20);
    double *vec = NULL, *val = NULL;
    gp_pca *p = NULL;
    c.mean = gp__alloc_n((size_t)d, sizeof *c.mean);
    val = gp__alloc_n((size_t)k, sizeof *val);
    if (!c.mean || !val) {
        st = agree(&c, gp__error(GP_ENOMEM, "pca: out of memory"));
        goto fail;
    }
    if ((st = moments(&c)) != GP_OK) goto fail;
    switch (solver) {
    case GP_PCA_COV: st = fit_cov(&c, val, &vec); break;
    case GP_PCA_SVD: st = fit_svd(&c, val, &vec); break;
    default: st = gp__pca_fit_randomized(&c, val, &vec); break;
    }
    if (st != GP_OK) goto fail;

    size_t nd = (size_t)k * (size_t)d;
    if (!(p = gp__calloc(1, sizeof *p))) st = gp__error(GP_ENOMEM, "pca: out of memory");
    /* after the last reduction: a failure here must still reach the others
     * (a caller such as the logistic preconditioner goes on to collectives) */
    if ((st = agree(&c, st)) != GP_OK) goto fail;
    p->n = n;
    p->d = d;
    p->k = k;
    p->solver = solver;
    p->whiten = o->whiten != 0;
    p->total_var = c.total_var;
    p->components = vec; /* with room for the other arrays (c.tail) */
    vec = NULL;
    p->ev = p->components + nd;
    p->ratio = p->ev + k;
    p->sv = p->ratio + k;
    p->mean = p->sv + k;
    memcpy(p->mean, c.mean, (size_t)d * sizeof *c.mean);
    fix_signs(p->components, k, d);
    for (int64_t i = 0; i < k; i++) {
        /* svd gives singular values; cov and randomized eigenvalues of
         * Xc^T Xc, whose rounding can leave a zero one slightly negative. */
        double lam = solver == GP_PCA_SVD ? val[i] * val[i] : val[i];
        if (!(lam > 0)) lam = 0;
        p->sv[i] = solver == GP_PCA_SVD ? val[i] : sqrt(lam);
        p->ev[i] = lam / (double)(n - 1);
        p->ratio[i] = p->ev[i] / c.total_var;
    }
    gp__free(vec);
    gp__free(val);
    gp__free(c.mean);
    *out = p;
    return GP_OK;
fail:
    if (p) gp__free(p->components);
    gp__free(p);
    gp__free(vec);
    gp__free(val);
    gp__free(c.mean);
    return st;
}

void gp_pca_free(gp_pca *p) {
    if (!p) return;
    gp__free(p->components);
    gp__free(p);
}

int64_t gp_pca_n_components(const gp_pca *p) { return p ? p->k : 0; }
int64_t gp_pca_n_features(const gp_pca *p) { return p ? p->d : 0; }
int64_t gp_pca_n_samples(const gp_pca *p) { return p ? p->n : 0; }
gp_pca_solver gp_pca_solver_used(const gp_pca *p) { return p ? p->solver : GP_PCA_AUTO; }
const double *gp_pca_components(const gp_pca *p) { return p ? p->components : NULL; }
const double *gp_pca_explained_variance(const gp_pca *p) { return p ? p->ev : NULL; }
const double *gp_pca_explained_variance_ratio(const gp_pca *p) { return p ? p->ratio : NULL; }
const double *gp_pca_singular_values(const gp_pca *p) { return p ? p->sv : NULL; }
const double *gp_pca_mean(const gp_pca *p) { return p ? p->mean : NULL; }
double gp_pca_total_variance(const gp_pca *p) { return p ? p->total_var : 0; }

/* ------------------------------------------------------------------ */
/* Transform                                                          */
/* ------------------------------------------------------------------ */

gp_status gp_pca_transform(const gp_pca *p, const gp_matrix *X, float *out, int64_t ldo) {
    gp__clear_error();
    if (!p) return gp__error(GP_EINVAL, "pca transform: model is NULL");
    gp_status st = check_X(X, "pca transform");
    if (st != GP_OK) return st;
    if (!out && X->rows > 0) return gp__error(GP_EINVAL, "pca transform: out is NULL");
    if (X->cols != p->d)
        return gp__error(GP_ESHAPE, "pca transform: X has %lld features, the fit had %lld",
                         (long long)X->cols, (long long)p->d);
    if (ldo < p->k)
        return gp__error(GP_EINVAL, "pca transform: ldo %lld < n_components %lld",
                         (long long)ldo, (long long)p->k);
    if (X->rows == 0) return GP_OK;
    if (!gp__fits_lapack_int(p->d) || !gp__fits_lapack_int(ldo))
        return gp__error(GP_ESHAPE, "pca transform: too large for BLAS");
    gp_pca_opts o;
    gp_pca_opts_init(&o);
    gp__pca_ctx c = {.X = X, .o = &o, .n = X->rows, .d = p->d, .k = p->k, .rows = X->rows,
                 .mean = p->mean};
    c.block = block_rows(&c, (size_t)4 << 20);
    size_t d = (size_t)p->d, k = (size_t)p->k;
    float *Cf = gp__alloc_n(k * d, sizeof *Cf), *buf = gp__alloc_n((size_t)c.block * d, sizeof *buf);
    if (!Cf || !buf) {
        st = gp__error(GP_ENOMEM, "pca transform: out of memory");
        goto done;
    }
    /* Whitening folds into the components: (x - mean) . (v / sqrt(ev)). A
     * zero-variance component projects everything to 0, never NaN. */
    for (size_t i = 0; i < k; i++) {
        double s = 1;
        if (p->whiten) s = p->ev[i] > 0 ? 1.0 / sqrt(p->ev[i]) : 0;
        for (size_t j = 0; j < d; j++) Cf[i * d + j] = (float)(p->components[i * d + j] * s);
    }
    for (int64_t r0 = 0; r0 < c.n; r0 += c.block) {
        int nb = (int)GP_MIN(c.block, c.n - r0);
        gp__pca_center_f32(&c, r0, nb, buf);
        float *o_b = out + (size_t)r0 * (size_t)ldo;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, (int)k, (int)d, 1.0f, buf,
                    (int)d, Cf, (int)d, 0.0f, o_b, (int)ldo);
        /* A NaN/Inf in X shows in its output row; only then look for it. */
        for (size_t i = 0; i < (size_t)nb; i++)
            for (size_t j = 0; j < k; j++)
                if (!isfinite(o_b[i * (size_t)ldo + j])) {
                    st = gp_matrix_check_finite(X, "pca transform: X", NULL, NULL);
                    if (st == GP_OK)
                        st = gp__error(GP_EINVAL, "pca transform: row %lld projects to a "
                                       "non-finite value (values too large for float32)",
                                       (long long)(r0 + (int64_t)i));
                    goto done;
                }
        gp__release_rows(X, r0, r0 + nb);
    }
done:
    gp__free(Cf);
    gp__free(buf);
    return st;
}
