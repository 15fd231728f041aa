/* test_split.c — stratified train/test splits, stratified k-fold and the
 * control-task labels of src/split.c: stratification, determinism, seed
 * dependence, independence between classes, error cases, and out of memory
 * at every allocation. */
#include "gp_test.h"

#include <math.h>

#define MIN64(a, b) ((a) < (b) ? (a) : (b))

/* Labels with the given class sizes, interleaved so no class is contiguous
 * (row i gets the next class that still has rows left, round-robin). */
static int32_t *make_labels(const int64_t *sizes, int32_t k, int64_t *n_out) {
    int64_t n = 0, left[16];
    for (int32_t c = 0; c < k; c++) n += left[c] = sizes[c];
    int32_t *y = malloc((size_t)(n ? n : 1) * sizeof *y);
    int32_t c = 0;
    for (int64_t i = 0; i < n; i++) {
        while (left[c] == 0) c = (c + 1) % k;
        y[i] = c;
        left[c]--;
        c = (c + 1) % k;
    }
    *n_out = n;
    return y;
}

/* ------------------------------------------------------------------ */
/* Train / test                                                       */
/* ------------------------------------------------------------------ */

static void split_should_stratify_every_class(void **state) {
    (void)state;
    const int64_t sizes[] = {50, 7, 2, 123, 0, 3};
    const double fracs[] = {0.2, 0.5, 0.9, 0.01, 0.33};
    int64_t n;
    int32_t *y = make_labels(sizes, 6, &n);
    uint8_t *t = malloc((size_t)n);
    for (size_t f = 0; f < sizeof fracs / sizeof *fracs; f++) {
        CHECK_OK(gp_split_train_test(y, n, 6, fracs[f], 11, t));
        for (int32_t c = 0; c < 6; c++) {
            int64_t nt = 0;
            for (int64_t i = 0; i < n; i++) {
                if (t[i] > 1) fail_msg("is_test[%lld] = %d", (long long)i, t[i]);
                nt += y[i] == c && t[i];
            }
            if (sizes[c] == 0) {
                assert_int_equal(nt, 0);
                continue;
            }
            double want = round(fracs[f] * (double)sizes[c]);
            if (fabs((double)nt - want) > 1)
                fail_msg("frac %g class %d: %lld of %lld in test, want about %g", fracs[f], c,
                         (long long)nt, (long long)sizes[c], want);
            if (nt < 1 || nt > sizes[c] - 1)
                fail_msg("frac %g class %d: %lld of %lld in test leaves a side empty", fracs[f],
                         c, (long long)nt, (long long)sizes[c]);
        }
    }
    /* test_frac 0: everything trains, even a class of one row */
    const int64_t one[] = {5, 1};
    int32_t *y1 = make_labels(one, 2, &n);
    memset(t, 7, (size_t)n);
    CHECK_OK(gp_split_train_test(y1, n, 2, 0.0, 1, t));
    for (int64_t i = 0; i < n; i++) assert_int_equal(t[i], 0);
    free(y1);
    free(y);
    free(t);
}

static void split_should_be_deterministic_per_seed(void **state) {
    (void)state;
    const int64_t sizes[] = {300, 200, 100};
    int64_t n;
    int32_t *y = make_labels(sizes, 3, &n);
    uint8_t *a = malloc((size_t)n), *b = malloc((size_t)n), *c = malloc((size_t)n);
    CHECK_OK(gp_split_train_test(y, n, 3, 0.25, 5, a));
    CHECK_OK(gp_split_train_test(y, n, 3, 0.25, 5, b));
    CHECK_OK(gp_split_train_test(y, n, 3, 0.25, 6, c));
    assert_memory_equal(a, b, (size_t)n);
    if (!memcmp(a, c, (size_t)n)) fail_msg("seeds 5 and 6 gave the same split");
    /* a class's split depends only on its own rows: appending rows of
     * another class leaves the old rows' assignment unchanged */
    int32_t *y2 = malloc((size_t)(n + 40) * sizeof *y2);
    memcpy(y2, y, (size_t)n * sizeof *y2);
    for (int64_t i = n; i < n + 40; i++) y2[i] = 2;
    uint8_t *d = malloc((size_t)(n + 40));
    CHECK_OK(gp_split_train_test(y2, n + 40, 3, 0.25, 5, d));
    for (int64_t i = 0; i < n; i++)
        if (y[i] != 2 && d[i] != a[i]) fail_msg("row %lld (class %d) moved", (long long)i, y[i]);
    free(y);
    free(y2);
    free(a);
    free(b);
    free(c);
    free(d);
}

static void split_should_refuse_what_it_cannot_split(void **state) {
    (void)state;
    int32_t y[6] = {0, 0, 1, 0, 2, 2};
    uint8_t t[6];
    CHECK_FAILS(gp_split_train_test(y, 6, 3, 0.2, 1, t), GP_EINVAL, "class 1 has 1 row");
    y[2] = 0;
    CHECK_OK(gp_split_train_test(y, 6, 3, 0.2, 1, t));
    CHECK_FAILS(gp_split_train_test(y, 6, 3, 1.0, 1, t), GP_EINVAL, "not in [0, 1)");
    CHECK_FAILS(gp_split_train_test(y, 6, 3, -0.1, 1, t), GP_EINVAL, "not in [0, 1)");
    CHECK_FAILS(gp_split_train_test(y, 6, 3, NAN, 1, t), GP_EINVAL, "not in [0, 1)");
    CHECK_FAILS(gp_split_train_test(NULL, 6, 3, 0.2, 1, t), GP_EINVAL, "labels are NULL");
    CHECK_FAILS(gp_split_train_test(y, 6, 3, 0.2, 1, NULL), GP_EINVAL, "is_test is NULL");
    CHECK_FAILS(gp_split_train_test(y, -1, 3, 0.2, 1, t), GP_EINVAL, "negative row count");
    CHECK_FAILS(gp_split_train_test(y, 6, 0, 0.2, 1, t), GP_EINVAL, "n_classes");
    y[4] = 3;
    CHECK_FAILS(gp_split_train_test(y, 6, 3, 0.2, 1, t), GP_EINVAL, "row 4 is 3, not in 0..2");
    y[4] = -2;
    CHECK_FAILS(gp_split_train_test(y, 6, 3, 0.2, 1, t), GP_EINVAL, "row 4 is -2");
}

/* ------------------------------------------------------------------ */
/* k-fold                                                             */
/* ------------------------------------------------------------------ */

static void kfold_should_balance_folds_and_classes(void **state) {
    (void)state;
    const int64_t sizes[] = {53, 17, 5, 0, 101};
    const int32_t folds[] = {2, 3, 5};
    int64_t n;
    int32_t *y = make_labels(sizes, 5, &n);
    int32_t *f = malloc((size_t)n * sizeof *f), *g = malloc((size_t)n * sizeof *g);
    for (size_t q = 0; q < sizeof folds / sizeof *folds; q++) {
        int32_t F = folds[q];
        CHECK_OK(gp_split_kfold(y, n, 5, F, 9, f));
        int64_t tot[5] = {0};
        for (int32_t c = 0; c < 5; c++) {
            int64_t per[5] = {0};
            for (int64_t i = 0; i < n; i++) {
                if (f[i] < 0 || f[i] >= F) fail_msg("fold[%lld] = %d", (long long)i, f[i]);
                if (y[i] == c) per[f[i]]++;
            }
            int64_t lo = per[0], hi = per[0];
            for (int32_t j = 0; j < F; j++) {
                lo = MIN64(lo, per[j]);
                hi = per[j] > hi ? per[j] : hi;
                tot[j] += per[j];
            }
            if (hi - lo > 1)
                fail_msg("%d folds: class %d spread %lld..%lld", F, c, (long long)lo,
                         (long long)hi);
        }
        int64_t lo = tot[0], hi = tot[0];
        for (int32_t j = 0; j < F; j++) {
            lo = MIN64(lo, tot[j]);
            hi = tot[j] > hi ? tot[j] : hi;
        }
        if (hi - lo > 1) fail_msg("%d folds: sizes %lld..%lld", F, (long long)lo, (long long)hi);
        /* deterministic per seed, different across seeds */
        CHECK_OK(gp_split_kfold(y, n, 5, F, 9, g));
        assert_memory_equal(f, g, (size_t)n * sizeof *f);
        CHECK_OK(gp_split_kfold(y, n, 5, F, 10, g));
        if (!memcmp(f, g, (size_t)n * sizeof *f)) fail_msg("seeds 9 and 10: same folds");
    }
    free(y);
    free(f);
    free(g);
}

static void kfold_should_refuse_too_few_rows(void **state) {
    (void)state;
    int32_t y[7] = {0, 0, 0, 1, 1, 1, 1};
    int32_t f[7];
    CHECK_FAILS(gp_split_kfold(y, 7, 2, 4, 1, f), GP_EINVAL, "class 0 has 3 rows, fewer than the 4");
    CHECK_FAILS(gp_split_kfold(y, 3, 2, 5, 1, f), GP_EINVAL, "fewer than the 5 folds");
    CHECK_FAILS(gp_split_kfold(y, 7, 2, 1, 1, f), GP_EINVAL, "2 or more folds");
    CHECK_FAILS(gp_split_kfold(y, 7, 2, 3, 1, NULL), GP_EINVAL, "fold is NULL");
    CHECK_FAILS(gp_split_kfold(NULL, 7, 2, 3, 1, f), GP_EINVAL, "labels are NULL");
    y[6] = 2;
    CHECK_FAILS(gp_split_kfold(y, 7, 2, 3, 1, f), GP_EINVAL, "row 6 is 2");
    y[6] = 1;
    CHECK_OK(gp_split_kfold(y, 7, 2, 3, 1, f));
}

/* ------------------------------------------------------------------ */
/* Control labels                                                     */
/* ------------------------------------------------------------------ */

static void control_labels_should_follow_types_and_the_class_distribution(void **state) {
    (void)state;
    enum { N = 60000, TYPES = 20000, K = 4 };
    int32_t *y = malloc(N * sizeof *y), *type = malloc(N * sizeof *type);
    int32_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    /* classes 0, 1, 2 at 50%, 30%, 20%; class 3 never occurs */
    for (int i = 0; i < N; i++) {
        int r = i % 10;
        y[i] = r < 5 ? 0 : r < 8 ? 1 : 2;
        type[i] = (int32_t)((i * 7919L) % TYPES);   /* 3 rows per type, scattered */
    }
    CHECK_OK(gp_control_labels(y, type, N, K, 77, a));
    int32_t seen[TYPES];
    for (int t = 0; t < TYPES; t++) seen[t] = -1;
    int64_t count[K] = {0};
    for (int i = 0; i < N; i++) {
        if (a[i] < 0 || a[i] >= K) fail_msg("label %d", a[i]);
        if (seen[type[i]] < 0) {
            seen[type[i]] = a[i];
            count[a[i]]++;
        } else if (seen[type[i]] != a[i]) {
            fail_msg("type %d got labels %d and %d", type[i], seen[type[i]], a[i]);
        }
    }
    /* per-type draws follow the empirical distribution (sd about 0.0035) */
    const double want[K] = {0.5, 0.3, 0.2, 0.0};
    for (int c = 0; c < K; c++)
        if (fabs((double)count[c] / TYPES - want[c]) > 0.015)
            fail_msg("class %d drawn for %.4f of the types, want %.2f", c,
                     (double)count[c] / TYPES, want[c]);
    assert_int_equal(count[3], 0);
    /* deterministic; another seed differs; row order does not matter */
    CHECK_OK(gp_control_labels(y, type, N, K, 77, b));
    assert_memory_equal(a, b, N * sizeof *a);
    CHECK_OK(gp_control_labels(y, type, N, K, 78, b));
    if (!memcmp(a, b, N * sizeof *a)) fail_msg("seeds 77 and 78 gave the same labels");
    /* NULL types: each row its own type */
    CHECK_OK(gp_control_labels(y, NULL, N, K, 77, b));
    int64_t c0 = 0;
    for (int i = 0; i < N; i++) c0 += b[i] == 0;
    if (fabs((double)c0 / N - 0.5) > 0.015) fail_msg("NULL types: class 0 at %g", (double)c0 / N);
    free(y);
    free(type);
    free(a);
    free(b);
}

static void control_labels_should_refuse_bad_input(void **state) {
    (void)state;
    int32_t y[4] = {0, 1, 1, 0}, type[4] = {0, 1, -3, 0}, out[4];
    CHECK_FAILS(gp_control_labels(y, type, 4, 2, 1, out), GP_EINVAL, "type id of row 2");
    type[2] = 5;
    CHECK_FAILS(gp_control_labels(y, type, 4, 2, 1, NULL), GP_EINVAL, "out is NULL");
    CHECK_FAILS(gp_control_labels(NULL, type, 4, 2, 1, out), GP_EINVAL, "labels are NULL");
    y[1] = 7;
    CHECK_FAILS(gp_control_labels(y, type, 4, 2, 1, out), GP_EINVAL, "row 1 is 7");
    y[1] = 1;
    CHECK_OK(gp_control_labels(y, type, 4, 2, 1, out));
    assert_int_equal(out[0], out[3]);   /* same type */
}

/* ------------------------------------------------------------------ */
/* Out of memory                                                      */
/* ------------------------------------------------------------------ */

static gp_status run_all(const int32_t *y, int64_t n, uint8_t *t, int32_t *f) {
    gp_status s = gp_split_train_test(y, n, 3, 0.3, 2, t);
    if (s == GP_OK) s = gp_split_kfold(y, n, 3, 3, 2, f);
    if (s == GP_OK) s = gp_control_labels(y, NULL, n, 3, 2, f);
    return s;
}

static void split_should_fail_cleanly_at_every_allocation(void **state) {
    (void)state;
    const int64_t sizes[] = {10, 6, 4};
    int64_t n;
    int32_t *y = make_labels(sizes, 3, &n);
    uint8_t t[20];
    int32_t f[20];
    oom_arm(0);
    CHECK_OK(run_all(y, n, t, f));
    long total = oom_calls();
    assert_true(total >= 3);
    assert_int_equal(oom_live(), 0);
    for (long fail_at = 1; fail_at <= total; fail_at++) {
        oom_arm(fail_at);
        gp_status s = run_all(y, n, t, f);
        if (s != GP_ENOMEM || !strstr(gp_last_error(), "out of memory"))
            fail_msg("allocation %ld of %ld: status %d (%s)", fail_at, total, (int)s,
                     gp_last_error());
        if (oom_live() != 0) fail_msg("allocation %ld: %ld blocks leaked", fail_at, oom_live());
    }
    oom_disarm();
    free(y);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_should_stratify_every_class),
        cmocka_unit_test(split_should_be_deterministic_per_seed),
        cmocka_unit_test(split_should_refuse_what_it_cannot_split),
        cmocka_unit_test(kfold_should_balance_folds_and_classes),
        cmocka_unit_test(kfold_should_refuse_too_few_rows),
        cmocka_unit_test(control_labels_should_follow_types_and_the_class_distribution),
        cmocka_unit_test(control_labels_should_refuse_bad_input),
        cmocka_unit_test(split_should_fail_cleanly_at_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
