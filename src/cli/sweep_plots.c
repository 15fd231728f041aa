/* sweep_plots.c — the report's charts, in OUT as c->plot_format:
 *   layer_curve.EXT            the ranking metric of every method by layer
 *                              (95% band, chance line); layer_curve-NAME.EXT
 *                              for each further dataset
 *   direction_cosine.EXT       cosine of one method's directions between
 *                              layers (the first method with two or more
 *                              probes; layers without a probe are left out)
 *   cka.EXT                    linear CKA between layers
 *   best_layer_pca.EXT         the best layer of the first supervised method
 *   best_layer_scores.EXT      on two principal components, and that probe's
 *                              score histogram
 *   contrast_pairs.EXT         the best layer of the first contrast-pair method
 * The first three are drawn here from report.json (provenance: the sweep's
 * command line and inputs); the last three by `geoprobe pca|probe|ccs
 * --plot` run in this process with the sweep's options, so they show the
 * very probe the report measured. A chart that cannot be drawn is a warning
 * on stderr, not a failed sweep: the numbers are all there. */
#include "sweep.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>



static const char *fmt(const sweep_config *c) { return c->plot_format ? c->plot_format : "png"; }

static const char *split_word(const sweep_config *c) {
    return c->folds >= 2 ? "out-of-fold" : c->test_frac > 0 ? "held-out" : "training";
}


/* layer_curve.EXT, or layer_curve-NAME.EXT (NAME made file-safe). */
static char *curve_name(const sweep_config *c, int32_t di) {
    char *p = NULL;
    if (di == 0) return asprintf(&p, "layer_curve.%s", fmt(c)) < 0 ? NULL : p;
    if (asprintf(&p, "layer_curve-%s.%s", c->datasets[di].name, fmt(c)) < 0) return NULL;
    for (char *s = p + strlen("layer_curve-"); *s && s < p + strlen(p) - strlen(fmt(c)) - 1; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_'))
            *s = '_';
    return p;
}

/* The method of the cosine heatmap: the first with a direction on two or
 * more layers; keep[] (may be NULL) gets those layers' indices. */
static const char *cosine_method(const sweep_config *c, const cJSON *report, int32_t *keep, int32_t *nkeep) {
    const cJSON *al = sweep_at(report, "direction_cosine.across_layers");
    for (int32_t m = 0; m < c->n_methods; m++) {
        const cJSON *mat = cJSON_GetObjectItem(al, c->methods[m]);
        int32_t k = 0, n = cJSON_GetArraySize(mat);
        for (int32_t i = 0; i < n; i++) {
            if (!cJSON_IsNumber(cJSON_GetArrayItem(cJSON_GetArrayItem(mat, i), i))) continue;
            if (keep) keep[k] = i;
            k++;
        }
        if (k >= 2) {
            *nkeep = k;
            return c->methods[m];
        }
    }
    *nkeep = 0;
    return NULL;
}

/* The first supervised (pair = false) or contrast-pair method with a best
 * layer whose inputs the primary dataset has; *layer its best layer. */
static const char *best_method(const sweep_config *c, const cJSON *report, bool pair, int *layer) {
    const sweep_dataset *d = &c->datasets[0];
    if (pair ? !(d->pos && d->neg) : !(d->acts && d->labels)) return NULL;
    for (int32_t m = 0; m < c->n_methods; m++) {
        const cJSON *bl = sweep_at(cJSON_GetObjectItem(report, "best_layer"), c->methods[m]);
        if (sweep_is_pair_method(c->methods[m]) != pair || !cJSON_IsNumber(bl)) continue;
        *layer = (int)bl->valuedouble;
        return c->methods[m];
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Charts drawn from the report                                       */
/* ------------------------------------------------------------------ */

typedef struct pctx {
    const char *cmd;
    const sweep_config *c;
    const cJSON *report;
    cJSON *files;
    cli_plot plot;      /* default size and dpi */
    cli_plot_meta meta; /* the sweep's command line and inputs */
} pctx;

static void warn(pctx *P, const char *name, const char *msg) {
    fprintf(stderr, "geoprobe %s: warning: %s/%s not drawn: %s\n", P->cmd, P->c->out, name, msg);
}

static void draw(pctx *P, const cli_chart *ch, const char *name) {
    char *path = NULL;
    if (asprintf(&path, "%s/%s", P->c->out, name) < 0) {
        warn(P, name, "out of memory");
        return;
    }
    gp_plot_opts o;
    cli_plot_fill_opts(&P->plot, &P->meta, ch->title, &o);
    if (cli_chart_draw(ch, &o, path) == GP_OK) cJSON_AddItemToArray(P->files, cJSON_CreateString(name));
    else warn(P, name, gp_last_error());
    free(path);
}

double sweep_chance(const cJSON *layers, const char *m) {
    if (sweep_is_pair_method(m)) return 0.5;
    const cJSON *L;
    cJSON_ArrayForEach(L, layers) {
        const cJSON *res = cJSON_GetObjectItem(cJSON_GetObjectItem(L, "methods"), m);
        int32_t k = cJSON_GetArraySize(cJSON_GetObjectItem(res, "classes"));
        if (k == 2) return 0.5;
        if (k < 2) continue;
        double total = 0, most = 0;
        const cJSON *row, *v;
        cJSON_ArrayForEach(row, sweep_at(res, "test.confusion")) {
            double s = 0;
            cJSON_ArrayForEach(v, row) s += sweep_num(v);
            total += s;
            most = s > most ? s : most;
        }
        return total > 0 && most / total > 1.0 / k ? most / total : 1.0 / k;
    }
    return NAN;
}

/* The curve's chance line: the methods' common chance level, or none. */
static double curve_chance(const sweep_config *c, const cJSON *layers) {
    double ch = NAN;
    for (int32_t m = 0; m < c->n_methods; m++) {
        double cm = sweep_chance(layers, c->methods[m]);
        if (isfinite(cm) && isfinite(ch) && cm != ch) return NAN;
        if (isfinite(cm)) ch = cm;
    }
    return ch;
}

static void plot_curve(pctx *P, int32_t di) {
    const sweep_config *c = P->c;
    const cJSON *layers = cJSON_GetObjectItem(P->report, "layers");
    int32_t np = cJSON_GetArraySize(layers), nm = c->n_methods, ns = 0;
    char *name = curve_name(c, di);
    double *x = malloc((size_t)np * sizeof *x);
    double *y = malloc((size_t)np * (size_t)nm * sizeof *y);
    double *lo = malloc((size_t)np * (size_t)nm * sizeof *lo);
    double *hi = malloc((size_t)np * (size_t)nm * sizeof *hi);
    char **names = calloc((size_t)nm, sizeof *names);
    bool band = false;
    if (!name || !x || !y || !lo || !hi || !names) {
        warn(P, name ? name : "layer_curve", "out of memory");
        goto done;
    }
    for (int32_t li = 0; li < np; li++) x[li] = sweep_num(sweep_at(cJSON_GetArrayItem(layers, li), "layer"));
    for (int32_t m = 0; m < nm; m++) {
        const char *meth = c->methods[m];
        char key[96], cikey[96];
        snprintf(key, sizeof key, "test.%s", sweep_metric(meth));
        snprintf(cikey, sizeof cikey, "test.%s_ci95", sweep_metric(meth));
        size_t row = (size_t)ns * (size_t)np;
        bool any = false;
        for (int32_t li = 0; li < np; li++) {
            const cJSON *res = sweep_result(c, cJSON_GetArrayItem(layers, li), di, meth), *ci = sweep_at(res, cikey);
            y[row + li] = sweep_num(sweep_at(res, key));
            lo[row + li] = sweep_num(cJSON_GetArrayItem(ci, 0));
            hi[row + li] = sweep_num(cJSON_GetArrayItem(ci, 1));
            any |= isfinite(y[row + li]);
            band |= isfinite(lo[row + li]) && isfinite(hi[row + li]);
        }
        if (!any) continue; /* failed on every layer: summary.md says so */
        if (asprintf(&names[ns], sweep_is_pair_method(meth) ? "%s (sign-calibrated)" : "%s", meth) < 0) {
            names[ns] = NULL;
            warn(P, name, "out of memory");
            goto done;
        }
        ns++;
    }
    if (ns == 0) goto done; /* every method failed: the sweep's error says so */
    double chance = curve_chance(c, layers);
    char title[256], ylabel[96];
    if (band) snprintf(title, sizeof title, "Accuracy by layer: %s (bands: 95%% intervals)", c->datasets[di].name);
    else snprintf(title, sizeof title, "Accuracy by layer: %s", c->datasets[di].name);
    snprintf(ylabel, sizeof ylabel, "%s accuracy", split_word(c));
    cli_chart ch = {.kind = CLI_CHART_CURVE, .title = title};
    ch.curve = (gp_plot_curve_data){.n_series = ns, .n_points = np, .x = x, .y = y,
                                    .lo = band ? lo : NULL, .hi = band ? hi : NULL,
                                    .series_names = (const char *const *)names,
                                    .has_chance = isfinite(chance), .chance = isfinite(chance) ? chance : 0,
                                    .x_label = "layer", .y_label = ylabel};
    draw(P, &ch, name);
done:
    for (int32_t m = 0; names && m < nm; m++) free(names[m]);
    free(names);
    free(x);
    free(y);
    free(lo);
    free(hi);
    free(name);
}

/* A square heatmap of layers: matrix rows/cols idx[0..k), nulls as 0. */
static void plot_layer_heatmap(pctx *P, const cJSON *mat, const cJSON *layer_nos, const int32_t *idx,
                               int32_t k, double vmin, const char *label, const char *title,
                               const char *name) {
    double *v = malloc((size_t)k * (size_t)k * sizeof *v);
    char *buf = malloc((size_t)k * 16);
    const char **rn = malloc((size_t)k * sizeof *rn);
    if (!v || !buf || !rn) {
        warn(P, name, "out of memory");
    } else {
        for (int32_t i = 0; i < k; i++) {
            snprintf(buf + 16 * i, 16, "%d", (int)sweep_num(cJSON_GetArrayItem(layer_nos, idx[i])));
            rn[i] = buf + 16 * i;
            for (int32_t j = 0; j < k; j++) {
                double x = sweep_num(cJSON_GetArrayItem(cJSON_GetArrayItem(mat, idx[i]), idx[j]));
                v[(size_t)i * (size_t)k + (size_t)j] = isfinite(x) ? x : 0;
            }
        }
        cli_chart ch = {.kind = CLI_CHART_HEATMAP, .title = title};
        ch.heatmap = (gp_plot_heatmap_data){.rows = k, .cols = k, .values = v, .row_names = rn,
                                            .col_names = rn, .has_range = 1, .vmin = vmin, .vmax = 1,
                                            .show_values = -1, .colorbar_label = label,
                                            .x_label = "layer", .y_label = "layer"};
        draw(P, &ch, name);
    }
    free(v);
    free(buf);
    free(rn);
}

/* The layers a method has no direction on, as "0, 4" (for titles). */
static void left_out(const cJSON *layers, const int32_t *keep, int32_t k, char *buf, size_t n) {
    *buf = '\0';
    for (int32_t i = 0, j = 0; i < cJSON_GetArraySize(layers); i++) {
        if (j < k && keep[j] == i) {
            j++;
            continue;
        }
        size_t u = strlen(buf);
        snprintf(buf + u, n - u, "%s%d", u ? ", " : "", (int)sweep_num(sweep_at(cJSON_GetArrayItem(layers, i), "layer")));
    }
}

static void plot_cosine(pctx *P) {
    const cJSON *layers = cJSON_GetObjectItem(P->report, "layers");
    int32_t n = cJSON_GetArraySize(layers), k = 0;
    int32_t *keep = malloc((size_t)(n > 0 ? n : 1) * sizeof *keep);
    cJSON *nos = cJSON_CreateArray();
    const char *m = keep ? cosine_method(P->c, P->report, keep, &k) : NULL;
    if (m) {
        for (int32_t i = 0; i < n; i++)
            cJSON_AddItemToArray(nos, cJSON_CreateNumber(sweep_num(sweep_at(cJSON_GetArrayItem(layers, i), "layer"))));
        char out[256], title[400], name[64];
        left_out(layers, keep, k, out, sizeof out);
        snprintf(title, sizeof title, "Cosine of the %s directions between layers%s%s%s", m,
                 *out ? " (left out, no direction: " : "", out, *out ? ")" : "");
        snprintf(name, sizeof name, "direction_cosine.%s", fmt(P->c));
        plot_layer_heatmap(P, cJSON_GetObjectItem(sweep_at(P->report, "direction_cosine.across_layers"), m), nos,
                           keep, k, -1, "cosine", title, name);
    }
    cJSON_Delete(nos);
    free(keep);
}

static void plot_cka(pctx *P) {
    const cJSON *cka = cJSON_GetObjectItem(P->report, "cka");
    const cJSON *nos = cJSON_GetObjectItem(cka, "layers");
    int32_t n = cJSON_GetArraySize(nos);
    if (n < 2) return;
    int32_t *idx = malloc((size_t)n * sizeof *idx);
    if (!idx) return;
    for (int32_t i = 0; i < n; i++) idx[i] = i;
    char title[256], name[64];
    /* A constant layer has CKA 0 even with itself: say so. */
    char zero[128] = "";
    for (int32_t i = 0; i < n; i++) {
        size_t u = strlen(zero);
        if (sweep_num(cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cka, "matrix"), i), i)) < 0.5 && u < 100)
            snprintf(zero + u, sizeof zero - u, "%s%d", u ? ", " : "", (int)sweep_num(cJSON_GetArrayItem(nos, i)));
    }
    snprintf(title, sizeof title, "Linear CKA between layers: %s%s%s%s", P->c->datasets[0].name,
             *zero ? " (constant, CKA 0: layer " : "", zero, *zero ? ")" : "");
    snprintf(name, sizeof name, "cka.%s", fmt(P->c));
    plot_layer_heatmap(P, cJSON_GetObjectItem(cka, "matrix"), nos, idx, n, 0, "CKA", title, name);
    free(idx);
}

/* ------------------------------------------------------------------ */
/* Charts drawn by the single-layer commands                          */
/* ------------------------------------------------------------------ */

typedef struct args {
    char *v[48];
    char *owned[48];
    int n, n_owned;
} args;

static void add(args *a, const char *s) {
    if (a->n < 46) a->v[a->n++] = (char *)s;
}

static void addf(args *a, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void addf(args *a, const char *format, ...) {
    va_list ap;
    char *s = NULL;
    va_start(ap, format);
    int r = vasprintf(&s, format, ap);
    va_end(ap);
    if (r < 0 || a->n >= 46) {
        if (r >= 0) free(s);
        return;
    }
    a->owned[a->n_owned++] = s;
    a->v[a->n++] = s;
}

static void args_free(args *a) {
    for (int i = 0; i < a->n_owned; i++) free(a->owned[i]);
}

/* The split, seed and bootstrap options of the sweep (as sweep_layer.c
 * passes them), so the command refits exactly the report's probe. */
static void eval_args(const sweep_config *c, args *a) {
    if (c->folds >= 2) add(a, "--folds"), addf(a, "%d", (int)c->folds);
    else add(a, "--test-frac"), addf(a, "%.17g", c->test_frac);
    add(a, "--seed");
    addf(a, "%llu", (unsigned long long)c->seed);
    add(a, "--bootstrap");
    addf(a, "%d", (int)c->bootstrap);
}

/* Run the command; the chart is listed when it succeeded, and its metric
 * must equal the report's (check: a dotted key, NULL for none). */
static void command_plot(pctx *P, cli_command_fn fn, args *a, const char *name, const char *check,
                         double want) {
    char *scratch = NULL;
    cJSON *res = NULL;
    char *err = NULL;
    if (asprintf(&scratch, "%s/layers/.scratch-plot-%ld", P->c->out, (long)getpid()) < 0) {
        warn(P, name, "out of memory");
        return;
    }
    fflush(stdout);
    if (sweep_run(fn, a->n, a->v, scratch, &res, &err) == CLI_OK) {
        double got = check ? sweep_num(sweep_at(res, check)) : NAN;
        cJSON_AddItemToArray(P->files, cJSON_CreateString(name));
        if (check && !(got == want))
            fprintf(stderr, "geoprobe %s: warning: %s/%s: the plotted probe's %s is %.6f, the report's %.6f\n",
                    P->cmd, P->c->out, name, check, got, want);
    } else {
        warn(P, name, err ? err : "failed");
    }
    cJSON_Delete(res);
    free(err);
    free(scratch);
}

static void plot_best_layer(pctx *P) {
    const sweep_config *c = P->c;
    const sweep_dataset *d = &c->datasets[0];
    const cJSON *layers = cJSON_GetObjectItem(P->report, "layers"), *L, *Lb = NULL;
    int layer = 0;
    const char *m = best_method(c, P->report, false, &layer);
    cJSON_ArrayForEach(L, layers) if ((int)sweep_num(cJSON_GetObjectItem(L, "layer")) == layer) Lb = L;
    char *acts = m && Lb ? sweep_expand(d->acts, layer) : NULL;
    if (acts) {
        char name[64];
        args a = {.n = 0};
        add(&a, "pca");
        add(&a, acts);
        add(&a, "-k");
        add(&a, "2");
        add(&a, "--labels");
        add(&a, d->labels);
        add(&a, "--plot");
        snprintf(name, sizeof name, "best_layer_pca.%s", fmt(c));
        addf(&a, "%s/%s", c->out, name);
        add(&a, "--plot-title");
        addf(&a, "Layer %d (the best for %s): %s on 2 principal components", layer, m, d->name);
        command_plot(P, cmd_pca, &a, name, NULL, 0);
        args_free(&a);

        a = (args){.n = 0};
        add(&a, "probe");
        add(&a, acts);
        add(&a, "--labels");
        add(&a, d->labels);
        add(&a, "--method");
        add(&a, m);
        if (!strcmp(m, "logistic")) add(&a, "--C"), addf(&a, "%.17g", c->C);
        if (c->standardize) add(&a, "--standardize");
        eval_args(c, &a);
        add(&a, "--plot");
        snprintf(name, sizeof name, "best_layer_scores.%s", fmt(c));
        addf(&a, "%s/%s", c->out, name);
        add(&a, "--plot-title");
        addf(&a, "%s probe, layer %d: %s scores by class", m, layer, split_word(c));
        command_plot(P, cmd_probe, &a, name, "test.accuracy",
                     sweep_num(sweep_at(cJSON_GetObjectItem(cJSON_GetObjectItem(Lb, "methods"), m), "test.accuracy")));
        args_free(&a);
    }
    free(acts);
    Lb = NULL;
    m = best_method(c, P->report, true, &layer);
    cJSON_ArrayForEach(L, layers) if ((int)sweep_num(cJSON_GetObjectItem(L, "layer")) == layer) Lb = L;
    if (m && Lb) {
        char name[64];
        args a = {.n = 0};
        add(&a, "ccs");
        char *pos = sweep_expand(d->pos, layer), *neg = sweep_expand(d->neg, layer);
        add(&a, pos ? pos : "");
        add(&a, neg ? neg : "");
        if (d->labels) add(&a, "--labels"), add(&a, d->labels);
        add(&a, "--method");
        add(&a, m);
        add(&a, "--norm");
        add(&a, c->norm ? c->norm : "burns");
        if (!strcmp(m, "ccs")) {
            add(&a, "--tries");
            addf(&a, "%d", (int)c->tries);
            add(&a, "--optimizer");
            add(&a, c->optimizer ? c->optimizer : "lbfgs");
        }
        eval_args(c, &a);
        add(&a, "--plot");
        snprintf(name, sizeof name, "contrast_pairs.%s", fmt(c));
        addf(&a, "%s/%s", c->out, name);
        add(&a, "--plot-title");
        addf(&a, "%s probe, layer %d: %s pairs by truth", m, layer, split_word(c));
        command_plot(P, cmd_ccs, &a, name, "test.sign_calibrated_accuracy",
                     sweep_num(sweep_at(cJSON_GetObjectItem(cJSON_GetObjectItem(Lb, "methods"), m),
                            "test.sign_calibrated_accuracy")));
        args_free(&a);
        free(pos);
        free(neg);
    }
}

int sweep_write_plots(const char *cmd, const sweep_config *c, const cJSON *report, cJSON *files) {
    pctx P = {.cmd = cmd, .c = c, .report = report, .files = files};
    cli_plot_init(&P.plot);
    if (!cli_plot_meta_command(&P.meta, cJSON_GetObjectItem(report, "inputs"))) {
        cli_plot_meta_free(&P.meta);
        return cli_fail(cmd, "out of memory");
    }
    for (int32_t di = 0; di < c->n_datasets; di++) plot_curve(&P, di);
    plot_cosine(&P);
    plot_cka(&P);
    plot_best_layer(&P);
    cli_plot_meta_free(&P.meta);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* Captions for summary.md                                            */
/* ------------------------------------------------------------------ */

static bool starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

void sweep_plot_caption(const sweep_config *c, const cJSON *report, const char *file, char *buf, size_t n) {
    int layer = 0;
    const char *m;
    snprintf(buf, n, "%s", file);
    if (starts(file, "layer_curve")) {
        int32_t di = 0;
        for (int32_t i = 0; i < c->n_datasets; i++) {
            char *nm = curve_name(c, i);
            if (nm && !strcmp(nm, file)) di = i;
            free(nm);
        }
        snprintf(buf, n, "The %s accuracy of every method by layer on %s (contrast-pair methods: "
                 "sign-calibrated), with its 95%% interval as a band; dashed: chance", split_word(c),
                 c->datasets[di].name);
    } else if (starts(file, "direction_cosine")) {
        const cJSON *layers = cJSON_GetObjectItem(report, "layers");
        int32_t k = 0, *keep = malloc((size_t)(cJSON_GetArraySize(layers) + 1) * sizeof *keep);
        m = keep ? cosine_method(c, report, keep, &k) : NULL;
        char out[256] = "";
        if (m) left_out(layers, keep, k, out, sizeof out);
        snprintf(buf, n, "Cosine between the %s probe directions of every pair of layers (−1 to 1)%s%s",
                 m ? m : "?", *out ? "; left out, as they have no direction: layer " : "", out);
        free(keep);
    } else if (starts(file, "cka")) {
        snprintf(buf, n, "Linear CKA between the activations of every pair of layers (0 to 1)");
    } else if (starts(file, "best_layer_pca") && (m = best_method(c, report, false, &layer))) {
        snprintf(buf, n, "Layer %d, the best layer of %s: the rows of %s on their first two principal "
                 "components, colored by label", layer, m, c->datasets[0].name);
    } else if (starts(file, "best_layer_scores") && (m = best_method(c, report, false, &layer))) {
        snprintf(buf, n, "The %s probe on layer %d (its best layer): its scores on the %s rows, one "
                 "histogram per true class, with the decision threshold", m, layer, split_word(c));
    } else if (starts(file, "contrast_pairs") && (m = best_method(c, report, true, &layer))) {
        snprintf(buf, n, "%s on layer %d (its best layer): p(x+) against p(x−) for each %s pair, colored "
                 "by truth; a consistent, confident probe puts the pairs in two corners", m, layer,
                 split_word(c));
    }
}
