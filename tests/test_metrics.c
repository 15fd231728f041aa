/* test_metrics.c — gp_metrics_compute, gp_metrics_bootstrap and
 * gp_regression_metrics_compute against scikit-learn 1.2 / numpy references
 * written by tests/fixtures_metrics.py (ties, imbalance, perfect and
 * inverted classifiers, one class, 3 and 10 classes, an absent class), a
 * brute-force pairwise AUROC, bootstrap determinism and agreement with a
 * numpy percentile bootstrap, bad arguments, and out of memory at every
 * allocation. */
#include "gp_test.h"

#include <math.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Fixture loading                                                    */
/* ------------------------------------------------------------------ */

typedef struct cls_case {
    gp_tensor *t[4];
    const int32_t *y;
    const double *proba, *ref;
    const int64_t *confusion;
    int64_t n;
    int32_t k;
} cls_case;

static gp_tensor *load(const char *name, const char *suffix, gp_dtype want, gp_dtype expect) {
    char rel[256];
    snprintf(rel, sizeof rel, "metrics/%s_%s.npy", name, suffix);
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(fixture(rel), want, &t));
    if (gp_tensor_dtype(t) != expect) fail_msg("%s: dtype %d", rel, (int)gp_tensor_dtype(t));
    return t;
}

/* Load y, proba and (when present in the case kind) the references. */
static void cls_load(cls_case *c, const char *name, int with_ref) {
    memset(c, 0, sizeof *c);
    c->t[0] = load(name, "y", GP_DTYPE_ANY, GP_DTYPE_I32);
    c->t[1] = load(name, "proba", GP_DTYPE_F64, GP_DTYPE_F64);
    c->y = gp_tensor_data(c->t[0]);
    c->proba = gp_tensor_data(c->t[1]);
    c->n = gp_tensor_dim(c->t[1], 0);
    c->k = (int32_t)gp_tensor_dim(c->t[1], 1);
    assert_int_equal(gp_tensor_numel(c->t[0]), c->n);
    c->t[2] = load(name, with_ref ? "ref" : "boot", GP_DTYPE_F64, GP_DTYPE_F64);
    c->ref = gp_tensor_data(c->t[2]);
    if (with_ref) {
        c->t[3] = load(name, "confusion", GP_DTYPE_ANY, GP_DTYPE_I64);
        c->confusion = gp_tensor_data(c->t[3]);
    }
}

static void cls_free(cls_case *c) {
    for (int i = 0; i < 4; i++) gp_tensor_free(c->t[i]);
}

/* Case names of one kind ("class", "regr", "boot") from cases.txt. */
static int list_cases(const char *kind, char names[][64], int max) {
    FILE *f = fopen(fixture("metrics/cases.txt"), "r");
    if (!f) fail_msg("missing %s (run make fixtures)", fixture("metrics/cases.txt"));
    char k[16], nm[64];
    int n = 0;
    while (n < max && fscanf(f, "%15s %63s", k, nm) == 2)
        if (!strcmp(k, kind)) snprintf(names[n++], 64, "%s", nm);
    fclose(f);
    if (n == 0) fail_msg("no %s cases in cases.txt", kind);
    return n;
}

static void near(double got, double want, double rtol, const char *what, const char *name) {
    if (!(fabs(got - want) <= rtol * fabs(want) + 1e-14))
        fail_msg("%s: %s = %.17g, reference %.17g (diff %.3g)", name, what, got, want,
                 got - want);
}

/* ------------------------------------------------------------------ */
/* Point estimates against scikit-learn                               */
/* ------------------------------------------------------------------ */

static void metrics_should_match_sklearn_on_every_case(void **state) {
    (void)state;
    char names[32][64];
    int nc = list_cases("class", names, 32);
    for (int i = 0; i < nc; i++) {
        cls_case c;
        cls_load(&c, names[i], 1);
        int64_t *conf = malloc((size_t)c.k * (size_t)c.k * sizeof *conf);
        memset(conf, 0x55, (size_t)c.k * (size_t)c.k * sizeof *conf);   /* must be overwritten */
        gp_metrics m;
        CHECK_OK(gp_metrics_compute(c.y, c.proba, c.n, c.k, &m, conf));
        assert_int_equal(m.n, c.n);
        near(m.accuracy, c.ref[0], 1e-12, "accuracy", names[i]);
        near(m.balanced_accuracy, c.ref[1], 1e-12, "balanced accuracy", names[i]);
        near(m.auroc, c.ref[2], 1e-9, "auroc", names[i]);
        near(m.log_loss, c.ref[3], 1e-12, "log loss", names[i]);
        near(m.ece, c.ref[4], 1e-12, "ece", names[i]);
        for (int64_t j = 0; j < (int64_t)c.k * c.k; j++)
            if (conf[j] != c.confusion[j])
                fail_msg("%s: confusion[%lld] = %lld, sklearn %lld", names[i], (long long)j,
                         (long long)conf[j], (long long)c.confusion[j]);
        /* confusion is optional and does not change the metrics */
        gp_metrics m2;
        CHECK_OK(gp_metrics_compute(c.y, c.proba, c.n, c.k, &m2, NULL));
        assert_memory_equal(&m, &m2, sizeof m);
        free(conf);
        cls_free(&c);
    }
}

/* Brute force over all pairs: P(s_pos > s_neg) + P(equal) / 2. */
static double auc_pairs(const int32_t *y, const double *s, int64_t n, int32_t pos, int32_t k,
                        int32_t col) {
    double num = 0, np_ = 0, nn = 0;
    for (int64_t i = 0; i < n; i++) {
        if (y[i] != pos) continue;
        np_++;
        for (int64_t j = 0; j < n; j++) {
            if (y[j] == pos) continue;
            double a = s[i * k + col], b = s[j * k + col];
            num += a > b ? 1.0 : a == b ? 0.5 : 0.0;
        }
    }
    for (int64_t j = 0; j < n; j++) nn += y[j] != pos;
    return num / (np_ * nn);
}

static void auroc_should_equal_the_pairwise_definition_with_ties(void **state) {
    (void)state;
    enum { N = 301, K = 3 };
    int32_t y[N];
    double p[N * K];
    unsigned s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        y[i] = (int32_t)((s >> 16) % 3);
        double row[K], sum = 0;
        for (int c = 0; c < K; c++) {
            s = s * 1103515245u + 12345u;
            row[c] = (double)((s >> 16) % 5) + (c == y[i] ? 2.0 : 0.0);   /* many ties */
            sum += row[c];
        }
        for (int c = 0; c < K; c++) p[i * K + c] = row[c] / sum;
    }
    gp_metrics m;
    CHECK_OK(gp_metrics_compute(y, p, N, K, &m, NULL));
    double want = 0;
    for (int c = 0; c < K; c++) want += auc_pairs(y, p, N, c, K, c) / K;
    near(m.auroc, want, 1e-12, "ovr auroc", "pairs");
    /* binary: the columns are 1 - p and p */
    for (int i = 0; i < N; i++) y[i] = y[i] == 2;
    double q[N * 2];
    for (int i = 0; i < N; i++) {
        q[2 * i + 1] = p[i * K + 2];
        q[2 * i] = 1 - q[2 * i + 1];
    }
    CHECK_OK(gp_metrics_compute(y, q, N, 2, &m, NULL));
    near(m.auroc, auc_pairs(y, q, N, 1, 2, 1), 1e-12, "binary auroc", "pairs");
}

static void regression_should_match_sklearn(void **state) {
    (void)state;
    char names[16][64];
    int nc = list_cases("regr", names, 16);
    for (int i = 0; i < nc; i++) {
        gp_tensor *t = load(names[i], "target", GP_DTYPE_F64, GP_DTYPE_F64);
        gp_tensor *p = load(names[i], "pred", GP_DTYPE_F64, GP_DTYPE_F64);
        gp_tensor *r = load(names[i], "ref", GP_DTYPE_F64, GP_DTYPE_F64);
        const double *ref = gp_tensor_data(r);
        gp_regression_metrics m;
        CHECK_OK(gp_regression_metrics_compute(gp_tensor_data(t), gp_tensor_data(p),
                                               gp_tensor_numel(t), &m));
        assert_int_equal(m.n, gp_tensor_numel(t));
        near(m.r2, ref[0], 1e-12, "r2", names[i]);
        near(m.pearson_r, ref[1], 1e-12, "pearson r", names[i]);
        near(m.mse, ref[2], 1e-12, "mse", names[i]);
        gp_tensor_free(t);
        gp_tensor_free(p);
        gp_tensor_free(r);
    }
}

/* ------------------------------------------------------------------ */
/* Bootstrap                                                          */
/* ------------------------------------------------------------------ */

static void bootstrap_should_be_deterministic_and_contain_the_estimate(void **state) {
    (void)state;
    const char *names[] = {"bin_ties", "bin_smooth", "mc3", "mc10", "mc10_absent"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        cls_case c;
        cls_load(&c, names[i], 1);
        gp_metrics m;
        CHECK_OK(gp_metrics_compute(c.y, c.proba, c.n, c.k, &m, NULL));
        double a1[2], u1[2], a2[2], u2[2], a3[2], u3[2];
        CHECK_OK(gp_metrics_bootstrap(c.y, c.proba, c.n, c.k, 300, 42, a1, u1));
        CHECK_OK(gp_metrics_bootstrap(c.y, c.proba, c.n, c.k, 300, 42, a2, u2));
        CHECK_OK(gp_metrics_bootstrap(c.y, c.proba, c.n, c.k, 300, 43, a3, u3));
        assert_memory_equal(a1, a2, sizeof a1);
        assert_memory_equal(u1, u2, sizeof u1);
        if (a1[0] == a3[0] && a1[1] == a3[1] && u1[0] == u3[0] && u1[1] == u3[1])
            fail_msg("%s: seeds 42 and 43 gave the same intervals", names[i]);
        if (!(a1[0] <= m.accuracy && m.accuracy <= a1[1] && a1[0] < a1[1]))
            fail_msg("%s: accuracy %g outside [%g, %g]", names[i], m.accuracy, a1[0], a1[1]);
        if (!(u1[0] <= m.auroc && m.auroc <= u1[1] && u1[0] < u1[1]))
            fail_msg("%s: auroc %g outside [%g, %g]", names[i], m.auroc, u1[0], u1[1]);
        cls_free(&c);
    }
}

static void bootstrap_should_agree_with_numpy_and_shrink_like_root_n(void **state) {
    (void)state;
    const char *names[] = {"boot_small", "boot_large"};
    double width[2][2];
    for (int i = 0; i < 2; i++) {
        cls_case c;
        cls_load(&c, names[i], 0);
        double acc[2], auc[2];
        CHECK_OK(gp_metrics_bootstrap(c.y, c.proba, c.n, c.k, 1000, 2024, acc, auc));
        /* numpy's RNG draws other resamples: the intervals are two
         * estimates of the same thing, so compare widths (within 20%) and
         * ends (within a quarter of the width). */
        const double *mine[2] = {acc, auc}, *ref = c.ref;
        for (int j = 0; j < 2; j++) {
            double w = mine[j][1] - mine[j][0], wr = ref[2 * j + 1] - ref[2 * j];
            if (fabs(w - wr) > 0.2 * wr)
                fail_msg("%s: %s width %g, numpy %g", names[i], j ? "auroc" : "accuracy", w, wr);
            for (int e = 0; e < 2; e++)
                if (fabs(mine[j][e] - ref[2 * j + e]) > 0.25 * wr)
                    fail_msg("%s: %s end %d %g, numpy %g", names[i], j ? "auroc" : "accuracy",
                             e, mine[j][e], ref[2 * j + e]);
            width[i][j] = w;
        }
        cls_free(&c);
    }
    /* 500 vs 8000 rows: widths shrink by sqrt(16) = 4 */
    for (int j = 0; j < 2; j++) {
        double ratio = width[0][j] / width[1][j];
        if (ratio < 3.2 || ratio > 4.8) fail_msg("width ratio %g, want about 4", ratio);
    }
}

static void bootstrap_should_skip_resamples_without_both_classes(void **state) {
    (void)state;
    enum { N = 20 };
    int32_t y[N] = {0};
    double p[N * 2];
    for (int i = 0; i < N; i++) {
        p[2 * i + 1] = (i % 7) / 10.0;
        p[2 * i] = 1 - p[2 * i + 1];
    }
    /* one class only: AUROC undefined in every resample -> 0.5 */
    double acc[2], auc[2];
    CHECK_OK(gp_metrics_bootstrap(y, p, N, 2, 200, 1, acc, auc));
    assert_true(auc[0] == 0.5 && auc[1] == 0.5);
    assert_true(acc[0] >= 0 && acc[1] <= 1 && acc[0] <= acc[1]);
    /* one positive: about a third of the resamples miss it and are skipped;
     * the rest are well defined and finite */
    y[3] = 1;
    p[7] = 0.95;
    p[6] = 0.05;
    CHECK_OK(gp_metrics_bootstrap(y, p, N, 2, 200, 1, acc, auc));
    assert_true(isfinite(auc[0]) && isfinite(auc[1]));
    assert_true(auc[0] == 1.0 && auc[1] == 1.0);   /* the positive outranks every negative */
}

static void bootstrap_should_be_fast_with_many_rows(void **state) {
    (void)state;
    enum { N = 20000 };
    int32_t *y = malloc(N * sizeof *y);
    double *p = malloc(N * 2 * sizeof *p);
    for (int i = 0; i < N; i++) {
        y[i] = i % 3 == 0;
        p[2 * i + 1] = fmod(i * 0.618033988749895 + (y[i] ? 0.2 : 0), 1.0);
        p[2 * i] = 1 - p[2 * i + 1];
    }
    double acc[2], auc[2];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(gp_metrics_bootstrap(y, p, N, 2, 1000, 3, acc, auc));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    /* O(n) per resample: about 0.2 s here; a sort per resample would be
     * several times that (generous bound: sanitizer builds are slower) */
    if (sec > 4.0) fail_msg("1000 resamples of %d rows took %.2f s", N, sec);
    assert_true(auc[0] < auc[1] && acc[0] < acc[1]);
    free(y);
    free(p);
}

/* ------------------------------------------------------------------ */
/* Bad arguments                                                      */
/* ------------------------------------------------------------------ */

static void metrics_should_reject_bad_arguments(void **state) {
    (void)state;
    int32_t y[4] = {0, 1, 1, 0};
    double p[8] = {0.9, 0.1, 0.2, 0.8, 0.4, 0.6, 0.7, 0.3};
    gp_metrics m;
    double a[2], u[2];
    CHECK_FAILS(gp_metrics_compute(NULL, p, 4, 2, &m, NULL), GP_EINVAL, "labels are NULL");
    CHECK_FAILS(gp_metrics_compute(y, NULL, 4, 2, &m, NULL), GP_EINVAL, "probabilities are NULL");
    CHECK_FAILS(gp_metrics_compute(y, p, 4, 2, NULL, NULL), GP_EINVAL, "out is NULL");
    CHECK_FAILS(gp_metrics_compute(y, p, 0, 2, &m, NULL), GP_EINVAL, "at least 1 row");
    CHECK_FAILS(gp_metrics_compute(y, p, 4, 1, &m, NULL), GP_EINVAL, "at least 2 classes");
    y[2] = 2;
    CHECK_FAILS(gp_metrics_compute(y, p, 4, 2, &m, NULL), GP_EINVAL, "row 2 is 2, not in 0..1");
    y[2] = -1;
    CHECK_FAILS(gp_metrics_bootstrap(y, p, 4, 2, 10, 0, a, u), GP_EINVAL, "row 2 is -1");
    y[2] = 1;
    p[5] = NAN;
    CHECK_FAILS(gp_metrics_compute(y, p, 4, 2, &m, NULL), GP_ENAN, "row 2, class 1 is nan");
    p[5] = INFINITY;
    CHECK_FAILS(gp_metrics_bootstrap(y, p, 4, 2, 10, 0, a, u), GP_ENAN, "row 2, class 1 is inf");
    p[5] = -0.25;
    CHECK_FAILS(gp_metrics_compute(y, p, 4, 2, &m, NULL), GP_EINVAL, "not in [0, 1]");
    p[5] = 0.6;
    CHECK_FAILS(gp_metrics_bootstrap(y, p, 4, 2, 0, 0, a, u), GP_EINVAL, "at least 1 resample");
    CHECK_FAILS(gp_metrics_bootstrap(y, p, 4, 2, 10, 0, NULL, u), GP_EINVAL, "NULL");
    CHECK_FAILS(gp_metrics_bootstrap(y, p, 4, 2, 10, 0, a, NULL), GP_EINVAL, "NULL");
    /* and a valid call clears the message */
    CHECK_OK(gp_metrics_compute(y, p, 4, 2, &m, NULL));
    assert_string_equal(gp_last_error(), "");
    CHECK_OK(gp_metrics_bootstrap(y, p, 4, 2, 1, 0, a, u));

    gp_regression_metrics r;
    double t[3] = {1, 2, 3}, q[3] = {1, 2, 4};
    CHECK_FAILS(gp_regression_metrics_compute(NULL, q, 3, &r), GP_EINVAL, "NULL");
    CHECK_FAILS(gp_regression_metrics_compute(t, NULL, 3, &r), GP_EINVAL, "NULL");
    CHECK_FAILS(gp_regression_metrics_compute(t, q, 3, NULL), GP_EINVAL, "out is NULL");
    CHECK_FAILS(gp_regression_metrics_compute(t, q, 0, &r), GP_EINVAL, "at least 1 row");
    q[1] = NAN;
    CHECK_FAILS(gp_regression_metrics_compute(t, q, 3, &r), GP_ENAN, "prediction of row 1");
    q[1] = 2;
    t[2] = -INFINITY;
    CHECK_FAILS(gp_regression_metrics_compute(t, q, 3, &r), GP_ENAN, "target of row 2");
}

static void metrics_should_stay_finite_on_degenerate_input(void **state) {
    (void)state;
    /* one row; constant values whose mean is not exactly the constant */
    int32_t y[1] = {1};
    double p[3] = {0.0, 1.0, 0.0};
    gp_metrics m;
    CHECK_OK(gp_metrics_compute(y, p, 1, 3, &m, NULL));
    assert_true(m.accuracy == 1 && m.balanced_accuracy == 1 && m.auroc == 0.5);
    assert_true(isfinite(m.log_loss) && m.ece == 0);
    double t[3] = {0.1, 0.1, 0.1}, q[3] = {0.1, 0.1, 0.1};
    gp_regression_metrics r;
    CHECK_OK(gp_regression_metrics_compute(t, q, 3, &r));
    assert_true(r.r2 == 0 && r.pearson_r == 0 && r.mse == 0);
    CHECK_OK(gp_regression_metrics_compute(t, q, 1, &r));
    assert_true(r.r2 == 0 && r.pearson_r == 0 && r.mse == 0);
}

/* ------------------------------------------------------------------ */
/* Out of memory                                                      */
/* ------------------------------------------------------------------ */

static gp_status run_both(const cls_case *c) {
    gp_metrics m;
    double a[2], u[2];
    gp_status s = gp_metrics_compute(c->y, c->proba, c->n, c->k, &m, NULL);
    if (s != GP_OK) return s;
    return gp_metrics_bootstrap(c->y, c->proba, c->n, c->k, 20, 5, a, u);
}

static void metrics_should_fail_cleanly_at_every_allocation(void **state) {
    (void)state;
    const char *names[] = {"bin_ties", "mc3"};
    for (int i = 0; i < 2; i++) {
        cls_case c;
        cls_load(&c, names[i], 1);
        oom_arm(0);
        CHECK_OK(run_both(&c));
        long total = oom_calls();
        assert_true(total > 0);
        if (oom_live() != 0) fail_msg("%s: %ld blocks leaked", names[i], oom_live());
        for (long fail_at = 1; fail_at <= total; fail_at++) {
            oom_arm(fail_at);
            gp_status s = run_both(&c);
            if (s != GP_ENOMEM || !strstr(gp_last_error(), "out of memory"))
                fail_msg("%s: allocation %ld of %ld: status %d (%s)", names[i], fail_at, total,
                         (int)s, gp_last_error());
            if (oom_live() != 0)
                fail_msg("%s: allocation %ld: %ld blocks leaked", names[i], fail_at, oom_live());
        }
        oom_disarm();
        cls_free(&c);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(metrics_should_match_sklearn_on_every_case),
        cmocka_unit_test(auroc_should_equal_the_pairwise_definition_with_ties),
        cmocka_unit_test(regression_should_match_sklearn),
        cmocka_unit_test(bootstrap_should_be_deterministic_and_contain_the_estimate),
        cmocka_unit_test(bootstrap_should_agree_with_numpy_and_shrink_like_root_n),
        cmocka_unit_test(bootstrap_should_skip_resamples_without_both_classes),
        cmocka_unit_test(bootstrap_should_be_fast_with_many_rows),
        cmocka_unit_test(metrics_should_reject_bad_arguments),
        cmocka_unit_test(metrics_should_stay_finite_on_degenerate_input),
        cmocka_unit_test(metrics_should_fail_cleanly_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
