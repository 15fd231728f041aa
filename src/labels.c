/* labels.c — class labels for the rows of an activation matrix, read from
 * .npy, .txt, .csv:COLUMN or .json.
 *
 * Every format is first reduced to one of two forms: n doubles (npy, JSON
 * numbers/booleans, text whose every token is a number) or n strings
 * (pointers into one NUL-terminated copy of the file, or into the cJSON
 * tree). Both forms are then numbered the same way scikit-learn's
 * LabelEncoder does: distinct values sorted, ids 0..k-1 in that order. So a
 * label set saved as y.npy and as y.txt gives the same ids and class names.
 *
 * Blank lines inside a .txt/.csv are errors, not skipped: skipping one would
 * silently shift every later label onto the wrong activation row. Blank
 * lines at the very end (an editor's trailing newlines) are fine. */
#include "gp_internal.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct gp_labels {
    char    *spec;      /* what the caller passed, for gp_labels_path */
    int64_t  n;
    int32_t *ids;       /* (n,) */
    int32_t  k;
    char   **names;     /* k pointers followed, in the same block, by the text */
    double  *values;    /* (n,) when every label is a number, else NULL */
};

/* Longest class name a double can print to ("-1.2345678901234567e-308"). */
#define NUM_NAME_MAX 32

static gp_status oom(const char *path) {
    return gp__error(GP_ENOMEM, "%s: out of memory reading labels", path);
}

/* n elements of size bytes, failing (not wrapping) on overflow. */
static void *alloc_array(int64_t n, size_t size) {
    uint64_t total;
    if (n < 0 || gp__mul_overflow((uint64_t)n, size, &total) || total > SIZE_MAX) return NULL;
    return gp__malloc((size_t)total);
}

static bool is_blank(char c) {
    /* Not isspace(): it depends on the locale and misbehaves on bytes >= 0x80. */
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool ends_with_ci(const char *s, size_t len, const char *suffix) {
    size_t m = strlen(suffix);
    return len >= m && strncasecmp(s + len - m, suffix, m) == 0;
}

/* ---- numbering ---- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The shortest text that reads back as v: "1", "0.1", "1e+20". %g drops
 * trailing zeros, so the first precision that round-trips is the shortest,
 * and %.15g already does for every value with at most 15 digits. */
static void format_double(double v, char buf[NUM_NAME_MAX]) {
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, NUM_NAME_MAX, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* Wrap finished arrays into a gp_labels; frees them on failure. */
static gp_status finish(const char *spec, const char *path, int64_t n, int32_t *ids,
                        int32_t k, char **names, double *values, gp_labels **out) {
    gp_labels *l = gp__calloc(1, sizeof *l);
    char *s = gp__strdup(spec);
    if (!l || !s) {
        gp__free(l);
        gp__free(s);
        gp__free(ids);
        gp__free(names);
        gp__free(values);
        return oom(path);
    }
    *l = (gp_labels){s, n, ids, k, names, values};
    *out = l;
    return GP_OK;
}

/* Number n finite doubles. Takes ownership of vals (kept as the values). */
static gp_status build_numeric(const char *spec, const char *path, int64_t n, double *vals,
                               bool is_bool, gp_labels **out) {
    double *uniq = alloc_array(n, sizeof *uniq);
    int32_t *ids = alloc_array(n, sizeof *ids);
    if (!uniq || !ids) goto nomem;
    for (int64_t i = 0; i < n; i++) {
        if (vals[i] == 0) vals[i] = 0;   /* -0.0 would otherwise name a class "-0" */
    }
    memcpy(uniq, vals, (size_t)n * sizeof *uniq);
    qsort(uniq, (size_t)n, sizeof *uniq, cmp_double);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        if (k == 0 || uniq[i] != uniq[k - 1]) uniq[k++] = uniq[i];
    }
    if (k > INT32_MAX) {
        gp__free(uniq);
        gp__free(ids);
        gp__free(vals);
        return gp__error(GP_ESHAPE, "%s: %lld distinct labels, more than int32 class ids hold",
                         path, (long long)k);
    }
    for (int64_t i = 0; i < n; i++) {
        const double *hit = bsearch(&vals[i], uniq, (size_t)k, sizeof *uniq, cmp_double);
        ids[i] = (int32_t)(hit - uniq);
    }
    /* One block: k pointers, then up to NUM_NAME_MAX bytes of text each. */
    char **names = alloc_array(k, sizeof(char *) + NUM_NAME_MAX);
    if (!names) goto nomem;
    char *text = (char *)(names + k);
    for (int64_t c = 0; c < k; c++) {
        names[c] = text;
        if (is_bool) /* numpy's str(): a bool label set reads the same from .npy and .json */
            strcpy(text, uniq[c] != 0 ? "True" : "False");
        else
            format_double(uniq[c], text);
        text += strlen(text) + 1;
    }
    gp__free(uniq);
    return finish(spec, path, n, ids, (int32_t)k, names, vals, out);
nomem:
    gp__free(uniq);
    gp__free(ids);
    gp__free(vals);
    return oom(path);
}

/* Number n strings (borrowed: the caller frees them after this returns). */
static gp_status build_strings(const char *spec, const char *path, int64_t n,
                               char *const *tok, gp_labels **out) {
    char **uniq = alloc_array(n, sizeof *uniq);
    int32_t *ids = alloc_array(n, sizeof *ids);
    char **names = NULL;
    if (!uniq || !ids) goto nomem;
    memcpy(uniq, tok, (size_t)n * sizeof *uniq);
    qsort(uniq, (size_t)n, sizeof *uniq, cmp_str);
    int64_t k = 0;
    size_t bytes = 0;
    for (int64_t i = 0; i < n; i++) {
        if (k == 0 || strcmp(uniq[i], uniq[k - 1]) != 0) {
            uniq[k++] = uniq[i];
            bytes += strlen(uniq[i]) + 1;
        }
    }
    if (k > INT32_MAX) {
        gp__free(uniq);
        gp__free(ids);
        return gp__error(GP_ESHAPE, "%s: %lld distinct labels, more than int32 class ids hold",
                         path, (long long)k);
    }
    for (int64_t i = 0; i < n; i++) {
        char *const *hit = bsearch(&tok[i], uniq, (size_t)k, sizeof *uniq, cmp_str);
        ids[i] = (int32_t)(hit - uniq);
    }
    /* Copy the names out: tok points into a buffer that is about to go. */
    names = gp__malloc((size_t)k * sizeof(char *) + bytes);
    if (!names) goto nomem;
    char *text = (char *)(names + k);
    for (int64_t c = 0; c < k; c++) {
        size_t m = strlen(uniq[c]) + 1;
        memcpy(text, uniq[c], m);
        names[c] = text;
        text += m;
    }
    gp__free(uniq);
    return finish(spec, path, n, ids, (int32_t)k, names, NULL, out);
nomem:
    gp__free(uniq);
    gp__free(ids);
    return oom(path);
}

/* ---- text formats: tokens into one writable copy of the file ---- */

typedef struct {
    int64_t n, cap;
    char   **tok;
    int64_t *line;   /* 1-based line each token starts on, for messages */
} tokens;

static gp_status push(tokens *t, const char *path, char *s, int64_t line) {
    if (t->n == t->cap) {
        int64_t cap = t->cap ? 2 * t->cap : 256;
        char **a = gp__realloc(t->tok, (size_t)cap * sizeof *a);
        if (!a) return oom(path);
        t->tok = a;
        int64_t *b = gp__realloc(t->line, (size_t)cap * sizeof *b);
        if (!b) return oom(path);
        t->line = b;
        t->cap = cap;
    }
    t->tok[t->n] = s;
    t->line[t->n] = line;
    t->n++;
    return GP_OK;
}

static void tokens_free(tokens *t) {
    gp__free(t->tok);
    gp__free(t->line);
}

/* The whole file as a NUL-terminated, writable buffer (the parsers cut
 * and unescape tokens in place), without a UTF-8 byte-order mark. */
static gp_status read_text(const char *path, char **buf, char **text, size_t *len) {
    *buf = NULL;
    gp__mapping m;
    gp_status s = gp__map_file(path, &m);
    if (s != GP_OK) return s;
    if (m.size == 0) return gp__error(GP_EFORMAT, "%s: empty file, no labels", path);
    if (m.size >= SIZE_MAX) {
        gp__unmap_file(&m);
        return oom(path);
    }
    char *b = gp__malloc((size_t)m.size + 1);
    if (!b) {
        gp__unmap_file(&m);
        return oom(path);
    }
    memcpy(b, m.data, (size_t)m.size);
    b[m.size] = '\0';
    size_t n = (size_t)m.size;
    gp__unmap_file(&m);
    /* A NUL would silently cut a token short; it means a binary file. */
    if (memchr(b, '\0', n)) {
        gp__free(b);
        return gp__error(GP_EFORMAT, "%s: contains NUL bytes: not a text file", path);
    }
    size_t skip = n >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    *buf = b;
    *text = b + skip;
    *len = n - skip;
    return GP_OK;
}

/* Tokens are numbers when every one parses whole; then they become values. */
static gp_status build_text(const char *spec, const char *path, const tokens *t,
                            gp_labels **out) {
    if (t->n == 0) return gp__error(GP_EFORMAT, "%s: no labels", path);
    double *vals = alloc_array(t->n, sizeof *vals);
    if (!vals) return oom(path);
    bool numeric = true;
    for (int64_t i = 0; i < t->n && numeric; i++) {
        const char *s = t->tok[i];
        char *end = NULL;
        /* Hex ("0x1A") parses with strtod but is an id string to a user,
         * and Python's float() refuses it too. */
        if (*s == '\0' || strpbrk(s, "xX")) {
            numeric = false;
        } else {
            vals[i] = strtod(s, &end);
            numeric = *end == '\0';
        }
    }
    if (!numeric) {
        gp__free(vals);
        return build_strings(spec, path, t->n, t->tok, out);
    }
    for (int64_t i = 0; i < t->n; i++) {
        if (!isfinite(vals[i])) {
            gp__free(vals);
            return gp__error(GP_ENAN, "%s: line %lld: label \"%s\" is not a finite number",
                             path, (long long)t->line[i], t->tok[i]);
        }
    }
    return build_numeric(spec, path, t->n, vals, false, out);
}

static gp_status parse_txt(const char *path, char *p, size_t len, tokens *t) {
    char *end = p + len;
    int64_t line = 1, first_blank = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        while (p < e && is_blank(*p)) p++;
        while (e > p && is_blank(e[-1])) e--;
        *e = '\0';
        if (p == e) {
            if (!first_blank) first_blank = line;
        } else {
            if (first_blank)
                return gp__error(GP_EFORMAT, "%s: line %lld is blank (only trailing blank "
                                 "lines are allowed; a gap would shift later labels)",
                                 path, (long long)first_blank);
            gp_status s = push(t, path, p, line);
            if (s != GP_OK) return s;
        }
        p = next;
        line++;
    }
    return GP_OK;
}

/* One CSV record (RFC 4180: "" escapes a quote inside a quoted field,
 * which may span lines). Fields are unescaped in place and NUL-terminated;
 * *blank is set for a record that is an empty line. */
static gp_status csv_record(const char *path, char **pp, char *end, int64_t *line,
                            tokens *f, bool *blank) {
    char *p = *pp;
    int64_t start_line = *line;
    bool quoted_any = false;
    f->n = 0;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        char *field = p, sep;
        if (p < end && *p == '"') {
            quoted_any = true;
            char *w = p++;   /* the unescaped text overwrites the input from the quote on */
            for (;;) {
                if (p >= end)
                    return gp__error(GP_EFORMAT, "%s: line %lld: quoted field never closed",
                                     path, (long long)start_line);
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n') (*line)++;
                *w++ = *p++;
            }
            while (p < end && is_blank(*p)) p++;
            sep = p < end ? *p : '\0';
            if (sep != ',' && sep != '\n' && sep != '\0')
                return gp__error(GP_EFORMAT, "%s: line %lld: text after a closing quote",
                                 path, (long long)*line);
            *w = '\0';   /* w < p: the opening quote was consumed unwritten */
        } else {
            while (p < end && *p != ',' && *p != '\n') p++;
            sep = p < end ? *p : '\0';
            char *e = p;
            while (e > field && is_blank(e[-1])) e--;
            *e = '\0';
        }
        gp_status s = push(f, path, field, start_line);
        if (s != GP_OK) return s;
        if (sep == ',') {
            p++;
            continue;
        }
        if (sep == '\n') {
            p++;
            (*line)++;
        }
        break;
    }
    *pp = p;
    *blank = f->n == 1 && !quoted_any && f->tok[0][0] == '\0';
    return GP_OK;
}

/* "a, b, c" for messages, cut short when long. */
static void list_columns(const tokens *hdr, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (int64_t i = 0; i < hdr->n; i++) {
        int m = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", hdr->tok[i]);
        if (m < 0 || (size_t)m >= size - used) {
            memcpy(buf + size - 4, "...", 4);   /* size is a few hundred: room for it */
            return;
        }
        used += (size_t)m;
    }
}

static gp_status csv_pick_column(const char *path, const tokens *hdr, const char *column,
                                 int64_t *col) {
    char names[400];
    list_columns(hdr, names, sizeof names);
    if (!column) {
        if (hdr->n == 1) {
            *col = 0;
            return GP_OK;
        }
        return gp__error(GP_EINVAL, "%s: %lld columns: name one as %s:COLUMN (columns: %s)",
                         path, (long long)hdr->n, path, names);
    }
    for (int64_t i = 0; i < hdr->n; i++) {
        if (strcmp(hdr->tok[i], column) == 0) {
            *col = i;
            return GP_OK;
        }
    }
    /* A header name wins over an index, so a column literally named "2" works. */
    if (*column && strspn(column, "0123456789") == strlen(column) && strlen(column) < 10) {
        long idx = strtol(column, NULL, 10);
        if (idx < hdr->n) {
            *col = idx;
            return GP_OK;
        }
        return gp__error(GP_EINVAL, "%s: column index %ld out of range: %lld columns (%s)",
                         path, idx, (long long)hdr->n, names);
    }
    return gp__error(GP_EINVAL, "%s: no column '%s' (columns: %s)", path, column, names);
}

static gp_status parse_csv(const char *path, const char *column, char *p, size_t len,
                           tokens *t) {
    char *end = p + len;
    int64_t line = 1, first_blank = 0, col = 0;
    tokens hdr = {0}, rec = {0};
    bool blank;
    gp_status s = csv_record(path, &p, end, &line, &hdr, &blank);
    if (s == GP_OK && blank)
        s = gp__error(GP_EFORMAT, "%s: line 1: empty header row", path);
    if (s == GP_OK) s = csv_pick_column(path, &hdr, column, &col);
    while (s == GP_OK && p < end) {
        int64_t at = line;
        s = csv_record(path, &p, end, &line, &rec, &blank);
        if (s != GP_OK) break;
        if (blank) {
            if (!first_blank) first_blank = at;
            continue;
        }
        if (first_blank) {
            s = gp__error(GP_EFORMAT, "%s: line %lld is blank (only trailing blank lines "
                          "are allowed)", path, (long long)first_blank);
        } else if (rec.n != hdr.n) {
            s = gp__error(GP_EFORMAT, "%s: line %lld has %lld fields, the header has %lld",
                          path, (long long)at, (long long)rec.n, (long long)hdr.n);
        } else if (rec.tok[col][0] == '\0') {
            s = gp__error(GP_EFORMAT, "%s: line %lld: empty label in column '%s'",
                          path, (long long)at, hdr.tok[col]);
        } else {
            s = push(t, path, rec.tok[col], at);
        }
    }
    tokens_free(&hdr);
    tokens_free(&rec);
    return s;
}

static gp_status load_text(const char *spec, const char *path, const char *column, bool csv,
                           gp_labels **out) {
    char *buf, *text;
    size_t len;
    gp_status s = read_text(path, &buf, &text, &len);
    if (s != GP_OK) return s;
    tokens t = {0};
    s = csv ? parse_csv(path, column, text, len, &t) : parse_txt(path, text, len, &t);
    if (s == GP_OK) s = build_text(spec, path, &t, out);
    tokens_free(&t);
    gp__free(buf);
    return s;
}

/* ---- JSON ---- */

static const char *json_kind(const cJSON *v) {
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "not a label";
}

static gp_status load_json(const char *spec, const char *path, gp_labels **out) {
    char *buf, *text;
    size_t len;
    gp_status s = read_text(path, &buf, &text, &len);
    if (s != GP_OK) return s;
    const char *stop = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &stop, 0);
    double *vals = NULL;
    char **tok = NULL, *numtext = NULL;
    if (!root) {
        s = gp__error(GP_EFORMAT, "%s: invalid JSON near byte %lld", path,
                      (long long)(stop && stop >= text ? stop - text : 0));
        goto done;
    }
    if (!cJSON_IsArray(root)) {
        s = gp__error(GP_EFORMAT, "%s: not a JSON array (labels are a list like [0, 1, 1])",
                      path);
        goto done;
    }
    int64_t n = cJSON_GetArraySize(root), i = 0, n_str = 0, n_num = 0;
    if (n == 0) {
        s = gp__error(GP_EFORMAT, "%s: empty array, no labels", path);
        goto done;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, root) {
        if (cJSON_IsString(v)) n_str++;
        else if (cJSON_IsNumber(v)) n_num++;
        else if (!cJSON_IsBool(v)) {
            s = gp__error(GP_EFORMAT, "%s: element %lld is %s (labels must be numbers, "
                          "booleans or strings)", path, (long long)i, json_kind(v));
            goto done;
        }
        i++;
    }
    if (n_str == 0) {
        vals = alloc_array(n, sizeof *vals);
        if (!vals) {
            s = oom(path);
            goto done;
        }
        i = 0;
        cJSON_ArrayForEach(v, root) {
            vals[i] = cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? 1 : 0) : v->valuedouble;
            if (!isfinite(vals[i])) {
                s = gp__error(GP_ENAN, "%s: element %lld is not a finite number", path,
                              (long long)i);
                goto done;
            }
            i++;
        }
        s = build_numeric(spec, path, n, vals, n_num == 0, out);
        vals = NULL;   /* owned by the labels now, or freed */
        goto done;
    }
    /* Any string makes them all strings: ["a", 1] is a set of names. */
    tok = alloc_array(n, sizeof *tok);
    numtext = alloc_array(n_num, NUM_NAME_MAX);
    if (!tok || !numtext) {
        s = oom(path);
        goto done;
    }
    i = 0;
    char *nt = numtext;
    cJSON_ArrayForEach(v, root) {
        if (cJSON_IsString(v)) {
            tok[i] = v->valuestring;
        } else if (cJSON_IsBool(v)) {
            tok[i] = cJSON_IsTrue(v) ? "True" : "False";
        } else {
            format_double(v->valuedouble, nt);
            tok[i] = nt;
            nt += NUM_NAME_MAX;
        }
        i++;
    }
    s = build_strings(spec, path, n, tok, out);
done:
    cJSON_Delete(root);
    gp__free(vals);
    gp__free(tok);
    gp__free(numtext);
    gp__free(buf);
    return s;
}

/* ---- npy ---- */

static gp_status load_npy(const char *spec, const char *path, gp_labels **out) {
    gp_tensor *t = NULL;
    gp_status s = gp_tensor_load(path, GP_DTYPE_ANY, &t);
    if (s != GP_OK) return s;
    int nd = gp_tensor_ndim(t);
    int64_t n = nd >= 1 ? gp_tensor_dim(t, 0) : 0;
    if (nd < 1 || nd > 2 || (nd == 2 && gp_tensor_dim(t, 1) != 1)) {
        char shape[160] = "";
        size_t used = 0;
        for (int a = 0; a < nd && used < sizeof shape - 24; a++)
            used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%lld",
                                     a ? ", " : "", (long long)gp_tensor_dim(t, a));
        gp_tensor_free(t);
        return gp__error(GP_ESHAPE, "%s: labels must be 1-D (n,) or (n, 1), got shape (%s%s)",
                         path, shape, nd == 1 ? "," : "");
    }
    if (n == 0) {
        gp_tensor_free(t);
        return gp__error(GP_EFORMAT, "%s: empty array, no labels", path);
    }
    gp_dtype dt = gp_tensor_dtype(t);
    double *vals = alloc_array(n, sizeof *vals);
    if (!vals) {
        gp_tensor_free(t);
        return oom(path);
    }
    gp__convert_to_f64(dt, gp_tensor_data(t), false, (size_t)n, vals);
    gp_tensor_free(t);
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(vals[i])) {
            bool nan = isnan(vals[i]);
            gp__free(vals);
            return gp__error(GP_ENAN, "%s: row %lld: label is %s", path, (long long)i,
                             nan ? "NaN" : "infinite");
        }
    }
    return build_numeric(spec, path, n, vals, dt == GP_DTYPE_BOOL, out);
}

/* ---- public ---- */

gp_status gp_labels_load(const char *spec, gp_labels **out) {
    gp__clear_error();
    if (!out) return gp__error(GP_EINVAL, "gp_labels_load: out is NULL");
    *out = NULL;
    if (!spec || !*spec) return gp__error(GP_EINVAL, "gp_labels_load: empty labels spec");
    /* "y.csv:COL": split at the last ':' only after a .csv name, so other
     * paths may hold ':' freely. */
    const char *colon = strrchr(spec, ':');
    size_t plen = strlen(spec);
    const char *column = NULL;
    if (colon && ends_with_ci(spec, (size_t)(colon - spec), ".csv")) {
        plen = (size_t)(colon - spec);
        column = colon + 1;
    }
    char *path = gp__malloc(plen + 1);
    if (!path) return oom(spec);
    memcpy(path, spec, plen);
    path[plen] = '\0';
    gp_status s;
    if (column && !*column)
        s = gp__error(GP_EINVAL, "%s: empty column name after ':'", path);
    else if (ends_with_ci(path, plen, ".csv"))
        s = load_text(spec, path, column, true, out);
    else if (ends_with_ci(path, plen, ".txt"))
        s = load_text(spec, path, NULL, false, out);
    else if (ends_with_ci(path, plen, ".json"))
        s = load_json(spec, path, out);
    else if (ends_with_ci(path, plen, ".npy"))
        s = load_npy(spec, path, out);
    else
        s = gp__error(GP_EINVAL, "%s: unknown labels format: use .npy, .txt, .csv:COLUMN "
                      "or .json", path);
    gp__free(path);
    if (s != GP_OK) *out = NULL;
    return s;
}

void gp_labels_free(gp_labels *l) {
    if (!l) return;
    gp__free(l->spec);
    gp__free(l->ids);
    gp__free(l->names);
    gp__free(l->values);
    gp__free(l);
}

int64_t gp_labels_n(const gp_labels *l) { return l ? l->n : 0; }
const int32_t *gp_labels_ids(const gp_labels *l) { return l ? l->ids : NULL; }
int32_t gp_labels_n_classes(const gp_labels *l) { return l ? l->k : 0; }
const char *gp_labels_class_name(const gp_labels *l, int32_t k) {
    return l && k >= 0 && k < l->k ? l->names[k] : NULL;
}
int gp_labels_is_numeric(const gp_labels *l) { return l && l->values ? 1 : 0; }
const double *gp_labels_values(const gp_labels *l) { return l ? l->values : NULL; }
const char *gp_labels_path(const gp_labels *l) { return l ? l->spec : NULL; }

gp_status gp_labels_drop_rows(gp_labels *l, const uint8_t *drop) {
    gp__clear_error();
    if (!l) return gp__error(GP_EINVAL, "gp_labels_drop_rows: labels are NULL");
    if (!drop && l->n > 0) return gp__error(GP_EINVAL, "gp_labels_drop_rows: drop is NULL");
    int64_t m = 0;
    for (int64_t i = 0; i < l->n; i++) {
        if (drop[i]) continue;
        l->ids[m] = l->ids[i];
        if (l->values) l->values[m] = l->values[i];
        m++;
    }
    l->n = m;
    return GP_OK;
}
