/* test_threads.c — the thread rule of geoprobe.h: independent calls on
 * distinct handles may run on several threads at once. PCA, logistic, LDA
 * and CCS fits run concurrently on 8 pthreads (each thread all four, in a
 * different order, started together at a barrier) and must give the same
 * bytes as the same fits run one after another: DESIGN.md promises
 * deterministic output whatever the thread count. Then the per-thread
 * error messages: each thread fails with its own message, waits until all
 * others have failed too, and must still read its own message. Threads
 * only record; the main thread asserts (cmocka is not thread-safe). */
#include "gp_test.h"

#include <math.h>
#include <pthread.h>

#define N_THREADS 8
#define N 800
#define D 48
#define K_PCA 4

/* ---- data: a fixed LCG, so every run sees the same matrices ---- */

static float X[N * D];        /* classes shifted along two directions */
static int32_t y2[N], y3[N];  /* binary and 3-class labels */
static float POS[N * D], NEG[N * D];


static void make_data(void) {
    uint64_t s = 12345;
    for (int i = 0; i < N; i++) {
        y3[i] = i % 3;
        y2[i] = y3[i] == 0 ? 0 : 1;
        for (int j = 0; j < D; j++) {
            double v = lcg_normal(&s) * (1.0 + 0.2 * j);
            if (j == 0) v += 1.5 * y3[i];
            if (j == 3) v -= 1.0 * (y3[i] == 2);
            X[i * D + j] = (float)v;
            double truth = (i % 2) ? 1.0 : -1.0;
            double common = lcg_normal(&s);
            POS[i * D + j] = (float)(common + (j == 1 ? 0.8 * truth : 0) + 0.3 * lcg_normal(&s));
            NEG[i * D + j] = (float)(common - (j == 1 ? 0.8 * truth : 0) + 0.3 * lcg_normal(&s));
        }
    }
}

static gp_matrix mat(float *data) {
    gp_matrix m = {GP_DTYPE_F32, N, D, D, data};
    return m;
}

/* ---- one result of each fit, flattened to doubles ---- */

enum { FIT_PCA, FIT_LOGISTIC, FIT_LDA, FIT_CCS, N_FITS };
static const char *const FIT_NAMES[N_FITS] = {"pca", "logistic", "lda", "ccs"};
#define MAX_OUT 512

typedef struct fit_result {
    gp_status status;
    char message[256];
    int n;
    double v[MAX_OUT];
} fit_result;

static void put(fit_result *r, const double *v, int n) {
    for (int i = 0; i < n && r->n < MAX_OUT; i++) r->v[r->n++] = v[i];
}

static void run_fit(int which, fit_result *r) {
    memset(r, 0, sizeof *r);
    gp_matrix Xm = mat(X);
    gp_status s = GP_EINTERNAL;
    if (which == FIT_PCA) {
        gp_pca_opts o;
        gp_pca_opts_init(&o);
        o.n_components = K_PCA;
        o.solver = GP_PCA_RANDOMIZED;   /* seeded: covers the RNG as well as BLAS */
        o.seed = 7;
        gp_pca *p = NULL;
        s = gp_pca_fit(&Xm, &o, &p);
        if (s == GP_OK) {
            put(r, gp_pca_components(p), K_PCA * D);
            put(r, gp_pca_explained_variance(p), K_PCA);
            put(r, gp_pca_mean(p), D);
        }
        gp_pca_free(p);
    } else if (which == FIT_LOGISTIC || which == FIT_LDA) {
        gp_probe_opts o;
        gp_probe_opts_init(&o);
        o.method = which == FIT_LOGISTIC ? GP_PROBE_LOGISTIC : GP_PROBE_LDA;
        gp_probe *p = NULL;
        s = which == FIT_LOGISTIC ? gp_probe_fit(&Xm, y2, 2, &o, &p)
                                  : gp_probe_fit(&Xm, y3, 3, &o, &p);
        if (s == GP_OK) {
            int outs = gp_probe_n_outputs(p);
            put(r, gp_probe_weight(p), outs * D);
            put(r, gp_probe_bias(p), outs);
        }
        gp_probe_free(p);
    } else {
        gp_ccs_opts o;
        gp_ccs_opts_init(&o);
        o.tries = 4;
        o.seed = 3;
        gp_matrix P = mat(POS), Q = mat(NEG);
        gp_ccs *c = NULL;
        s = gp_ccs_fit(&P, &Q, &o, &c);
        if (s == GP_OK) {
            put(r, gp_ccs_weight(c), D);
            double b = gp_ccs_bias(c), l = gp_ccs_loss(c);
            put(r, &b, 1);
            put(r, &l, 1);
            put(r, gp_ccs_try_losses(c), gp_ccs_tries(c));
        }
        gp_ccs_free(c);
    }
    r->status = s;
    snprintf(r->message, sizeof r->message, "%s", s == GP_OK ? "" : gp_last_error());
}

/* ---- concurrent fits ---- */

static pthread_barrier_t barrier;
static fit_result seq[N_FITS];
static fit_result par[N_THREADS][N_FITS];

static void *fit_thread(void *arg) {
    int t = (int)(intptr_t)arg;
    pthread_barrier_wait(&barrier);
    for (int k = 0; k < N_FITS; k++) {
        int which = (t + k) % N_FITS;   /* each thread its own order */
        run_fit(which, &par[t][which]);
    }
    return NULL;
}

static void test_concurrent_fits_match_sequential(void **state) {
    (void)state;
    for (int f = 0; f < N_FITS; f++) {
        run_fit(f, &seq[f]);
        if (seq[f].status != GP_OK)
            fail_msg("sequential %s fit failed: %s", FIT_NAMES[f], seq[f].message);
        assert_true(seq[f].n > 0);
    }
    pthread_t th[N_THREADS];
    assert_int_equal(pthread_barrier_init(&barrier, NULL, N_THREADS), 0);
    for (int t = 0; t < N_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, fit_thread, (void *)(intptr_t)t), 0);
    for (int t = 0; t < N_THREADS; t++) pthread_join(th[t], NULL);
    pthread_barrier_destroy(&barrier);
    for (int t = 0; t < N_THREADS; t++) {
        for (int f = 0; f < N_FITS; f++) {
            const fit_result *a = &seq[f], *b = &par[t][f];
            if (b->status != GP_OK)
                fail_msg("thread %d: %s fit failed: %s", t, FIT_NAMES[f], b->message);
            assert_int_equal(a->n, b->n);
            for (int i = 0; i < a->n; i++) {
                if (memcmp(&a->v[i], &b->v[i], sizeof(double)) != 0)
                    fail_msg("thread %d: %s value %d differs from the sequential fit: "
                             "%.17g vs %.17g", t, FIT_NAMES[f], i, b->v[i], a->v[i]);
            }
        }
    }
}

/* ---- thread-local errors ---- */

typedef struct err_result {
    char after_fail[512];     /* message right after this thread's failure */
    char after_wait[512];     /* the same, once every thread has failed    */
    char after_ok[512];       /* after a later successful call             */
    gp_status status;
} err_result;

static err_result errs[N_THREADS];

static void *error_thread(void *arg) {
    int t = (int)(intptr_t)arg;
    err_result *e = &errs[t];
    char path[64];
    gp_tensor *tensor = NULL;
    if (t % 2 == 0) {
        /* a missing file whose name carries the thread number */
        snprintf(path, sizeof path, "/nonexistent/thread-%d.npy", t);
        e->status = gp_tensor_load(path, GP_DTYPE_F32, &tensor);
    } else {
        /* a NaN at row t: the fit names the row */
        static float bad[N_THREADS][N * D];
        memcpy(bad[t], X, sizeof X);
        bad[t][t * D + 2] = NAN;
        gp_matrix Xm = mat(bad[t]);
        gp_pca *p = NULL;
        e->status = gp_pca_fit(&Xm, NULL, &p);
        gp_pca_free(p);
    }
    snprintf(e->after_fail, sizeof e->after_fail, "%s", gp_last_error());
    pthread_barrier_wait(&barrier);   /* everyone has failed now */
    snprintf(e->after_wait, sizeof e->after_wait, "%s", gp_last_error());
    pthread_barrier_wait(&barrier);
    /* A success on this thread clears its message; the others keep theirs. */
    gp_matrix Xm = mat(X);
    gp_matrix_stats st;
    if (t % 4 == 1) (void)gp_matrix_stats_compute(&Xm, &st);
    snprintf(e->after_ok, sizeof e->after_ok, "%s", gp_last_error());
    return NULL;
}

static void test_thread_local_errors(void **state) {
    (void)state;
    pthread_t th[N_THREADS];
    assert_int_equal(pthread_barrier_init(&barrier, NULL, N_THREADS), 0);
    for (int t = 0; t < N_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, error_thread, (void *)(intptr_t)t), 0);
    for (int t = 0; t < N_THREADS; t++) pthread_join(th[t], NULL);
    pthread_barrier_destroy(&barrier);
    for (int t = 0; t < N_THREADS; t++) {
        const err_result *e = &errs[t];
        char want[64];
        if (t % 2 == 0) {
            assert_int_equal(e->status, GP_EIO);
            snprintf(want, sizeof want, "thread-%d.npy", t);
        } else {
            assert_int_equal(e->status, GP_ENAN);
            snprintf(want, sizeof want, "row %d,", t);
        }
        if (!strstr(e->after_fail, want))
            fail_msg("thread %d: message \"%s\" lacks \"%s\"", t, e->after_fail, want);
        if (strcmp(e->after_fail, e->after_wait) != 0)
            fail_msg("thread %d: message changed while other threads failed: \"%s\" -> \"%s\"",
                     t, e->after_fail, e->after_wait);
        if (t % 4 == 1) {
            if (e->after_ok[0]) fail_msg("thread %d: success left \"%s\"", t, e->after_ok);
        } else if (strcmp(e->after_ok, e->after_fail) != 0) {
            fail_msg("thread %d: another thread's success changed \"%s\" to \"%s\"", t,
                     e->after_fail, e->after_ok);
        }
    }
    /* The main thread made no failing call: its message is empty. */
    assert_string_equal(gp_last_error(), "");
}

static int setup(void **state) {
    (void)state;
    make_data();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_fits_match_sequential),
        cmocka_unit_test(test_thread_local_errors),
    };
    return cmocka_run_group_tests_name("threads", tests, setup, NULL);
}
