/*
 * geoprobe.h — linear probing and representation geometry of neural-network
 * activations. The one public header of libgeoprobe.
 *
 * Worked example: load one layer of a (layers, n, d) dump and print its shape.
 *
 *     #include <geoprobe.h>
 *     #include <stdio.h>
 *
 *     int main(void) {
 *         gp_tensor *t = NULL;
 *         if (gp_tensor_load("acts.npy@12", GP_DTYPE_F32, &t) != GP_OK) {
 *             fprintf(stderr, "error: %s\n", gp_last_error());
 *             return 1;
 *         }
 *         gp_matrix X;                       // (n, d) view, no copy
 *         if (gp_tensor_matrix(t, &X) == GP_OK)
 *             printf("%lld x %lld\n", (long long)X.rows, (long long)X.cols);
 *         gp_tensor_free(t);
 *         return 0;
 *     }
 *
 *     cc demo.c $(pkg-config --cflags --libs geoprobe)
 *
 * Layout rule. Matrices are row-major with an explicit leading dimension in
 * elements: element (i, j) is data[i*ld + j], ld >= cols. This is numpy's
 * C order, so a numpy array passes through with no copy (ld = strides[0] /
 * itemsize). Dimensions are always given (rows, cols) in that order.
 *
 * Error rule. Every fallible function returns gp_status (GP_OK = 0, failures
 * negative). The reason is in gp_last_error(), a per-thread message that
 * names the file and the problem; every public call clears it on entry and
 * it stays valid until the next gp_ call on the same thread. Results come
 * back through out-parameters, which are set to NULL on failure. The library
 * never prints, never exits and never aborts on bad input.
 *
 * Ownership rule. Inputs are borrowed and never modified. Whatever a
 * gp_x_load / gp_x_open / gp_x_fit returns is released with the matching
 * gp_x_free (NULL-safe). Memory the library allocates for the caller
 * otherwise is released with gp_free. Fitted objects never keep pointers into
 * caller memory.
 *
 * Thread rule. Distinct handles may be used from different threads at once;
 * one handle must not be used by two threads at once. gp_set_allocator must
 * be called before any other gp_ call. The only other process-wide state is
 * the BLAS thread count (gp_set_threads).
 */
#ifndef GEOPROBE_H
#define GEOPROBE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GP_CDEF)
#define GP_API
#elif defined(GP_BUILD)
#define GP_API __attribute__((visibility("default")))
#else
#define GP_API
#endif

#define GP_VERSION_MAJOR 0
#define GP_VERSION_MINOR 1
#define GP_VERSION_PATCH 0
#define GP_VERSION "0.1.0"
/* Bumped on any incompatible change of a declaration below; the Python
 * binding refuses a library whose gp_abi_version() differs from its own. */
#define GP_ABI_VERSION 2

/* ------------------------------------------------------------------ */
/* Status codes and errors                                            */
/* ------------------------------------------------------------------ */

typedef enum gp_status {
    GP_OK           = 0,
    GP_EINVAL       = -1,   /* bad argument or option value          */
    GP_ENOMEM       = -2,   /* allocation failed or size too large    */
    GP_EIO          = -3,   /* file missing, unreadable, unwritable   */
    GP_EFORMAT      = -4,   /* file content is not what it claims     */
    GP_EDTYPE       = -5,   /* dtype unknown or not usable here       */
    GP_ESHAPE       = -6,   /* shapes disagree or are out of range    */
    GP_ENAN         = -7,   /* NaN or Inf where finite values needed  */
    GP_ENOCONVERGE  = -8,   /* an iterative solver did not converge   */
    GP_ELAPACK      = -9,   /* LAPACK reported a failure              */
    GP_ECANCELLED   = -10,  /* the caller's cancel flag was set       */
    GP_EPEER        = -11,  /* another process of a distributed fit
                               failed (its own error says why)        */
    GP_EINTERNAL    = -99   /* a bug in geoprobe                      */
} gp_status;

/* Static text for a status ("invalid argument", ...); never NULL. */
GP_API const char *gp_status_str(gp_status s);
/* This thread's message for the most recent failed gp_ call ("" if none).
 * Valid until the next gp_ call on this thread; never free it. */
GP_API const char *gp_last_error(void);

/* ------------------------------------------------------------------ */
/* Library, version, BLAS                                             */
/* ------------------------------------------------------------------ */

/* "0.1.0"; static. */
GP_API const char *gp_version(void);
/* GP_ABI_VERSION of the built library. */
GP_API int gp_abi_version(void);

/* The BLAS core that runs the products, e.g. "SkylakeX" or "Prescott"
 * (OpenBLAS's generic fallback); static text, never NULL. */
GP_API const char *gp_blas_core(void);
/* OpenBLAS's configuration string ("OpenBLAS 0.3.21 DYNAMIC_ARCH ..."). */
GP_API const char *gp_blas_config(void);
/* The OpenBLAS core type this CPU should use ("SkylakeX" with AVX-512,
 * "Haswell" with AVX2) when OpenBLAS fell back to a generic core it did not
 * need; NULL when the running core is already right. OpenBLAS picks its core
 * when it is loaded, so the fix is to set OPENBLAS_CORETYPE to this value
 * before the library loads (the geoprobe CLI re-executes itself so). */
GP_API const char *gp_blas_core_suggested(void);
/* Number of BLAS threads (n <= 0: one per core). Process-wide. */
GP_API void gp_set_threads(int n);
GP_API int gp_get_threads(void);

/* Replace malloc/realloc/free for everything the library allocates. Call
 * before any other gp_ call, or not at all. NULL restores the default.
 * (Also the hook the tests use to fail the k-th allocation.) */
typedef void *(*gp_malloc_fn)(size_t size);
typedef void *(*gp_realloc_fn)(void *ptr, size_t size);
typedef void (*gp_free_fn)(void *ptr);
GP_API void gp_set_allocator(gp_malloc_fn m, gp_realloc_fn r, gp_free_fn f);
/* Free memory the library returned to the caller (NULL-safe). */
GP_API void gp_free(void *ptr);

/* ------------------------------------------------------------------ */
/* Data types and matrix views                                        */
/* ------------------------------------------------------------------ */

typedef enum gp_dtype {
    GP_DTYPE_ANY  = -1,  /* loaders: keep the stored dtype         */
    GP_DTYPE_F32  = 0,
    GP_DTYPE_F64  = 1,
    GP_DTYPE_F16  = 2,   /* IEEE binary16                           */
    GP_DTYPE_BF16 = 3,   /* bfloat16: the top 16 bits of a float32  */
    GP_DTYPE_I64  = 4,
    GP_DTYPE_I32  = 5,
    GP_DTYPE_BOOL = 6,   /* one byte, 0 or 1                         */
    GP_DTYPE_U8   = 7,
    GP_DTYPE_I8   = 8,
    GP_DTYPE_I16  = 9,
    GP_DTYPE_U16  = 10,
    GP_DTYPE_U32  = 11,
    GP_DTYPE_U64  = 12
} gp_dtype;

/* "float32", "float64", "float16", "bfloat16", "int64", ...; static. */
GP_API const char *gp_dtype_name(gp_dtype t);
/* Bytes per element; 0 for GP_DTYPE_ANY or an unknown value. */
GP_API size_t gp_dtype_size(gp_dtype t);

/* A borrowed, row-major view: element (i, j) at data[i*ld + j]. */
typedef struct gp_matrix {
    gp_dtype dtype;
    int64_t  rows, cols, ld;
    void    *data;
} gp_matrix;

#define GP_MAX_DIMS 8

/* ------------------------------------------------------------------ */
/* Files: .npy and .safetensors                                       */
/* ------------------------------------------------------------------ */

/* An open activation file: its tensor directory, memory-mapped data and
 * (safetensors) metadata. A .npy file holds one tensor named "". */
typedef struct gp_file gp_file;

typedef enum gp_format {
    GP_FORMAT_NPY = 0,
    GP_FORMAT_SAFETENSORS = 1
} gp_format;

/* Open and validate a file (format chosen by content, not name): every
 * header field, dtype, shape and data range is checked against the file
 * size. Nothing is read but the header. Free with gp_file_close. */
GP_API gp_status gp_file_open(const char *path, gp_file **out);
GP_API void gp_file_close(gp_file *f);
GP_API gp_format gp_file_format(const gp_file *f);
GP_API const char *gp_file_path(const gp_file *f);
/* Size of the file in bytes. */
GP_API uint64_t gp_file_size(const gp_file *f);
GP_API int gp_file_n_tensors(const gp_file *f);
/* Tensor i (0 <= i < n_tensors), in file order: name ("" for .npy), stored
 * dtype, ndim and shape. Out-of-range i gives NULL / GP_DTYPE_ANY / -1 / -1. */
GP_API const char *gp_file_tensor_name(const gp_file *f, int i);
GP_API gp_dtype gp_file_tensor_dtype(const gp_file *f, int i);
GP_API int gp_file_tensor_ndim(const gp_file *f, int i);
GP_API int64_t gp_file_tensor_dim(const gp_file *f, int i, int axis);
/* Index of the tensor called name, or -1. */
GP_API int gp_file_find_tensor(const gp_file *f, const char *name);
/* Safetensors __metadata__ as JSON object text ("{}" if none); for .npy,
 * "{}". Owned by f. */
GP_API const char *gp_file_metadata_json(const gp_file *f);

/* A loaded tensor: an n-D array in one dtype, C order, little-endian.
 * Either a view into the memory-mapped file (float32 stored as float32 in
 * C order: zero copy) or an owned, converted buffer. */
typedef struct gp_tensor gp_tensor;

/* Load a tensor named by an activation spec:
 *     FILE.npy                  the array
 *     FILE.safetensors:NAME     tensor NAME (a file with one tensor needs no NAME)
 *     ...@L                     index L of the first axis (a layer of a
 *                               (layers, n, d) dump); only that slice is read
 * want: GP_DTYPE_F32 / GP_DTYPE_F64 convert any numeric dtype (float16 and
 * bfloat16 exactly; a uint16 .npy is read as bfloat16 bits, the way PyTorch
 * users save bf16 with x.view(torch.uint16)); GP_DTYPE_ANY keeps the stored
 * dtype. Bool tensors are refused as activations. Fortran-order and
 * big-endian arrays are converted to C order, little-endian.
 * Free with gp_tensor_free. */
GP_API gp_status gp_tensor_load(const char *spec, gp_dtype want, gp_tensor **out);
GP_API void gp_tensor_free(gp_tensor *t);
GP_API gp_dtype gp_tensor_dtype(const gp_tensor *t);
/* The dtype in the file before conversion. */
GP_API gp_dtype gp_tensor_stored_dtype(const gp_tensor *t);
GP_API int gp_tensor_ndim(const gp_tensor *t);
GP_API int64_t gp_tensor_dim(const gp_tensor *t, int axis);
GP_API int64_t gp_tensor_numel(const gp_tensor *t);
/* C-order data; valid while t lives. */
GP_API const void *gp_tensor_data(const gp_tensor *t);
/* 1 when the data is a view into the mapped file (no copy was made). */
GP_API int gp_tensor_is_mapped(const gp_tensor *t);
/* The file path and tensor name ("" for .npy) the tensor came from, and
 * the @L index (-1 when none). Owned by t. */
GP_API const char *gp_tensor_path(const gp_tensor *t);
GP_API const char *gp_tensor_name(const gp_tensor *t);
GP_API int64_t gp_tensor_layer(const gp_tensor *t);
/* View a 1-D (n,) tensor as (n, 1) or a 2-D tensor as itself. A 3-D tensor
 * is GP_ESHAPE (select a layer with @L). */
GP_API gp_status gp_tensor_matrix(const gp_tensor *t, gp_matrix *out);

/* Write a C-order array as .npy (format 1.0, or 2.0 when the header needs
 * it); bfloat16 is written as '|V2' (numpy with ml_dtypes reads it). The
 * file is written whole or not at all. */
GP_API gp_status gp_npy_write(const char *path, gp_dtype dtype, int ndim,
                              const int64_t *shape, const void *data);

/* One tensor to write to a .safetensors file; data is C order. */
typedef struct gp_named_tensor {
    const char *name;
    gp_dtype    dtype;
    int32_t     ndim;
    int64_t     shape[GP_MAX_DIMS];
    const void *data;
} gp_named_tensor;

/* Write tensors (in the given order) and string metadata (n_meta pairs,
 * may be 0) as .safetensors. Names must be unique and not "__metadata__".
 * Written whole or not at all. */
GP_API gp_status gp_safetensors_write(const char *path, int n_tensors,
                                      const gp_named_tensor *tensors, int n_meta,
                                      const char *const *meta_keys,
                                      const char *const *meta_values);

/* ------------------------------------------------------------------ */
/* Labels                                                             */
/* ------------------------------------------------------------------ */

/* Labels for the rows of an activation matrix, as class ids 0..k-1, with
 * the original value of each class kept by name. */
typedef struct gp_labels gp_labels;

/* Read labels from a spec:
 *     y.npy          1-D (or (n,1)) bool, integer or float array
 *     y.txt          one label a line (blank lines only at the end; a blank
 *                    line inside is an error: it would shift every later row)
 *     y.csv:COLUMN   a column of a CSV file with a header row (COLUMN by
 *                    name, or by 0-based index when it is a number)
 *     y.json         a JSON array of numbers, booleans or strings
 * Classes are numbered in sorted order of their values (numerically when
 * every label is a number, else by byte order of the strings), as
 * scikit-learn's LabelEncoder does. Free with gp_labels_free. */
GP_API gp_status gp_labels_load(const char *spec, gp_labels **out);
GP_API void gp_labels_free(gp_labels *l);
GP_API int64_t gp_labels_n(const gp_labels *l);
/* Class id of each row, (n,). Owned by l. */
GP_API const int32_t *gp_labels_ids(const gp_labels *l);
GP_API int32_t gp_labels_n_classes(const gp_labels *l);
/* The label text of class k ("0", "1", "True", "paris"...), owned by l. */
GP_API const char *gp_labels_class_name(const gp_labels *l, int32_t k);
/* 1 when every label is a number; then gp_labels_values gives them as
 * doubles, (n,) (for regression targets), else NULL. */
GP_API int gp_labels_is_numeric(const gp_labels *l);
GP_API const double *gp_labels_values(const gp_labels *l);
/* The spec the labels came from. Owned by l. */
GP_API const char *gp_labels_path(const gp_labels *l);
/* Remove the rows i with drop[i] != 0 (drop: gp_labels_n(l) bytes) from l,
 * in place: ids and values shrink, the classes (their number, order and
 * names) stay as they were, even a class left with no rows, so ids keep
 * their meaning. GP_EINVAL when l or drop is NULL. Modifies l. */
GP_API gp_status gp_labels_drop_rows(gp_labels *l, const uint8_t *drop);

/* ------------------------------------------------------------------ */
/* Summary statistics (geoprobe info)                                 */
/* ------------------------------------------------------------------ */

#define GP_STATS_TOP_DIMS 8

/* Statistics of a matrix's rows, computed in float64. */
typedef struct gp_matrix_stats {
    int64_t n_nan, n_inf;
    int64_t first_bad_row, first_bad_col; /* first non-finite, or -1 */
    double  min, max, mean;               /* over finite values       */
    double  mean_row_norm, max_row_norm;  /* L2, rows with all finite */
    /* The features with the largest mean |x| ("outlier dimensions"),
     * largest first; n_top of them (min(cols, GP_STATS_TOP_DIMS)). */
    int32_t n_top;
    int64_t top_dims[GP_STATS_TOP_DIMS];
    double  top_dims_mean_abs[GP_STATS_TOP_DIMS];
    double  median_dim_mean_abs;          /* for scale: the typical dim */
} gp_matrix_stats;

/* Compute stats of X (any numeric dtype). */
GP_API gp_status gp_matrix_stats_compute(const gp_matrix *X, gp_matrix_stats *out);

/* First non-finite element of a float matrix: GP_OK when there is none,
 * else GP_ENAN with a message naming row and column (0-based) and the
 * value, prefixed with `what` (a file name, say); row/col out-params may
 * be NULL. */
GP_API gp_status gp_matrix_check_finite(const gp_matrix *X, const char *what,
                                        int64_t *bad_row, int64_t *bad_col);
/* Mark the rows of X holding a NaN or Inf: mask (X->rows bytes, caller's)
 * gets mask[i] |= 1 for each such row i and is otherwise left as it is, so
 * several matrices over the same rows can share one mask. *n_bad: the
 * number of rows of X with a non-finite value (marked before or not);
 * *bad_row / *bad_col: X's first non-finite element (-1 when none). Each
 * out-param may be NULL. Integer dtypes have no such rows. GP_EINVAL when X
 * or mask is NULL, GP_EDTYPE for an unknown dtype. */
GP_API gp_status gp_matrix_mark_nonfinite(const gp_matrix *X, uint8_t *mask, int64_t *n_bad,
                                          int64_t *bad_row, int64_t *bad_col);

/* ------------------------------------------------------------------ */
/* Streaming and distributed fits                                     */
/* ------------------------------------------------------------------ */

/* Streaming: the row-block passes (PCA, CKA, the finite check) can give
 * back the pages of a memory-mapped input behind them (madvise
 * MADV_DONTNEED; the file is re-read when needed), so a file larger than
 * memory costs O(block x d + d^2) resident memory, not O(n x d). Only
 * read-only file mappings made by gp_tensor_load are ever released; heap
 * matrices are untouched. GP_STREAM_AUTO (the default) releases when the
 * mapped tensor is larger than a quarter of the memory available when it
 * was loaded. Process-wide. */
typedef enum gp_stream_mode {
    GP_STREAM_AUTO = 0,
    GP_STREAM_OFF  = 1,   /* keep pages (fastest when the file fits)   */
    GP_STREAM_ON   = 2    /* always release behind each block          */
} gp_stream_mode;
GP_API void gp_set_stream_mode(gp_stream_mode m);
GP_API gp_stream_mode gp_get_stream_mode(void);
/* Would a pass over X release its pages (X lies in a mapped tensor and the
 * mode says so)? For reports. */
GP_API int gp_matrix_is_streamed(const gp_matrix *X);
/* Bytes of memory available now (MemAvailable), 0 when unknown. */
GP_API uint64_t gp_memory_available(void);

/* Distributed fits (MPI or anything that can reduce): every process holds
 * its own rows of one data set and calls the same function with the same
 * options; the library sums its row-block accumulations over processes
 * with `allreduce` (in float64) and every process gets the same result.
 * The library has no MPI dependency: the caller supplies the reduction
 * (the CLI's, built with make MPI=1, wraps MPI_Allreduce). Every reduction
 * also carries each process's status, so a failure on one process (out of
 * memory, say) makes every process return: the one that failed with its
 * own error, the others with GP_EPEER. NULL or size 1 = one process. */
typedef enum gp_reduce_op { GP_REDUCE_SUM = 0, GP_REDUCE_MAX = 1 } gp_reduce_op;
typedef struct gp_comm {
    int32_t rank, size;
    /* Reduce buf[0..n) elementwise over every process, in place, result on
     * all of them; return 0 on success. Called collectively. */
    int (*allreduce)(double *buf, int64_t n, gp_reduce_op op, void *user);
    void *user;
} gp_comm;

/* ------------------------------------------------------------------ */
/* Progress and cancellation                                          */
/* ------------------------------------------------------------------ */

/* Called from the calling thread as a long operation advances: done out
 * of total units (rows, iterations...), stage a short static label. Keep
 * it cheap; a Python callback must stay alive while it is installed. */
typedef void (*gp_progress_fn)(void *user, int64_t done, int64_t total, const char *stage);

/* ------------------------------------------------------------------ */
/* PCA                                                                */
/* ------------------------------------------------------------------ */

typedef enum gp_pca_solver {
    GP_PCA_AUTO       = 0,  /* cov when n >= d, svd otherwise; randomized
                               when k is small next to min(n, d)       */
    GP_PCA_COV        = 1,  /* covariance X^T X by float32 BLAS over row
                               blocks, float64 eigensolver             */
    GP_PCA_SVD        = 2,  /* thin SVD of the centered matrix         */
    GP_PCA_RANDOMIZED = 3   /* Halko-Martinsson-Tropp range finder      */
} gp_pca_solver;

/* "auto", "cov", "svd", "randomized"; static. */
GP_API const char *gp_pca_solver_name(gp_pca_solver s);

typedef struct gp_pca_opts {
    int64_t        n_components;  /* k; 0 = all, min(n, d)          (0)   */
    gp_pca_solver  solver;        /*                              (AUTO)  */
    int32_t        whiten;        /* transform scales to unit variance (0) */
    int32_t        n_oversamples; /* randomized: extra dimensions p;
                                     -1 = auto: 10, rounded up so that
                                     k + p is a multiple of 16 where
                                     min(n, d) leaves room          (-1)   */
    int32_t        n_power_iter;  /* randomized: block Krylov depth q
                                     (q + 1 passes over X); -1 = auto:
                                     3 when k < min(n,d)/10, else 2 (-1) */
    uint64_t       seed;          /* randomized: RNG seed            (0)   */
    int64_t        block_rows;    /* rows per block, 0 = auto        (0)   */
    gp_progress_fn progress;      /* optional                      (NULL)  */
    void          *progress_user;
    const volatile int32_t *cancel; /* set *cancel != 0 to stop   (NULL)  */
    const gp_comm *comm;          /* distributed: X is this process's rows;
                                     cov or randomized only       (NULL)  */
} gp_pca_opts;

/* Fill o with the defaults shown above. */
GP_API void gp_pca_opts_init(gp_pca_opts *o);

/* A fitted PCA: components, explained variance, mean. Precision: float64
 * results; the n x d products run in float32 BLAS on centered blocks. */
typedef struct gp_pca gp_pca;

/* Fit PCA to X (n_samples, n_features), float32 or float64, row-major.
 * Components are sign-fixed so that each one's largest-|v| entry is
 * positive (scikit-learn >= 1.5), the same on every BLAS. Fails on NaN/Inf
 * (GP_ENAN naming row and column), n < 2, k > min(n, d) (GP_EINVAL).
 * Free with gp_pca_free. */
GP_API gp_status gp_pca_fit(const gp_matrix *X, const gp_pca_opts *o, gp_pca **out);
GP_API void gp_pca_free(gp_pca *p);
GP_API int64_t gp_pca_n_components(const gp_pca *p);
GP_API int64_t gp_pca_n_features(const gp_pca *p);
GP_API int64_t gp_pca_n_samples(const gp_pca *p);
/* The solver that ran (never AUTO). */
GP_API gp_pca_solver gp_pca_solver_used(const gp_pca *p);
/* (k, d) row-major, unit rows, largest variance first. Owned by p. */
GP_API const double *gp_pca_components(const gp_pca *p);
/* (k,) variance along each component (divisor n - 1). Owned by p. */
GP_API const double *gp_pca_explained_variance(const gp_pca *p);
/* (k,) explained_variance / total variance of X. Owned by p. */
GP_API const double *gp_pca_explained_variance_ratio(const gp_pca *p);
/* (k,) singular values of the centered X. Owned by p. */
GP_API const double *gp_pca_singular_values(const gp_pca *p);
/* (d,) column means of X. Owned by p. */
GP_API const double *gp_pca_mean(const gp_pca *p);
/* Total variance of X (sum of per-feature variances, divisor n - 1). */
GP_API double gp_pca_total_variance(const gp_pca *p);
/* Project X (n, d) on the components: out (n, k) float32 row-major with
 * leading dimension ldo >= k, computed as (X - mean) C^T (whitened when the
 * fit asked for it). X's column count must equal the fit's d. */
GP_API gp_status gp_pca_transform(const gp_pca *p, const gp_matrix *X, float *out, int64_t ldo);

/* Class structure in PC space, from a fitted PCA and the labeled X it was
 * fit on (or any X with the fit's d): centroids (n_classes, k) row-major,
 * the mean projection of each class on each component; share (k,), the
 * fraction of the between-class scatter sum_c n_c ||mu_c - mu||^2 that lies
 * along each component (for two classes: the share of the squared mean
 * difference). Either output may be NULL. float64. Every class needs a row. */
GP_API gp_status gp_pca_class_centroids(const gp_pca *p, const gp_matrix *X,
                                        const int32_t *ids, int32_t n_classes,
                                        double *centroids, double *share);

/* ------------------------------------------------------------------ */
/* Geometry                                                           */
/* ------------------------------------------------------------------ */

/* Cosine similarity between the rows of A (m, d): out (m, m) row-major
 * float64. A zero row has similarity 0 with every row, itself included
 * (never NaN). */
GP_API gp_status gp_cosine_matrix(const gp_matrix *A, double *out);

/* Linear CKA between X (n, d1) and Y (n, d2) with the same rows (two
 * layers on the same inputs). Computed in feature space,
 * ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F) on centered data, without
 * an n x n Gram matrix when n > d. debiased != 0 gives the unbiased HSIC
 * estimator (Song et al. 2012), needing n >= 4. When n <= max(d1, d2) the
 * n x n Gram form is used (cheaper there). Precision: float32 block
 * products accumulated in float64 (about 1e-7 relative). A constant input
 * (every row equal: rank 0 after centering) has no similarity with
 * anything: *out = 0 and *degenerate = 1 (degenerate may be NULL). */
GP_API gp_status gp_cka(const gp_matrix *X, const gp_matrix *Y, int debiased, double *out,
                        int *degenerate);
/* The same over processes (comm may be NULL): X and Y are this process's
 * rows; always the feature-space form. */
GP_API gp_status gp_cka_comm(const gp_matrix *X, const gp_matrix *Y, int debiased,
                             const gp_comm *comm, double *out, int *degenerate);

/* How separable two or more classes are along their mean differences. */
typedef struct gp_class_separation {
    int32_t n_classes;
    double  mean_distance;        /* ||mu_1 - mu_0|| (2 classes); for k > 2
                                     the mean pairwise distance           */
    double  within_std;           /* pooled within-class std along the
                                     mean-difference direction (2 classes) */
    double  fisher_ratio;         /* (mean_distance / within_std)^2 along
                                     that direction (2 classes); capped at
                                     1e30 when within_std is 0 (never Inf);
                                     0 when the class means are equal     */
    double  between_var_fraction; /* between-class variance / total: the
                                     fraction of variance the class means
                                     explain (any k)                      */
    double  mean_dir_var_fraction;/* variance along mu_1 - mu_0 / total (2) */
} gp_class_separation;

/* Class separation of X (n, d) with class ids (n,) in 0..n_classes-1.
 * Every class needs at least one row and n_classes >= 2 (GP_EINVAL
 * otherwise). Undefined cases give 0, never NaN: equal class means (no
 * direction), n = k (no within-class spread), zero total variance. */
GP_API gp_status gp_class_separation_compute(const gp_matrix *X, const int32_t *ids,
                                             int32_t n_classes, gp_class_separation *out);

/* ------------------------------------------------------------------ */
/* Supervised probes                                                  */
/* ------------------------------------------------------------------ */

typedef enum gp_probe_method {
    GP_PROBE_LOGISTIC     = 0,  /* L2 logistic regression, binary or softmax  */
    GP_PROBE_MASSMEAN     = 1,  /* difference of class means (Marks & Tegmark) */
    GP_PROBE_MASSMEAN_IID = 2,  /* Sigma_w^-1 (mu1 - mu0), ridge-stabilized    */
    GP_PROBE_LDA          = 3,  /* linear discriminant analysis, k classes     */
    GP_PROBE_RIDGE        = 4   /* ridge regression on a continuous target     */
} gp_probe_method;

/* "logistic", "massmean", "massmean-iid", "lda", "ridge"; static. */
GP_API const char *gp_probe_method_name(gp_probe_method m);
/* Parse a method name; GP_EINVAL naming the choices when unknown. */
GP_API gp_status gp_probe_method_parse(const char *name, gp_probe_method *out);

typedef enum gp_logistic_solver {
    GP_LOGISTIC_AUTO   = 0,  /* Newton when the d x d Hessian is cheap, else L-BFGS */
    GP_LOGISTIC_NEWTON = 1,  /* Newton with a Cholesky solve of the Hessian (binary;
                                k > 2 classes run L-BFGS: the Hessian is (kd)^2)  */
    GP_LOGISTIC_LBFGS  = 2   /* L-BFGS (liblbfgs) on BLAS gradients                 */
} gp_logistic_solver;

typedef struct gp_probe_opts {
    gp_probe_method    method;          /*                         (LOGISTIC) */
    double             C;               /* logistic: inverse L2 strength as in
                                           scikit-learn; <= 0 = choose by
                                           cross-validation over Cs      (1.0) */
    double             alpha;           /* ridge: L2 penalty             (1.0) */
    double             shrinkage;       /* lda, massmean-iid: covariance
                                           shrinkage in [0,1] (lda: 0 = none);
                                           < 0 = Ledoit-Wolf             (-1.0) */
    int32_t            fit_intercept;   /* intercept, never penalized     (1)  */
    int32_t            class_weight_balanced; /* n / (k n_c) weights      (0)  */
    int32_t            standardize;     /* fit on z-scored features; the
                                           weights are mapped back so apply
                                           takes raw activations         (0)  */
    gp_logistic_solver solver;          /*                            (AUTO)  */
    int32_t            max_iter;        /* 0 = solver default            (0)   */
    double             tol;             /* gradient tolerance          (1e-8)  */
    int32_t            cv_folds;        /* C <= 0: folds for choosing C  (5)   */
    int32_t            n_Cs;            /* C <= 0: grid logspace(-4, 4)  (10)  */
    uint64_t           seed;            /* C <= 0: fold assignment        (0)  */
    gp_progress_fn     progress;
    void              *progress_user;
    const volatile int32_t *cancel;
    const gp_comm     *comm;            /* distributed: X, y (or the target) are
                                           this process's rows, at least 1 on
                                           each (see gp_comm); every process
                                           gets the probe of all rows. Not with
                                           C <= 0 (GP_EINVAL); ridge always
                                           solves the d x d primal    (NULL)  */
} gp_probe_opts;

GP_API void gp_probe_opts_init(gp_probe_opts *o);

/* A fitted linear probe: scores s = W x + b with W (n_outputs, d). Binary
 * classifiers and ridge have n_outputs = 1 (s > 0 means class 1);
 * multinomial logistic and LDA with k > 2 classes have n_outputs = k. */
typedef struct gp_probe gp_probe;

/* Fit a classifier on X (n, d) float32/float64 and class ids y (n,) in
 * 0..n_classes-1 (n_classes >= 2; every class needs 2 rows or more).
 * Fails on NaN/Inf, one class only, a class with one row. Free with
 * gp_probe_free. */
GP_API gp_status gp_probe_fit(const gp_matrix *X, const int32_t *y, int32_t n_classes,
                              const gp_probe_opts *o, gp_probe **out);
/* Fit ridge regression (o->method must be GP_PROBE_RIDGE) on targets (n,). */
GP_API gp_status gp_probe_fit_regression(const gp_matrix *X, const double *target,
                                         const gp_probe_opts *o, gp_probe **out);
GP_API void gp_probe_free(gp_probe *p);

GP_API gp_probe_method gp_probe_get_method(const gp_probe *p);
GP_API int64_t gp_probe_n_features(const gp_probe *p);
/* Classes (0 for ridge) and score outputs. */
GP_API int32_t gp_probe_n_classes(const gp_probe *p);
GP_API int32_t gp_probe_n_outputs(const gp_probe *p);
/* (n_outputs, d) row-major float64 and (n_outputs,); owned by p. */
GP_API const double *gp_probe_weight(const gp_probe *p);
GP_API const double *gp_probe_bias(const gp_probe *p);
/* The C used (chosen by cross-validation when asked), iterations, and
 * whether the solver met its tolerance (1) or stopped at max_iter (0). */
GP_API double gp_probe_C(const gp_probe *p);
GP_API int32_t gp_probe_n_iter(const gp_probe *p);
GP_API int32_t gp_probe_converged(const gp_probe *p);

/* Scores (n, n_outputs) float64 row-major for X (n, d). */
GP_API gp_status gp_probe_decision(const gp_probe *p, const gp_matrix *X, double *scores);
/* Class probabilities (n, n_classes): logistic and mass-mean through the
 * sigmoid / softmax of the scores, LDA through its posterior. Not ridge. */
GP_API gp_status gp_probe_predict_proba(const gp_probe *p, const gp_matrix *X, double *proba);
/* Predicted class ids (n,) (argmax); ridge: GP_EINVAL (use decision). */
GP_API gp_status gp_probe_predict(const gp_probe *p, const gp_matrix *X, int32_t *pred);

/* Build a probe from weights (n_outputs, d) and bias (n_outputs,): for
 * directions computed elsewhere. n_classes 0 for a regression probe. */
GP_API gp_status gp_probe_from_weights(gp_probe_method m, int32_t n_classes, int32_t n_outputs,
                                       int64_t d, const double *weight, const double *bias,
                                       gp_probe **out);

/* Save as .safetensors: tensors "weight" (n_outputs, d) and "bias"
 * (n_outputs,), float32 (what PyTorch's nn.Linear holds), and __metadata__
 * with the method, parameters and the caller's extra string pairs (label
 * names, training inputs' sha256, normalization). Written whole or not at
 * all. */
GP_API gp_status gp_probe_save(const gp_probe *p, const char *path, int n_meta,
                               const char *const *meta_keys, const char *const *meta_values);
/* Load a probe saved by gp_probe_save (or any .safetensors with a 2-D or
 * 1-D "weight" and a "bias"; a missing method means a binary linear probe). */
GP_API gp_status gp_probe_load(const char *path, gp_probe **out);
/* Metadata value of a loaded probe (NULL when absent); owned by p. */
GP_API const char *gp_probe_metadata(const gp_probe *p, const char *key);

/* ------------------------------------------------------------------ */
/* Evaluation: metrics and splits                                     */
/* ------------------------------------------------------------------ */

typedef struct gp_metrics {
    int64_t n;
    double  accuracy;
    double  balanced_accuracy;   /* mean per-class recall                   */
    double  auroc;               /* binary: ROC AUC of P(class 1), ties
                                    counted half; k > 2: one-vs-rest macro
                                    average over the classes present in y  */
    double  log_loss;            /* mean -log p(true class), p clipped to
                                    [1e-15, 1 - 1e-15] like scikit-learn    */
    double  ece;                 /* expected calibration error of the top
                                    class, 10 equal-width bins               */
} gp_metrics;

/* Metrics of class probabilities proba (n, k) row-major against true ids
 * y (n,). confusion (k, k) row = true class, col = predicted, may be NULL.
 * AUROC is 0.5 when a class is absent (undefined), never NaN. */
GP_API gp_status gp_metrics_compute(const int32_t *y, const double *proba, int64_t n,
                                    int32_t k, gp_metrics *out, int64_t *confusion);

/* 95% percentile bootstrap intervals of accuracy and AUROC: n_boot
 * resamples of the rows, seeded (resample b draws from its own stream).
 * Resamples holding one class are skipped for AUROC. ci arrays hold
 * (low, high). Probabilities must lie in [0, 1]. */
GP_API gp_status gp_metrics_bootstrap(const int32_t *y, const double *proba, int64_t n,
                                      int32_t k, int32_t n_boot, uint64_t seed,
                                      double accuracy_ci[2], double auroc_ci[2]);

typedef struct gp_regression_metrics {
    int64_t n;
    double  r2;        /* 1 - SS_res / SS_tot (0 when the target is constant) */
    double  pearson_r; /* 0 when either side is constant                      */
    double  mse;
} gp_regression_metrics;

GP_API gp_status gp_regression_metrics_compute(const double *target, const double *pred,
                                               int64_t n, gp_regression_metrics *out);

/* Stratified train/test split: is_test (n,) set to 1 for about test_frac
 * of each class (rounded, at least one row of each class on each side).
 * Seeded, deterministic. GP_EINVAL when a class cannot be split. */
GP_API gp_status gp_split_train_test(const int32_t *y, int64_t n, int32_t n_classes,
                                     double test_frac, uint64_t seed, uint8_t *is_test);
/* Stratified k-fold: fold (n,) in 0..n_folds-1, each class spread evenly.
 * GP_EINVAL when a class has fewer rows than folds. */
GP_API gp_status gp_split_kfold(const int32_t *y, int64_t n, int32_t n_classes,
                                int32_t n_folds, uint64_t seed, int32_t *fold);
/* Control task (Hewitt & Liang 2019): every input type (type_ids (n,), e.g.
 * the word or token of the row; NULL = every row its own type) gets a label
 * drawn at random from the empirical class distribution of y; out (n,). */
GP_API gp_status gp_control_labels(const int32_t *y, const int32_t *type_ids, int64_t n,
                                   int32_t n_classes, uint64_t seed, int32_t *out);

/* Unsupervised contrast-pair probes: CCS, CRC-TPC, VINC */
#include "geoprobe_ccs.h"

/* Plots: PNG (libpng, provenance in tEXt chunks), SVG and PDF (cairo) */
#include "geoprobe_plot.h"

/* ------------------------------------------------------------------ */
/* Files: hashing and atomic writes                                   */
/* ------------------------------------------------------------------ */

/* SHA-256 of a file's bytes as 64 lowercase hex digits plus NUL. */
GP_API gp_status gp_file_sha256(const char *path, char hex_out[65]);
/* Write len bytes to path whole or not at all: a temporary file in the
 * same folder, fsync, rename. On failure the previous file is intact. */
GP_API gp_status gp_write_file_atomic(const char *path, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* GEOPROBE_H */
