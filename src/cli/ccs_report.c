/* ccs_report.c — what `geoprobe ccs` writes: the JSON keys of a fit and of
 * --compare, the summary table on stdout, the saved probe and the plot. */
#include "cmd_ccs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

cJSON *ccs_compare_json(const ccs_args *a, const cli_ccs_compare *m, const cli_ccs_eval *te) {
    cJSON *o = cJSON_CreateObject();
    cJSON *s = cJSON_AddObjectToObject(o, "supervised");
    cJSON_AddStringToObject(s, "method", "logistic on n(x+) - n(x-), every training label");
    cJSON_AddNumberToObject(s, "accuracy", m->sup_acc);
    cJSON_AddNumberToObject(s, "auroc", m->sup_auroc);
    cJSON_AddNumberToObject(s, "train_accuracy", m->sup_train_acc);
    cJSON *u = cJSON_AddObjectToObject(o, "unsupervised");
    cJSON_AddStringToObject(u, "method", gp_ccs_method_name(a->o.method));
    cJSON_AddNumberToObject(u, "accuracy", te->accuracy);
    cJSON_AddNumberToObject(u, "sign_calibrated_accuracy", te->sign_calibrated_accuracy);
    cJSON_AddNumberToObject(u, "auroc", te->auroc);
    cJSON *r = cJSON_AddObjectToObject(o, "random");
    cJSON_AddStringToObject(r, "method", "seeded random unit direction on n(x+) - n(x-)");
    cJSON_AddNumberToObject(r, "accuracy", m->rnd_acc);
    cJSON_AddNumberToObject(r, "sign_calibrated_accuracy", m->rnd_cal_acc);
    cJSON_AddNumberToObject(r, "auroc", m->rnd_auroc);
    cJSON_AddNumberToObject(o, "recovered", m->sup_acc > 0 ? te->sign_calibrated_accuracy / m->sup_acc : 0);
    cJSON_AddNumberToObject(o, "recovered_above_chance",
                            m->sup_acc > 0.5 ? (te->sign_calibrated_accuracy - 0.5) / (m->sup_acc - 0.5) : 0);
    return o;
}

void ccs_print_compare(FILE *out, const ccs_args *a, const cli_ccs_compare *m, const cli_ccs_eval *te,
                          const char *where) {
    fprintf(out, "  compare     %s\n", where);
    fprintf(out, "    %-24s %9s %11s %8s\n", "", "accuracy", "calibrated", "AUROC");
    fprintf(out, "    %-24s %9.4f %11s %8.4f\n", "supervised logistic", m->sup_acc, "-", m->sup_auroc);
    fprintf(out, "    %-24s %9.4f %11.4f %8.4f\n", gp_ccs_method_name(a->o.method), te->accuracy,
            te->sign_calibrated_accuracy, te->auroc);
    fprintf(out, "    %-24s %9.4f %11.4f %8.4f\n", "random direction", m->rnd_acc, m->rnd_cal_acc, m->rnd_auroc);
    if (m->sup_acc > 0.5)
        fprintf(out, "    %s recovers %.1f%% of the supervised accuracy (%.1f%% of its margin over chance)\n",
                gp_ccs_method_name(a->o.method), 100 * te->sign_calibrated_accuracy / m->sup_acc,
                100 * (te->sign_calibrated_accuracy - 0.5) / (m->sup_acc - 0.5));
}

/* The direction's fit: loss, tries, cosines, solver. */
void ccs_add_fit_keys(cJSON *report, const gp_ccs *c) {
    int32_t T = gp_ccs_tries(c);
    int64_t d = gp_ccs_n_features(c);
    const double *w = gp_ccs_weight(c);
    double nrm = 0;
    for (int64_t j = 0; j < d; j++) nrm += w[j] * w[j];
    cJSON_AddStringToObject(report, "method", gp_ccs_method_name(gp_ccs_get_method(c)));
    cJSON_AddStringToObject(report, "norm", gp_ccs_norm_name(gp_ccs_get_norm(c)));
    cJSON_AddNumberToObject(report, "loss", gp_ccs_loss(c));
    cJSON_AddNumberToObject(report, "tries", T);
    cJSON_AddItemToObject(report, "try_losses", cli_json_doubles(gp_ccs_try_losses(c), T));
    cJSON *cos = cJSON_AddArrayToObject(report, "try_cosines");
    for (int32_t t = 0; t < T; t++)
        cJSON_AddItemToArray(cos, cli_json_doubles(gp_ccs_try_cosines(c) + (size_t)t * (size_t)T, T));
    cJSON_AddNumberToObject(report, "best_try", gp_ccs_best_try(c));
    cJSON_AddNumberToObject(report, "n_iter", gp_ccs_n_iter(c));
    cJSON_AddBoolToObject(report, "converged", gp_ccs_converged(c));
    cJSON_AddNumberToObject(report, "weight_norm", sqrt(nrm));
    cJSON_AddItemToObject(report, "weight", cli_json_doubles(w, d));
    cJSON_AddNumberToObject(report, "bias", gp_ccs_bias(c));
    double pa, pc;
    gp_ccs_platt(c, &pa, &pc);
    cJSON *cal = cJSON_AddObjectToObject(report, "calibration");
    cJSON_AddNumberToObject(cal, "sign", gp_ccs_sign(c));
    cJSON_AddNumberToObject(cal, "platt_a", pa);
    cJSON_AddNumberToObject(cal, "platt_c", pc);
}

/* How many tries found the kept direction (|cosine| >= 0.9). */
static int32_t tries_agreeing(const gp_ccs *c) {
    int32_t T = gp_ccs_tries(c), b = gp_ccs_best_try(c), k = 0;
    for (int32_t t = 0; t < T; t++) k += fabs(gp_ccs_try_cosines(c)[(size_t)b * (size_t)T + (size_t)t]) >= 0.9;
    return k;
}

void ccs_print_split(FILE *out, const char *name, const cli_ccs_eval *e, const cJSON *j, bool labels) {
    fprintf(out, "  %-11s ", name);
    if (!labels) {
        fprintf(out, "mean credence %.4f  (n %lld)\n", e->credence_mean, (long long)e->n);
        return;
    }
    fprintf(out, "accuracy %.4f", e->accuracy);
    if (e->calibrated) {
        fprintf(out, "  sign-calibrated %.4f", e->sign_calibrated_accuracy);
        const cJSON *ci = j ? cJSON_GetObjectItem(j, "sign_calibrated_accuracy_ci95") : NULL;
        if (ci) fprintf(out, " [%.4f, %.4f]", cJSON_GetArrayItem(ci, 0)->valuedouble, cJSON_GetArrayItem(ci, 1)->valuedouble);
    }
    fprintf(out, "  AUROC %.4f  (n %lld)\n", e->auroc, (long long)e->n);
}

void ccs_print_fit(FILE *out, const ccs_args *a, const gp_ccs *c) {
    gp_ccs_method m = gp_ccs_get_method(c);
    fprintf(out, "  method      %s, norm %s", gp_ccs_method_name(m), gp_ccs_norm_name(gp_ccs_get_norm(c)));
    if (m == GP_CCS_CCS) {
        int32_t T = gp_ccs_tries(c);
        fprintf(out, ", %s, %d tr%s: kept #%d, loss %.6g; %d of %d agree with it (|cos| >= 0.9)\n",
                gp_ccs_optimizer_name(a->o.optimizer), (int)T, T == 1 ? "y" : "ies", (int)gp_ccs_best_try(c),
                gp_ccs_loss(c), (int)tries_agreeing(c), (int)T);
        fprintf(out, "  solver      %d %s, %s\n", (int)gp_ccs_n_iter(c),
                a->o.optimizer == GP_CCS_ADAM ? "epochs" : "iterations",
                gp_ccs_converged(c) ? "converged" : "stopped at the limit");
    } else {
        fprintf(out, " (closed form), CCS loss %.6g\n", gp_ccs_loss(c));
    }
}

/* ------------------------------------------------------------------ */
/* Save and plot                                                       */
/* ------------------------------------------------------------------ */

int ccs_save_probe(const ccs_args *a, const gp_ccs *c, const gp_labels *l, cJSON *report, int64_t n_calib,
                      int64_t ntrain) {
    cJSON *names = cJSON_CreateArray();
    for (int32_t k = 0; l && k < gp_labels_n_classes(l); k++)
        cJSON_AddItemToArray(names, cJSON_CreateString(gp_labels_class_name(l, k)));
    char *classes = cJSON_PrintUnformatted(names);
    cJSON_Delete(names);
    char *params = cJSON_PrintUnformatted(cli_report_params(report));
    const cJSON *in = cJSON_GetObjectItem(report, "inputs");
    const char *sha_p = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(in, 0), "sha256"));
    const char *sha_n = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(in, 1), "sha256"));
    char ntr[32], ncal[32];
    snprintf(ntr, sizeof ntr, "%lld", (long long)ntrain);
    snprintf(ncal, sizeof ncal, "%lld", (long long)(l ? n_calib : 0));
    const char *keys[] = {"classes", "labels", "training_pos", "training_neg", "training_pos_sha256",
                          "training_neg_sha256", "training_pairs", "calibration_pairs", "params"};
    const char *vals[] = {classes ? classes : "[]", a->labels ? a->labels : "", a->pos, a->neg,
                          sha_p ? sha_p : "", sha_n ? sha_n : "", ntr, ncal, params ? params : "{}"};
    int rc = CLI_OK;
    if (gp_ccs_save(c, a->save, 9, keys, vals) != GP_OK) rc = cli_fail_gp("ccs");
    cJSON_free(classes);
    cJSON_free(params);
    return rc;
}

int ccs_plot_pairs(ccs_args *a, const fit_result *r, cJSON *report) {
    const char *base = strrchr(a->pos, '/') ? strrchr(a->pos, '/') + 1 : a->pos;
    const char *rows = a->folds ? "out-of-fold" : a->test_frac > 0 ? "held-out" : "training";
    char title[512];
    snprintf(title, sizeof title, "%s, %s: %s pairs (n = %lld)", gp_ccs_method_name(a->o.method), base, rows,
             (long long)r->nte);
    cli_chart ch = {0};
    ch.kind = CLI_CHART_CONTRAST;
    ch.title = title;
    ch.contrast = (gp_plot_contrast_data){.n = r->nte, .p_pos = r->te_ppos, .p_neg = r->te_pneg, .ids = r->te_y};
    return cli_plot_render(&a->plot, "ccs", &ch, report);
}
