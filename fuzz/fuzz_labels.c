/* fuzz_labels.c — libFuzzer harness for the label readers. The first
 * input byte picks the reader (modulo 6: y.npy, y.txt, y.csv with no
 * column, y.csv:label, y.csv:1, y.json); the rest is the file. Every
 * result is checked against the API's promises: ids in 0..k-1, every class
 * used, names present, numeric values finite. Seeds: fuzz/corpus/labels
 * (each file starts with its selector byte). */
#include "fuzz_common.h"

static const struct {
    const char *file, *suffix;
} READERS[] = {
    {"y.npy", ""}, {"y.txt", ""}, {"y.csv", ""}, {"y.csv", ":label"}, {"y.csv", ":1"},
    {"y.json", ""},
};
#define N_READERS (sizeof READERS / sizeof READERS[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t r = data[0] % N_READERS;
    const char *path = fuzz_write_file(READERS[r].file, data + 1, size - 1);
    if (!path) return 0;
    char spec[600];
    snprintf(spec, sizeof spec, "%s%s", path, READERS[r].suffix);
    gp_labels *l = (gp_labels *)1;
    gp_status s = gp_labels_load(spec, &l);
    if (s != GP_OK) {
        fuzz_check_failure(s);
        FUZZ_ASSERT(l == NULL);
        return 0;
    }
    int64_t n = gp_labels_n(l);
    int32_t k = gp_labels_n_classes(l);
    FUZZ_ASSERT(n > 0 && k >= 1 && k <= n);
    const int32_t *ids = gp_labels_ids(l);
    FUZZ_ASSERT(ids != NULL);
    unsigned char *seen = calloc((size_t)k, 1);
    FUZZ_ASSERT(seen != NULL);
    for (int64_t i = 0; i < n; i++) {
        FUZZ_ASSERT(ids[i] >= 0 && ids[i] < k);
        seen[ids[i]] = 1;
    }
    for (int32_t c = 0; c < k; c++) {
        FUZZ_ASSERT(seen[c]);
        const char *name = gp_labels_class_name(l, c);
        FUZZ_ASSERT(name != NULL);
        (void)strlen(name);
        if (c > 0 && !gp_labels_is_numeric(l))   /* strings: sorted and distinct */
            FUZZ_ASSERT(strcmp(gp_labels_class_name(l, c - 1), name) < 0);
    }
    free(seen);
    FUZZ_ASSERT(gp_labels_class_name(l, k) == NULL && gp_labels_class_name(l, -1) == NULL);
    if (gp_labels_is_numeric(l)) {
        const double *v = gp_labels_values(l);
        FUZZ_ASSERT(v != NULL);
        for (int64_t i = 0; i < n; i++) FUZZ_ASSERT(v[i] - v[i] == 0);   /* finite */
        /* equal values, equal ids */
        for (int64_t i = 1; i < n; i++)
            FUZZ_ASSERT((v[i] == v[0]) == (ids[i] == ids[0]));
    } else {
        FUZZ_ASSERT(gp_labels_values(l) == NULL);
    }
    FUZZ_ASSERT(strcmp(gp_labels_path(l), spec) == 0);
    gp_labels_free(l);
    return 0;
}
