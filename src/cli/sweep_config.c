/* sweep_config.c — what a sweep runs: a JSON config file and/or flags,
 * checked strictly (an unknown key is an error that names it: a typo must
 * not silently fall back to a default), with defaults filled in. */
#include "sweep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const PROBE_METHODS[] = {"logistic", "massmean", "massmean-iid", "lda"};
static const char *const PAIR_METHODS[] = {"ccs", "crc", "vinc"};
#define COUNT(a) ((int)(sizeof(a) / sizeof(a)[0]))

void sweep_config_init(sweep_config *c) {
    memset(c, 0, sizeof *c);
    c->test_frac = 0.2;
    c->C = 1.0;
    c->bootstrap = 1000;
    c->tries = 10;
    c->pca_k = 10;
    c->cka_rows = 2000;
    c->jobs = 1;
    c->plots = 1;
}

static void dataset_free(sweep_dataset *d) {
    free(d->name);
    free(d->acts);
    free(d->labels);
    free(d->pos);
    free(d->neg);
}

void sweep_config_free(sweep_config *c) {
    for (int32_t i = 0; i < c->n_datasets; i++) dataset_free(&c->datasets[i]);
    free(c->datasets);
    free(c->layers);
    for (int32_t i = 0; i < c->n_methods; i++) free(c->methods[i]);
    free(c->methods);
    free(c->out);
    free(c->norm);
    free(c->optimizer);
    free(c->plot_format);
    free(c->json);
    memset(c, 0, sizeof *c);
}

bool sweep_is_pair_method(const char *m) {
    for (int i = 0; i < COUNT(PAIR_METHODS); i++)
        if (strcmp(m, PAIR_METHODS[i]) == 0) return true;
    return false;
}

static bool is_method(const char *m) {
    for (int i = 0; i < COUNT(PROBE_METHODS); i++)
        if (strcmp(m, PROBE_METHODS[i]) == 0) return true;
    return sweep_is_pair_method(m);
}

enum { MAX_LAYER = 100000 };

bool sweep_parse_layers(const char *s, int32_t **out, int32_t *n) {
    /* a flag per layer number: "0-100000,0-100000,..." costs no more than once */
    unsigned char *seen = calloc(MAX_LAYER + 1, 1);
    if (!seen) return false;
    int32_t m = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0 || a > MAX_LAYER) goto bad;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a || b > MAX_LAYER) goto bad;
            p = end;
        }
        for (long l = a; l <= b; l++) {
            m += !seen[l];
            seen[l] = 1;
        }
        if (*p == ',') p++;
        else if (*p) goto bad;
    }
    if (m == 0) goto bad;
    int32_t *v = malloc((size_t)m * sizeof *v), u = 0;
    if (!v) goto bad;
    for (int32_t l = 0; l <= MAX_LAYER; l++)
        if (seen[l]) v[u++] = l;
    free(seen);
    free(*out);
    *out = v;
    *n = u;
    return true;
bad:
    free(seen);
    return false;
}

char *sweep_expand(const char *pattern, int32_t layer) {
    char num[16];
    snprintf(num, sizeof num, "%d", (int)layer);
    size_t cap = strlen(pattern) + 1, hits = 0;
    for (const char *p = pattern; (p = strstr(p, "{L}")); p += 3) hits++;
    cap += hits * strlen(num);
    char *out = malloc(cap), *o = out;
    if (!out) return NULL;
    for (const char *p = pattern; *p;) {
        if (strncmp(p, "{L}", 3) == 0) {
            o += sprintf(o, "%s", num);
            p += 3;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* ------------------------------------------------------------------ */
/* The JSON config                                                    */
/* ------------------------------------------------------------------ */

/* A key, name or method from the config as it goes into a message: control
 * bytes as \xNN (a key with a newline must not make a second line), cut
 * to about 60 bytes. buf: at least 80 bytes. */
static const char *shown(const char *s, char *buf, size_t n) {
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 8 < n; p++) {
        if (o >= 60) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (*p < 0x20 || *p == 0x7f) o += (size_t)snprintf(buf + o, n - o, "\\x%02x", *p);
        else buf[o++] = (char)*p;
    }
    buf[o] = '\0';
    return buf;
}

static bool set_str(char **dst, const cJSON *v) {
    if (!cJSON_IsString(v)) return false;
    free(*dst);
    *dst = strdup(v->valuestring);
    return *dst != NULL;
}

static int load_dataset(const char *cmd, const char *path, const cJSON *o, sweep_dataset *d,
                        const char *where) {
    static const char *const keys[] = {"name", "acts", "labels", "pos", "neg"};
    char sb[80];
    for (const cJSON *it = o->child; it; it = it->next) {
        int k = -1;
        for (int i = 0; i < COUNT(keys); i++)
            if (strcmp(it->string, keys[i]) == 0) k = i;
        if (k < 0 && it->string[0] == '_') continue;  /* a comment */
        if (k < 0)
            return cli_fail(cmd, "%s: unknown key '%s' in %s (known: name, acts, labels, pos, "
                            "neg)", path, shown(it->string, sb, sizeof sb), where);
        char **dst[] = {&d->name, &d->acts, &d->labels, &d->pos, &d->neg};
        if (!set_str(dst[k], it))
            return cli_fail(cmd, "%s: '%s' in %s must be a string", path, keys[k], where);
    }
    return CLI_OK;
}

static bool add_method(sweep_config *c, const char *m) {
    char **nm = realloc(c->methods, (size_t)(c->n_methods + 1) * sizeof *nm);
    if (!nm) return false;
    c->methods = nm;
    return (c->methods[c->n_methods] = strdup(m)) != NULL && ++c->n_methods;
}

/* "logistic,ccs" or ["logistic", "ccs"] */
static bool set_methods(sweep_config *c, const cJSON *v, const char *text) {
    for (int32_t i = 0; i < c->n_methods; i++) free(c->methods[i]);
    c->n_methods = 0;
    if (text) {
        char *dup = strdup(text), *save = NULL;
        if (!dup) return false;
        for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (!add_method(c, t)) {
                free(dup);
                return false;
            }
        free(dup);
        return true;
    }
    if (cJSON_IsString(v)) return set_methods(c, NULL, v->valuestring);
    if (!cJSON_IsArray(v)) return false;
    for (const cJSON *it = v->child; it; it = it->next)
        if (!cJSON_IsString(it) || !add_method(c, it->valuestring)) return false;
    return true;
}

static bool number_in(const cJSON *v, double lo, double hi, double *out) {
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi)) return false;
    *out = v->valuedouble;
    return true;
}

/* A whole number in [lo, hi] (2.5 folds is a typo, not 2). */
static bool int_in(const cJSON *v, double lo, double hi, int32_t *out) {
    double x;
    if (!number_in(v, lo, hi, &x) || x != (double)(int32_t)x) return false;
    *out = (int32_t)x;
    return true;
}

int sweep_config_load(const char *cmd, const char *path, sweep_config *c) {
    size_t len = 0;
    char *text = sweep_slurp_len(path, &len);
    if (!text) return cli_fail(cmd, "%s: cannot read the config: %s", path, strerror(errno));
    int rc = sweep_config_parse(cmd, path, text, len, c);
    free(text);
    return rc;
}

int sweep_config_parse(const char *cmd, const char *path, const char *text, size_t len,
                       sweep_config *c) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
    if (root) /* only white space may follow the value (no NUL, no second value) */
        while (off < len && text[off] && strchr(" \t\r\n", text[off])) off++;
    if (!root || !cJSON_IsObject(root) || off < len) {
        bool json = root && off == len;
        cJSON_Delete(root);
        if (json) return cli_fail(cmd, "%s: not a JSON object (the config is one {...})", path);
        return cli_fail(cmd, "%s: not a JSON object (invalid JSON near byte %zu)", path, off);
    }
    int rc = CLI_OK;
    char sb[80];
    sweep_dataset top = {0};
    bool have_top = false;
    for (const cJSON *it = root->child; it && rc == CLI_OK; it = it->next) {
        const char *k = it->string;
        double v = 0;
        bool ok = true;
        if (k[0] == '_') continue;  /* "_comment": ignored */
        if (!strcmp(k, "name") || !strcmp(k, "acts") || !strcmp(k, "labels") ||
            !strcmp(k, "pos") || !strcmp(k, "neg")) {
            cJSON *one = cJSON_CreateObject();
            cJSON_AddItemReferenceToObject(one, k, (cJSON *)it);
            rc = load_dataset(cmd, path, one, &top, "the config");
            cJSON_Delete(one);
            have_top = true;
            continue;
        } else if (!strcmp(k, "datasets")) {
            if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) < 1) {
                rc = cli_fail(cmd, "%s: 'datasets' must be a non-empty array of objects", path);
                break;
            }
            int i = 0;
            for (const cJSON *d = it->child; d && rc == CLI_OK; d = d->next, i++) {
                char where[48];
                snprintf(where, sizeof where, "datasets[%d]", i);
                if (!cJSON_IsObject(d)) {
                    rc = cli_fail(cmd, "%s: %s must be an object", path, where);
                    break;
                }
                sweep_dataset *nd = realloc(c->datasets, (size_t)(c->n_datasets + 1) * sizeof *nd);
                if (!nd) {
                    rc = cli_fail(cmd, "out of memory");
                    break;
                }
                c->datasets = nd;
                memset(&c->datasets[c->n_datasets], 0, sizeof *nd);
                rc = load_dataset(cmd, path, d, &c->datasets[c->n_datasets++], where);
            }
            continue;
        } else if (!strcmp(k, "layers")) {
            if (cJSON_IsString(it)) {
                ok = sweep_parse_layers(it->valuestring, &c->layers, &c->n_layers);
            } else if (cJSON_IsArray(it)) {
                char list[8192] = "";
                for (const cJSON *l = it->child; l && ok; l = l->next) {
                    /* whole numbers in range before the cast (a cast of 1e20 is UB) */
                    ok = cJSON_IsNumber(l) && l->valuedouble >= 0 && l->valuedouble <= MAX_LAYER &&
                         l->valuedouble == (int32_t)l->valuedouble && strlen(list) < 8000;
                    if (ok) snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d",
                                     *list ? "," : "", (int)l->valuedouble);
                }
                ok = ok && sweep_parse_layers(list, &c->layers, &c->n_layers);
            } else {
                ok = false;
            }
            if (!ok) rc = cli_fail(cmd, "%s: 'layers' must be a range string like \"0-31\" or an "
                                   "array of layer numbers", path);
            continue;
        } else if (!strcmp(k, "methods")) {
            ok = set_methods(c, it, NULL);
        } else if (!strcmp(k, "out")) {
            ok = set_str(&c->out, it);
        } else if (!strcmp(k, "test_frac")) {
            ok = number_in(it, 0, 0.9, &c->test_frac);
        } else if (!strcmp(k, "C")) {
            ok = number_in(it, 1e-12, 1e12, &c->C);
        } else if (!strcmp(k, "folds")) {
            ok = int_in(it, 0, 100, &c->folds);
        } else if (!strcmp(k, "bootstrap")) {
            ok = int_in(it, 0, 1e6, &c->bootstrap);
        } else if (!strcmp(k, "max_iter")) {
            ok = int_in(it, 1, 1e6, &c->max_iter);
        } else if (!strcmp(k, "tries")) {
            ok = int_in(it, 1, 10000, &c->tries);
        } else if (!strcmp(k, "pca_components")) {
            ok = int_in(it, 1, 1000, &c->pca_k);
        } else if (!strcmp(k, "cka_rows")) {
            ok = int_in(it, 0, 1e9, &c->cka_rows);
        } else if (!strcmp(k, "jobs")) {
            ok = int_in(it, 1, 256, &c->jobs);
        } else if (!strcmp(k, "threads")) {
            ok = int_in(it, 0, 1024, &c->threads);
        } else if (!strcmp(k, "seed")) {
            ok = number_in(it, 0, 9007199254740992.0, &v) && v == (double)(uint64_t)v &&
                 (c->seed = (uint64_t)v, true);
        } else if (!strcmp(k, "standardize") || !strcmp(k, "plots") || !strcmp(k, "drop_nonfinite")) {
            ok = cJSON_IsBool(it);
            if (ok) *(!strcmp(k, "plots") ? &c->plots : !strcmp(k, "standardize") ? &c->standardize
                                                                                  : &c->drop_nonfinite) = cJSON_IsTrue(it);
        } else if (!strcmp(k, "norm")) {
            ok = set_str(&c->norm, it);
        } else if (!strcmp(k, "optimizer")) {
            ok = set_str(&c->optimizer, it);
        } else if (!strcmp(k, "plot_format")) {
            ok = set_str(&c->plot_format, it);
        } else {
            rc = cli_fail(cmd, "%s: unknown key '%s' (known: acts, labels, pos, neg, name, "
                          "datasets, layers, methods, out, test_frac, folds, seed, C, "
                          "standardize, bootstrap, norm, optimizer, tries, max_iter, pca_components, "
                          "cka_rows, jobs, threads, plots, plot_format, drop_nonfinite; keys "
                          "starting with _ are comments)", path, shown(k, sb, sizeof sb));
            break;
        }
        if (!ok) rc = cli_fail(cmd, "%s: bad value for '%s'", path, k);
    }
    cJSON_Delete(root);
    if (rc == CLI_OK && have_top) {
        if (c->n_datasets > 0) {
            rc = cli_fail(cmd, "%s: give either 'datasets' or top-level acts/labels/pos/neg, "
                          "not both", path);
        } else {
            c->datasets = calloc(1, sizeof *c->datasets);
            if (!c->datasets) rc = cli_fail(cmd, "out of memory");
            else c->datasets[c->n_datasets++] = top, memset(&top, 0, sizeof top);
        }
    }
    dataset_free(&top);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Defaults and checks                                                */
/* ------------------------------------------------------------------ */

/* Layers 0, 1, 2... for as long as the pattern resolves. */
static bool discover_layers(const sweep_dataset *d, sweep_config *c) {
    const char *pat = d->acts ? d->acts : d->pos;
    char list[8192] = "";
    for (int32_t l = 0; l < 4096 && strlen(list) < 8000; l++) {
        char *spec = sweep_expand(pat, l);
        gp_tensor *t = NULL;
        bool ok = spec && gp_tensor_load(spec, GP_DTYPE_ANY, &t) == GP_OK;
        gp_tensor_free(t);
        free(spec);
        if (!ok) break;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", *list ? "," : "", (int)l);
    }
    return *list && sweep_parse_layers(list, &c->layers, &c->n_layers);
}

int sweep_config_finish(const char *cmd, const char *usage, sweep_config *c) {
    if (c->n_datasets == 0)
        return cli_usage_error(cmd, usage, "nothing to sweep: give --acts and --labels (or "
                               "--pos and --neg), or a config file");
    char sb[80];
    for (int32_t i = 0; i < c->n_datasets; i++) {
        sweep_dataset *d = &c->datasets[i];
        if (!d->name) {
            char nm[32];
            snprintf(nm, sizeof nm, i == 0 ? "main" : "data%d", (int)i);
            if (!(d->name = strdup(nm))) return cli_fail(cmd, "out of memory");
        }
        /* the name goes into file names (probes/layer_L-NAME-METHOD.safetensors) */
        bool plain = d->name[0] != '\0';
        for (const unsigned char *p = (const unsigned char *)d->name; *p; p++)
            if (*p <= ' ' || *p == '/' || *p == 0x7f) plain = false;
        if (!plain)
            return cli_usage_error(cmd, usage, "dataset name '%s': not empty, no '/', spaces or "
                                   "control characters", shown(d->name, sb, sizeof sb));
        for (int32_t j = 0; j < i; j++)
            if (!strcmp(c->datasets[j].name, d->name))
                return cli_usage_error(cmd, usage, "two datasets are named '%s'", d->name);
        if (!d->acts && !(d->pos && d->neg))
            return cli_usage_error(cmd, usage, "dataset '%s' has neither acts nor pos and neg",
                                   d->name);
        if (!!d->pos != !!d->neg)
            return cli_usage_error(cmd, usage, "dataset '%s': pos and neg go together", d->name);
        const char *pats[] = {d->acts, d->pos, d->neg};
        for (int k = 0; k < 3; k++)
            if (pats[k] && !strstr(pats[k], "{L}"))
                return cli_usage_error(cmd, usage, "'%s' has no {L} where the layer number goes "
                                       "(layer_{L}.npy, acts.npy@{L}, f.safetensors:h.{L})",
                                       shown(pats[k], sb, sizeof sb));
    }
    const sweep_dataset *d0 = &c->datasets[0];
    if (c->n_methods == 0) {
        bool ok = true;
        if (d0->acts && d0->labels) ok = add_method(c, "logistic") && add_method(c, "massmean");
        if (d0->pos) ok = ok && add_method(c, "ccs") && add_method(c, "crc");
        if (!ok) return cli_fail(cmd, "out of memory");
    }
    if (c->n_methods == 0)
        return cli_usage_error(cmd, usage, "no method can run: probes need acts and labels, "
                               "ccs/crc/vinc need pos and neg");
    for (int32_t i = 0; i < c->n_methods; i++) {
        const char *m = c->methods[i];
        if (!is_method(m))
            return cli_usage_error(cmd, usage, "unknown method '%s' (logistic, massmean, "
                                   "massmean-iid, lda, ccs, crc, vinc)", shown(m, sb, sizeof sb));
        for (int32_t j = 0; j < i; j++)
            if (!strcmp(c->methods[j], m))
                return cli_usage_error(cmd, usage, "method '%s' is listed twice", m);
        bool pair = sweep_is_pair_method(m);
        if (!pair && !(d0->acts && d0->labels))
            return cli_usage_error(cmd, usage, "method '%s' needs --acts and --labels", m);
        if (pair && !d0->pos)
            return cli_usage_error(cmd, usage, "method '%s' needs --pos and --neg contrast pairs", m);
    }
    if (!c->out) return cli_usage_error(cmd, usage, "say where the report goes: --out DIR");
    if (!c->norm && !(c->norm = strdup("burns"))) return cli_fail(cmd, "out of memory");
    if (!c->optimizer && !(c->optimizer = strdup("lbfgs"))) return cli_fail(cmd, "out of memory");
    if (!c->plot_format && !(c->plot_format = strdup("png"))) return cli_fail(cmd, "out of memory");
    if (strcmp(c->plot_format, "png") && strcmp(c->plot_format, "svg") && strcmp(c->plot_format, "pdf"))
        return cli_usage_error(cmd, usage, "plot format '%s': png, svg or pdf",
                               shown(c->plot_format, sb, sizeof sb));
    if (c->folds == 1) return cli_usage_error(cmd, usage, "folds must be 0 (a split) or >= 2");
    if (c->n_layers == 0 && !discover_layers(d0, c))
        return cli_fail(cmd, "no layer found for '%s' (tried {L} = 0): give --layers",
                        d0->acts ? d0->acts : d0->pos);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* Params and fingerprint                                             */
/* ------------------------------------------------------------------ */

static void add_str_or_null(cJSON *o, const char *k, const char *v) {
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

cJSON *sweep_config_json(const sweep_config *c) {
    cJSON *p = cJSON_CreateObject();
    cJSON *ds = cJSON_AddArrayToObject(p, "datasets");
    for (int32_t i = 0; i < c->n_datasets; i++) {
        const sweep_dataset *d = &c->datasets[i];
        cJSON *o = cJSON_CreateObject();
        add_str_or_null(o, "name", d->name);
        add_str_or_null(o, "acts", d->acts);
        add_str_or_null(o, "labels", d->labels);
        add_str_or_null(o, "pos", d->pos);
        add_str_or_null(o, "neg", d->neg);
        cJSON_AddItemToArray(ds, o);
    }
    cJSON *ly = cJSON_AddArrayToObject(p, "layers");
    for (int32_t i = 0; i < c->n_layers; i++) cJSON_AddItemToArray(ly, cJSON_CreateNumber(c->layers[i]));
    cJSON *ms = cJSON_AddArrayToObject(p, "methods");
    for (int32_t i = 0; i < c->n_methods; i++) cJSON_AddItemToArray(ms, cJSON_CreateString(c->methods[i]));
    cJSON_AddNumberToObject(p, "test_frac", c->test_frac);
    cJSON_AddNumberToObject(p, "folds", c->folds);
    cJSON_AddNumberToObject(p, "seed", (double)c->seed);
    cJSON_AddNumberToObject(p, "C", c->C);
    cJSON_AddBoolToObject(p, "standardize", c->standardize);
    cJSON_AddNumberToObject(p, "bootstrap", c->bootstrap);
    cJSON_AddStringToObject(p, "norm", c->norm ? c->norm : "burns");
    cJSON_AddStringToObject(p, "optimizer", c->optimizer ? c->optimizer : "lbfgs");
    cJSON_AddNumberToObject(p, "tries", c->tries);
    /* only when set: the fingerprints of sweeps without it stay as they were */
    if (c->max_iter > 0) cJSON_AddNumberToObject(p, "max_iter", c->max_iter);
    cJSON_AddNumberToObject(p, "pca_components", c->pca_k);
    cJSON_AddNumberToObject(p, "cka_rows", c->cka_rows);
    /* only when set, so the fingerprints of earlier sweeps stay valid */
    if (c->drop_nonfinite) cJSON_AddBoolToObject(p, "drop_nonfinite", 1);
    return p;
}

void sweep_config_hash(const sweep_config *c, char hex[17]) {
    cJSON *p = sweep_config_json(c);
    /* layers do not change a layer's numbers: a longer sweep reuses them */
    cJSON_DeleteItemFromObject(p, "layers");
    cJSON_AddStringToObject(p, "geoprobe_version", gp_version());
    char *text = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = text ? text : ""; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    cJSON_free(text);
    snprintf(hex, 17, "%016llx", (unsigned long long)h);
}
