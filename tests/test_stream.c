/* test_stream.c — the probes' statistics over a memory-mapped input with
 * its pages released behind each block (gp_set_stream_mode): every method
 * gives the same bytes as with the pages kept (a released page is read
 * back from the file), and the mapped pages do not stay resident. */
#include "gp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* 9,000 rows of 1,024 bytes: more than one 8 MB release group, rows not
 * page-aligned behind the .npy header. */
#define N 9000
#define D 256

static float *X;
static int32_t y2[N], y3[N];
static double target[N];
static char path[] = "/tmp/gp_test_streamXXXXXX.npy";

static void make_data(void) {
    X = malloc((size_t)N * D * sizeof *X);
    assert_non_null(X);
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < N; i++) {
        y2[i] = i % 2;
        y3[i] = i % 3;
        double t = 0;
        for (int j = 0; j < D; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
            double v = u + (j < 8 ? 0.4 * (y3[i] - 1) + 0.3 * y2[i] : 0) + (j == 3 ? 50 : 0);
            X[(size_t)i * D + j] = (float)v;
            t += (j % 7 == 0 ? 0.1 : 0) * v;
        }
        target[i] = t;
    }
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    int64_t shape[2] = {N, D};
    CHECK_OK(gp_npy_write(path, GP_DTYPE_F32, 2, shape, X));
}

/* Resident pages of this process (all mappings), from /proc/self/statm. */
static long resident_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2) res = 0;
        fclose(f);
    }
    return res * sysconf(_SC_PAGESIZE);
}

typedef struct fit_case {
    gp_probe_method method;
    gp_logistic_solver solver;
    int32_t k;             /* classes; 0: ridge */
    int32_t standardize;
} fit_case;

/* Fit one case on a fresh mapping of the file in the given stream mode;
 * *grown: resident bytes gained over the fit (and the scores pass). */
static gp_probe *fit_mapped(const fit_case *c, gp_stream_mode mode, double *scores, long *grown) {
    gp_set_stream_mode(mode);
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(path, GP_DTYPE_F32, &t));
    assert_true(gp_tensor_is_mapped(t));
    gp_matrix M;
    CHECK_OK(gp_tensor_matrix(t, &M));
    assert_int_equal(gp_matrix_is_streamed(&M), mode == GP_STREAM_ON);
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.method = c->method;
    o.solver = c->solver;
    o.standardize = c->standardize;
    gp_probe *p = NULL;
    long before = resident_bytes();
    if (c->k == 0) CHECK_OK(gp_probe_fit_regression(&M, target, &o, &p));
    else CHECK_OK(gp_probe_fit(&M, c->k == 2 ? y2 : y3, c->k, &o, &p));
    CHECK_OK(gp_probe_decision(p, &M, scores));
    *grown = resident_bytes() - before;
    gp_tensor_free(t);
    gp_set_stream_mode(GP_STREAM_AUTO);
    return p;
}

static void check_case(const fit_case *c) {
    int32_t m = c->k > 2 ? c->k : 1;
    double *sa = malloc((size_t)N * m * sizeof *sa), *sb = malloc((size_t)N * m * sizeof *sb);
    assert_non_null(sa);
    assert_non_null(sb);
    long kept, released;
    gp_probe *a = fit_mapped(c, GP_STREAM_OFF, sa, &kept);
    gp_probe *b = fit_mapped(c, GP_STREAM_ON, sb, &released);
    assert_int_equal(gp_probe_n_outputs(a), gp_probe_n_outputs(b));
    assert_memory_equal(gp_probe_weight(a), gp_probe_weight(b),
                        (size_t)gp_probe_n_outputs(a) * D * sizeof(double));
    assert_memory_equal(gp_probe_bias(a), gp_probe_bias(b),
                        (size_t)gp_probe_n_outputs(a) * sizeof(double));
    assert_memory_equal(sa, sb, (size_t)N * m * sizeof *sa);
    /* The file is 9.2 MB: kept, it all stays mapped; released, at most
     * one 8 MB group of it is resident at a time (the rest of the growth
     * is the fit's own heap, the same both ways). */
    /* (Not under AddressSanitizer: its shadow memory and quarantine move
     * the process's resident size by more than the file.) */
#ifndef __SANITIZE_ADDRESS__
    long file = (long)N * D * (long)sizeof(float);
    if (!c->standardize) { /* standardize holds a heap copy of X */
        assert_true(kept > file * 9 / 10);
        assert_true(released < kept - file * 3 / 4);
    }
#else
    (void)kept;
    (void)released;
#endif
    gp_probe_free(a);
    gp_probe_free(b);
    free(sa);
    free(sb);
}

static void test_logistic_newton(void **state) {
    (void)state;
    check_case(&(fit_case){GP_PROBE_LOGISTIC, GP_LOGISTIC_NEWTON, 2, 0});
}

static void test_logistic_lbfgs(void **state) {
    (void)state;
    check_case(&(fit_case){GP_PROBE_LOGISTIC, GP_LOGISTIC_LBFGS, 3, 0});
}

static void test_logistic_standardized(void **state) {
    (void)state;
    check_case(&(fit_case){GP_PROBE_LOGISTIC, GP_LOGISTIC_NEWTON, 2, 1});
}

static void test_massmean(void **state) {
    (void)state;
    check_case(&(fit_case){GP_PROBE_MASSMEAN, GP_LOGISTIC_AUTO, 2, 0});
    check_case(&(fit_case){GP_PROBE_MASSMEAN_IID, GP_LOGISTIC_AUTO, 2, 0});
}

static void test_lda(void **state) {
    (void)state;
    check_case(&(fit_case){GP_PROBE_LDA, GP_LOGISTIC_AUTO, 3, 0});
}

static void test_ridge(void **state) {
    (void)state;
    check_case(&(fit_case){GP_PROBE_RIDGE, GP_LOGISTIC_AUTO, 0, 0});
}

int main(void) {
    make_data();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic_newton),
        cmocka_unit_test(test_logistic_lbfgs),
        cmocka_unit_test(test_logistic_standardized),
        cmocka_unit_test(test_massmean),
        cmocka_unit_test(test_lda),
        cmocka_unit_test(test_ridge),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    free(X);
    return rc;
}
