/* probe_io.c — probes as .safetensors files PyTorch users can load:
 * "weight" (d,) for one output or (k, d), "bias" (n_outputs,), float32
 * (what nn.Linear holds), and string __metadata__: method, classes,
 * parameters and whatever provenance the caller adds. */
#include "probe_internal.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gp_status gp_probe_save(const gp_probe *p, const char *path, int n_meta,
                        const char *const *meta_keys, const char *const *meta_values) {
    gp__clear_error();
    if (!p || !path) return gp__error(GP_EINVAL, "probe save: NULL argument");
    if (n_meta < 0 || (n_meta > 0 && (!meta_keys || !meta_values)))
        return gp__error(GP_EINVAL, "probe save: bad metadata arguments");
    size_t nw = (size_t)p->n_outputs * (size_t)p->d;
    float *w = gp__malloc(nw * sizeof *w);
    float *b = gp__malloc((size_t)p->n_outputs * sizeof *b);
    const char **keys = gp__malloc((size_t)(n_meta + 8) * sizeof *keys);
    const char **vals = gp__malloc((size_t)(n_meta + 8) * sizeof *vals);
    if (!w || !b || !keys || !vals) {
        gp__free(w); gp__free(b); gp__free(keys); gp__free(vals);
        return gp__error(GP_ENOMEM, "probe save: out of memory");
    }
    for (size_t i = 0; i < nw; i++) w[i] = (float)p->weight[i];
    for (int32_t i = 0; i < p->n_outputs; i++) b[i] = (float)p->bias[i];

    char n_classes[24], n_outputs[24], C[40], d[24];
    snprintf(n_classes, sizeof n_classes, "%d", (int)p->n_classes);
    snprintf(n_outputs, sizeof n_outputs, "%d", (int)p->n_outputs);
    snprintf(C, sizeof C, "%.17g", p->C);
    snprintf(d, sizeof d, "%lld", (long long)p->d);
    int m = 0;
    keys[m] = "format"; vals[m++] = "pt";
    keys[m] = "geoprobe_version"; vals[m++] = gp_version();
    keys[m] = "method"; vals[m++] = gp_probe_method_name(p->method);
    keys[m] = "n_classes"; vals[m++] = n_classes;
    keys[m] = "n_outputs"; vals[m++] = n_outputs;
    keys[m] = "n_features"; vals[m++] = d;
    if (p->method == GP_PROBE_LOGISTIC) { keys[m] = "C"; vals[m++] = C; }
    /* The caller's pairs come last and may not repeat ours. */
    const int ours = m;
    gp_status s = GP_OK;
    for (int i = 0; i < n_meta && s == GP_OK; i++) {
        for (int j = 0; j < ours; j++)
            if (meta_keys[i] && strcmp(meta_keys[i], keys[j]) == 0)
                s = gp__error(GP_EINVAL, "probe save: metadata key '%s' is reserved", meta_keys[i]);
        keys[m] = meta_keys[i];
        vals[m++] = meta_values[i];
    }
    gp_named_tensor t[2] = {
        {"weight", GP_DTYPE_F32, p->n_outputs == 1 ? 1 : 2, {0}, w},
        {"bias", GP_DTYPE_F32, 1, {p->n_outputs}, b},
    };
    if (p->n_outputs == 1) {
        t[0].shape[0] = p->d;
    } else {
        t[0].shape[0] = p->n_outputs;
        t[0].shape[1] = p->d;
    }
    if (s == GP_OK) s = gp_safetensors_write(path, 2, t, m, keys, vals);
    if (s != GP_OK && !strstr(gp_last_error(), path)) gp__error_prefix("%s", path);
    gp__free(w); gp__free(b); gp__free(keys); gp__free(vals);
    return s;
}

static const char *meta_str(const cJSON *meta, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

gp_status gp_probe_load(const char *path, gp_probe **out) {
    gp__clear_error();
    if (!out) return gp__error(GP_EINVAL, "probe load: out is NULL");
    *out = NULL;
    if (!path) return gp__error(GP_EINVAL, "probe load: path is NULL");
    gp_file *f = NULL;
    gp_status s = gp_file_open(path, &f);
    if (s != GP_OK) return s;
    if (gp_file_format(f) != GP_FORMAT_SAFETENSORS || gp_file_find_tensor(f, "weight") < 0 ||
        gp_file_find_tensor(f, "bias") < 0) {
        gp_file_close(f);
        return gp__error(GP_EFORMAT, "%s: not a probe: a probe is a .safetensors file with tensors "
                         "'weight' and 'bias'", path);
    }
    cJSON *meta = cJSON_Parse(gp_file_metadata_json(f));
    gp_file_close(f);
    if (!meta) return gp__error(GP_ENOMEM, "%s: out of memory reading metadata", path);

    size_t len = strlen(path) + 8;
    char *spec = gp__malloc(len);
    gp_tensor *tw = NULL, *tb = NULL;
    if (!spec) s = gp__error(GP_ENOMEM, "%s: out of memory", path);
    if (s == GP_OK) {
        snprintf(spec, len, "%s:weight", path);
        s = gp_tensor_load(spec, GP_DTYPE_F64, &tw);
    }
    if (s == GP_OK) {
        snprintf(spec, len, "%s:bias", path);
        s = gp_tensor_load(spec, GP_DTYPE_F64, &tb);
    }
    gp__free(spec);
    int32_t n_out = 0;
    int64_t d = 0;
    if (s == GP_OK) {
        int nd = gp_tensor_ndim(tw);
        n_out = nd == 1 ? 1 : (int32_t)gp_tensor_dim(tw, 0);
        d = gp_tensor_dim(tw, nd - 1);
        if ((nd != 1 && nd != 2) || gp_tensor_ndim(tb) > 1 || gp_tensor_numel(tb) != n_out || d < 1)
            s = gp__error(GP_ESHAPE, "%s: weight must be (d,) or (k, d) and bias (k,); got a %d-D "
                          "weight and %lld biases", path, nd, (long long)gp_tensor_numel(tb));
    }
    gp_probe_method m = GP_PROBE_LOGISTIC;
    int32_t k = n_out == 1 ? 2 : n_out;
    if (s == GP_OK) {
        const char *method = meta_str(meta, "method"), *nc = meta_str(meta, "n_classes");
        gp_ccs_method cm;
        if (method && gp_ccs_method_parse(method, &cm) == GP_OK)
            s = gp__error(GP_EINVAL, "%s: a contrast-pair probe (%s): apply it to two files, "
                          "POS NEG", path, method);
        else if (method && gp_probe_method_parse(method, &m) != GP_OK)
            s = gp__error(GP_EFORMAT, "%s: unknown probe method '%s' in metadata", path, method);
        if (s == GP_OK && nc) k = (int32_t)atoi(nc);
        if (s == GP_OK && m == GP_PROBE_RIDGE) k = 0;
    }
    gp_probe *p = NULL;
    if (s == GP_OK) {
        s = gp_probe_from_weights(m, k, n_out, d, gp_tensor_data(tw), gp_tensor_data(tb), &p);
        if (s != GP_OK) gp__error_prefix("%s", path);
    }
    gp_tensor_free(tw);
    gp_tensor_free(tb);
    if (s != GP_OK) {
        cJSON_Delete(meta);
        return s;
    }
    const char *C = meta_str(meta, "C");
    if (C) p->C = atof(C);
    p->meta = meta;
    *out = p;
    return GP_OK;
}

const char *gp_probe_metadata(const gp_probe *p, const char *key) {
    if (!p || !key || !p->meta) return NULL;
    return meta_str(p->meta, key);
}
