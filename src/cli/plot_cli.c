/* plot_cli.c — what every charting command shares: the --plot / --dpi /
 * --size / --plot-title options, the provenance written into the file, the
 * report's "plot" object, and rendering into a temporary file that is
 * renamed into place only when the whole run succeeded. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- options ----------------------------------------------------- */

void cli_plot_init(cli_plot *p) {
    memset(p, 0, sizeof *p);
    p->dpi = 200;
    p->width = 1600;
    p->height = 1200;
}

static const char *extension(const char *path) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1)) return NULL;
    if (strcasecmp(dot, ".png") && strcasecmp(dot, ".svg") && strcasecmp(dot, ".pdf")) return NULL;
    return dot;
}

bool cli_plot_path_ok(const char *path) { return *path && extension(path) != NULL; }

int cli_plot_option(cli_plot *p, int opt, const char *arg, const char *cmd, const char *usage) {
    long long w, h;
    double x;
    char *end;
    switch (opt) {
    case CLI_OPT_PLOT:
        if (!*arg || !extension(arg))
            return cli_usage_error(cmd, usage, "--plot wants FILE.png, FILE.svg or FILE.pdf, not '%s'", arg);
        p->path = arg;
        return CLI_OK;
    case CLI_OPT_DPI:
        if (!cli_parse_double(arg, &x) || x < 10 || x > 2400)
            return cli_usage_error(cmd, usage, "--dpi wants a number from 10 to 2400, not '%s'", arg);
        p->dpi = x;
        break;
    case CLI_OPT_SIZE:
        w = strtoll(arg, &end, 10);
        if (end == arg || (*end != 'x' && *end != 'X') || arg[0] == '-' || arg[0] == '+' ||
            end[1] == '-' || end[1] == '+' || !cli_parse_int(end + 1, 64, 10000, &h) || w < 64 ||
            w > 10000)
            return cli_usage_error(cmd, usage,
                                   "--size wants WIDTHxHEIGHT in pixels, each 64 to 10000 (1600x1200), not '%s'", arg);
        p->width = (int32_t)w;
        p->height = (int32_t)h;
        break;
    case CLI_OPT_PLOT_TITLE:
        p->title = arg;
        break;
    default:
        return cli_usage_error(cmd, usage, "internal: not a plot option");
    }
    p->tuned = 1;
    return CLI_OK;
}

void cli_plot_print_help(int col, bool with_plot) {
    static const char *const lines[][2] = {
        {"--plot FILE", "draw the chart: FILE.png (provenance in tEXt chunks), .svg"},
        {"", "or .pdf; the --json report then keeps the chart's data"},
        {"", "under \"plot\" (geoprobe plot redraws from it)"},
        {"--dpi N", "text and lines are sized in points at N dots per inch"},
        {"", "(default 200)"},
        {"--size WxH", "PNG size in pixels (default 1600x1200); SVG and PDF"},
        {"", "pages are W/dpi x H/dpi inches"},
        {"--plot-title T", "chart title (default: one naming the input)"},
    };
    for (size_t i = with_plot ? 0 : 3; i < sizeof lines / sizeof lines[0]; i++)
        printf("  %-*s %s\n", col - 3, lines[i][0], lines[i][1]);
}

int cli_plot_check(const cli_plot *p, const char *cmd, const char *usage) {
    if (p->tuned && !p->path)
        return cli_usage_error(cmd, usage, "--dpi, --size and --plot-title go with --plot FILE");
    return CLI_OK;
}

/* ---- provenance -------------------------------------------------- */

bool cli_plot_meta_add(cli_plot_meta *m, const char *key, const char *value) {
    if (m->n == m->cap) {
        int32_t cap = m->cap ? 2 * m->cap : 8;
        char **k = realloc(m->keys, (size_t)cap * sizeof *k);
        if (k) m->keys = k;
        char **v = k ? realloc(m->values, (size_t)cap * sizeof *v) : NULL;
        if (v) m->values = v;
        if (!k || !v) return false;
        m->cap = cap;
    }
    char *kc = strdup(key), *vc = strdup(value);
    if (!kc || !vc) {
        free(kc);
        free(vc);
        return false;
    }
    m->keys[m->n] = kc;
    m->values[m->n++] = vc;
    return true;
}

void cli_plot_meta_free(cli_plot_meta *m) {
    for (int32_t i = 0; i < m->n; i++) {
        free(m->keys[i]);
        free(m->values[i]);
    }
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof *m);
}

static bool shell_safe(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", *s))
            return false;
    return true;
}

char *cli_shell_join(int argc, char *const *argv) {
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += 4 * strlen(argv[i]) + 3;
    char *out = malloc(len), *o = out;
    if (!out) return NULL;
    for (int i = 0; i < argc; i++) {
        if (i) *o++ = ' ';
        if (shell_safe(argv[i])) {
            o = stpcpy(o, argv[i]);
            continue;
        }
        *o++ = '\'';
        for (const char *s = argv[i]; *s; s++) {
            if (*s == '\'') o = stpcpy(o, "'\\''");
            else *o++ = *s;
        }
        *o++ = '\'';
    }
    *o = 0;
    return out;
}

bool cli_plot_meta_command(cli_plot_meta *m, const cJSON *inputs) {
    char *cmd = cli_shell_join(cli.argc, cli.argv);
    bool ok = cmd && cli_plot_meta_add(m, "Command", cmd);
    free(cmd);
    int i = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, inputs) {
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(in, "path"));
        const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(in, "sha256"));
        if (!ok || !path || !sha) continue;
        char key[32];
        snprintf(key, sizeof key, "Input %d", ++i);
        size_t n = strlen(path) + strlen(sha) + 2;
        char *v = malloc(n);
        if (v) snprintf(v, n, "%s %s", path, sha);
        ok = v && cli_plot_meta_add(m, key, v);
        free(v);
    }
    return ok;
}

void cli_plot_fill_opts(const cli_plot *p, const cli_plot_meta *m, const char *default_title,
                        gp_plot_opts *o) {
    gp_plot_opts_init(o);
    o->width_px = p->width;
    o->height_px = p->height;
    o->dpi = p->dpi;
    o->title = p->title ? p->title : default_title;
    o->n_meta = m ? m->n : 0;
    o->meta_keys = m ? (const char *const *)m->keys : NULL;
    o->meta_values = m ? (const char *const *)m->values : NULL;
}

char *cli_plot_short_name(const char *spec) {
    /* The file part ends at the first ':' '@' or '[' after the last '/'. */
    const char *base = strrchr(spec, '/');
    base = base ? base + 1 : spec;
    size_t flen = strcspn(base, ":@[");
    size_t cut = 0;
    static const char *const exts[] = {".npy", ".safetensors", ".json"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t el = strlen(exts[i]);
        if (flen > el && strncasecmp(base + flen - el, exts[i], el) == 0) cut = el;
    }
    size_t n = strlen(base);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, base, flen - cut);
    memcpy(out + flen - cut, base + flen, n - flen + 1);
    return out;
}

/* ---- the "plot" object ------------------------------------------- */

static const char *const kind_names[CLI_CHART_N] = {"scatter", "scree", "hist", "curve", "heatmap", "contrast"};

const char *cli_chart_kind_name(cli_chart_kind k) {
    return (unsigned)k < CLI_CHART_N ? kind_names[k] : "?";
}

bool cli_chart_kind_parse(const char *s, cli_chart_kind *out) {
    for (int i = 0; i < CLI_CHART_N; i++)
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (cli_chart_kind)i;
            return true;
        }
    return false;
}

static cJSON *ints(const int32_t *v, int64_t n) {
    cJSON *a = cJSON_CreateArray();
    for (int64_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *strings(const char *const *v, int64_t n) {
    cJSON *a = cJSON_CreateArray();
    for (int64_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(v[i] ? v[i] : ""));
    return a;
}

static void add_str(cJSON *o, const char *key, const char *v) {
    if (v) cJSON_AddStringToObject(o, key, v);
}

/* The class names a chart draws with: the given ones, or "0", "1"... */
static void add_classes(cJSON *o, const int32_t *ids, int64_t n, int32_t n_classes,
                        const char *const *names) {
    if (!ids) return;
    cJSON_AddItemToObject(o, "ids", ints(ids, n));
    cJSON_AddNumberToObject(o, "n_classes", n_classes);
    if (names) cJSON_AddItemToObject(o, "class_names", strings(names, n_classes));
}

cJSON *cli_chart_json(const cli_chart *c) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", cli_chart_kind_name(c->kind));
    add_str(o, "title", c->title);
    switch (c->kind) {
    case CLI_CHART_SCATTER: {
        const gp_plot_scatter_data *s = &c->scatter;
        cJSON_AddItemToObject(o, "x", cli_json_doubles(s->x, s->n));
        cJSON_AddItemToObject(o, "y", cli_json_doubles(s->y, s->n));
        add_classes(o, s->ids, s->n, s->n_classes, s->class_names);
        if (!s->ids && s->values) {
            cJSON_AddItemToObject(o, "values", cli_json_doubles(s->values, s->n));
            add_str(o, "value_label", s->value_label);
        }
        cJSON_AddBoolToObject(o, "show_centroids", s->show_centroids);
        if (s->arrow) {
            cJSON_AddItemToObject(o, "arrow", cli_json_doubles(s->arrow, 2));
            add_str(o, "arrow_label", s->arrow_label);
        }
        add_str(o, "x_label", s->x_label);
        add_str(o, "y_label", s->y_label);
        break;
    }
    case CLI_CHART_SCREE:
        cJSON_AddItemToObject(o, "ratio", cli_json_doubles(c->scree.ratio, c->scree.k));
        cJSON_AddBoolToObject(o, "log_scale", c->scree.log_scale);
        break;
    case CLI_CHART_HIST: {
        const gp_plot_hist_data *h = &c->hist;
        cJSON_AddItemToObject(o, "scores", cli_json_doubles(h->scores, h->n));
        add_classes(o, h->ids, h->n, h->n_classes, h->class_names);
        cJSON_AddNumberToObject(o, "n_bins", h->n_bins);
        if (h->has_threshold) cJSON_AddNumberToObject(o, "threshold", h->threshold);
        add_str(o, "x_label", h->x_label);
        break;
    }
    case CLI_CHART_CURVE: {
        const gp_plot_curve_data *cv = &c->curve;
        cJSON_AddItemToObject(o, "x", cli_json_doubles(cv->x, cv->n_points));
        cJSON *series = cJSON_AddArrayToObject(o, "series");
        for (int32_t i = 0; i < cv->n_series; i++) {
            cJSON *s = cJSON_CreateObject();
            size_t off = (size_t)i * (size_t)cv->n_points;
            cJSON_AddStringToObject(s, "name", cv->series_names ? cv->series_names[i] : "");
            cJSON_AddItemToObject(s, "y", cli_json_doubles(cv->y + off, cv->n_points));
            if (cv->lo && cv->hi) {
                cJSON_AddItemToObject(s, "lo", cli_json_doubles(cv->lo + off, cv->n_points));
                cJSON_AddItemToObject(s, "hi", cli_json_doubles(cv->hi + off, cv->n_points));
            }
            cJSON_AddItemToArray(series, s);
        }
        if (cv->has_chance) cJSON_AddNumberToObject(o, "chance", cv->chance);
        add_str(o, "x_label", cv->x_label);
        add_str(o, "y_label", cv->y_label);
        break;
    }
    case CLI_CHART_HEATMAP: {
        const gp_plot_heatmap_data *h = &c->heatmap;
        cJSON *rows = cJSON_AddArrayToObject(o, "values");
        for (int32_t i = 0; i < h->rows; i++)
            cJSON_AddItemToArray(rows, cli_json_doubles(h->values + (size_t)i * (size_t)h->cols, h->cols));
        if (h->row_names) cJSON_AddItemToObject(o, "row_names", strings(h->row_names, h->rows));
        if (h->col_names) cJSON_AddItemToObject(o, "col_names", strings(h->col_names, h->cols));
        if (h->has_range) {
            double r[2] = {h->vmin, h->vmax};
            cJSON_AddItemToObject(o, "range", cli_json_doubles(r, 2));
        }
        cJSON_AddNumberToObject(o, "show_values", h->show_values);
        add_str(o, "colorbar_label", h->colorbar_label);
        add_str(o, "x_label", h->x_label);
        add_str(o, "y_label", h->y_label);
        break;
    }
    case CLI_CHART_CONTRAST: {
        const gp_plot_contrast_data *p = &c->contrast;
        cJSON_AddItemToObject(o, "p_pos", cli_json_doubles(p->p_pos, p->n));
        cJSON_AddItemToObject(o, "p_neg", cli_json_doubles(p->p_neg, p->n));
        add_classes(o, p->ids, p->n, 2, p->class_names);
        break;
    }
    default:
        break;
    }
    return o;
}

gp_status cli_chart_draw(const cli_chart *c, const gp_plot_opts *o, const char *path) {
    switch (c->kind) {
    case CLI_CHART_SCATTER: return gp_plot_scatter(&c->scatter, o, path);
    case CLI_CHART_SCREE: return gp_plot_scree(&c->scree, o, path);
    case CLI_CHART_HIST: return gp_plot_hist(&c->hist, o, path);
    case CLI_CHART_CURVE: return gp_plot_curve(&c->curve, o, path);
    case CLI_CHART_HEATMAP: return gp_plot_heatmap(&c->heatmap, o, path);
    case CLI_CHART_CONTRAST: return gp_plot_contrast(&c->contrast, o, path);
    default: return GP_EINVAL;
    }
}

/* ---- rendering into place ---------------------------------------- */

/* The library's message names the temporary file: name the real one. */
static int fail_renamed(const char *cmd, const char *tmp, const char *path) {
    const char *msg = gp_last_error();
    size_t tl = strlen(tmp);
    char buf[2048];
    size_t o = 0;
    while (*msg && o + 1 < sizeof buf) {
        if (strncmp(msg, tmp, tl) == 0) {
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", path);
            if (o >= sizeof buf) o = sizeof buf - 1;
            msg += tl;
        } else {
            buf[o++] = *msg++;
        }
    }
    buf[o] = 0;
    return cli_fail(cmd, "%s", buf);
}

int cli_plot_draw(cli_plot *p, const char *cmd, const cli_chart *c, const cli_plot_meta *m) {
    if (!p->path) return CLI_OK;
    cli_plot_discard(p);
    const char *path = p->path, *ext = extension(path);
    struct stat st;
    if (!ext) return cli_fail(cmd, "%s: a plot is .png, .svg or .pdf", path);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_fail(cmd, "%s: is a directory, not a file", path);
    /* DIR/.BASE.gp-XXXXXX.EXT: hidden, same folder (rename is atomic),
     * same extension (it picks the format). */
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0, n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) return cli_fail(cmd, "out of memory");
    snprintf(tmp, n, "%.*s.%.*s.gp-XXXXXX%s", (int)dlen, path, (int)(ext - path - dlen), path + dlen, ext);
    int fd = mkstemps(tmp, (int)strlen(ext));
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return cli_fail(cmd, "%s: cannot write the plot: %s", path, strerror(e));
    }
    close(fd);
    gp_plot_opts o;
    cli_plot_fill_opts(p, m, c->title, &o);
    if (cli_chart_draw(c, &o, tmp) != GP_OK) {
        int rc = fail_renamed(cmd, tmp, path);
        unlink(tmp);
        free(tmp);
        return rc;
    }
    /* mkstemps made it 0600; a plot is an ordinary file. */
    mode_t mask = umask(0);
    umask(mask);
    chmod(tmp, 0666 & ~mask);
    p->tmp = tmp;
    return CLI_OK;
}

int cli_plot_render(cli_plot *p, const char *cmd, const cli_chart *c, cJSON *report) {
    if (!p->path) return CLI_OK;
    cli_plot_meta m = {0};
    if (!cli_plot_meta_command(&m, report ? cJSON_GetObjectItem(report, "inputs") : NULL)) {
        cli_plot_meta_free(&m);
        return cli_fail(cmd, "out of memory");
    }
    int rc = cli_plot_draw(p, cmd, c, &m);
    cli_plot_meta_free(&m);
    if (rc == CLI_OK && report) {
        cJSON_DeleteItemFromObject(report, "plot");
        cJSON *j = cli_chart_json(c);
        if (p->title) { /* redrawn from the report, the chart keeps its title */
            cJSON_DeleteItemFromObject(j, "title");
            cJSON_AddStringToObject(j, "title", p->title);
        }
        cJSON_AddItemToObject(report, "plot", j);
    }
    return rc;
}

int cli_plot_commit(cli_plot *p, const char *cmd) {
    if (!p->tmp) return CLI_OK;
    int rc = CLI_OK;
    if (rename(p->tmp, p->path) != 0) {
        rc = cli_fail(cmd, "%s: cannot replace: %s", p->path, strerror(errno));
        unlink(p->tmp);
    }
    free(p->tmp);
    p->tmp = NULL;
    return rc;
}

void cli_plot_discard(cli_plot *p) {
    if (!p->tmp) return;
    unlink(p->tmp);
    free(p->tmp);
    p->tmp = NULL;
}
