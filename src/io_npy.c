/* io_npy.c — the .npy format: header parsing for gp_file_open and a writer.
 *
 * A .npy file is: the magic "\x93NUMPY", a major and a minor version byte, a
 * little-endian header length (u16 in 1.0, u32 in 2.0 and 3.0), a header
 * that is a Python dict literal, then the raw array bytes.
 *
 * The header comes from an untrusted file, so it is parsed in place with a
 * bounded cursor: nothing is copied, nothing is allocated from a length the
 * file declares, and no byte past f->map.size is ever read. */
#include "gp_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* A bounded cursor over the header text                              */
/* ------------------------------------------------------------------ */

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' ||
                             *c->p == '\r'))
        c->p++;
}

/* Consume ch (after optional whitespace); false if the next byte differs. */
static bool eat(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A quoted string ('...' or "..."): sets *s / *len to its contents (a view
 * into the header). Escapes never occur in the keys and dtype strings numpy
 * writes, so a backslash is simply rejected. */
static bool parse_string(cursor *c, const char **s, size_t *len) {
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return false;
    char q = *c->p++;
    const char *start = c->p;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\') return false;
        c->p++;
    }
    if (c->p >= c->end) return false;
    *s = start;
    *len = (size_t)(c->p - start);
    c->p++;
    return true;
}

static bool word_is(const char *s, size_t len, const char *w) {
    return strlen(w) == len && memcmp(s, w, len) == 0;
}

/* ------------------------------------------------------------------ */
/* dtype strings                                                      */
/* ------------------------------------------------------------------ */

/* Map a numpy dtype string such as '<f4' to a geoprobe dtype. numpy always
 * writes a byte-order character; a missing one is read as native, as
 * np.dtype('f4') would. '|V2' / '<V2' is how bfloat16 from ml_dtypes (and
 * hand-written PyTorch dumps) appears to a plain numpy: two opaque bytes. */
static bool parse_descr(const char *s, size_t len, gp_dtype *out, bool *big_endian) {
    const int host_big = (*(const unsigned char *)&(const uint16_t){1} == 0);
    char order = '=';
    if (len > 0 && strchr("<>=|", s[0])) {
        order = s[0];
        s++;
        len--;
    }
    if (len < 2 || len > 3) return false;
    char kind = s[0];
    int size = 0;
    for (size_t i = 1; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        size = size * 10 + (s[i] - '0');
    }
    gp_dtype t;
    switch (kind) {
    case 'f':
        if (size == 2) t = GP_DTYPE_F16;
        else if (size == 4) t = GP_DTYPE_F32;
        else if (size == 8) t = GP_DTYPE_F64;
        else return false;
        break;
    case 'i':
        if (size == 1) t = GP_DTYPE_I8;
        else if (size == 2) t = GP_DTYPE_I16;
        else if (size == 4) t = GP_DTYPE_I32;
        else if (size == 8) t = GP_DTYPE_I64;
        else return false;
        break;
    case 'u':
        if (size == 1) t = GP_DTYPE_U8;
        else if (size == 2) t = GP_DTYPE_U16;
        else if (size == 4) t = GP_DTYPE_U32;
        else if (size == 8) t = GP_DTYPE_U64;
        else return false;
        break;
    case 'b':
        if (size != 1) return false;
        t = GP_DTYPE_BOOL;
        break;
    case 'V':
        /* Opaque bytes have no byte order; a '>V2' could mean swapped
         * bfloat16 or anything else, so only '|', '<' and '=' are taken. */
        if (size != 2 || order == '>') return false;
        *out = GP_DTYPE_BF16;
        *big_endian = false;
        return true;
    default:
        return false;
    }
    if (gp_dtype_size(t) == 1) {
        *big_endian = false;        /* any order character is fine for bytes */
    } else if (order == '|') {
        return false;               /* "not applicable" makes no sense here */
    } else {
        *big_endian = order == '>' || (order == '=' && host_big);
    }
    *out = t;
    return true;
}

/* ------------------------------------------------------------------ */
/* The header dict                                                    */
/* ------------------------------------------------------------------ */

/* Format a shape the way Python prints a tuple: (), (5,), (3, 4). */
static void format_shape(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%" PRId64, i ? ", " : "", shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, ndim == 1 ? ",)" : ")");
}

/* The shape tuple. Python 2 era numpy wrote longs as "3L"; the suffix is
 * accepted so those old files still open. */
static gp_status parse_shape(cursor *c, const char *path, gp__tensor_desc *d) {
    if (!eat(c, '('))
        return gp__error(GP_EFORMAT, "%s: malformed header: 'shape' is not a tuple", path);
    d->ndim = 0;
    for (;;) {
        if (eat(c, ')')) return GP_OK;
        skip_ws(c);
        if (c->p < c->end && *c->p == '-')
            return gp__error(GP_EFORMAT, "%s: negative dimension in shape", path);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return gp__error(GP_EFORMAT, "%s: malformed header: bad number in 'shape'", path);
        uint64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            /* Checked before the multiply, which could otherwise wrap. */
            uint64_t digit = (uint64_t)(*c->p++ - '0');
            if (v > ((uint64_t)INT64_MAX - digit) / 10)
                return gp__error(GP_ESHAPE, "%s: shape dimension overflows 64 bits", path);
            v = v * 10 + digit;
        }
        if (c->p < c->end && *c->p == 'L') c->p++;
        if (d->ndim == GP_MAX_DIMS)
            return gp__error(GP_ESHAPE, "%s: too many dimensions (geoprobe reads at most %d)",
                             path, GP_MAX_DIMS);
        d->shape[d->ndim++] = (int64_t)v;
        if (eat(c, ',')) continue;
        if (eat(c, ')')) return GP_OK;
        return gp__error(GP_EFORMAT, "%s: malformed header: bad 'shape' tuple", path);
    }
}

/* Parse {'descr': ..., 'fortran_order': ..., 'shape': ...} into d. numpy
 * rejects any other key, and so do we: a file with extra keys was not
 * written by anything that follows the format. */
static gp_status parse_header(cursor *c, const char *path, gp__tensor_desc *d) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    if (!eat(c, '{'))
        return gp__error(GP_EFORMAT, "%s: malformed header: not a Python dict literal", path);
    while (!eat(c, '}')) {
        const char *key, *val;
        size_t klen, vlen;
        if (!parse_string(c, &key, &klen))
            return gp__error(GP_EFORMAT, "%s: malformed header: expected a quoted key", path);
        if (!eat(c, ':'))
            return gp__error(GP_EFORMAT, "%s: malformed header: expected ':' after '%.*s'",
                             path, (int)GP_MIN(klen, 40), key);
        if (word_is(key, klen, "descr") && !have_descr) {
            skip_ws(c);
            if (c->p < c->end && *c->p == '[')
                return gp__error(GP_EDTYPE, "%s: unsupported dtype: a structured (record) "
                                 "array; geoprobe reads plain float and integer arrays", path);
            if (!parse_string(c, &val, &vlen))
                return gp__error(GP_EFORMAT, "%s: malformed header: 'descr' is not a string",
                                 path);
            if (!parse_descr(val, vlen, &d->dtype, &d->big_endian))
                return gp__error(GP_EDTYPE, "%s: unsupported dtype '%.*s' (geoprobe reads "
                                 "float32, float64, float16, bfloat16 and integer/bool "
                                 "arrays)", path, (int)GP_MIN(vlen, 40), val);
            have_descr = true;
        } else if (word_is(key, klen, "fortran_order") && !have_fortran) {
            skip_ws(c);
            size_t left = (size_t)(c->end - c->p);
            if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
                d->fortran_order = true;
                c->p += 4;
            } else if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
                d->fortran_order = false;
                c->p += 5;
            } else {
                return gp__error(GP_EFORMAT, "%s: malformed header: 'fortran_order' is not "
                                 "True or False", path);
            }
            have_fortran = true;
        } else if (word_is(key, klen, "shape") && !have_shape) {
            gp_status s = parse_shape(c, path, d);
            if (s != GP_OK) return s;
            have_shape = true;
        } else {
            return gp__error(GP_EFORMAT, "%s: malformed header: unexpected or repeated key "
                             "'%.*s'", path, (int)GP_MIN(klen, 40), key);
        }
        if (eat(c, ',')) continue;
        if (eat(c, '}')) break;
        return gp__error(GP_EFORMAT, "%s: malformed header: expected ',' or '}'", path);
    }
    /* numpy pads with spaces and a newline; tolerate NULs some writers use. */
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' ||
                             *c->p == '\t' || *c->p == '\0'))
        c->p++;
    if (c->p != c->end)
        return gp__error(GP_EFORMAT, "%s: malformed header: text after the closing '}'", path);
    const char *missing = !have_descr ? "descr" : !have_fortran ? "fortran_order"
                        : !have_shape ? "shape" : NULL;
    if (missing)
        return gp__error(GP_EFORMAT, "%s: malformed header: missing key '%s'", path, missing);
    return GP_OK;
}

/* ------------------------------------------------------------------ */
/* Reading                                                            */
/* ------------------------------------------------------------------ */

gp_status gp__npy_parse(struct gp_file *f) {
    const unsigned char *m = f->map.data;
    uint64_t size = f->map.size;
    if (size < 8)
        return gp__error(GP_EFORMAT, "%s: truncated header: %" PRIu64 " bytes is too short "
                         "for the .npy preamble", f->path, size);
    int major = m[6], minor = m[7];
    if (minor != 0 || major < 1 || major > 3)
        return gp__error(GP_EFORMAT, "%s: unsupported .npy format version %d.%d (geoprobe "
                         "reads 1.0, 2.0 and 3.0)", f->path, major, minor);
    uint64_t pre = major == 1 ? 10 : 12;
    if (size < pre)
        return gp__error(GP_EFORMAT, "%s: truncated header: %" PRIu64 " bytes is too short "
                         "for the .npy %d.0 preamble", f->path, size, major);
    uint64_t hlen = major == 1 ? (uint64_t)m[8] | (uint64_t)m[9] << 8
                  : (uint64_t)m[8] | (uint64_t)m[9] << 8 | (uint64_t)m[10] << 16 |
                    (uint64_t)m[11] << 24;
    if (hlen > size - pre)
        return gp__error(GP_EFORMAT, "%s: truncated header: declares %" PRIu64 " bytes, "
                         "file has %" PRIu64, f->path, hlen, size - pre);

    gp__tensor_desc d;
    memset(&d, 0, sizeof d);
    cursor c = {(const char *)m + pre, (const char *)m + pre + hlen};
    gp_status s = parse_header(&c, f->path, &d);
    if (s != GP_OK) return s;

    /* prod(shape) * itemsize must fit 64 bits before it can be compared with
     * the file size; a 0-d array (ndim 0) holds one element. As numpy does,
     * the product of the nonzero dims must fit int64 even when a zero dim
     * makes the array empty: (2**61, 4, 0) is refused, not read as an
     * array whose element count overflows every later product. */
    uint64_t nbytes = gp_dtype_size(d.dtype);
    bool empty = false;
    char shape_txt[GP_MAX_DIMS * 22 + 4];
    format_shape(shape_txt, sizeof shape_txt, d.ndim, d.shape);
    for (int i = 0; i < d.ndim; i++) {
        if (d.shape[i] == 0) {
            empty = true;
            continue;
        }
        if (gp__mul_overflow(nbytes, (uint64_t)d.shape[i], &nbytes) ||
            nbytes > (uint64_t)INT64_MAX)
            return gp__error(GP_ESHAPE, "%s: shape %s %s overflows: its byte count does not "
                             "fit 64 bits", f->path, shape_txt, gp_dtype_name(d.dtype));
    }
    if (empty) nbytes = 0;
    d.offset = pre + hlen;
    d.nbytes = nbytes;
    if (nbytes > size - d.offset)
        return gp__error(GP_EFORMAT, "%s: truncated data: shape %s %s needs %" PRIu64
                         " bytes, file holds %" PRIu64, f->path, shape_txt,
                         gp_dtype_name(d.dtype), nbytes, size - d.offset);
    /* Extra bytes after the data are allowed: numpy ignores them too. */

    d.name = gp__strdup("");
    f->tensors = gp__calloc(1, sizeof *f->tensors);
    if (!d.name || !f->tensors) {
        gp__free(d.name);
        gp__free(f->tensors);
        f->tensors = NULL;
        return gp__error(GP_ENOMEM, "%s: out of memory", f->path);
    }
    f->tensors[0] = d;
    f->n_tensors = 1;
    f->npy_version = major;
    return GP_OK;
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

/* dtype string numpy uses for t, with the host byte order. bfloat16 goes
 * out as '|V2': plain numpy sees two opaque bytes (view it with ml_dtypes),
 * and geoprobe reads it back as bfloat16. */
static const char *descr_of(gp_dtype t, bool host_big) {
    switch (t) {
    case GP_DTYPE_F32:  return host_big ? ">f4" : "<f4";
    case GP_DTYPE_F64:  return host_big ? ">f8" : "<f8";
    case GP_DTYPE_F16:  return host_big ? ">f2" : "<f2";
    case GP_DTYPE_BF16: return "|V2";
    case GP_DTYPE_I64:  return host_big ? ">i8" : "<i8";
    case GP_DTYPE_I32:  return host_big ? ">i4" : "<i4";
    case GP_DTYPE_I16:  return host_big ? ">i2" : "<i2";
    case GP_DTYPE_U64:  return host_big ? ">u8" : "<u8";
    case GP_DTYPE_U32:  return host_big ? ">u4" : "<u4";
    case GP_DTYPE_U16:  return host_big ? ">u2" : "<u2";
    case GP_DTYPE_BOOL: return "|b1";
    case GP_DTYPE_U8:   return "|u1";
    case GP_DTYPE_I8:   return "|i1";
    case GP_DTYPE_ANY:  return NULL;
    }
    return NULL;
}

gp_status gp_npy_write(const char *path, gp_dtype dtype, int ndim, const int64_t *shape,
                       const void *data) {
    gp__clear_error();
    if (!path || !*path) return gp__error(GP_EINVAL, "gp_npy_write: no output file name");
    const int host_big = (*(const unsigned char *)&(const uint16_t){1} == 0);
    const char *descr = descr_of(dtype, host_big);
    if (!descr)
        return gp__error(GP_EINVAL, "%s: cannot write dtype %s (%d) as .npy", path,
                         gp_dtype_name(dtype), (int)dtype);
    if (ndim < 0 || ndim > GP_MAX_DIMS)
        return gp__error(GP_EINVAL, "%s: ndim %d out of range 0..%d", path, ndim, GP_MAX_DIMS);
    if (ndim > 0 && !shape) return gp__error(GP_EINVAL, "%s: shape is NULL", path);
    uint64_t nbytes = gp_dtype_size(dtype);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return gp__error(GP_EINVAL, "%s: negative dimension %" PRId64 " at axis %d",
                             path, shape[i], i);
        if (gp__mul_overflow(nbytes, (uint64_t)shape[i], &nbytes) || nbytes > SIZE_MAX)
            return gp__error(GP_EINVAL, "%s: shape overflows: byte count too large", path);
    }
    if (!data && nbytes) return gp__error(GP_EINVAL, "%s: data is NULL", path);

    /* The dict as numpy writes it (keys sorted, trailing ", "), then spaces
     * and '\n' so the data starts at a multiple of 64 bytes: readers that
     * mmap the file get aligned arrays. 8 dims of 19 digits stay far below
     * the buffer size, so the 2.0 branch is defensive only. */
    char shape_txt[GP_MAX_DIMS * 22 + 4];
    format_shape(shape_txt, sizeof shape_txt, ndim, shape);
    char hdr[1024];
    int dict = snprintf(hdr + 12, sizeof hdr - 12,
                        "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr,
                        shape_txt);
    if (dict < 0 || (size_t)dict + 12 + 64 > sizeof hdr)
        return gp__error(GP_EINTERNAL, "%s: .npy header too long", path);
    size_t pre = 10;
    size_t total = (pre + (size_t)dict + 1 + 63) / 64 * 64;
    if (total - pre > 65535) {
        pre = 12;
        total = (pre + (size_t)dict + 1 + 63) / 64 * 64;
    }
    /* The dict was printed at offset 12; move it next to a 10-byte preamble. */
    if (pre == 10) memmove(hdr + 10, hdr + 12, (size_t)dict);
    memset(hdr + pre + (size_t)dict, ' ', total - pre - (size_t)dict - 1);
    hdr[total - 1] = '\n';
    size_t hlen = total - pre;
    memcpy(hdr, "\x93NUMPY", 6);
    hdr[6] = pre == 10 ? 1 : 2;
    hdr[7] = 0;
    hdr[8] = (char)(hlen & 0xff);
    hdr[9] = (char)((hlen >> 8) & 0xff);
    if (pre == 12) {
        hdr[10] = (char)((hlen >> 16) & 0xff);
        hdr[11] = (char)((hlen >> 24) & 0xff);
    }
    const void *parts[2] = {hdr, data};
    size_t lens[2] = {total, (size_t)nbytes};
    return gp__write_parts_atomic(path, 2, parts, lens);
}
