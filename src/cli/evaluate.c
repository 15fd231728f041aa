/* evaluate.c — what `probe` and `apply` share: row subsets, scoring a
 * probe on rows, and the metrics objects of the JSON report. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool cli_rows_copy(const gp_matrix *X, const int64_t *rows, int64_t m, gp_matrix *out) {
    size_t es = gp_dtype_size(X->dtype), row_bytes = (size_t)X->cols * es;
    unsigned char *buf = malloc((size_t)(m ? m : 1) * row_bytes);
    if (!buf) return false;
    for (int64_t i = 0; i < m; i++)
        memcpy(buf + (size_t)i * row_bytes,
               (const unsigned char *)X->data + (size_t)rows[i] * (size_t)X->ld * es, row_bytes);
    *out = (gp_matrix){X->dtype, m, X->cols, X->cols, buf};
    return true;
}

cJSON *cli_json_metrics(const gp_metrics *m, const int64_t *confusion, int32_t k,
                        const double *acc_ci, const double *auroc_ci) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", (double)m->n);
    cJSON_AddNumberToObject(o, "accuracy", m->accuracy);
    cJSON_AddNumberToObject(o, "balanced_accuracy", m->balanced_accuracy);
    cJSON_AddNumberToObject(o, "auroc", m->auroc);
    cJSON_AddNumberToObject(o, "log_loss", m->log_loss);
    cJSON_AddNumberToObject(o, "ece", m->ece);
    if (acc_ci) cJSON_AddItemToObject(o, "accuracy_ci95", cli_json_doubles(acc_ci, 2));
    if (auroc_ci) cJSON_AddItemToObject(o, "auroc_ci95", cli_json_doubles(auroc_ci, 2));
    if (confusion) {
        cJSON *c = cJSON_AddArrayToObject(o, "confusion");
        for (int32_t i = 0; i < k; i++) cJSON_AddItemToArray(c, cli_json_shape(k, confusion + (size_t)i * (size_t)k));
    }
    return o;
}

cJSON *cli_json_regression(const gp_regression_metrics *m) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", (double)m->n);
    cJSON_AddNumberToObject(o, "r2", m->r2);
    cJSON_AddNumberToObject(o, "pearson_r", m->pearson_r);
    cJSON_AddNumberToObject(o, "mse", m->mse);
    return o;
}

int cli_metrics_classes(const char *cmd, const int32_t *y, const double *proba, int64_t n, int32_t k,
                        int32_t n_boot, uint64_t seed, cJSON **json, gp_metrics *met) {
    int64_t *conf = calloc((size_t)k * (size_t)k, sizeof *conf);
    double aci[2], uci[2];
    int rc = CLI_OK;
    if (!conf) rc = cli_fail(cmd, "out of memory");
    else if (gp_metrics_compute(y, proba, n, k, met, conf) != GP_OK ||
             (n_boot > 0 && gp_metrics_bootstrap(y, proba, n, k, n_boot, seed, aci, uci) != GP_OK))
        rc = cli_fail_gp(cmd);
    if (rc == CLI_OK) *json = cli_json_metrics(met, conf, k, n_boot > 0 ? aci : NULL, n_boot > 0 ? uci : NULL);
    free(conf);
    return rc;
}

int cli_metrics_values(const char *cmd, const double *target, const double *pred, int64_t n, cJSON **json,
                       gp_regression_metrics *met) {
    if (gp_regression_metrics_compute(target, pred, n, met) != GP_OK) return cli_fail_gp(cmd);
    *json = cli_json_regression(met);
    return CLI_OK;
}

int cli_score_classes(const char *cmd, const gp_probe *p, const gp_matrix *X, const int32_t *y,
                      int32_t n_boot, uint64_t seed, double *proba_out, cJSON **json,
                      gp_metrics *met) {
    int32_t k = gp_probe_n_classes(p);
    double *proba = proba_out ? proba_out : malloc((size_t)X->rows * (size_t)k * sizeof *proba + 1);
    int rc = CLI_OK;
    if (!proba) rc = cli_fail(cmd, "out of memory");
    else if (gp_probe_predict_proba(p, X, proba) != GP_OK) rc = cli_fail_gp(cmd);
    if (rc == CLI_OK) rc = cli_metrics_classes(cmd, y, proba, X->rows, k, n_boot, seed, json, met);
    if (!proba_out) free(proba);
    return rc;
}

int cli_score_values(const char *cmd, const gp_probe *p, const gp_matrix *X, const double *target,
                     double *pred_out, cJSON **json, gp_regression_metrics *met) {
    double *pred = pred_out ? pred_out : malloc((size_t)(X->rows ? X->rows : 1) * sizeof *pred);
    int rc = CLI_OK;
    if (!pred) rc = cli_fail(cmd, "out of memory");
    else if (gp_probe_decision(p, X, pred) != GP_OK) rc = cli_fail_gp(cmd);
    if (rc == CLI_OK) rc = cli_metrics_values(cmd, target, pred, X->rows, json, met);
    if (!pred_out) free(pred);
    return rc;
}
