/* test_pca.c — gp_pca_* against scikit-learn (float64 reference written by
 * tests/fixtures_pca.py) for every solver, the invariants every fit must
 * keep, determinism, edge cases and failure paths (bad arguments, NaN,
 * cancellation, out of memory at every allocation). */
#include "gp_test.h"
#include "../src/pca_internal.h" /* gp__pca_set_keep_limit */

#include <math.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

typedef struct ref_case {
    gp_tensor *X_t;
    gp_matrix  X;
    int64_t    K;                     /* reference components stored */
    double    *comp, *ev, *ratio, *sv, *mean, *proj, total;
    gp_tensor *tensors[8];
} ref_case;

/* A float64 array from a fixture .npy; the tensor is kept in rc to free. */
static const double *load_f64(ref_case *rc, int slot, const char *name, const char *suffix,
                              int64_t *numel) {
    char rel[256];
    snprintf(rel, sizeof rel, "pca/%s_%s.npy", name, suffix);
    CHECK_OK(gp_tensor_load(fixture(rel), GP_DTYPE_F64, &rc->tensors[slot]));
    if (numel) *numel = gp_tensor_numel(rc->tensors[slot]);
    return gp_tensor_data(rc->tensors[slot]);
}

static void ref_load(ref_case *rc, const char *name) {
    memset(rc, 0, sizeof *rc);
    char rel[256];
    snprintf(rel, sizeof rel, "pca/%s.npy", name);
    CHECK_OK(gp_tensor_load(fixture(rel), GP_DTYPE_ANY, &rc->X_t));
    CHECK_OK(gp_tensor_matrix(rc->X_t, &rc->X));
    int64_t nk = 0;
    rc->ev = (double *)load_f64(rc, 0, name, "ev", &rc->K);
    rc->ratio = (double *)load_f64(rc, 1, name, "ratio", NULL);
    rc->sv = (double *)load_f64(rc, 2, name, "sv", NULL);
    rc->mean = (double *)load_f64(rc, 3, name, "mean", NULL);
    rc->comp = (double *)load_f64(rc, 4, name, "components", &nk);
    rc->proj = (double *)load_f64(rc, 5, name, "proj", NULL);
    rc->total = *load_f64(rc, 6, name, "total", NULL);
    assert_int_equal(nk, rc->K * rc->X.cols);
}

static void ref_free(ref_case *rc) {
    gp_tensor_free(rc->X_t);
    for (int i = 0; i < 8; i++) gp_tensor_free(rc->tensors[i]);
}

static double dot(const double *a, const double *b, int64_t d) {
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += a[j] * b[j];
    return s;
}

/* Is component i of the reference separated enough from its neighbours
 * for its direction to be well defined (relative to the top eigenvalue)? */
static int gap_ok(const ref_case *rc, int64_t i) {
    if (i + 1 >= rc->K) return 0;
    double g = rc->ev[i] - rc->ev[i + 1];
    if (i > 0 && rc->ev[i - 1] - rc->ev[i] < g) g = rc->ev[i - 1] - rc->ev[i];
    return g > 1e-3 * rc->ev[0];
}

/* The invariants every fit keeps: unit orthogonal components, variances
 * sorted descending and non-negative, ratios summing to at most 1. */
static void check_invariants(const gp_pca *p, double orth_tol) {
    int64_t k = gp_pca_n_components(p), d = gp_pca_n_features(p);
    const double *C = gp_pca_components(p), *ev = gp_pca_explained_variance(p);
    const double *r = gp_pca_explained_variance_ratio(p);
    double rsum = 0;
    for (int64_t i = 0; i < k; i++) {
        for (int64_t j = 0; j <= i; j++) {
            double g = dot(C + i * d, C + j * d, d), want = i == j ? 1.0 : 0.0;
            if (fabs(g - want) > orth_tol)
                fail_msg("components %lld.%lld = %g, want %g", (long long)i, (long long)j, g,
                         want);
        }
        if (ev[i] < 0 || !isfinite(ev[i])) fail_msg("ev[%lld] = %g", (long long)i, ev[i]);
        if (i > 0 && ev[i] > ev[i - 1] * (1 + 1e-12))
            fail_msg("ev not sorted at %lld: %g > %g", (long long)i, ev[i], ev[i - 1]);
        /* the sign rule: the largest-|v| entry is positive */
        int64_t best = 0;
        for (int64_t j = 1; j < d; j++)
            if (fabs(C[i * d + j]) > fabs(C[i * d + best])) best = j;
        if (C[i * d + best] < 0) fail_msg("component %lld breaks the sign rule", (long long)i);
        rsum += r[i];
    }
    if (rsum > 1 + 1e-6) fail_msg("sum of ratios %.12g > 1", rsum);
}

/* Compare a fit with the reference: ratios and singular values of the top
 * `top` within rtol, components (where the eigengap allows) with cosine >
 * 0.9999 and the same sign, projections, mean and total variance. */
static void compare(const ref_case *rc, const gp_pca *p, int64_t top, double rtol,
                    const char *what) {
    int64_t k = gp_pca_n_components(p), d = rc->X.cols, n = rc->X.rows;
    if (top > k) top = k;
    if (top > rc->K) top = rc->K;
    const double *r = gp_pca_explained_variance_ratio(p), *sv = gp_pca_singular_values(p);
    const double *ev = gp_pca_explained_variance(p), *C = gp_pca_components(p);
    for (int64_t i = 0; i < top; i++) {
        if (fabs(r[i] - rc->ratio[i]) > rtol * rc->ratio[i])
            fail_msg("%s: ratio[%lld] = %.10g, sklearn %.10g (rel %.2g)", what, (long long)i,
                     r[i], rc->ratio[i], fabs(r[i] - rc->ratio[i]) / rc->ratio[i]);
        if (fabs(sv[i] - rc->sv[i]) > rtol * rc->sv[i])
            fail_msg("%s: sv[%lld] = %.10g, sklearn %.10g", what, (long long)i, sv[i], rc->sv[i]);
        if (fabs(ev[i] - rc->ev[i]) > rtol * rc->ev[i])
            fail_msg("%s: ev[%lld] = %.10g, sklearn %.10g", what, (long long)i, ev[i], rc->ev[i]);
    }
    double tv = gp_pca_total_variance(p);
    if (fabs(tv - rc->total) > 1e-9 * rc->total)
        fail_msg("%s: total variance %.15g, numpy %.15g", what, tv, rc->total);
    const double *mean = gp_pca_mean(p);
    for (int64_t j = 0; j < d; j++)
        if (fabs(mean[j] - rc->mean[j]) > 1e-9 * (1 + fabs(rc->mean[j])))
            fail_msg("%s: mean[%lld] = %.15g, numpy %.15g", what, (long long)j, mean[j],
                     rc->mean[j]);

    float *proj = malloc((size_t)n * (size_t)k * sizeof *proj);
    CHECK_OK(gp_pca_transform(p, &rc->X, proj, k));
    int checked = 0;
    for (int64_t i = 0; i < top; i++) {
        if (!gap_ok(rc, i)) continue;
        checked++;
        double c = dot(C + i * d, rc->comp + i * d, d);
        if (c < 0.9999)
            fail_msg("%s: component %lld cosine %.8f with sklearn's (sign included)", what,
                     (long long)i, c);
        /* projections agree to the component's accuracy */
        double scale = sqrt(rc->ev[i]), worst = 0;
        for (int64_t s = 0; s < n; s++) {
            double e = fabs(proj[s * k + i] - rc->proj[s * rc->K + i]);
            if (e > worst) worst = e;
        }
        if (worst > 2e-3 * scale + 1e-5 * sqrt(rc->ev[0]))
            fail_msg("%s: projection %lld off by %g (component sd %g)", what, (long long)i,
                     worst, scale);
    }
    if (checked == 0) fail_msg("%s: no component had a usable eigengap", what);
    free(proj);
}

static gp_pca *fit(const gp_matrix *X, gp_pca_solver solver, int64_t k) {
    gp_pca_opts o;
    gp_pca_opts_init(&o);
    o.solver = solver;
    o.n_components = k;
    gp_pca *p = NULL;
    CHECK_OK(gp_pca_fit(X, &o, &p));
    assert_non_null(p);
    assert_int_equal(gp_pca_n_components(p), k ? k : (X->rows < X->cols ? X->rows : X->cols));
    assert_int_equal(gp_pca_n_features(p), X->cols);
    assert_int_equal(gp_pca_n_samples(p), X->rows);
    if (solver != GP_PCA_AUTO) assert_int_equal(gp_pca_solver_used(p), solver);
    return p;
}

/* ------------------------------------------------------------------ */
/* Against scikit-learn                                               */
/* ------------------------------------------------------------------ */

static void run_case(const char *name, const gp_pca_solver *solvers, const int64_t *ks, int m,
                     int64_t top, double rtol) {
    ref_case rc;
    ref_load(&rc, name);
    for (int i = 0; i < m; i++) {
        char what[128];
        snprintf(what, sizeof what, "%s/%s/k=%lld", name, gp_pca_solver_name(solvers[i]),
                 (long long)ks[i]);
        gp_pca *p = fit(&rc.X, solvers[i], ks[i]);
        check_invariants(p, solvers[i] == GP_PCA_COV ? 1e-10 : 2e-6);
        compare(&rc, p, top, rtol, what);
        gp_pca_free(p);
    }
    ref_free(&rc);
}

static void pca_should_match_sklearn_on_anisotropic_activations(void **state) {
    (void)state;
    const gp_pca_solver s[] = {GP_PCA_COV, GP_PCA_COV, GP_PCA_SVD, GP_PCA_SVD,
                               GP_PCA_RANDOMIZED, GP_PCA_AUTO};
    const int64_t k[] = {0, 20, 0, 20, 20, 24};
    run_case("aniso", s, k, 6, 20, 1e-4);
}

static void pca_should_match_sklearn_on_float64_input(void **state) {
    (void)state;
    const gp_pca_solver s[] = {GP_PCA_COV, GP_PCA_SVD, GP_PCA_RANDOMIZED};
    const int64_t k[] = {30, 30, 20};
    run_case("aniso64", s, k, 3, 20, 1e-4);
}

static void pca_should_match_sklearn_when_fewer_samples_than_features(void **state) {
    (void)state;
    const gp_pca_solver s[] = {GP_PCA_AUTO, GP_PCA_SVD, GP_PCA_COV, GP_PCA_RANDOMIZED};
    const int64_t k[] = {0, 30, 30, 10};
    run_case("wide", s, k, 4, 20, 1e-4);
    /* auto picks svd for the full spectrum of a wide matrix */
    ref_case rc;
    ref_load(&rc, "wide");
    gp_pca *p = fit(&rc.X, GP_PCA_AUTO, 0);
    assert_int_equal(gp_pca_solver_used(p), GP_PCA_SVD);
    gp_pca_free(p);
    ref_free(&rc);
}

static void pca_should_match_sklearn_on_the_demo_activations(void **state) {
    (void)state;
    const gp_pca_solver s[] = {GP_PCA_AUTO, GP_PCA_COV, GP_PCA_SVD, GP_PCA_RANDOMIZED};
    const int64_t k[] = {0, 30, 30, 20};
    run_case("layer3", s, k, 4, 20, 1e-4);
}

static void pca_should_refuse_a_constant_layer(void **state) {
    (void)state;
    gp_tensor *t = NULL;
    gp_matrix X;
    CHECK_OK(gp_tensor_load(fixture("pca/layer0.npy"), GP_DTYPE_F32, &t));
    CHECK_OK(gp_tensor_matrix(t, &X));
    gp_pca *p = (gp_pca *)1;
    CHECK_FAILS(gp_pca_fit(&X, NULL, &p), GP_EINVAL, "zero variance");
    assert_null(p);
    gp_tensor_free(t);
}

/* ------------------------------------------------------------------ */
/* Determinism                                                        */
/* ------------------------------------------------------------------ */

static int same_fit(const gp_pca *a, const gp_pca *b) {
    size_t k = (size_t)gp_pca_n_components(a), d = (size_t)gp_pca_n_features(a);
    return gp_pca_n_components(b) == (int64_t)k &&
           memcmp(gp_pca_components(a), gp_pca_components(b), k * d * sizeof(double)) == 0 &&
           memcmp(gp_pca_explained_variance(a), gp_pca_explained_variance(b),
                  k * sizeof(double)) == 0 &&
           memcmp(gp_pca_singular_values(a), gp_pca_singular_values(b), k * sizeof(double)) == 0;
}

static void pca_should_give_identical_bytes_for_a_seed_and_any_thread_count(void **state) {
    (void)state;
    ref_case rc;
    ref_load(&rc, "aniso");
    int threads = gp_get_threads();
    gp_pca_opts o;
    gp_pca_opts_init(&o);
    o.solver = GP_PCA_RANDOMIZED;
    o.n_components = 10;
    o.seed = 42;
    o.block_rows = 300; /* several blocks, a ragged last one */
    gp_pca *a = NULL, *b = NULL, *c = NULL, *e = NULL;
    gp_set_threads(1);
    CHECK_OK(gp_pca_fit(&rc.X, &o, &a));
    gp_set_threads(2);
    CHECK_OK(gp_pca_fit(&rc.X, &o, &b));
    CHECK_OK(gp_pca_fit(&rc.X, &o, &c));
    /* OpenBLAS keeps sgemm's bits whatever its thread count with the
     * AVX-512 (SkylakeX) kernels, the ones this CPU should run; its generic
     * and Haswell kernels round edge tiles differently per thread split,
     * so there the two fits agree only to rounding. */
    const char *core = gp_blas_core();
    int exact = strcmp(core, "SkylakeX") == 0 || strcmp(core, "Cooperlake") == 0 ||
                strcmp(core, "SapphireRapids") == 0;
    if (exact && !same_fit(a, b)) fail_msg("randomized: 1 thread and 2 threads differ");
    if (!exact) compare(&rc, a, 10, 1e-5, "aniso/randomized/1 thread");
    if (!same_fit(b, c)) fail_msg("randomized: two runs with one seed differ");
    o.seed = 43; /* another seed: same answer to tolerance, other bits */
    CHECK_OK(gp_pca_fit(&rc.X, &o, &e));
    compare(&rc, e, 10, 1e-4, "aniso/randomized/seed 43");
    gp_pca_free(b);
    gp_pca_free(c);
    gp_pca_free(e);
    c = e = NULL;
    /* Too little memory to keep the power passes' products (n x basis
     * floats, the largest block a fit asks for): the last pass computes
     * them again, from the same basis, so at most rounding differs. */
    o.seed = 42;
    oom_arm(0);
    CHECK_OK(gp_pca_fit(&rc.X, &o, &c));
    size_t kept = oom_largest();
    gp__pca_set_keep_limit(1);
    oom_arm(0);
    CHECK_OK(gp_pca_fit(&rc.X, &o, &e));
    size_t recomputed = oom_largest();
    gp__pca_set_keep_limit(0);
    oom_disarm();
    if (!(recomputed < kept && kept >= (size_t)rc.X.rows * 20 * sizeof(float)))
        fail_msg("randomized: largest block %zu kept, %zu recomputed", kept, recomputed);
    compare(&rc, e, 10, 1e-4, "aniso/randomized/recomputed");
    const double *ra = gp_pca_explained_variance_ratio(c), *re = gp_pca_explained_variance_ratio(e);
    for (int i = 0; i < 10; i++)
        if (fabs(ra[i] - re[i]) > 1e-9 * ra[i])
            fail_msg("randomized: ratio %d kept %.12g, recomputed %.12g", i, ra[i], re[i]);
    gp_pca_free(a);
    gp_pca_free(c);
    gp_pca_free(e);

    /* cov: identical bytes run to run; across thread counts only to
     * rounding, since OpenBLAS's threaded dsymv inside LAPACK's dsytrd sums
     * in a thread-dependent order. */
    o.solver = GP_PCA_COV;
    CHECK_OK(gp_pca_fit(&rc.X, &o, &a));
    CHECK_OK(gp_pca_fit(&rc.X, &o, &b));
    if (!same_fit(a, b)) fail_msg("cov: two runs differ");
    gp_set_threads(1);
    CHECK_OK(gp_pca_fit(&rc.X, &o, &c));
    compare(&rc, c, 10, 1e-6, "aniso/cov/1 thread");
    gp_pca_free(a);
    gp_pca_free(b);
    gp_pca_free(c);
    gp_set_threads(threads);
    ref_free(&rc);
}

/* ------------------------------------------------------------------ */
/* Edge cases on small generated data                                 */
/* ------------------------------------------------------------------ */

/* A small deterministic generator for the test data (not the library's). */
static double test_rand(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * 0x1.0p-53 - 0.5;
}

/* n x d float32 with rank-r structure plus the given noise. */
static float *make_data(int64_t n, int64_t d, int64_t r, double noise, uint64_t seed) {
    float *X = malloc((size_t)(n * d) * sizeof *X);
    double *A = malloc((size_t)(n * r) * sizeof *A), *B = malloc((size_t)(r * d) * sizeof *B);
    for (int64_t i = 0; i < n * r; i++) A[i] = test_rand(&seed) * (double)(1 + i % r);
    for (int64_t i = 0; i < r * d; i++) B[i] = test_rand(&seed);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double v = 1.5 + noise * test_rand(&seed);
            for (int64_t t = 0; t < r; t++) v += A[i * r + t] * B[t * d + j];
            X[i * d + j] = (float)v;
        }
    free(A);
    free(B);
    return X;
}

static gp_matrix view(float *X, int64_t n, int64_t d) {
    gp_matrix m = {GP_DTYPE_F32, n, d, d, X};
    return m;
}

/* From d = 512 the cov solver runs the mixed-precision eigensolver
 * (float32 reduction, float64 eigenvalues): on float64 data with an outlier
 * dimension (top eigenvalue ~1e4 times the 20th), its ratios and
 * components must match the float64 svd solver (dgesdd) to the promised
 * accuracy, for the full spectrum and for a top k past the 64 refined
 * pairs. */
static void pca_cov_should_stay_accurate_with_its_mixed_precision_eigensolver(void **state) {
    (void)state;
    const int64_t n = 1100, d = 520, r = 40;
    uint64_t seed = 11;
    double *X = malloc((size_t)(n * d) * sizeof *X), *B = malloc((size_t)(r * d) * sizeof *B);
    for (int64_t i = 0; i < r * d; i++) B[i] = test_rand(&seed);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double v = 0.05 * test_rand(&seed);
            X[i * d + j] = v;
        }
    for (int64_t i = 0; i < n; i++) {
        for (int64_t t = 0; t < r; t++) {
            double a = test_rand(&seed) * 4.0 / (1.0 + (double)t);
            for (int64_t j = 0; j < d; j++) X[i * d + j] += a * B[t * d + j];
        }
        X[i * d + 9] = 300.0 + 200.0 * X[i * d + 9]; /* massive activation */
    }
    gp_matrix M = {GP_DTYPE_F64, n, d, d, X};
    const int64_t ks[] = {0, 100};
    for (int c = 0; c < 2; c++) {
        gp_pca *pc = fit(&M, GP_PCA_COV, ks[c]), *ps = fit(&M, GP_PCA_SVD, ks[c]);
        int64_t k = gp_pca_n_components(pc);
        check_invariants(pc, 1e-5);
        const double *rc = gp_pca_explained_variance_ratio(pc);
        const double *rs = gp_pca_explained_variance_ratio(ps);
        const double *ev = gp_pca_explained_variance(ps);
        const double *Cc = gp_pca_components(pc), *Cs = gp_pca_components(ps);
        if (!(ev[0] > 1e3 * ev[19])) fail_msg("the data lost its outlier: %g %g", ev[0], ev[19]);
        for (int64_t i = 0; i < k; i++) {
            /* the top 64 are float64 Ritz values, off by ~(eps32 l_1 /
             * l_i)^2 (measured here: 3e-8 relative at ratio 9, 2e-6 at
             * ratio 18, where l_1 ~ 3e4 l_18); past them the float32
             * reduction leaves an absolute error of a few eps32 times the
             * top ratio (measured: 1.3e-7 rs[0]) */
            double tol = i < 20 ? 1e-5 * rs[i] : 1e-4 * rs[i] + 5e-7 * rs[0];
            if (fabs(rc[i] - rs[i]) > tol)
                fail_msg("k=%lld: ratio[%lld] %.12g vs svd %.12g", (long long)ks[c],
                         (long long)i, rc[i], rs[i]);
            double g = ev[i] - (i + 1 < k ? ev[i + 1] : 0);
            if (i > 0 && ev[i - 1] - ev[i] < g) g = ev[i - 1] - ev[i];
            if (i + 1 < k && g > 1e-3 * ev[0] && dot(Cc + i * d, Cs + i * d, d) < 0.9999)
                fail_msg("k=%lld: component %lld cosine %.8f", (long long)ks[c], (long long)i,
                         dot(Cc + i * d, Cs + i * d, d));
        }
        gp_pca_free(pc);
        gp_pca_free(ps);
    }
    free(X);
    free(B);
}

static void pca_should_handle_constant_columns_and_rank_deficiency(void **state) {
    (void)state;
    const int64_t n = 120, d = 24;
    float *X = make_data(n, d, 5, 0.0, 7); /* rank 5, no noise */
    for (int64_t i = 0; i < n; i++) {
        X[i * d + 3] = 2.5f; /* constant columns */
        X[i * d + 17] = -1.0f;
    }
    gp_matrix M = view(X, n, d);
    const gp_pca_solver solvers[] = {GP_PCA_COV, GP_PCA_SVD, GP_PCA_RANDOMIZED};
    gp_pca *full = fit(&M, GP_PCA_COV, 0);
    const double *ref = gp_pca_explained_variance_ratio(full);
    for (int s = 0; s < 3; s++) {
        int64_t k = solvers[s] == GP_PCA_RANDOMIZED ? 5 : 0;
        gp_pca *p = fit(&M, solvers[s], k);
        check_invariants(p, 1e-5);
        int64_t kk = gp_pca_n_components(p);
        const double *r = gp_pca_explained_variance_ratio(p), *C = gp_pca_components(p);
        double top5 = 0;
        for (int64_t i = 0; i < kk; i++) {
            if (i < 5) {
                top5 += r[i];
                if (fabs(r[i] - ref[i]) > 1e-4 * ref[i])
                    fail_msg("%s: ratio[%lld] %g vs cov %g", gp_pca_solver_name(solvers[s]),
                             (long long)i, r[i], ref[i]);
                /* the constant columns carry nothing */
                if (fabs(C[i * d + 3]) > 1e-5 || fabs(C[i * d + 17]) > 1e-5)
                    fail_msg("component %lld loads on a constant column", (long long)i);
            } else if (r[i] > 1e-6) {
                fail_msg("%s: ratio[%lld] = %g beyond rank 5", gp_pca_solver_name(solvers[s]),
                         (long long)i, r[i]);
            }
        }
        if (fabs(top5 - 1) > 1e-5) fail_msg("rank 5 data: top-5 ratios sum to %.8f", top5);
        assert_true(gp_pca_mean(p)[3] == 2.5 && gp_pca_mean(p)[17] == -1.0);
        /* whitening a zero-variance component gives 0, never NaN */
        gp_pca_free(p);
    }
    gp_pca_opts o;
    gp_pca_opts_init(&o);
    o.whiten = 1;
    o.solver = GP_PCA_COV;
    gp_pca *w = NULL;
    CHECK_OK(gp_pca_fit(&M, &o, &w));
    float *Y = malloc((size_t)(n * d) * sizeof *Y);
    CHECK_OK(gp_pca_transform(w, &M, Y, d));
    for (int64_t j = 0; j < d; j++) {
        double ss = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!isfinite(Y[i * d + j])) fail_msg("whitened value not finite");
            ss += (double)Y[i * d + j] * Y[i * d + j];
        }
        double var = ss / (double)(n - 1);
        if (j < 5 && fabs(var - 1) > 1e-3) fail_msg("whitened column %lld var %g", (long long)j, var);
        if (j >= 5 && gp_pca_explained_variance(w)[j] == 0 && var != 0)
            fail_msg("zero-variance column %lld whitened to var %g", (long long)j, var);
    }
    free(Y);
    gp_pca_free(w);
    gp_pca_free(full);
    free(X);
}

static void pca_should_work_on_one_feature_and_refuse_one_sample(void **state) {
    (void)state;
    float x[6] = {1, 2, 4, 8, 16, 32};
    gp_matrix M = view(x, 6, 1);
    gp_pca *p = fit(&M, GP_PCA_AUTO, 0);
    assert_int_equal(gp_pca_n_components(p), 1);
    assert_true(gp_pca_components(p)[0] == 1.0);
    assert_true(fabs(gp_pca_explained_variance_ratio(p)[0] - 1) < 1e-12);
    double mu = 63.0 / 6, var = 0;
    for (int i = 0; i < 6; i++) var += (x[i] - mu) * (x[i] - mu) / 5;
    assert_true(fabs(gp_pca_explained_variance(p)[0] - var) < 1e-12 * var);
    gp_pca_free(p);

    gp_matrix one = view(x, 1, 6);
    gp_pca *q = NULL;
    CHECK_FAILS(gp_pca_fit(&one, NULL, &q), GP_EINVAL, "at least 2 samples");
    assert_null(q);
}

static void pca_should_reject_bad_arguments(void **state) {
    (void)state;
    float *X = make_data(50, 64, 3, 0.1, 3);
    gp_matrix M = view(X, 50, 64);
    gp_pca_opts o;
    gp_pca_opts_init(&o);
    gp_pca *p = NULL;
    o.n_components = 70;
    CHECK_FAILS(gp_pca_fit(&M, &o, &p), GP_EINVAL,
                "n_components 70 > min(n_samples 50, n_features 64)");
    o.n_components = -1;
    CHECK_FAILS(gp_pca_fit(&M, &o, &p), GP_EINVAL, "n_components");
    gp_pca_opts_init(&o);
    o.solver = (gp_pca_solver)9;
    CHECK_FAILS(gp_pca_fit(&M, &o, &p), GP_EINVAL, "solver");
    gp_pca_opts_init(&o);
    o.n_oversamples = -2;
    CHECK_FAILS(gp_pca_fit(&M, &o, &p), GP_EINVAL, "n_oversamples");
    gp_pca_opts_init(&o);
    o.n_power_iter = -5;
    CHECK_FAILS(gp_pca_fit(&M, &o, &p), GP_EINVAL, "n_power_iter");
    CHECK_FAILS(gp_pca_fit(NULL, NULL, &p), GP_EINVAL, "NULL");
    CHECK_FAILS(gp_pca_fit(&M, NULL, NULL), GP_EINVAL, "NULL");
    gp_matrix bad = M;
    bad.ld = 10;
    CHECK_FAILS(gp_pca_fit(&bad, NULL, &p), GP_ESHAPE, "ld");
    bad = M;
    bad.dtype = GP_DTYPE_I32;
    CHECK_FAILS(gp_pca_fit(&bad, NULL, &p), GP_EDTYPE, "float32 or float64");
    bad = M;
    bad.cols = 0;
    CHECK_FAILS(gp_pca_fit(&bad, NULL, &p), GP_EINVAL, "feature");
    bad = M;
    bad.data = NULL;
    CHECK_FAILS(gp_pca_fit(&bad, NULL, &p), GP_EINVAL, "NULL");
    assert_null(p);

    /* NaN: the message names the first bad row and column */
    X[3 * 64 + 5] = NAN;
    X[9 * 64 + 1] = INFINITY;
    CHECK_FAILS(gp_pca_fit(&M, NULL, &p), GP_ENAN, "row 3, column 5");
    X[3 * 64 + 5] = 0;
    CHECK_FAILS(gp_pca_fit(&M, NULL, &p), GP_ENAN, "row 9, column 1");
    X[9 * 64 + 1] = 0;

    /* an strided view (ld > cols) is honoured */
    gp_matrix sub = {GP_DTYPE_F32, 50, 60, 64, X};
    p = fit(&sub, GP_PCA_SVD, 5);
    check_invariants(p, 2e-6);
    assert_int_equal(gp_pca_n_features(p), 60);

    /* transform's own checks */
    float out[50 * 5];
    CHECK_FAILS(gp_pca_transform(NULL, &sub, out, 5), GP_EINVAL, "NULL");
    CHECK_FAILS(gp_pca_transform(p, &M, out, 5), GP_ESHAPE, "features");
    CHECK_FAILS(gp_pca_transform(p, &sub, out, 4), GP_EINVAL, "ldo");
    CHECK_FAILS(gp_pca_transform(p, &sub, NULL, 5), GP_EINVAL, "NULL");
    X[2 * 64 + 4] = NAN;
    CHECK_FAILS(gp_pca_transform(p, &sub, out, 5), GP_ENAN, "row 2, column 4");
    gp_pca_free(p);

    /* getters are NULL-safe; names are static */
    gp_pca_free(NULL);
    assert_int_equal(gp_pca_n_components(NULL), 0);
    assert_null(gp_pca_components(NULL));
    assert_string_equal(gp_pca_solver_name(GP_PCA_RANDOMIZED), "randomized");
    assert_string_equal(gp_pca_solver_name(GP_PCA_COV), "cov");
    gp_pca_opts_init(NULL);
    free(X);
}

/* ------------------------------------------------------------------ */
/* Progress, cancellation, out of memory                              */
/* ------------------------------------------------------------------ */

typedef struct prog_state {
    int calls, cancel_after;
    int64_t last_done;
    volatile int32_t flag;
} prog_state;

static void on_progress(void *user, int64_t done, int64_t total, const char *stage) {
    prog_state *s = user;
    assert_non_null(stage);
    assert_true(done >= 0 && done <= total);
    s->calls++;
    s->last_done = done;
    if (s->cancel_after && s->calls >= s->cancel_after) s->flag = 1;
}

static void pca_should_report_progress_and_stop_when_cancelled(void **state) {
    (void)state;
    float *X = make_data(600, 40, 4, 0.1, 11);
    gp_matrix M = view(X, 600, 40);
    const gp_pca_solver solvers[] = {GP_PCA_COV, GP_PCA_SVD, GP_PCA_RANDOMIZED};
    for (int s = 0; s < 3; s++) {
        prog_state ps = {0, 0, 0, 0};
        gp_pca_opts o;
        gp_pca_opts_init(&o);
        o.solver = solvers[s];
        o.n_components = 4;
        o.block_rows = 100;
        o.progress = on_progress;
        o.progress_user = &ps;
        o.cancel = &ps.flag;
        gp_pca *p = NULL;
        CHECK_OK(gp_pca_fit(&M, &o, &p));
        if (ps.calls < 7) fail_msg("%s: %d progress calls", gp_pca_solver_name(solvers[s]), ps.calls);
        gp_pca_free(p);
        for (int after = 1; after <= 4; after++) {
            prog_state c = {0, after, 0, 0};
            o.progress_user = &c;
            o.cancel = &c.flag;
            p = (gp_pca *)1;
            CHECK_FAILS(gp_pca_fit(&M, &o, &p), GP_ECANCELLED, "cancelled");
            assert_null(p);
        }
    }
    free(X);
}

static void pca_should_fail_cleanly_at_every_allocation(void **state) {
    (void)state;
    float *X = make_data(80, 30, 4, 0.1, 5);
    gp_matrix M = view(X, 80, 30);
    const gp_pca_solver solvers[] = {GP_PCA_COV, GP_PCA_COV, GP_PCA_SVD, GP_PCA_RANDOMIZED};
    const int64_t ks[] = {0, 5, 0, 5};
    for (int s = 0; s < 4; s++) {
        gp_pca_opts o;
        gp_pca_opts_init(&o);
        o.solver = solvers[s];
        o.n_components = ks[s];
        o.block_rows = 32;
        o.whiten = 1;
        /* count the allocations of a successful fit + transform */
        oom_arm(0);
        gp_pca *p = NULL;
        float out[80 * 30];
        CHECK_OK(gp_pca_fit(&M, &o, &p));
        CHECK_OK(gp_pca_transform(p, &M, out, 30));
        gp_pca_free(p);
        long total = oom_calls();
        if (oom_live() != 0)
            fail_msg("%s: %ld blocks leaked", gp_pca_solver_name(solvers[s]), oom_live());
        for (long fail_at = 1; fail_at <= total; fail_at++) {
            oom_arm(fail_at);
            p = NULL;
            gp_status st = gp_pca_fit(&M, &o, &p);
            if (st == GP_OK) {
                st = gp_pca_transform(p, &M, out, 30);
                gp_pca_free(p);
                if (st == GP_OK)
                    fail_msg("%s: allocation %ld of %ld failed but nothing did",
                             gp_pca_solver_name(solvers[s]), fail_at, total);
            } else {
                assert_null(p);
            }
            if (st != GP_ENOMEM)
                fail_msg("%s: allocation %ld: status %d (%s)", gp_pca_solver_name(solvers[s]),
                         fail_at, (int)st, gp_last_error());
            if (oom_live() != 0)
                fail_msg("%s: allocation %ld failed, %ld blocks leaked",
                         gp_pca_solver_name(solvers[s]), fail_at, oom_live());
        }
    }
    oom_disarm();
    free(X);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pca_should_match_sklearn_on_anisotropic_activations),
        cmocka_unit_test(pca_should_match_sklearn_on_float64_input),
        cmocka_unit_test(pca_should_match_sklearn_when_fewer_samples_than_features),
        cmocka_unit_test(pca_should_match_sklearn_on_the_demo_activations),
        cmocka_unit_test(pca_should_refuse_a_constant_layer),
        cmocka_unit_test(pca_should_give_identical_bytes_for_a_seed_and_any_thread_count),
        cmocka_unit_test(pca_should_handle_constant_columns_and_rank_deficiency),
        cmocka_unit_test(pca_cov_should_stay_accurate_with_its_mixed_precision_eigensolver),
        cmocka_unit_test(pca_should_work_on_one_feature_and_refuse_one_sample),
        cmocka_unit_test(pca_should_reject_bad_arguments),
        cmocka_unit_test(pca_should_report_progress_and_stop_when_cancelled),
        cmocka_unit_test(pca_should_fail_cleanly_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
