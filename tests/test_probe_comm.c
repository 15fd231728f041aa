/* test_probe_comm.c — distributed probe fits (gp_probe_opts.comm) without
 * MPI: P threads play P processes (tests/comm_threads.h), each holding a
 * contiguous share of the rows and their labels. The oracle is the
 * one-process fit on all rows (tested elsewhere against scikit-learn):
 * closed forms (mass-mean, its IID variant, LDA, ridge) must match it to
 * float64 rounding, logistic (Newton, L-BFGS in float32 then float64,
 * multinomial, balanced weights, standardized) to its solver tolerance with
 * the same predictions. Every process must hold the same probe. A NaN on
 * one process, an allocation failure at each allocation of one process in
 * turn, and C chosen by cross-validation must end the fit on every process
 * (the failing one with its error, the others with GP_EPEER) without
 * anyone waiting forever (an alarm turns a hang into a failure). */
#include "gp_test.h"
#include "comm_threads.h"

#include <unistd.h>

#define N 613          /* not a multiple of any process count used */
#define D 10
#define MAXP 4

static float X[N * D];
static int32_t Y2[N], Y3[N];
static double T[N];


/* Overlapping classes (so logistic has a finite optimum), an outlier
 * dimension far from zero, a continuous target for ridge. */
static void make_data(void) {
    uint64_t s = 4242;
    for (int i = 0; i < N; i++) {
        int c3 = (int)(((uint64_t)i * 2654435761u) % 3);
        Y3[i] = c3;
        Y2[i] = c3 == 2 ? 1 : c3;
        double t = 0;
        for (int j = 0; j < D; j++) {
            double v = lcg_normal(&s) * (3.0 / (1 + j)) + 0.6 * (c3 - 1) * (j % 3 == 0);
            if (j == 4) v += 40;
            X[i * D + j] = (float)v;
            t += v * (j + 1) * 0.1;
        }
        T[i] = t + 0.3 * lcg_normal(&s);
    }
}

typedef struct job {
    gp_probe_opts o;
    int regression, k;
    const float *x;
    gp_status st[MAXP];
    char msg[MAXP][256];
    double w[MAXP][3 * D], b[MAXP][3];
    int32_t nout[MAXP], pred[MAXP][N];
} job;

typedef struct arg {
    member m;
    gp_comm comm;
    job *j;
} arg;

static member *arg_member(void *p) { return &((arg *)p)->m; }
static gp_comm *arg_comm(void *p) { return &((arg *)p)->comm; }

static int64_t share(int rank, int size) { return (int64_t)N * rank / size; }

static void *run_rank(void *p) {
    arg *a = p;
    job *j = a->j;
    int r = a->m.rank;
    int64_t r0 = share(r, a->comm.size), r1 = share(r + 1, a->comm.size);
    gp_matrix Xr = {GP_DTYPE_F32, r1 - r0, D, D, (void *)(j->x + r0 * D)};
    gp_probe_opts o = j->o;
    o.comm = &a->comm;
    gp_probe *pr = NULL;
    gp_status st = j->regression ? gp_probe_fit_regression(&Xr, T + r0, &o, &pr)
                                 : gp_probe_fit(&Xr, (j->k == 2 ? Y2 : Y3) + r0, j->k, &o, &pr);
    j->st[r] = st;
    snprintf(j->msg[r], sizeof j->msg[r], "%s", gp_last_error());
    if (st == GP_OK) {
        j->nout[r] = gp_probe_n_outputs(pr);
        memcpy(j->w[r], gp_probe_weight(pr), (size_t)j->nout[r] * D * sizeof(double));
        memcpy(j->b[r], gp_probe_bias(pr), (size_t)j->nout[r] * sizeof(double));
        gp_matrix Xa = {GP_DTYPE_F32, N, D, D, (void *)X};
        if (!j->regression) gp_probe_predict(pr, &Xa, j->pred[r]);
    }
    gp_probe_free(pr);
    return NULL;
}

static void run_job(job *j, int size, int fail_rank, long fail_at_alloc) {
    static arg args[MAXP];
    for (int r = 0; r < size; r++) args[r].j = j;
    alarm(120);  /* a process left waiting in a collective fails the test */
    comm_threads_run(size, fail_rank, fail_at_alloc, run_rank, args, sizeof args[0], arg_member,
                     arg_comm);
    alarm(0);
}

/* Fit with 1 (no comm), 2 and 3 processes; compare. tol: relative to the
 * largest weight. Returns the worst relative difference seen. */
static double matches(const gp_probe_opts *o, int regression, int k, double tol) {
    gp_matrix Xa = {GP_DTYPE_F32, N, D, D, (void *)X};
    gp_probe *ref = NULL;
    if (regression) CHECK_OK(gp_probe_fit_regression(&Xa, T, o, &ref));
    else CHECK_OK(gp_probe_fit(&Xa, k == 2 ? Y2 : Y3, k, o, &ref));
    int32_t m = gp_probe_n_outputs(ref);
    const double *rw = gp_probe_weight(ref), *rb = gp_probe_bias(ref);
    static int32_t rpred[N];
    if (!regression) CHECK_OK(gp_probe_predict(ref, &Xa, rpred));
    double scale = 0, worst = 0;
    for (int i = 0; i < m * D; i++) scale = fmax(scale, fabs(rw[i]));
    for (int i = 0; i < m; i++) scale = fmax(scale, fabs(rb[i]));
    for (int p = 2; p <= 3; p++) {
        static job j;
        memset(&j, 0, sizeof j);
        j.o = *o;
        j.regression = regression;
        j.k = k;
        j.x = X;
        run_job(&j, p, -1, 0);
        for (int r = 0; r < p; r++) {
            if (j.st[r] != GP_OK)
                fail_msg("%s, %d processes, rank %d: %s", gp_probe_method_name(o->method), p, r,
                         j.msg[r]);
            assert_int_equal(j.nout[r], m);
            for (int i = 0; i < m * D; i++) worst = fmax(worst, fabs(j.w[r][i] - rw[i]) / scale);
            for (int i = 0; i < m; i++) worst = fmax(worst, fabs(j.b[r][i] - rb[i]) / scale);
            if (!regression)
                for (int i = 0; i < N; i++)
                    if (j.pred[r][i] != rpred[i])
                        fail_msg("%s, %d processes: row %d predicted %d, one process %d",
                                 gp_probe_method_name(o->method), p, i, j.pred[r][i], rpred[i]);
            /* every process holds the same probe */
            assert_memory_equal(j.w[r], j.w[0], (size_t)m * D * sizeof(double));
            assert_memory_equal(j.b[r], j.b[0], (size_t)m * sizeof(double));
        }
    }
    if (worst > tol)
        fail_msg("%s: weights differ from one process by %.3g relative (tolerance %.1g)",
                 gp_probe_method_name(o->method), worst, tol);
    print_message("    %-13s k=%d: max relative difference %.2e\n",
                  gp_probe_method_name(o->method), regression ? 0 : k, worst);
    gp_probe_free(ref);
    return worst;
}

static void test_logistic(void **state) {
    (void)state;
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.C = 0.5;
    o.solver = GP_LOGISTIC_NEWTON;
    matches(&o, 0, 2, 1e-5);
    o.solver = GP_LOGISTIC_LBFGS;   /* float32 phase, then float64 */
    o.class_weight_balanced = 1;
    matches(&o, 0, 2, 1e-5);
    o.class_weight_balanced = 0;
    matches(&o, 0, 3, 1e-5);        /* multinomial */
    o.solver = GP_LOGISTIC_AUTO;
    o.standardize = 1;
    o.class_weight_balanced = 1;
    matches(&o, 0, 2, 1e-5);
    o.fit_intercept = 0;
    o.standardize = 0;
    matches(&o, 0, 2, 1e-5);
}

static void test_closed_forms(void **state) {
    (void)state;
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.method = GP_PROBE_MASSMEAN;
    matches(&o, 0, 2, 1e-9);
    o.method = GP_PROBE_MASSMEAN_IID;   /* Ledoit-Wolf */
    matches(&o, 0, 2, 1e-7);
    o.shrinkage = 0.1;
    matches(&o, 0, 2, 1e-7);
    o.method = GP_PROBE_LDA;
    o.shrinkage = 0;
    matches(&o, 0, 2, 1e-7);
    matches(&o, 0, 3, 1e-7);
    o.shrinkage = -1;                   /* per-class Ledoit-Wolf */
    matches(&o, 0, 3, 1e-7);
    o.standardize = 1;
    matches(&o, 0, 2, 1e-7);
    o.standardize = 0;
    o.method = GP_PROBE_RIDGE;
    o.alpha = 2.0;
    matches(&o, 1, 0, 1e-7);
    o.fit_intercept = 0;
    matches(&o, 1, 0, 1e-7);
}

/* Choosing C by cross-validation needs global fold assignment: refused. */
static void test_cv_refused(void **state) {
    (void)state;
    static job j;
    memset(&j, 0, sizeof j);
    gp_probe_opts_init(&j.o);
    j.o.C = 0;
    j.k = 2;
    j.x = X;
    run_job(&j, 2, -1, 0);
    for (int r = 0; r < 2; r++) {
        assert_int_equal(j.st[r], GP_EINVAL);
        assert_non_null(strstr(j.msg[r], "cross-validation"));
    }
}

static void test_nan_on_one_rank(void **state) {
    (void)state;
    static float Xn[N * D];
    memcpy(Xn, X, sizeof Xn);
    Xn[(N - 3) * D + 7] = NAN;
    gp_probe_method ms[] = {GP_PROBE_LOGISTIC, GP_PROBE_LDA, GP_PROBE_RIDGE};
    for (int i = 0; i < 3; i++) {
        static job j;
        memset(&j, 0, sizeof j);
        gp_probe_opts_init(&j.o);
        j.o.method = ms[i];
        j.regression = ms[i] == GP_PROBE_RIDGE;
        j.k = 2;
        j.x = Xn;
        run_job(&j, 3, -1, 0);
        assert_int_equal(j.st[2], GP_ENAN);
        assert_non_null(strstr(j.msg[2], "NaN"));
        for (int r = 0; r < 2; r++) {
            assert_int_equal(j.st[r], GP_EPEER);
            assert_non_null(strstr(j.msg[r], "another process failed"));
        }
    }
}

/* Fail the a-th allocation of one process for a = 1, 2, ... until the fit
 * no longer allocates that often: at every stage, the failing process
 * reports out of memory and the others GP_EPEER. */
static void oom_every_stage(const gp_probe_opts *o, int regression, int k, int size, int rank) {
    for (long a = 1; a < 400; a++) {
        static job j;
        memset(&j, 0, sizeof j);
        j.o = *o;
        j.regression = regression;
        j.k = k;
        j.x = X;
        run_job(&j, size, rank, a);
        if (j.st[rank] == GP_OK) {
            for (int r = 0; r < size; r++) assert_int_equal(j.st[r], GP_OK);
            return;   /* past the last allocation */
        }
        for (int r = 0; r < size; r++) {
            gp_status want = r == rank ? GP_ENOMEM : GP_EPEER;
            if (j.st[r] != want)
                fail_msg("%s, allocation %ld of rank %d failed: rank %d returned %d (%s)",
                         gp_probe_method_name(o->method), a, rank, r, (int)j.st[r], j.msg[r]);
        }
    }
    fail_msg("%s: more than 400 allocations?", gp_probe_method_name(o->method));
}

static void test_oom_every_stage(void **state) {
    (void)state;
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.solver = GP_LOGISTIC_NEWTON;
    oom_every_stage(&o, 0, 2, 3, 1);
    o.solver = GP_LOGISTIC_LBFGS;
    o.standardize = 1;
    oom_every_stage(&o, 0, 3, 2, 0);
    o.standardize = 0;
    o.method = GP_PROBE_MASSMEAN_IID;
    oom_every_stage(&o, 0, 2, 2, 1);
    o.method = GP_PROBE_LDA;
    oom_every_stage(&o, 0, 3, 3, 2);
    o.shrinkage = 0;
    oom_every_stage(&o, 0, 2, 2, 0);
    o.method = GP_PROBE_RIDGE;
    oom_every_stage(&o, 1, 0, 2, 1);
}

int main(void) {
    make_data();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic),
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_cv_refused),
        cmocka_unit_test(test_nan_on_one_rank),
        cmocka_unit_test(test_oom_every_stage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
