/* cmd_ccs.c — `geoprobe ccs POS NEG`: fit an unsupervised contrast-pair
 * probe (CCS, CRC-TPC, VINC) on the training pairs only, and with labels
 * evaluate it both ways: the paper's max(acc, 1 - acc) and the honest
 * accuracy after fixing the sign on labeled training pairs. */
#include "cmd_ccs.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "geoprobe ccs POS NEG [--labels Y] [--method ccs|crc|vinc] [--norm burns|center|feature]\n"
    "                     [--optimizer lbfgs|adam] [--tries 10] [--epochs 1000] [--lr 1e-3]\n"
    "                     [--weight-decay 0.01] [--seed S] [--test-frac 0.2 | --folds K]\n"
    "                     [--calibrate N] [--compare] [--save P.safetensors] [--plot F] [--json FILE]\n"
    "                     [--drop-nonfinite]";

static void help(void) {
    printf("usage: %s\n\n"
           "Find a truth direction in activations without labels (Burns et al. 2022,\n"
           "\"Discovering Latent Knowledge in Language Models Without Supervision\").\n"
           "Row i of POS and NEG is one contrast pair: the activations of statement i\n"
           "answered \"Yes\"/\"True\" (x+) and answered \"No\"/\"False\" (x-). Each set is\n"
           "centered with its own mean (removing the answer token's direction) and\n"
           "scaled; then a direction w is sought along which the pair's two answers get\n"
           "consistent (p(x+) + p(x-) = 1) and confident probabilities. Labels never\n"
           "train it: they only evaluate it and fix its sign. Normalization is fitted on\n"
           "the training pairs and reapplied unchanged to the test pairs.\n\n"
           "methods:\n"
           "  ccs    Contrast-Consistent Search: p = sigmoid(w.x + b), minimize\n"
           "         mean((p+ - (1 - p-))^2) + mean(min(p+, p-)^2) from --tries random\n"
           "         starts, keep the lowest loss (default)\n"
           "  crc    CRC-TPC: top principal component of the differences n(x+) - n(x-);\n"
           "         closed form, no training, usually as good as CCS and far faster\n"
           "  vinc   elk's VINC reporter (single prompt): top eigenvector of the negated\n"
           "         cross-covariance of n(x+) and n(x-); closed form\n\n"
           "the two accuracies (with --labels, 1 = x+ is the true answer):\n"
           "  accuracy                   the paper's: max(acc, 1 - acc) of credence > 0.5 on\n"
           "                             the test pairs. An unsupervised direction has no\n"
           "                             sign, so the paper takes the better one, which\n"
           "                             peeks at the test labels: an upper bound, and\n"
           "                             above 0.5 even for noise on small test sets\n"
           "  sign_calibrated_accuracy   honest: the sign (and a Platt scale, as elk does)\n"
           "                             is fixed on the training pairs' labels (or only\n"
           "                             --calibrate N of them), then measured on the test\n"
           "                             pairs. Report this one\n\n",
           USAGE);
    printf("options:\n"
           "  --labels Y          y.npy, y.txt, y.csv:COLUMN or y.json, one per pair, binary\n"
           "  --method M          ccs, crc, vinc (default ccs)\n"
           "  --norm N            burns (default; the paper: center each set, divide by its\n"
           "                      mean row norm / sqrt(d)), center (the reference code's\n"
           "                      default), feature (per-feature std, its var_normalize)\n"
           "  --optimizer O       ccs: lbfgs (default: every try in one batched L-BFGS,\n"
           "                      stops on a loss plateau) or adam (the reference schedule:\n"
           "                      full-batch AdamW for --epochs, for a one-to-one comparison\n"
           "                      with the paper's code)\n"
           "  --tries N           ccs random restarts, lowest final loss kept (default 10);\n"
           "                      the report gives every try's loss and the cosines between\n"
           "                      their directions: one direction found, or several?\n"
           "  --epochs N          adam epochs (default 1000)\n"
           "  --lr X              adam learning rate (default 1e-3)\n"
           "  --weight-decay X    adam decoupled weight decay (default 0.01)\n"
           "  --max-iter N        lbfgs iteration limit (default 1000)\n"
           "  --seed S            split, initialization, calibration subset, bootstrap and\n"
           "                      random-baseline seed (default 0)\n"
           "  --test-frac F       held-out pairs, stratified by label (default 0.2); 0\n"
           "                      evaluates on the training pairs\n"
           "  --folds K           K-fold cross-validation: K fits, per-fold and mean\n"
           "                      metrics; the saved probe is refit on every pair\n"
           "  --calibrate N       fix the sign from only N labeled training pairs, chosen by\n"
           "                      the seed (few-shot); default: every training pair\n"
           "  --compare           also train a supervised logistic probe (all training\n"
           "                      labels) and a random direction (sign-calibrated like the\n"
           "                      probe) on the same normalized differences; shows how much\n"
           "                      of the supervised accuracy the unsupervised probe recovers\n"
           "                      (needs --labels)\n"
           "  --bootstrap N       resamples for the 95%% intervals (default 1000; 0 = none)\n"
           "  --save P            save the probe (.safetensors: weight, bias, normalization,\n"
           "                      calibration, metadata) for `geoprobe apply P POS NEG`\n"
           "  -j, --threads N     BLAS threads (default: all cores)\n"
           "  --json FILE         JSON report (- for stdout)\n"
           "  -q, --quiet         no summary on stdout\n"
           "  -h, --help          this help\n");
    cli_nonfinite_print_help(22);
    printf("  (a pair is dropped when its POS or its NEG row has a NaN/Inf)\n\n"
           "plot: p(x+) against p(x-) for each held-out pair (out-of-fold with --folds, the\n"
           "training pairs with --test-frac 0), colored by truth, with the consistency line\n"
           "p(x+) + p(x-) = 1: a consistent, confident probe puts the pairs in two corners.\n");
    cli_plot_print_help(22, true);
    printf("\n");
    printf("Labels: the second class in sorted order (1, true, yes...) means x+ is the\n"
           "true answer.\n\n"
           "Distributed (make MPI=1; mpirun -np N geoprobe ccs POS NEG ...): each rank\n"
           "reads its own contiguous rows of POS and NEG (or its own shards, with\n"
           "{rank} in both names); --labels is the file for every pair. The split,\n"
           "folds, calibration pairs and restarts are those of one process (same\n"
           "seed), the sums of the fit are reduced across the ranks, and the scores are\n"
           "gathered, so the report equals the one-process report to rounding; rank 0\n"
           "writes --json, --save and --plot. --compare and --drop-nonfinite need every\n"
           "pair in one process: run them without mpirun.\n\n"
           "Examples:\n"
           "  D=datasets/larger_than\n"
           "  geoprobe ccs $D/pos_layer3.npy $D/neg_layer3.npy --labels $D/labels.npy --compare\n"
           "  geoprobe ccs $D/pos_layer3.npy $D/neg_layer3.npy --labels $D/labels.npy \\\n"
           "      --method crc --calibrate 8 --save crc_l3.safetensors\n"
           "  geoprobe apply crc_l3.safetensors new_pos.npy new_neg.npy --labels new_y.npy\n");
}


/* ------------------------------------------------------------------ */
/* One fit: train rows -> probe, calibration, scores, comparison        */
/* ------------------------------------------------------------------ */

/* Shuffle rows[0..n) by the seed (--calibrate takes the first N). */
static void shuffle_rows(int64_t *rows, int64_t n, uint64_t seed) {
    uint64_t s = seed ^ 0x63616c6962726174ULL;
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(cli_mix64(&s) % (uint64_t)(i + 1));
        int64_t t = rows[i];
        rows[i] = rows[j];
        rows[j] = t;
    }
}


static void fit_result_free(fit_result *r) {
    gp_ccs_free(r->c);
    cJSON_Delete(r->train);
    cJSON_Delete(r->test);
    free(r->te_ppos);
    free(r->te_pneg);
    free(r->te_y);
    memset(r, 0, sizeof *r);
}

/* Distributed runs: the splits are lists of pair indices over every
 * rank's pairs (in rank order, as one process numbers them), ascending, so
 * this rank's pairs (row0 .. row0 + rows) are one run of each list. */
static void local_run(const int64_t *list, int64_t m, int64_t row0, int64_t rows, int64_t *k0, int64_t *k) {
    int64_t i = 0;
    while (i < m && list[i] < row0) i++;
    *k0 = i;
    while (i < m && list[i] < row0 + rows) i++;
    *k = i - *k0;
}

/* This rank's part of a list: its local rows, copied. */
static bool copy_run(const gp_matrix *X, const int64_t *list, int64_t k0, int64_t k, int64_t row0, gp_matrix *out) {
    int64_t *idx = malloc((size_t)(k ? k : 1) * sizeof *idx);
    if (!idx) return false;
    for (int64_t i = 0; i < k; i++) idx[i] = list[k0 + i] - row0;
    bool ok = cli_rows_copy(X, idx, k, out);
    free(idx);
    return ok;
}

/* Score the m pairs of a list, this rank holding its run [k0, k0 +
 * P->rows) of them; every rank gets the same numbers. Collective. */
static int score_list(const ccs_args *a, const gp_ccs *c, const gp_matrix *P, const gp_matrix *N, int64_t k0,
                      int64_t m, const int32_t *y, int32_t n_boot, double *p_pos, double *p_neg, cJSON **json,
                      cli_ccs_eval *ev) {
    if (cli_ranks() == 1) return cli_ccs_score("ccs", c, P, N, y, n_boot, a->seed, p_pos, p_neg, json, ev);
    return cli_ccs_score_dist("ccs", c, P, N, k0, m, y, n_boot, a->seed, p_pos, p_neg, NULL, NULL, json, ev);
}

/* Fit on train pairs, calibrate (labels), score train and test pairs. tr
 * and te are ascending pair indices over every rank's pairs (pos and neg
 * are this rank's, from a->row0; y every rank's). nte = 0: the test pairs
 * are the training pairs. n_boot: test intervals. Collective: every rank
 * returns the same status, with the same numbers. */
static int fit_split(const ccs_args *a, const gp_matrix *pos, const gp_matrix *neg, const int32_t *y,
                     const int64_t *tr, int64_t ntr, const int64_t *te, int64_t nte, int32_t n_boot,
                     fit_result *r) {
    memset(r, 0, sizeof *r);
    gp_matrix Ptr = {0}, Ntr = {0}, Pte = {0}, Nte = {0}, Pc = {0}, Nc = {0};
    int32_t *ytr = NULL, *yte = NULL, *yc = NULL;
    int64_t *cal = NULL, *cal_mine = NULL;
    int rc = CLI_OK;
    if (ntr < 2)
        return cli_fail("ccs", "the training split holds %lld pair%s; a contrast-pair probe needs at least 2 "
                        "(lower --test-frac or --folds)", (long long)ntr, ntr == 1 ? "" : "s");
    int64_t tk0, tk, ek0 = 0, ek = 0;
    local_run(tr, ntr, a->row0, pos->rows, &tk0, &tk);
    if (nte > 0) local_run(te, nte, a->row0, pos->rows, &ek0, &ek);
    if (!copy_run(pos, tr, tk0, tk, a->row0, &Ptr) || !copy_run(neg, tr, tk0, tk, a->row0, &Ntr) ||
        (nte > 0 && (!copy_run(pos, te, ek0, ek, a->row0, &Pte) || !copy_run(neg, te, ek0, ek, a->row0, &Nte))))
        rc = cli_fail("ccs", "out of memory");
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    double t0 = cli_seconds();
    if (rc == CLI_OK && gp_ccs_fit(&Ptr, &Ntr, &a->o, &r->c) != GP_OK) rc = cli_fail_gp("ccs");
    r->fit_seconds = cli_seconds() - t0;
    const gp_matrix *P2 = nte > 0 ? &Pte : &Ptr, *N2 = nte > 0 ? &Nte : &Ntr;
    int64_t n2 = nte > 0 ? nte : ntr, k2 = nte > 0 ? ek0 : tk0;
    if (rc == CLI_OK && y) {
        ytr = malloc((size_t)ntr * sizeof *ytr);
        yte = malloc((size_t)n2 * sizeof *yte);
        cal = malloc((size_t)ntr * sizeof *cal);
        cal_mine = malloc((size_t)ntr * sizeof *cal_mine);
        if (!ytr || !yte || !cal || !cal_mine) rc = cli_fail("ccs", "out of memory");
        for (int64_t i = 0; rc == CLI_OK && i < ntr; i++) {
            ytr[i] = y[tr[i]];
            cal[i] = i;
        }
        for (int64_t i = 0; rc == CLI_OK && i < n2; i++) yte[i] = y[nte > 0 ? te[i] : tr[i]];
        /* Calibration pairs: every training pair, or N of them by the seed. */
        r->n_calib = ntr;
        if (rc == CLI_OK && a->calibrate > 0) {
            if (a->calibrate > ntr)
                rc = cli_fail("ccs", "--calibrate %d: the training split has only %lld pairs", (int)a->calibrate,
                              (long long)ntr);
            else {
                shuffle_rows(cal, ntr, a->seed);
                r->n_calib = a->calibrate;
            }
        }
        int seen[2] = {0, 0};
        for (int64_t i = 0; rc == CLI_OK && i < r->n_calib; i++) seen[ytr[cal[i]] == 1] = 1;
        if (rc == CLI_OK && !(seen[0] && seen[1]))
            rc = cli_fail("ccs", "the %lld calibration pair%s hold%s only %s pairs; the sign needs both a true and "
                          "a false one (raise --calibrate or change --seed)", (long long)r->n_calib,
                          r->n_calib == 1 ? "" : "s", r->n_calib == 1 ? "s" : "", seen[1] ? "true" : "false");
        /* this rank's calibration pairs (rows of its training pairs), in
         * the seed's order */
        int64_t nc = 0;
        for (int64_t i = 0; rc == CLI_OK && i < r->n_calib; i++)
            if (cal[i] >= tk0 && cal[i] < tk0 + tk) cal_mine[nc++] = cal[i] - tk0;
        if (rc == CLI_OK && (!cli_rows_copy(&Ptr, cal_mine, nc, &Pc) || !cli_rows_copy(&Ntr, cal_mine, nc, &Nc) ||
                             !(yc = malloc((size_t)(nc ? nc : 1) * sizeof *yc))))
            rc = cli_fail("ccs", "out of memory");
        for (int64_t i = 0; rc == CLI_OK && i < nc; i++) yc[i] = ytr[tk0 + cal_mine[i]];
        if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
        if (rc == CLI_OK && gp_ccs_calibrate_comm(r->c, &Pc, &Nc, yc, cli_comm()) != GP_OK) rc = cli_fail_gp("ccs");
    }
    if (rc == CLI_OK) rc = score_list(a, r->c, &Ptr, &Ntr, tk0, ntr, ytr, 0, NULL, NULL, &r->train, &r->tr);
    if (rc == CLI_OK) {
        r->nte = n2;
        r->te_ppos = malloc((size_t)n2 * sizeof *r->te_ppos);
        r->te_pneg = malloc((size_t)n2 * sizeof *r->te_pneg);
        if (!r->te_ppos || !r->te_pneg) rc = cli_fail("ccs", "out of memory");
        if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    }
    if (rc == CLI_OK)
        rc = score_list(a, r->c, P2, N2, k2, n2, yte, n_boot, r->te_ppos, r->te_pneg, &r->test, &r->te);
    if (rc == CLI_OK && nte == 0) cJSON_AddStringToObject(r->test, "note", "the training pairs (--test-frac 0)");
    if (rc == CLI_OK && a->compare) {
        r->has_cmp = 1;
        rc = cli_ccs_compare_baselines("ccs", r->c, &Ptr, &Ntr, ytr, cal, r->n_calib, P2, N2, yte, a->seed, &r->cmp);
    }
    if (rc == CLI_OK) {
        r->te_y = yte;
        yte = NULL;
    }
    free(Ptr.data); free(Ntr.data); free(Pte.data); free(Nte.data); free(Pc.data); free(Nc.data);
    free(ytr); free(yte); free(yc); free(cal); free(cal_mine);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Evaluation modes                                                    */
/* ------------------------------------------------------------------ */

/* K folds: K fits, each evaluated on its held-out fold; means over folds.
 * The probe reported and saved is refit on every pair. n: every rank's
 * pairs (the folds are those of one process). */
static int run_folds(const ccs_args *a, const gp_matrix *pos, const gp_matrix *neg, const int32_t *y, int64_t n,
                     fit_result *final, cJSON **cv, cJSON **test, cli_ccs_eval *mean_te, cli_ccs_compare *mean_cmp) {
    int32_t K = a->folds;
    int32_t *fold = malloc((size_t)n * sizeof *fold), *strata = calloc((size_t)n, sizeof *strata);
    int64_t *tr = malloc((size_t)n * sizeof *tr), *te = malloc((size_t)n * sizeof *te);
    double *f_acc = calloc((size_t)K, sizeof(double)), *f_cal = calloc((size_t)K, sizeof(double));
    double *f_auc = calloc((size_t)K, sizeof(double)), *f_loss = calloc((size_t)K, sizeof(double));
    double *oof_pp = malloc((size_t)n * sizeof(double)), *oof_pn = malloc((size_t)n * sizeof(double));
    int32_t *oof_y = y ? malloc((size_t)n * sizeof *oof_y) : NULL;
    int rc = (fold && strata && tr && te && f_acc && f_cal && f_auc && f_loss && oof_pp && oof_pn && (oof_y || !y))
                 ? CLI_OK : cli_fail("ccs", "out of memory");
    if (rc == CLI_OK && gp_split_kfold(y ? y : strata, n, y ? 2 : 1, K, a->seed, fold) != GP_OK) rc = cli_fail_gp("ccs");
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    memset(mean_te, 0, sizeof *mean_te);
    memset(mean_cmp, 0, sizeof *mean_cmp);
    mean_te->calibrated = y != NULL;
    for (int32_t f = 0; f < K && rc == CLI_OK; f++) {
        int64_t ntr = 0, nte = 0;
        for (int64_t i = 0; i < n; i++) {
            if (fold[i] == f) te[nte++] = i;
            else tr[ntr++] = i;
        }
        fit_result r;
        rc = fit_split(a, pos, neg, y, tr, ntr, te, nte, 0, &r);
        if (rc == CLI_OK) {
            f_acc[f] = r.te.accuracy;
            f_cal[f] = r.te.sign_calibrated_accuracy;
            f_auc[f] = r.te.auroc;
            f_loss[f] = gp_ccs_loss(r.c);
            for (int64_t i = 0; i < nte; i++) {
                oof_pp[te[i]] = r.te_ppos[i];
                oof_pn[te[i]] = r.te_pneg[i];
                if (y) oof_y[te[i]] = y[te[i]];
            }
            mean_te->accuracy += r.te.accuracy / K;
            mean_te->sign_calibrated_accuracy += r.te.sign_calibrated_accuracy / K;
            mean_te->auroc += r.te.auroc / K;
            mean_te->credence_mean += r.te.credence_mean / K;
            mean_te->n += r.te.n;
            if (r.has_cmp) {
                mean_cmp->sup_acc += r.cmp.sup_acc / K;
                mean_cmp->sup_auroc += r.cmp.sup_auroc / K;
                mean_cmp->sup_train_acc += r.cmp.sup_train_acc / K;
                mean_cmp->rnd_acc += r.cmp.rnd_acc / K;
                mean_cmp->rnd_cal_acc += r.cmp.rnd_cal_acc / K;
                mean_cmp->rnd_auroc += r.cmp.rnd_auroc / K;
            }
        }
        fit_result_free(&r);
    }
    if (rc == CLI_OK) {
        *cv = cJSON_CreateObject();
        cJSON_AddNumberToObject(*cv, "folds", K);
        cJSON_AddItemToObject(*cv, "fold_loss", cli_json_doubles(f_loss, K));
        *test = cJSON_CreateObject();
        cJSON_AddNumberToObject(*test, "n", (double)n);
        if (y) {
            cJSON_AddItemToObject(*cv, "fold_accuracy", cli_json_doubles(f_acc, K));
            cJSON_AddItemToObject(*cv, "fold_sign_calibrated_accuracy", cli_json_doubles(f_cal, K));
            cJSON_AddItemToObject(*cv, "fold_auroc", cli_json_doubles(f_auc, K));
            double var = 0;
            for (int32_t f = 0; f < K; f++)
                var += (f_cal[f] - mean_te->sign_calibrated_accuracy) * (f_cal[f] - mean_te->sign_calibrated_accuracy);
            cJSON_AddNumberToObject(*cv, "sign_calibrated_accuracy_std", sqrt(var / K));
            cJSON_AddNumberToObject(*test, "accuracy", mean_te->accuracy);
            cJSON_AddNumberToObject(*test, "sign_calibrated_accuracy", mean_te->sign_calibrated_accuracy);
            cJSON_AddNumberToObject(*test, "auroc", mean_te->auroc);
        }
        cJSON_AddNumberToObject(*test, "credence_mean", mean_te->credence_mean);
        cJSON_AddStringToObject(*test, "note", "mean over the folds' held-out pairs");
        /* The probe to report and save: every pair. */
        for (int64_t i = 0; i < n; i++) tr[i] = i;
        ccs_args b = *a;
        b.compare = 0;
        rc = fit_split(&b, pos, neg, y, tr, n, NULL, 0, 0, final);
    }
    if (rc == CLI_OK) {   /* the plot shows the out-of-fold pairs */
        free(final->te_ppos);
        free(final->te_pneg);
        free(final->te_y);
        final->te_ppos = oof_pp;
        final->te_pneg = oof_pn;
        final->te_y = oof_y;
        final->nte = n;
        oof_pp = oof_pn = NULL;
        oof_y = NULL;
    }
    free(oof_pp); free(oof_pn); free(oof_y);
    free(fold); free(strata); free(tr); free(te);
    free(f_acc); free(f_cal); free(f_auc); free(f_loss);
    return rc;
}

static int run_holdout(const ccs_args *a, const gp_matrix *pos, const gp_matrix *neg, const int32_t *y, int64_t n,
                       fit_result *r) {
    uint8_t *is_test = calloc((size_t)n, 1);
    int32_t *strata = calloc((size_t)n, sizeof *strata);
    int64_t *tr = malloc((size_t)n * sizeof *tr), *te = malloc((size_t)n * sizeof *te);
    int rc = (is_test && strata && tr && te) ? CLI_OK : cli_fail("ccs", "out of memory");
    if (rc == CLI_OK && gp_split_train_test(y ? y : strata, n, y ? 2 : 1, a->test_frac, a->seed, is_test) != GP_OK)
        rc = cli_fail_gp("ccs");
    int64_t ntr = 0, nte = 0;
    for (int64_t i = 0; rc == CLI_OK && i < n; i++) {
        if (is_test[i]) te[nte++] = i;
        else tr[ntr++] = i;
    }
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    if (rc == CLI_OK) rc = fit_split(a, pos, neg, y, tr, ntr, te, nte, a->n_boot, r);
    free(is_test); free(strata); free(tr); free(te);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The command                                                          */
/* ------------------------------------------------------------------ */

static int parse_args(int argc, char **argv, ccs_args *a) {
    static const struct option opts[] = {
        {"labels", required_argument, NULL, 'L'},     {"method", required_argument, NULL, 'm'},
        {"norm", required_argument, NULL, 'N'},       {"optimizer", required_argument, NULL, 'O'},
        {"tries", required_argument, NULL, 't'},      {"epochs", required_argument, NULL, 'E'},
        {"lr", required_argument, NULL, 'r'},         {"weight-decay", required_argument, NULL, 'w'},
        {"max-iter", required_argument, NULL, 'I'},   {"seed", required_argument, NULL, 's'},
        {"test-frac", required_argument, NULL, 'T'},  {"folds", required_argument, NULL, 'F'},
        {"calibrate", required_argument, NULL, 'c'},  {"compare", no_argument, NULL, 'C'},
        {"bootstrap", required_argument, NULL, 'b'},  {"save", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 'j'},    {"json", required_argument, NULL, 'J'},
        {"quiet", no_argument, NULL, 'q'},            {"help", no_argument, NULL, 'h'},
        CLI_PLOT_OPTIONS,                             CLI_NONFINITE_OPTION,
        {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    cli_plot_init(&a->plot);
    cli_nonfinite_init(&a->nf);
    a->test_frac = 0.2;
    a->n_boot = 1000;
    gp_ccs_opts_init(&a->o);
    int c, rc = CLI_OK, test_frac_set = 0;
    long long v;
    double x;
    optind = 0;  /* 0, not 1: a full reset, so commands can run again in one process (sweep) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:j:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'L': a->labels = optarg; break;
        case 'm':
            if (gp_ccs_method_parse(optarg, &a->o.method) != GP_OK)
                return cli_usage_error("ccs", USAGE, "%s", gp_last_error());
            break;
        case 'N':
            if (gp_ccs_norm_parse(optarg, &a->o.norm) != GP_OK)
                return cli_usage_error("ccs", USAGE, "%s", gp_last_error());
            break;
        case 'O':
            if (gp_ccs_optimizer_parse(optarg, &a->o.optimizer) != GP_OK)
                return cli_usage_error("ccs", USAGE, "%s", gp_last_error());
            break;
        case 't':
            if (!cli_parse_int(optarg, 1, 100000, &v))
                return cli_usage_error("ccs", USAGE, "--tries wants a positive count, not '%s'", optarg);
            a->o.tries = (int32_t)v;
            break;
        case 'E':
            if (!cli_parse_int(optarg, 1, 100000000, &v))
                return cli_usage_error("ccs", USAGE, "--epochs wants a positive count, not '%s'", optarg);
            a->o.epochs = (int32_t)v;
            break;
        case 'r':
            if (!cli_parse_double(optarg, &x) || x <= 0)
                return cli_usage_error("ccs", USAGE, "--lr wants a positive number, not '%s'", optarg);
            a->o.lr = x;
            break;
        case 'w':
            if (!cli_parse_double(optarg, &x) || x < 0)
                return cli_usage_error("ccs", USAGE, "--weight-decay wants a number >= 0, not '%s'", optarg);
            a->o.weight_decay = x;
            break;
        case 'I':
            if (!cli_parse_int(optarg, 1, 100000000, &v))
                return cli_usage_error("ccs", USAGE, "--max-iter wants a positive count, not '%s'", optarg);
            a->o.max_iter = (int32_t)v;
            break;
        case 's':
            if (!cli_parse_int(optarg, 0, INT64_MAX, &v))
                return cli_usage_error("ccs", USAGE, "--seed wants a non-negative integer, not '%s'", optarg);
            a->seed = a->o.seed = (uint64_t)v;
            break;
        case 'T':
            if (!cli_parse_double(optarg, &x) || x < 0 || x >= 1)
                return cli_usage_error("ccs", USAGE, "--test-frac wants a fraction in [0, 1), not '%s'", optarg);
            a->test_frac = x;
            test_frac_set = 1;
            break;
        case 'F':
            if (!cli_parse_int(optarg, 2, 1000, &v))
                return cli_usage_error("ccs", USAGE, "--folds wants 2 or more, not '%s'", optarg);
            a->folds = (int32_t)v;
            break;
        case 'c':
            if (!cli_parse_int(optarg, 2, INT32_MAX, &v))
                return cli_usage_error("ccs", USAGE, "--calibrate wants a number of labeled pairs >= 2, not '%s'", optarg);
            a->calibrate = (int32_t)v;
            break;
        case 'C': a->compare = 1; break;
        case 'b':
            if (!cli_parse_int(optarg, 0, 1000000, &v))
                return cli_usage_error("ccs", USAGE, "--bootstrap wants a count, not '%s'", optarg);
            a->n_boot = (int32_t)v;
            break;
        case 'o': a->save = optarg; break;
        CLI_PLOT_CASES:
            if ((rc = cli_plot_option(&a->plot, c, optarg, "ccs", USAGE)) != CLI_OK) return rc;
            break;
        case 'j':
            if (!cli_parse_threads("ccs", USAGE, optarg, &rc)) return rc;
            break;
        case 'J': a->json = optarg; break;
        case 'q': a->quiet = a->nf.quiet = 1; break;
        case 'h': help(); return -1;
        case CLI_OPT_DROP_NONFINITE: a->nf.drop = 1; break;
        default:
            return cli_usage_error("ccs", USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind < 2) return cli_usage_error("ccs", USAGE, "give two inputs: POS (x+ rows) and NEG (x- rows)");
    if (argc - optind > 2) return cli_usage_error("ccs", USAGE, "two inputs only, POS and NEG (got '%s' too)", argv[optind + 2]);
    if (a->folds && test_frac_set) return cli_usage_error("ccs", USAGE, "give --test-frac or --folds, not both");
    if (a->compare && !a->labels) return cli_usage_error("ccs", USAGE, "--compare needs --labels (the supervised probe trains on them)");
    if (a->calibrate && !a->labels) return cli_usage_error("ccs", USAGE, "--calibrate needs --labels");
    if ((rc = cli_plot_check(&a->plot, "ccs", USAGE)) != CLI_OK) return rc;
    a->pos = argv[optind];
    a->neg = argv[optind + 1];
    if (a->json && strcmp(a->json, "-") == 0) a->quiet = 1;
    return CLI_OK;
}

static void add_params(const ccs_args *a, cJSON *par) {
    cJSON_AddStringToObject(par, "method", gp_ccs_method_name(a->o.method));
    cJSON_AddStringToObject(par, "norm", gp_ccs_norm_name(a->o.norm));
    if (a->o.method == GP_CCS_CCS) {
        cJSON_AddStringToObject(par, "optimizer", gp_ccs_optimizer_name(a->o.optimizer));
        cJSON_AddNumberToObject(par, "tries", a->o.tries);
        if (a->o.optimizer == GP_CCS_ADAM) {
            cJSON_AddNumberToObject(par, "epochs", a->o.epochs);
            cJSON_AddNumberToObject(par, "lr", a->o.lr);
            cJSON_AddNumberToObject(par, "weight_decay", a->o.weight_decay);
        } else {
            cJSON_AddNumberToObject(par, "l2", a->o.l2);
            cJSON_AddNumberToObject(par, "max_iter", a->o.max_iter ? a->o.max_iter : 1000);
            cJSON_AddNumberToObject(par, "tol", a->o.tol);
        }
    }
    if (a->folds) cJSON_AddNumberToObject(par, "folds", a->folds);
    else cJSON_AddNumberToObject(par, "test_frac", a->test_frac);
    cJSON_AddNumberToObject(par, "seed", (double)a->seed);
    cJSON_AddNumberToObject(par, "bootstrap", a->n_boot);
    if (a->labels) cJSON_AddStringToObject(par, "labels", a->labels);
    else cJSON_AddNullToObject(par, "labels");
    if (a->calibrate) cJSON_AddNumberToObject(par, "calibrate", a->calibrate);
    cJSON_AddBoolToObject(par, "compare", a->compare);
}

int cmd_ccs(int argc, char **argv) {
    ccs_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc < 0) return CLI_OK;   /* --help */
    if (rc != CLI_OK) return rc;
    if (cli_ranks() > 1) {
        /* the same usage error on every rank; cli_usage_error prints once */
        if (a.compare || a.nf.drop)
            return cli_usage_error("ccs", USAGE, "--compare and --drop-nonfinite need every pair in one process: "
                                   "run them without mpirun");
        if (cli_rank() != 0) a.quiet = 1;
        a.o.comm = cli_comm();
    }

    cJSON *report = cli_report_new("ccs");
    gp_tensor *tp = NULL, *tn = NULL;
    gp_labels *l = NULL;
    gp_matrix P = {0}, N = {0};
    if (!cli_load_matrix("ccs", a.pos, report, &a.nf, &tp, &P) || !cli_load_matrix("ccs", a.neg, report, &a.nf, &tn, &N))
        rc = CLI_FAIL;
    /* distributed: every rank has its pairs before the first collective;
     * n counts every rank's pairs, numbered in rank order from a.row0 */
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    int64_t n = P.rows;
    if (rc == CLI_OK && cli_ranks() > 1) {
        int64_t nneg = cli_dist_sum(N.rows);
        cli_dist_offset(P.rows, &a.row0, &n);
        if (n != nneg)
            rc = cli_fail("ccs", "%s has %lld rows and %s %lld: row i of each must be the two answers of statement i",
                          a.pos, (long long)n, a.neg, (long long)nneg);
    }
    if (rc == CLI_OK && (P.rows != N.rows || P.cols != N.cols))
        rc = cli_fail("ccs", "%s (%lld x %lld) and %s (%lld x %lld) differ in shape: row i of each must be the two "
                      "answers of statement i", a.pos, (long long)P.rows, (long long)P.cols, a.neg,
                      (long long)N.rows, (long long)N.cols);
    if (rc == CLI_OK && a.labels && !cli_load_labels("ccs", a.labels, a.pos, n, &l)) rc = CLI_FAIL;
    if (rc == CLI_OK) rc = cli_nonfinite_apply(&a.nf, "ccs", report, l, true, NULL);
    if (rc == CLI_OK && cli_ranks() == 1) n = P.rows;   /* after --drop-nonfinite */
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    if (rc == CLI_OK && n < 2)
        rc = cli_fail("ccs", "%s: %lld contrast pair%s; a contrast-pair probe needs at least 2", a.pos,
                      (long long)n, n == 1 ? "" : "s");
    if (rc == CLI_OK && l && gp_labels_n_classes(l) != 2)
        rc = cli_fail("ccs", "%s: %d class%s; contrast-pair labels are binary (1 = x+ is the true answer) and need "
                      "both values", a.labels, (int)gp_labels_n_classes(l), gp_labels_n_classes(l) == 1 ? "" : "es");
    const int32_t *y = (rc == CLI_OK && l) ? gp_labels_ids(l) : NULL;
    add_params(&a, cli_report_params(report));

    fit_result r = {0};
    cJSON *cv = NULL, *fold_test = NULL;
    cli_ccs_eval te = {0};
    cli_ccs_compare cmp = {0};
    if (rc == CLI_OK) {
        if (a.folds) rc = run_folds(&a, &P, &N, y, n, &r, &cv, &fold_test, &te, &cmp);
        else {
            rc = run_holdout(&a, &P, &N, y, n, &r);
            te = r.te;
            cmp = r.cmp;
        }
    }
    /* The summary is buffered and printed only once everything succeeded. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = rc == CLI_OK ? open_memstream(&text, &text_len) : NULL;
    if (rc == CLI_OK && !out) rc = cli_fail("ccs", "out of memory");
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;   /* the report's collective follows */
    if (rc == CLI_OK) {
        fprintf(out, "%s on %s / %s (%lld pairs x %lld)", gp_ccs_method_name(a.o.method), a.pos, a.neg,
                (long long)n, (long long)P.cols);
        if (a.labels) fprintf(out, ", labels %s\n", a.labels);
        else fprintf(out, ", no labels (no accuracy; the sign is unknown)\n");
        ccs_print_fit(out, &a, r.c);
        if (a.folds) fprintf(out, "  evaluation  %d-fold cross-validation, seed %llu; the probe below is refit on every pair\n",
                             (int)a.folds, (unsigned long long)a.seed);
        else if (a.test_frac > 0) fprintf(out, "  evaluation  held-out %.0f%% (%lld test pairs), seed %llu\n",
                                          100 * a.test_frac, (long long)r.te.n, (unsigned long long)a.seed);
        else fprintf(out, "  evaluation  on the training pairs (--test-frac 0)\n");
        if (a.labels)
            fprintf(out, "  calibration sign %s on %lld labeled training pair%s%s\n", gp_ccs_sign(r.c) < 0 ? "flipped" : "kept",
                    (long long)r.n_calib, r.n_calib == 1 ? "" : "s", a.calibrate ? " (--calibrate)" : "");
        if (!a.folds) ccs_print_split(out, "train", &r.tr, r.train, y != NULL);
        ccs_print_split(out, a.folds ? "test (mean)" : "test", &te, a.folds ? NULL : r.test, y != NULL);
        if (a.compare) ccs_print_compare(out, &a, &cmp, &te, a.folds ? "(mean over the folds' held-out pairs; accuracy = max(acc, 1 - acc))"
                                                 : "(test pairs; accuracy = max(acc, 1 - acc))");
        if (y && a.test_frac == 0 && !a.folds)
            fprintf(out, "  note        --test-frac 0: these accuracies are on the training pairs\n");
    }
    if (out) fclose(out);
    if (rc == CLI_OK) {
        ccs_add_fit_keys(report, r.c);
        cJSON_AddNumberToObject(report, "n", (double)n);
        cJSON_AddNumberToObject(report, "d", (double)P.cols);
        cJSON_AddNumberToObject(report, "fit_seconds", r.fit_seconds);
        if (y) {
            cJSON_AddNumberToObject(report, "accuracy", te.accuracy);
            cJSON_AddNumberToObject(report, "sign_calibrated_accuracy", te.sign_calibrated_accuracy);
            cJSON_AddNumberToObject(report, "auroc", te.auroc);
            cJSON_AddNumberToObject(report, "calibration_pairs", (double)r.n_calib);
            cJSON *names = cJSON_AddArrayToObject(report, "classes");
            for (int32_t k = 0; k < 2; k++) cJSON_AddItemToArray(names, cJSON_CreateString(gp_labels_class_name(l, k)));
        } else {
            cJSON_AddNullToObject(report, "accuracy");
            cJSON_AddNullToObject(report, "sign_calibrated_accuracy");
        }
        if (a.folds) {
            cJSON *tj = cJSON_CreateObject();
            if (y) {
                cJSON_AddNumberToObject(tj, "accuracy", r.tr.accuracy);
                cJSON_AddNumberToObject(tj, "sign_calibrated_accuracy", r.tr.sign_calibrated_accuracy);
                cJSON_AddNumberToObject(tj, "auroc", r.tr.auroc);
            }
            cJSON_AddNumberToObject(tj, "n", (double)r.tr.n);
            cJSON_AddStringToObject(tj, "note", "the probe refit on every pair, scored on them");
            cJSON_AddItemToObject(report, "train", tj);
            cJSON_AddItemToObject(report, "test", fold_test);
            cJSON_AddItemToObject(report, "cv", cv);
            fold_test = cv = NULL;
        } else {
            cJSON_AddItemToObject(report, "train", r.train);
            cJSON_AddItemToObject(report, "test", r.test);
            r.train = r.test = NULL;
        }
        if (a.compare) cJSON_AddItemToObject(report, "compare", ccs_compare_json(&a, &cmp, &te));
        cli_report_distributed(report, P.rows);   /* collective */
        if (a.o.method == GP_CCS_CCS && !gp_ccs_converged(r.c) && a.o.optimizer == GP_CCS_LBFGS && cli_rank() == 0)
            fprintf(stderr, "geoprobe ccs: warning: L-BFGS stopped at %d iterations before the loss settled "
                    "(raise --max-iter)\n", (int)gp_ccs_n_iter(r.c));
    }
    /* The plot first (into a temporary file), so a failed plot writes
     * nothing; it takes its place only after every other output. */
    /* distributed: every rank holds the same numbers; rank 0 writes */
    bool writer = cli_rank() == 0;
    if (rc == CLI_OK && a.plot.path && writer) rc = ccs_plot_pairs(&a, &r, report);
    if (rc == CLI_OK && a.save && writer) rc = ccs_save_probe(&a, r.c, l, report, r.n_calib, a.folds ? n : r.tr.n);
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    if (rc == CLI_OK && a.json && writer) rc = cli_report_write(report, "ccs", a.json);
    else cJSON_Delete(report);
    if (rc == CLI_OK && writer) rc = cli_plot_commit(&a.plot, "ccs");
    else cli_plot_discard(&a.plot);
    if (rc == CLI_OK && !a.quiet && text) fwrite(text, 1, text_len, stdout);
    free(text);
    cJSON_Delete(cv);
    cJSON_Delete(fold_test);
    fit_result_free(&r);
    gp_labels_free(l);
    gp_tensor_free(tp);
    gp_tensor_free(tn);
    cli_nonfinite_free(&a.nf);
    return rc;
}
