/* test_labels.c — gp_labels_* on every format, the bad files of
 * tests/fixtures_labels.py, NULL arguments and failed allocations. */
#include "gp_test.h"

/* Load a fixture, failing the test with the library's message if it fails. */
static gp_labels *load(const char *name) {
    gp_labels *l = NULL;
    CHECK_OK(gp_labels_load(fixture(name), &l));
    assert_non_null(l);
    return l;
}

/* Check n, the ids and the class names (NULL-terminated list). */
static void expect(const gp_labels *l, int64_t n, const int32_t *ids, const char *const *names) {
    assert_int_equal(gp_labels_n(l), n);
    const int32_t *got = gp_labels_ids(l);
    for (int64_t i = 0; i < n; i++) {
        if (got[i] != ids[i]) fail_msg("row %lld: id %d, want %d", (long long)i, got[i], ids[i]);
    }
    int32_t k = 0;
    while (names[k]) {
        const char *c = gp_labels_class_name(l, k);
        assert_non_null(c);
        assert_string_equal(c, names[k]);
        k++;
    }
    assert_int_equal(gp_labels_n_classes(l), k);
    assert_null(gp_labels_class_name(l, k));
    assert_null(gp_labels_class_name(l, -1));
}

static void expect_values(const gp_labels *l, const double *want) {
    assert_int_equal(gp_labels_is_numeric(l), 1);
    const double *v = gp_labels_values(l);
    assert_non_null(v);
    for (int64_t i = 0; i < gp_labels_n(l); i++) {
        if (v[i] != want[i]) fail_msg("row %lld: value %g, want %g", (long long)i, v[i], want[i]);
    }
}

static void expect_strings(const gp_labels *l) {
    assert_int_equal(gp_labels_is_numeric(l), 0);
    assert_null(gp_labels_values(l));
}

/* ---- .npy ---- */

static void test_npy_int32(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_int32.npy");
    expect(l, 5, (int32_t[]){0, 1, 1, 0, 1}, (const char *[]){"0", "1", NULL});
    expect_values(l, (double[]){0, 1, 1, 0, 1});
    assert_string_equal(gp_labels_path(l), fixture("labels/y_int32.npy"));
    gp_labels_free(l);
}

static void test_npy_int64(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_int64.npy");
    expect(l, 4, (int32_t[]){2, 0, 1, 2}, (const char *[]){"0", "1", "2", NULL});
    expect_values(l, (double[]){2, 0, 1, 2});
    gp_labels_free(l);
}

static void test_npy_bool(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_bool.npy");
    expect(l, 4, (int32_t[]){1, 0, 0, 1}, (const char *[]){"False", "True", NULL});
    expect_values(l, (double[]){1, 0, 0, 1});
    gp_labels_free(l);
}

static void test_npy_float01(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_float01.npy");
    expect(l, 4, (int32_t[]){0, 1, 1, 0}, (const char *[]){"0", "1", NULL});
    expect_values(l, (double[]){0, 1, 1, 0});
    gp_labels_free(l);
}

static void test_npy_2d(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_2d.npy");
    expect(l, 3, (int32_t[]){1, 0, 1}, (const char *[]){"0", "1", NULL});
    gp_labels_free(l);
}

static void test_npy_3class_sorted(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_3class.npy");   /* 7, -1, 3, 7, -1 */
    expect(l, 5, (int32_t[]){2, 0, 1, 2, 0}, (const char *[]){"-1", "3", "7", NULL});
    expect_values(l, (double[]){7, -1, 3, 7, -1});
    gp_labels_free(l);
}

static void test_npy_regression(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_regress.npy");  /* 0.5, -2.25, 0.1, 0.5 */
    expect(l, 4, (int32_t[]){2, 0, 1, 2}, (const char *[]){"-2.25", "0.1", "0.5", NULL});
    expect_values(l, (double[]){0.5, -2.25, 0.1, 0.5});
    gp_labels_free(l);
}

/* ---- .txt ---- */

static void test_txt_strings(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_str.txt");      /* paris berlin rome paris berlin */
    expect(l, 5, (int32_t[]){1, 0, 2, 1, 0}, (const char *[]){"berlin", "paris", "rome", NULL});
    expect_strings(l);
    gp_labels_free(l);
}

static void test_txt_numbers(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_num.txt");      /* 3 1.5 -2 3, no final newline */
    expect(l, 4, (int32_t[]){2, 1, 0, 2}, (const char *[]){"-2", "1.5", "3", NULL});
    expect_values(l, (double[]){3, 1.5, -2, 3});
    gp_labels_free(l);
}

static void test_txt_crlf_and_bom(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_crlf.txt");
    expect(l, 3, (int32_t[]){1, 0, 1}, (const char *[]){"a", "b", NULL});
    gp_labels_free(l);
    l = load("labels/y_bom.txt");
    expect(l, 2, (int32_t[]){1, 0}, (const char *[]){"no", "yes", NULL});
    gp_labels_free(l);
}

/* ---- .csv ---- */

static void test_csv_column(void **state) {
    (void)state;
    char spec[4200];
    gp_labels *l = NULL;
    snprintf(spec, sizeof spec, "%s:label", fixture("labels/y.csv"));
    CHECK_OK(gp_labels_load(spec, &l));
    expect(l, 4, (int32_t[]){1, 0, 1, 0}, (const char *[]){"neg", "pos", NULL});
    expect_strings(l);
    assert_string_equal(gp_labels_path(l), spec);
    gp_labels_free(l);

    /* Quoted commas, "" escapes, a newline inside quotes, outer spaces trimmed. */
    snprintf(spec, sizeof spec, "%s:TEXT", fixture("labels/y.csv"));
    CHECK_FAILS(gp_labels_load(spec, &l), GP_EINVAL, "no column 'TEXT'");  /* case-sensitive */
    snprintf(spec, sizeof spec, "%s:text", fixture("labels/y.csv"));
    CHECK_OK(gp_labels_load(spec, &l));
    expect(l, 4, (int32_t[]){0, 2, 3, 1},
           (const char *[]){"hello, world", "plain", "she said \"hi\"", "two\nlines", NULL});
    gp_labels_free(l);

    snprintf(spec, sizeof spec, "%s:0", fixture("labels/y.csv"));   /* by index */
    CHECK_OK(gp_labels_load(spec, &l));
    expect(l, 4, (int32_t[]){0, 1, 2, 3}, (const char *[]){"0", "1", "2", "3", NULL});
    expect_values(l, (double[]){0, 1, 2, 3});
    gp_labels_free(l);
}

static void test_csv_one_column_and_index(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_onecol.csv");   /* no :COLUMN needed */
    expect(l, 3, (int32_t[]){1, 0, 1}, (const char *[]){"0", "1", NULL});
    gp_labels_free(l);
    l = load("labels/y_digits.csv:1");
    expect(l, 2, (int32_t[]){0, 1}, (const char *[]){"10", "20", NULL});
    gp_labels_free(l);
}

/* ---- .json ---- */

static void test_json(void **state) {
    (void)state;
    gp_labels *l = load("labels/y_str.json");     /* cat dog cat ant */
    expect(l, 4, (int32_t[]){1, 2, 1, 0}, (const char *[]){"ant", "cat", "dog", NULL});
    expect_strings(l);
    gp_labels_free(l);

    l = load("labels/y_num.json");                /* 2 0.5 2 -1 */
    expect(l, 4, (int32_t[]){2, 1, 2, 0}, (const char *[]){"-1", "0.5", "2", NULL});
    expect_values(l, (double[]){2, 0.5, 2, -1});
    gp_labels_free(l);

    l = load("labels/y_bool.json");
    expect(l, 3, (int32_t[]){1, 0, 1}, (const char *[]){"False", "True", NULL});
    expect_values(l, (double[]){1, 0, 1});
    gp_labels_free(l);

    l = load("labels/y_mixed.json");              /* "b", 1, true, 2.5: all strings */
    expect(l, 4, (int32_t[]){3, 0, 2, 1}, (const char *[]){"1", "2.5", "True", "b", NULL});
    expect_strings(l);
    gp_labels_free(l);
}

/* ---- bad input ---- */

static void test_bad_files(void **state) {
    (void)state;
    gp_labels *l = (gp_labels *)&l;   /* must come back NULL */
    struct { const char *name; gp_status want; const char *sub; } bad[] = {
        {"labels/empty.txt", GP_EFORMAT, "no labels"},
        {"labels/blanks.txt", GP_EFORMAT, "no labels"},
        {"labels/gap.txt", GP_EFORMAT, "line 2 is blank"},
        {"labels/nan.txt", GP_ENAN, "line 2"},
        {"labels/binary.txt", GP_EFORMAT, "NUL"},
        {"labels/empty.json", GP_EFORMAT, "no labels"},
        {"labels/object.json", GP_EFORMAT, "not a JSON array"},
        {"labels/null.json", GP_EFORMAT, "element 2 is null"},
        {"labels/nested.json", GP_EFORMAT, "element 1 is an array"},
        {"labels/broken.json", GP_EFORMAT, "invalid JSON"},
        {"labels/header_only.csv:label", GP_EFORMAT, "no labels"},
        {"labels/ragged.csv:label", GP_EFORMAT, "line 3 has 1 fields, the header has 2"},
        {"labels/quote.csv:label", GP_EFORMAT, "line 2: quoted field never closed"},
        {"labels/empty_field.csv:label", GP_EFORMAT, "line 3: empty label"},
        {"labels/y.csv:missing", GP_EINVAL, "no column 'missing' (columns: id, text, label)"},
        {"labels/y.csv:7", GP_EINVAL, "column index 7 out of range"},
        {"labels/twocol.csv", GP_EINVAL, "(columns: a, b)"},
        {"labels/y.csv:", GP_EINVAL, "empty column name"},
        {"labels/nan.npy", GP_ENAN, "row 2: label is NaN"},
        {"labels/wide.npy", GP_ESHAPE, "got shape (4, 3)"},
        {"labels/zero.npy", GP_EFORMAT, "no labels"},
        {"labels/y.dat", GP_EINVAL, "unknown labels format"},
        {"labels/missing.txt", GP_EIO, "no such file"},
        {"labels/missing.csv:label", GP_EIO, "no such file"},
        {"labels/missing.json", GP_EIO, "no such file"},
        {"labels/missing.npy", GP_EIO, "missing.npy"},
        {"labels/dir.txt", GP_EIO, "directory"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *spec = fixture(bad[i].name);
        CHECK_FAILS(gp_labels_load(spec, &l), bad[i].want, bad[i].sub);
        assert_null(l);
        /* Every message starts with the file's path (the spec minus :COLUMN). */
        const char *colon = strrchr(spec, ':');
        size_t plen = colon && strstr(spec, ".csv:") ? (size_t)(colon - spec) : strlen(spec);
        if (strncmp(gp_last_error(), spec, plen) != 0)
            fail_msg("%s: message \"%s\" does not start with the path", spec, gp_last_error());
        l = (gp_labels *)&l;
    }
}

static void test_null_args(void **state) {
    (void)state;
    gp_labels *l = NULL;
    CHECK_FAILS(gp_labels_load(NULL, &l), GP_EINVAL, "");
    assert_null(l);
    CHECK_FAILS(gp_labels_load("", &l), GP_EINVAL, "");
    CHECK_FAILS(gp_labels_load(fixture("labels/y_int32.npy"), NULL), GP_EINVAL, "");
    gp_labels_free(NULL);
    assert_int_equal(gp_labels_n(NULL), 0);
    assert_null(gp_labels_ids(NULL));
    assert_int_equal(gp_labels_n_classes(NULL), 0);
    assert_null(gp_labels_class_name(NULL, 0));
    assert_int_equal(gp_labels_is_numeric(NULL), 0);
    assert_null(gp_labels_values(NULL));
    assert_null(gp_labels_path(NULL));
    /* A success clears the message of an earlier failure. */
    l = load("labels/y_int32.npy");
    assert_string_equal(gp_last_error(), "");
    gp_labels_free(l);
}

/* ---- dropping rows (--drop-nonfinite) ---- */

static void test_drop_rows(void **state) {
    (void)state;
    /* y_int64: 2 0 1 2, classes 0 1 2; drop rows 0 and 2 (the only "1") */
    gp_labels *l = load("labels/y_int64.npy");
    uint8_t drop[4] = {1, 0, 1, 0};
    CHECK_OK(gp_labels_drop_rows(l, drop));
    /* ids keep their meaning: class 1 stays in the list with no rows */
    expect(l, 2, (int32_t[]){0, 2}, (const char *[]){"0", "1", "2", NULL});
    expect_values(l, (double[]){0, 2});
    gp_labels_free(l);
    /* text labels have no values; nothing dropped leaves them as they were */
    l = load("labels/y_int32.npy");
    uint8_t none[5] = {0};
    CHECK_OK(gp_labels_drop_rows(l, none));
    expect(l, 5, (int32_t[]){0, 1, 1, 0, 1}, (const char *[]){"0", "1", NULL});
    uint8_t last[5] = {0, 0, 0, 0, 1};
    CHECK_OK(gp_labels_drop_rows(l, last));
    expect(l, 4, (int32_t[]){0, 1, 1, 0}, (const char *[]){"0", "1", NULL});
    CHECK_FAILS(gp_labels_drop_rows(NULL, none), GP_EINVAL, "labels are NULL");
    CHECK_FAILS(gp_labels_drop_rows(l, NULL), GP_EINVAL, "drop is NULL");
    gp_labels_free(l);
}

/* ---- failed allocations ---- */

/* Fail allocation k = 1, 2, ... of each load until one succeeds untouched;
 * every earlier call must fail cleanly (ASan reports any leak). */
static void oom_sweep(const char *spec) {
    long k;
    for (k = 1; k < 1000; k++) {
        gp_labels *l = (gp_labels *)&l;
        oom_arm(k);
        gp_status s = gp_labels_load(spec, &l);
        oom_disarm();
        if (oom_calls() < k) {   /* the k-th allocation never happened */
            assert_int_equal(s, GP_OK);
            gp_labels_free(l);
            break;
        }
        if (s == GP_OK) fail_msg("%s: allocation %ld failed but the load succeeded", spec, k);
        assert_null(l);
        assert_int_equal(s, GP_ENOMEM);
        assert_non_null(strstr(gp_last_error(), "out of memory"));
    }
    assert_true(k > 3);   /* the sweep really exercised the loader */
}

static void test_oom(void **state) {
    (void)state;
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:text", fixture("labels/y.csv"));
    oom_sweep(spec);
    oom_sweep(fixture("labels/y_num.txt"));
    oom_sweep(fixture("labels/y_mixed.json"));
    oom_sweep(fixture("labels/y_3class.npy"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_int32),
        cmocka_unit_test(test_npy_int64),
        cmocka_unit_test(test_npy_bool),
        cmocka_unit_test(test_npy_float01),
        cmocka_unit_test(test_npy_2d),
        cmocka_unit_test(test_npy_3class_sorted),
        cmocka_unit_test(test_npy_regression),
        cmocka_unit_test(test_txt_strings),
        cmocka_unit_test(test_txt_numbers),
        cmocka_unit_test(test_txt_crlf_and_bom),
        cmocka_unit_test(test_csv_column),
        cmocka_unit_test(test_csv_one_column_and_index),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_null_args),
        cmocka_unit_test(test_drop_rows),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
