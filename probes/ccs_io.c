/* ccs_io.c — contrast-pair probes as .safetensors: "weight" (1, d) and
 * "bias" (1,) float32 (the normalized-space direction, as nn.Linear holds
 * it), the normalization as float64 "pos_mean", "neg_mean", "pos_scale",
 * "neg_scale" (d,) so a later `apply` normalizes new pairs exactly as the
 * training pairs were, and string __metadata__. */
#include "ccs_internal.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const STAT_NAMES[4] = {"pos_mean", "neg_mean", "pos_scale", "neg_scale"};

static double *stat_of(const struct gp_ccs *c, int i) {
    switch (i) {
    case 0: return c->mean[0];
    case 1: return c->mean[1];
    case 2: return c->scale[0];
    default: return c->scale[1];
    }
}

gp_status gp_ccs_save(const gp_ccs *c, const char *path, int n_meta,
                      const char *const *meta_keys, const char *const *meta_values) {
    gp__clear_error();
    if (!c || !path) return gp__error(GP_EINVAL, "ccs save: NULL argument");
    if (n_meta < 0 || (n_meta > 0 && (!meta_keys || !meta_values)))
        return gp__error(GP_EINVAL, "ccs save: bad metadata arguments");
    float *w = gp__alloc_n((size_t)c->d, sizeof *w);
    const char **keys = gp__alloc_n((size_t)n_meta + 16, sizeof *keys);
    const char **vals = gp__alloc_n((size_t)n_meta + 16, sizeof *vals);
    if (!w || !keys || !vals) {
        gp__free(w); gp__free(keys); gp__free(vals);
        return gp__error(GP_ENOMEM, "ccs save: out of memory");
    }
    for (int64_t j = 0; j < c->d; j++) w[j] = (float)c->w[j];
    float b = (float)c->b;
    char d[24], sign[8], a[40], off[40], loss[40], tries[16];
    snprintf(d, sizeof d, "%lld", (long long)c->d);
    snprintf(sign, sizeof sign, "%d", (int)c->sign);
    snprintf(a, sizeof a, "%.17g", c->platt_a);
    snprintf(off, sizeof off, "%.17g", c->platt_c);
    snprintf(loss, sizeof loss, "%.17g", c->loss);
    snprintf(tries, sizeof tries, "%d", (int)c->tries);
    int m = 0;
    keys[m] = "format"; vals[m++] = "pt";
    keys[m] = "geoprobe_version"; vals[m++] = gp_version();
    keys[m] = "method"; vals[m++] = gp_ccs_method_name(c->method);
    keys[m] = "norm"; vals[m++] = gp_ccs_norm_name(c->norm);
    keys[m] = "n_features"; vals[m++] = d;
    keys[m] = "sign"; vals[m++] = sign;
    keys[m] = "platt_a"; vals[m++] = a;
    keys[m] = "platt_c"; vals[m++] = off;
    keys[m] = "loss"; vals[m++] = loss;
    keys[m] = "tries"; vals[m++] = tries;
    const int ours = m;
    gp_status s = GP_OK;
    for (int i = 0; i < n_meta && s == GP_OK; i++) {
        for (int j = 0; j < ours; j++)
            if (meta_keys[i] && strcmp(meta_keys[i], keys[j]) == 0)
                s = gp__error(GP_EINVAL, "ccs save: metadata key '%s' is reserved", meta_keys[i]);
        keys[m] = meta_keys[i];
        vals[m++] = meta_values[i];
    }
    gp_named_tensor t[6] = {
        {"weight", GP_DTYPE_F32, 2, {1, c->d}, w},
        {"bias", GP_DTYPE_F32, 1, {1}, &b},
    };
    for (int i = 0; i < 4; i++)
        t[2 + i] = (gp_named_tensor){STAT_NAMES[i], GP_DTYPE_F64, 1, {c->d}, stat_of(c, i)};
    if (s == GP_OK) s = gp_safetensors_write(path, 6, t, m, keys, vals);
    if (s != GP_OK && !strstr(gp_last_error(), path)) gp__error_prefix("%s", path);
    gp__free(w); gp__free(keys); gp__free(vals);
    return s;
}

static const char *meta_str(const cJSON *meta, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Tensor `name` of path as float64 with numel elements, into dst. */
static gp_status load_vec(const char *path, const char *name, int64_t numel, double *dst) {
    size_t len = strlen(path) + strlen(name) + 2;
    char *spec = gp__malloc(len);
    if (!spec) return gp__error(GP_ENOMEM, "%s: out of memory", path);
    snprintf(spec, len, "%s:%s", path, name);
    gp_tensor *t = NULL;
    gp_status s = gp_tensor_load(spec, GP_DTYPE_F64, &t);
    gp__free(spec);
    if (s != GP_OK) return s;
    if (gp_tensor_numel(t) != numel)
        s = gp__error(GP_ESHAPE, "%s: tensor '%s' has %lld values, expected %lld", path, name,
                      (long long)gp_tensor_numel(t), (long long)numel);
    else
        memcpy(dst, gp_tensor_data(t), (size_t)numel * sizeof *dst);
    gp_tensor_free(t);
    return s;
}

gp_status gp_ccs_load(const char *path, gp_ccs **out) {
    gp__clear_error();
    if (!out) return gp__error(GP_EINVAL, "ccs load: out is NULL");
    *out = NULL;
    if (!path) return gp__error(GP_EINVAL, "ccs load: path is NULL");
    gp_file *f = NULL;
    gp_status s = gp_file_open(path, &f);
    if (s != GP_OK) return s;
    int64_t d = 0;
    int wi = gp_file_find_tensor(f, "weight");
    bool is_pair = gp_file_format(f) == GP_FORMAT_SAFETENSORS && wi >= 0 &&
                   gp_file_find_tensor(f, "pos_mean") >= 0;
    cJSON *meta = is_pair ? cJSON_Parse(gp_file_metadata_json(f)) : NULL;
    if (is_pair) {
        gp_tensor *t = NULL;
        size_t len = strlen(path) + 8;
        char *spec = gp__malloc(len);
        if (spec) {
            snprintf(spec, len, "%s:weight", path);
            if (gp_tensor_load(spec, GP_DTYPE_F64, &t) == GP_OK) d = gp_tensor_numel(t);
            gp_tensor_free(t);
            gp__free(spec);
        }
    }
    gp_file_close(f);
    if (!is_pair)
        return gp__error(GP_EINVAL, "%s: not a contrast-pair probe (CCS, CRC or VINC): it has no "
                         "'weight' and 'pos_mean' tensors; use it with one activation file",
                         path);
    const char *method = meta ? meta_str(meta, "method") : NULL;
    const char *norm = meta ? meta_str(meta, "norm") : NULL;
    gp_ccs_method m = GP_CCS_CCS;
    gp_ccs_norm nm = GP_CCS_NORM_BURNS;
    if (!meta || !method || !norm || gp_ccs_method_parse(method, &m) != GP_OK ||
        gp_ccs_norm_parse(norm, &nm) != GP_OK || d < 1) {
        cJSON_Delete(meta);
        return gp__error(GP_EFORMAT, "%s: contrast-pair probe with missing or unknown metadata "
                         "(method, norm) or an empty weight", path);
    }
    struct gp_ccs *c = gp__ccs_new(d);
    if (!c) {
        cJSON_Delete(meta);
        return GP_ENOMEM;
    }
    c->method = m;
    c->norm = nm;
    c->meta = meta;
    s = load_vec(path, "weight", d, c->w);
    double b = 0;
    if (s == GP_OK) s = load_vec(path, "bias", 1, &b);
    for (int i = 0; i < 4 && s == GP_OK; i++) s = load_vec(path, STAT_NAMES[i], d, stat_of(c, i));
    for (int64_t j = 0; j < d && s == GP_OK; j++)
        if (!(c->scale[0][j] > 0) || !(c->scale[1][j] > 0))
            s = gp__error(GP_EFORMAT, "%s: normalization scale %lld is not positive", path,
                          (long long)j);
    if (s == GP_OK) s = gp__ccs_alloc_tries(c, 1, 0);
    if (s == GP_OK) gp__ccs_norm_sync(c);
    if (s != GP_OK) {
        gp_ccs_free(c);
        return s;
    }
    c->b = b;
    const char *v;
    if ((v = meta_str(meta, "sign"))) c->sign = (int32_t)atoi(v);
    if ((v = meta_str(meta, "platt_a"))) c->platt_a = atof(v);
    if ((v = meta_str(meta, "platt_c"))) c->platt_c = atof(v);
    if ((v = meta_str(meta, "loss"))) c->loss = c->try_loss[0] = atof(v);
    c->try_cos[0] = 1;
    *out = c;
    return GP_OK;
}

const char *gp_ccs_metadata(const gp_ccs *c, const char *key) {
    if (!c || !key || !c->meta) return NULL;
    return meta_str(c->meta, key);
}
