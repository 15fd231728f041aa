/* test_geometry.c — cosine matrices, linear CKA and class separation against
 * the float64 numpy references of tests/fixtures_geometry.py, the invariants
 * CKA must satisfy, the degenerate inputs of real data, bad arguments and
 * failed allocations. */
#include "gp_test.h"

#include <math.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Load fixture geometry/NAME.npy as a matrix view (1-D becomes (n, 1)). */
static gp_tensor *load(const char *name, gp_matrix *M) {
    char rel[256];
    snprintf(rel, sizeof rel, "geometry/%s.npy", name);
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(fixture(rel), GP_DTYPE_ANY, &t));
    CHECK_OK(gp_tensor_matrix(t, M));
    return t;
}

/* The float64 reference values of fixture NAME; the caller frees. */
static double *load_ref(const char *name, int64_t *count) {
    gp_matrix M;
    gp_tensor *t = load(name, &M);
    assert_int_equal(M.dtype, GP_DTYPE_F64);
    size_t n = (size_t)(M.rows * M.cols);
    double *v = malloc(n * sizeof *v);
    memcpy(v, M.data, n * sizeof *v);
    gp_tensor_free(t);
    if (count) *count = (int64_t)n;
    return v;
}

static void expect_close(const char *what, double got, double want, double rel, double abs_tol) {
    if (!isfinite(got) || fabs(got - want) > rel * fabs(want) + abs_tol)
        fail_msg("%s: got %.17g, want %.17g (diff %.3g)", what, got, want, fabs(got - want));
}

static double cka(const gp_matrix *X, const gp_matrix *Y, int debiased, int *degenerate) {
    double v = -42;
    int deg = -1;
    CHECK_OK(gp_cka(X, Y, debiased, &v, &deg));
    assert_true(deg == 0 || deg == 1);
    if (degenerate) *degenerate = deg;
    return v;
}

/* The first `rows` rows of M as a float32 copy with `cols` >= M.cols columns
 * (extra columns zero) and leading dimension ld >= cols, padding filled with
 * NaN so that reading past cols would be caught. */
static gp_matrix copy_f32(const gp_matrix *M, int64_t rows, int64_t cols, int64_t ld) {
    float *d = malloc((size_t)(rows * ld) * sizeof *d);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < ld; j++) {
            float v = NAN;
            if (j < M->cols)
                v = M->dtype == GP_DTYPE_F32 ? ((const float *)M->data)[i * M->ld + j]
                                             : (float)((const double *)M->data)[i * M->ld + j];
            else if (j < cols)
                v = 0;
            d[i * ld + j] = v;
        }
    gp_matrix out = {GP_DTYPE_F32, rows, cols, ld, d};
    return out;
}

/* ------------------------------------------------------------------ */
/* CKA against numpy                                                  */
/* ------------------------------------------------------------------ */

static const char *const CKA_CASES[] = {"related", "wide",  "indep", "aniso",
                                        "small_n", "mid_n", "f64",   "tiny"};

static void test_cka_reference(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof CKA_CASES / sizeof CKA_CASES[0]; c++) {
        const char *name = CKA_CASES[c];
        char nx[64], ny[64], nr[64], what[128];
        snprintf(nx, sizeof nx, "%s_x", name);
        snprintf(ny, sizeof ny, "%s_y", name);
        snprintf(nr, sizeof nr, "%s_ref", name);
        gp_matrix X, Y;
        gp_tensor *tx = load(nx, &X), *ty = load(ny, &Y);
        double *ref = load_ref(nr, NULL);
        for (int deb = 0; deb <= 1; deb++) {
            int deg;
            double v = cka(&X, &Y, deb, &deg);
            snprintf(what, sizeof what, "%s %s", name, deb ? "debiased" : "biased");
            assert_int_equal(deg, 0);
            /* 1e-6 relative; the absolute floor covers values near 0
             * (debiased CKA of independent layers), where float32 block
             * products leave ~1e-9 of the normalization. */
            expect_close(what, v, ref[deb], 1e-6, 1e-8);
            if (!deb) assert_true(v >= 0 && v <= 1);
            /* Symmetric. */
            double w = cka(&Y, &X, deb, NULL);
            snprintf(what, sizeof what, "%s %s symmetry", name, deb ? "debiased" : "biased");
            expect_close(what, w, v, 1e-7, 1e-9);
        }
        free(ref);
        gp_tensor_free(tx);
        gp_tensor_free(ty);
    }
}

static void test_cka_demo_data(void **state) {
    (void)state;
    char dir[4096], path[4200];
    FILE *f = fopen(fixture("geometry/demo_dir.txt"), "r");
    if (!f || !fgets(dir, sizeof dir, f)) fail_msg("missing geometry/demo_dir.txt");
    fclose(f);
    dir[strcspn(dir, "\n")] = 0;
    gp_tensor *t[4];
    gp_matrix L[4];
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "%s/plain_layer%d.npy", dir, k);
        CHECK_OK(gp_tensor_load(path, GP_DTYPE_F32, &t[k]));
        CHECK_OK(gp_tensor_matrix(t[k], &L[k]));
    }
    /* Layer 0 is the same vector in every row: no similarity, no NaN. */
    for (int deb = 0; deb <= 1; deb++) {
        int deg = 0;
        double v = cka(&L[0], &L[3], deb, &deg);
        assert_int_equal(deg, 1);
        assert_true(v == 0.0);
        v = cka(&L[2], &L[0], deb, &deg);
        assert_int_equal(deg, 1);
        assert_true(v == 0.0);
    }
    double *ref = load_ref("demo_l2_l3_ref", NULL);
    expect_close("demo l2/l3 biased", cka(&L[2], &L[3], 0, NULL), ref[0], 1e-6, 1e-8);
    expect_close("demo l2/l3 debiased", cka(&L[2], &L[3], 1, NULL), ref[1], 1e-6, 1e-8);
    free(ref);
    for (int k = 0; k < 4; k++) gp_tensor_free(t[k]);
}

/* ------------------------------------------------------------------ */
/* CKA invariants                                                     */
/* ------------------------------------------------------------------ */

static void test_cka_self_and_invariance(void **state) {
    (void)state;
    gp_matrix X, Y, XQ;
    gp_tensor *tx = load("related_x", &X), *ty = load("related_y", &Y),
              *tq = load("related_xq", &XQ);
    for (int deb = 0; deb <= 1; deb++) {
        expect_close("CKA(X, X)", cka(&X, &X, deb, NULL), 1.0, 0, 1e-7);
        expect_close("CKA(Y, Y)", cka(&Y, &Y, deb, NULL), 1.0, 0, 1e-7);
        double base = cka(&X, &Y, deb, NULL);
        /* X Q scaled by 3.5, stored as float32: orthogonal and isotropic
         * scale invariance up to that rounding. */
        expect_close("CKA(3.5 XQ, Y)", cka(&XQ, &Y, deb, NULL), base, 1e-5, 0);
        /* An exact power-of-two scale and a scale of 1e-3 in float32. */
        gp_matrix S = copy_f32(&X, X.rows, X.cols, X.cols);
        float *s = S.data;
        for (int64_t i = 0; i < S.rows * S.cols; i++) s[i] *= 1e-3f;
        expect_close("CKA(1e-3 X, Y)", cka(&S, &Y, deb, NULL), base, 1e-6, 0);
        for (int64_t i = 0; i < S.rows * S.cols; i++) s[i] = ((const float *)X.data)[i] * 1024.0f;
        expect_close("CKA(1024 X, Y)", cka(&S, &Y, deb, NULL), base, 1e-12, 0);
        free(S.data);
    }
    gp_tensor_free(tx);
    gp_tensor_free(ty);
    gp_tensor_free(tq);
}

/* Zero columns change neither CKA value, but pushing d past n switches to
 * the n x n Gram path: the two paths (and the feature-space derivation of
 * debiased CKA) must agree. A leading dimension with NaN padding checks
 * that nothing past cols is read. */
static void test_cka_gram_vs_feature(void **state) {
    (void)state;
    gp_matrix X, Y;
    gp_tensor *tx = load("wide_x", &X), *ty = load("wide_y", &Y);
    const int64_t n = 300;
    gp_matrix Xs = copy_f32(&X, n, X.cols, X.cols + 3);      /* 300 x 64, feature */
    gp_matrix Ys = copy_f32(&Y, n, Y.cols, Y.cols);          /* 300 x 96 */
    gp_matrix Xp = copy_f32(&X, n, 320, 333);                /* 300 x 320, Gram */
    gp_matrix Yp = copy_f32(&Y, n, 400, 400);                /* 300 x 400, Gram */
    for (int deb = 0; deb <= 1; deb++) {
        double feat = cka(&Xs, &Ys, deb, NULL);
        expect_close("Gram path, X padded", cka(&Xp, &Ys, deb, NULL), feat, 1e-6, 1e-9);
        expect_close("Gram path, both padded", cka(&Xp, &Yp, deb, NULL), feat, 1e-6, 1e-9);
        expect_close("Gram path, self", cka(&Xp, &Xp, deb, NULL), 1.0, 0, 1e-7);
    }
    /* Widths and row counts past 512 take the larger BLAS blocks. */
    gp_matrix Xw = copy_f32(&X, X.rows, 600, 600);           /* 2000 x 600, feature */
    gp_matrix Xg = copy_f32(&X, 600, 640, 640);              /* 600 x 640, Gram */
    gp_matrix X6 = {X.dtype, 600, X.cols, X.ld, X.data}, Y6 = {Y.dtype, 600, Y.cols, Y.ld, Y.data};
    for (int deb = 0; deb <= 1; deb++) {
        expect_close("feature path, 600 wide", cka(&Xw, &Y, deb, NULL), cka(&X, &Y, deb, NULL),
                     1e-6, 1e-9);
        expect_close("Gram path, 600 rows", cka(&Xg, &Y6, deb, NULL), cka(&X6, &Y6, deb, NULL),
                     1e-6, 1e-9);
    }
    free(Xs.data);
    free(Ys.data);
    free(Xp.data);
    free(Yp.data);
    free(Xw.data);
    free(Xg.data);
    gp_tensor_free(tx);
    gp_tensor_free(ty);
}

/* ------------------------------------------------------------------ */
/* CKA degenerate inputs and errors                                   */
/* ------------------------------------------------------------------ */

static void test_cka_degenerate(void **state) {
    (void)state;
    enum { N = 50, D = 8 };
    /* float64 values whose mean is not exact: rounding must not pass for
     * signal. */
    double cst[N * D], rnd[N * D];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) {
            cst[i * D + j] = 0.1 * (j + 1) + 1e6;
            rnd[i * D + j] = sin(1.7 * i + 0.3 * j * j + 0.1) + 0.01 * i;
        }
    gp_matrix C = {GP_DTYPE_F64, N, D, D, cst}, R = {GP_DTYPE_F64, N, D, D, rnd};
    for (int deb = 0; deb <= 1; deb++) {
        int deg = 0;
        double v = -1;
        CHECK_OK(gp_cka(&C, &R, deb, &v, &deg));
        assert_true(v == 0.0 && deg == 1);
        CHECK_OK(gp_cka(&R, &C, deb, &v, &deg));
        assert_true(v == 0.0 && deg == 1);
        CHECK_OK(gp_cka(&C, &C, deb, &v, NULL));   /* degenerate may be NULL */
        assert_true(v == 0.0);
        /* The Gram path (n <= d) too: 3 rows, all equal. */
        gp_matrix C3 = {GP_DTYPE_F64, 4, D, D, cst}, R3 = {GP_DTYPE_F64, 4, D, D, rnd};
        CHECK_OK(gp_cka(&C3, &R3, deb, &v, &deg));
        assert_true(v == 0.0 && deg == 1);
        CHECK_OK(gp_cka(&R3, &R3, deb, &v, &deg));
        assert_int_equal(deg, 0);
        expect_close("4-row self CKA", v, 1.0, 0, 1e-7);
    }
    /* One row is constant by definition (biased CKA has no row minimum). */
    gp_matrix R1 = {GP_DTYPE_F64, 1, D, D, rnd};
    int deg = 0;
    double v = -1;
    CHECK_OK(gp_cka(&R1, &R1, 0, &v, &deg));
    assert_true(v == 0.0 && deg == 1);
    /* A success clears an earlier message. */
    assert_string_equal(gp_last_error(), "");
}

static void test_cka_errors(void **state) {
    (void)state;
    enum { N = 100, D = 6 };
    float a[N * D], b[N * D];
    int32_t ints[N * D] = {0};
    for (int i = 0; i < N * D; i++) {
        a[i] = (float)sin(i * 0.37);
        b[i] = (float)cos(i * 0.11);
    }
    gp_matrix X = {GP_DTYPE_F32, N, D, D, a}, Y = {GP_DTYPE_F32, N - 1, D, D, b};
    double v = 7;
    int deg = 7;
    CHECK_FAILS(gp_cka(&X, &Y, 0, &v, &deg), GP_ESHAPE, "cka: X has 100 rows but Y has 99");
    assert_true(v == 0 && deg == 0);
    Y.rows = N;
    CHECK_FAILS(gp_cka(NULL, &Y, 0, &v, NULL), GP_EINVAL, "cka: X is NULL");
    CHECK_FAILS(gp_cka(&X, NULL, 0, &v, NULL), GP_EINVAL, "cka: Y is NULL");
    CHECK_FAILS(gp_cka(&X, &Y, 0, NULL, NULL), GP_EINVAL, "cka: out is NULL");
    gp_matrix I = {GP_DTYPE_I32, N, D, D, ints};
    CHECK_FAILS(gp_cka(&X, &I, 0, &v, NULL), GP_EDTYPE, "cka: Y has dtype int32");
    gp_matrix Bad = {(gp_dtype)77, N, D, D, a};
    CHECK_FAILS(gp_cka(&Bad, &Y, 0, &v, NULL), GP_EDTYPE, "cka: X has dtype");
    gp_matrix Z = {GP_DTYPE_F32, N, 0, 0, a};
    CHECK_FAILS(gp_cka(&X, &Z, 0, &v, NULL), GP_ESHAPE, "cka: Y has shape (100, 0)");
    gp_matrix Neg = {GP_DTYPE_F32, -3, D, D, a};
    CHECK_FAILS(gp_cka(&Neg, &Y, 0, &v, NULL), GP_ESHAPE, "cka: X has shape (-3, 6)");
    gp_matrix Ld = {GP_DTYPE_F32, N, D, D - 1, a};
    CHECK_FAILS(gp_cka(&Ld, &Y, 0, &v, NULL), GP_ESHAPE, "cka: X has ld 5 < cols 6");
    gp_matrix Nul = {GP_DTYPE_F32, N, D, D, NULL};
    CHECK_FAILS(gp_cka(&X, &Nul, 0, &v, NULL), GP_EINVAL, "cka: Y data is NULL");
    gp_matrix X3 = {GP_DTYPE_F32, 3, D, D, a}, Y3 = {GP_DTYPE_F32, 3, D, D, b};
    CHECK_FAILS(gp_cka(&X3, &Y3, 1, &v, NULL), GP_EINVAL, "at least 4 rows, got 3");
    CHECK_OK(gp_cka(&X3, &Y3, 0, &v, NULL));   /* biased is defined */
    b[3 * D + 5] = NAN;
    CHECK_FAILS(gp_cka(&X, &Y, 0, &v, &deg), GP_ENAN, "cka: Y: non-finite value NaN at row 3, column 5");
    b[3 * D + 5] = -INFINITY;
    CHECK_FAILS(gp_cka(&Y, &X, 1, &v, &deg), GP_ENAN, "cka: X: non-finite value -Inf at row 3");
    assert_true(v == 0 && deg == 0);
}

/* ------------------------------------------------------------------ */
/* Cosine                                                             */
/* ------------------------------------------------------------------ */

static void check_cosine(const char *what, const gp_matrix *A, const double *ref) {
    int64_t m = A->rows;
    double *out = malloc((size_t)(m * m) * sizeof *out);
    CHECK_OK(gp_cosine_matrix(A, out));
    char w[128];
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < m; j++) {
            double v = out[i * m + j];
            assert_true(v == out[j * m + i]);               /* exactly symmetric */
            assert_true(v >= -1 && v <= 1);
            snprintf(w, sizeof w, "%s (%lld, %lld)", what, (long long)i, (long long)j);
            expect_close(w, v, ref[i * m + j], 0, 1e-12);
        }
    for (int64_t i = 0; i < m; i++)   /* diagonal exactly 1, or 0 for the zero row */
        assert_true(out[i * m + i] == (i == 3 ? 0.0 : 1.0));
    free(out);
}

static void test_cosine(void **state) {
    (void)state;
    gp_matrix A, Abig;
    gp_tensor *ta = load("cos_a", &A), *tb = load("cos_a_big", &Abig);
    double *ref = load_ref("cos_ref", NULL);
    check_cosine("cosine f32", &A, ref);
    check_cosine("cosine f64 near DBL_MAX", &Abig, ref);
    gp_matrix P = copy_f32(&A, A.rows, A.cols, A.cols + 7);
    check_cosine("cosine ld > cols", &P, ref);
    free(P.data);
    /* The negated row is exactly -1, the scaled one exactly +1 (rounding
     * clamped). */
    double *out = malloc(100 * sizeof *out);
    CHECK_OK(gp_cosine_matrix(&A, out));
    expect_close("cos(a1, -2.5 a1)", out[1 * 10 + 5], -1.0, 0, 1e-15);
    expect_close("cos(a2, 1e-3 a2)", out[2 * 10 + 7], 1.0, 0, 1e-7);
    /* One row. */
    gp_matrix One = {A.dtype, 1, A.cols, A.ld, A.data};
    CHECK_OK(gp_cosine_matrix(&One, out));
    assert_true(out[0] == 1.0);
    free(out);
    free(ref);
    gp_tensor_free(ta);
    gp_tensor_free(tb);
}

static void test_cosine_errors(void **state) {
    (void)state;
    double a[6] = {1, 2, 3, 4, 5, 6}, out[4];
    int32_t ints[6] = {0};
    gp_matrix A = {GP_DTYPE_F64, 2, 3, 3, a};
    CHECK_FAILS(gp_cosine_matrix(NULL, out), GP_EINVAL, "cosine: A is NULL");
    CHECK_FAILS(gp_cosine_matrix(&A, NULL), GP_EINVAL, "cosine: out is NULL");
    gp_matrix I = {GP_DTYPE_I32, 2, 3, 3, ints};
    CHECK_FAILS(gp_cosine_matrix(&I, out), GP_EDTYPE, "need float32 or float64");
    gp_matrix E = {GP_DTYPE_F64, 0, 3, 3, a};
    CHECK_FAILS(gp_cosine_matrix(&E, out), GP_ESHAPE, "cosine: A has shape (0, 3)");
    a[4] = INFINITY;
    CHECK_FAILS(gp_cosine_matrix(&A, out), GP_ENAN, "row 1, column 1");
}

/* ------------------------------------------------------------------ */
/* Class separation                                                   */
/* ------------------------------------------------------------------ */

static void check_sep(const char *name, int32_t k) {
    char nx[64], ni[64], nr[64];
    snprintf(nx, sizeof nx, "%s_x", name);
    snprintf(ni, sizeof ni, "%s_ids", name);
    snprintf(nr, sizeof nr, "%s_ref", name);
    gp_matrix X, Ids;
    gp_tensor *tx = load(nx, &X), *ti = load(ni, &Ids);
    assert_int_equal(Ids.dtype, GP_DTYPE_I32);
    double *ref = load_ref(nr, NULL);
    gp_class_separation s;
    CHECK_OK(gp_class_separation_compute(&X, Ids.data, k, &s));
    assert_int_equal(s.n_classes, k);
    const double got[5] = {s.mean_distance, s.within_std, s.fisher_ratio,
                           s.between_var_fraction, s.mean_dir_var_fraction};
    static const char *const field[5] = {"mean_distance", "within_std", "fisher_ratio",
                                         "between_var_fraction", "mean_dir_var_fraction"};
    char w[128];
    for (int f = 0; f < 5; f++) {
        snprintf(w, sizeof w, "%s %s", name, field[f]);
        expect_close(w, got[f], ref[f], 1e-10, 1e-14);
    }
    free(ref);
    gp_tensor_free(tx);
    gp_tensor_free(ti);
}

static void test_class_separation(void **state) {
    (void)state;
    check_sep("sep2", 2);
    check_sep("sep3", 3);
}

static void test_class_separation_edges(void **state) {
    (void)state;
    gp_class_separation s;
    /* Zero spread within classes, distinct means: capped, not Inf. */
    double pts[4 * 2] = {0, 0, 0, 0, 3, 4, 3, 4};
    int32_t ids[4] = {0, 0, 1, 1};
    gp_matrix P = {GP_DTYPE_F64, 4, 2, 2, pts};
    CHECK_OK(gp_class_separation_compute(&P, ids, 2, &s));
    expect_close("mean_distance", s.mean_distance, 5.0, 1e-15, 0);
    assert_true(s.within_std == 0.0);
    assert_true(s.fisher_ratio == 1e30);
    expect_close("between_var_fraction", s.between_var_fraction, 1.0, 1e-15, 0);
    expect_close("mean_dir_var_fraction", s.mean_dir_var_fraction, 1.0, 1e-15, 0);
    /* Equal means: no direction; everything finite. */
    double sym[4 * 2] = {1, 0, -1, 0, 0, 1, 0, -1};
    gp_matrix S = {GP_DTYPE_F64, 4, 2, 2, sym};
    CHECK_OK(gp_class_separation_compute(&S, ids, 2, &s));
    assert_true(s.mean_distance == 0 && s.within_std == 0 && s.fisher_ratio == 0 &&
                s.between_var_fraction == 0 && s.mean_dir_var_fraction == 0);
    /* Constant data: total variance 0. */
    double cst[4 * 2] = {2, 2, 2, 2, 2, 2, 2, 2};
    gp_matrix C = {GP_DTYPE_F64, 4, 2, 2, cst};
    CHECK_OK(gp_class_separation_compute(&C, ids, 2, &s));
    assert_true(s.between_var_fraction == 0 && s.fisher_ratio == 0);
    /* Errors. */
    int32_t empty[4] = {0, 0, 2, 2}, range[4] = {0, 1, 3, 1};
    s.n_classes = 99;
    CHECK_FAILS(gp_class_separation_compute(&P, empty, 3, &s), GP_EINVAL, "class 1 has no rows");
    assert_int_equal(s.n_classes, 0);
    CHECK_FAILS(gp_class_separation_compute(&P, range, 3, &s), GP_EINVAL,
                "row 2 has class id 3, outside 0..2");
    CHECK_FAILS(gp_class_separation_compute(&P, ids, 1, &s), GP_EINVAL, "n_classes is 1");
    CHECK_FAILS(gp_class_separation_compute(&P, NULL, 2, &s), GP_EINVAL, "ids is NULL");
    CHECK_FAILS(gp_class_separation_compute(&P, ids, 2, NULL), GP_EINVAL, "out is NULL");
    CHECK_FAILS(gp_class_separation_compute(NULL, ids, 2, &s), GP_EINVAL, "X is NULL");
    pts[5] = NAN;
    CHECK_FAILS(gp_class_separation_compute(&P, ids, 2, &s), GP_ENAN, "row 2, column 1");
}

/* ------------------------------------------------------------------ */
/* Failed allocations: reported, nothing leaks (ASan)                 */
/* ------------------------------------------------------------------ */

typedef gp_status (*call_fn)(void *ctx);

/* Fail allocation k = 1, 2, ... until the call succeeds untouched. */
static void oom_sweep(const char *what, call_fn call, void *ctx) {
    long k;
    for (k = 1; k < 100; k++) {
        oom_arm(k);
        gp_status s = call(ctx);
        oom_disarm();
        if (oom_calls() < k) {   /* the k-th allocation never happened */
            assert_int_equal(s, GP_OK);
            break;
        }
        if (s != GP_ENOMEM) fail_msg("%s: allocation %ld failed -> %d", what, k, (int)s);
        assert_non_null(strstr(gp_last_error(), "out of memory"));
    }
    if (k < 3) fail_msg("%s: only %ld allocations", what, k - 1);
}

typedef struct cka_ctx {
    const gp_matrix *X, *Y;
    int debiased;
} cka_ctx;

static gp_status call_cka(void *p) {
    cka_ctx *c = p;
    double v;
    return gp_cka(c->X, c->Y, c->debiased, &v, NULL);
}

static gp_status call_cosine(void *p) {
    double out[100];
    return gp_cosine_matrix(p, out);
}

static gp_status call_sep(void *p) {
    const gp_matrix *X = p;
    static const int32_t ids[6] = {0, 1, 2, 0, 1, 2};
    gp_class_separation s;
    return gp_class_separation_compute(X, ids, X->rows == 6 ? 3 : 2, &s);
}

static void test_oom(void **state) {
    (void)state;
    double a[6 * 8], b[6 * 5];
    for (int i = 0; i < 6 * 8; i++) a[i] = sin(0.7 * i);
    for (int i = 0; i < 6 * 5; i++) b[i] = cos(0.3 * i * i);
    gp_matrix X = {GP_DTYPE_F64, 6, 8, 8, a}, Y = {GP_DTYPE_F64, 6, 5, 5, b};
    gp_matrix Xf = {GP_DTYPE_F64, 6, 3, 8, a}, Yf = {GP_DTYPE_F64, 6, 2, 5, b};
    cka_ctx gram = {&X, &Y, 1}, feat = {&Xf, &Yf, 1}, featb = {&Xf, &Yf, 0};
    oom_sweep("cka (Gram)", call_cka, &gram);
    oom_sweep("cka (feature)", call_cka, &feat);
    oom_sweep("cka (feature, biased)", call_cka, &featb);
    oom_sweep("cosine", call_cosine, &Y);
    oom_sweep("class separation", call_sep, &X);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cka_reference),
        cmocka_unit_test(test_cka_demo_data),
        cmocka_unit_test(test_cka_self_and_invariance),
        cmocka_unit_test(test_cka_gram_vs_feature),
        cmocka_unit_test(test_cka_degenerate),
        cmocka_unit_test(test_cka_errors),
        cmocka_unit_test(test_cosine),
        cmocka_unit_test(test_cosine_errors),
        cmocka_unit_test(test_class_separation),
        cmocka_unit_test(test_class_separation_edges),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
