/* test_ccs_comm.c — distributed contrast-pair fits (gp_ccs_opts.comm,
 * gp_ccs_calibrate_comm) without MPI: P threads play P processes, each
 * holding a contiguous share of the pairs, with an allreduce built on a
 * barrier (tests/comm_threads.h). The oracle is the
 * one-process fit on all pairs (itself tested against numpy in
 * test_ccs.c): CCS (L-BFGS and AdamW), CRC-TPC and VINC under each
 * normalization must give the same direction (|cos| > 0.99999), losses
 * (1e-6) and credences (1e-5) on 2 and 3 processes, one of them possibly
 * holding no pairs; Platt calibration over the processes must match too. A
 * NaN in one share, or an allocation failure at any point of one process,
 * must end the fit on every process (the failing one with its error, the
 * others with GP_EPEER) instead of leaving them waiting. Threads only
 * record; the main thread asserts (cmocka is not thread-safe). */
#include "gp_test.h"
#include "comm_threads.h"

#include <math.h>

#define N 601          /* not a multiple of any process count used */
#define D 16
#define MAXP 4   /* <= CT_MAXP */
#define TRIES 4

static float POS[N * D], NEG[N * D];
static int32_t Y[N];


/* Contrast pairs with a planted truth direction (feature 2 and 3), an
 * answer-token offset per set, a shared statement component and an
 * outlier feature far from zero, like real activations. */
static void make_data(void) {
    uint64_t s = 4242;
    for (int i = 0; i < N; i++) {
        Y[i] = lcg_normal(&s) > 0;
        double sign = Y[i] ? 1 : -1;
        for (int j = 0; j < D; j++) {
            double common = lcg_normal(&s) * (3.0 / (1 + j));
            double truth = (j == 2 ? 1.2 : j == 3 ? 0.8 : 0) * sign;
            POS[i * D + j] = (float)(common + truth + 0.5 + 0.6 * lcg_normal(&s) + (j == 7 ? 40 : 0));
            NEG[i * D + j] = (float)(common - truth - 0.5 + 0.6 * lcg_normal(&s) + (j == 7 ? 40 : 0));
        }
    }
}

/* ---- the job each "process" runs ---- */

typedef struct job {
    gp_ccs_opts o;
    int calibrate;          /* then gp_ccs_calibrate_comm on the same share */
    const float *pos;       /* POS, or a copy with a NaN */
    int64_t cut[MAXP + 1];  /* shares: rows [cut[r], cut[r + 1]) */
    int fail_rank;          /* -1, or the rank whose fail_at-th allocation fails */
    int fail_at;
    int cancel_rank;        /* -1, or the one rank whose fit is cancelled */
    /* per rank results */
    gp_status st[MAXP];
    char msg[MAXP][256];
    double w[MAXP][D], b[MAXP], loss[MAXP], try_loss[MAXP][TRIES];
    double mean[MAXP][2][D], scale[MAXP][2][D];
    double platt[MAXP][2];
    int32_t sign[MAXP], n_iter[MAXP];
} job;

typedef struct arg {
    job *j;
    member m;
    gp_comm comm;
} arg;

static void *run_rank(void *p) {
    arg *a = p;
    job *j = a->j;
    int r = a->m.rank;
    int64_t r0 = j->cut[r], r1 = j->cut[r + 1];
    gp_matrix Pr = {GP_DTYPE_F32, r1 - r0, D, D, (void *)(j->pos + r0 * D)};
    gp_matrix Nr = {GP_DTYPE_F32, r1 - r0, D, D, (void *)(NEG + r0 * D)};
    static const volatile int32_t cancelled = 1;
    gp_ccs_opts o = j->o;
    o.comm = &a->comm;
    if (r == j->cancel_rank) o.cancel = &cancelled;
    gp_ccs *c = NULL;
    gp_status st = gp_ccs_fit(&Pr, &Nr, &o, &c);
    if (st == GP_OK && j->calibrate) st = gp_ccs_calibrate_comm(c, &Pr, &Nr, Y + r0, &a->comm);
    if (st == GP_OK) {
        memcpy(j->w[r], gp_ccs_weight(c), sizeof j->w[r]);
        for (int k = 0; k < 2; k++) {
            memcpy(j->mean[r][k], gp_ccs_mean(c, k), sizeof j->mean[r][k]);
            memcpy(j->scale[r][k], gp_ccs_scale(c, k), sizeof j->scale[r][k]);
        }
        memcpy(j->try_loss[r], gp_ccs_try_losses(c), (size_t)gp_ccs_tries(c) * sizeof(double));
        j->b[r] = gp_ccs_bias(c);
        j->loss[r] = gp_ccs_loss(c);
        j->sign[r] = gp_ccs_sign(c);
        j->n_iter[r] = gp_ccs_n_iter(c);
        gp_ccs_platt(c, &j->platt[r][0], &j->platt[r][1]);
    }
    gp_ccs_free(c);
    j->st[r] = st;
    snprintf(j->msg[r], sizeof j->msg[r], "%s", gp_last_error());
    return NULL;
}

static void even_cuts(job *j, int size) {
    for (int r = 0; r <= size; r++) j->cut[r] = (int64_t)N * r / size;
}

static member *member_of(void *a) { return &((arg *)a)->m; }
static gp_comm *comm_of(void *a) { return &((arg *)a)->comm; }

static void run_job(job *j, int size) {
    arg args[MAXP];
    for (int r = 0; r < size; r++) args[r] = (arg){.j = j};
    comm_threads_run(size, j->fail_rank, j->fail_at, run_rank, args, sizeof args[0], member_of, comm_of);
}

/* ---- tests ---- */

static gp_ccs_opts opts_for(gp_ccs_method m, gp_ccs_norm norm, gp_ccs_optimizer opt) {
    gp_ccs_opts o;
    gp_ccs_opts_init(&o);
    o.method = m;
    o.norm = norm;
    o.optimizer = opt;
    o.tries = TRIES;
    o.epochs = 150;
    o.lr = 1e-2;
    o.seed = 7;
    return o;
}

static double cosine(const double *a, const double *b) {
    double ab = 0, aa = 0, bb = 0;
    for (int j = 0; j < D; j++) {
        ab += a[j] * b[j];
        aa += a[j] * a[j];
        bb += b[j] * b[j];
    }
    return ab / sqrt(aa * bb);
}

static double worst_cos = 1, worst_loss = 0, worst_cred = 0;

static void close_to(const char *what, double got, double want, double rtol, double atol) {
    if (!(fabs(got - want) <= atol + rtol * fabs(want)))
        fail_msg("%s: %.12g vs %.12g", what, got, want);
}

static double sigm(double z) { return 1 / (1 + exp(-z)); }

/* P(x+ true) of pair i from one process's recorded probe, written out as
 * the header defines it (gp_ccs_predict_proba's contract). */
static double proba_of(const job *j, int r, int i) {
    double z[2];
    const float *x[2] = {POS + i * D, NEG + i * D};
    for (int k = 0; k < 2; k++) {
        z[k] = j->b[r];
        for (int f = 0; f < D; f++)
            z[k] += j->w[r][f] * ((double)x[k][f] - j->mean[r][k][f]) / j->scale[r][k][f];
    }
    double pp = sigm(z[0]), pn = sigm(z[1]), l;
    if (j->o.method == GP_CCS_CCS) {
        double q = fmin(fmax(0.5 * (pp + 1 - pn), 1e-12), 1 - 1e-12);
        if (!j->calibrate) return 0.5 * (pp + 1 - pn);
        l = log(q / (1 - q));
    } else {
        l = z[0] - z[1];
        if (!j->calibrate) return sigm(l);
    }
    return sigm(j->platt[r][0] * l + j->platt[r][1]);
}

/* The distributed fit (size processes, shares cut) against one process. */
static void fit_matches(gp_ccs_opts o, int calibrate, int size, const int64_t *cut) {
    gp_matrix P = {GP_DTYPE_F32, N, D, D, POS}, Nm = {GP_DTYPE_F32, N, D, D, NEG};
    gp_ccs *ref = NULL;
    CHECK_OK(gp_ccs_fit(&P, &Nm, &o, &ref));
    if (calibrate) CHECK_OK(gp_ccs_calibrate(ref, &P, &Nm, Y));
    static job j;
    memset(&j, 0, sizeof j);
    j.o = o;
    j.calibrate = calibrate;
    j.pos = POS;
    j.fail_rank = -1;
    j.cancel_rank = -1;
    if (cut) memcpy(j.cut, cut, (size_t)(size + 1) * sizeof *cut);
    else even_cuts(&j, size);
    run_job(&j, size);
    const char *what = gp_ccs_method_name(o.method);
    static double cref[N];
    CHECK_OK(gp_ccs_predict_proba(ref, &P, &Nm, cref));
    for (int r = 0; r < size; r++) {
        if (j.st[r] != GP_OK)
            for (int q = 0; q < size; q++)
                if (j.st[q] != GP_OK && j.st[q] != GP_EPEER)
                    fail_msg("%s, %d processes, rank %d: %s", what, size, q, j.msg[q]);
        double cs = cosine(j.w[r], gp_ccs_weight(ref));
        /* same direction, and the same sign (the seeded starts, the sign
         * fix, the calibration are all the same) */
        worst_cos = fmin(worst_cos, cs);
        if (cs < 0.99999)
            fail_msg("%s/%s, %d processes, rank %d: direction cosine %.9f", what,
                     gp_ccs_norm_name(o.norm), size, r, cs);
        double dl = fabs(j.loss[r] - gp_ccs_loss(ref));
        worst_loss = fmax(worst_loss, dl);
        if (dl > 1e-6)
            fail_msg("%s, %d processes: loss %.10g vs %.10g", what, size, j.loss[r], gp_ccs_loss(ref));
        for (int t = 0; t < gp_ccs_tries(ref); t++)
            if (fabs(j.try_loss[r][t] - gp_ccs_try_losses(ref)[t]) > 1e-6)
                fail_msg("%s, %d processes: try %d loss %.10g vs %.10g", what, size, t,
                         j.try_loss[r][t], gp_ccs_try_losses(ref)[t]);
        for (int k = 0; k < 2; k++)
            for (int f = 0; f < D; f++) {
                close_to("mean", j.mean[r][k][f], gp_ccs_mean(ref, k)[f], 1e-9, 1e-9);
                close_to("scale", j.scale[r][k][f], gp_ccs_scale(ref, k)[f], 1e-9, 1e-12);
            }
        assert_int_equal(j.sign[r], gp_ccs_sign(ref));
        if (calibrate) {
            double pa, pc;
            gp_ccs_platt(ref, &pa, &pc);
            close_to("platt a", j.platt[r][0], pa, 1e-3, 1e-9);
            close_to("platt c", j.platt[r][1], pc, 1e-3, 1e-6);
        }
        for (int i = 0; i < N; i++) {
            double cr = proba_of(&j, r, i);
            worst_cred = fmax(worst_cred, fabs(cr - cref[i]));
            if (fabs(cr - cref[i]) > 1e-5)
                fail_msg("%s, %d processes, rank %d: credence of pair %d %.9f vs %.9f", what, size,
                         r, i, cr, cref[i]);
        }
        /* every process holds the same bytes */
        assert_memory_equal(j.w[r], j.w[0], sizeof j.w[0]);
        assert_true(j.b[r] == j.b[0] && j.loss[r] == j.loss[0]);
    }
    printf("  %s/%s%s, %d processes: worst cosine %.12f, loss difference %.2g, credence "
           "difference %.2g\n", what, gp_ccs_norm_name(o.norm),
           o.method == GP_CCS_CCS ? (o.optimizer == GP_CCS_ADAM ? "/adam" : "/lbfgs") : "", size,
           worst_cos, worst_loss, worst_cred);
    worst_cos = 1, worst_loss = worst_cred = 0;
    gp_ccs_free(ref);
}

static void test_ccs_lbfgs(void **state) {
    (void)state;
    for (int p = 1; p <= 3; p++) fit_matches(opts_for(GP_CCS_CCS, GP_CCS_NORM_BURNS, GP_CCS_LBFGS), 1, p, NULL);
}

static void test_ccs_adam(void **state) {
    (void)state;
    for (int p = 2; p <= 3; p++) {
        fit_matches(opts_for(GP_CCS_CCS, GP_CCS_NORM_BURNS, GP_CCS_ADAM), 1, p, NULL);
        fit_matches(opts_for(GP_CCS_CCS, GP_CCS_NORM_FEATURE, GP_CCS_ADAM), 0, p, NULL);
    }
}

static void test_crc(void **state) {
    (void)state;
    for (int p = 2; p <= 3; p++)
        for (int nm = GP_CCS_NORM_BURNS; nm <= GP_CCS_NORM_FEATURE; nm++)
            fit_matches(opts_for(GP_CCS_CRC, (gp_ccs_norm)nm, GP_CCS_LBFGS), 1, p, NULL);
}

static void test_vinc(void **state) {
    (void)state;
    for (int p = 2; p <= 3; p++)
        for (int nm = GP_CCS_NORM_BURNS; nm <= GP_CCS_NORM_FEATURE; nm++)
            fit_matches(opts_for(GP_CCS_VINC, (gp_ccs_norm)nm, GP_CCS_LBFGS), 1, p, NULL);
}

/* A process without pairs takes part in every reduction and ends with the
 * same probe. */
static void test_empty_share(void **state) {
    (void)state;
    int64_t cut[4] = {0, 250, 250, N};
    fit_matches(opts_for(GP_CCS_CCS, GP_CCS_NORM_BURNS, GP_CCS_LBFGS), 1, 3, cut);
    fit_matches(opts_for(GP_CCS_CRC, GP_CCS_NORM_FEATURE, GP_CCS_LBFGS), 1, 3, cut);
    fit_matches(opts_for(GP_CCS_VINC, GP_CCS_NORM_CENTER, GP_CCS_LBFGS), 1, 3, cut);
    int64_t first[4] = {0, 0, 300, N};
    fit_matches(opts_for(GP_CCS_CCS, GP_CCS_NORM_FEATURE, GP_CCS_ADAM), 1, 3, first);
}

/* A NaN in the last process's share: that process names it, the others
 * are told another process failed; nobody hangs. */
static void test_nan_on_one_rank(void **state) {
    (void)state;
    static float bad[N * D];
    memcpy(bad, POS, sizeof bad);
    bad[(N - 3) * D + 5] = NAN;
    gp_ccs_method ms[3] = {GP_CCS_CCS, GP_CCS_CRC, GP_CCS_VINC};
    for (int m = 0; m < 3; m++) {
        static job j;
        memset(&j, 0, sizeof j);
        j.o = opts_for(ms[m], GP_CCS_NORM_BURNS, GP_CCS_LBFGS);
        j.pos = bad;
        j.fail_rank = -1;
        j.cancel_rank = -1;
        even_cuts(&j, 3);
        run_job(&j, 3);
        assert_int_equal(j.st[2], GP_ENAN);
        assert_non_null(strstr(j.msg[2], "POS"));
        for (int r = 0; r < 2; r++) {
            assert_int_equal(j.st[r], GP_EPEER);
            assert_non_null(strstr(j.msg[r], "another process failed"));
        }
    }
}

/* Out of memory on one process at its k-th allocation, for every k until
 * the fit needs no more: the failing process reports GP_ENOMEM, every
 * other one GP_EPEER, and none is left waiting in a reduction. */
static void oom_everywhere(gp_ccs_opts o, int calibrate, int fail_rank) {
    int k;
    for (k = 1; k < 200; k++) {
        static job j;
        memset(&j, 0, sizeof j);
        j.o = o;
        j.o.epochs = 3;
        j.calibrate = calibrate;
        j.pos = POS;
        j.fail_rank = fail_rank;
        j.fail_at = k;
        j.cancel_rank = -1;
        even_cuts(&j, 3);
        run_job(&j, 3);
        if (j.st[fail_rank] == GP_OK) {
            for (int r = 0; r < 3; r++) assert_int_equal(j.st[r], GP_OK);
            break;
        }
        if (j.st[fail_rank] != GP_ENOMEM)
            fail_msg("%s, allocation %d: %s", gp_ccs_method_name(o.method), k, j.msg[fail_rank]);
        for (int r = 0; r < 3; r++)
            if (r != fail_rank && j.st[r] != GP_EPEER)
                fail_msg("%s, allocation %d failed on rank %d: rank %d says %s",
                         gp_ccs_method_name(o.method), k, fail_rank, r, j.msg[r]);
    }
    assert_true(k > 3 && k < 200);
}

static void test_oom_on_one_rank(void **state) {
    (void)state;
    oom_everywhere(opts_for(GP_CCS_CCS, GP_CCS_NORM_FEATURE, GP_CCS_LBFGS), 1, 1);
    oom_everywhere(opts_for(GP_CCS_CCS, GP_CCS_NORM_BURNS, GP_CCS_ADAM), 0, 0);
    oom_everywhere(opts_for(GP_CCS_CRC, GP_CCS_NORM_BURNS, GP_CCS_LBFGS), 1, 2);
    oom_everywhere(opts_for(GP_CCS_VINC, GP_CCS_NORM_FEATURE, GP_CCS_LBFGS), 1, 1);
}

/* Cancelling one process ends them all at the next evaluation. */
static void test_cancel_on_one_rank(void **state) {
    (void)state;
    for (int opt = GP_CCS_LBFGS; opt <= GP_CCS_ADAM; opt++) {
        static job j;
        memset(&j, 0, sizeof j);
        j.o = opts_for(GP_CCS_CCS, GP_CCS_NORM_BURNS, (gp_ccs_optimizer)opt);
        j.pos = POS;
        j.fail_rank = -1;
        j.cancel_rank = 1;
        even_cuts(&j, 2);
        run_job(&j, 2);
        assert_int_equal(j.st[1], GP_ECANCELLED);
        assert_int_equal(j.st[0], GP_EPEER);
    }
}

static void test_bad_input_one_rank(void **state) {
    (void)state;
    /* a share of 1 pair in all: too few over every process */
    static job j;
    memset(&j, 0, sizeof j);
    j.o = opts_for(GP_CCS_CRC, GP_CCS_NORM_BURNS, GP_CCS_LBFGS);
    j.pos = POS;
    j.fail_rank = -1;
    j.cancel_rank = -1;
    int64_t cut[3] = {0, 1, 1};
    memcpy(j.cut, cut, sizeof cut);
    run_job(&j, 2);
    for (int r = 0; r < 2; r++) {
        assert_int_equal(j.st[r], GP_EINVAL);
        assert_non_null(strstr(j.msg[r], "at least 2 contrast pairs"));
    }
    /* calibration pairs all of one label over every process */
    gp_comm one = {.rank = 0, .size = 1};
    gp_matrix P = {GP_DTYPE_F32, 4, D, D, POS}, Nm = {GP_DTYPE_F32, 4, D, D, NEG};
    gp_ccs *c = NULL;
    gp_ccs_opts o = opts_for(GP_CCS_CRC, GP_CCS_NORM_BURNS, GP_CCS_LBFGS);
    CHECK_OK(gp_ccs_fit(&P, &Nm, &o, &c));
    int32_t same[4] = {1, 1, 1, 1};
    CHECK_FAILS(gp_ccs_calibrate_comm(c, &P, &Nm, same, &one), GP_EINVAL, "all true");
    gp_comm broken = {.rank = 3, .size = 2, .allreduce = thread_allreduce};
    CHECK_FAILS(gp_ccs_calibrate_comm(c, &P, &Nm, Y, &broken), GP_EINVAL, "bad communicator");
    o.comm = &broken;
    gp_ccs *c2 = NULL;
    CHECK_FAILS(gp_ccs_fit(&P, &Nm, &o, &c2), GP_EINVAL, "bad communicator");
    assert_null(c2);
    gp_ccs_free(c);
}

int main(void) {
    make_data();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ccs_lbfgs),
        cmocka_unit_test(test_ccs_adam),
        cmocka_unit_test(test_crc),
        cmocka_unit_test(test_vinc),
        cmocka_unit_test(test_empty_share),
        cmocka_unit_test(test_nan_on_one_rank),
        cmocka_unit_test(test_oom_on_one_rank),
        cmocka_unit_test(test_cancel_on_one_rank),
        cmocka_unit_test(test_bad_input_one_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
