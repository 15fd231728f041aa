/* test_logistic.c — the logistic probe (probes/logistic.c) through the
 * public API: coefficients, intercepts and held-out predictions against
 * scikit-learn's LogisticRegression (references by tests/fixtures_logistic.py)
 * for every solver, cross-validated C against LogisticRegressionCV, the
 * gradient at the solution, separable data with a huge C, determinism,
 * cancellation and failure at every allocation; the batched cross-validation
 * (all folds and Cs at once) against the same problems solved one at a time. */
#include "gp_test.h"
#include "../probes/logistic_impl.h"  /* gp__logistic_cv_scores */

#include <math.h>

typedef struct lcase {
    gp_tensor *t[9];
    gp_matrix  X, Xt;
    const int32_t *y, *yt, *pred;
    const double *coef, *icpt;
    int64_t n, nt, d;
    int32_t k, nout;
    double C;
    int balanced;
} lcase;

static gp_tensor *load_t(const char *name, const char *suffix, gp_dtype want) {
    gp_tensor *t;
    load_fixture_tensor("logistic", name, suffix, want, &t);
    return t;
}

static void case_load(lcase *c, const char *name) {
    memset(c, 0, sizeof *c);
    c->t[0] = load_t(name, "X", GP_DTYPE_ANY);
    c->t[1] = load_t(name, "Xt", GP_DTYPE_ANY);
    c->t[2] = load_t(name, "y", GP_DTYPE_ANY);
    c->t[3] = load_t(name, "yt", GP_DTYPE_ANY);
    c->t[4] = load_t(name, "pred", GP_DTYPE_ANY);
    c->t[5] = load_t(name, "coef", GP_DTYPE_F64);
    c->t[6] = load_t(name, "intercept", GP_DTYPE_F64);
    c->t[7] = load_t(name, "C", GP_DTYPE_F64);
    c->t[8] = load_t(name, "balanced", GP_DTYPE_ANY);
    CHECK_OK(gp_tensor_matrix(c->t[0], &c->X));
    CHECK_OK(gp_tensor_matrix(c->t[1], &c->Xt));
    assert_int_equal(gp_tensor_dtype(c->t[2]), GP_DTYPE_I32);
    c->y = gp_tensor_data(c->t[2]);
    c->yt = gp_tensor_data(c->t[3]);
    c->pred = gp_tensor_data(c->t[4]);
    c->coef = gp_tensor_data(c->t[5]);
    c->icpt = gp_tensor_data(c->t[6]);
    c->C = *(const double *)gp_tensor_data(c->t[7]);
    c->balanced = *(const int32_t *)gp_tensor_data(c->t[8]);
    c->n = c->X.rows;
    c->nt = c->Xt.rows;
    c->d = c->X.cols;
    for (int64_t i = 0; i < c->n; i++)
        if (c->y[i] + 1 > c->k) c->k = c->y[i] + 1;
    c->nout = c->k == 2 ? 1 : c->k;
    assert_int_equal(gp_tensor_numel(c->t[5]), c->nout * c->d);
}

static void case_free(lcase *c) {
    for (int i = 0; i < 9; i++) gp_tensor_free(c->t[i]);
}

static gp_probe *fit_case(const lcase *c, gp_logistic_solver s, double C) {
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.method = GP_PROBE_LOGISTIC;
    o.solver = s;
    o.C = C;
    o.class_weight_balanced = c->balanced;
    gp_probe *p = NULL;
    CHECK_OK(gp_probe_fit(&c->X, c->y, c->k, &o, &p));
    assert_non_null(p);
    assert_int_equal(gp_probe_n_outputs(p), c->nout);
    assert_int_equal(gp_probe_n_features(p), c->d);
    return p;
}

static const char *solver_name(gp_logistic_solver s) {
    return s == GP_LOGISTIC_NEWTON ? "newton" : s == GP_LOGISTIC_LBFGS ? "lbfgs" : "auto";
}

/* Coefficients within rel (norm of the difference over the reference's
 * norm, per output) and cosine > 0.9999; intercepts within rel of the
 * scale |b| + ||w||; held-out predictions equal but for `slack` rows. */
static void compare(const lcase *c, const gp_probe *p, const double *coef, const double *icpt,
                    double rel, int64_t slack, const char *what) {
    const double *W = gp_probe_weight(p), *b = gp_probe_bias(p);
    for (int32_t o = 0; o < c->nout; o++) {
        const double *w = W + o * c->d, *r = coef + o * c->d;
        double dd = 0, rr = 0, ww = 0, wr = 0;
        for (int64_t j = 0; j < c->d; j++) {
            dd += (w[j] - r[j]) * (w[j] - r[j]);
            rr += r[j] * r[j];
            ww += w[j] * w[j];
            wr += w[j] * r[j];
        }
        double e = sqrt(dd / rr), cosv = wr / sqrt(ww * rr);
        if (!(e <= rel) || !(cosv > 0.9999))
            fail_msg("%s: output %d: coef rel err %.3g, cosine %.8f", what, (int)o, e, cosv);
        double eb = fabs(b[o] - icpt[o]) / (fabs(icpt[o]) + sqrt(rr));
        if (!(eb <= rel))
            fail_msg("%s: output %d: intercept %.8g, sklearn %.8g", what, (int)o, b[o], icpt[o]);
    }
    if (!c->pred) return;
    int32_t *pred = malloc((size_t)c->nt * sizeof *pred);
    CHECK_OK(gp_probe_predict(p, &c->Xt, pred));
    int64_t diff = 0;
    for (int64_t i = 0; i < c->nt; i++) diff += pred[i] != c->pred[i];
    if (diff > slack) fail_msg("%s: %lld held-out predictions differ", what, (long long)diff);
    free(pred);
}

static void run_case(const char *name) {
    lcase c;
    case_load(&c, name);
    const gp_logistic_solver s[] = {GP_LOGISTIC_AUTO, GP_LOGISTIC_NEWTON, GP_LOGISTIC_LBFGS};
    for (int i = 0; i < 3; i++) {
        char what[128];
        snprintf(what, sizeof what, "%s/%s", name, solver_name(s[i]));
        gp_probe *p = fit_case(&c, s[i], c.C);
        if (!gp_probe_converged(p)) fail_msg("%s: did not converge (%d iterations)", what,
                                             (int)gp_probe_n_iter(p));
        assert_true(gp_probe_C(p) == c.C);
        compare(&c, p, c.coef, c.icpt, 1e-3, 0, what);
        gp_probe_free(p);
    }
    case_free(&c);
}

static void logistic_should_match_sklearn_on_separable_binary(void **s) { (void)s; run_case("sep"); }
static void logistic_should_match_sklearn_on_noisy_binary(void **s) { (void)s; run_case("noisy"); }
static void logistic_should_match_sklearn_on_float64_input(void **s) { (void)s; run_case("noisy64"); }
static void logistic_should_match_sklearn_with_large_C(void **s) { (void)s; run_case("noisybig"); }
static void logistic_should_match_sklearn_multinomial_10_classes(void **s) { (void)s; run_case("multi"); }
static void logistic_should_match_sklearn_with_a_rare_class(void **s) { (void)s; run_case("rare"); }
static void logistic_should_match_sklearn_with_balanced_weights(void **s) { (void)s; run_case("rarebal"); }
static void logistic_should_match_sklearn_on_offset_anisotropic_dims(void **s) { (void)s; run_case("aniso"); }
static void logistic_should_match_sklearn_with_more_features_than_rows(void **s) {
    (void)s;
    run_case("wide");
    run_case("wide3");
}
static void logistic_should_match_sklearn_on_real_activations(void **s) {
    (void)s;
    run_case("larger");
    run_case("afinn");
}

/* The gradient of 0.5 ||W||^2 + C sum s_i loss_i at the fit, computed here
 * in float64 independently of the library, relative to its value at 0. */
static double rel_gradient(const lcase *c, const gp_probe *p, double C) {
    const double *W = gp_probe_weight(p), *b = gp_probe_bias(p);
    int64_t d = c->d;
    int no = c->nout;
    double *G = calloc((size_t)(no * (d + 1)), sizeof *G), *G0 = calloc((size_t)(no * (d + 1)), sizeof *G0);
    double z[16], p_[16];
    for (int64_t i = 0; i < c->n; i++) {
        double x[512];
        for (int64_t j = 0; j < d; j++)
            x[j] = c->X.dtype == GP_DTYPE_F64 ? ((const double *)c->X.data)[i * d + j]
                                              : ((const float *)c->X.data)[i * d + j];
        double m = -1e300, sum = 0;
        for (int o = 0; o < no; o++) {
            z[o] = b[o];
            for (int64_t j = 0; j < d; j++) z[o] += W[o * d + j] * x[j];
            if (z[o] > m) m = z[o];
        }
        for (int o = 0; o < no; o++) {
            if (no == 1) p_[o] = 1 / (1 + exp(-z[o]));
            else sum += (p_[o] = exp(z[o] - m));
        }
        for (int o = 0; o < no; o++) {
            if (no > 1) p_[o] /= sum;
            double yv = no == 1 ? c->y[i] == 1 : c->y[i] == o;
            double r = C * (p_[o] - yv), r0 = C * ((no == 1 ? 0.5 : 1.0 / no) - yv);
            for (int64_t j = 0; j < d; j++) {
                G[o * (d + 1) + j] += r * x[j];
                G0[o * (d + 1) + j] += r0 * x[j];
            }
            G[o * (d + 1) + d] += r;
            G0[o * (d + 1) + d] += r0;
        }
    }
    double g = 0, g0 = 0;
    for (int o = 0; o < no; o++)
        for (int64_t j = 0; j <= d; j++) {
            double v = G[o * (d + 1) + j] + (j < d ? W[o * d + j] : 0);
            g = fmax(g, fabs(v));
            g0 = fmax(g0, fabs(G0[o * (d + 1) + j]));
        }
    free(G);
    free(G0);
    return g / g0;
}

static void logistic_should_reach_a_zero_gradient(void **s) {
    (void)s;
    const char *names[] = {"noisy", "noisy64", "multi", "aniso", "wide3", "larger"};
    for (int i = 0; i < 6; i++) {
        lcase c;
        case_load(&c, names[i]);
        const gp_logistic_solver sv[] = {GP_LOGISTIC_AUTO, GP_LOGISTIC_LBFGS};
        for (int j = 0; j < 2; j++) {
            gp_probe *p = fit_case(&c, sv[j], c.C);
            double g = rel_gradient(&c, p, c.C);
            if (!(g < 1e-6))
                fail_msg("%s/%s: relative gradient %.3g at the fit", names[i],
                         solver_name(sv[j]), g);
            gp_probe_free(p);
        }
        case_free(&c);
    }
}

/* C <= 0: the chosen C is on LogisticRegressionCV's grid, its held-out
 * accuracy within 2% of scikit-learn's choice (the folds differ), and the
 * refit equals LogisticRegression at that C. */
static void logistic_should_choose_C_by_cross_validation(void **s) {
    (void)s;
    lcase c;
    case_load(&c, "noisy");
    gp_tensor *tg = load_t("cv", "Cs", GP_DTYPE_F64), *tc = load_t("cv", "C", GP_DTYPE_F64);
    gp_tensor *ta = load_t("cv", "acc", GP_DTYPE_F64), *tw = load_t("cv", "coefs", GP_DTYPE_F64);
    gp_tensor *tb = load_t("cv", "intercepts", GP_DTYPE_F64);
    const double *grid = gp_tensor_data(tg), *coefs = gp_tensor_data(tw);
    const double *icpts = gp_tensor_data(tb);
    int64_t ng = gp_tensor_numel(tg);
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.C = 0;
    o.n_Cs = (int32_t)ng;
    o.cv_folds = 5;
    o.seed = 7;
    for (int sv = 0; sv < 2; sv++) {
        o.solver = sv ? GP_LOGISTIC_LBFGS : GP_LOGISTIC_AUTO;
        gp_probe *p = NULL;
        CHECK_OK(gp_probe_fit(&c.X, c.y, c.k, &o, &p));
        double C = gp_probe_C(p);
        int64_t at = -1;
        for (int64_t j = 0; j < ng; j++)
            if (fabs(C - grid[j]) <= 1e-9 * grid[j]) at = j;
        if (at < 0) fail_msg("chosen C %g is not on the grid", C);
        int32_t *pred = malloc((size_t)c.nt * sizeof *pred);
        CHECK_OK(gp_probe_predict(p, &c.Xt, pred));
        int64_t good = 0;
        for (int64_t i = 0; i < c.nt; i++) good += pred[i] == c.yt[i];
        double acc = (double)good / (double)c.nt, sk = *(const double *)gp_tensor_data(ta);
        if (acc < sk - 0.02)
            fail_msg("C %g: held-out accuracy %.4f, sklearn's C %g: %.4f", C, acc,
                     *(const double *)gp_tensor_data(tc), sk);
        lcase ref = c;
        ref.pred = NULL;
        compare(&ref, p, coefs + at * c.d, icpts + at, 1e-3, 0, "cv refit");
        free(pred);
        gp_probe_free(p);
    }
    gp_tensor_free(tg);
    gp_tensor_free(tc);
    gp_tensor_free(ta);
    gp_tensor_free(tw);
    gp_tensor_free(tb);
    case_free(&c);
}

/* The batched cross-validation (binary: every (fold, C) solved at once,
 * float32 passes) against the path of single fits (warm-started, float64
 * finish): the same chosen C and each held-out accuracy within a few rows
 * (the fold fits stop at a relative gradient of 1e-5, where a row on the
 * boundary can still flip); bit-identical when run twice. With and without
 * intercept, balanced weights, float64 input, d > n. */
static void logistic_cv_batched_should_match_one_problem_at_a_time(void **s) {
    (void)s;
    const char *names[] = {"noisy", "noisy64", "rarebal", "aniso", "larger", "wide"};
    for (int i = 0; i < 6; i++) {
        lcase c;
        case_load(&c, names[i]);
        for (int v = 0; v < 2; v++) {
            gp_probe_opts o;
            gp_probe_opts_init(&o);
            o.C = 0;
            o.n_Cs = 10;
            o.cv_folds = 5;
            o.seed = 7;
            o.class_weight_balanced = c.balanced;
            o.solver = v ? GP_LOGISTIC_LBFGS : GP_LOGISTIC_AUTO;
            if (i == 3) o.fit_intercept = v;  /* aniso: with and without intercept */
            double ab[50], ab2[50], ap[50];
            int32_t bb = -1, bb2 = -1, bp = -1;
            CHECK_OK(gp__logistic_cv_scores(&c.X, c.y, c.k, &o, true, ab, &bb));
            CHECK_OK(gp__logistic_cv_scores(&c.X, c.y, c.k, &o, true, ab2, &bb2));
            CHECK_OK(gp__logistic_cv_scores(&c.X, c.y, c.k, &o, false, ap, &bp));
            assert_memory_equal(ab, ab2, sizeof ab);
            assert_int_equal(bb, bb2);
            /* wide (d > n) is separable: at C >= 1e3 neither solver gets
             * near the optimum's huge weights in its iterations, and the
             * choice can fall among those */
            int32_t nC = i == 5 ? 8 : 10;
            double nte = (double)c.n / o.cv_folds, worst = 0;
            for (int e = 0; e < 50; e++)
                if (e % 10 < nC) worst = GP_MAX(worst, fabs(ab[e] - ap[e]) * nte);
            if ((bb != bp && i != 5) || worst > 3.5)
                fail_msg("%s/%d: chosen C index %d batched, %d one at a time; accuracies "
                         "differ by up to %.1f rows", names[i], v, (int)bb, (int)bp, worst);
        }
        case_free(&c);
    }
}

/* Perfectly separable data with C = 1e10: weights stay finite (the L2 term
 * bounds them), classes are separated; with a small max_iter the fit says
 * it did not converge. */
static void logistic_should_stay_finite_on_separable_data_with_huge_C(void **s) {
    (void)s;
    gp_tensor *tx = load_t("hugeC", "X", GP_DTYPE_ANY), *ty = load_t("hugeC", "y", GP_DTYPE_ANY);
    gp_matrix X;
    CHECK_OK(gp_tensor_matrix(tx, &X));
    const int32_t *y = gp_tensor_data(ty);
    const gp_logistic_solver sv[] = {GP_LOGISTIC_NEWTON, GP_LOGISTIC_LBFGS};
    for (int i = 0; i < 2; i++) {
        gp_probe_opts o;
        gp_probe_opts_init(&o);
        o.C = 1e10;
        o.solver = sv[i];
        gp_probe *p = NULL;
        CHECK_OK(gp_probe_fit(&X, y, 2, &o, &p));
        for (int64_t j = 0; j < X.cols; j++) assert_true(isfinite(gp_probe_weight(p)[j]));
        assert_true(isfinite(gp_probe_bias(p)[0]));
        int32_t *pred = malloc((size_t)X.rows * sizeof *pred);
        CHECK_OK(gp_probe_predict(p, &X, pred));
        for (int64_t r = 0; r < X.rows; r++) assert_int_equal(pred[r], y[r]);
        free(pred);
        gp_probe_free(p);
        o.max_iter = 2;
        CHECK_OK(gp_probe_fit(&X, y, 2, &o, &p));
        assert_int_equal(gp_probe_converged(p), 0);
        assert_true(gp_probe_n_iter(p) <= 2);
        gp_probe_free(p);
    }
    gp_tensor_free(tx);
    gp_tensor_free(ty);
}

static void logistic_should_be_deterministic(void **s) {
    (void)s;
    lcase c;
    case_load(&c, "multi");
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.C = -1;
    o.n_Cs = 4;
    o.cv_folds = 3;
    gp_probe *a = NULL, *b = NULL;
    CHECK_OK(gp_probe_fit(&c.X, c.y, c.k, &o, &a));
    CHECK_OK(gp_probe_fit(&c.X, c.y, c.k, &o, &b));
    assert_memory_equal(gp_probe_weight(a), gp_probe_weight(b),
                        (size_t)(c.nout * c.d) * sizeof(double));
    assert_memory_equal(gp_probe_bias(a), gp_probe_bias(b), (size_t)c.nout * sizeof(double));
    assert_true(gp_probe_C(a) == gp_probe_C(b));
    gp_probe_free(a);
    gp_probe_free(b);
    case_free(&c);
}

typedef struct cancel_ctx {
    int32_t flag;
    int64_t calls;
} cancel_ctx;

static void cancel_after_two(void *user, int64_t done, int64_t total, const char *stage) {
    cancel_ctx *c = user;
    (void)done, (void)total, (void)stage;
    if (++c->calls >= 2) c->flag = 1;
}

static void logistic_should_stop_when_cancelled(void **s) {
    (void)s;
    lcase c;
    case_load(&c, "aniso");
    for (int sv = 0; sv < 3; sv++) {
        gp_probe_opts o;
        gp_probe_opts_init(&o);
        o.solver = sv == 0 ? GP_LOGISTIC_NEWTON : GP_LOGISTIC_LBFGS;
        if (sv == 2) o.C = 0;  /* the CV path reports per fit */
        cancel_ctx cc = {0, 0};
        o.progress = cancel_after_two;
        o.progress_user = &cc;
        o.cancel = &cc.flag;
        gp_probe *p = (gp_probe *)1;
        if (sv == 1) cc.flag = 1;  /* L-BFGS checks the flag every iteration */
        CHECK_FAILS(gp_probe_fit(&c.X, c.y, c.k, &o, &p), GP_ECANCELLED, "cancelled");
        assert_null(p);
    }
    case_free(&c);
}

static void logistic_should_fail_cleanly_at_every_allocation(void **s) {
    (void)s;
    lcase c, cb;
    case_load(&c, "wide3");  /* small: keeps the sweep short */
    case_load(&cb, "wide");  /* binary: the batched cross-validation */
    for (int v = 0; v < 4; v++) {
        gp_probe_opts o;
        gp_probe_opts_init(&o);
        o.solver = v == 0 ? GP_LOGISTIC_LBFGS : GP_LOGISTIC_AUTO;
        o.class_weight_balanced = v == 1;
        if (v >= 2) {
            o.C = 0;
            o.n_Cs = 2;
            o.cv_folds = 2;
        }
        const lcase *cc = v == 3 ? &cb : &c;
        const gp_matrix *X = &cc->X;
        const int32_t *y = cc->y;
        int32_t k = cc->k;
        oom_arm(0);
        gp_probe *p = NULL;
        CHECK_OK(gp_probe_fit(X, y, k, &o, &p));
        gp_probe_free(p);
        long total = oom_calls();
        if (oom_live() != 0) fail_msg("variant %d: %ld blocks leaked", v, oom_live());
        for (long fail_at = 1; fail_at <= total; fail_at++) {
            oom_arm(fail_at);
            p = (gp_probe *)1;
            gp_status st = gp_probe_fit(X, y, k, &o, &p);
            if (st != GP_ENOMEM)
                fail_msg("variant %d: allocation %ld of %ld: status %d (%s)", v, fail_at, total,
                         (int)st, gp_last_error());
            assert_null(p);
            if (oom_live() != 0)
                fail_msg("variant %d: allocation %ld: %ld blocks leaked", v, fail_at, oom_live());
        }
    }
    oom_disarm();
    case_free(&c);
    case_free(&cb);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logistic_should_match_sklearn_on_separable_binary),
        cmocka_unit_test(logistic_should_match_sklearn_on_noisy_binary),
        cmocka_unit_test(logistic_should_match_sklearn_on_float64_input),
        cmocka_unit_test(logistic_should_match_sklearn_with_large_C),
        cmocka_unit_test(logistic_should_match_sklearn_multinomial_10_classes),
        cmocka_unit_test(logistic_should_match_sklearn_with_a_rare_class),
        cmocka_unit_test(logistic_should_match_sklearn_with_balanced_weights),
        cmocka_unit_test(logistic_should_match_sklearn_on_offset_anisotropic_dims),
        cmocka_unit_test(logistic_should_match_sklearn_with_more_features_than_rows),
        cmocka_unit_test(logistic_should_match_sklearn_on_real_activations),
        cmocka_unit_test(logistic_should_reach_a_zero_gradient),
        cmocka_unit_test(logistic_should_choose_C_by_cross_validation),
        cmocka_unit_test(logistic_cv_batched_should_match_one_problem_at_a_time),
        cmocka_unit_test(logistic_should_stay_finite_on_separable_data_with_huge_C),
        cmocka_unit_test(logistic_should_be_deterministic),
        cmocka_unit_test(logistic_should_stop_when_cancelled),
        cmocka_unit_test(logistic_should_fail_cleanly_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
