/* test_stats.c — the finiteness scans of stats.c: gp_matrix_check_finite and
 * gp_matrix_mark_nonfinite on hand-built matrices (NaN, +Inf, -Inf in the
 * first and last rows, f32 and f64, a padded ld, a shared mask). */
#include "gp_test.h"

#include <math.h>

/* 5 x 3 float32 with ld 4 (the pad column holds a NaN that must be
 * ignored): row 0 has +Inf, row 2 NaN, row 4 (the last) -Inf. */
static float F[5 * 4] = {
    1, INFINITY, 2, NAN,
    3, 4, 5, NAN,
    6, 7, NAN, NAN,
    8, 9, 10, NAN,
    -INFINITY, 11, 12, NAN,
};

static void test_mark_f32(void **state) {
    (void)state;
    gp_matrix X = {GP_DTYPE_F32, 5, 3, 4, F};
    uint8_t mask[5] = {0};
    int64_t n = -7, r = -7, c = -7;
    CHECK_OK(gp_matrix_mark_nonfinite(&X, mask, &n, &r, &c));
    assert_int_equal(n, 3);
    assert_int_equal(r, 0);
    assert_int_equal(c, 1);
    uint8_t want[5] = {1, 0, 1, 0, 1};
    assert_memory_equal(mask, want, 5);
    /* the first bad element agrees with gp_matrix_check_finite */
    int64_t cr, cc;
    CHECK_FAILS(gp_matrix_check_finite(&X, "F", &cr, &cc), GP_ENAN, "F: non-finite value +Inf at row 0, column 1");
    assert_int_equal(cr, r);
    assert_int_equal(cc, c);
    /* out-params may be NULL */
    memset(mask, 0, sizeof mask);
    CHECK_OK(gp_matrix_mark_nonfinite(&X, mask, NULL, NULL, NULL));
    assert_memory_equal(mask, want, 5);
}

static void test_mark_f64_shared_mask(void **state) {
    (void)state;
    /* 4 x 2 float64: only row 1 has a NaN (column 1) */
    double D[8] = {1, 2, 3, NAN, 5, 6, 7, 8};
    gp_matrix X = {GP_DTYPE_F64, 4, 2, 2, D};
    /* a mask already marked by another matrix over the same rows: kept */
    uint8_t mask[4] = {0, 0, 0, 1};
    int64_t n, r, c;
    CHECK_OK(gp_matrix_mark_nonfinite(&X, mask, &n, &r, &c));
    assert_int_equal(n, 1);
    assert_int_equal(r, 1);
    assert_int_equal(c, 1);
    uint8_t want[4] = {0, 1, 0, 1};
    assert_memory_equal(mask, want, 4);
    /* a clean matrix: nothing marked, -1 for the position */
    double E[4] = {1, 2, 3, 4};
    gp_matrix Y = {GP_DTYPE_F64, 2, 2, 2, E};
    uint8_t m2[2] = {0, 0};
    CHECK_OK(gp_matrix_mark_nonfinite(&Y, m2, &n, &r, &c));
    assert_int_equal(n, 0);
    assert_int_equal(r, -1);
    assert_int_equal(c, -1);
    assert_int_equal(m2[0] | m2[1], 0);
    CHECK_OK(gp_matrix_check_finite(&Y, "Y", NULL, NULL));
    /* the last row only, -Inf in the last column */
    double G[6] = {1, 2, 3, 4, 5, -INFINITY};
    gp_matrix Z = {GP_DTYPE_F64, 3, 2, 2, G};
    uint8_t m3[3] = {0};
    CHECK_OK(gp_matrix_mark_nonfinite(&Z, m3, &n, &r, &c));
    assert_int_equal(n, 1);
    assert_int_equal(r, 2);
    assert_int_equal(c, 1);
    assert_int_equal(m3[2], 1);
    assert_int_equal(m3[0] | m3[1], 0);
}

static void test_mark_errors(void **state) {
    (void)state;
    uint8_t mask[5] = {0};
    int64_t n = 9, r = 9, c = 9;
    CHECK_FAILS(gp_matrix_mark_nonfinite(NULL, mask, &n, &r, &c), GP_EINVAL, "matrix is NULL");
    assert_int_equal(n, 0);
    assert_int_equal(r, -1);
    assert_int_equal(c, -1);
    gp_matrix X = {GP_DTYPE_F32, 5, 3, 4, F};
    CHECK_FAILS(gp_matrix_mark_nonfinite(&X, NULL, &n, NULL, NULL), GP_EINVAL, "mask is NULL");
    gp_matrix B = {(gp_dtype)42, 5, 3, 4, F};
    CHECK_FAILS(gp_matrix_mark_nonfinite(&B, mask, NULL, NULL, NULL), GP_EDTYPE, "unknown dtype 42");
    gp_matrix S = {GP_DTYPE_F32, 5, 3, 2, F};
    CHECK_FAILS(gp_matrix_mark_nonfinite(&S, mask, NULL, NULL, NULL), GP_ESHAPE, "ld 2 < cols 3");
    assert_int_equal(mask[0] | mask[1] | mask[2] | mask[3] | mask[4], 0);
    /* integers are always finite; zero rows need no mask */
    int32_t I[4] = {1, 2, 3, 4};
    gp_matrix Im = {GP_DTYPE_I32, 2, 2, 2, I};
    CHECK_OK(gp_matrix_mark_nonfinite(&Im, mask, &n, &r, &c));
    assert_int_equal(n, 0);
    gp_matrix E = {GP_DTYPE_F32, 0, 3, 3, NULL};
    CHECK_OK(gp_matrix_mark_nonfinite(&E, NULL, &n, NULL, NULL));
    assert_int_equal(n, 0);
    /* a success clears an earlier message */
    assert_string_equal(gp_last_error(), "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mark_f32),
        cmocka_unit_test(test_mark_f64_shared_mask),
        cmocka_unit_test(test_mark_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
