/* test_probes_linear.c — the closed-form probes (mass-mean, mass-mean IID,
 * LDA, ridge) against numpy / scikit-learn references written by
 * tests/fixtures_probes_linear.py, accuracy on the bundled real datasets,
 * edge cases (k > 2 for mass-mean, constant columns, d > n, float64
 * input, singular systems), cancellation, and a failure at every
 * allocation.
 *
 * Tolerances. The references are float64 throughout; geoprobe forms the
 * O(n d^2) products in float32 BLAS (about 1e-7 relative per entry), then
 * refines the Cholesky solution against the exact float64 products, so
 * coefficients agree to float64 rounding times the condition number
 * (measured: 1e-15..1e-12) except where a Ledoit-Wolf coefficient enters,
 * which is computed from the float32 off-diagonal entries (measured: up to
 * 4e-9). Tolerance 1e-7: 25x the worst measured. The pseudo-inverse path
 * (no shrinkage, singular covariance) is not refined: 1e-6 (measured
 * 1.4e-7). Mass-mean directions involve no products: 1e-12. An intercept
 * b ~ -mu.w inherits w's error times |mu|, so it is compared relative to
 * |b| + sum_j |w_j mu_j|. */
#include "gp_test.h"

#include <math.h>
#include <stdbool.h>

#define TOL 1e-7       /* refined solves; see the header comment */
#define TOL_PINV 1e-6  /* LDA without shrinkage on a singular covariance */

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static gp_tensor *load(const char *name, const char *suffix, gp_dtype want) {
    gp_tensor *t;
    load_fixture_tensor("probes_linear", name, suffix, want, &t);
    return t;
}

typedef struct data {
    gp_tensor *Xt, *yt;
    gp_matrix  X;
    const int32_t *y;   /* NULL for a ridge case */
    const double *t;    /* ridge target */
    int32_t k;
} data;

static data data_load(const char *name, const char *xs, const char *ys, bool regression) {
    data D;
    memset(&D, 0, sizeof D);
    D.Xt = load(name, xs, GP_DTYPE_ANY);
    CHECK_OK(gp_tensor_matrix(D.Xt, &D.X));
    D.yt = load(name, ys, regression ? GP_DTYPE_F64 : GP_DTYPE_ANY);
    if (!regression) assert_int_equal(gp_tensor_dtype(D.yt), GP_DTYPE_I32);
    assert_int_equal(gp_tensor_numel(D.yt), D.X.rows);
    if (regression) {
        D.t = gp_tensor_data(D.yt);
    } else {
        D.y = gp_tensor_data(D.yt);
        for (int64_t i = 0; i < D.X.rows; i++) D.k = D.y[i] + 1 > D.k ? D.y[i] + 1 : D.k;
    }
    return D;
}

static void data_free(data *D) {
    gp_tensor_free(D->Xt);
    gp_tensor_free(D->yt);
}

static gp_probe *fit(const data *D, gp_probe_method m, double shrinkage, double alpha) {
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.method = m;
    o.shrinkage = shrinkage;
    o.alpha = alpha;
    gp_probe *p = NULL;
    if (m == GP_PROBE_RIDGE)
        CHECK_OK(gp_probe_fit_regression(&D->X, D->t, &o, &p));
    else
        CHECK_OK(gp_probe_fit(&D->X, D->y, D->k, &o, &p));
    assert_non_null(p);
    return p;
}

static double col_mean_abs(const gp_matrix *X, int64_t j) {
    double s = 0;
    for (int64_t i = 0; i < X->rows; i++)
        s += X->dtype == GP_DTYPE_F32 ? ((const float *)X->data)[i * X->ld + j]
                                      : ((const double *)X->data)[i * X->ld + j];
    return fabs(s / (double)X->rows);
}

/* Compare p's weights and biases with NAME_TAG_{w,b}.npy (see the header
 * comment for the intercept's scale). */
static void compare(const gp_probe *p, const data *D, const char *name, const char *tag,
                    double tol) {
    char ws[64], bs[64];
    snprintf(ws, sizeof ws, "%s_w", tag);
    snprintf(bs, sizeof bs, "%s_b", tag);
    gp_tensor *wt = load(name, ws, GP_DTYPE_F64), *bt = load(name, bs, GP_DTYPE_F64);
    const double *wr = gp_tensor_data(wt), *br = gp_tensor_data(bt);
    int64_t d = D->X.cols, m = gp_tensor_numel(bt);
    assert_int_equal(gp_probe_n_outputs(p), m);
    assert_int_equal(gp_tensor_numel(wt), m * d);
    assert_int_equal(gp_probe_n_features(p), d);
    const double *w = gp_probe_weight(p), *b = gp_probe_bias(p);
    for (int64_t r = 0; r < m; r++) {
        double wmax = 0, werr = 0, bscale = fabs(br[r]);
        for (int64_t j = 0; j < d; j++) {
            wmax = fmax(wmax, fabs(wr[r * d + j]));
            werr = fmax(werr, fabs(w[r * d + j] - wr[r * d + j]));
            bscale += fabs(wr[r * d + j]) * col_mean_abs(&D->X, j);
        }
        if (werr > tol * wmax)
            fail_msg("%s/%s: output %lld: weight off by %.3g relative (tol %g)", name, tag,
                     (long long)r, werr / wmax, tol);
        if (fabs(b[r] - br[r]) > tol * bscale)
            fail_msg("%s/%s: output %lld: bias %.12g, reference %.12g (tol %g of %g)", name, tag,
                     (long long)r, b[r], br[r], tol, bscale);
    }
    gp_tensor_free(wt);
    gp_tensor_free(bt);
}

static void check_case(const char *name, gp_probe_method m, double shrinkage, double alpha,
                       const char *tag, double tol) {
    bool reg = m == GP_PROBE_RIDGE;
    data D = data_load(name, "X", reg ? "t" : "y", reg);
    gp_probe *p = fit(&D, m, shrinkage, alpha);
    assert_int_equal(gp_probe_get_method(p), m);
    assert_int_equal(gp_probe_n_classes(p), reg ? 0 : D.k);
    compare(p, &D, name, tag, tol);
    gp_probe_free(p);
    data_free(&D);
}

/* ------------------------------------------------------------------ */
/* Against numpy / scikit-learn                                       */
/* ------------------------------------------------------------------ */

static void massmean_should_match_the_difference_of_class_means(void **state) {
    (void)state;
    const char *names[] = {"bin", "bin64", "wide", "const"};
    for (int i = 0; i < 4; i++) check_case(names[i], GP_PROBE_MASSMEAN, -1, 0, "mm", 1e-12);
}

static void massmean_iid_should_match_a_numpy_solve(void **state) {
    (void)state;
    const char *names[] = {"bin", "bin64", "wide", "const"};
    for (int i = 0; i < 4; i++) {
        check_case(names[i], GP_PROBE_MASSMEAN_IID, -1, 0, "iid_lw", TOL);
        check_case(names[i], GP_PROBE_MASSMEAN_IID, 0.1, 0, "iid_s01", TOL);
    }
    /* no shrinkage, full rank */
    check_case("bin", GP_PROBE_MASSMEAN_IID, 0, 0, "iid_s0", TOL);
    check_case("bin64", GP_PROBE_MASSMEAN_IID, 0, 0, "iid_s0", TOL);
}

static void lda_should_match_sklearn_lsqr(void **state) {
    (void)state;
    const char *names[] = {"bin", "bin64", "k3", "k10", "wide", "const"};
    for (int i = 0; i < 6; i++) {
        check_case(names[i], GP_PROBE_LDA, -1, 0, "lda_auto", TOL);
        check_case(names[i], GP_PROBE_LDA, 0.3, 0, "lda_s03", TOL);
        /* none: full rank, or constant columns (lstsq's minimum norm gives
         * them weight 0, as the pseudo-inverse does) */
        if (strcmp(names[i], "wide") != 0)
            check_case(names[i], GP_PROBE_LDA, 0, 0, "lda_none",
                       strcmp(names[i], "const") == 0 ? TOL_PINV : TOL);
    }
}

static void ridge_should_match_sklearn_in_primal_and_dual_form(void **state) {
    (void)state;
    const char *names[] = {"reg", "regwide"};
    for (int i = 0; i < 2; i++) {
        check_case(names[i], GP_PROBE_RIDGE, -1, 1.0, "ridge_a1", TOL);
        check_case(names[i], GP_PROBE_RIDGE, -1, 10.0, "ridge_a10", TOL);
        data D = data_load(names[i], "X", "t", true);
        gp_probe_opts o;
        gp_probe_opts_init(&o);
        o.method = GP_PROBE_RIDGE;
        o.fit_intercept = 0;
        gp_probe *p = NULL;
        CHECK_OK(gp_probe_fit_regression(&D.X, D.t, &o, &p));
        compare(p, &D, names[i], "ridge_a1_noint", TOL);
        assert_true(gp_probe_bias(p)[0] == 0);
        gp_probe_free(p);
        data_free(&D);
    }
}

/* ------------------------------------------------------------------ */
/* Real data                                                          */
/* ------------------------------------------------------------------ */

static double test_accuracy(const gp_probe *p, const data *te) {
    int32_t *pred = malloc((size_t)te->X.rows * sizeof *pred);
    CHECK_OK(gp_probe_predict(p, &te->X, pred));
    int64_t ok = 0;
    for (int64_t i = 0; i < te->X.rows; i++) ok += pred[i] == te->y[i];
    free(pred);
    return (double)ok / (double)te->X.rows;
}

/* Test accuracy of each method on a 70/30 split: equal to the reference
 * implementation's (to one example), and for mass-mean within [lo, hi]. */
static void real_accuracy(const char *name, double lo, double hi) {
    data tr = data_load(name, "Xtr", "ytr", false), te = data_load(name, "Xte", "yte", false);
    gp_tensor *acc_t = load(name, "acc", GP_DTYPE_F64);
    const double *ref = gp_tensor_data(acc_t);
    const gp_probe_method ms[] = {GP_PROBE_MASSMEAN, GP_PROBE_MASSMEAN_IID, GP_PROBE_LDA};
    double one = 1.0 / (double)te.X.rows + 1e-12;
    for (int i = 0; i < 3; i++) {
        gp_probe *p = fit(&tr, ms[i], -1, 0);
        double acc = test_accuracy(p, &te);
        printf("# %s: %s test accuracy %.4f (reference %.4f; sklearn logistic C=1 %.4f)\n", name,
               gp_probe_method_name(ms[i]), acc, ref[i], ref[3]);
        if (fabs(acc - ref[i]) > one)
            fail_msg("%s: %s accuracy %.4f, reference %.4f", name, gp_probe_method_name(ms[i]),
                     acc, ref[i]);
        if (i == 0 && (acc < lo || acc > hi))
            fail_msg("%s: mass-mean accuracy %.4f outside [%g, %g]", name, acc, lo, hi);
        if (ms[i] == GP_PROBE_LDA) compare(p, &tr, name, "lda_auto", TOL);
        gp_probe_free(p);
    }
    gp_tensor_free(acc_t);
    data_free(&tr);
    data_free(&te);
}

static void probes_should_reach_the_documented_accuracy_on_real_activations(void **state) {
    (void)state;
    real_accuracy("larger_than", 0.58, 0.70); /* datasets/README.md */
    real_accuracy("afinn", 0.86, 0.92);
}

static void ridge_should_match_sklearn_r2_on_glove_valence(void **state) {
    (void)state;
    data tr = data_load("afinn", "Xtr", "ttr", true), te = data_load("afinn", "Xte", "tte", true);
    gp_probe *p = fit(&tr, GP_PROBE_RIDGE, -1, 1.0);
    compare(p, &tr, "afinn", "ridge_a1", TOL);
    int64_t n = te.X.rows;
    double *s = malloc((size_t)n * sizeof *s), mean = 0, ss_res = 0, ss_tot = 0;
    CHECK_OK(gp_probe_decision(p, &te.X, s));
    for (int64_t i = 0; i < n; i++) mean += te.t[i] / (double)n;
    for (int64_t i = 0; i < n; i++) {
        ss_res += (te.t[i] - s[i]) * (te.t[i] - s[i]);
        ss_tot += (te.t[i] - mean) * (te.t[i] - mean);
    }
    gp_tensor *r2t = load("afinn", "r2", GP_DTYPE_F64);
    double r2 = 1 - ss_res / ss_tot, ref = *(const double *)gp_tensor_data(r2t);
    printf("# afinn: ridge alpha=1 test R^2 %.4f (sklearn %.4f)\n", r2, ref);
    if (fabs(r2 - ref) > 1e-9) fail_msg("afinn ridge R^2 %.8f, sklearn %.8f", r2, ref);
    free(s);
    gp_tensor_free(r2t);
    gp_probe_free(p);
    data_free(&tr);
    data_free(&te);
}

/* ------------------------------------------------------------------ */
/* Edge cases                                                         */
/* ------------------------------------------------------------------ */

static void massmean_should_refuse_more_than_two_classes(void **state) {
    (void)state;
    data D = data_load("k3", "X", "y", false);
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    gp_probe *p = NULL;
    o.method = GP_PROBE_MASSMEAN;
    CHECK_FAILS(gp_probe_fit(&D.X, D.y, D.k, &o, &p), GP_EINVAL,
                "massmean: binary labels only (got 3 classes); use lda");
    o.method = GP_PROBE_MASSMEAN_IID;
    CHECK_FAILS(gp_probe_fit(&D.X, D.y, D.k, &o, &p), GP_EINVAL,
                "massmean-iid: binary labels only");
    assert_null(p);
    data_free(&D);
}

static void singular_systems_should_fail_or_take_the_minimum_norm(void **state) {
    (void)state;
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    gp_probe *p = NULL;
    /* d > n: mass-mean IID without shrinkage has no inverse */
    data W = data_load("wide", "X", "y", false);
    o.method = GP_PROBE_MASSMEAN_IID;
    o.shrinkage = 0;
    CHECK_FAILS(gp_probe_fit(&W.X, W.y, 2, &o, &p), GP_ELAPACK, "massmean-iid: the within-class "
                "covariance is singular");
    /* LDA without shrinkage takes the minimum-norm solution: finite, and
     * it separates the training rows (d > n) */
    o.method = GP_PROBE_LDA;
    CHECK_OK(gp_probe_fit(&W.X, W.y, 2, &o, &p));
    for (int64_t j = 0; j < W.X.cols; j++) assert_true(isfinite(gp_probe_weight(p)[j]));
    double acc = test_accuracy(p, &W);
    if (acc < 1.0) fail_msg("lda none, d > n: training accuracy %.4f", acc);
    gp_probe_free(p);
    data_free(&W);
    /* ridge, alpha 0, d > n: singular dual */
    data R = data_load("regwide", "X", "t", true);
    o.method = GP_PROBE_RIDGE;
    o.alpha = 0;
    p = (gp_probe *)1;
    CHECK_FAILS(gp_probe_fit_regression(&R.X, R.t, &o, &p), GP_ELAPACK, "ridge: the normal "
                "equations are singular at alpha = 0");
    assert_null(p);
    data_free(&R);
}

static void massmean_should_put_the_threshold_midway_or_at_zero(void **state) {
    (void)state;
    data D = data_load("bin", "X", "y", false);
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.method = GP_PROBE_MASSMEAN;
    gp_probe *p = NULL;
    CHECK_OK(gp_probe_fit(&D.X, D.y, 2, &o, &p));
    /* mean score of class 0 and of class 1 are opposite */
    int64_t n = D.X.rows;
    double *s = malloc((size_t)n * sizeof *s), m[2] = {0, 0};
    int64_t c[2] = {0, 0};
    CHECK_OK(gp_probe_decision(p, &D.X, s));
    for (int64_t i = 0; i < n; i++) {
        m[D.y[i]] += s[i];
        c[D.y[i]]++;
    }
    m[0] /= (double)c[0];
    m[1] /= (double)c[1];
    assert_true(m[1] > 0 && m[0] < 0);
    if (fabs(m[0] + m[1]) > 1e-9 * (m[1] - m[0])) fail_msg("class score means %g, %g", m[0], m[1]);
    gp_probe_free(p);
    o.fit_intercept = 0;
    CHECK_OK(gp_probe_fit(&D.X, D.y, 2, &o, &p));
    assert_true(gp_probe_bias(p)[0] == 0);
    gp_probe_free(p);
    free(s);
    data_free(&D);
}

static void fits_should_stop_when_cancelled(void **state) {
    (void)state;
    data D = data_load("k10", "X", "y", false);
    data R = data_load("regwide", "X", "t", true);
    volatile int32_t flag = 1;
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.cancel = &flag;
    gp_probe *p = NULL;
    o.method = GP_PROBE_LDA;
    CHECK_FAILS(gp_probe_fit(&D.X, D.y, D.k, &o, &p), GP_ECANCELLED, "lda: cancelled");
    o.method = GP_PROBE_RIDGE;
    CHECK_FAILS(gp_probe_fit_regression(&R.X, R.t, &o, &p), GP_ECANCELLED, "ridge: cancelled");
    assert_null(p);
    data_free(&D);
    data_free(&R);
}

/* ------------------------------------------------------------------ */
/* Out of memory at every allocation                                  */
/* ------------------------------------------------------------------ */

static void oom_sweep(const data *D, gp_probe_method m, double shrinkage, double alpha,
                      const char *what) {
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.method = m;
    o.shrinkage = shrinkage;
    o.alpha = alpha;
    for (long fail_at = 0;; fail_at++) {
        oom_arm(fail_at);
        gp_probe *p = NULL;
        gp_status st = m == GP_PROBE_RIDGE ? gp_probe_fit_regression(&D->X, D->t, &o, &p)
                                           : gp_probe_fit(&D->X, D->y, D->k, &o, &p);
        if (st == GP_OK) {
            gp_probe_free(p);
            if (oom_live() != 0) fail_msg("%s: %ld blocks leaked", what, oom_live());
            if (fail_at > 0 && fail_at <= oom_calls())
                fail_msg("%s: allocation %ld failed but the fit succeeded", what, fail_at);
            if (fail_at > oom_calls()) break;
            continue;
        }
        assert_null(p);
        if (st != GP_ENOMEM)
            fail_msg("%s: allocation %ld: status %d (%s)", what, fail_at, (int)st, gp_last_error());
        if (oom_live() != 0)
            fail_msg("%s: allocation %ld failed, %ld blocks leaked", what, fail_at, oom_live());
    }
}

static void fits_should_fail_cleanly_at_every_allocation(void **state) {
    (void)state;
    data B = data_load("const", "X", "y", false), K = data_load("k3", "X", "y", false);
    data W = data_load("wide", "X", "y", false);
    data R = data_load("reg", "X", "t", true), Rw = data_load("regwide", "X", "t", true);
    oom_sweep(&B, GP_PROBE_MASSMEAN, -1, 0, "massmean");
    oom_sweep(&B, GP_PROBE_MASSMEAN_IID, -1, 0, "massmean-iid");
    oom_sweep(&K, GP_PROBE_LDA, -1, 0, "lda auto");
    oom_sweep(&K, GP_PROBE_LDA, 0.3, 0, "lda 0.3");
    oom_sweep(&W, GP_PROBE_LDA, 0, 0, "lda none (pseudo-inverse)");
    oom_sweep(&R, GP_PROBE_RIDGE, -1, 1.0, "ridge primal");
    oom_sweep(&Rw, GP_PROBE_RIDGE, -1, 1.0, "ridge dual");
    oom_disarm();
    data_free(&B);
    data_free(&K);
    data_free(&W);
    data_free(&R);
    data_free(&Rw);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(massmean_should_match_the_difference_of_class_means),
        cmocka_unit_test(massmean_iid_should_match_a_numpy_solve),
        cmocka_unit_test(lda_should_match_sklearn_lsqr),
        cmocka_unit_test(ridge_should_match_sklearn_in_primal_and_dual_form),
        cmocka_unit_test(probes_should_reach_the_documented_accuracy_on_real_activations),
        cmocka_unit_test(ridge_should_match_sklearn_r2_on_glove_valence),
        cmocka_unit_test(massmean_should_refuse_more_than_two_classes),
        cmocka_unit_test(singular_systems_should_fail_or_take_the_minimum_norm),
        cmocka_unit_test(massmean_should_put_the_threshold_midway_or_at_zero),
        cmocka_unit_test(fits_should_stop_when_cancelled),
        cmocka_unit_test(fits_should_fail_cleanly_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
