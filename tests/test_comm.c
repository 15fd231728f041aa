/* test_comm.c — distributed fits (gp_comm) without MPI: P threads play P
 * processes, each holding a contiguous share of the rows, with an allreduce
 * built on a barrier. The oracle is the one-process fit on all rows (itself
 * tested against scikit-learn and numpy): a distributed PCA (cov and
 * randomized) and CKA must match it to float rounding; a NaN in one share,
 * or an allocation failure on one process, must end the fit on every
 * process (the failing one with its error, the others with GP_EPEER)
 * instead of leaving them waiting. Also the streaming release: a fit that
 * gives back the pages of a mapped file gives the same bytes. Threads only
 * record; the main thread asserts (cmocka is not thread-safe). */
#include "gp_test.h"
#include "comm_threads.h"

#include <math.h>
#include <pthread.h>
#include <unistd.h>

#define N 903          /* not a multiple of any process count used */
#define D 40
#define MAXP 4

static float X[N * D], Y[N * D];


/* Anisotropic, with an outlier dimension far from zero like real
 * activations; Y shares a few directions with X. */
static void make_data(void) {
    uint64_t s = 777;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++) {
            double v = lcg_normal(&s) * (8.0 / (1 + j));
            if (j == 5) v = 60 + 3 * lcg_normal(&s);
            X[i * D + j] = (float)v;
            Y[i * D + j] = (float)(j < 6 ? 0.7 * v + lcg_normal(&s) : lcg_normal(&s));
        }
}

/* The communicator of threads: tests/comm_threads.h. */

/* ---- the job each "process" runs ---- */

enum { JOB_PCA, JOB_CKA };
typedef struct job {
    int kind;
    gp_pca_solver solver;
    int64_t k;
    int debiased;
    const float *x;     /* the data (X, or a copy with a NaN) */
    int fail_rank;      /* -1, or the rank whose first allocation fails */
    /* per rank results */
    gp_status st[MAXP];
    char msg[MAXP][256];
    double comp[MAXP][D * D], ratio[MAXP][D], cka[MAXP];
} job;

typedef struct arg {
    job *j;
    member m;
    gp_comm comm;
} arg;

static int64_t share_start(int rank, int size) { return (int64_t)N * rank / size; }

static void *run_rank(void *p) {
    arg *a = p;
    job *j = a->j;
    int r = a->m.rank;
    int64_t r0 = share_start(r, a->comm.size), r1 = share_start(r + 1, a->comm.size);
    gp_matrix Xr = {GP_DTYPE_F32, r1 - r0, D, D, (void *)(j->x + r0 * D)};
    gp_matrix Yr = {GP_DTYPE_F32, r1 - r0, D, D, (void *)(Y + r0 * D)};
    gp_status st;
    if (j->kind == JOB_PCA) {
        gp_pca_opts o;
        gp_pca_opts_init(&o);
        o.solver = j->solver;
        o.n_components = j->k;
        o.seed = 3;
        o.block_rows = 64;   /* several blocks per share */
        o.comm = &a->comm;
        gp_pca *pca = NULL;
        st = gp_pca_fit(&Xr, &o, &pca);
        if (st == GP_OK) {
            memcpy(j->comp[r], gp_pca_components(pca), (size_t)(j->k * D) * sizeof(double));
            memcpy(j->ratio[r], gp_pca_explained_variance_ratio(pca), (size_t)j->k * sizeof(double));
        }
        gp_pca_free(pca);
    } else {
        st = gp_cka_comm(&Xr, &Yr, j->debiased, &a->comm, &j->cka[r], NULL);
    }
    j->st[r] = st;
    snprintf(j->msg[r], sizeof j->msg[r], "%s", gp_last_error());
    return NULL;
}

static member *arg_member(void *p) { return &((arg *)p)->m; }
static gp_comm *arg_comm(void *p) { return &((arg *)p)->comm; }

/* A fail_rank >= 0 fails that process's first allocation. */
static void run_job(job *j, int size) {
    arg args[MAXP];
    for (int r = 0; r < size; r++) args[r].j = j;
    comm_threads_run(size, j->fail_rank, 1, run_rank, args, sizeof args[0], arg_member, arg_comm);
}

/* ---- tests ---- */

static void pca_matches(gp_pca_solver solver, int64_t k, int size) {
    gp_pca_opts o;
    gp_pca_opts_init(&o);
    o.solver = solver;
    o.n_components = k;
    o.seed = 3;
    gp_matrix Xa = {GP_DTYPE_F32, N, D, D, X};
    gp_pca *ref = NULL;
    CHECK_OK(gp_pca_fit(&Xa, &o, &ref));
    static job j;
    memset(&j, 0, sizeof j);
    j = (job){.kind = JOB_PCA, .solver = solver, .k = k, .x = X, .fail_rank = -1};
    run_job(&j, size);
    const double *rc = gp_pca_components(ref), *rr = gp_pca_explained_variance_ratio(ref);
    for (int r = 0; r < size; r++) {
        if (j.st[r] != GP_OK) fail_msg("rank %d of %d: %s", r, size, j.msg[r]);
        for (int64_t i = 0; i < k; i++) {
            if (fabs(j.ratio[r][i] - rr[i]) > 1e-6 * rr[i] + 1e-12)
                fail_msg("%s, %d processes, rank %d: ratio %lld %.10g vs %.10g",
                         gp_pca_solver_name(solver), size, r, (long long)i, j.ratio[r][i], rr[i]);
            double dot = 0;
            for (int c = 0; c < D; c++) dot += j.comp[r][i * D + c] * rc[i * D + c];
            /* well separated spectrum (scales 8/(1+j)): same signs, same vectors */
            if (i < 6 && dot < 0.99999)
                fail_msg("%s, %d processes, rank %d: component %lld cosine %.8f",
                         gp_pca_solver_name(solver), size, r, (long long)i, dot);
        }
        /* every process holds the same bytes */
        assert_memory_equal(j.comp[r], j.comp[0], (size_t)(k * D) * sizeof(double));
    }
    gp_pca_free(ref);
}

static void test_pca_cov(void **state) {
    (void)state;
    for (int p = 1; p <= 3; p++) pca_matches(GP_PCA_COV, D, p);
}

static void test_pca_randomized(void **state) {
    (void)state;
    for (int p = 2; p <= 4; p++) pca_matches(GP_PCA_RANDOMIZED, 6, p);
}

static void test_pca_svd_refused(void **state) {
    (void)state;
    static job j;
    memset(&j, 0, sizeof j);
    j = (job){.kind = JOB_PCA, .solver = GP_PCA_SVD, .k = 3, .x = X, .fail_rank = -1};
    run_job(&j, 2);
    for (int r = 0; r < 2; r++) {
        assert_int_equal(j.st[r], GP_EINVAL);
        assert_non_null(strstr(j.msg[r], "svd solver needs every row"));
    }
}

static void test_cka(void **state) {
    (void)state;
    gp_matrix Xa = {GP_DTYPE_F32, N, D, D, X}, Ya = {GP_DTYPE_F32, N, D, D, Y};
    for (int deb = 0; deb <= 1; deb++) {
        double ref;
        CHECK_OK(gp_cka(&Xa, &Ya, deb, &ref, NULL));
        assert_true(ref > 0.05 && ref < 0.95);
        for (int p = 2; p <= 3; p++) {
            static job j;
            memset(&j, 0, sizeof j);
            j = (job){.kind = JOB_CKA, .debiased = deb, .x = X, .fail_rank = -1};
            run_job(&j, p);
            for (int r = 0; r < p; r++) {
                if (j.st[r] != GP_OK) fail_msg("cka rank %d: %s", r, j.msg[r]);
                if (fabs(j.cka[r] - ref) > 1e-6)
                    fail_msg("cka debiased=%d, %d processes: %.9f vs %.9f", deb, p, j.cka[r], ref);
            }
        }
    }
}

/* A NaN in the last process's share: that process names it, the others
 * are told another process failed; nobody hangs. */
static void test_nan_on_one_rank(void **state) {
    (void)state;
    static float Xn[N * D];
    memcpy(Xn, X, sizeof Xn);
    Xn[(N - 3) * D + 7] = NAN;
    static job j;
    memset(&j, 0, sizeof j);
    j = (job){.kind = JOB_PCA, .solver = GP_PCA_COV, .k = 4, .x = Xn, .fail_rank = -1};
    run_job(&j, 3);
    assert_int_equal(j.st[2], GP_ENAN);
    assert_non_null(strstr(j.msg[2], "NaN"));
    for (int r = 0; r < 2; r++) assert_int_equal(j.st[r], GP_ENAN);
    assert_non_null(strstr(j.msg[0], "another process"));
}

/* Out of memory on one process, at its first allocation (before any
 * collective) and so at every later stage in turn. */
static void test_oom_on_one_rank(void **state) {
    (void)state;
    static job j;
    memset(&j, 0, sizeof j);
    j = (job){.kind = JOB_PCA, .solver = GP_PCA_COV, .k = 4, .x = X, .fail_rank = 1};
    run_job(&j, 3);
    assert_int_equal(j.st[1], GP_ENOMEM);
    assert_int_equal(j.st[0], GP_EPEER);
    assert_int_equal(j.st[2], GP_EPEER);
    assert_non_null(strstr(j.msg[0], "another process failed"));
    memset(&j, 0, sizeof j);
    j = (job){.kind = JOB_CKA, .x = X, .fail_rank = 0};
    run_job(&j, 2);
    assert_int_equal(j.st[0], GP_ENOMEM);
    assert_int_equal(j.st[1], GP_EPEER);
}

static void test_bad_comm(void **state) {
    (void)state;
    gp_comm c = {.rank = 2, .size = 2, .allreduce = thread_allreduce};
    gp_pca_opts o;
    gp_pca_opts_init(&o);
    o.comm = &c;
    gp_matrix Xa = {GP_DTYPE_F32, N, D, D, X};
    gp_pca *p = NULL;
    CHECK_FAILS(gp_pca_fit(&Xa, &o, &p), GP_EINVAL, "bad communicator");
    assert_null(p);
    /* one process: the communicator is not used at all */
    gp_comm one = {.rank = 0, .size = 1};
    o.comm = &one;
    CHECK_OK(gp_pca_fit(&Xa, &o, &p));
    gp_pca_free(p);
}

/* Streaming: PCA of a mapped .npy with the pages released behind every
 * block gives the same bytes as with them kept. */
static void test_stream_same_bytes(void **state) {
    (void)state;
    char path[] = "/tmp/gp_test_streamXXXXXX.npy";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    int64_t shape[2] = {N, D};
    CHECK_OK(gp_npy_write(path, GP_DTYPE_F32, 2, shape, X));
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(path, GP_DTYPE_F32, &t));
    assert_true(gp_tensor_is_mapped(t));
    gp_matrix M;
    CHECK_OK(gp_tensor_matrix(t, &M));
    gp_pca_opts o;
    gp_pca_opts_init(&o);
    o.solver = GP_PCA_COV;
    o.block_rows = 50;
    gp_pca *a = NULL, *b = NULL;
    gp_set_stream_mode(GP_STREAM_OFF);
    assert_false(gp_matrix_is_streamed(&M));
    CHECK_OK(gp_pca_fit(&M, &o, &a));
    gp_set_stream_mode(GP_STREAM_ON);
    assert_true(gp_matrix_is_streamed(&M));
    CHECK_OK(gp_pca_fit(&M, &o, &b));
    /* the heap copy is never released */
    gp_matrix H = {GP_DTYPE_F32, N, D, D, X};
    assert_false(gp_matrix_is_streamed(&H));
    gp_set_stream_mode(GP_STREAM_AUTO);
    assert_memory_equal(gp_pca_components(a), gp_pca_components(b), D * D * sizeof(double));
    assert_true(gp_memory_available() > 0);
    gp_pca_free(a);
    gp_pca_free(b);
    gp_tensor_free(t);
    unlink(path);
}

int main(void) {
    make_data();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pca_cov),
        cmocka_unit_test(test_pca_randomized),
        cmocka_unit_test(test_pca_svd_refused),
        cmocka_unit_test(test_cka),
        cmocka_unit_test(test_nan_on_one_rank),
        cmocka_unit_test(test_oom_on_one_rank),
        cmocka_unit_test(test_bad_comm),
        cmocka_unit_test(test_stream_same_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
