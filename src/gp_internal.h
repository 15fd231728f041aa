/* gp_internal.h — the one private header shared by the library's files.
 * Helpers that cross files are named gp__name (double underscore). */
#ifndef GP_INTERNAL_H
#define GP_INTERNAL_H

#include "geoprobe.h"

#include <stdarg.h>
#include <stdbool.h>

/* ---- errors (error.c) ---- */

/* Set this thread's message and return s, so failure sites read
 * `return gp__error(GP_EFORMAT, "npy: %s: bad magic", path);`. */
gp_status gp__error(gp_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Clear the message; every public entry point calls it first. */
void gp__clear_error(void);
/* Prefix the current message with "prefix: " (for context added by a caller). */
void gp__error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- allocation (alloc.c): through the gp_set_allocator hooks ---- */

void *gp__malloc(size_t n);
void *gp__calloc(size_t count, size_t size);
/* gp__malloc(count * size); NULL (no error set) when the product overflows.
 * A zero size gets a 1-byte block, as from gp__malloc. */
void *gp__alloc_n(size_t count, size_t size);
void *gp__realloc(void *p, size_t n);
void gp__free(void *p);
char *gp__strdup(const char *s);
/* *out = a*b; true when it overflows (*out is then not the product). */
bool gp__mul_overflow(uint64_t a, uint64_t b, uint64_t *out);
/* Bytes of memory the system can still give without swapping: Linux's
 * MemAvailable (/proc/meminfo), else free pages (sysconf); false when
 * neither is known. Reads with no allocation (the OOM tests count them). */
bool gp__mem_available(uint64_t *bytes);

/* ---- read-only file mapping (mapfile.c) ---- */

typedef struct gp__mapping {
    const unsigned char *data; /* NULL for an empty file */
    uint64_t size;
} gp__mapping;

/* Map a whole regular file read-only. Errors name the path: missing,
 * directory, not a regular file, unreadable. An empty file maps to size 0
 * (not an error here; the parsers say "empty file"). */
gp_status gp__map_file(const char *path, gp__mapping *m);
void gp__unmap_file(gp__mapping *m);

/* ---- dtypes (dtype.c) ---- */

float gp__f16_to_f32(uint16_t h);
float gp__bf16_to_f32(uint16_t b);
/* Convert count elements of src (stored dtype, little-endian unless
 * big_endian) to float32 / float64. src may be unaligned. */
void gp__convert_to_f32(gp_dtype src_type, const void *src, bool big_endian,
                        size_t count, float *dst);
void gp__convert_to_f64(gp_dtype src_type, const void *src, bool big_endian,
                        size_t count, double *dst);
/* Copy count elements, swapping byte order when big_endian (dst native). */
void gp__copy_native(gp_dtype t, const void *src, bool big_endian, size_t count,
                     void *dst);
bool gp__dtype_is_float(gp_dtype t);
bool gp__dtype_is_valid(gp_dtype t);

/* ---- open files (file.c, io_npy.c, io_safetensors.c) ---- */

/* Where one tensor's bytes lie in the mapped file. */
typedef struct gp__tensor_desc {
    char    *name;                 /* owned; "" for .npy */
    gp_dtype dtype;
    int      ndim;
    int64_t  shape[GP_MAX_DIMS];
    uint64_t offset;               /* byte offset of element 0 in the file */
    uint64_t nbytes;               /* prod(shape) * dtype size */
    bool     big_endian;           /* .npy '>' byte order */
    bool     fortran_order;        /* .npy fortran_order: True */
} gp__tensor_desc;

struct gp_file {
    char           *path;          /* owned */
    gp__mapping     map;
    gp_format       format;
    int             n_tensors;
    gp__tensor_desc *tensors;      /* owned, n_tensors */
    char           *metadata_json; /* owned; "{}" when none */
    int             npy_version;   /* 1, 2 or 3 for .npy */
};

/* Parse the header of a mapped .npy file into f->tensors[0] (n_tensors = 1)
 * and check that the data fits the file. Errors name f->path. */
gp_status gp__npy_parse(struct gp_file *f);
/* Parse a mapped .safetensors file's header into f->tensors (in header
 * order) and f->metadata_json. Errors name f->path. */
gp_status gp__safetensors_parse(struct gp_file *f);
/* Free the tensor directory (names and array). */
void gp__file_free_tensors(struct gp_file *f);

/* ---- writing (fileio.c) ---- */

/* Write the concatenation of n buffers atomically (see gp_write_file_atomic). */
gp_status gp__write_parts_atomic(const char *path, int n, const void *const *parts,
                                 const size_t *lens);

/* ---- distributed fits (comm.c) ---- */

/* More than one process? */
bool gp__comm_active(const gp_comm *c);
/* A usable communicator (NULL is: one process). */
gp_status gp__comm_check(const gp_comm *c, const char *fn);
/* Collective: first agree that every process's `local` status is GP_OK,
 * then reduce buf[0..n) in place. Returns `local` on the process that
 * failed, GP_EPEER ("fn: another process failed") on the others, GP_OK
 * when all were well. With one process: returns `local`. */
gp_status gp__comm_reduce(const gp_comm *c, double *buf, int64_t n, gp_reduce_op op,
                          gp_status local, const char *fn);
/* Collective: the total row count and the first process holding rows. */
gp_status gp__comm_rows(const gp_comm *c, int64_t local_rows, gp_status local, const char *fn,
                        int64_t *total, int32_t *first_rank);

/* ---- streaming (stream.c) ---- */

/* Remember / forget a read-only file mapping whose pages may be released. */
void gp__stream_register(const void *data, uint64_t size);
void gp__stream_unregister(const void *data);
/* Done with rows [r0, r1) of X: give their whole pages back when X lies in
 * a registered mapping and the stream mode says so (gp_set_stream_mode). */
void gp__release_rows(const gp_matrix *X, int64_t r0, int64_t r1);
/* For a row-by-row pass over X from row 0: call once row i is consumed;
 * every ~8 MB of rows (and at the last row) the rows since the previous
 * call that released are given back (gp__release_rows). */
void gp__release_after_row(const gp_matrix *X, int64_t i);

/* ---- matrices ---- */

/* The address of row i of X (i < X->rows; X->data non-NULL). */
static inline const void *gp__row(const gp_matrix *X, int64_t i) {
    return (const unsigned char *)X->data + (size_t)i * (size_t)X->ld * gp_dtype_size(X->dtype);
}

/* ---- misc ---- */
#define GP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define GP_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif /* GP_INTERNAL_H */
