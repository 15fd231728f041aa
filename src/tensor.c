/* tensor.c — resolve an activation spec (FILE, FILE:TENSOR, ...@L) to one
 * C-order little-endian array: a view into the mapped file when the stored
 * bytes already are what the caller asked for, else a converted copy of
 * just the selected slice. */
#include "gp_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct gp_tensor {
    gp_file    *file;          /* kept open only while data points into it */
    char       *path, *name;
    int64_t     layer;         /* -1 when no @L */
    gp_dtype    dtype, stored;
    int         ndim;
    int64_t     shape[GP_MAX_DIMS];
    int64_t     numel;
    const void *data;
    void       *owned;
};

void gp_tensor_free(gp_tensor *t) {
    if (!t) return;
    gp_file_close(t->file);
    gp__free(t->owned);
    gp__free(t->path);
    gp__free(t->name);
    gp__free(t);
}

static bool is_regular_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* Split "path[:tensor][@L]". The path is the whole spec when that file
 * exists, else the shortest prefix before a ':' that names a file, so both
 * paths and tensor names may contain ':' in the common cases. @-1 means the
 * last layer (stored as INT64_MIN until the shape is known). */
static gp_status parse_spec(const char *spec, char **path, char **name, int64_t *layer) {
    *path = *name = NULL;
    *layer = -1;
    size_t len = strlen(spec);
    const char *at = strrchr(spec, '@');
    if (at && at[1]) {
        char *end;
        errno = 0;
        long long v = strtoll(at + 1, &end, 10);
        if (*end == '\0' && errno == 0) {
            if (v < 0 && v != -1) /* only @-1 (the last layer) counts from the end */
                return gp__error(GP_EINVAL, "%s: layer index %lld: use 0..L-1 or -1 for the last",
                                 spec, v);
            *layer = v == -1 ? INT64_MIN : v;
            len = (size_t)(at - spec);
        }
    }
    char *base = gp__malloc(len + 1);
    if (!base) return gp__error(GP_ENOMEM, "%s: out of memory", spec);
    memcpy(base, spec, len);
    base[len] = '\0';
    if (!is_regular_file(base)) {
        for (char *c = strchr(base, ':'); c; c = strchr(c + 1, ':')) {
            *c = '\0';
            if (is_regular_file(base)) {
                *name = gp__strdup(c + 1);
                if (!*name) {
                    gp__free(base);
                    return gp__error(GP_ENOMEM, "%s: out of memory", spec);
                }
                break;
            }
            *c = ':';
        }
    }
    *path = base;
    return GP_OK;
}

static gp_status pick_tensor(const gp_file *f, const char *name, int *idx) {
    if (name) {
        *idx = gp_file_find_tensor(f, name);
        if (*idx >= 0) return GP_OK;
    } else if (f->n_tensors == 1) {
        *idx = 0;
        return GP_OK;
    }
    /* List what is there, so a typo is a one-step fix. */
    char list[600];
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; i < f->n_tensors && used < sizeof list - 40; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         f->tensors[i].name);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (used >= sizeof list - 40 || (f->n_tensors > 0 && used == 0))
        snprintf(list + GP_MIN(used, sizeof list - 40), 40, ", ... (%d in all)", f->n_tensors);
    if (f->format == GP_FORMAT_NPY)
        return gp__error(GP_EINVAL, "%s: a .npy file has no tensor '%s'", f->path, name);
    if (!name)
        return gp__error(GP_EINVAL, "%s: holds %d tensors; name one as %s:NAME (tensors: %s)",
                         f->path, f->n_tensors, f->path, list);
    return gp__error(GP_EINVAL, "%s: no tensor '%s' (tensors: %s)", f->path, name, list);
}

/* Byte offset in the file of C-order element `ci` (0..numel-1) of tensor d
 * after selecting `layer` on axis 0 (or -1), honoring Fortran order. */
static uint64_t element_offset(const gp__tensor_desc *d, int64_t layer, int64_t ci) {
    size_t size = gp_dtype_size(d->dtype);
    int first = layer >= 0 ? 1 : 0;
    if (!d->fortran_order) {
        int64_t inner = 1;
        for (int a = first; a < d->ndim; a++) inner *= d->shape[a];
        int64_t base = layer >= 0 ? layer * inner : 0;
        return d->offset + (uint64_t)(base + ci) * size;
    }
    /* Fortran: axis 0 varies fastest. Decompose ci over the selected axes
     * in C order, then recombine with Fortran strides. */
    int64_t idx[GP_MAX_DIMS] = {0};
    int64_t rem = ci;
    for (int a = d->ndim - 1; a >= first; a--) {
        idx[a] = rem % d->shape[a];
        rem /= d->shape[a];
    }
    if (layer >= 0) idx[0] = layer;
    int64_t off = 0, stride = 1;
    for (int a = 0; a < d->ndim; a++) {
        off += idx[a] * stride;
        stride *= d->shape[a];
    }
    return d->offset + (uint64_t)off * size;
}

static gp_status materialize(gp_tensor *t, gp_file *f, const gp__tensor_desc *d, gp_dtype want) {
    gp_dtype src_type = d->dtype;
    /* PyTorch users save bfloat16 as x.view(torch.uint16).numpy(): a uint16
     * .npy asked for as floats is read as bfloat16 bits. */
    if (f->format == GP_FORMAT_NPY && src_type == GP_DTYPE_U16 &&
        (want == GP_DTYPE_F32 || want == GP_DTYPE_F64))
        src_type = GP_DTYPE_BF16;
    gp_dtype out_type = want == GP_DTYPE_ANY ? d->dtype : want;
    t->dtype = out_type;
    /* An empty tensor has no element 0 (and a zero dim would divide by zero
     * in the Fortran-order index arithmetic). */
    uint64_t first = t->numel > 0 ? element_offset(d, t->layer, 0) : d->offset;
    const unsigned char *src = f->map.data + first;
    size_t out_size = gp_dtype_size(out_type);

    bool same = out_type == d->dtype && !d->big_endian && src_type == d->dtype;
    bool aligned = ((uintptr_t)src % out_size) == 0;
    if (same && !d->fortran_order && aligned) {
        t->data = src;   /* zero copy: the caller reads the page cache */
        t->file = f;
        return GP_OK;
    }
    uint64_t bytes;
    if (gp__mul_overflow((uint64_t)t->numel, out_size, &bytes) || bytes > SIZE_MAX)
        return gp__error(GP_ENOMEM, "%s: %lld elements do not fit in memory", f->path,
                         (long long)t->numel);
    /* A header may claim far more than this machine holds (the file is only
     * mapped, so its size says nothing): refuse before allocating, or the
     * conversion would swap or wake the OOM killer halfway. Copies under
     * 16 MiB skip the /proc read. */
    uint64_t avail;
    if (bytes > ((uint64_t)1 << 24) && gp__mem_available(&avail) && bytes > avail) {
        char shape[GP_MAX_DIMS * 22 + 4] = "(";
        for (int a = 0; a < t->ndim; a++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld",
                     a ? ", " : "", (long long)t->shape[a]);
        strcat(shape, t->ndim == 1 ? ",)" : ")");
        bool npy = f->format == GP_FORMAT_NPY;   /* a .safetensors tensor is named */
        return gp__error(GP_ENOMEM, "%s: converting %s%s%s%s %s to %s needs %.1f GB, only %.1f GB "
                         "of memory available", f->path, npy ? "" : "'", npy ? "" : d->name,
                         npy ? "" : "' ", shape, gp_dtype_name(src_type), gp_dtype_name(out_type),
                         (double)bytes / 1e9, (double)avail / 1e9);
    }
    t->owned = gp__malloc((size_t)bytes);
    if (!t->owned)
        return gp__error(GP_ENOMEM, "%s: cannot allocate %llu bytes to convert %s to %s",
                         f->path, (unsigned long long)bytes, gp_dtype_name(d->dtype),
                         gp_dtype_name(out_type));
    unsigned char *dst = t->owned;
    /* Contiguous source: convert in one run; Fortran order: element by element. */
    size_t run = d->fortran_order ? 1 : (size_t)t->numel;
    for (int64_t i = 0; i < t->numel; i += (int64_t)run) {
        const unsigned char *s = f->map.data + (run == 1 ? element_offset(d, t->layer, i) : first);
        unsigned char *o = dst + (size_t)i * out_size;
        if (out_type == GP_DTYPE_F32) gp__convert_to_f32(src_type, s, d->big_endian, run, (float *)(void *)o);
        else if (out_type == GP_DTYPE_F64) gp__convert_to_f64(src_type, s, d->big_endian, run, (double *)(void *)o);
        else gp__copy_native(d->dtype, s, d->big_endian, run, o);
    }
    t->data = t->owned;
    gp_file_close(f);    /* the copy no longer needs the mapping */
    return GP_OK;
}

gp_status gp_tensor_load(const char *spec, gp_dtype want, gp_tensor **out) {
    gp__clear_error();
    if (!out) return gp__error(GP_EINVAL, "gp_tensor_load: out is NULL");
    *out = NULL;
    if (!spec || !*spec) return gp__error(GP_EINVAL, "gp_tensor_load: empty spec");
    if (want != GP_DTYPE_ANY && want != GP_DTYPE_F32 && want != GP_DTYPE_F64)
        return gp__error(GP_EINVAL, "gp_tensor_load: want must be GP_DTYPE_F32, F64 or ANY");

    gp_tensor *t = gp__calloc(1, sizeof *t);
    if (!t) return gp__error(GP_ENOMEM, "%s: out of memory", spec);
    gp_file *f = NULL;
    gp_status s = parse_spec(spec, &t->path, &t->name, &t->layer);
    if (s == GP_OK) s = gp_file_open(t->path, &f);
    int idx = -1;
    if (s == GP_OK) s = pick_tensor(f, t->name, &idx);
    if (s == GP_OK && !t->name) {
        t->name = gp__strdup(f->tensors[idx].name);
        if (!t->name) s = gp__error(GP_ENOMEM, "%s: out of memory", spec);
    }
    const gp__tensor_desc *d = s == GP_OK ? &f->tensors[idx] : NULL;
    if (s == GP_OK) {
        t->stored = d->dtype;
        if (want != GP_DTYPE_ANY && d->dtype == GP_DTYPE_BOOL)
            s = gp__error(GP_EDTYPE, "%s: tensor is bool, not activations", spec);
    }
    if (s == GP_OK && t->layer != -1) {
        if (d->ndim < 2) {
            s = gp__error(GP_ESHAPE, "%s: @L needs an array of 2 or more dimensions, this one is %d-D",
                          spec, d->ndim);
        } else {
            if (t->layer == INT64_MIN) t->layer = d->shape[0] - 1;
            if (t->layer < 0 || t->layer >= d->shape[0])
                s = gp__error(GP_ESHAPE, "%s: layer %lld out of range: the first axis has %lld entries",
                              spec, (long long)t->layer, (long long)d->shape[0]);
        }
    }
    if (s == GP_OK) {
        int first = t->layer >= 0 ? 1 : 0;
        t->ndim = d->ndim - first;
        t->numel = 1;
        for (int a = 0; a < t->ndim; a++) {
            t->shape[a] = d->shape[a + first];
            t->numel *= t->shape[a];   /* fits: the parser checked the whole tensor */
        }
        s = materialize(t, f, d, want);
        if (s == GP_OK) f = NULL;      /* owned by t now, or closed */
    }
    gp_file_close(f);
    if (s != GP_OK) {
        gp_tensor_free(t);
        return s;
    }
    *out = t;
    return GP_OK;
}

gp_dtype gp_tensor_dtype(const gp_tensor *t) { return t ? t->dtype : GP_DTYPE_ANY; }
gp_dtype gp_tensor_stored_dtype(const gp_tensor *t) { return t ? t->stored : GP_DTYPE_ANY; }
int gp_tensor_ndim(const gp_tensor *t) { return t ? t->ndim : -1; }
int64_t gp_tensor_dim(const gp_tensor *t, int axis) {
    return (t && axis >= 0 && axis < t->ndim) ? t->shape[axis] : -1;
}
int64_t gp_tensor_numel(const gp_tensor *t) { return t ? t->numel : 0; }
const void *gp_tensor_data(const gp_tensor *t) { return t ? t->data : NULL; }
int gp_tensor_is_mapped(const gp_tensor *t) { return t && t->file != NULL; }
const char *gp_tensor_path(const gp_tensor *t) { return t ? t->path : NULL; }
const char *gp_tensor_name(const gp_tensor *t) { return t ? t->name : NULL; }
int64_t gp_tensor_layer(const gp_tensor *t) { return t ? t->layer : -1; }

gp_status gp_tensor_matrix(const gp_tensor *t, gp_matrix *out) {
    gp__clear_error();
    if (!t || !out) return gp__error(GP_EINVAL, "gp_tensor_matrix: NULL argument");
    memset(out, 0, sizeof *out);
    if (t->ndim == 1 || t->ndim == 2) {
        out->dtype = t->dtype;
        out->rows = t->shape[0];
        out->cols = t->ndim == 2 ? t->shape[1] : 1;
        out->ld = out->cols;
        out->data = (void *)t->data;
        return GP_OK;
    }
    if (t->ndim >= 3)
        return gp__error(GP_ESHAPE, "%s: array is %d-D; select one slice of the first axis "
                         "with %s@L (e.g. a layer of a layers x n x d dump)",
                         t->path, t->ndim, t->path);
    return gp__error(GP_ESHAPE, "%s: array is 0-D (a scalar), not a matrix", t->path);
}
