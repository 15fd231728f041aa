/* io_safetensors.c — .safetensors read (header parse + validation) and write.
 *
 * Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON (an
 * object: tensor name -> {"dtype", "shape", "data_offsets": [begin, end]},
 * plus an optional "__metadata__" object of strings), then the data buffer.
 * Offsets are relative to the data buffer, which starts at byte 8 + N.
 *
 * The file is untrusted: every number in the header is checked against the
 * file size before it is used for anything, so a corrupt or hostile file
 * gives one clear message and never a crash, an overread or a huge
 * allocation. */
#include "gp_internal.h"

#include <cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reference implementation refuses headers over 100 MB; so do we, so
 * a garbage length never turns into a 100 GB copy. */
#define ST_MAX_HEADER 100000000ULL
/* cJSON keeps numbers as doubles: integers beyond 2^53 are not exact, so a
 * claim that large cannot be trusted (and no real tensor needs it). */
#define ST_MAX_EXACT 9007199254740992.0

static const struct {
    const char *name;
    gp_dtype dtype;
} ST_DTYPES[] = {
    {"F32", GP_DTYPE_F32}, {"F64", GP_DTYPE_F64}, {"F16", GP_DTYPE_F16},
    {"BF16", GP_DTYPE_BF16}, {"I64", GP_DTYPE_I64}, {"I32", GP_DTYPE_I32},
    {"I16", GP_DTYPE_I16}, {"I8", GP_DTYPE_I8}, {"U8", GP_DTYPE_U8},
    {"U16", GP_DTYPE_U16}, {"U32", GP_DTYPE_U32}, {"U64", GP_DTYPE_U64},
    {"BOOL", GP_DTYPE_BOOL},
};
#define ST_N_DTYPES (sizeof ST_DTYPES / sizeof ST_DTYPES[0])

static bool st_dtype_from_name(const char *s, gp_dtype *out) {
    for (size_t i = 0; i < ST_N_DTYPES; i++) {
        if (strcmp(ST_DTYPES[i].name, s) == 0) {
            *out = ST_DTYPES[i].dtype;
            return true;
        }
    }
    return false;
}

static const char *st_dtype_name(gp_dtype t) {
    for (size_t i = 0; i < ST_N_DTYPES; i++)
        if (ST_DTYPES[i].dtype == t) return ST_DTYPES[i].name;
    return NULL;
}

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF), as the reference
 * reader requires; *bad gets the offset of the first bad byte. cJSON itself
 * passes any bytes through, and names end up in messages and JSON output. */
static bool utf8_valid(const unsigned char *s, size_t n, size_t *bad) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
        else goto fail;
        if (n - i < len) goto fail;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) goto fail;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto fail;
        i += len;
        continue;
    fail:
        *bad = i;
        return false;
    }
    return true;
}

/* A JSON number that is an exact non-negative integer. */
static bool json_uint(const cJSON *j, uint64_t *out) {
    if (!cJSON_IsNumber(j)) return false;
    double d = j->valuedouble;
    /* NaN fails the first test, +-Inf one of the two. */
    if (!(d >= 0.0) || d > ST_MAX_EXACT || (double)(uint64_t)d != d) return false;
    *out = (uint64_t)d;
    return true;
}

/* Bytes of a C-order array: false when the count overflows int64. A zero
 * dim makes the array empty whatever the others are, and the wrapped
 * product of an overflow means nothing (2^40 cubed wraps to exactly 0), so
 * both are tracked apart from the product. As numpy does, the nonzero dims
 * must have a representable product even when a zero dim makes the array
 * empty: [2^50, 2^50, 0] is refused, since every later element count of
 * it would overflow. Dims must be >= 0. */
static bool shape_bytes(const int64_t *shape, int nd, size_t itemsize, uint64_t *out) {
    uint64_t n = itemsize;
    bool overflow = false, empty = false;
    *out = 0;
    for (int i = 0; i < nd; i++) {
        if (shape[i] == 0) empty = true;
        else if (gp__mul_overflow(n, (uint64_t)shape[i], &n) || n > (uint64_t)INT64_MAX)
            overflow = true;
    }
    if (overflow) return false;
    *out = empty ? 0 : n;
    return true;
}

/* "[3, 4]" for messages; 8 dims of 20 digits fit in 200 bytes. */
static void shape_str(const gp__tensor_desc *t, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < t->ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%" PRId64, i ? ", " : "", t->shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

static int cmp_by_offset(const void *a, const void *b) {
    const gp__tensor_desc *x = *(const gp__tensor_desc *const *)a;
    const gp__tensor_desc *y = *(const gp__tensor_desc *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset ? 1 : 0;
}

static int cmp_by_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Fill one tensor descriptor from its header entry. base = file offset of
 * the data buffer, buf_size = its length; both already checked. */
static gp_status parse_entry(const struct gp_file *f, const cJSON *e, uint64_t base,
                             uint64_t buf_size, gp__tensor_desc *t) {
    const char *p = f->path, *nm = t->name;
    if (!cJSON_IsObject(e))
        return gp__error(GP_EFORMAT, "%s: tensor '%s': entry is not a JSON object", p, nm);

    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    if (!cJSON_IsString(dt))
        return gp__error(GP_EFORMAT, "%s: tensor '%s': missing or non-string \"dtype\"", p, nm);
    if (!st_dtype_from_name(dt->valuestring, &t->dtype))
        return gp__error(GP_EDTYPE, "%s: tensor '%s': dtype %s is not supported (geoprobe "
                         "reads F32 F64 F16 BF16 I64 I32 I16 I8 U8 U16 U32 U64 BOOL)",
                         p, nm, dt->valuestring);

    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    if (!cJSON_IsArray(sh))
        return gp__error(GP_EFORMAT, "%s: tensor '%s': missing or non-array \"shape\"", p, nm);
    int nd = cJSON_GetArraySize(sh);
    if (nd > GP_MAX_DIMS)
        return gp__error(GP_EFORMAT, "%s: tensor '%s': %d dimensions (geoprobe allows at "
                         "most %d)", p, nm, nd, GP_MAX_DIMS);
    int k = 0;
    for (const cJSON *d = sh->child; d; d = d->next, k++) {
        uint64_t v;
        if (!json_uint(d, &v)) {
            if (cJSON_IsNumber(d))
                return gp__error(GP_EFORMAT, "%s: tensor '%s': shape[%d] is %g, not a "
                                 "non-negative integer", p, nm, k, d->valuedouble);
            return gp__error(GP_EFORMAT, "%s: tensor '%s': shape[%d] is not a number",
                             p, nm, k);
        }
        t->shape[k] = (int64_t)v;
    }
    t->ndim = nd;
    char sbuf[200];
    shape_str(t, sbuf, sizeof sbuf);
    uint64_t need;
    if (!shape_bytes(t->shape, nd, gp_dtype_size(t->dtype), &need))
        return gp__error(GP_EFORMAT, "%s: tensor '%s': shape %s is too large (byte "
                         "count overflows 64 bits)", p, nm, sbuf);

    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    uint64_t begin, end;
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 ||
        !json_uint(off->child, &begin) || !json_uint(off->child->next, &end))
        return gp__error(GP_EFORMAT, "%s: tensor '%s': \"data_offsets\" missing or not "
                         "[begin, end] with non-negative integers", p, nm);
    if (end < begin)
        return gp__error(GP_EFORMAT, "%s: tensor '%s': data_offsets end %" PRIu64
                         " is before begin %" PRIu64, p, nm, end, begin);
    if (end - begin != need)
        return gp__error(GP_EFORMAT, "%s: tensor '%s': data_offsets span %" PRIu64
                         " bytes but shape %s %s needs %" PRIu64, p, nm, end - begin,
                         sbuf, dt->valuestring, need);
    if (end > buf_size)
        return gp__error(GP_EFORMAT, "%s: tensor '%s': data_offsets end %" PRIu64
                         " beyond the %" PRIu64 "-byte data buffer (file truncated?)",
                         p, nm, end, buf_size);
    t->offset = base + begin;
    t->nbytes = need;
    t->big_endian = false;
    t->fortran_order = false;
    return GP_OK;
}

/* __metadata__: null or an object of strings, kept as compact JSON text. */
static gp_status parse_metadata(struct gp_file *f, const cJSON *m) {
    if (cJSON_IsNull(m)) return GP_OK;
    if (!cJSON_IsObject(m))
        return gp__error(GP_EFORMAT, "%s: __metadata__ is not a JSON object", f->path);
    for (const cJSON *c = m->child; c; c = c->next)
        if (!cJSON_IsString(c))
            return gp__error(GP_EFORMAT, "%s: __metadata__ value for '%s' is not a string",
                             f->path, c->string);
    char *text = cJSON_PrintUnformatted(m);
    if (!text) return gp__error(GP_ENOMEM, "%s: out of memory", f->path);
    /* Copy so that gp_file_close frees it through the gp allocator. */
    char *copy = gp__strdup(text);
    cJSON_free(text);
    if (!copy) return gp__error(GP_ENOMEM, "%s: out of memory", f->path);
    gp__free(f->metadata_json);
    f->metadata_json = copy;
    return GP_OK;
}

/* Cross-tensor checks: no two names alike, no two byte ranges overlapping. */
static gp_status check_directory(const struct gp_file *f, uint64_t base) {
    int n = f->n_tensors;
    if (n < 2) return GP_OK;
    const gp__tensor_desc **by = gp__calloc((size_t)n, sizeof *by);
    const char **names = gp__calloc((size_t)n, sizeof *names);
    gp_status s = GP_OK;
    if (!by || !names) {
        s = gp__error(GP_ENOMEM, "%s: out of memory", f->path);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        by[i] = &f->tensors[i];
        names[i] = f->tensors[i].name;
    }
    /* cJSON keeps duplicate keys as separate entries; refuse them, since a
     * lookup by name would silently pick one. */
    qsort(names, (size_t)n, sizeof *names, cmp_by_name);
    for (int i = 1; i < n; i++) {
        if (strcmp(names[i - 1], names[i]) == 0) {
            s = gp__error(GP_EFORMAT, "%s: tensor name '%s' appears twice in the header",
                          f->path, names[i]);
            goto done;
        }
    }
    /* Sorted by start, a range overlaps an earlier one exactly when it
     * starts before the furthest end seen so far. Empty tensors own no
     * bytes and are skipped. */
    qsort(by, (size_t)n, sizeof *by, cmp_by_offset);
    const gp__tensor_desc *far = NULL;
    for (int i = 0; i < n; i++) {
        const gp__tensor_desc *t = by[i];
        if (t->nbytes == 0) continue;
        if (far && t->offset < far->offset + far->nbytes) {
            s = gp__error(GP_EFORMAT, "%s: tensors '%s' (bytes %" PRIu64 "..%" PRIu64
                          ") and '%s' (bytes %" PRIu64 "..%" PRIu64 ") overlap", f->path,
                          far->name, far->offset - base, far->offset - base + far->nbytes,
                          t->name, t->offset - base, t->offset - base + t->nbytes);
            goto done;
        }
        if (!far || t->offset + t->nbytes > far->offset + far->nbytes) far = t;
    }
done:
    gp__free(by);
    gp__free(names);
    return s;
}

gp_status gp__safetensors_parse(struct gp_file *f) {
    const unsigned char *d = f->map.data;
    uint64_t size = f->map.size;
    if (size < 9) return gp__error(GP_EFORMAT, "%s: truncated safetensors file", f->path);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | d[i];
    if (n > size - 8)
        return gp__error(GP_EFORMAT, "%s: header length %" PRIu64 " exceeds file size %"
                         PRIu64 " (only %" PRIu64 " bytes follow the 8-byte length)",
                         f->path, n, size, size - 8);
    if (n > ST_MAX_HEADER)
        return gp__error(GP_EFORMAT, "%s: header length %" PRIu64 " is over the 100 MB "
                         "limit", f->path, n);
    size_t bad;
    if (!utf8_valid(d + 8, (size_t)n, &bad))
        return gp__error(GP_EFORMAT, "%s: header is not valid UTF-8 at byte %zu",
                         f->path, bad);

    /* Parse a NUL-terminated copy: the mapping is not NUL-terminated, and
     * this way no JSON parser bug can read past the header. n is checked
     * against the file size and the cap above. */
    char *hdr = gp__malloc((size_t)n + 1);
    if (!hdr) return gp__error(GP_ENOMEM, "%s: out of memory (header of %" PRIu64
                               " bytes)", f->path, n);
    memcpy(hdr, d + 8, (size_t)n);
    hdr[n] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, (size_t)n, &end, 0);
    gp_status s = GP_OK;
    if (!root) {
        size_t at = end && end >= hdr && end <= hdr + n ? (size_t)(end - hdr) : 0;
        s = gp__error(GP_EFORMAT, "%s: header is not valid JSON near byte %zu", f->path, at);
        goto out;
    }
    /* JSON whitespace may follow (the writer pads with spaces); anything
     * else means a corrupt header. */
    for (const char *c = end; c && c < hdr + n; c++) {
        if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r') {
            s = gp__error(GP_EFORMAT, "%s: header is not valid JSON near byte %zu "
                          "(text after the object)", f->path, (size_t)(c - hdr));
            goto out;
        }
    }
    if (!cJSON_IsObject(root)) {
        s = gp__error(GP_EFORMAT, "%s: header is not a JSON object", f->path);
        goto out;
    }

    uint64_t base = 8 + n, buf_size = size - base;
    size_t count = 0;
    const cJSON *meta = NULL;
    for (const cJSON *e = root->child; e; e = e->next) {
        if (strcmp(e->string, "__metadata__") != 0) {
            count++;
        } else if (meta) {
            s = gp__error(GP_EFORMAT, "%s: __metadata__ appears twice in the header", f->path);
            goto out;
        } else {
            meta = e;
        }
    }
    if (count > 0) {
        /* count <= n / 2, so this allocation is bounded by the header size. */
        f->tensors = gp__calloc(count, sizeof *f->tensors);
        if (!f->tensors) {
            s = gp__error(GP_ENOMEM, "%s: out of memory", f->path);
            goto out;
        }
    }
    for (const cJSON *e = root->child; e; e = e->next) {
        if (e == meta) continue;
        gp__tensor_desc *t = &f->tensors[f->n_tensors];
        t->name = gp__strdup(e->string);
        if (!t->name) {
            s = gp__error(GP_ENOMEM, "%s: out of memory", f->path);
            goto out;
        }
        f->n_tensors++; /* counted now, so gp_file_close frees the name */
        s = parse_entry(f, e, base, buf_size, t);
        if (s != GP_OK) goto out;
    }
    s = check_directory(f, base);
    if (s == GP_OK && meta) s = parse_metadata(f, meta);
out:
    cJSON_Delete(root);
    gp__free(hdr);
    return s;
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

/* Exact integers: cJSON would print a large double in exponent form,
 * which the reference reader (integers only) refuses. */
static bool add_uint(cJSON *arr, uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return cJSON_AddItemToArray(arr, cJSON_CreateRaw(buf));
}

static gp_status check_text(const char *s, const char *what, int i) {
    size_t bad;
    if (!s) return gp__error(GP_EINVAL, "gp_safetensors_write: %s %d is NULL", what, i);
    if (!utf8_valid((const unsigned char *)s, strlen(s), &bad))
        return gp__error(GP_EINVAL, "gp_safetensors_write: %s %d is not valid UTF-8",
                         what, i);
    return GP_OK;
}

/* Refuse a name that occurs twice in names[0..n) (sorted in place). */
static gp_status check_unique(const char **names, int n, const char *what) {
    qsort(names, (size_t)n, sizeof *names, cmp_by_name);
    for (int i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            return gp__error(GP_EINVAL, "gp_safetensors_write: %s '%s' given twice",
                             what, names[i]);
    return GP_OK;
}

/* Validate the arguments and compute each tensor's byte size. */
static gp_status check_args(int n_tensors, const gp_named_tensor *tensors, int n_meta,
                            const char *const *keys, const char *const *values,
                            uint64_t *nbytes) {
    gp_status s;
    uint64_t total = 0;
    for (int i = 0; i < n_tensors; i++) {
        const gp_named_tensor *t = &tensors[i];
        if ((s = check_text(t->name, "name of tensor", i)) != GP_OK) return s;
        if (strcmp(t->name, "__metadata__") == 0)
            return gp__error(GP_EINVAL, "gp_safetensors_write: tensors[%d].name "
                             "\"__metadata__\" is reserved", i);
        if (!st_dtype_name(t->dtype))
            return gp__error(GP_EINVAL, "gp_safetensors_write: tensor '%s': invalid dtype %d",
                             t->name, (int)t->dtype);
        if (t->ndim < 0 || t->ndim > GP_MAX_DIMS)
            return gp__error(GP_EINVAL, "gp_safetensors_write: tensor '%s': ndim %d not in "
                             "0..%d", t->name, (int)t->ndim, GP_MAX_DIMS);
        for (int k = 0; k < t->ndim; k++)
            if (t->shape[k] < 0)
                return gp__error(GP_EINVAL, "gp_safetensors_write: tensor '%s': shape[%d] "
                                 "is negative (%" PRId64 ")", t->name, k, t->shape[k]);
        if (!shape_bytes(t->shape, t->ndim, gp_dtype_size(t->dtype), &nbytes[i]) ||
            nbytes[i] > SIZE_MAX || __builtin_add_overflow(total, nbytes[i], &total))
            return gp__error(GP_EINVAL, "gp_safetensors_write: tensor '%s': shape too "
                             "large", t->name);
        if (nbytes[i] > 0 && !t->data)
            return gp__error(GP_EINVAL, "gp_safetensors_write: tensor '%s': data is NULL",
                             t->name);
    }
    for (int i = 0; i < n_meta; i++) {
        if ((s = check_text(keys[i], "metadata key", i)) != GP_OK) return s;
        if ((s = check_text(values[i], "metadata value", i)) != GP_OK) return s;
    }
    return GP_OK;
}

/* The header JSON: __metadata__ first, then tensors in the caller's order
 * with dense offsets, as the reference writer lays them out. */
static char *build_header(int n_tensors, const gp_named_tensor *tensors, int n_meta,
                          const char *const *keys, const char *const *values,
                          const uint64_t *nbytes) {
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL;
    if (ok && n_meta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        ok = m != NULL;
        for (int i = 0; ok && i < n_meta; i++)
            ok = cJSON_AddStringToObject(m, keys[i], values[i]) != NULL;
    }
    uint64_t at = 0;
    for (int i = 0; ok && i < n_tensors; i++) {
        const gp_named_tensor *t = &tensors[i];
        cJSON *e = cJSON_AddObjectToObject(root, t->name);
        cJSON *sh = e ? cJSON_AddStringToObject(e, "dtype", st_dtype_name(t->dtype)) : NULL;
        sh = sh ? cJSON_AddArrayToObject(e, "shape") : NULL;
        ok = sh != NULL;
        for (int k = 0; ok && k < t->ndim; k++) ok = add_uint(sh, (uint64_t)t->shape[k]);
        cJSON *off = ok ? cJSON_AddArrayToObject(e, "data_offsets") : NULL;
        ok = off && add_uint(off, at) && add_uint(off, at + nbytes[i]);
        at += nbytes[i];
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

gp_status gp_safetensors_write(const char *path, int n_tensors,
                               const gp_named_tensor *tensors, int n_meta,
                               const char *const *meta_keys,
                               const char *const *meta_values) {
    gp__clear_error();
    if (!path || !*path) return gp__error(GP_EINVAL, "gp_safetensors_write: path is empty");
    if (n_tensors < 0 || n_tensors > INT_MAX - 3 || (n_tensors > 0 && !tensors))
        return gp__error(GP_EINVAL, "%s: gp_safetensors_write: n_tensors is %d with "
                         "tensors %s", path, n_tensors, tensors ? "given" : "NULL");
    if (n_meta < 0 || (n_meta > 0 && (!meta_keys || !meta_values)))
        return gp__error(GP_EINVAL, "%s: gp_safetensors_write: n_meta is %d with "
                         "meta_keys/meta_values NULL or negative count", path, n_meta);

    gp_status s = GP_OK;
    uint64_t *nbytes = gp__calloc((size_t)n_tensors + 1, sizeof *nbytes);
    const char **names = gp__calloc((size_t)GP_MAX(n_tensors, n_meta) + 1, sizeof *names);
    const void **parts = gp__calloc((size_t)n_tensors + 3, sizeof *parts);
    size_t *lens = gp__calloc((size_t)n_tensors + 3, sizeof *lens);
    char *json = NULL, *hdr = NULL;
    if (!nbytes || !names || !parts || !lens) {
        s = gp__error(GP_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    s = check_args(n_tensors, tensors, n_meta, meta_keys, meta_values, nbytes);
    for (int i = 0; s == GP_OK && i < n_tensors; i++) names[i] = tensors[i].name;
    if (s == GP_OK) s = check_unique(names, n_tensors, "tensor name");
    for (int i = 0; s == GP_OK && i < n_meta; i++) names[i] = meta_keys[i];
    if (s == GP_OK) s = check_unique(names, n_meta, "metadata key");
    if (s != GP_OK) {
        gp__error_prefix("%s", path);
        goto out;
    }

    json = build_header(n_tensors, tensors, n_meta, meta_keys, meta_values, nbytes);
    if (!json) {
        s = gp__error(GP_ENOMEM, "%s: out of memory building the header", path);
        goto out;
    }
    /* Pad with spaces so the data buffer starts 8-byte aligned in the file:
     * readers that map the file can then use every tensor in place. */
    size_t jlen = strlen(json), hlen = (jlen + 7) & ~(size_t)7;
    hdr = gp__malloc(hlen);
    if (!hdr) {
        s = gp__error(GP_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    memcpy(hdr, json, jlen);
    memset(hdr + jlen, ' ', hlen - jlen);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    parts[0] = len8;
    lens[0] = 8;
    parts[1] = hdr;
    lens[1] = hlen;
    for (int i = 0; i < n_tensors; i++) {
        parts[2 + i] = tensors[i].data;
        lens[2 + i] = (size_t)nbytes[i];
    }
    s = gp__write_parts_atomic(path, n_tensors + 2, parts, lens);
out:
    if (json) cJSON_free(json);
    gp__free(hdr);
    gp__free(nbytes);
    gp__free(names);
    gp__free(parts);
    gp__free(lens);
    return s;
}
