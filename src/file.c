/* file.c — open an activation file, pick its format by content, and answer
 * questions about its tensor directory. */
#include "gp_internal.h"

#include <string.h>

static const unsigned char NPY_MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

void gp__file_free_tensors(struct gp_file *f) {
    for (int i = 0; i < f->n_tensors; i++) gp__free(f->tensors[i].name);
    gp__free(f->tensors);
    f->tensors = NULL;
    f->n_tensors = 0;
}

void gp_file_close(gp_file *f) {
    if (!f) return;
    gp__file_free_tensors(f);
    gp__free(f->metadata_json);
    gp__unmap_file(&f->map);
    gp__free(f->path);
    gp__free(f);
}

gp_status gp_file_open(const char *path, gp_file **out) {
    gp__clear_error();
    if (!out) return gp__error(GP_EINVAL, "gp_file_open: out is NULL");
    *out = NULL;
    if (!path) return gp__error(GP_EINVAL, "gp_file_open: path is NULL");
    gp_file *f = gp__calloc(1, sizeof *f);
    if (!f) return gp__error(GP_ENOMEM, "%s: out of memory", path);
    f->path = gp__strdup(path);
    f->metadata_json = gp__strdup("{}");
    if (!f->path || !f->metadata_json) {
        gp_file_close(f);
        return gp__error(GP_ENOMEM, "%s: out of memory", path);
    }
    gp_status s = gp__map_file(path, &f->map);
    if (s == GP_OK && f->map.size == 0)
        s = gp__error(GP_EFORMAT, "%s: empty file", path);
    if (s == GP_OK) {
        if (f->map.size >= 6 && memcmp(f->map.data, NPY_MAGIC, 6) == 0) {
            f->format = GP_FORMAT_NPY;
            s = gp__npy_parse(f);
        } else if (f->map.size >= 9 && f->map.data[8] == '{') {
            f->format = GP_FORMAT_SAFETENSORS;
            s = gp__safetensors_parse(f);
        } else if (f->map.size <= 8) {
            s = gp__error(GP_EFORMAT, "%s: truncated: %llu bytes is too short for "
                          ".npy or .safetensors (no header)", path, (unsigned long long)f->map.size);
        } else {
            s = gp__error(GP_EFORMAT, "%s: neither .npy (no \\x93NUMPY magic) nor "
                          ".safetensors (no JSON header after the 8-byte length)", path);
        }
    }
    if (s != GP_OK) {
        gp_file_close(f);
        return s;
    }
    *out = f;
    return GP_OK;
}

static const gp__tensor_desc *desc(const gp_file *f, int i) {
    return (f && i >= 0 && i < f->n_tensors) ? &f->tensors[i] : NULL;
}

gp_format gp_file_format(const gp_file *f) { return f ? f->format : GP_FORMAT_NPY; }
const char *gp_file_path(const gp_file *f) { return f ? f->path : NULL; }
uint64_t gp_file_size(const gp_file *f) { return f ? f->map.size : 0; }
int gp_file_n_tensors(const gp_file *f) { return f ? f->n_tensors : 0; }
const char *gp_file_metadata_json(const gp_file *f) { return f ? f->metadata_json : NULL; }

const char *gp_file_tensor_name(const gp_file *f, int i) {
    const gp__tensor_desc *d = desc(f, i);
    return d ? d->name : NULL;
}

gp_dtype gp_file_tensor_dtype(const gp_file *f, int i) {
    const gp__tensor_desc *d = desc(f, i);
    return d ? d->dtype : GP_DTYPE_ANY;
}

int gp_file_tensor_ndim(const gp_file *f, int i) {
    const gp__tensor_desc *d = desc(f, i);
    return d ? d->ndim : -1;
}

int64_t gp_file_tensor_dim(const gp_file *f, int i, int axis) {
    const gp__tensor_desc *d = desc(f, i);
    return (d && axis >= 0 && axis < d->ndim) ? d->shape[axis] : -1;
}

int gp_file_find_tensor(const gp_file *f, const char *name) {
    if (!f || !name) return -1;
    for (int i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return i;
    return -1;
}
