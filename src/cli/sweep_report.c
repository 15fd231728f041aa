/* sweep_report.c — from the finished layer files to OUT/report.json: the
 * per-layer results of the primary dataset under the contract's keys, the
 * best layer per method, the token-embedding baseline, cosine similarity of
 * the directions across layers and methods, and linear CKA between layers.
 * Then the summary, the LaTeX table and the plots. */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *read_json(const char *cmd, const char *path) {
    char *text = sweep_slurp(path);
    if (!text) {
        cli_fail(cmd, "%s: missing (the layer did not finish; rerun with --resume)", path);
        return NULL;
    }
    cJSON *j = cJSON_Parse(text);
    free(text);
    if (!j) cli_fail(cmd, "%s: not valid JSON (delete it and rerun with --resume)", path);
    return j;
}

static cJSON *get_path(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItem(o, a);
    return b ? cJSON_GetObjectItem(x, b) : (cJSON *)x;
}

/* test.<metric> of a method's result, NaN when absent (a failed method). */
static double score_of(const cJSON *mres, const char *method) {
    const cJSON *v = get_path(get_path(mres, "test", NULL), sweep_metric(method), NULL);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Move each command's "inputs" records into the report's, once per file. */
static void collect_inputs(cJSON *report, cJSON *obj) {
    if (!cJSON_IsObject(obj)) return;
    cJSON *in = cJSON_DetachItemFromObject(obj, "inputs");
    cJSON *all = cJSON_GetObjectItem(report, "inputs");
    for (cJSON *r = in ? in->child : NULL; r; r = r->next) {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(r, "tensor"));
        bool seen = false;
        for (cJSON *q = all->child; q && !seen; q = q->next) {
            const char *qp = cJSON_GetStringValue(cJSON_GetObjectItem(q, "path"));
            const char *qt = cJSON_GetStringValue(cJSON_GetObjectItem(q, "tensor"));
            seen = p && qp && !strcmp(p, qp) && ((!t && !qt) || (t && qt && !strcmp(t, qt)));
        }
        if (!seen) cJSON_AddItemToArray(all, cJSON_Duplicate(r, 1));
    }
    cJSON_Delete(in);
    for (cJSON *ch = obj->child; ch; ch = ch->next) collect_inputs(report, ch);
}

/* ------------------------------------------------------------------ */
/* Directions                                                         */
/* ------------------------------------------------------------------ */

/* The raw-space direction of a saved probe (d,): a probe's weight row, or a
 * contrast-pair probe's w / scale of POS. malloc'd, NULL when unreadable. */
static double *load_direction(const sweep_config *c, const char *rel, int64_t *d) {
    char *path = NULL;
    if (asprintf(&path, "%s/%s", c->out, rel) < 0) return NULL;
    double *v = NULL;
    gp_ccs *cc = NULL;
    gp_probe *p = NULL;
    if (gp_ccs_load(path, &cc) == GP_OK) {
        *d = gp_ccs_n_features(cc);
        v = malloc((size_t)*d * sizeof *v);
        for (int64_t j = 0; v && j < *d; j++) v[j] = gp_ccs_weight(cc)[j] / gp_ccs_scale(cc, 0)[j];
        gp_ccs_free(cc);
    } else if (gp_probe_load(path, &p) == GP_OK) {
        *d = gp_probe_n_features(p);
        v = malloc((size_t)*d * sizeof *v);
        if (v) memcpy(v, gp_probe_weight(p), (size_t)*d * sizeof *v);
        gp_probe_free(p);
    }
    free(path);
    return v;
}

static double cosine(const double *a, const double *b, int64_t d) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t j = 0; j < d; j++) ab += a[j] * b[j], aa += a[j] * a[j], bb += b[j] * b[j];
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : NAN; /* a zero direction has none */
}

/* Cosine matrix of n directions (NULL or all-zero entries, or unequal lengths: null). */
static cJSON *cosine_matrix(double **v, const int64_t *d, int32_t n) {
    cJSON *m = cJSON_CreateArray();
    for (int32_t i = 0; i < n; i++) {
        cJSON *row = cJSON_CreateArray();
        for (int32_t j = 0; j < n; j++) {
            double cs = v[i] && v[j] && d[i] == d[j] ? cosine(v[i], v[j], d[i]) : NAN;
            if (isfinite(cs)) cJSON_AddItemToArray(row, cJSON_CreateNumber(cs));
            else cJSON_AddItemToArray(row, cJSON_CreateNull());
        }
        cJSON_AddItemToArray(m, row);
    }
    return m;
}

static const char *probe_rel(const cJSON *layer_methods, const char *m) {
    return cJSON_GetStringValue(get_path(layer_methods, m, "probe"));
}

static void add_direction_cosines(const sweep_config *c, cJSON *report, cJSON *layers,
                                  int32_t best_idx) {
    cJSON *dc = cJSON_AddObjectToObject(report, "direction_cosine");
    cJSON *al = cJSON_AddObjectToObject(dc, "across_layers");
    int32_t nl = c->n_layers, nm = c->n_methods, cap = nl > nm ? nl : nm;
    double **v = calloc((size_t)cap, sizeof *v);
    int64_t *d = calloc((size_t)cap, sizeof *d);
    if (!v || !d) goto done;
    for (int32_t m = 0; m < nm; m++) {
        for (int32_t i = 0; i < nl; i++) {
            const char *rel = probe_rel(get_path(cJSON_GetArrayItem(layers, i), "methods", NULL), c->methods[m]);
            v[i] = rel ? load_direction(c, rel, &d[i]) : NULL;
        }
        cJSON_AddItemToObject(al, c->methods[m], cosine_matrix(v, d, nl));
        for (int32_t i = 0; i < nl; i++) free(v[i]), v[i] = NULL;
    }
    cJSON *am = cJSON_AddObjectToObject(dc, "across_methods");
    const cJSON *bl = cJSON_GetArrayItem(layers, best_idx);
    cJSON_AddNumberToObject(am, "layer", cJSON_GetNumberValue(cJSON_GetObjectItem(bl, "layer")));
    cJSON *names = cJSON_AddArrayToObject(am, "methods");
    for (int32_t m = 0; m < nm; m++) {
        cJSON_AddItemToArray(names, cJSON_CreateString(c->methods[m]));
        const char *rel = probe_rel(get_path(bl, "methods", NULL), c->methods[m]);
        v[m] = rel ? load_direction(c, rel, &d[m]) : NULL;
    }
    cJSON_AddItemToObject(am, "matrix", cosine_matrix(v, d, nm));
    for (int32_t m = 0; m < nm; m++) free(v[m]);
done:
    free(v);
    free(d);
}

/* ------------------------------------------------------------------ */
/* CKA between layers                                                 */
/* ------------------------------------------------------------------ */

/* --drop-nonfinite: the rows (of n) with no NaN/Inf in any layer, in order,
 * into *kept (malloc'd), their number into *nk; *n is the row count. */
static int cka_finite_rows(const char *cmd, const sweep_config *c, int64_t **kept, int64_t *nk, int64_t *n) {
    const sweep_dataset *d0 = &c->datasets[0];
    uint8_t *mask = NULL;
    int rc = CLI_OK;
    *kept = NULL;
    *nk = *n = 0;
    for (int32_t i = 0; i < c->n_layers && rc == CLI_OK; i++) {
        char *spec = sweep_expand(d0->acts, c->layers[i]);
        gp_tensor *t = NULL;
        gp_matrix M;
        if (!spec || gp_tensor_load(spec, GP_DTYPE_F32, &t) != GP_OK || gp_tensor_matrix(t, &M) != GP_OK)
            rc = cli_fail(cmd, "CKA: %s", gp_last_error());
        else if (i == 0 && !(mask = calloc((size_t)(M.rows ? M.rows : 1), 1)))
            rc = cli_fail(cmd, "out of memory");
        else if (i == 0)
            *n = M.rows;
        /* a layer with other rows fails in add_cka, with its message */
        if (rc == CLI_OK && M.rows == *n && gp_matrix_mark_nonfinite(&M, mask, NULL, NULL, NULL) != GP_OK)
            rc = cli_fail(cmd, "CKA: %s", gp_last_error());
        gp_tensor_free(t);
        free(spec);
    }
    if (rc == CLI_OK && !(*kept = malloc((size_t)(*n ? *n : 1) * sizeof **kept))) rc = cli_fail(cmd, "out of memory");
    for (int64_t k = 0; rc == CLI_OK && k < *n; k++)
        if (!mask[k]) (*kept)[(*nk)++] = k;
    if (rc == CLI_OK && *n > 0 && *nk == 0)
        rc = cli_fail(cmd, "CKA: every one of the %lld rows has a NaN or Inf in some layer of %s: "
                      "--drop-nonfinite leaves nothing", (long long)*n, d0->acts);
    free(mask);
    return rc;
}

static int add_cka(const char *cmd, const sweep_config *c, cJSON *report) {
    const sweep_dataset *d0 = &c->datasets[0];
    if (!d0->acts) return CLI_OK;
    int32_t nl = c->n_layers;
    gp_tensor **t = calloc((size_t)nl, sizeof *t);
    gp_matrix *X = calloc((size_t)nl, sizeof *X);
    int64_t *rows = NULL, *kept = NULL, n = -1, r = 0, nk = 0, n_all = 0;
    int rc = (t && X) ? CLI_OK : cli_fail(cmd, "out of memory");
    if (rc == CLI_OK && c->drop_nonfinite) rc = cka_finite_rows(cmd, c, &kept, &nk, &n_all);
    for (int32_t i = 0; i < nl && rc == CLI_OK; i++) {
        char *spec = sweep_expand(d0->acts, c->layers[i]);
        gp_matrix M;
        if (!spec || gp_tensor_load(spec, GP_DTYPE_F32, &t[i]) != GP_OK || gp_tensor_matrix(t[i], &M) != GP_OK)
            rc = cli_fail(cmd, "CKA: %s", gp_last_error());
        free(spec);
        if (rc != CLI_OK) break;
        if (n < 0) {
            n = M.rows;
            /* the candidates: every row, or those finite in every layer */
            int64_t nc = kept ? nk : n;
            r = c->cka_rows > 0 && c->cka_rows < nc ? c->cka_rows : nc;
            rows = malloc((size_t)(r ? r : 1) * sizeof *rows);
            if (!rows) {
                rc = cli_fail(cmd, "out of memory");
                break;
            }
            /* evenly spaced rows: deterministic, and spread over the file */
            for (int64_t k = 0; k < r; k++) rows[k] = kept ? kept[k * nc / r] : k * n / r;
        }
        if (M.rows != n) {
            rc = cli_fail(cmd, "CKA: layer %d has %lld rows, layer %d %lld", (int)c->layers[i],
                          (long long)M.rows, (int)c->layers[0], (long long)n);
            break;
        }
        if (!cli_rows_copy(&M, rows, r, &X[i])) rc = cli_fail(cmd, "out of memory");
        gp_tensor_free(t[i]);
        t[i] = NULL;
    }
    if (rc == CLI_OK) {
        cJSON *o = cJSON_AddObjectToObject(report, "cka");
        cJSON *ls = cJSON_AddArrayToObject(o, "layers");
        for (int32_t i = 0; i < nl; i++) cJSON_AddItemToArray(ls, cJSON_CreateNumber(c->layers[i]));
        double *m = calloc((size_t)nl * (size_t)nl, sizeof *m);
        for (int32_t i = 0; m && i < nl && rc == CLI_OK; i++)
            for (int32_t j = i; j < nl && rc == CLI_OK; j++) {
                double v = 0;
                int deg = 0;
                if (gp_cka(&X[i], &X[j], 0, &v, &deg) != GP_OK) rc = cli_fail_gp(cmd);
                m[i * nl + j] = m[j * nl + i] = v;
            }
        cJSON *mat = cJSON_AddArrayToObject(o, "matrix");
        for (int32_t i = 0; m && i < nl; i++) cJSON_AddItemToArray(mat, cli_json_doubles(m + i * nl, nl));
        cJSON_AddNumberToObject(o, "rows", (double)r);
        /* of the rows it could use: with --drop-nonfinite, the finite ones */
        cJSON_AddNumberToObject(o, "of_rows", (double)(kept ? nk : n));
        if (kept) cJSON_AddNumberToObject(o, "dropped_rows", (double)(n_all - nk));
        cJSON_AddStringToObject(o, "note", "linear CKA; a constant layer (rank 0) has CKA 0 with every layer");
        free(m);
    }
    for (int32_t i = 0; i < nl; i++) {
        if (t) gp_tensor_free(t[i]);
        if (X) free(X[i].data);
    }
    free(t);
    free(X);
    free(rows);
    free(kept);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The report                                                         */
/* ------------------------------------------------------------------ */

/* Best layer per method (the first on ties) and the baseline check: a probe
 * that works on the lowest layer (the token embeddings) reads the tokens. */
static int32_t add_best(const sweep_config *c, cJSON *report, cJSON *layers) {
    cJSON *metric = cJSON_AddObjectToObject(report, "metric");
    cJSON *best = cJSON_AddObjectToObject(report, "best_layer");
    cJSON *bscore = cJSON_AddObjectToObject(report, "best_score");
    cJSON *base = cJSON_AddObjectToObject(report, "baseline");
    const cJSON *l0 = cJSON_GetArrayItem(layers, 0);
    cJSON_AddNumberToObject(base, "layer", cJSON_GetNumberValue(cJSON_GetObjectItem(l0, "layer")));
    cJSON *bs = cJSON_AddObjectToObject(base, "scores");
    char warn[1024] = "";
    int32_t first_best = 0;
    for (int32_t m = 0; m < c->n_methods; m++) {
        const char *name = c->methods[m];
        char mk[64];
        snprintf(mk, sizeof mk, "test.%s", sweep_metric(name));
        cJSON_AddStringToObject(metric, name, mk);
        int32_t bi = -1;
        double bv = NAN;
        for (int32_t i = 0; i < cJSON_GetArraySize(layers); i++) {
            double v = score_of(get_path(cJSON_GetArrayItem(layers, i), "methods", name), name);
            if (isfinite(v) && (bi < 0 || v > bv)) bi = i, bv = v;
        }
        double v0 = score_of(get_path(l0, "methods", name), name);
        if (isfinite(v0)) cJSON_AddNumberToObject(bs, name, v0);
        else cJSON_AddNullToObject(bs, name);
        if (bi < 0) {
            cJSON_AddNullToObject(best, name);
            cJSON_AddNullToObject(bscore, name);
            continue;
        }
        if (m == 0) first_best = bi;
        double bl = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(layers, bi), "layer"));
        cJSON_AddNumberToObject(best, name, bl);
        cJSON_AddNumberToObject(bscore, name, bv);
        /* chance 0.5: both metrics are binary accuracies here */
        if (bi != 0 && isfinite(v0) && bv - 0.5 > 0.1 && v0 - 0.5 >= 0.5 * (bv - 0.5) &&
            strlen(warn) < 700)
            snprintf(warn + strlen(warn), sizeof warn - strlen(warn),
                     "%s%s reaches %.3f on layer %.0f (best %.3f on layer %.0f)", *warn ? "; " : "",
                     name, v0, cJSON_GetNumberValue(cJSON_GetObjectItem(l0, "layer")), bv, bl);
    }
    if (*warn) {
        char text[1200];
        snprintf(text, sizeof text, "%s: the lowest layer (the token embeddings, if it is layer 0) "
                 "already carries much of the signal, so these probes may read the input tokens "
                 "rather than the concept", warn);
        cJSON_AddStringToObject(base, "warning", text);
    } else {
        cJSON_AddNullToObject(base, "warning");
    }
    return first_best;
}

static cJSON *layer_entry(const sweep_config *c, cJSON *lf, cJSON *timings) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToObject(e, "layer", cJSON_Duplicate(cJSON_GetObjectItem(lf, "layer"), 1));
    cJSON *ds = cJSON_GetObjectItem(lf, "datasets");
    cJSON *prim = cJSON_DetachItemFromObject(ds, c->datasets[0].name);
    static const char *const keys[] = {"n", "d", "acts", "pca", "methods"};
    for (size_t k = 0; prim && k < sizeof keys / sizeof *keys; k++) {
        cJSON *v = cJSON_DetachItemFromObject(prim, keys[k]);
        if (v) cJSON_AddItemToObject(e, keys[k], v);
    }
    cJSON_Delete(prim);
    if (c->n_datasets > 1) {
        cJSON_AddItemToObject(e, "datasets", cJSON_DetachItemFromObject(lf, "datasets"));
        cJSON *tr = cJSON_DetachItemFromObject(lf, "transfer");
        if (tr) cJSON_AddItemToObject(e, "transfer", tr);
    }
    char key[16];
    snprintf(key, sizeof key, "%d", (int)cJSON_GetNumberValue(cJSON_GetObjectItem(lf, "layer")));
    cJSON_AddNumberToObject(timings, key, cJSON_GetNumberValue(cJSON_GetObjectItem(lf, "seconds")));
    return e;
}

/* NULL when some method ran on some layer; else why not (the first
 * layer's first method's error), malloc'd: a sweep where every method
 * failed on every layer exits 1, after writing the report that says why. */
static char *all_failed(const sweep_config *c, const cJSON *report) {
    const cJSON *l, *r;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(report, "layers"))
        cJSON_ArrayForEach(r, cJSON_GetObjectItem(l, "methods")) if (!cJSON_GetObjectItem(r, "error")) return NULL;
    const cJSON *l0 = cJSON_GetArrayItem(cJSON_GetObjectItem(report, "layers"), 0);
    const char *e = c->n_methods ? cJSON_GetStringValue(get_path(get_path(l0, "methods", c->methods[0]), "error", NULL))
                                 : NULL;
    char *msg = NULL;
    if (e && asprintf(&msg, "every method failed on every layer (layer %d, %s: %s); see %s/summary.md",
                      (int)cJSON_GetNumberValue(cJSON_GetObjectItem(l0, "layer")), c->methods[0], e, c->out) < 0)
        msg = NULL;
    if (!e && asprintf(&msg, "no method gave a result on any layer; see %s/summary.md", c->out) < 0) msg = NULL;
    return msg ? msg : strdup("every method failed on every layer");
}

/* Every fit that stopped at its iteration limit (a method's "converged":
 * false), into report["not_converged"], and one stderr warning naming them:
 * the single-layer commands warn on stderr, which a sweep keeps to itself. */
static void add_not_converged(const char *cmd, const sweep_config *c, cJSON *report) {
    cJSON *nc = cJSON_AddArrayToObject(report, "not_converged");
    char list[512] = "";
    int count = 0;
    const cJSON *L;
    cJSON_ArrayForEach(L, cJSON_GetObjectItem(report, "layers")) {
        int32_t layer = (int32_t)sweep_num(cJSON_GetObjectItem(L, "layer"));
        for (int32_t di = 0; di < c->n_datasets; di++)
            for (int32_t i = 0; i < c->n_methods; i++) {
                const cJSON *res = sweep_result(c, L, di, c->methods[i]);
                if (!cJSON_IsFalse(cJSON_GetObjectItem(res, "converged"))) continue;
                double it = sweep_num(cJSON_GetObjectItem(res, "n_iter"));
                cJSON *o = cJSON_CreateObject();
                cJSON_AddNumberToObject(o, "layer", layer);
                cJSON_AddStringToObject(o, "dataset", c->datasets[di].name);
                cJSON_AddStringToObject(o, "method", c->methods[i]);
                if (it == it) cJSON_AddNumberToObject(o, "n_iter", it);
                else cJSON_AddNullToObject(o, "n_iter");
                cJSON_AddItemToArray(nc, o);
                size_t u = strlen(list);
                if (count < 4)
                    snprintf(list + u, sizeof list - u, "%slayer %d %s/%s", count ? ", " : "",
                             (int)layer, c->datasets[di].name, c->methods[i]);
                count++;
            }
    }
    if (count)
        fprintf(stderr, "geoprobe %s: warning: %d fit%s stopped at the iteration limit "
                "(converged: false): %s%s; raise --max-iter\n", cmd, count, count == 1 ? "" : "s",
                list, count > 4 ? ", ..." : "");
}

int sweep_write_report(const char *cmd, const sweep_config *c, double seconds) {
    cJSON *report = cli_report_new(cmd);
    cJSON_ReplaceItemInObject(report, "params", sweep_config_json(c));
    cJSON *dn = cJSON_AddArrayToObject(report, "datasets");
    for (int32_t i = 0; i < c->n_datasets; i++) cJSON_AddItemToArray(dn, cJSON_CreateString(c->datasets[i].name));
    cJSON *mn = cJSON_AddArrayToObject(report, "methods");
    for (int32_t i = 0; i < c->n_methods; i++) cJSON_AddItemToArray(mn, cJSON_CreateString(c->methods[i]));
    cJSON *layers = cJSON_AddArrayToObject(report, "layers");
    cJSON *timings = cJSON_CreateObject(), *tl = cJSON_AddObjectToObject(timings, "layers");
    int rc = CLI_OK;
    for (int32_t i = 0; i < c->n_layers && rc == CLI_OK; i++) {
        char *path = sweep_layer_path(c, c->layers[i]);
        cJSON *lf = path ? read_json(cmd, path) : NULL;
        free(path);
        if (!lf) {
            rc = CLI_FAIL;
            break;
        }
        collect_inputs(report, lf);
        cJSON_AddItemToArray(layers, layer_entry(c, lf, tl));
        cJSON_Delete(lf);
    }
    if (rc == CLI_OK) {
        int32_t best = add_best(c, report, layers);
        add_direction_cosines(c, report, layers, best);
        rc = add_cka(cmd, c, report);
        add_not_converged(cmd, c, report);
    }
    char *why = rc == CLI_OK ? all_failed(c, report) : NULL;
    cJSON *files = cJSON_CreateObject();
    cJSON_AddStringToObject(files, "summary", "summary.md");
    cJSON_AddStringToObject(files, "table", "table.tex");
    cJSON_AddStringToObject(files, "probes", "probes/");
    cJSON_AddStringToObject(files, "layers", "layers/");
    cJSON *plots = cJSON_AddArrayToObject(files, "plots");
    cJSON_AddItemToObject(report, "files", files);
    cJSON_AddNumberToObject(timings, "total", seconds);
    cJSON_AddItemToObject(report, "timings", timings);
    if (rc == CLI_OK && c->plots) rc = sweep_write_plots(cmd, c, report, plots);
    if (rc == CLI_OK) rc = sweep_write_summary(cmd, c, report);
    if (rc == CLI_OK) rc = sweep_write_table(cmd, c, report);
    if (rc == CLI_OK && c->json) {
        cJSON *copy = cJSON_Duplicate(report, 1);
        rc = cli_report_write(copy, cmd, c->json);
    }
    char *path = NULL;
    if (rc == CLI_OK && asprintf(&path, "%s/report.json", c->out) < 0) rc = cli_fail(cmd, "out of memory");
    if (rc == CLI_OK) {
        rc = cli_report_write(report, cmd, path);
        report = NULL;
    }
    free(path);
    cJSON_Delete(report);
    if (rc == CLI_OK && why) rc = cli_fail(cmd, "%s", why);
    free(why);
    return rc;
}
