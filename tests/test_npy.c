/* test_npy.c — the .npy reader (through gp_file_open / gp_tensor_load) and
 * gp_npy_write. Fixtures come from tests/fixtures_npy.py: valid files written
 * by numpy with a .bin of the expected float32 values, and one bad file per
 * defect the reader must report. */
#include "gp_test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Valid files: directory entries                                     */
/* ------------------------------------------------------------------ */

typedef struct valid_case {
    const char *name;
    gp_dtype dtype;
    int ndim;
    int64_t shape[GP_MAX_DIMS];
} valid_case;

static const valid_case VALID[] = {
    {"f4_2d", GP_DTYPE_F32, 2, {3, 4}},
    {"f4_1d", GP_DTYPE_F32, 1, {5}},
    {"f4_3d", GP_DTYPE_F32, 3, {4, 3, 5}},
    {"f4_fortran", GP_DTYPE_F32, 2, {3, 4}},
    {"f4_be", GP_DTYPE_F32, 2, {3, 4}},
    {"f4_empty", GP_DTYPE_F32, 2, {0, 4}},
    {"f4_scalar", GP_DTYPE_F32, 0, {0}},
    {"f4_v2", GP_DTYPE_F32, 2, {3, 4}},
    {"f4_v3", GP_DTYPE_F32, 2, {3, 4}},
    {"f8", GP_DTYPE_F64, 2, {4, 3}},
    {"f8_be", GP_DTYPE_F64, 2, {2, 3}},
    {"f2_special", GP_DTYPE_F16, 2, {2, 8}},
    {"i4", GP_DTYPE_I32, 1, {4}},
    {"i8", GP_DTYPE_I64, 2, {2, 2}},
    {"i2", GP_DTYPE_I16, 1, {3}},
    {"i1", GP_DTYPE_I8, 1, {3}},
    {"u1", GP_DTYPE_U8, 1, {3}},
    {"u2", GP_DTYPE_U16, 1, {3}},
    {"u4", GP_DTYPE_U32, 1, {2}},
    {"u8", GP_DTYPE_U64, 1, {2}},
    {"bool", GP_DTYPE_BOOL, 1, {4}},
    {"bf16", GP_DTYPE_BF16, 2, {3, 4}},
    {"bf16_le", GP_DTYPE_BF16, 2, {3, 4}},
    {"quirky", GP_DTYPE_F32, 2, {3, 4}},
    {"py2long", GP_DTYPE_F32, 2, {3, 4}},
    {"trailing", GP_DTYPE_F32, 2, {3, 4}},
};
#define N_VALID (sizeof VALID / sizeof VALID[0])

static const char *npy_path(const char *name) {
    static char buf[4096];
    char rel[256];
    snprintf(rel, sizeof rel, "npy/%s.npy", name);
    snprintf(buf, sizeof buf, "%s", fixture(rel));
    return buf;
}

static void test_valid_directory(void **state) {
    (void)state;
    for (size_t k = 0; k < N_VALID; k++) {
        const valid_case *c = &VALID[k];
        gp_file *f = NULL;
        CHECK_OK(gp_file_open(npy_path(c->name), &f));
        assert_int_equal(gp_file_format(f), GP_FORMAT_NPY);
        assert_int_equal(gp_file_n_tensors(f), 1);
        assert_string_equal(gp_file_tensor_name(f, 0), "");
        assert_string_equal(gp_file_metadata_json(f), "{}");
        if (gp_file_tensor_dtype(f, 0) != c->dtype || gp_file_tensor_ndim(f, 0) != c->ndim)
            fail_msg("%s: dtype %d ndim %d, want %d %d", c->name, gp_file_tensor_dtype(f, 0),
                     gp_file_tensor_ndim(f, 0), c->dtype, c->ndim);
        for (int a = 0; a < c->ndim; a++)
            if (gp_file_tensor_dim(f, 0, a) != c->shape[a])
                fail_msg("%s: dim %d is %lld, want %lld", c->name, a,
                         (long long)gp_file_tensor_dim(f, 0, a), (long long)c->shape[a]);
        /* Out-of-range queries answer the documented sentinels. */
        assert_int_equal(gp_file_tensor_dim(f, 0, c->ndim), -1);
        assert_int_equal(gp_file_tensor_ndim(f, 1), -1);
        assert_int_equal(gp_file_find_tensor(f, ""), 0);
        gp_file_close(f);
    }
}

/* ------------------------------------------------------------------ */
/* Valid files: values through gp_tensor_load                         */
/* ------------------------------------------------------------------ */

/* Load spec as float32 and compare bit-exactly with `count` floats of the
 * .bin starting at element `skip`. */
static void expect_values(const char *spec, const char *bin_name, size_t skip,
                          size_t count) {
    char rel[256];
    snprintf(rel, sizeof rel, "npy/%s.bin", bin_name);
    size_t len = 0;
    unsigned char *want = read_raw(fixture(rel), &len);
    if ((skip + count) * 4 > len) fail_msg("%s: .bin has %zu bytes", bin_name, len);
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(spec, GP_DTYPE_F32, &t));
    assert_int_equal(gp_tensor_dtype(t), GP_DTYPE_F32);
    if ((size_t)gp_tensor_numel(t) != count)
        fail_msg("%s: numel %lld, want %zu", spec, (long long)gp_tensor_numel(t), count);
    const unsigned char *got = gp_tensor_data(t);
    for (size_t i = 0; i < count; i++)
        if (memcmp(got + 4 * i, want + 4 * (skip + i), 4) != 0) {
            uint32_t g, w;
            memcpy(&g, got + 4 * i, 4);
            memcpy(&w, want + 4 * (skip + i), 4);
            fail_msg("%s: element %zu is 0x%08x, want 0x%08x", spec, i, g, w);
        }
    gp_tensor_free(t);
    free(want);
}

static void test_values(void **state) {
    (void)state;
    for (size_t k = 0; k < N_VALID; k++) {
        const valid_case *c = &VALID[k];
        /* trailing has no .bin; bool is labels, not activations (below) */
        if (strcmp(c->name, "trailing") == 0 || strcmp(c->name, "bool") == 0) continue;
        size_t numel = 1;
        for (int a = 0; a < c->ndim; a++) numel *= (size_t)c->shape[a];
        expect_values(npy_path(c->name), c->name, 0, numel);
    }
}

static void test_stored_dtype_kept(void **state) {
    (void)state;
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(npy_path("f8_be"), GP_DTYPE_ANY, &t));
    assert_int_equal(gp_tensor_dtype(t), GP_DTYPE_F64);
    assert_int_equal(gp_tensor_stored_dtype(t), GP_DTYPE_F64);
    gp_tensor_free(t);
    CHECK_OK(gp_tensor_load(npy_path("bf16"), GP_DTYPE_F32, &t));
    assert_int_equal(gp_tensor_stored_dtype(t), GP_DTYPE_BF16);
    gp_tensor_free(t);
    CHECK_OK(gp_tensor_load(npy_path("bool"), GP_DTYPE_ANY, &t));
    assert_int_equal(gp_tensor_dtype(t), GP_DTYPE_BOOL);
    assert_memory_equal(gp_tensor_data(t), "\1\0\1\1", 4);
    gp_tensor_free(t);
}

static void test_mapped_only_when_possible(void **state) {
    (void)state;
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(npy_path("f4_2d"), GP_DTYPE_F32, &t));
    assert_int_equal(gp_tensor_is_mapped(t), 1);
    gp_tensor_free(t);
    CHECK_OK(gp_tensor_load(npy_path("f4_fortran"), GP_DTYPE_F32, &t));
    assert_int_equal(gp_tensor_is_mapped(t), 0);
    gp_tensor_free(t);
    CHECK_OK(gp_tensor_load(npy_path("f4_be"), GP_DTYPE_F32, &t));
    assert_int_equal(gp_tensor_is_mapped(t), 0);
    gp_tensor_free(t);
}

static void test_layer_slice(void **state) {
    (void)state;
    char spec[4200];
    for (int layer = 0; layer < 4; layer++) {
        snprintf(spec, sizeof spec, "%s@%d", npy_path("f4_3d"), layer);
        gp_tensor *t = NULL;
        CHECK_OK(gp_tensor_load(spec, GP_DTYPE_F32, &t));
        assert_int_equal(gp_tensor_ndim(t), 2);
        assert_int_equal(gp_tensor_dim(t, 0), 3);
        assert_int_equal(gp_tensor_dim(t, 1), 5);
        assert_int_equal(gp_tensor_layer(t), layer);
        gp_tensor_free(t);
        expect_values(spec, "f4_3d", (size_t)layer * 15, 15);
    }
}

/* ------------------------------------------------------------------ */
/* Bad files                                                          */
/* ------------------------------------------------------------------ */

typedef struct bad_case {
    const char *name;
    gp_status status;
    const char *sub;
} bad_case;

static const bad_case BAD[] = {
    {"empty", GP_EFORMAT, "empty file"},
    {"five", GP_EFORMAT, "truncated"},
    {"short_preamble", GP_EFORMAT, "truncated header: 9 bytes"},
    {"trunc_header", GP_EFORMAT, "truncated header: declares 118 bytes, file has 20"},
    {"trunc_data", GP_EFORMAT,
     "truncated data: shape (3, 4) float32 needs 48 bytes, file holds 20"},
    {"huge_shape", GP_EFORMAT, "needs 4398046511104 bytes, file holds 64"},
    {"overflow", GP_ESHAPE, "shape (1099511627776, 1099511627776) float32 overflows"},
    {"dim_overflow", GP_ESHAPE, "overflows 64 bits"},
    {"c8", GP_EDTYPE, "unsupported dtype '<c8' (geoprobe reads float32"},
    {"structured", GP_EDTYPE, "structured"},
    {"unicode", GP_EDTYPE, "unsupported dtype '<U5'"},
    {"bytes", GP_EDTYPE, "unsupported dtype '|S3'"},
    {"object", GP_EDTYPE, "unsupported dtype '|O'"},
    {"f16_pipe", GP_EDTYPE, "unsupported dtype '|f4'"},
    {"version4", GP_EFORMAT, "unsupported .npy format version 4.0"},
    {"garbage", GP_EFORMAT, "malformed header"},
    {"negdim", GP_EFORMAT, "negative dimension"},
    {"missing_key", GP_EFORMAT, "missing key 'fortran_order'"},
    {"extra_key", GP_EFORMAT, "unexpected or repeated key 'x'"},
    {"bad_fortran", GP_EFORMAT, "'fortran_order' is not True or False"},
    {"unterminated", GP_EFORMAT, "malformed header"},
    {"text_after", GP_EFORMAT, "text after the closing"},
    {"nine_dims", GP_ESHAPE, "too many dimensions"},
    {"v2_huge_hlen", GP_EFORMAT, "truncated header: declares 4294967280 bytes"},
};

static void test_bad_files(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
        const bad_case *c = &BAD[k];
        const char *path = npy_path(c->name);
        gp_file *f = (gp_file *)&f;          /* must come back NULL */
        CHECK_FAILS(gp_file_open(path, &f), c->status, c->sub);
        if (f) fail_msg("%s: out-param not NULL on failure", c->name);
        if (!strstr(gp_last_error(), path))
            fail_msg("%s: message \"%s\" does not name the file", c->name, gp_last_error());
        /* The loader reports the same problem. */
        gp_tensor *t = NULL;
        CHECK_FAILS(gp_tensor_load(path, GP_DTYPE_F32, &t), c->status, c->sub);
        assert_null(t);
    }
}

/* ------------------------------------------------------------------ */
/* Writer                                                             */
/* ------------------------------------------------------------------ */

static char tmpdir[64];

static int setup_tmp(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gp_test_npy_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state) {
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') {
                snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

static const char *tmp_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
    return buf;
}

/* Number of entries in tmpdir whose name contains sub. */
static int count_files(const char *sub) {
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && strstr(e->d_name, sub)) n++;
    if (d) closedir(d);
    return n;
}

/* Write, reopen, compare directory and bytes; check numpy's header layout. */
static void round_trip(gp_dtype dt, int ndim, const int64_t *shape) {
    size_t numel = 1, size = gp_dtype_size(dt);
    for (int a = 0; a < ndim; a++) numel *= (size_t)shape[a];
    unsigned char *data = malloc(numel * size + 1);
    for (size_t i = 0; i < numel * size; i++) data[i] = (unsigned char)(i * 37 + 11);
    if (dt == GP_DTYPE_BOOL)
        for (size_t i = 0; i < numel; i++) data[i] &= 1;
    const char *path = tmp_path("rt.npy");
    CHECK_OK(gp_npy_write(path, dt, ndim, shape, data));

    size_t len = 0;
    unsigned char *raw = read_raw(path, &len);
    assert_true(len >= 10);
    assert_memory_equal(raw, "\x93NUMPY\x01\x00", 8);
    size_t hlen = raw[8] | (size_t)raw[9] << 8;
    size_t off = 10 + hlen;
    if (off % 64 != 0) fail_msg("%s: data at offset %zu, not 64-aligned", gp_dtype_name(dt), off);
    assert_int_equal(raw[off - 1], '\n');
    assert_int_equal(len, off + numel * size);
    assert_memory_equal(raw + off, data, numel * size);
    free(raw);

    gp_file *f = NULL;
    CHECK_OK(gp_file_open(path, &f));
    assert_int_equal(gp_file_tensor_dtype(f, 0), dt);
    assert_int_equal(gp_file_tensor_ndim(f, 0), ndim);
    for (int a = 0; a < ndim; a++) assert_int_equal(gp_file_tensor_dim(f, 0, a), shape[a]);
    gp_file_close(f);

    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(path, GP_DTYPE_ANY, &t));
    assert_int_equal(gp_tensor_dtype(t), dt);
    if (numel) assert_memory_equal(gp_tensor_data(t), data, numel * size);
    gp_tensor_free(t);
    free(data);
}

static void test_write_round_trip(void **state) {
    (void)state;
    static const gp_dtype all[] = {GP_DTYPE_F32, GP_DTYPE_F64, GP_DTYPE_F16, GP_DTYPE_BF16,
                                   GP_DTYPE_I64, GP_DTYPE_I32, GP_DTYPE_BOOL, GP_DTYPE_U8,
                                   GP_DTYPE_I8, GP_DTYPE_I16, GP_DTYPE_U16, GP_DTYPE_U32,
                                   GP_DTYPE_U64};
    const int64_t s2[] = {3, 4}, s1[] = {7}, s3[] = {2, 3, 5}, s0[] = {0, 4};
    const int64_t s8[GP_MAX_DIMS] = {2, 1, 3, 1, 2, 1, 1, 2};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        round_trip(all[k], 2, s2);
        round_trip(all[k], 1, s1);
    }
    round_trip(GP_DTYPE_F32, 3, s3);
    round_trip(GP_DTYPE_F32, 0, NULL);      /* 0-d scalar: one element */
    round_trip(GP_DTYPE_F32, 2, s0);        /* empty */
    round_trip(GP_DTYPE_F64, GP_MAX_DIMS, s8);
    assert_int_equal(count_files(".tmp."), 0);
}

static void test_write_header_text(void **state) {
    (void)state;
    const int64_t shape[] = {5};
    const float v[5] = {1, 2, 3, 4, 5};
    const char *path = tmp_path("hdr.npy");
    CHECK_OK(gp_npy_write(path, GP_DTYPE_F32, 1, shape, v));
    size_t len = 0;
    char *raw = read_raw(path, &len);
    const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }";
    assert_memory_equal(raw + 10, want, strlen(want));
    free(raw);
    CHECK_OK(gp_npy_write(path, GP_DTYPE_BF16, 1, shape, v));
    raw = read_raw(path, &len);
    assert_non_null(strstr(raw + 10, "'descr': '|V2'"));
    free(raw);
}

static void test_write_bad_args(void **state) {
    (void)state;
    const int64_t shape[] = {2, 3}, neg[] = {2, -3};
    const int64_t big[] = {INT64_MAX, INT64_MAX};
    float data[6] = {0};
    const char *p = tmp_path("bad.npy");
    CHECK_FAILS(gp_npy_write(NULL, GP_DTYPE_F32, 2, shape, data), GP_EINVAL, "file name");
    CHECK_FAILS(gp_npy_write(p, GP_DTYPE_ANY, 2, shape, data), GP_EINVAL, "dtype");
    CHECK_FAILS(gp_npy_write(p, (gp_dtype)99, 2, shape, data), GP_EINVAL, "dtype");
    CHECK_FAILS(gp_npy_write(p, GP_DTYPE_F32, -1, shape, data), GP_EINVAL, "ndim -1");
    CHECK_FAILS(gp_npy_write(p, GP_DTYPE_F32, GP_MAX_DIMS + 1, shape, data), GP_EINVAL, "ndim");
    CHECK_FAILS(gp_npy_write(p, GP_DTYPE_F32, 2, NULL, data), GP_EINVAL, "shape is NULL");
    CHECK_FAILS(gp_npy_write(p, GP_DTYPE_F32, 2, neg, data), GP_EINVAL, "negative dimension");
    CHECK_FAILS(gp_npy_write(p, GP_DTYPE_F32, 2, big, data), GP_EINVAL, "overflows");
    CHECK_FAILS(gp_npy_write(p, GP_DTYPE_F32, 2, shape, NULL), GP_EINVAL, "data is NULL");
    assert_int_equal(count_files("bad.npy"), 0);
    /* No data is needed when there are no elements. */
    const int64_t empty[] = {0, 3};
    CHECK_OK(gp_npy_write(p, GP_DTYPE_F32, 2, empty, NULL));
    assert_string_equal(gp_last_error(), "");
}

static void test_write_atomic(void **state) {
    (void)state;
    const int64_t shape[] = {2};
    const float a[2] = {1, 2}, b[2] = {3, 4};
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.npy", tmpdir);
    CHECK_FAILS(gp_npy_write(missing, GP_DTYPE_F32, 1, shape, a), GP_EIO, missing);
    struct stat st;
    assert_int_not_equal(stat(missing, &st), 0);
    /* A directory in the way is an error, not a clobber. */
    CHECK_FAILS(gp_npy_write(tmpdir, GP_DTYPE_F32, 1, shape, a), GP_EIO, "directory");

    const char *path = tmp_path("over.npy");
    CHECK_OK(gp_npy_write(path, GP_DTYPE_F32, 1, shape, a));
    CHECK_OK(gp_npy_write(path, GP_DTYPE_F32, 1, shape, b));
    gp_tensor *t = NULL;
    CHECK_OK(gp_tensor_load(path, GP_DTYPE_F32, &t));
    assert_memory_equal(gp_tensor_data(t), b, sizeof b);
    gp_tensor_free(t);
    assert_int_equal(count_files(".tmp."), 0);
}

/* ------------------------------------------------------------------ */
/* Allocation failures: every one is reported, nothing leaks (ASan)   */
/* ------------------------------------------------------------------ */

static void test_open_alloc_failures(void **state) {
    (void)state;
    int ok_at = -1;
    for (int k = 0; k < 50 && ok_at < 0; k++) {
        oom_arm_from(k + 1);   /* k allocations succeed, every later one fails */
        gp_file *f = NULL;
        gp_status s = gp_file_open(npy_path("f4_2d"), &f);
        if (s == GP_OK) {
            ok_at = k;
            gp_file_close(f);
        } else if (s != GP_ENOMEM) {
            oom_disarm();
            fail_msg("allocation %d failed -> %d: %s", k, (int)s, gp_last_error());
        } else {
            assert_null(f);
        }
    }
    oom_disarm();
    assert_true(ok_at > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_directory),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_stored_dtype_kept),
        cmocka_unit_test(test_mapped_only_when_possible),
        cmocka_unit_test(test_layer_slice),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_write_round_trip),
        cmocka_unit_test(test_write_header_text),
        cmocka_unit_test(test_write_bad_args),
        cmocka_unit_test(test_write_atomic),
        cmocka_unit_test(test_open_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
