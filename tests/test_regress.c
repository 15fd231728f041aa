/* test_regress.c — every input the fuzzers (make fuzz) found crashing,
 * kept in tests/regress/ and loaded again: each must now give its expected
 * result, a clean error or a success, with no crash, leak or undefined
 * behaviour (make asan runs this under ASan + UBSan). Add a row per find:
 * the file, what to load, and what must come back. */
#include "gp_test.h"

typedef enum { LOAD_FILE, LOAD_TENSOR, LOAD_LABELS } load_kind;

typedef struct regress_case {
    const char *file;     /* in tests/regress/ */
    const char *suffix;   /* appended to the path: ":NAME", "@0", ":COLUMN" */
    load_kind   kind;
    gp_dtype    want;     /* LOAD_TENSOR */
    gp_status   status;   /* expected */
    const char *message;  /* expected in gp_last_error() on failure */
    int         ndim;     /* on success (tensors): the shape */
    int64_t     shape[3];
} regress_case;

static const regress_case CASES[] = {
    /* fuzz_npy: a Fortran-order array with a zero dim divided by zero in
     * the Fortran index arithmetic (element 0 of an empty array). */
    {"npy_fortran_empty.npy", "", LOAD_TENSOR, GP_DTYPE_F32, GP_OK, NULL, 2, {0, 4}},
    {"npy_fortran_empty.npy", "", LOAD_TENSOR, GP_DTYPE_F64, GP_OK, NULL, 2, {0, 4}},
    {"npy_fortran_empty.npy", "", LOAD_TENSOR, GP_DTYPE_ANY, GP_OK, NULL, 2, {0, 4}},
    {"npy_fortran_empty.npy", "@0", LOAD_TENSOR, GP_DTYPE_F32, GP_ESHAPE,
     "layer 0 out of range", 0, {0}},
    /* A zero dim made these "empty", but their other dims multiply past
     * int64: the element count overflowed (signed, UB) when loaded. numpy
     * refuses such shapes; so do the readers now. */
    {"npy_zero_dim_huge.npy", "", LOAD_FILE, GP_DTYPE_ANY, GP_ESHAPE, "overflows", 0, {0}},
    {"npy_zero_dim_huge.npy", "@1", LOAD_TENSOR, GP_DTYPE_F32, GP_ESHAPE, "overflows", 0, {0}},
    {"st_zero_dim_huge.safetensors", "", LOAD_FILE, GP_DTYPE_ANY, GP_EFORMAT, "too large", 0, {0}},
    {"st_zero_dim_huge.safetensors", ":e@1", LOAD_TENSOR, GP_DTYPE_F32, GP_EFORMAT,
     "too large", 0, {0}},
};
#define N_CASES (sizeof CASES / sizeof CASES[0])

static const char *regress_path(const regress_case *c) {
    static char buf[4096];
    const char *dir = getenv("GP_REGRESS");
    snprintf(buf, sizeof buf, "%s/%s%s", dir ? dir : "tests/regress", c->file, c->suffix);
    return buf;
}

static void check_status(const regress_case *c, const char *spec, gp_status s) {
    if (s != c->status)
        fail_msg("%s: status %d (%s), want %d: %s", spec, (int)s, gp_status_str(s),
                 (int)c->status, gp_last_error());
    if (s != GP_OK) {
        if (!gp_last_error()[0]) fail_msg("%s: failed with an empty message", spec);
        if (c->message && !strstr(gp_last_error(), c->message))
            fail_msg("%s: message \"%s\" lacks \"%s\"", spec, gp_last_error(), c->message);
    }
}

static void run_case(const regress_case *c) {
    const char *spec = regress_path(c);
    if (c->kind == LOAD_FILE) {
        gp_file *f = (gp_file *)&f;
        gp_status s = gp_file_open(spec, &f);
        check_status(c, spec, s);
        if (s != GP_OK) assert_null(f);
        gp_file_close(f);
    } else if (c->kind == LOAD_TENSOR) {
        gp_tensor *t = (gp_tensor *)&t;
        gp_status s = gp_tensor_load(spec, c->want, &t);
        check_status(c, spec, s);
        if (s != GP_OK) {
            assert_null(t);
            return;
        }
        assert_int_equal(gp_tensor_ndim(t), c->ndim);
        for (int a = 0; a < c->ndim; a++) assert_int_equal(gp_tensor_dim(t, a), c->shape[a]);
        gp_matrix X;
        if (gp_tensor_matrix(t, &X) == GP_OK) {
            gp_matrix_stats st;
            (void)gp_matrix_stats_compute(&X, &st);
        }
        gp_tensor_free(t);
    } else {
        gp_labels *l = (gp_labels *)&l;
        gp_status s = gp_labels_load(spec, &l);
        check_status(c, spec, s);
        if (s != GP_OK) assert_null(l);
        gp_labels_free(l);
    }
}

static void test_expected_results(void **state) {
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) run_case(&CASES[i]);
}

/* Beyond the expected row: every way the fuzzers load a file, none may
 * crash, and a failure always carries a message. */
static void test_every_load_path(void **state) {
    (void)state;
    static const gp_dtype wants[] = {GP_DTYPE_F32, GP_DTYPE_F64, GP_DTYPE_ANY};
    static const char *const suffixes[] = {"", "@0", "@-1", "@1"};
    for (size_t i = 0; i < N_CASES; i++) {
        if (CASES[i].kind == LOAD_LABELS) continue;
        regress_case c = CASES[i];
        for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
            c.suffix = suffixes[k];
            const char *spec = regress_path(&c);
            for (size_t w = 0; w < 3; w++) {
                gp_tensor *t = NULL;
                gp_status s = gp_tensor_load(spec, wants[w], &t);
                if (s != GP_OK) {
                    assert_null(t);
                    if (!gp_last_error()[0]) fail_msg("%s: empty message", spec);
                }
                gp_tensor_free(t);
            }
            gp_labels *l = NULL;
            if (gp_labels_load(spec, &l) != GP_OK) assert_null(l);
            gp_labels_free(l);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected_results),
        cmocka_unit_test(test_every_load_path),
    };
    return cmocka_run_group_tests_name("regress", tests, NULL, NULL);
}
