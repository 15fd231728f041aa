/* test_ccs.c — the contrast-pair probes against the numpy oracles of
 * tests/fixtures_ccs.py: normalization, CRC and VINC directions, the CCS
 * loss, its gradient (finite differences), the AdamW trajectory, Platt
 * calibration; then planted-direction recovery, L-BFGS against AdamW,
 * save/load, determinism, bad input and failed allocations. */
#include "gp_test.h"
#include "../probes/ccs_internal.h"  /* the loss pass, for loss and gradient checks */

#include <math.h>

typedef struct pairs {
    gp_tensor *tp, *tn;
    gp_matrix pos, neg;
} pairs;

static gp_tensor *load(const char *name, gp_matrix *M) {
    char rel[256];
    snprintf(rel, sizeof rel, "ccs/%s.npy", name);
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(fixture(rel), GP_DTYPE_ANY, &t));
    CHECK_OK(gp_tensor_matrix(t, M));
    return t;
}

/* float64 contents of fixture NAME (any shape), count in *n; caller frees. */
static double *ref(const char *name, int64_t *n) {
    gp_matrix M;
    gp_tensor *t = load(name, &M);
    size_t cnt = (size_t)(M.rows * M.cols);
    double *v = malloc(cnt * sizeof *v);
    for (size_t i = 0; i < cnt; i++)
        v[i] = M.dtype == GP_DTYPE_F64 ? ((double *)M.data)[i]
               : M.dtype == GP_DTYPE_F32 ? (double)((float *)M.data)[i]
                                         : (double)((int32_t *)M.data)[i];
    gp_tensor_free(t);
    if (n) *n = (int64_t)cnt;
    return v;
}

static int32_t *ref_ids(const char *name, int64_t *n) {
    double *v = ref(name, n);
    int32_t *y = malloc((size_t)*n * sizeof *y);
    for (int64_t i = 0; i < *n; i++) y[i] = (int32_t)v[i];
    free(v);
    return y;
}

static pairs load_pairs(const char *stem) {
    pairs P;
    char a[128], b[128];
    snprintf(a, sizeof a, "%s_pos", stem);
    snprintf(b, sizeof b, "%s_neg", stem);
    P.tp = load(a, &P.pos);
    P.tn = load(b, &P.neg);
    return P;
}

static void pairs_free(pairs *P) {
    gp_tensor_free(P->tp);
    gp_tensor_free(P->tn);
}

static void expect_close(const char *what, double got, double want, double rel, double abs_tol) {
    if (!isfinite(got) || fabs(got - want) > rel * fabs(want) + abs_tol)
        fail_msg("%s: got %.17g, want %.17g (diff %.3g)", what, got, want, fabs(got - want));
}

static double cosine(const double *a, const double *b, int64_t d) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t j = 0; j < d; j++) ab += a[j] * b[j], aa += a[j] * a[j], bb += b[j] * b[j];
    return ab / sqrt(aa * bb);
}

static const char *const NORM_NAMES[3] = {"burns", "center", "feature"};

static gp_ccs *fit(const pairs *P, gp_ccs_method m, gp_ccs_norm nm) {
    gp_ccs_opts o;
    gp_ccs_opts_init(&o);
    o.method = m;
    o.norm = nm;
    gp_ccs *c = NULL;
    CHECK_OK(gp_ccs_fit(&P->pos, &P->neg, &o, &c));
    return c;
}

/* ------------------------------------------------------------------ */

static void normalization_matches_numpy(void **state) {
    (void)state;
    pairs P = load_pairs("planted");
    for (int nm = 0; nm < 3; nm++) {
        gp_ccs *c = fit(&P, GP_CCS_CRC, (gp_ccs_norm)nm);
        char name[64];
        int64_t n;
        snprintf(name, sizeof name, "norm_%s_mean", NORM_NAMES[nm]);
        double *mu = ref(name, &n);
        snprintf(name, sizeof name, "norm_%s_scale", NORM_NAMES[nm]);
        double *sc = ref(name, &n);
        int64_t d = gp_ccs_n_features(c);
        assert_int_equal(n, 2 * d);
        for (int w = 0; w < 2; w++)
            for (int64_t j = 0; j < d; j++) {
                expect_close("mean", gp_ccs_mean(c, w)[j], mu[w * d + j], 1e-12, 1e-12);
                expect_close("scale", gp_ccs_scale(c, w)[j], sc[w * d + j], 1e-12, 1e-12);
            }
        free(mu);
        free(sc);
        gp_ccs_free(c);
    }
    pairs_free(&P);
}

static void closed_forms_match_numpy(void **state) {
    (void)state;
    pairs P = load_pairs("planted");
    for (int m = GP_CCS_CRC; m <= GP_CCS_VINC; m++)
        for (int nm = 0; nm < 3; nm++) {
            gp_ccs *c = fit(&P, (gp_ccs_method)m, (gp_ccs_norm)nm);
            char name[64];
            int64_t d;
            snprintf(name, sizeof name, "%s_%s", m == GP_CCS_CRC ? "crc" : "vinc", NORM_NAMES[nm]);
            double *want = ref(name, &d);
            assert_int_equal(d, gp_ccs_n_features(c));
            for (int64_t j = 0; j < d; j++) expect_close(name, gp_ccs_weight(c)[j], want[j], 0, 2e-5);
            assert_true(gp_ccs_bias(c) == 0);
            assert_int_equal(gp_ccs_tries(c), 1);
            free(want);
            gp_ccs_free(c);
        }
    pairs_free(&P);
}

static void loss_matches_numpy_and_gradient_finite_differences(void **state) {
    (void)state;
    pairs P = load_pairs("planted");
    gp_ccs *c = fit(&P, GP_CCS_CRC, GP_CCS_NORM_BURNS);
    int64_t cnt, d = gp_ccs_n_features(c), nv = d + 1;
    double *th = ref("loss_params", &cnt), *want = ref("loss_values", NULL);
    assert_int_equal(cnt, 3 * nv);
    gp__ccs_pass *ps = NULL;
    CHECK_OK(gp__ccs_pass_new(c, &P.pos, &P.neg, 3, NULL, P.pos.rows, &ps));
    int32_t act[3] = {0, 1, 2};
    double L[3], *G = malloc((size_t)(3 * nv) * sizeof *G);
    CHECK_OK(gp__ccs_pass_eval(ps, 3, act, th, L, G, GP_OK));
    for (int r = 0; r < 3; r++) expect_close("loss", L[r], want[r], 1e-6, 1e-9);
    /* central differences, each parameter of each row, except where the
     * step would carry a pair across min(p+, p-)'s kink (p+ = p-: the
     * loss has no derivative there) */
    double gmax = 0;
    for (int64_t e = 0; e < 3 * nv; e++) gmax = fmax(gmax, fabs(G[e]));
    assert_true(gmax > 1e-4);
    const double h = 1e-3;
    int64_t n = P.pos.rows, checked = 0;
    float *np_ = malloc((size_t)(n * d) * sizeof *np_), *nn_ = malloc((size_t)(n * d) * sizeof *nn_);
    CHECK_OK(gp_ccs_transform(c, &P.pos, 0, np_, d));
    CHECK_OK(gp_ccs_transform(c, &P.neg, 1, nn_, d));
    for (int r = 0; r < 3; r++)
        for (int64_t e = 0; e < nv; e++) {
            bool kink = false;
            for (int64_t i = 0; i < n && e < d; i++) {
                double gap = 0;
                for (int64_t j = 0; j < d; j++) gap += th[r * nv + j] * (np_[i * d + j] - nn_[i * d + j]);
                if (fabs(gap) <= 2 * h * fabs(np_[i * d + e] - nn_[i * d + e])) kink = true;
            }
            if (kink) continue;
            checked++;
            double save = th[r * nv + e], Lp[3], Lm[3];
            th[r * nv + e] = save + h;
            CHECK_OK(gp__ccs_pass_eval(ps, 1, &act[r], th, Lp, NULL, GP_OK));
            th[r * nv + e] = save - h;
            CHECK_OK(gp__ccs_pass_eval(ps, 1, &act[r], th, Lm, NULL, GP_OK));
            th[r * nv + e] = save;
            double fd = (Lp[r] - Lm[r]) / (2 * h);
            if (fabs(fd - G[r * nv + e]) > 2e-4 * gmax + 1e-7)
                fail_msg("gradient row %d param %lld: analytic %.9g, finite difference %.9g", r,
                         (long long)e, G[r * nv + e], fd);
        }
    if (checked < 2 * nv) fail_msg("only %lld of %lld gradient entries away from a kink", (long long)checked, (long long)(3 * nv));
    free(np_);
    free(nn_);
    gp__ccs_pass_free(ps);
    free(G);
    free(th);
    free(want);
    gp_ccs_free(c);
    pairs_free(&P);
}

static void adam_case(const char *cs) {
    pairs P = load_pairs("planted");
    char name[64];
    int64_t n;
    snprintf(name, sizeof name, "%s_norm", cs);
    double *normv = ref(name, &n);
    snprintf(name, sizeof name, "%s_params", cs);
    double *prm = ref(name, &n);
    snprintf(name, sizeof name, "%s_init", cs);
    double *init = ref(name, &n);
    snprintf(name, sizeof name, "%s_trace", cs);
    double *trace = ref(name, &n);
    snprintf(name, sizeof name, "%s_final", cs);
    double *fin = ref(name, &n);
    snprintf(name, sizeof name, "%s_final_loss", cs);
    double *fin_loss = ref(name, &n);
    gp_ccs_opts o;
    gp_ccs_opts_init(&o);
    o.norm = (gp_ccs_norm)(int)normv[0];
    o.optimizer = GP_CCS_ADAM;
    o.tries = 2;
    o.epochs = (int32_t)prm[0];
    o.lr = prm[1];
    o.weight_decay = prm[2];
    o.init = init;
    gp_ccs *c = NULL;
    CHECK_OK(gp_ccs_fit(&P.pos, &P.neg, &o, &c));
    int64_t d = gp_ccs_n_features(c), nv = d + 1;
    for (int t = 0; t < 2; t++) {
        int32_t len = 0;
        const double *tr = gp_ccs_trace(c, t, &len);
        assert_non_null(tr);
        assert_int_equal(len, o.epochs);
        for (int e = 0; e < len; e++)
            if (fabs(tr[e] - trace[t * o.epochs + e]) > 1e-5)
                fail_msg("%s try %d epoch %d: loss %.9g, numpy %.9g", cs, t, e, tr[e],
                         trace[t * o.epochs + e]);
        expect_close("final loss", gp_ccs_try_losses(c)[t], fin_loss[t], 0, 1e-5);
    }
    int best = gp_ccs_best_try(c);
    assert_int_equal(best, fin_loss[0] <= fin_loss[1] ? 0 : 1);
    for (int64_t j = 0; j < d; j++) expect_close("w", gp_ccs_weight(c)[j], fin[best * nv + j], 0, 1e-4);
    expect_close("b", gp_ccs_bias(c), fin[best * nv + d], 0, 1e-4);
    expect_close("cos 0 1", gp_ccs_try_cosines(c)[1], cosine(fin, fin + nv, d), 0, 1e-4);
    gp_ccs_free(c);
    free(normv); free(prm); free(init); free(trace); free(fin); free(fin_loss);
    pairs_free(&P);
}

static void adam_reproduces_numpy_trajectory(void **state) {
    (void)state;
    adam_case("adam");
    adam_case("adam_fast");
}

/* Pairs whose CRC credence is exactly the given value: d = 1, w = 1. */
static void platt_matches_numpy(void **state) {
    (void)state;
    int64_t n2, n;
    double *cred = ref("platt_credence", &n2), *ac = ref("platt_ac", NULL);
    int32_t *y = ref_ids("platt_y", &n);
    assert_int_equal(n2, 2 * n);
    for (int r = 0; r < 2; r++) {
        double *pv = malloc((size_t)n * sizeof *pv), *nvv = calloc((size_t)n, sizeof *nvv);
        for (int64_t i = 0; i < n; i++) {
            double q = fmin(fmax(cred[r * n + i], 1e-12), 1 - 1e-12);
            pv[i] = log(q / (1 - q));
        }
        gp_matrix pos = {GP_DTYPE_F64, n, 1, 1, pv}, neg = {GP_DTYPE_F64, n, 1, 1, nvv};
        struct gp_ccs *c = gp__ccs_new(1);
        assert_non_null(c);
        c->method = GP_CCS_CRC;
        c->norm = GP_CCS_NORM_CENTER;
        c->w[0] = 1;
        c->scale[0][0] = c->scale[1][0] = 1;
        gp__ccs_norm_sync(c);
        CHECK_OK(gp__ccs_alloc_tries(c, 1, 0));
        CHECK_OK(gp_ccs_calibrate(c, &pos, &neg, y));
        double a, off;
        gp_ccs_platt(c, &a, &off);
        double wa = ac[r * 2], wc = ac[r * 2 + 1];
        assert_int_equal(gp_ccs_sign(c), wa < 0 ? -1 : 1);
        expect_close("platt a", a, fabs(wa), 1e-4, 1e-9);
        expect_close("platt c", off, wc, 1e-4, 1e-6);
        /* the calibrated probability is the oracle's sigmoid(a logit + c) */
        double *pr = malloc((size_t)n * sizeof *pr);
        CHECK_OK(gp_ccs_predict_proba(c, &pos, &neg, pr));
        for (int64_t i = 0; i < n; i++)
            expect_close("proba", pr[i], 1 / (1 + exp(-(wa * pv[i] + wc))), 1e-4, 1e-7);
        free(pr);
        gp_ccs_free(c);
        free(pv);
        free(nvv);
    }
    /* separable calibration pairs: a stays finite and the threshold stays
     * at the credence's own 0.5 (every pair right) */
    double pv[40], nv0[40];
    int32_t ys[40];
    for (int i = 0; i < 40; i++) {
        ys[i] = i % 2;
        pv[i] = (ys[i] ? 1 : -1) * (0.5 + 0.1 * (i % 7));
        nv0[i] = 0;
    }
    gp_matrix sp = {GP_DTYPE_F64, 40, 1, 1, pv}, sn = {GP_DTYPE_F64, 40, 1, 1, nv0};
    struct gp_ccs *c = gp__ccs_new(1);
    c->method = GP_CCS_CRC;
    c->w[0] = 1;
    c->scale[0][0] = c->scale[1][0] = 1;
    gp__ccs_norm_sync(c);
    CHECK_OK(gp__ccs_alloc_tries(c, 1, 0));
    CHECK_OK(gp_ccs_calibrate(c, &sp, &sn, ys));
    double a, off, pr[40];
    gp_ccs_platt(c, &a, &off);
    if (!(isfinite(a) && a > 0 && a < 1e4 && fabs(off) < 0.1 * a)) fail_msg("separable Platt: a %g, c %g", a, off);
    CHECK_OK(gp_ccs_predict_proba(c, &sp, &sn, pr));
    for (int i = 0; i < 40; i++) assert_int_equal(pr[i] > 0.5, ys[i]);
    gp_ccs_free(c);
    free(cred);
    free(ac);
    free(y);
}

static double accuracy_of(const gp_ccs *c, const pairs *P, const int32_t *y) {
    int64_t n = P->pos.rows, good = 0;
    double *pr = malloc((size_t)n * sizeof *pr);
    CHECK_OK(gp_ccs_predict_proba(c, &P->pos, &P->neg, pr));
    for (int64_t i = 0; i < n; i++) good += (pr[i] > 0.5) == (y[i] == 1);
    free(pr);
    return (double)good / (double)n;
}

static void methods_find_the_planted_direction(void **state) {
    (void)state;
    pairs P = load_pairs("planted");
    int64_t n, d;
    int32_t *y = ref_ids("planted_y", &n);
    double *u = ref("planted_u", &d);
    for (int m = 0; m < 3; m++) {
        gp_ccs *c = fit(&P, (gp_ccs_method)m, GP_CCS_NORM_BURNS);
        /* burns scales by one scalar: the raw-space direction is w itself */
        double cs = cosine(gp_ccs_weight(c), u, d);
        if (fabs(cs) < 0.9) fail_msg("method %s: |cos(w, planted)| = %.3f", gp_ccs_method_name(m), fabs(cs));
        CHECK_OK(gp_ccs_calibrate(c, &P.pos, &P.neg, y));
        double acc = accuracy_of(c, &P, y);
        if (acc < 0.9) fail_msg("method %s: calibrated accuracy %.3f", gp_ccs_method_name(m), acc);
        /* calibrated: the direction points at truth */
        assert_true(cosine(gp_ccs_weight(c), u, d) > 0.9);
        gp_ccs_free(c);
    }
    free(y);
    free(u);
    pairs_free(&P);
}

static void lbfgs_reaches_adam_loss_or_lower(void **state) {
    (void)state;
    pairs P = load_pairs("planted");
    gp_ccs_opts o;
    gp_ccs_opts_init(&o);
    o.seed = 7;
    gp_ccs *fast = NULL, *ref_adam = NULL;
    CHECK_OK(gp_ccs_fit(&P.pos, &P.neg, &o, &fast));
    o.optimizer = GP_CCS_ADAM;
    CHECK_OK(gp_ccs_fit(&P.pos, &P.neg, &o, &ref_adam));
    if (!(gp_ccs_loss(fast) <= gp_ccs_loss(ref_adam)))
        fail_msg("lbfgs loss %.6g > adam loss %.6g", gp_ccs_loss(fast), gp_ccs_loss(ref_adam));
    assert_true(gp_ccs_converged(fast));
    assert_true(gp_ccs_n_iter(fast) < 1000);
    /* every try's trace starts at its initial loss and falls overall */
    for (int t = 0; t < gp_ccs_tries(fast); t++) {
        int32_t len;
        const double *tr = gp_ccs_trace(fast, t, &len);
        assert_true(len >= 2);
        assert_true(tr[len - 1] < tr[0]);
        expect_close("trace end", tr[len - 1], gp_ccs_try_losses(fast)[t], 0, 1e-12);
    }
    /* cosines: symmetric, unit diagonal */
    int T = gp_ccs_tries(fast);
    const double *cs = gp_ccs_try_cosines(fast);
    for (int a = 0; a < T; a++)
        for (int b = 0; b < T; b++) {
            expect_close("cos sym", cs[a * T + b], cs[b * T + a], 0, 1e-15);
            if (a == b) expect_close("cos diag", cs[a * T + b], 1, 0, 1e-12);
        }
    gp_ccs_free(fast);
    gp_ccs_free(ref_adam);
    pairs_free(&P);
}

static void no_signal_gives_chance_on_held_out_pairs(void **state) {
    (void)state;
    pairs P = load_pairs("cli_nosignal");
    int64_t n;
    int32_t *y = ref_ids("cli_nosignal_y", &n);
    int64_t half = n / 2, d = P.pos.cols;
    gp_matrix trp = P.pos, trn = P.neg, tep = P.pos, ten = P.neg;
    trp.rows = trn.rows = half;
    tep.rows = ten.rows = n - half;
    tep.data = (float *)P.pos.data + half * P.pos.ld;
    ten.data = (float *)P.neg.data + half * P.neg.ld;
    (void)d;
    for (int m = 0; m < 3; m++) {
        gp_ccs_opts o;
        gp_ccs_opts_init(&o);
        o.method = (gp_ccs_method)m;
        gp_ccs *c = NULL;
        CHECK_OK(gp_ccs_fit(&trp, &trn, &o, &c));
        CHECK_OK(gp_ccs_calibrate(c, &trp, &trn, y));
        pairs T = {NULL, NULL, tep, ten};
        double acc = accuracy_of(c, &T, y + half);
        if (fabs(acc - 0.5) > 0.12) fail_msg("method %d: held-out accuracy %.3f on no signal", m, acc);
        gp_ccs_free(c);
    }
    free(y);
    pairs_free(&P);
}

static void save_load_round_trip(void **state) {
    (void)state;
    pairs P = load_pairs("planted");
    int64_t n;
    int32_t *y = ref_ids("planted_y", &n);
    for (int m = 0; m < 3; m++) {
        gp_ccs *c = fit(&P, (gp_ccs_method)m, GP_CCS_NORM_FEATURE), *l = NULL;
        CHECK_OK(gp_ccs_calibrate(c, &P.pos, &P.neg, y));
        char path[4096];
        snprintf(path, sizeof path, "%s", fixture("ccs/roundtrip.safetensors"));
        const char *k[] = {"labels"}, *v[] = {"planted_y.npy"};
        CHECK_OK(gp_ccs_save(c, path, 1, k, v));
        CHECK_OK(gp_ccs_load(path, &l));
        assert_int_equal(gp_ccs_get_method(l), m);
        assert_int_equal(gp_ccs_get_norm(l), GP_CCS_NORM_FEATURE);
        assert_int_equal(gp_ccs_sign(l), gp_ccs_sign(c));
        assert_string_equal(gp_ccs_metadata(l, "labels"), "planted_y.npy");
        double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
        CHECK_OK(gp_ccs_predict_proba(c, &P.pos, &P.neg, a));
        CHECK_OK(gp_ccs_predict_proba(l, &P.pos, &P.neg, b));
        for (int64_t i = 0; i < n; i++) expect_close("proba", b[i], a[i], 1e-4, 1e-5);
        free(a);
        free(b);
        /* a supervised probe loader refuses it with a clear message */
        gp_probe *p = NULL;
        assert_int_not_equal(gp_probe_load(path, &p), GP_OK);
        assert_null(p);
        gp_ccs_free(c);
        gp_ccs_free(l);
    }
    gp_ccs *l = NULL;
    CHECK_FAILS(gp_ccs_load(fixture("ccs/planted_pos.npy"), &l), GP_EINVAL, "not a contrast-pair probe");
    free(y);
    pairs_free(&P);
}

static void same_seed_same_bytes(void **state) {
    (void)state;
    pairs P = load_pairs("planted");
    gp_ccs_opts o;
    gp_ccs_opts_init(&o);
    o.seed = 3;
    o.tries = 4;
    gp_ccs *a = NULL, *b = NULL;
    CHECK_OK(gp_ccs_fit(&P.pos, &P.neg, &o, &a));
    CHECK_OK(gp_ccs_fit(&P.pos, &P.neg, &o, &b));
    int64_t d = gp_ccs_n_features(a);
    assert_memory_equal(gp_ccs_weight(a), gp_ccs_weight(b), (size_t)d * sizeof(double));
    assert_memory_equal(gp_ccs_try_losses(a), gp_ccs_try_losses(b), 4 * sizeof(double));
    gp_ccs_free(a);
    gp_ccs_free(b);
    pairs_free(&P);
}

static void bad_input_is_refused(void **state) {
    (void)state;
    pairs P = load_pairs("planted");
    gp_ccs *c = NULL;
    gp_matrix short_neg = P.neg;
    short_neg.rows--;
    CHECK_FAILS(gp_ccs_fit(&P.pos, &short_neg, NULL, &c), GP_ESHAPE, "NEG is");
    assert_null(c);
    gp_matrix one_p = P.pos, one_n = P.neg;
    one_p.rows = one_n.rows = 1;
    CHECK_FAILS(gp_ccs_fit(&one_p, &one_n, NULL, &c), GP_EINVAL, "at least 2");
    float *bad = malloc((size_t)(P.pos.rows * P.pos.ld) * sizeof *bad);
    memcpy(bad, P.pos.data, (size_t)(P.pos.rows * P.pos.ld) * sizeof *bad);
    bad[3 * P.pos.ld + 5] = NAN;
    gp_matrix nanp = P.pos;
    nanp.data = bad;
    CHECK_FAILS(gp_ccs_fit(&nanp, &P.neg, NULL, &c), GP_ENAN, "POS");
    /* a constant set has nothing to normalize by under burns */
    memset(bad, 0, (size_t)(P.pos.rows * P.pos.ld) * sizeof *bad);
    CHECK_FAILS(gp_ccs_fit(&nanp, &P.neg, NULL, &c), GP_EINVAL, "same");
    free(bad);
    gp_ccs_opts o;
    gp_ccs_opts_init(&o);
    o.tries = 0;
    CHECK_FAILS(gp_ccs_fit(&P.pos, &P.neg, &o, &c), GP_EINVAL, "tries");
    gp_ccs_method m;
    CHECK_FAILS(gp_ccs_method_parse("bogus", &m), GP_EINVAL, "ccs, crc, vinc");
    c = fit(&P, GP_CCS_CRC, GP_CCS_NORM_BURNS);
    int32_t *ones = malloc((size_t)P.pos.rows * sizeof *ones);
    for (int64_t i = 0; i < P.pos.rows; i++) ones[i] = 1;
    CHECK_FAILS(gp_ccs_calibrate(c, &P.pos, &P.neg, ones), GP_EINVAL, "all true");
    ones[0] = 2;
    CHECK_FAILS(gp_ccs_calibrate(c, &P.pos, &P.neg, ones), GP_EINVAL, "not 0 or 1");
    free(ones);
    float out[64];
    CHECK_FAILS(gp_ccs_transform(c, &P.pos, 2, out, 64), GP_EINVAL, "which");
    gp_matrix narrow = P.pos;
    narrow.cols--;
    double cr[200];
    CHECK_FAILS(gp_ccs_credence(c, &narrow, &narrow, NULL, NULL, cr), GP_ESHAPE, "features");
    gp_ccs_free(c);
    pairs_free(&P);
}

static void fits_fail_cleanly_at_every_allocation(void **state) {
    (void)state;
    pairs P = load_pairs("planted");
    for (int m = 0; m < 3; m++) {
        gp_ccs_opts o;
        gp_ccs_opts_init(&o);
        o.method = (gp_ccs_method)m;
        o.tries = 2;
        o.max_iter = 5;
        for (long fail_at = 0;; fail_at++) {
            oom_arm(fail_at);
            gp_ccs *c = NULL;
            gp_status st = gp_ccs_fit(&P.pos, &P.neg, &o, &c);
            if (st == GP_OK) {
                gp_ccs_free(c);
                if (oom_live() != 0) fail_msg("method %d: %ld blocks leaked", m, oom_live());
                if (fail_at > oom_calls()) break;
                continue;
            }
            assert_null(c);
            if (st != GP_ENOMEM && st != GP_ELAPACK)
                fail_msg("method %d: allocation %ld: status %d (%s)", m, fail_at, (int)st,
                         gp_last_error());
            if (oom_live() != 0) fail_msg("method %d: allocation %ld: %ld leaked", m, fail_at, oom_live());
        }
        oom_disarm();
    }
    pairs_free(&P);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalization_matches_numpy),
        cmocka_unit_test(closed_forms_match_numpy),
        cmocka_unit_test(loss_matches_numpy_and_gradient_finite_differences),
        cmocka_unit_test(adam_reproduces_numpy_trajectory),
        cmocka_unit_test(platt_matches_numpy),
        cmocka_unit_test(methods_find_the_planted_direction),
        cmocka_unit_test(lbfgs_reaches_adam_loss_or_lower),
        cmocka_unit_test(no_signal_gives_chance_on_held_out_pairs),
        cmocka_unit_test(save_load_round_trip),
        cmocka_unit_test(same_seed_same_bytes),
        cmocka_unit_test(bad_input_is_refused),
        cmocka_unit_test(fits_fail_cleanly_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
