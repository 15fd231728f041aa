/* test_safetensors.c — .safetensors reading, validation and writing.
 * Fixtures come from tests/fixtures_safetensors.py (see its docstring). */
#include "gp_test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const MODEL_NAMES[] = {
    "i64", "f64", "hidden_states", "model.layers.0", "model.layers.12",
    "i32", "bf16", "f16", "mask",
};
static const gp_dtype MODEL_DTYPES[] = {
    GP_DTYPE_I64, GP_DTYPE_F64, GP_DTYPE_F32, GP_DTYPE_F32, GP_DTYPE_F32,
    GP_DTYPE_I32, GP_DTYPE_BF16, GP_DTYPE_F16, GP_DTYPE_BOOL,
};
static const int64_t MODEL_SHAPES[][3] = {
    {2, 2, -1}, {2, 3, -1}, {3, 4, 6}, {4, 6, -1}, {4, 6, -1},
    {5, -1, -1}, {4, 5, -1}, {3, 4, -1}, {4, -1, -1},
};

static void test_listing(void **state) {
    (void)state;
    gp_file *f = NULL;
    CHECK_OK(gp_file_open(fixture("safetensors/model.safetensors"), &f));
    assert_int_equal(gp_file_format(f), GP_FORMAT_SAFETENSORS);
    assert_int_equal(gp_file_n_tensors(f), 9);
    for (int i = 0; i < 9; i++) {
        assert_string_equal(gp_file_tensor_name(f, i), MODEL_NAMES[i]);
        assert_int_equal(gp_file_tensor_dtype(f, i), MODEL_DTYPES[i]);
        int nd = 0;
        while (nd < 3 && MODEL_SHAPES[i][nd] >= 0) nd++;
        assert_int_equal(gp_file_tensor_ndim(f, i), nd);
        for (int k = 0; k < nd; k++)
            assert_int_equal(gp_file_tensor_dim(f, i, k), MODEL_SHAPES[i][k]);
        assert_int_equal(gp_file_find_tensor(f, MODEL_NAMES[i]), i);
    }
    assert_int_equal(gp_file_find_tensor(f, "model.layers.1"), -1);
    assert_null(gp_file_tensor_name(f, 9));
    const char *meta = gp_file_metadata_json(f);
    assert_non_null(strstr(meta, "\"model\":\"stories260K\""));
    assert_non_null(strstr(meta, "\"format\":\"pt\""));
    gp_file_close(f);
}

static void test_single_and_misaligned_listing(void **state) {
    (void)state;
    gp_file *f = NULL;
    CHECK_OK(gp_file_open(fixture("safetensors/single.safetensors"), &f));
    assert_int_equal(gp_file_n_tensors(f), 1);
    assert_string_equal(gp_file_tensor_name(f, 0), "acts");
    assert_string_equal(gp_file_metadata_json(f), "{}");
    gp_file_close(f);
    CHECK_OK(gp_file_open(fixture("safetensors/misaligned.safetensors"), &f));
    assert_int_equal(gp_file_n_tensors(f), 2);
    assert_int_equal(gp_file_tensor_dtype(f, 0), GP_DTYPE_U8);
    assert_int_equal(gp_file_tensor_dtype(f, 1), GP_DTYPE_F32);
    gp_file_close(f);
}

/* Each corrupt fixture: the status and a phrase the message must contain. */
static const struct {
    const char *file;
    gp_status status;
    const char *phrase;
} BAD[] = {
    {"bad_header_len", GP_EFORMAT, "header length 10000 exceeds file size"},
    {"bad_truncated", GP_EFORMAT, "data_offsets end 48 beyond the 20-byte data buffer"},
    {"bad_json", GP_EFORMAT, "header is not valid JSON near byte"},
    {"bad_not_object", GP_EFORMAT, "safetensors"},
    {"bad_trailing", GP_EFORMAT, "not valid JSON"},
    {"bad_utf8", GP_EFORMAT, "not valid UTF-8"},
    {"bad_entry", GP_EFORMAT, "tensor 'x': entry is not a JSON object"},
    {"bad_no_dtype", GP_EFORMAT, "\"dtype\""},
    {"bad_no_shape", GP_EFORMAT, "\"shape\""},
    {"bad_no_offsets", GP_EFORMAT, "\"data_offsets\""},
    {"bad_dtype", GP_EDTYPE, "dtype F8_E4M3 is not supported"},
    {"bad_overlap", GP_EFORMAT, "tensors 'x' (bytes 0..48) and 'y' (bytes 40..48) overlap"},
    {"bad_range", GP_EFORMAT, "data_offsets end 448 beyond the 48-byte data buffer"},
    {"bad_end_before_begin", GP_EFORMAT, "end 0 is before begin 48"},
    {"bad_span", GP_EFORMAT,
     "tensor 'x': data_offsets span 20 bytes but shape [3, 4] F32 needs 48"},
    {"bad_negative_dim", GP_EFORMAT, "shape[0] is -1, not a non-negative integer"},
    {"bad_fraction_dim", GP_EFORMAT, "shape[0] is 1.5"},
    {"bad_too_many_dims", GP_EFORMAT, "9 dimensions"},
    {"bad_overflow", GP_EFORMAT, "too large"},
    {"bad_duplicate", GP_EFORMAT, "tensor name 'x' appears twice"},
    {"bad_meta_value", GP_EFORMAT, "__metadata__ value for 'step' is not a string"},
    {"bad_meta_type", GP_EFORMAT, "__metadata__ is not a JSON object"},
    {"bad_empty", GP_EFORMAT, "empty file"},
    {"bad_only_len", GP_EFORMAT, "safetensors"}, /* file.c decides */
};

static void test_bad_files(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "safetensors/%s.safetensors", BAD[i].file);
        const char *path = fixture(name);
        gp_file *f = (gp_file *)1;
        CHECK_FAILS(gp_file_open(path, &f), BAD[i].status, BAD[i].phrase);
        assert_null(f);
        if (!strstr(gp_last_error(), path))
            fail_msg("%s: message \"%s\" does not name the file", path, gp_last_error());
    }
}

/* Load spec as float32 and compare bit for bit with a fixture .bin. */
static gp_tensor *load_and_compare(const char *spec, const char *bin) {
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(spec, GP_DTYPE_F32, &t));
    assert_int_equal(gp_tensor_dtype(t), GP_DTYPE_F32);
    size_t len = 0;
    void *want = read_raw(fixture(bin), &len);
    assert_int_equal((size_t)gp_tensor_numel(t) * 4, len);
    if (memcmp(gp_tensor_data(t), want, len) != 0) fail_msg("%s differs from %s", spec, bin);
    free(want);
    return t;
}

static char *spec_of(const char *file, const char *suffix) {
    static char buf[4][4200];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof buf[0], "%s%s", fixture(file), suffix);
    return b;
}

static void test_values(void **state) {
    (void)state;
    static const struct {
        const char *name, *bin;
        gp_dtype stored;
    } V[] = {
        {"model.layers.0", "safetensors/model_layers_0.bin", GP_DTYPE_F32},
        {"hidden_states", "safetensors/hidden_states.bin", GP_DTYPE_F32},
        {"f16", "safetensors/f16.bin", GP_DTYPE_F16},
        {"bf16", "safetensors/bf16.bin", GP_DTYPE_BF16},
        {"f64", "safetensors/f64.bin", GP_DTYPE_F64},
        {"i64", "safetensors/i64.bin", GP_DTYPE_I64},
        {"i32", "safetensors/i32.bin", GP_DTYPE_I32},
    };
    for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) {
        char suffix[64];
        snprintf(suffix, sizeof suffix, ":%s", V[i].name);
        gp_tensor *t = load_and_compare(spec_of("safetensors/model.safetensors", suffix),
                                        V[i].bin);
        assert_int_equal(gp_tensor_stored_dtype(t), V[i].stored);
        assert_string_equal(gp_tensor_name(t), V[i].name);
        gp_tensor_free(t);
    }
}

static void test_zero_copy(void **state) {
    (void)state;
    gp_tensor *t = load_and_compare(spec_of("safetensors/model.safetensors",
                                            ":model.layers.12"),
                                    "safetensors/model_layers_12.bin");
    assert_int_equal(gp_tensor_is_mapped(t), 1);
    assert_int_equal(gp_tensor_ndim(t), 2);
    assert_int_equal(gp_tensor_dim(t, 0), 4);
    assert_int_equal(gp_tensor_dim(t, 1), 6);
    gp_tensor_free(t);
}

static void test_layer_select(void **state) {
    (void)state;
    gp_tensor *t = load_and_compare(spec_of("safetensors/model.safetensors",
                                            ":hidden_states@1"),
                                    "safetensors/hidden_states_1.bin");
    assert_int_equal(gp_tensor_ndim(t), 2);
    assert_int_equal(gp_tensor_dim(t, 0), 4);
    assert_int_equal(gp_tensor_dim(t, 1), 6);
    assert_int_equal(gp_tensor_layer(t), 1);
    gp_tensor_free(t);
}

static void test_missing_name(void **state) {
    (void)state;
    gp_tensor *t = NULL;
    const char *spec = spec_of("safetensors/model.safetensors", ":model.layers.1");
    gp_status s = gp_tensor_load(spec, GP_DTYPE_F32, &t);
    assert_int_not_equal(s, GP_OK);
    assert_null(t);
    const char *msg = gp_last_error();
    if (!strstr(msg, "model.layers.1") || !strstr(msg, "model.layers.12") ||
        !strstr(msg, "hidden_states") || !strstr(msg, "model.safetensors"))
        fail_msg("message \"%s\" should name the file, the tensor and those that exist", msg);
}

static void test_single_no_name_and_misaligned(void **state) {
    (void)state;
    gp_tensor *t = load_and_compare(fixture("safetensors/single.safetensors"),
                                    "safetensors/single.bin");
    gp_tensor_free(t);
    t = load_and_compare(spec_of("safetensors/misaligned.safetensors", ":x"),
                         "safetensors/misaligned_x.bin");
    assert_int_equal(gp_tensor_is_mapped(t), 0);
    gp_tensor_free(t);
}

/* ---- writer ---- */

static char tmpdir[256];

static int make_tmpdir(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gp_st_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* Remove the files in tmpdir, then tmpdir; returns how many files there were. */
static int clean_tmpdir(void) {
    int n = 0;
    DIR *d = opendir(tmpdir);
    if (!d) return -1;
    struct dirent *e;
    char p[600];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
        n++;
    }
    closedir(d);
    rmdir(tmpdir);
    return n;
}

static int remove_tmpdir(void **state) {
    (void)state;
    clean_tmpdir();
    return 0;
}

static const char *tmp_path(const char *name) {
    static char buf[2][600];
    static int next;
    char *b = buf[next++ % 2];
    snprintf(b, sizeof buf[0], "%s/%s", tmpdir, name);
    return b;
}

static void test_write_roundtrip(void **state) {
    (void)state;
    float w[6] = {1.5f, -2.0f, 3.25f, 0.0f, -0.0f, 1e-30f};
    double bias = -0.125;
    uint16_t h[3] = {0x3C00, 0xC000, 0x7BFF};
    uint8_t m[5] = {1, 0, 1, 1, 0};
    gp_named_tensor ts[5] = {
        {.name = "weight", .dtype = GP_DTYPE_F32, .ndim = 2, .shape = {2, 3}, .data = w},
        {.name = "bias", .dtype = GP_DTYPE_F64, .ndim = 0, .data = &bias},
        {.name = "mask", .dtype = GP_DTYPE_BOOL, .ndim = 1, .shape = {5}, .data = m},
        {.name = "empty", .dtype = GP_DTYPE_F32, .ndim = 2, .shape = {0, 4}, .data = NULL},
        {.name = "half", .dtype = GP_DTYPE_F16, .ndim = 1, .shape = {3}, .data = h},
    };
    const char *keys[] = {"method", "note"};
    const char *vals[] = {"logistic", "quote \" and \xc3\xbc"};
    const char *path = tmp_path("probe.safetensors");
    CHECK_OK(gp_safetensors_write(path, 5, ts, 2, keys, vals));

    /* Layout: the data buffer starts 8-byte aligned, tensors dense. */
    size_t len = 0;
    unsigned char *raw = read_raw(path, &len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | raw[i];
    assert_int_equal((8 + n) % 8, 0);
    assert_int_equal(len, 8 + n + sizeof w + sizeof bias + sizeof m + sizeof h);
    assert_memory_equal(raw + 8 + n, w, sizeof w);
    assert_memory_equal(raw + 8 + n + sizeof w + sizeof bias, m, sizeof m);
    assert_memory_equal(raw + len - sizeof h, h, sizeof h);
    free(raw);

    gp_file *f = NULL;
    CHECK_OK(gp_file_open(path, &f));
    assert_int_equal(gp_file_n_tensors(f), 5);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(gp_file_tensor_name(f, i), ts[i].name);
        assert_int_equal(gp_file_tensor_dtype(f, i), ts[i].dtype);
        assert_int_equal(gp_file_tensor_ndim(f, i), ts[i].ndim);
        for (int k = 0; k < ts[i].ndim; k++)
            assert_int_equal(gp_file_tensor_dim(f, i, k), ts[i].shape[k]);
    }
    assert_string_equal(gp_file_metadata_json(f),
                        "{\"method\":\"logistic\",\"note\":\"quote \\\" and \xc3\xbc\"}");
    gp_file_close(f);

    /* Values through the loader: the f32 tensor in place, the others exact. */
    char spec[700];
    gp_tensor *t = NULL;
    snprintf(spec, sizeof spec, "%s:weight", path);
    CHECK_OK(gp_tensor_load(spec, GP_DTYPE_F32, &t));
    assert_int_equal(gp_tensor_is_mapped(t), 1);
    assert_memory_equal(gp_tensor_data(t), w, sizeof w);
    gp_tensor_free(t);
    snprintf(spec, sizeof spec, "%s:bias", path);
    CHECK_OK(gp_tensor_load(spec, GP_DTYPE_ANY, &t));
    assert_int_equal(gp_tensor_ndim(t), 0);
    assert_memory_equal(gp_tensor_data(t), &bias, sizeof bias);
    gp_tensor_free(t);
    snprintf(spec, sizeof spec, "%s:half", path);
    CHECK_OK(gp_tensor_load(spec, GP_DTYPE_F32, &t));
    const float *hf = gp_tensor_data(t);
    assert_true(hf[0] == 1.0f && hf[1] == -2.0f && hf[2] == 65504.0f);
    gp_tensor_free(t);
    assert_int_equal(clean_tmpdir() >= 0 ? 0 : 1, 0);
    make_tmpdir(NULL);
}

static void test_write_nothing(void **state) {
    (void)state;
    const char *path = tmp_path("empty.safetensors");
    CHECK_OK(gp_safetensors_write(path, 0, NULL, 0, NULL, NULL));
    gp_file *f = NULL;
    CHECK_OK(gp_file_open(path, &f));
    assert_int_equal(gp_file_n_tensors(f), 0);
    assert_string_equal(gp_file_metadata_json(f), "{}");
    assert_int_equal(gp_file_size(f), 16); /* 8 + "{}" padded to 8 */
    gp_file_close(f);
}

static void test_write_rejects(void **state) {
    (void)state;
    float x[4] = {1, 2, 3, 4};
    const char *path = tmp_path("bad.safetensors");
    const gp_named_tensor good = {.name = "x", .dtype = GP_DTYPE_F32, .ndim = 1,
                                  .shape = {4}, .data = x};
    const gp_named_tensor twice[2] = {good, good};
    CHECK_FAILS(gp_safetensors_write(path, 2, twice, 0, NULL, NULL), GP_EINVAL,
                "tensor name 'x' given twice");

    gp_named_tensor t = good;
    t.name = NULL;
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL,
                "name of tensor 0 is NULL");
    t = good;
    t.name = "__metadata__";
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL, "reserved");
    t = good;
    t.dtype = GP_DTYPE_ANY;
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL, "invalid dtype");
    t.dtype = (gp_dtype)99;
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL, "invalid dtype");
    t = good;
    t.ndim = GP_MAX_DIMS + 1;
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL, "ndim 9");
    t.ndim = -1;
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL, "ndim -1");
    t = good;
    t.shape[0] = -4;
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL,
                "shape[0] is negative");
    t = good;
    t.ndim = 3;
    t.shape[0] = t.shape[1] = t.shape[2] = (int64_t)1 << 40;
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL, "too large");
    t = good;
    t.data = NULL;
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL, "data is NULL");
    t = good;
    t.name = "bad\xff";
    CHECK_FAILS(gp_safetensors_write(path, 1, &t, 0, NULL, NULL), GP_EINVAL, "UTF-8");
    CHECK_FAILS(gp_safetensors_write(path, -1, NULL, 0, NULL, NULL), GP_EINVAL, "n_tensors");
    CHECK_FAILS(gp_safetensors_write(path, 1, NULL, 0, NULL, NULL), GP_EINVAL, "n_tensors");
    CHECK_FAILS(gp_safetensors_write(path, 1, &good, 1, NULL, NULL), GP_EINVAL, "n_meta");
    CHECK_FAILS(gp_safetensors_write(NULL, 1, &good, 0, NULL, NULL), GP_EINVAL, "path");
    const char *keys[] = {"a", "a"}, *vals[] = {"1", NULL}, *vals2[] = {"1", "2"};
    CHECK_FAILS(gp_safetensors_write(path, 1, &good, 2, keys, vals), GP_EINVAL,
                "metadata value 1 is NULL");
    CHECK_FAILS(gp_safetensors_write(path, 1, &good, 2, keys, vals2), GP_EINVAL,
                "metadata key 'a' given twice");
    /* Every message names the output file; none of it was written. */
    assert_non_null(strstr(gp_last_error(), path));
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
}

static void test_write_atomic(void **state) {
    (void)state;
    float x[2] = {1, 2};
    gp_named_tensor t = {.name = "x", .dtype = GP_DTYPE_F32, .ndim = 1, .shape = {2},
                         .data = x};
    const char *missing = tmp_path("no/such/dir/out.safetensors");
    CHECK_FAILS(gp_safetensors_write(missing, 1, &t, 0, NULL, NULL), GP_EIO,
                "out.safetensors");

    /* A failed rewrite leaves the old file intact, and a good one leaves no
     * temporary file behind. */
    const char *path = tmp_path("keep.safetensors");
    CHECK_OK(gp_safetensors_write(path, 1, &t, 0, NULL, NULL));
    size_t len0 = 0, len1 = 0;
    void *before = read_raw(path, &len0);
    gp_named_tensor bad = t;
    bad.data = NULL;
    CHECK_FAILS(gp_safetensors_write(path, 1, &bad, 0, NULL, NULL), GP_EINVAL, "data is NULL");
    void *after = read_raw(path, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    free(before);
    free(after);
    assert_int_equal(clean_tmpdir(), 1);
    make_tmpdir(NULL);
}

/* Corrupt a good file byte by byte and cut it short at many lengths: every
 * variant must open or fail cleanly (run under ASan to see overreads). */
static void test_mutations(void **state) {
    (void)state;
    size_t len = 0;
    unsigned char *good = read_raw(fixture("safetensors/model.safetensors"), &len);
    unsigned char *buf = malloc(len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | good[i];
    const char *path = tmp_path("mut.safetensors");
    static const unsigned char vals[] = {'9', '}', '"', 0xff, '-', 0};
    int opened = 0, failed = 0;
    for (size_t pos = 0; pos < 8 + n + 16 && pos < len; pos++) {
        for (size_t v = 0; v < sizeof vals; v++) {
            size_t cut = (pos * 7 + v) % 5 == 0 ? pos + v : len; /* some truncated too */
            memcpy(buf, good, len);
            buf[pos] = vals[v];
            FILE *fp = fopen(path, "wb");
            assert_non_null(fp);
            assert_int_equal(fwrite(buf, 1, cut, fp), cut);
            fclose(fp);
            gp_file *f = NULL;
            gp_status s = gp_file_open(path, &f);
            if (s == GP_OK) {
                assert_non_null(f);
                opened++;
            } else {
                assert_true(s < 0);
                assert_null(f);
                assert_non_null(strstr(gp_last_error(), path));
                failed++;
            }
            gp_file_close(f);
        }
    }
    assert_true(opened > 0 && failed > 0);
    free(good);
    free(buf);
}

/* Let k = 0, 1, ... allocations succeed and fail every later one, until the
 * call succeeds: every failure must be GP_ENOMEM and leak nothing (ASan
 * checks leaks). */
static void test_alloc_failures(void **state) {
    (void)state;
    float x[3] = {1, 2, 3};
    gp_named_tensor ts[2] = {
        {.name = "a", .dtype = GP_DTYPE_F32, .ndim = 1, .shape = {3}, .data = x},
        {.name = "b", .dtype = GP_DTYPE_F32, .ndim = 1, .shape = {2}, .data = x},
    };
    const char *keys[] = {"k"}, *vals[] = {"v"};
    const char *out = tmp_path("alloc.safetensors");
    const char *in = fixture("safetensors/model.safetensors");
    for (int which = 0; which < 2; which++) {
        gp_status s = GP_ENOMEM;
        for (int k = 0; k < 1000 && s != GP_OK; k++) {
            gp_file *f = NULL;
            oom_arm_from(k + 1);
            s = which == 0 ? gp_file_open(in, &f)
                           : gp_safetensors_write(out, 2, ts, 1, keys, vals);
            oom_disarm();
            if (s != GP_OK && s != GP_ENOMEM)
                fail_msg("k=%d: %d %s", k, (int)s, gp_last_error());
            gp_file_close(f);
        }
        assert_int_equal(s, GP_OK);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listing),
        cmocka_unit_test(test_single_and_misaligned_listing),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_layer_select),
        cmocka_unit_test(test_missing_name),
        cmocka_unit_test(test_single_no_name_and_misaligned),
        cmocka_unit_test_setup_teardown(test_write_roundtrip, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_write_nothing, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_write_rejects, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_write_atomic, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_mutations, make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_alloc_failures, make_tmpdir, remove_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
