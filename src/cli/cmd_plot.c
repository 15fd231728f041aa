/* cmd_plot.c — `geoprobe plot REPORT.json OUT.png|svg|pdf`: redraw a chart
 * from a saved report without recomputing anything: from its "plot" object
 * (written when the command ran with --plot), or from the contract's keys
 * (pca: scree; similarity: heatmap; sweep: the layer curve). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "geoprobe plot REPORT.json OUT.png|svg|pdf [--kind scatter|scree|hist|curve|heatmap|contrast]\n"
    "                    [--metric test.accuracy] [--log] [--dpi N] [--size WxH] [--plot-title T]";

static void help(void) {
    printf("usage: %s\n\n"
           "Redraw a chart from a geoprobe JSON report, without recomputing: change the\n"
           "format, size or title, or draw a report made before.\n\n"
           "What is drawn:\n"
           "  the report's \"plot\" object, written when the command ran with --plot FILE\n"
           "      and --json (pca: scatter or scree; probe: score histogram; similarity:\n"
           "      heatmap; ccs: contrast pairs), or else, from the report's own keys:\n"
           "  scree     pca reports: explained_variance_ratio\n"
           "  heatmap   similarity reports: matrix (or value, for two inputs) and names\n"
           "  curve     sweep reports: layers[].methods.<method>.<metric> against layer,\n"
           "            one line per method, a band from <metric>_ci95 ([lo, hi]) where\n"
           "            given, dashed chance level 0.5 for accuracy and auroc\n"
           "The scatter, histogram and contrast charts need the points, which a report\n"
           "keeps only when made with --plot.\n\n"
           "options:\n"
           "  --kind K             the chart to draw (default: the report's \"plot\", else\n"
           "                       the one its command gives)\n"
           "  --metric M           curve: the method key to draw, dotted (default\n"
           "                       test.accuracy; test.auroc, train.accuracy...); a method\n"
           "                       without a \"test\" object (ccs) is read at M's last part\n"
           "  --log                scree: log scale for the per-component ratios\n",
           USAGE);
    cli_plot_print_help(23, false);
    printf("  -h, --help           this help\n\n"
           "The \"plot\" object: {\"kind\", \"title\", ...} and per kind\n"
           "  scatter   x, y (n), ids (n, class of each point), n_classes, class_names,\n"
           "            values (n, color scale, without ids), value_label, show_centroids,\n"
           "            arrow ([dx, dy]), arrow_label, x_label, y_label\n"
           "  scree     ratio (k), log_scale\n"
           "  hist      scores (n), ids, n_classes, class_names, n_bins (0 = auto),\n"
           "            threshold, x_label\n"
           "  curve     x (points), series [{name, y, lo, hi}] (null = missing), chance,\n"
           "            x_label, y_label\n"
           "  heatmap   values (rows x cols), row_names, col_names, range ([min, max]),\n"
           "            show_values (-1 = when at most 144 cells), colorbar_label,\n"
           "            x_label, y_label\n"
           "  contrast  p_pos, p_neg (n), ids (1 = x+ true), class_names\n\n"
           "Examples:\n"
           "  geoprobe pca datasets/larger_than/plain_layer3.npy \\\n"
           "      --labels datasets/larger_than/labels.npy --plot pca.png --json pca.json\n"
           "  geoprobe plot pca.json pca.pdf --size 1200x900\n"
           "  geoprobe plot pca.json scree.svg --kind scree --log\n"
           "  geoprobe plot sweep.json auroc.png --kind curve --metric test.auroc\n");
}

/* ---- reading: every failure is one message naming the key ---------- */

typedef struct reader {
    void **blocks; /* everything the chart points to */
    int n, cap;
    char err[512];
} reader;

static bool fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(reader *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return false;
}

static void *take(reader *r, size_t bytes) {
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        void **b = realloc(r->blocks, (size_t)cap * sizeof *b);
        if (!b) return NULL;
        r->blocks = b;
        r->cap = cap;
    }
    void *p = calloc(1, bytes ? bytes : 1);
    if (p) r->blocks[r->n++] = p;
    return p;
}

static void reader_free(reader *r) {
    for (int i = 0; i < r->n; i++) free(r->blocks[i]);
    free(r->blocks);
}

/* An array of numbers at obj[key] (where names it in messages). null is
 * NaN where allow_null, else an error. Absent: *out NULL, true unless
 * required. */
static bool num_array(reader *r, const cJSON *a, const char *what, bool allow_null, double **out,
                      int64_t *n) {
    if (!cJSON_IsArray(a)) return fail(r, "%s is not an array of numbers", what);
    int64_t m = cJSON_GetArraySize(a);
    double *v = take(r, (size_t)m * sizeof *v);
    if (!v) return fail(r, "out of memory");
    int64_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        if (cJSON_IsNull(e) && allow_null) v[i] = NAN;
        else if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
            return fail(r, "%s[%lld] is not a %snumber", what, (long long)i, cJSON_IsNumber(e) ? "finite " : "");
        else v[i] = e->valuedouble;
        i++;
    }
    *out = v;
    *n = m;
    return true;
}

static bool doubles(reader *r, const cJSON *obj, const char *key, const char *where, bool required,
                    bool allow_null, double **out, int64_t *n) {
    const cJSON *a = cJSON_GetObjectItem(obj, key);
    char what[128];
    *out = NULL;
    *n = 0;
    snprintf(what, sizeof what, "%s.%s", where, key);
    if (!a || cJSON_IsNull(a)) return required ? fail(r, "%s is missing", what) : true;
    return num_array(r, a, what, allow_null, out, n);
}

static bool same_len(reader *r, const char *where, const char *a, int64_t na, const char *b, int64_t nb) {
    if (na == nb) return true;
    return fail(r, "%s.%s has %lld values but %s.%s has %lld", where, a, (long long)na, where, b, (long long)nb);
}

static bool strings(reader *r, const cJSON *obj, const char *key, const char *where, int64_t want,
                    const char ***out) {
    const cJSON *a = cJSON_GetObjectItem(obj, key);
    *out = NULL;
    if (!a || cJSON_IsNull(a)) return true;
    if (!cJSON_IsArray(a)) return fail(r, "%s.%s is not an array of strings", where, key);
    int64_t m = cJSON_GetArraySize(a);
    if (m != want) return fail(r, "%s.%s has %lld names, want %lld", where, key, (long long)m, (long long)want);
    const char **v = take(r, (size_t)m * sizeof *v);
    if (!v) return fail(r, "out of memory");
    int64_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        if (!cJSON_IsString(e)) return fail(r, "%s.%s[%lld] is not a string", where, key, (long long)i);
        v[i++] = e->valuestring;
    }
    *out = v;
    return true;
}

/* An optional string (NULL when absent). */
static bool text(reader *r, const cJSON *obj, const char *key, const char *where, const char **out) {
    const cJSON *s = cJSON_GetObjectItem(obj, key);
    *out = NULL;
    if (!s || cJSON_IsNull(s)) return true;
    if (!cJSON_IsString(s)) return fail(r, "%s.%s is not a string", where, key);
    *out = s->valuestring;
    return true;
}

/* An optional number in [lo, hi]; *has says whether it was there. */
static bool number(reader *r, const cJSON *obj, const char *key, const char *where, double lo, double hi,
                   double *out, int *has) {
    const cJSON *v = cJSON_GetObjectItem(obj, key);
    if (has) *has = 0;
    if (!v || cJSON_IsNull(v)) return true;
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v);
    } else if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi) {
        return fail(r, "%s.%s is not a number in [%g, %g]", where, key, lo, hi);
    } else {
        *out = v->valuedouble;
    }
    if (has) *has = 1;
    return true;
}

/* Class ids (n) with the class count and names; all optional together. */
static bool classes(reader *r, const cJSON *obj, const char *where, int64_t n, const char *n_key,
                    const int32_t **ids_out,
                    int32_t *n_classes, const char *const **names_out) {
    double *v;
    int64_t m;
    *ids_out = NULL;
    *names_out = NULL;
    if (!doubles(r, obj, "ids", where, false, false, &v, &m)) return false;
    if (!v) return true;
    if (!same_len(r, where, "ids", m, n_key, n)) return false;
    int32_t *ids = take(r, (size_t)m * sizeof *ids);
    if (!ids) return fail(r, "out of memory");
    double top = -1, nc = 0;
    int has_nc;
    for (int64_t i = 0; i < m; i++) {
        if (v[i] < 0 || v[i] > 1e6 || v[i] != floor(v[i]))
            return fail(r, "%s.ids[%lld] = %g is not a class number", where, (long long)i, v[i]);
        ids[i] = (int32_t)v[i];
        if (v[i] > top) top = v[i];
    }
    if (!number(r, obj, "n_classes", where, 1, 1e6, &nc, &has_nc)) return false;
    const cJSON *cn = cJSON_GetObjectItem(obj, "class_names");
    if (!has_nc) nc = cJSON_IsArray(cn) ? cJSON_GetArraySize(cn) : top + 1;
    if (nc != floor(nc) || top >= nc)
        return fail(r, "%s.ids has class %g but n_classes is %g", where, top, nc);
    const char **names;
    if (!strings(r, obj, "class_names", where, (int64_t)nc, &names)) return false;
    *ids_out = ids;
    *n_classes = (int32_t)nc;
    *names_out = names;
    return true;
}

static bool labels(reader *r, const cJSON *obj, const char *where, const char **x, const char **y) {
    return text(r, obj, "x_label", where, x) && (!y || text(r, obj, "y_label", where, y));
}

/* The chart stored in a report's "plot" object. */
static bool read_plot(reader *r, const cJSON *plot, cli_chart_kind kind, cli_chart *c) {
    const char *w = "plot";
    int64_t n, m;
    double *a, *b, v = 0;
    int has;
    memset(c, 0, sizeof *c);
    c->kind = kind;
    if (!text(r, plot, "title", w, &c->title)) return false;
    switch (kind) {
    case CLI_CHART_SCATTER: {
        gp_plot_scatter_data *s = &c->scatter;
        if (!doubles(r, plot, "x", w, true, false, &a, &n) || !doubles(r, plot, "y", w, true, false, &b, &m) ||
            !same_len(r, w, "x", n, "y", m))
            return false;
        s->n = n;
        s->x = a;
        s->y = b;
        if (!classes(r, plot, w, n, "x", &s->ids, &s->n_classes, &s->class_names)) return false;
        if (!doubles(r, plot, "values", w, false, false, &a, &m)) return false;
        if (a && !same_len(r, w, "values", m, "x", n)) return false;
        s->values = a;
        if (!text(r, plot, "value_label", w, &s->value_label)) return false;
        if (!number(r, plot, "show_centroids", w, 0, 1, &v, &has)) return false;
        s->show_centroids = has ? (int32_t)v : s->ids != NULL;
        if (!doubles(r, plot, "arrow", w, false, false, &a, &m)) return false;
        if (a && m != 2) return fail(r, "plot.arrow has %lld values, want 2 ([dx, dy])", (long long)m);
        s->arrow = a;
        return text(r, plot, "arrow_label", w, &s->arrow_label) && labels(r, plot, w, &s->x_label, &s->y_label);
    }
    case CLI_CHART_SCREE:
        if (!doubles(r, plot, "ratio", w, true, false, &a, &n)) return false;
        if (!number(r, plot, "log_scale", w, 0, 1, &v, &has)) return false;
        c->scree = (gp_plot_scree_data){.k = n, .ratio = a, .log_scale = has ? (int32_t)v : 0};
        return true;
    case CLI_CHART_HIST: {
        gp_plot_hist_data *h = &c->hist;
        if (!doubles(r, plot, "scores", w, true, false, &a, &n)) return false;
        h->n = n;
        h->scores = a;
        if (!classes(r, plot, w, n, "scores", &h->ids, &h->n_classes, &h->class_names)) return false;
        if (!number(r, plot, "n_bins", w, 0, 10000, &v, &has)) return false;
        h->n_bins = has ? (int32_t)v : 0;
        if (!number(r, plot, "threshold", w, -1e300, 1e300, &h->threshold, &h->has_threshold)) return false;
        return text(r, plot, "x_label", w, &h->x_label);
    }
    case CLI_CHART_CURVE: {
        gp_plot_curve_data *cv = &c->curve;
        if (!doubles(r, plot, "x", w, true, false, &a, &n)) return false;
        const cJSON *series = cJSON_GetObjectItem(plot, "series");
        if (!cJSON_IsArray(series) || cJSON_GetArraySize(series) < 1)
            return fail(r, "plot.series is missing (an array of {name, y, lo, hi})");
        int ns = cJSON_GetArraySize(series);
        double *y = take(r, (size_t)ns * (size_t)n * sizeof *y);
        double *lo = take(r, (size_t)ns * (size_t)n * sizeof *lo);
        double *hi = take(r, (size_t)ns * (size_t)n * sizeof *hi);
        const char **names = take(r, (size_t)ns * sizeof *names);
        if (!y || !lo || !hi || !names) return fail(r, "out of memory");
        int any_band = 0, i = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, series) {
            char sw[48];
            snprintf(sw, sizeof sw, "plot.series[%d]", i);
            double *sy, *sl, *sh;
            int64_t ny, nl, nh;
            if (!text(r, s, "name", sw, &names[i]) || !doubles(r, s, "y", sw, true, true, &sy, &ny) ||
                !doubles(r, s, "lo", sw, false, true, &sl, &nl) || !doubles(r, s, "hi", sw, false, true, &sh, &nh))
                return false;
            if (!names[i]) names[i] = "";
            if (ny != n) return fail(r, "%s.y has %lld values but plot.x has %lld", sw, (long long)ny, (long long)n);
            if ((sl && nl != n) || (sh && nh != n) || !sl != !sh)
                return fail(r, "%s: lo and hi need one value per point each", sw);
            for (int64_t j = 0; j < n; j++) {
                y[(size_t)i * (size_t)n + (size_t)j] = sy[j];
                lo[(size_t)i * (size_t)n + (size_t)j] = sl ? sl[j] : NAN;
                hi[(size_t)i * (size_t)n + (size_t)j] = sh ? sh[j] : NAN;
            }
            any_band |= sl != NULL;
            i++;
        }
        *cv = (gp_plot_curve_data){.n_series = ns, .n_points = (int32_t)n, .x = a, .y = y,
                                   .lo = any_band ? lo : NULL, .hi = any_band ? hi : NULL,
                                   .series_names = names};
        if (!number(r, plot, "chance", w, -1e300, 1e300, &cv->chance, &cv->has_chance)) return false;
        return labels(r, plot, w, &cv->x_label, &cv->y_label);
    }
    case CLI_CHART_HEATMAP: {
        gp_plot_heatmap_data *h = &c->heatmap;
        const cJSON *rows = cJSON_GetObjectItem(plot, "values"), *row;
        if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) < 1)
            return fail(r, "plot.values is missing (an array of rows)");
        int nr = cJSON_GetArraySize(rows), nc = -1, i = 0;
        cJSON_ArrayForEach(row, rows) {
            if (!cJSON_IsArray(row) || (nc >= 0 && cJSON_GetArraySize(row) != nc) || cJSON_GetArraySize(row) < 1)
                return fail(r, "plot.values[%d] is not a row of %d numbers", i, nc < 0 ? cJSON_GetArraySize(row) : nc);
            nc = cJSON_GetArraySize(row);
            i++;
        }
        double *vals = take(r, (size_t)nr * (size_t)nc * sizeof *vals);
        if (!vals) return fail(r, "out of memory");
        i = 0;
        cJSON_ArrayForEach(row, rows) {
            const cJSON *e;
            int j = 0;
            cJSON_ArrayForEach(e, row) {
                if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
                    return fail(r, "plot.values[%d][%d] is not a number", i, j);
                vals[(size_t)i * (size_t)nc + (size_t)j++] = e->valuedouble;
            }
            i++;
        }
        *h = (gp_plot_heatmap_data){.rows = nr, .cols = nc, .values = vals, .show_values = -1};
        if (!strings(r, plot, "row_names", w, nr, (const char ***)&h->row_names) ||
            !strings(r, plot, "col_names", w, nc, (const char ***)&h->col_names) ||
            !doubles(r, plot, "range", w, false, false, &a, &m))
            return false;
        if (a && (m != 2 || !(a[0] < a[1]))) return fail(r, "plot.range is not [min, max] with min < max");
        if (a) {
            h->has_range = 1;
            h->vmin = a[0];
            h->vmax = a[1];
        }
        if (!number(r, plot, "show_values", w, -1, 1, &v, &has)) return false;
        if (has) h->show_values = (int32_t)v;
        return text(r, plot, "colorbar_label", w, &h->colorbar_label) && labels(r, plot, w, &h->x_label, &h->y_label);
    }
    case CLI_CHART_CONTRAST: {
        gp_plot_contrast_data *p = &c->contrast;
        if (!doubles(r, plot, "p_pos", w, true, false, &a, &n) || !doubles(r, plot, "p_neg", w, true, false, &b, &m) ||
            !same_len(r, w, "p_pos", n, "p_neg", m))
            return false;
        for (int64_t i = 0; i < n; i++)
            if (a[i] < 0 || a[i] > 1 || b[i] < 0 || b[i] > 1)
                return fail(r, "plot.p_pos/p_neg[%lld] is not a probability in [0, 1]", (long long)i);
        *p = (gp_plot_contrast_data){.n = n, .p_pos = a, .p_neg = b};
        int32_t k = 0;
        if (!classes(r, plot, w, n, "p_pos", &p->ids, &k, &p->class_names)) return false;
        if (p->ids && k > 2) return fail(r, "plot.ids: contrast pairs are true (1) or false (0), not %d classes", k);
        if (p->class_names && k != 2) p->class_names = NULL;
        return true;
    }
    default:
        return fail(r, "plot.kind is unknown");
    }
}

/* ---- charts from the contract's keys ------------------------------ */

/* The base name of the report's first input, for titles. */
static const char *first_input(const cJSON *root) {
    const cJSON *in = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "inputs"), 0);
    const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(in, "path"));
    if (!p) return "report";
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* pca: explained_variance_ratio. */
static bool derive_scree(reader *r, const cJSON *root, int log_scale, cli_chart *c) {
    double *a;
    int64_t k;
    if (!cJSON_GetObjectItem(root, "explained_variance_ratio"))
        return fail(r, "no explained_variance_ratio: a scree is drawn from a pca report");
    if (!doubles(r, root, "explained_variance_ratio", "report", true, false, &a, &k)) return false;
    if (k < 1) return fail(r, "report.explained_variance_ratio is empty");
    char *title = take(r, 512);
    if (!title) return fail(r, "out of memory");
    snprintf(title, 512, "Explained variance: %s", first_input(root));
    *c = (cli_chart){.kind = CLI_CHART_SCREE, .title = title};
    c->scree = (gp_plot_scree_data){.k = k, .ratio = a, .log_scale = log_scale};
    return true;
}

/* similarity: matrix (or value for two inputs), names, metric. */
static bool derive_heatmap(reader *r, const cJSON *root, cli_chart *c) {
    const cJSON *names = cJSON_GetObjectItem(root, "names"), *mat = cJSON_GetObjectItem(root, "matrix");
    const cJSON *value = cJSON_GetObjectItem(root, "value");
    if ((!mat && !value) || !names)
        return fail(r, "no matrix or value with names: a heatmap is drawn from a similarity report");
    int m = cJSON_IsArray(names) ? cJSON_GetArraySize(names) : 0;
    if (m < 2) return fail(r, "report.names is not an array of two or more names");
    double *v = take(r, (size_t)m * (size_t)m * sizeof *v);
    const char **rn = take(r, (size_t)m * sizeof *rn);
    if (!v || !rn) return fail(r, "out of memory");
    if (mat) {
        if (!cJSON_IsArray(mat) || cJSON_GetArraySize(mat) != m)
            return fail(r, "report.matrix is not %d rows (one per name)", m);
        for (int i = 0; i < m; i++) {
            char what[48];
            double *row;
            int64_t len;
            snprintf(what, sizeof what, "report.matrix[%d]", i);
            if (!num_array(r, cJSON_GetArrayItem(mat, i), what, false, &row, &len)) return false;
            if (len != m) return fail(r, "report.matrix[%d] has %lld values, want %d", i, (long long)len, m);
            memcpy(v + (size_t)i * (size_t)m, row, (size_t)m * sizeof *v);
        }
    } else {
        if (m != 2) return fail(r, "report.value is one number but report.names has %d names", m);
        if (!cJSON_IsNumber(value) || !isfinite(value->valuedouble)) return fail(r, "report.value is not a number");
        v[0] = v[3] = 1;
        v[1] = v[2] = value->valuedouble;
    }
    const cJSON *deg = cJSON_GetObjectItem(root, "degenerate");
    for (int i = 0; i < m; i++) {
        const cJSON *nm = cJSON_GetArrayItem(names, i);
        if (!cJSON_IsString(nm)) return fail(r, "report.names[%d] is not a string", i);
        char *s = cli_plot_short_name(nm->valuestring);
        char *kept = s ? take(r, strlen(s) + 1) : NULL;
        if (kept) strcpy(kept, s);
        free(s);
        if (!kept) return fail(r, "out of memory");
        rn[i] = kept;
        const cJSON *d;
        cJSON_ArrayForEach(d, deg) /* a constant input: CKA 0 with itself too */
            if (!mat && cJSON_IsString(d) && strcmp(d->valuestring, nm->valuestring) == 0) v[i * m + i] = 0;
    }
    const char *metric = cJSON_GetStringValue(cJSON_GetObjectItem(root, "metric"));
    metric = metric ? metric : "cka";
    int cosine = strcmp(metric, "cosine") == 0, debiased = strcmp(metric, "cka_debiased") == 0;
    *c = (cli_chart){.kind = CLI_CHART_HEATMAP,
                     .title = cosine ? "Cosine similarity" : debiased ? "Debiased linear CKA" : "Linear CKA"};
    c->heatmap = (gp_plot_heatmap_data){.rows = m, .cols = m, .values = v, .row_names = rn, .col_names = rn,
                                        .has_range = 1, .vmin = cosine ? -1 : 0, .vmax = 1, .show_values = -1,
                                        .colorbar_label = cosine ? "cosine" : debiased ? "debiased CKA" : "CKA"};
    return true;
}

/* The value at a dotted path ("test.accuracy") under obj, or NULL. */
static const cJSON *at_path(const cJSON *obj, const char *path) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *o = obj;
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part && o; part = strtok_r(NULL, ".", &save))
        o = cJSON_IsObject(o) ? cJSON_GetObjectItem(o, part) : NULL;
    return o;
}

/* sweep: layers[].methods.<name>.<metric>, one series per method. */
static bool derive_curve(reader *r, const cJSON *root, const char *metric, cli_chart *c) {
    const cJSON *layers = cJSON_GetObjectItem(root, "layers"), *L;
    if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) < 1)
        return fail(r, "no layers: a layer curve is drawn from a sweep report (layers[].methods...)");
    int np = cJSON_GetArraySize(layers), ns = 0, cap = 8;
    const char *dot = strrchr(metric, '.');
    const char *last = dot ? dot + 1 : metric;
    char ci_key[300];
    snprintf(ci_key, sizeof ci_key, "%s_ci95", metric);
    double *x = take(r, (size_t)np * sizeof *x);
    const char **names = take(r, (size_t)cap * sizeof *names);
    if (!x || !names) return fail(r, "out of memory");
    /* The series: every method name, in order of first appearance. */
    int li = 0;
    cJSON_ArrayForEach(L, layers) {
        const cJSON *lay = cJSON_GetObjectItem(L, "layer"), *meth = cJSON_GetObjectItem(L, "methods"), *mm;
        if (!cJSON_IsObject(L) || !cJSON_IsObject(meth))
            return fail(r, "report.layers[%d] has no methods object", li);
        if (lay && (!cJSON_IsNumber(lay) || !isfinite(lay->valuedouble)))
            return fail(r, "report.layers[%d].layer is not a number", li);
        x[li] = lay ? lay->valuedouble : li;
        cJSON_ArrayForEach(mm, meth) {
            int found = 0;
            for (int s = 0; s < ns && !found; s++) found = strcmp(names[s], mm->string) == 0;
            if (found) continue;
            if (ns == cap) {
                const char **n2 = take(r, (size_t)cap * 2 * sizeof *n2);
                if (!n2) return fail(r, "out of memory");
                memcpy(n2, names, (size_t)cap * sizeof *n2);
                names = n2;
                cap *= 2;
            }
            names[ns++] = mm->string;
        }
        li++;
    }
    if (ns == 0) return fail(r, "report.layers hold no methods");
    double *y = take(r, (size_t)ns * (size_t)np * sizeof *y), *lo = take(r, (size_t)ns * (size_t)np * sizeof *lo);
    double *hi = take(r, (size_t)ns * (size_t)np * sizeof *hi);
    if (!y || !lo || !hi) return fail(r, "out of memory");
    int any_band = 0;
    for (int s = 0; s < ns; s++) {
        for (li = 0; li < np; li++) {
            const cJSON *mm = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(layers, li), "methods"),
                                                  names[s]);
            const cJSON *v = at_path(mm, metric), *ci = at_path(mm, ci_key);
            /* ccs keeps "accuracy" at the top: no test split object. */
            if (!v && dot && mm && !cJSON_GetObjectItem(mm, "test")) {
                v = cJSON_GetObjectItem(mm, last);
                char k2[300];
                snprintf(k2, sizeof k2, "%s_ci95", last);
                ci = cJSON_GetObjectItem(mm, k2);
            }
            size_t at = (size_t)s * (size_t)np + (size_t)li;
            y[at] = lo[at] = hi[at] = NAN;
            if (v && !cJSON_IsNull(v)) {
                if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
                    return fail(r, "report.layers[%d].methods.%s.%s is not a number", li, names[s], metric);
                y[at] = v->valuedouble;
            }
            if (ci && !cJSON_IsNull(ci)) {
                const cJSON *a = cJSON_GetArrayItem(ci, 0), *b = cJSON_GetArrayItem(ci, 1);
                if (!cJSON_IsArray(ci) || cJSON_GetArraySize(ci) != 2 || !cJSON_IsNumber(a) || !cJSON_IsNumber(b))
                    return fail(r, "report.layers[%d].methods.%s.%s is not [lo, hi]", li, names[s], ci_key);
                lo[at] = a->valuedouble;
                hi[at] = b->valuedouble;
                any_band = 1;
            }
        }
    }
    /* Drop methods that never report the metric. */
    int kept = 0;
    for (int s = 0; s < ns; s++) {
        int has = 0;
        for (li = 0; li < np; li++) has |= !isnan(y[(size_t)s * (size_t)np + (size_t)li]);
        if (!has) continue;
        if (kept != s) {
            names[kept] = names[s];
            memmove(y + (size_t)kept * (size_t)np, y + (size_t)s * (size_t)np, (size_t)np * sizeof *y);
            memmove(lo + (size_t)kept * (size_t)np, lo + (size_t)s * (size_t)np, (size_t)np * sizeof *y);
            memmove(hi + (size_t)kept * (size_t)np, hi + (size_t)s * (size_t)np, (size_t)np * sizeof *y);
        }
        kept++;
    }
    if (!kept)
        return fail(r, "no layer has methods.<method>.%s (--metric names a key of each method, like test.auroc)",
                    metric);
    char *ylabel = take(r, strlen(metric) + 1), *title = take(r, strlen(metric) + 16);
    if (!ylabel || !title) return fail(r, "out of memory");
    for (size_t i = 0; metric[i]; i++) ylabel[i] = metric[i] == '.' || metric[i] == '_' ? ' ' : metric[i];
    snprintf(title, strlen(metric) + 16, "%s by layer", ylabel);
    int chance = !strcmp(last, "accuracy") || !strcmp(last, "auroc") || !strcmp(last, "balanced_accuracy");
    *c = (cli_chart){.kind = CLI_CHART_CURVE, .title = title};
    c->curve = (gp_plot_curve_data){.n_series = kept, .n_points = np, .x = x, .y = y,
                                    .lo = any_band ? lo : NULL, .hi = any_band ? hi : NULL,
                                    .series_names = names, .has_chance = chance, .chance = 0.5,
                                    .x_label = "layer", .y_label = ylabel};
    return true;
}

/* What a report without a "plot" object (or another kind) cannot give. */
static bool missing(reader *r, cli_chart_kind want, const char *stored) {
    static const char *const from[CLI_CHART_N] = {"pca", NULL, "probe", NULL, NULL, "ccs"};
    char also[96] = "";
    if (stored) snprintf(also, sizeof also, " (its \"plot\" is a %s chart)", stored);
    return fail(r, "no %s data in this report%s: it is kept only when the report is made with --plot "
                "(geoprobe %s ... --plot FILE --json REPORT)", cli_chart_kind_name(want), also,
                from[want] ? from[want] : "pca|probe|ccs");
}

static bool read_chart(reader *r, const cJSON *root, int want_set, cli_chart_kind want, const char *metric,
                       int log_scale, cli_chart *c) {
    const cJSON *plot = cJSON_GetObjectItem(root, "plot");
    const char *stored = NULL, *command = cJSON_GetStringValue(cJSON_GetObjectItem(root, "command"));
    cli_chart_kind sk = CLI_CHART_N;
    if (plot) {
        if (!cJSON_IsObject(plot)) return fail(r, "plot is not an object");
        stored = cJSON_GetStringValue(cJSON_GetObjectItem(plot, "kind"));
        if (!stored || !cli_chart_kind_parse(stored, &sk))
            return fail(r, "plot.kind is %s%s%s (scatter, scree, hist, curve, heatmap, contrast)",
                        stored ? "'" : "missing", stored ? stored : "", stored ? "', unknown" : "");
    }
    if (!want_set) {
        if (plot) want = sk;
        else if (cJSON_GetObjectItem(root, "layers")) want = CLI_CHART_CURVE;
        else if (command && !strcmp(command, "pca")) want = CLI_CHART_SCREE;
        else if (command && !strcmp(command, "similarity")) want = CLI_CHART_HEATMAP;
        else
            return fail(r, "nothing to draw: no \"plot\" object (make the report with --plot FILE --json REPORT), "
                        "and a %s report gives no chart by itself", command ? command : "non-geoprobe");
    }
    /* A curve with --metric is always read from the layers. */
    if (plot && sk == want && !(want == CLI_CHART_CURVE && metric)) {
        if (!read_plot(r, plot, want, c)) return false;
        if (want == CLI_CHART_SCREE && log_scale) c->scree.log_scale = 1;
        return true;
    }
    switch (want) {
    case CLI_CHART_SCREE: return derive_scree(r, root, log_scale, c);
    case CLI_CHART_HEATMAP: return derive_heatmap(r, root, c);
    case CLI_CHART_CURVE: return derive_curve(r, root, metric ? metric : "test.accuracy", c);
    default: return missing(r, want, stored);
    }
}

/* ---- the command -------------------------------------------------- */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = cap ? 2 * cap : 1 << 20;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Provenance: this command, the report it read, and what that report says
 * it was made from. */
static bool plot_meta(cli_plot_meta *m, const char *report_path, const cJSON *root) {
    char hex[65], *v = NULL;
    if (!cli_plot_meta_command(m, cJSON_GetObjectItem(root, "inputs"))) return false;
    if (gp_file_sha256(report_path, hex) == GP_OK) {
        size_t n = strlen(report_path) + 66;
        v = malloc(n);
        if (!v) return false;
        snprintf(v, n, "%s %s", report_path, hex);
        bool ok = cli_plot_meta_add(m, "Report", v);
        free(v);
        if (!ok) return false;
    }
    const cJSON *argv = cJSON_GetObjectItem(root, "argv"), *a;
    int n = cJSON_GetArraySize(argv), i = 0;
    if (n < 1 || n > 100000) return true;
    char **words = calloc((size_t)n, sizeof *words);
    if (!words) return false;
    cJSON_ArrayForEach(a, argv) words[i++] = cJSON_IsString(a) ? a->valuestring : "?";
    char *cmd = cli_shell_join(n, words);
    free(words);
    bool ok = cmd && cli_plot_meta_add(m, "Report command", cmd);
    free(cmd);
    return ok;
}

int cmd_plot(int argc, char **argv) {
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'K'}, {"metric", required_argument, NULL, 'M'},
        {"log", no_argument, NULL, 'G'},        {"help", no_argument, NULL, 'h'},
        CLI_PLOT_OPTIONS,                       {NULL, 0, NULL, 0}};
    cli_plot plot;
    cli_plot_init(&plot);
    cli_chart_kind want = CLI_CHART_SCATTER;
    const char *metric = NULL;
    int want_set = 0, log_scale = 0, c, rc = CLI_OK;
    optind = 0;  /* 0, not 1: a full reset, so commands can run again in one process (sweep) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'K':
            if (!cli_chart_kind_parse(optarg, &want))
                return cli_usage_error("plot", USAGE,
                                       "unknown --kind '%s' (scatter, scree, hist, curve, heatmap, contrast)", optarg);
            want_set = 1;
            break;
        case 'M':
            if (!*optarg || strlen(optarg) > 200 || optarg[0] == '.' || optarg[strlen(optarg) - 1] == '.')
                return cli_usage_error("plot", USAGE, "--metric wants a dotted key like test.accuracy, not '%s'",
                                       optarg);
            metric = optarg;
            break;
        case 'G': log_scale = 1; break;
        case 'h': help(); return CLI_OK;
        CLI_PLOT_CASES:
            if ((rc = cli_plot_option(&plot, c, optarg, "plot", USAGE)) != CLI_OK) return rc;
            break;
        default:
            return cli_usage_error("plot", USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    int npos = argc - optind;
    if (npos < 1) return cli_usage_error("plot", USAGE, "no report given");
    if (npos > 2) return cli_usage_error("plot", USAGE, "one report and one output file (got '%s' too)", argv[optind + 2]);
    if (npos == 2 && plot.path) return cli_usage_error("plot", USAGE, "give the output once (OUT or --plot OUT)");
    if (npos == 2 && !cli_plot_path_ok(argv[optind + 1]))
        return cli_usage_error("plot", USAGE, "the output is OUT.png, OUT.svg or OUT.pdf, not '%s'", argv[optind + 1]);
    if (npos == 2) plot.path = argv[optind + 1];
    if (!plot.path) return cli_usage_error("plot", USAGE, "no output file given (OUT.png, OUT.svg or OUT.pdf)");
    if (want_set && metric && want != CLI_CHART_CURVE)
        return cli_usage_error("plot", USAGE, "--metric is for --kind curve");
    if (want_set && log_scale && want != CLI_CHART_SCREE)
        return cli_usage_error("plot", USAGE, "--log is for --kind scree");
    const char *path = argv[optind];

    size_t len = 0;
    char *buf = read_file(path, &len);
    if (!buf) return cli_fail("plot", "%s: cannot read: %s", path, strerror(errno));
    cJSON *root = cJSON_ParseWithLength(buf, len);
    if (!root || !cJSON_IsObject(root)) {
        const char *at = cJSON_GetErrorPtr();
        int line = 1;
        for (const char *p = buf; root == NULL && at && p < at && p < buf + len; p++) line += *p == '\n';
        cJSON_Delete(root);
        free(buf);
        return root ? cli_fail("plot", "%s: not a JSON object", path)
                    : cli_fail("plot", "%s: not valid JSON (line %d)", path, line);
    }
    free(buf);
    reader r = {0};
    cli_chart chart;
    cli_plot_meta meta = {0};
    if (!read_chart(&r, root, want_set, want, metric, log_scale, &chart)) rc = cli_fail("plot", "%s: %s", path, r.err);
    if (rc == CLI_OK && chart.kind != CLI_CHART_SCREE && log_scale)
        rc = cli_usage_error("plot", USAGE, "--log is for the scree chart (this one is a %s)",
                             cli_chart_kind_name(chart.kind));
    if (rc == CLI_OK && chart.kind != CLI_CHART_CURVE && metric)
        rc = cli_usage_error("plot", USAGE, "--metric is for the curve chart (this one is a %s)",
                             cli_chart_kind_name(chart.kind));
    if (rc == CLI_OK && !plot_meta(&meta, path, root)) rc = cli_fail("plot", "out of memory");
    if (rc == CLI_OK) rc = cli_plot_draw(&plot, "plot", &chart, &meta);
    if (rc == CLI_OK) rc = cli_plot_commit(&plot, "plot");
    else cli_plot_discard(&plot);
    cli_plot_meta_free(&meta);
    reader_free(&r);
    cJSON_Delete(root);
    return rc;
}
