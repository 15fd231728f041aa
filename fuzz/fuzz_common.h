/* fuzz_common.h — shared parts of the libFuzzer harnesses (make fuzz).
 *
 * The library reads files by path (it maps them), so each input is written
 * to a file in a private folder on tmpfs (/dev/shm when there is one) and
 * opened from there, which exercises exactly what a user's file goes
 * through. Besides ASan/UBSan findings, the harnesses check the API
 * contract on every input: a failure leaves a non-empty message and a NULL
 * out-parameter; a success gives a directory and data that agree. A broken
 * invariant aborts, which libFuzzer reports as a crash. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "geoprobe.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz invariant broken at %s:%d: %s (last error: %s)\n", \
                    __FILE__, __LINE__, #cond, gp_last_error()); \
            abort(); \
        } \
    } while (0)

static char fuzz_dir[256];

static inline void fuzz_cleanup(void) {
    if (!fuzz_dir[0]) return;
    static const char *const names[] = {"x.npy", "x.safetensors", "y.npy", "y.txt",
                                        "y.csv", "y.json"};
    char p[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", fuzz_dir, names[i]);
        unlink(p);
    }
    rmdir(fuzz_dir);
}

/* Write the input to DIR/name and return that path (static), or NULL when
 * the file cannot be written (the input is then skipped). */
static inline const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size) {
    static char path[512];
    if (!fuzz_dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/geoprobe-fuzz.XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(fuzz_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_cleanup);
    }
    snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return NULL;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    close(fd);
    return done == size ? path : NULL;
}

static inline void fuzz_check_failure(gp_status s) {
    FUZZ_ASSERT(s < 0);
    const char *msg = gp_last_error();
    FUZZ_ASSERT(msg && msg[0]);
    FUZZ_ASSERT(strlen(msg) < 4096);
    FUZZ_ASSERT(gp_status_str(s) != NULL);
}

/* Open the file, walk its tensor directory, close it. */
static inline void fuzz_exercise_file(const char *path) {
    gp_file *f = (gp_file *)1;
    gp_status s = gp_file_open(path, &f);
    if (s != GP_OK) {
        fuzz_check_failure(s);
        FUZZ_ASSERT(f == NULL);
        return;
    }
    uint64_t size = gp_file_size(f);
    int n = gp_file_n_tensors(f);
    FUZZ_ASSERT(n >= 0);
    for (int i = 0; i < n; i++) {
        const char *name = gp_file_tensor_name(f, i);
        FUZZ_ASSERT(name != NULL);
        FUZZ_ASSERT(gp_file_find_tensor(f, name) == i);  /* names are unique */
        gp_dtype dt = gp_file_tensor_dtype(f, i);
        FUZZ_ASSERT(gp_dtype_size(dt) > 0);
        int nd = gp_file_tensor_ndim(f, i);
        FUZZ_ASSERT(nd >= 0 && nd <= GP_MAX_DIMS);
        /* The declared bytes lie inside the file (a zero dim: no bytes). */
        uint64_t bytes = gp_dtype_size(dt);
        int too_big = 0;
        for (int a = 0; a < nd; a++) {
            int64_t d = gp_file_tensor_dim(f, i, a);
            FUZZ_ASSERT(d >= 0);
            if (d == 0) {
                bytes = 0;
                too_big = 0;
                break;
            }
            if (__builtin_mul_overflow(bytes, (uint64_t)d, &bytes)) too_big = 1;
        }
        FUZZ_ASSERT(!too_big && bytes <= size);
        FUZZ_ASSERT(gp_file_tensor_dim(f, i, nd) == -1);
    }
    FUZZ_ASSERT(gp_file_tensor_name(f, n) == NULL);
    const char *meta = gp_file_metadata_json(f);
    FUZZ_ASSERT(meta && meta[0] == '{');
    gp_file_close(f);
}

/* Load spec as want, read every byte of the result, compute its stats. */
static inline void fuzz_exercise_tensor(const char *spec, gp_dtype want, uint64_t file_size) {
    gp_tensor *t = (gp_tensor *)1;
    gp_status s = gp_tensor_load(spec, want, &t);
    if (s != GP_OK) {
        fuzz_check_failure(s);
        FUZZ_ASSERT(t == NULL);
        return;
    }
    gp_dtype dt = gp_tensor_dtype(t);
    FUZZ_ASSERT(want == GP_DTYPE_ANY ? dt == gp_tensor_stored_dtype(t) : dt == want);
    int nd = gp_tensor_ndim(t);
    FUZZ_ASSERT(nd >= 0 && nd <= GP_MAX_DIMS);
    int64_t numel = gp_tensor_numel(t);
    FUZZ_ASSERT(numel >= 0);
    uint64_t prod = 1;
    int has_zero = 0;
    for (int a = 0; a < nd; a++) {
        int64_t d = gp_tensor_dim(t, a);
        FUZZ_ASSERT(d >= 0);
        if (d == 0) has_zero = 1;
        else prod *= (uint64_t)d;   /* wraps only if the library's numel did */
    }
    FUZZ_ASSERT(has_zero ? numel == 0 : prod == (uint64_t)numel);
    size_t bytes = (size_t)numel * gp_dtype_size(dt);
    /* A view into the file cannot hold more bytes than the file; a
     * converted copy at most 8/1 of the stored bytes. */
    FUZZ_ASSERT(bytes <= 8 * file_size);
    if (gp_tensor_is_mapped(t)) FUZZ_ASSERT(bytes <= file_size);
    const unsigned char *p = gp_tensor_data(t);
    FUZZ_ASSERT(p != NULL || bytes == 0);
    unsigned sum = 0;
    for (size_t i = 0; i < bytes; i++) sum += p[i];   /* ASan: every byte readable */
    volatile unsigned sink = sum;
    (void)sink;
    gp_matrix X;
    s = gp_tensor_matrix(t, &X);
    if (s == GP_OK) {
        FUZZ_ASSERT(X.rows >= 0 && X.cols >= 0 && X.ld >= X.cols);
        gp_matrix_stats st;
        s = gp_matrix_stats_compute(&X, &st);
        if (s != GP_OK) fuzz_check_failure(s);
        if (dt == GP_DTYPE_F32 || dt == GP_DTYPE_F64) {
            int64_t r = -2, c = -2;
            s = gp_matrix_check_finite(&X, "fuzz", &r, &c);
            if (s != GP_OK) {
                fuzz_check_failure(s);
                FUZZ_ASSERT(r >= 0 && r < X.rows && c >= 0 && c < X.cols);
            }
        }
    } else {
        fuzz_check_failure(s);
    }
    gp_tensor_free(t);
}

/* The whole path for one activation file: directory, then the tensors as
 * float32, float64 and stored dtype, whole and by layer. */
static inline void fuzz_exercise_activations(const char *path, uint64_t size) {
    fuzz_exercise_file(path);
    static const gp_dtype wants[] = {GP_DTYPE_F32, GP_DTYPE_F64, GP_DTYPE_ANY};
    char spec[1024];
    gp_file *f = NULL;
    if (gp_file_open(path, &f) != GP_OK) {
        /* Still load: the loader must fail the same way, cleanly. */
        for (size_t w = 0; w < 3; w++) fuzz_exercise_tensor(path, wants[w], size);
        return;
    }
    int n = gp_file_n_tensors(f);
    for (int i = 0; i < n && i < 4; i++) {
        const char *name = gp_file_tensor_name(f, i);
        for (size_t w = 0; w < 3; w++) {
            if (gp_file_format(f) == GP_FORMAT_NPY) snprintf(spec, sizeof spec, "%s", path);
            else snprintf(spec, sizeof spec, "%s:%s", path, name);
            fuzz_exercise_tensor(spec, wants[w], size);
        }
        strncat(spec, "@0", sizeof spec - strlen(spec) - 1);
        fuzz_exercise_tensor(spec, GP_DTYPE_F32, size);
        spec[strlen(spec) - 2] = '\0';
        strncat(spec, "@-1", sizeof spec - strlen(spec) - 1);
        fuzz_exercise_tensor(spec, GP_DTYPE_F64, size);
    }
    /* The one-tensor shortcut (no name) and a name that is not there. */
    fuzz_exercise_tensor(path, GP_DTYPE_F32, size);
    snprintf(spec, sizeof spec, "%s:no.such.tensor", path);
    fuzz_exercise_tensor(spec, GP_DTYPE_F32, size);
    gp_file_close(f);
}

#endif
