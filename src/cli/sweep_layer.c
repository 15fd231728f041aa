/* sweep_layer.c — one layer of a sweep: every dataset and method, run by
 * the single-layer commands themselves (in this process, --json into a
 * scratch file), gathered into OUT/layers/layer_L.json. A method that fails
 * on a layer (a constant token-embedding layer, say) is recorded with its
 * error and the sweep goes on. */
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *sweep_layer_path(const sweep_config *c, int32_t layer) {
    char *p = NULL;
    return asprintf(&p, "%s/layers/layer_%d.json", c->out, (int)layer) < 0 ? NULL : p;
}

char *sweep_probe_name(int32_t layer, const char *dataset, const char *method) {
    char *p = NULL;
    return asprintf(&p, "probes/layer_%d-%s-%s.safetensors", (int)layer, dataset, method) < 0
               ? NULL : p;
}

const char *sweep_metric(const char *method) {
    return sweep_is_pair_method(method) ? "sign_calibrated_accuracy" : "accuracy";
}

/* ------------------------------------------------------------------ */
/* Running a command                                                  */
/* ------------------------------------------------------------------ */

/* A command line being built. getopt_long permutes the vector it is given,
 * so the strings this file allocated are tracked apart from it. */
typedef struct argv_buf {
    char *v[64];
    char *owned[64];
    int n, n_owned;
} argv_buf;

static void arg(argv_buf *a, const char *s) {
    if (a->n < 62) a->v[a->n++] = (char *)s;
}

/* Take ownership of s (NULL when out of memory: the argument is dropped
 * and the command will complain). */
static void arg_own(argv_buf *a, char *s) {
    if (s && a->n < 62) {
        a->owned[a->n_owned++] = s;
        a->v[a->n++] = s;
    } else {
        free(s);
    }
}

static void argf(argv_buf *a, const char *fmt, ...) {
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    arg_own(a, r >= 0 ? s : NULL);
}

static void argv_free(argv_buf *a) {
    for (int i = 0; i < a->n_owned; i++) free(a->owned[i]);
    a->n = a->n_owned = 0;
}

/* Run fn(args) with --json into scratch and stderr caught: *out is the
 * report (NULL on failure, with *err the command's message, malloc'd). */
static int run(cli_command_fn fn, argv_buf *a, const char *scratch, cJSON **out, char **err) {
    return sweep_run(fn, a->n, a->v, scratch, out, err);
}

/* ------------------------------------------------------------------ */
/* One layer                                                          */
/* ------------------------------------------------------------------ */

typedef struct layer_ctx {
    const char *cmd;
    const sweep_config *c;
    int32_t layer, step, steps;
    const volatile int *cancel;
    sweep_progress_fn progress;
    char *scratch;
} layer_ctx;

static void report_step(layer_ctx *L, const char *what, const cJSON *res, const char *err) {
    L->step++;
    if (!L->progress) return;
    char label[256];
    if (err) {
        snprintf(label, sizeof label, "%s: skipped: %s", what, err);
    } else {
        const cJSON *t = cJSON_GetObjectItem(res, "test");
        const cJSON *v = NULL;
        const char *metric = strrchr(what, '/');
        if (t && metric) v = cJSON_GetObjectItem(t, sweep_metric(metric + 1));
        if (cJSON_IsNumber(v)) snprintf(label, sizeof label, "%s %.3f", what, v->valuedouble);
        else snprintf(label, sizeof label, "%s", what);
    }
    L->progress(L->layer, L->step, L->steps, label);
}

/* Store a result, or {"error": msg} when the command failed. */
static void put(cJSON *obj, const char *key, cJSON *res, const char *err) {
    if (!res) {
        res = cJSON_CreateObject();
        cJSON_AddStringToObject(res, "error", err ? err : "failed");
    }
    cJSON_AddItemToObject(obj, key, res);
}

static void common_eval_args(const sweep_config *c, argv_buf *a) {
    if (c->folds >= 2) {
        arg(a, "--folds");
        argf(a, "%d", (int)c->folds);
    } else {
        arg(a, "--test-frac");
        argf(a, "%.17g", c->test_frac);
    }
    arg(a, "--seed");
    argf(a, "%llu", (unsigned long long)c->seed);
    arg(a, "--bootstrap");
    argf(a, "%d", (int)c->bootstrap);
    if (c->drop_nonfinite) arg(a, "--drop-nonfinite");
}

static int run_method(layer_ctx *L, const sweep_dataset *d, const char *m, cJSON *methods) {
    const sweep_config *c = L->c;
    bool pair = sweep_is_pair_method(m);
    if (pair ? !d->pos : !(d->acts && d->labels)) return CLI_OK;
    argv_buf a = {.n = 0};
    char *probe = sweep_probe_name(L->layer, d->name, m);
    if (!pair) {
        arg(&a, "probe");
        arg_own(&a, sweep_expand(d->acts, L->layer));
        arg(&a, "--labels");
        arg(&a, d->labels);
        arg(&a, "--method");
        arg(&a, m);
        if (!strcmp(m, "logistic")) {
            arg(&a, "--C");
            argf(&a, "%.17g", c->C);
            if (c->max_iter > 0) {
                arg(&a, "--max-iter");
                argf(&a, "%d", (int)c->max_iter);
            }
        }
        if (c->standardize) arg(&a, "--standardize");
    } else {
        arg(&a, "ccs");
        arg_own(&a, sweep_expand(d->pos, L->layer));
        arg_own(&a, sweep_expand(d->neg, L->layer));
        if (d->labels) {
            arg(&a, "--labels");
            arg(&a, d->labels);
        }
        arg(&a, "--method");
        arg(&a, m);
        arg(&a, "--norm");
        arg(&a, c->norm);
        if (!strcmp(m, "ccs")) {
            arg(&a, "--tries");
            argf(&a, "%d", (int)c->tries);
            arg(&a, "--optimizer");
            arg(&a, c->optimizer);
            if (c->max_iter > 0) {
                arg(&a, "--max-iter");
                argf(&a, "%d", (int)c->max_iter);
            }
        }
    }
    common_eval_args(c, &a);
    arg(&a, "--save");
    argf(&a, "%s/%s", c->out, probe);
    cJSON *res = NULL;
    char *err = NULL, what[160];
    run(pair ? cmd_ccs : cmd_probe, &a, L->scratch, &res, &err);
    if (res) cJSON_AddStringToObject(res, "probe", probe);
    snprintf(what, sizeof what, "%s/%s", d->name, m);
    report_step(L, what, res, err);
    put(methods, m, res, err);
    free(err);
    free(probe);
    argv_free(&a);
    return CLI_OK;
}

static int run_pca(layer_ctx *L, const sweep_dataset *d, cJSON *ds) {
    char *spec = sweep_expand(d->acts, L->layer);
    gp_tensor *t = NULL;
    gp_matrix X;
    if (!spec || gp_tensor_load(spec, GP_DTYPE_ANY, &t) != GP_OK || gp_tensor_matrix(t, &X) != GP_OK) {
        int rc = cli_fail(L->cmd, "layer %d: %s", (int)L->layer, gp_last_error());
        gp_tensor_free(t);
        free(spec);
        return rc;
    }
    cJSON_AddStringToObject(ds, "acts", spec);
    cJSON_AddNumberToObject(ds, "n", (double)X.rows);
    cJSON_AddNumberToObject(ds, "d", (double)X.cols);
    int64_t k = X.rows < X.cols ? X.rows : X.cols;
    if (k > L->c->pca_k) k = L->c->pca_k;
    gp_tensor_free(t);
    argv_buf a = {.n = 0};
    arg(&a, "pca");
    arg(&a, spec);
    arg(&a, "-k");
    argf(&a, "%lld", (long long)k);
    if (d->labels) {
        arg(&a, "--labels");
        arg(&a, d->labels);
    }
    if (L->c->drop_nonfinite) arg(&a, "--drop-nonfinite");
    cJSON *res = NULL;
    char *err = NULL, what[160];
    run(cmd_pca, &a, L->scratch, &res, &err);
    if (res) cJSON_DeleteItemFromObject(res, "inputs");
    /* with --drop-nonfinite, n is the rows PCA used (the probes' too) */
    const cJSON *used = cJSON_GetObjectItem(res, "n");
    if (cJSON_GetObjectItem(res, "dropped_rows") && cJSON_IsNumber(used))
        cJSON_ReplaceItemInObject(ds, "n", cJSON_CreateNumber(used->valuedouble));
    snprintf(what, sizeof what, "%s/pca", d->name);
    report_step(L, what, res, err);
    put(ds, "pca", res, err);
    free(err);
    argv_free(&a);
    free(spec);
    return CLI_OK;
}

/* The probe of (train, m) on every row of dataset e: `geoprobe apply`. */
static void run_transfer(layer_ctx *L, const sweep_dataset *train, const sweep_dataset *e,
                         const char *m, cJSON *into) {
    bool pair = sweep_is_pair_method(m);
    if (!e->labels || (pair ? !e->pos : !e->acts)) return;
    char *probe = sweep_probe_name(L->layer, train->name, m);
    argv_buf a = {.n = 0};
    arg(&a, "apply");
    argf(&a, "%s/%s", L->c->out, probe);
    arg_own(&a, sweep_expand(pair ? e->pos : e->acts, L->layer));
    if (pair) {
        arg_own(&a, sweep_expand(e->neg, L->layer));
    }
    arg(&a, "--labels");
    arg(&a, e->labels);
    arg(&a, "--bootstrap");
    arg(&a, "0");
    if (L->c->drop_nonfinite) arg(&a, "--drop-nonfinite");
    cJSON *res = NULL;
    char *err = NULL;
    run(cmd_apply, &a, L->scratch, &res, &err);
    cJSON *o = cJSON_CreateObject();
    if (res) {
        static const char *const keep[] = {"accuracy", "sign_calibrated_accuracy", "auroc", "n"};
        for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
            cJSON *v = cJSON_GetObjectItem(res, keep[i]);
            if (v) cJSON_AddItemToObject(o, keep[i], cJSON_Duplicate(v, 1));
        }
    } else {
        cJSON_AddStringToObject(o, "error", err ? err : "failed");
    }
    cJSON_AddItemToObject(into, e->name, o);
    cJSON_Delete(res);
    free(err);
    free(probe);
    argv_free(&a);
}

static int write_layer(layer_ctx *L, cJSON *root) {
    char *path = sweep_layer_path(L->c, L->layer);
    char *text = cJSON_Print(root);
    int rc = CLI_OK;
    if (!path || !text) rc = cli_fail(L->cmd, "out of memory");
    else if (gp_write_file_atomic(path, text, strlen(text)) != GP_OK) rc = cli_fail_gp(L->cmd);
    free(path);
    cJSON_free(text);
    return rc;
}

int sweep_run_layer(const char *cmd, const sweep_config *c, int32_t layer,
                    const volatile int *cancel, sweep_progress_fn progress) {
    layer_ctx L = {cmd, c, layer, 0, 0, cancel, progress, NULL};
    if (asprintf(&L.scratch, "%s/layers/.scratch-%d-%ld", c->out, (int)layer, (long)getpid()) < 0)
        return cli_fail(cmd, "out of memory");
    for (int32_t i = 0; i < c->n_datasets; i++) {
        const sweep_dataset *d = &c->datasets[i];
        L.steps += d->acts ? 1 : 0;
        for (int32_t j = 0; j < c->n_methods; j++) L.steps++;
    }
    double t0 = cli_seconds();
    char hash[17];
    sweep_config_hash(c, hash);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "layer", layer);
    cJSON_AddStringToObject(root, "config_hash", hash);
    cJSON *dsets = cJSON_AddObjectToObject(root, "datasets");
    int rc = CLI_OK;
    for (int32_t i = 0; i < c->n_datasets && rc == CLI_OK; i++) {
        const sweep_dataset *d = &c->datasets[i];
        cJSON *ds = cJSON_AddObjectToObject(dsets, d->name);
        if (d->acts) rc = run_pca(&L, d, ds);
        cJSON *methods = cJSON_AddObjectToObject(ds, "methods");
        for (int32_t j = 0; j < c->n_methods && rc == CLI_OK; j++) {
            if (*cancel) rc = SWEEP_CANCELLED;
            else rc = run_method(&L, d, c->methods[j], methods);
        }
    }
    if (rc == CLI_OK && c->n_datasets > 1) {
        cJSON *tr = cJSON_AddObjectToObject(root, "transfer");
        for (int32_t j = 0; j < c->n_methods && rc == CLI_OK; j++) {
            cJSON *tm = cJSON_AddObjectToObject(tr, c->methods[j]);
            for (int32_t i = 0; i < c->n_datasets && rc == CLI_OK; i++) {
                const sweep_dataset *d = &c->datasets[i];
                cJSON *mres = cJSON_GetObjectItem(
                    cJSON_GetObjectItem(cJSON_GetObjectItem(dsets, d->name), "methods"),
                    c->methods[j]);
                if (!mres || cJSON_GetObjectItem(mres, "error")) continue;
                cJSON *row = cJSON_AddObjectToObject(tm, d->name);
                for (int32_t e = 0; e < c->n_datasets && rc == CLI_OK; e++) {
                    if (*cancel) rc = SWEEP_CANCELLED;
                    else if (e != i) run_transfer(&L, d, &c->datasets[e], c->methods[j], row);
                }
            }
        }
    }
    cJSON_AddNumberToObject(root, "seconds", cli_seconds() - t0);
    if (rc == CLI_OK) rc = write_layer(&L, root);
    cJSON_Delete(root);
    free(L.scratch);
    return rc;
}
