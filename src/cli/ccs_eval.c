/* ccs_eval.c — what `ccs` and `apply` share for contrast-pair probes:
 * scoring pairs (the paper's accuracy, the sign-calibrated one, AUROC,
 * intervals) and the --compare baselines (a supervised logistic probe and
 * a random direction on the same normalized differences). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t cli_mix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Paper-style accuracy: max(acc, 1 - acc) of credence > 0.5. */
static double paper_accuracy(const double *cred, const int32_t *y, int64_t n) {
    int64_t hit = 0;
    for (int64_t i = 0; i < n; i++) hit += (cred[i] > 0.5) == (y[i] == 1);
    double acc = n ? (double)hit / (double)n : 0;
    return acc > 1 - acc ? acc : 1 - acc;
}

int cli_ccs_score(const char *cmd, const gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                  const int32_t *y, int32_t n_boot, uint64_t seed, double *p_pos, double *p_neg,
                  cJSON **json, cli_ccs_eval *ev) {
    int64_t n = pos->rows;
    size_t m = (size_t)(n ? n : 1);
    double *pp = p_pos ? p_pos : malloc(m * sizeof *pp), *pn = p_neg ? p_neg : malloc(m * sizeof *pn);
    double *cred = malloc(m * sizeof *cred), *proba = malloc(m * sizeof *proba);
    int rc = (pp && pn && cred && proba) ? CLI_OK : cli_fail(cmd, "out of memory");
    if (rc == CLI_OK && (gp_ccs_credence(c, pos, neg, pp, pn, cred) != GP_OK ||
                         gp_ccs_predict_proba(c, pos, neg, proba) != GP_OK))
        rc = cli_fail_gp(cmd);
    if (rc == CLI_OK) rc = cli_ccs_metrics(cmd, gp_ccs_sign(c) != 0, n, cred, proba, y, n_boot, seed, json, ev);
    else memset(ev, 0, sizeof *ev);
    if (!p_pos) free(pp);
    if (!p_neg) free(pn);
    free(cred);
    free(proba);
    return rc;
}

int cli_ccs_score_dist(const char *cmd, const gp_ccs *c, const gp_matrix *P, const gp_matrix *N, int64_t k0,
                       int64_t m, const int32_t *y, int32_t n_boot, uint64_t seed, double *p_pos, double *p_neg,
                       double *credence, double *proba, cJSON **json, cli_ccs_eval *ev) {
    const gp_comm *comm = cli_comm();
    memset(ev, 0, sizeof *ev);
    int64_t k = P->rows;
    size_t mm = (size_t)(m ? m : 1), kk = (size_t)(k ? k : 1);
    double *all = calloc(4 * mm, sizeof *all);   /* p+, p-, credence, P(x+ true) */
    double *mine = malloc(4 * kk * sizeof *mine);
    int rc = (all && mine) ? CLI_OK : cli_fail(cmd, "out of memory");
    if (rc == CLI_OK && k > 0 &&
        (gp_ccs_credence(c, P, N, mine, mine + kk, mine + 2 * kk) != GP_OK ||
         gp_ccs_predict_proba(c, P, N, mine + 3 * kk) != GP_OK))
        rc = cli_fail_gp(cmd);
    for (int q = 0; rc == CLI_OK && q < 4; q++)
        memcpy(all + (size_t)q * mm + k0, mine + (size_t)q * kk, (size_t)k * sizeof *all);
    /* every rank's pairs at their places, zeros elsewhere: the sum is exact */
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    if (rc == CLI_OK && comm && comm->allreduce(all, 4 * (int64_t)mm, GP_REDUCE_SUM, comm->user) != 0)
        rc = cli_fail(cmd, "the gather of the pairs' credences across ranks failed");
    if (rc == CLI_OK)
        rc = cli_ccs_metrics(cmd, gp_ccs_sign(c) != 0, m, all + 2 * mm, all + 3 * mm, y, n_boot, seed, json, ev);
    double *outs[4] = {p_pos, p_neg, credence, proba};
    for (int q = 0; rc == CLI_OK && q < 4; q++)
        if (outs[q]) memcpy(outs[q], all + (size_t)q * mm, (size_t)m * sizeof *all);
    free(all);
    free(mine);
    return rc;
}

int cli_ccs_metrics(const char *cmd, int calibrated, int64_t n, const double *cred, const double *proba,
                    const int32_t *y, int32_t n_boot, uint64_t seed, cJSON **json, cli_ccs_eval *ev) {
    double *two = malloc(2 * (size_t)(n ? n : 1) * sizeof *two);
    int rc = two ? CLI_OK : cli_fail(cmd, "out of memory");
    memset(ev, 0, sizeof *ev);
    ev->n = n;
    ev->calibrated = calibrated;
    cJSON *o = NULL;
    if (rc == CLI_OK) {
        double mean = 0;
        int64_t above = 0;
        for (int64_t i = 0; i < n; i++) {
            mean += cred[i] / (double)n;
            above += cred[i] > 0.5;
        }
        ev->credence_mean = mean;
        o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "n", (double)n);
        if (y) {
            gp_metrics met;
            double aci[2], uci[2], pci[2], dummy[2];
            /* Paper-style: orient the raw credence by the better sign, then
             * the bootstrap interval of that orientation's accuracy. */
            ev->accuracy = paper_accuracy(cred, y, n);
            int64_t hit = 0;
            for (int64_t i = 0; i < n; i++) hit += (cred[i] > 0.5) == (y[i] == 1);
            bool flip = 2 * hit < n;
            for (int64_t i = 0; i < n; i++) {
                double p = flip ? 1 - cred[i] : cred[i];
                two[2 * i] = 1 - p;
                two[2 * i + 1] = p;
            }
            if (n_boot > 0 && gp_metrics_bootstrap(y, two, n, 2, n_boot, seed, pci, dummy) != GP_OK)
                rc = cli_fail_gp(cmd);
            for (int64_t i = 0; i < n; i++) {
                two[2 * i] = 1 - proba[i];
                two[2 * i + 1] = proba[i];
            }
            if (rc == CLI_OK && (gp_metrics_compute(y, two, n, 2, &met, NULL) != GP_OK ||
                                 (n_boot > 0 && gp_metrics_bootstrap(y, two, n, 2, n_boot, seed, aci, uci) != GP_OK)))
                rc = cli_fail_gp(cmd);
            if (rc == CLI_OK) {
                ev->sign_calibrated_accuracy = ev->calibrated ? met.accuracy : NAN;
                ev->auroc = met.auroc;
                cJSON_AddNumberToObject(o, "accuracy", ev->accuracy);
                if (n_boot > 0) cJSON_AddItemToObject(o, "accuracy_ci95", cli_json_doubles(pci, 2));
                if (ev->calibrated) {
                    cJSON_AddNumberToObject(o, "sign_calibrated_accuracy", met.accuracy);
                    if (n_boot > 0) cJSON_AddItemToObject(o, "sign_calibrated_accuracy_ci95", cli_json_doubles(aci, 2));
                } else {
                    cJSON_AddNullToObject(o, "sign_calibrated_accuracy");
                }
                cJSON_AddNumberToObject(o, "auroc", met.auroc);
                if (n_boot > 0) cJSON_AddItemToObject(o, "auroc_ci95", cli_json_doubles(uci, 2));
                cJSON_AddNumberToObject(o, "balanced_accuracy", met.balanced_accuracy);
                cJSON_AddNumberToObject(o, "log_loss", met.log_loss);
                cJSON_AddNumberToObject(o, "ece", met.ece);
            }
        }
        cJSON_AddNumberToObject(o, "credence_mean", mean);
        cJSON_AddNumberToObject(o, "credence_above_half", n ? (double)above / (double)n : 0);
    }
    if (rc == CLI_OK) *json = o;
    else cJSON_Delete(o);
    free(two);
    return rc;
}

/* Normalized differences n+(x+) - n-(x-) (n, d) float32; free out->data. */
static int differences(const char *cmd, const gp_ccs *c, const gp_matrix *P, const gp_matrix *N, gp_matrix *out) {
    int64_t n = P->rows, d = P->cols;
    float *D = malloc((size_t)(n ? n : 1) * (size_t)d * sizeof *D);
    float *tmp = malloc((size_t)(n ? n : 1) * (size_t)d * sizeof *tmp);
    int rc = (D && tmp) ? CLI_OK : cli_fail(cmd, "out of memory");
    if (rc == CLI_OK && (gp_ccs_transform(c, P, 0, D, d) != GP_OK || gp_ccs_transform(c, N, 1, tmp, d) != GP_OK))
        rc = cli_fail_gp(cmd);
    for (size_t i = 0; rc == CLI_OK && i < (size_t)n * (size_t)d; i++) D[i] -= tmp[i];
    free(tmp);
    if (rc != CLI_OK) free(D);
    else *out = (gp_matrix){GP_DTYPE_F32, n, d, d, D};
    return rc;
}

static double proba_accuracy(const double *proba2, const int32_t *y, int64_t n) {
    int64_t hit = 0;
    for (int64_t i = 0; i < n; i++) hit += (proba2[2 * i + 1] > 0.5) == (y[i] == 1);
    return n ? (double)hit / (double)n : 0;
}

/* --compare: supervised logistic on the normalized differences (every
 * training label) and a seeded random direction, sign-calibrated on the
 * same labeled pairs as the probe; both measured on the test pairs. */
int cli_ccs_compare_baselines(const char *cmd, const gp_ccs *c, const gp_matrix *Ptr, const gp_matrix *Ntr,
                   const int32_t *ytr, const int64_t *cal, int64_t ncal, const gp_matrix *Pte,
                   const gp_matrix *Nte, const int32_t *yte, uint64_t seed, cli_ccs_compare *r) {
    gp_matrix Dtr = {0}, Dte = {0}, Str = {0}, Ste = {0};
    gp_probe *sup = NULL, *rnd = NULL;
    int64_t d = Ptr->cols, ntr = Ptr->rows, nte = Pte->rows;
    double *proba = malloc((size_t)(nte > ntr ? nte : ntr) * 2 * sizeof *proba);
    double *dir = malloc((size_t)d * sizeof *dir);
    float *s_tr = malloc((size_t)(ncal ? ncal : 1) * sizeof *s_tr), *s_te = malloc((size_t)(nte ? nte : 1) * sizeof *s_te);
    int32_t *ycal = malloc((size_t)(ncal ? ncal : 1) * sizeof *ycal);
    int rc = (proba && dir && s_tr && s_te && ycal) ? CLI_OK : cli_fail(cmd, "out of memory");
    if (rc == CLI_OK) rc = differences(cmd, c, Ptr, Ntr, &Dtr);
    if (rc == CLI_OK) rc = differences(cmd, c, Pte, Nte, &Dte);
    gp_probe_opts po;
    gp_probe_opts_init(&po);
    po.seed = seed;
    gp_metrics met;
    if (rc == CLI_OK && (gp_probe_fit(&Dtr, ytr, 2, &po, &sup) != GP_OK ||
                         gp_probe_predict_proba(sup, &Dtr, proba) != GP_OK))
        rc = cli_fail_gp(cmd);
    if (rc == CLI_OK) r->sup_train_acc = proba_accuracy(proba, ytr, ntr);
    if (rc == CLI_OK && (gp_probe_predict_proba(sup, &Dte, proba) != GP_OK ||
                         gp_metrics_compute(yte, proba, nte, 2, &met, NULL) != GP_OK))
        rc = cli_fail_gp(cmd);
    if (rc == CLI_OK) {
        r->sup_acc = met.accuracy;
        r->sup_auroc = met.auroc;
        /* A seeded random unit direction (Gaussian, Box-Muller). */
        uint64_t s = seed ^ 0x72616e646f6d6469ULL;
        double nrm = 0;
        for (int64_t j = 0; j < d; j++) {
            double u1 = ((double)(cli_mix64(&s) >> 11) + 0.5) / 9007199254740992.0;
            double u2 = (double)(cli_mix64(&s) >> 11) / 9007199254740992.0;
            dir[j] = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
            nrm += dir[j] * dir[j];
        }
        for (int64_t j = 0; j < d; j++) dir[j] /= sqrt(nrm);
        for (int64_t i = 0; i < ncal; i++) {
            const float *row = (const float *)Dtr.data + (size_t)cal[i] * (size_t)d;
            double z = 0;
            for (int64_t j = 0; j < d; j++) z += dir[j] * row[j];
            s_tr[i] = (float)z;
            ycal[i] = ytr[cal[i]];
        }
        int64_t hit = 0;
        for (int64_t i = 0; i < nte; i++) {
            const float *row = (const float *)Dte.data + (size_t)i * (size_t)d;
            double z = 0;
            for (int64_t j = 0; j < d; j++) z += dir[j] * row[j];
            s_te[i] = (float)z;
            hit += (z > 0) == (yte[i] == 1);
        }
        r->rnd_acc = nte ? (double)hit / (double)nte : 0;
        if (r->rnd_acc < 0.5) r->rnd_acc = 1 - r->rnd_acc;
        /* Sign and Platt scale from the calibration pairs: a 1-D logistic
         * regression on the score (nearly unpenalized), like the probe's. */
        Str = (gp_matrix){GP_DTYPE_F32, ncal, 1, 1, s_tr};
        Ste = (gp_matrix){GP_DTYPE_F32, nte, 1, 1, s_te};
        po.C = 1e6;
        if (gp_probe_fit(&Str, ycal, 2, &po, &rnd) != GP_OK || gp_probe_predict_proba(rnd, &Ste, proba) != GP_OK ||
            gp_metrics_compute(yte, proba, nte, 2, &met, NULL) != GP_OK)
            rc = cli_fail_gp(cmd);
        else {
            r->rnd_cal_acc = met.accuracy;
            r->rnd_auroc = met.auroc;
        }
    }
    gp_probe_free(sup);
    gp_probe_free(rnd);
    free(Dtr.data);
    free(Dte.data);
    free(proba);
    free(dir);
    free(s_tr);
    free(s_te);
    free(ycal);
    return rc;
}

