/* cmd_probe.c — `geoprobe probe SPEC --labels Y`: train a linear probe and
 * evaluate it honestly: a stratified held-out split or k-fold
 * cross-validation, bootstrap intervals, and optionally a control task. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "geoprobe probe SPEC --labels Y [--method logistic|massmean|massmean-iid|lda|ridge]\n"
    "                    [--C 1.0|auto] [--test-frac 0.2 | --folds K] [--seed S] [--save P.safetensors]\n"
    "                    [--plot OUT.png|svg|pdf] [--drop-nonfinite] [--stream auto|on|off]";

static void help(void) {
    printf("usage: %s\n\n"
           "Train a linear probe on activations (n x d) to read labels, and evaluate it\n"
           "on rows it did not see.\n\n"
           "methods:\n"
           "  logistic       L2 logistic regression, scikit-learn's C (default); binary or\n"
           "                 softmax for k classes; Newton or L-BFGS\n"
           "  massmean       difference of class means (Marks & Tegmark 2023), binary\n"
           "  massmean-iid   covariance-corrected mass-mean: Sigma_w^-1 (mu1 - mu0)\n"
           "  lda            linear discriminant analysis, k classes, shrinkage\n"
           "  ridge          ridge regression on a numeric target (R^2, Pearson r)\n\n"
           "options:\n"
           "  --labels Y         y.npy, y.txt, y.csv:COLUMN or y.json, one per row (required)\n"
           "  --method M         (default logistic)\n"
           "  --C C|auto         logistic inverse regularization (default 1.0); auto picks C\n"
           "                     by 5-fold cross-validation over logspace(-4, 4, 10) on the\n"
           "                     training rows\n"
           "  --alpha A          ridge penalty (default 1.0)\n"
           "  --shrinkage S|auto lda / massmean-iid covariance shrinkage in [0,1] (default auto:\n"
           "                     Ledoit-Wolf)\n"
           "  --balanced         logistic: class weights n / (k n_c)\n"
           "  --standardize      fit on z-scored features (weights are mapped back: apply\n"
           "                     takes raw activations)\n"
           "  --solver S         logistic: auto, newton, lbfgs (default auto)\n"
           "  --max-iter N       solver iterations (default: solver's own)\n"
           "  --test-frac F      held-out fraction, stratified (default 0.2); 0 trains on\n"
           "                     every row (for `geoprobe apply` on a separate test file)\n"
           "  --folds K          stratified K-fold cross-validation instead of one split;\n"
           "                     test metrics pool the out-of-fold predictions\n"
           "  --seed S           split, fold and bootstrap seed (default 0)\n"
           "  --bootstrap N      resamples for the 95%% intervals (default 1000; 0 = none)\n"
           "  --control          control task (Hewitt & Liang 2019): the same probe on labels\n"
           "                     drawn at random per input type; reports selectivity\n"
           "  --control-types T  the input type of each row (a label file: word, token...);\n"
           "                     default: every row its own type\n"
           "  --save P           save the probe (.safetensors: weight, bias, metadata)\n"
           "  --stream M         auto (default), on, off: give back the pages of a mapped\n"
           "                     SPEC behind each pass. The fit reads the file in place\n"
           "                     only with --test-frac 0 (a split copies its training\n"
           "                     rows): so a file larger than memory needs --test-frac 0\n"
           "  -j, --threads N    BLAS threads (default: all cores)\n"
           "  --json FILE        JSON report (- for stdout)\n"
           "  -q, --quiet        no summary on stdout\n"
           "  -h, --help         this help\n",
           USAGE);
    cli_nonfinite_print_help(21);
    printf("\n"
           "plot: the probe's scores on the rows it did not train on (the held-out split,\n"
           "every row out-of-fold with --folds, the training rows with --test-frac 0), one\n"
           "histogram per true class. Two classes: the logit w.x + b, threshold 0 (the\n"
           "decision). k > 2 classes: the true class's margin s_y - max over c != y of s_c\n"
           "(> 0: predicted right). ridge: a scatter of prediction against target.\n");
    cli_plot_print_help(21, true);
    printf("\nDistributed (make MPI=1): mpirun -np N geoprobe probe SPEC --labels Y ... fits on\n"
           "the rows of all ranks (each rank reads its contiguous share of SPEC, or its own\n"
           "file when SPEC has {rank}); Y holds the labels of all rows, so the split, the\n"
           "probe and every metric are the one-process ones. One held-out split with a\n"
           "fixed C: --folds, --C auto, --control, --plot and --drop-nonfinite need one\n"
           "process. Rank 0 writes --json and --save.\n");
    printf("\nExamples:\n"
           "  geoprobe probe datasets/larger_than/plain_layer3.npy \\\n"
           "      --labels datasets/larger_than/labels.npy --folds 5 --save probe_l3.safetensors\n"
           "  geoprobe probe datasets/larger_than/plain_layer3.npy \\\n"
           "      --labels datasets/larger_than/labels.npy --plot scores.png --json probe.json\n");
}

typedef struct probe_args {
    const char *spec, *labels, *save, *json, *control_types;
    double test_frac;
    int32_t folds, n_boot, control, quiet;
    uint64_t seed;
    gp_probe_opts o;
    cli_plot plot;
    int want_scores;            /* keep the evaluated rows' scores (--plot) */
    /* Distributed (mpirun): X holds rows [g0, g0 + X.rows) of all n_all
     * rows; labels, splits and row lists are over all n_all. One process:
     * g0 = 0, n_all = X.rows. */
    int64_t g0, n_all;
} probe_args;

/* What one evaluation (real labels or control labels) produces. */
typedef struct eval_result {
    cJSON *train, *test, *cv;   /* owned until added to the report */
    double test_accuracy;
    gp_probe *probe;            /* the probe to save and report */
    /* want_scores: the score of each evaluated row (held-out, out-of-fold,
     * or training when nothing is held out) with its class or target. */
    int64_t pts_n;
    double *pts_score, *pts_target;
    int32_t *pts_y;
} eval_result;

typedef struct subset {
    gp_matrix X;         /* a copy of the rows, or X itself when all (view) */
    bool      view;
    int32_t  *y;
    double   *t;
} subset;

static void subset_free(subset *s) {
    if (!s->view) free(s->X.data);
    free(s->y);
    free(s->t);
}

/* The listed rows (indices into all rows, ascending) that X holds: all of
 * them in one process, this rank's part when distributed. */
static bool subset_take(const probe_args *a, const gp_matrix *X, const int32_t *y, const double *t,
                        const int64_t *rows, int64_t m, subset *s) {
    memset(s, 0, sizeof *s);
    int64_t *mine = malloc((size_t)(m ? m : 1) * sizeof *mine), k = 0;
    s->y = malloc((size_t)(m ? m : 1) * sizeof *s->y);
    s->t = malloc((size_t)(m ? m : 1) * sizeof *s->t);
    if (mine && s->y && s->t)
        for (int64_t i = 0; i < m; i++) {
            if (rows[i] < a->g0 || rows[i] >= a->g0 + X->rows) continue;
            if (y) s->y[k] = y[rows[i]];
            if (t) s->t[k] = t[rows[i]];
            mine[k++] = rows[i] - a->g0;
        }
    /* Every row, in order (--test-frac 0, the refit on all rows): no copy,
     * so the fit reads the mapped file in place and a file larger than
     * memory streams (--stream). */
    s->view = mine && k == X->rows && (k == 0 || mine[k - 1] == k - 1);
    if (s->view) s->X = *X;
    bool ok = mine && s->y && s->t && (s->view || cli_rows_copy(X, mine, k, &s->X));
    free(mine);
    if (!ok) subset_free(s);
    return ok;
}

/* The plotted score of each row of S: binary, the decision w.x + b;
 * k > 2 classes, the true class's margin s_y - max_{c != y} s_c; ridge, the
 * prediction. y (S's rows) may be NULL for ridge. */
static int plot_scores(const gp_probe *p, const gp_matrix *S, const int32_t *y, double *out) {
    int32_t m = gp_probe_n_outputs(p);
    if (m != 1 && (!y || m != gp_probe_n_classes(p)))
        return cli_fail("probe", "cannot plot a probe with %d outputs for %d classes", (int)m,
                        (int)gp_probe_n_classes(p));
    double *dec = malloc((size_t)S->rows * (size_t)m * sizeof *dec + 1);
    if (!dec) return cli_fail("probe", "out of memory");
    if (gp_probe_decision(p, S, dec) != GP_OK) {
        free(dec);
        return cli_fail_gp("probe");
    }
    for (int64_t i = 0; i < S->rows; i++) {
        const double *s = dec + (size_t)i * (size_t)m;
        if (m == 1) {
            out[i] = s[0];
            continue;
        }
        double other = -INFINITY;
        for (int32_t c = 0; c < m; c++)
            if (c != y[i] && s[c] > other) other = s[c];
        out[i] = s[y[i]] - other;
    }
    free(dec);
    return CLI_OK;
}

static int keep_scores(const probe_args *a, const gp_probe *p, const gp_matrix *X, const int32_t *y, const double *t,
                       const int64_t *rows, int64_t m, eval_result *r) {
    subset s;
    r->pts_n = m;
    r->pts_score = malloc((size_t)(m ? m : 1) * sizeof *r->pts_score);
    r->pts_target = malloc((size_t)(m ? m : 1) * sizeof *r->pts_target);
    r->pts_y = calloc((size_t)(m ? m : 1), sizeof *r->pts_y);
    if (!r->pts_score || !r->pts_target || !r->pts_y || !subset_take(a, X, y, t, rows, m, &s))
        return cli_fail("probe", "out of memory");
    int rc = plot_scores(p, &s.X, y ? s.y : NULL, r->pts_score);
    if (y) memcpy(r->pts_y, s.y, (size_t)m * sizeof *s.y);
    if (t) memcpy(r->pts_target, s.t, (size_t)m * sizeof *s.t);
    subset_free(&s);
    return rc;
}

static int fit(const char *cmd, const gp_matrix *X, const int32_t *y, int32_t k, const double *target,
               const gp_probe_opts *o, gp_probe **p) {
    gp_status s = target ? gp_probe_fit_regression(X, target, o, p) : gp_probe_fit(X, y, k, o, p);
    return s == GP_OK ? CLI_OK : cli_fail_gp(cmd);
}

/* The selected rows of X, with their labels and targets, as one subset. */
/* Score probe p on the rows listed; JSON into *out. */
/* Distributed scoring: each rank predicts its rows; rank 0 gathers the
 * predictions (in row order: ranks hold ascending ranges) and computes the
 * metrics of all m rows, the numbers one process would give. The other
 * ranks return an empty object. */
static int score_rows_dist(const probe_args *a, const gp_probe *p, const subset *s, const int32_t *y,
                           const double *t, const int64_t *rows, int64_t m, int32_t n_boot, cJSON **out,
                           double *acc) {
    int32_t k = t ? 1 : gp_probe_n_classes(p);
    double *mine = malloc((size_t)s->X.rows * (size_t)k * sizeof *mine + 1), *all = NULL;
    int64_t got = 0;
    int rc = mine ? CLI_OK : cli_fail("probe", "out of memory");
    if (rc == CLI_OK && (t ? gp_probe_decision(p, &s->X, mine) : gp_probe_predict_proba(p, &s->X, mine)) != GP_OK)
        rc = cli_fail_gp("probe");
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    else if (!cli_dist_gather_doubles(mine, s->X.rows * k, &all, &got))
        rc = cli_fail("probe", "cannot gather the predictions of every process");
    free(mine);
    *out = NULL;
    if (rc == CLI_OK && cli_rank() == 0) {
        int32_t *ys = malloc((size_t)(m ? m : 1) * sizeof *ys);
        double *ts = malloc((size_t)(m ? m : 1) * sizeof *ts);
        if (!ys || !ts || got != m * k) rc = cli_fail("probe", "out of memory");
        for (int64_t i = 0; rc == CLI_OK && i < m; i++) {
            if (y) ys[i] = y[rows[i]];
            if (t) ts[i] = t[rows[i]];
        }
        if (rc == CLI_OK && t) {
            gp_regression_metrics rm;
            rc = cli_metrics_values("probe", ts, all, m, out, &rm);
            if (acc && rc == CLI_OK) *acc = rm.r2;
        } else if (rc == CLI_OK) {
            gp_metrics mm;
            rc = cli_metrics_classes("probe", ys, all, m, k, n_boot, a->seed, out, &mm);
            if (acc && rc == CLI_OK) *acc = mm.accuracy;
        }
        free(ys);
        free(ts);
    }
    free(all);
    if (!*out && rc == CLI_OK) *out = cJSON_CreateObject();
    return rc;
}

static int score_rows(const probe_args *a, const gp_probe *p, const gp_matrix *X, const int32_t *y,
                      const double *t, const int64_t *rows, int64_t m, int32_t n_boot, cJSON **out,
                      double *acc) {
    subset s;
    if (!subset_take(a, X, y, t, rows, m, &s)) return cli_fail("probe", "out of memory");
    if (cli_ranks() > 1) {
        int rc = score_rows_dist(a, p, &s, y, t, rows, m, n_boot, out, acc);
        subset_free(&s);
        return rc;
    }
    int rc;
    if (t) {
        gp_regression_metrics rm;
        rc = cli_score_values("probe", p, &s.X, s.t, NULL, out, &rm);
        if (acc) *acc = rm.r2;
    } else {
        gp_metrics mm;
        rc = cli_score_classes("probe", p, &s.X, s.y, n_boot, a->seed, NULL, out, &mm);
        if (acc) *acc = mm.accuracy;
    }
    subset_free(&s);
    return rc;
}

/* Train on the rows listed. */
static int fit_rows(const probe_args *a, const gp_matrix *X, const int32_t *y, int32_t k, const double *t,
                    const int64_t *rows, int64_t m, gp_probe **p) {
    subset s;
    if (!subset_take(a, X, y, t, rows, m, &s)) return cli_fail("probe", "out of memory");
    int rc = fit("probe", &s.X, t ? NULL : s.y, k, t ? s.t : NULL, &a->o, p);
    subset_free(&s);
    return rc;
}

/* One split (or every row when test_frac is 0): fit on train, score both. */
static int eval_holdout(const probe_args *a, const gp_matrix *X, const int32_t *y, int32_t k,
                        const double *t, eval_result *r) {
    int64_t n = a->n_all;
    uint8_t *is_test = calloc((size_t)n, 1);
    int64_t *tr = calloc((size_t)n + 1, sizeof *tr), *te = calloc((size_t)n + 1, sizeof *te);
    int32_t *strata = calloc((size_t)n, sizeof *strata);
    if (!is_test || !tr || !te || !strata) {
        free(is_test); free(tr); free(te); free(strata);
        return cli_fail("probe", "out of memory");
    }
    /* Regression splits are plain random: one stratum. */
    gp_status s = gp_split_train_test(t ? strata : y, n, t ? 1 : k, a->test_frac, a->seed, is_test);
    int rc = s == GP_OK ? CLI_OK : cli_fail_gp("probe");
    int64_t ntr = 0, nte = 0;
    for (int64_t i = 0; i < n; i++) {
        if (is_test[i]) te[nte++] = i;
        else tr[ntr++] = i;
    }
    if (rc == CLI_OK) rc = fit_rows(a, X, y, k, t, tr, ntr, &r->probe);
    if (rc == CLI_OK) rc = score_rows(a, r->probe, X, y, t, tr, ntr, 0, &r->train, NULL);
    if (rc == CLI_OK && nte > 0) rc = score_rows(a, r->probe, X, y, t, te, nte, a->n_boot, &r->test, &r->test_accuracy);
    if (rc == CLI_OK && a->want_scores)
        rc = nte > 0 ? keep_scores(a, r->probe, X, t ? NULL : y, t, te, nte, r)
                     : keep_scores(a, r->probe, X, t ? NULL : y, t, tr, ntr, r);
    if (rc == CLI_OK && nte == 0) {
        r->test = cJSON_CreateObject();
        cJSON_AddNumberToObject(r->test, "n", 0);
    }
    free(is_test); free(tr); free(te); free(strata);
    return rc;
}

/* K-fold: out-of-fold predictions pooled for the test metrics; the probe
 * reported and saved is refit on every row. */
static int eval_kfold(const probe_args *a, const gp_matrix *X, const int32_t *y, int32_t k,
                      const double *t, eval_result *r) {
    int64_t n = X->rows;
    int32_t *fold = malloc((size_t)n * sizeof *fold), *strata = calloc((size_t)n, sizeof *strata);
    int64_t *tr = malloc((size_t)n * sizeof *tr), *te = malloc((size_t)n * sizeof *te);
    int32_t nk = t ? 1 : k;
    double *oof = malloc((size_t)n * (size_t)(t ? 1 : k) * sizeof *oof);
    double *fold_score = calloc((size_t)a->folds, sizeof *fold_score), train_sum = 0;
    int rc = (fold && strata && tr && te && oof && fold_score) ? CLI_OK : cli_fail("probe", "out of memory");
    if (rc == CLI_OK && a->want_scores) {
        r->pts_n = n;
        r->pts_score = malloc((size_t)n * sizeof *r->pts_score);
        r->pts_target = malloc((size_t)n * sizeof *r->pts_target);
        r->pts_y = malloc((size_t)n * sizeof *r->pts_y);
        if (!r->pts_score || !r->pts_target || !r->pts_y) rc = cli_fail("probe", "out of memory");
        for (int64_t i = 0; rc == CLI_OK && i < n; i++) {
            r->pts_y[i] = t ? 0 : y[i];
            r->pts_target[i] = t ? t[i] : 0;
        }
    }
    if (rc == CLI_OK && gp_split_kfold(t ? strata : y, n, nk, a->folds, a->seed, fold) != GP_OK)
        rc = cli_fail_gp("probe");
    for (int32_t f = 0; f < a->folds && rc == CLI_OK; f++) {
        int64_t ntr = 0, nte = 0;
        for (int64_t i = 0; i < n; i++) {
            if (fold[i] == f) te[nte++] = i;
            else tr[ntr++] = i;
        }
        gp_probe *p = NULL;
        gp_matrix S;
        rc = fit_rows(a, X, y, k, t, tr, ntr, &p);
        cJSON *tj = NULL;
        double tacc = 0;
        if (rc == CLI_OK) rc = score_rows(a, p, X, y, t, tr, ntr, 0, &tj, &tacc);
        cJSON_Delete(tj);
        train_sum += tacc;
        if (rc == CLI_OK && !cli_rows_copy(X, te, nte, &S)) rc = cli_fail("probe", "out of memory");
        if (rc == CLI_OK) {
            int32_t m = t ? 1 : k;
            double *buf = malloc((size_t)nte * (size_t)m * sizeof *buf);
            gp_status s = !buf ? GP_ENOMEM : t ? gp_probe_decision(p, &S, buf) : gp_probe_predict_proba(p, &S, buf);
            if (s != GP_OK) rc = buf ? cli_fail_gp("probe") : cli_fail("probe", "out of memory");
            for (int64_t i = 0; rc == CLI_OK && i < nte; i++)
                memcpy(oof + (size_t)te[i] * (size_t)m, buf + (size_t)i * (size_t)m, (size_t)m * sizeof *buf);
            /* Per-fold score: accuracy (or R^2) on the fold's rows. */
            if (rc == CLI_OK) {
                if (t) {
                    gp_regression_metrics rm;
                    double *ts = malloc((size_t)nte * sizeof *ts);
                    if (ts) {
                        for (int64_t i = 0; i < nte; i++) ts[i] = t[te[i]];
                        gp_regression_metrics_compute(ts, buf, nte, &rm);
                        fold_score[f] = rm.r2;
                    }
                    free(ts);
                } else {
                    int64_t hit = 0;
                    for (int64_t i = 0; i < nte; i++) {
                        const double *pr = buf + (size_t)i * (size_t)k;
                        int32_t best = 0;
                        for (int32_t c = 1; c < k; c++)
                            if (pr[c] > pr[best]) best = c;
                        hit += best == y[te[i]];
                    }
                    fold_score[f] = (double)hit / (double)nte;
                }
            }
            free(buf);
            /* Out-of-fold plotted scores, by row. */
            if (rc == CLI_OK && a->want_scores) {
                double *sc = malloc((size_t)(nte ? nte : 1) * sizeof *sc);
                int32_t *ys = malloc((size_t)(nte ? nte : 1) * sizeof *ys);
                if (!sc || !ys) rc = cli_fail("probe", "out of memory");
                for (int64_t i = 0; rc == CLI_OK && i < nte; i++) ys[i] = t ? 0 : y[te[i]];
                if (rc == CLI_OK) rc = plot_scores(p, &S, t ? NULL : ys, sc);
                for (int64_t i = 0; rc == CLI_OK && i < nte; i++) r->pts_score[te[i]] = sc[i];
                free(sc);
                free(ys);
            }
            free(S.data);
        }
        gp_probe_free(p);
    }
    if (rc == CLI_OK) {
        if (t) {
            gp_regression_metrics rm;
            if (gp_regression_metrics_compute(t, oof, n, &rm) != GP_OK) rc = cli_fail_gp("probe");
            else {
                r->test = cli_json_regression(&rm);
                r->test_accuracy = rm.r2;
            }
        } else {
            gp_metrics mm;
            int64_t *conf = calloc((size_t)k * (size_t)k, sizeof *conf);
            double aci[2], uci[2];
            if (!conf || gp_metrics_compute(y, oof, n, k, &mm, conf) != GP_OK ||
                (a->n_boot > 0 && gp_metrics_bootstrap(y, oof, n, k, a->n_boot, a->seed, aci, uci) != GP_OK))
                rc = conf ? cli_fail_gp("probe") : cli_fail("probe", "out of memory");
            else {
                r->test = cli_json_metrics(&mm, conf, k, a->n_boot > 0 ? aci : NULL, a->n_boot > 0 ? uci : NULL);
                r->test_accuracy = mm.accuracy;
            }
            free(conf);
        }
    }
    if (rc == CLI_OK) {
        r->cv = cJSON_CreateObject();
        cJSON_AddNumberToObject(r->cv, "folds", a->folds);
        cJSON_AddItemToObject(r->cv, t ? "fold_r2" : "fold_accuracy", cli_json_doubles(fold_score, a->folds));
        double mean = 0, var = 0;
        for (int32_t f = 0; f < a->folds; f++) mean += fold_score[f] / a->folds;
        for (int32_t f = 0; f < a->folds; f++) var += (fold_score[f] - mean) * (fold_score[f] - mean);
        cJSON_AddNumberToObject(r->cv, "mean", mean);
        cJSON_AddNumberToObject(r->cv, "std", sqrt(var / a->folds));
        r->train = cJSON_CreateObject();
        cJSON_AddNumberToObject(r->train, t ? "r2" : "accuracy", train_sum / a->folds);
        cJSON_AddStringToObject(r->train, "note", "mean over the folds' training rows");
        int64_t *all = tr;
        for (int64_t i = 0; i < n; i++) all[i] = i;
        rc = fit_rows(a, X, y, k, t, all, n, &r->probe);
    }
    free(fold); free(strata); free(tr); free(te); free(oof); free(fold_score);
    return rc;
}

static int evaluate(const probe_args *a, const gp_matrix *X, const int32_t *y, int32_t k, const double *t,
                    eval_result *r) {
    memset(r, 0, sizeof *r);
    return a->folds >= 2 ? eval_kfold(a, X, y, k, t, r) : eval_holdout(a, X, y, k, t, r);
}

static void free_result(eval_result *r) {
    free(r->pts_score);
    free(r->pts_target);
    free(r->pts_y);
    cJSON_Delete(r->train);
    cJSON_Delete(r->test);
    cJSON_Delete(r->cv);
    gp_probe_free(r->probe);
    memset(r, 0, sizeof *r);
}

/* Provenance for the saved probe: what a reader needs to apply it right. */
static int save_probe(const probe_args *a, const gp_probe *p, const gp_labels *l, cJSON *report) {
    cJSON *names = cJSON_CreateArray();
    for (int32_t c = 0; c < gp_labels_n_classes(l) && !gp_labels_is_numeric(l); c++)
        cJSON_AddItemToArray(names, cJSON_CreateString(gp_labels_class_name(l, c)));
    if (gp_labels_is_numeric(l) && gp_probe_n_classes(p) > 0)
        for (int32_t c = 0; c < gp_labels_n_classes(l); c++)
            cJSON_AddItemToArray(names, cJSON_CreateString(gp_labels_class_name(l, c)));
    char *classes = cJSON_PrintUnformatted(names);
    char *params = cJSON_PrintUnformatted(cli_report_params(report));
    cJSON_Delete(names);
    const cJSON *in = cJSON_GetArrayItem(cJSON_GetObjectItem(report, "inputs"), 0);
    const char *sha = cJSON_GetStringValue(cJSON_GetObjectItem(in, "sha256"));
    const char *keys[] = {"classes", "labels", "training_input", "training_sha256", "standardize", "params"};
    const char *vals[] = {classes ? classes : "[]", a->labels, a->spec, sha ? sha : "",
                          a->o.standardize ? "true" : "false", params ? params : "{}"};
    int rc = CLI_OK;
    if (gp_probe_save(p, a->save, 6, keys, vals) != GP_OK) rc = cli_fail_gp("probe");
    cJSON_free(classes);
    cJSON_free(params);
    return rc;
}

static void print_summary(FILE *out, const probe_args *a, const gp_matrix *X, const gp_labels *l,
                          const eval_result *r, const eval_result *ctl, bool regression) {
    const gp_probe *p = r->probe;
    fprintf(out, "probe %s on %s (%lld x %lld), labels %s", gp_probe_method_name(a->o.method), a->spec,
            (long long)a->n_all, (long long)X->cols, a->labels);
    if (regression) fprintf(out, " (numeric target)\n");
    else fprintf(out, " (%d classes)\n", (int)gp_labels_n_classes(l));
    if (a->folds >= 2) fprintf(out, "  evaluation  %d-fold cross-validation, seed %llu\n", (int)a->folds,
                               (unsigned long long)a->seed);
    else fprintf(out, "  evaluation  held-out %.0f%%, seed %llu\n", 100 * a->test_frac, (unsigned long long)a->seed);
    const char *key = regression ? "r2" : "accuracy";
    const cJSON *tr = cJSON_GetObjectItem(r->train, key);
    if (tr) fprintf(out, "  train       %s %.4f\n", key, tr->valuedouble);
    const cJSON *te = r->test ? cJSON_GetObjectItem(r->test, key) : NULL;
    if (te) {
        fprintf(out, "  test        %s %.4f", key, te->valuedouble);
        const cJSON *ci = cJSON_GetObjectItem(r->test, "accuracy_ci95");
        if (ci) fprintf(out, " [%.4f, %.4f]", cJSON_GetArrayItem(ci, 0)->valuedouble,
                        cJSON_GetArrayItem(ci, 1)->valuedouble);
        if (regression) {
            fprintf(out, "  Pearson r %.4f  MSE %.4g", cJSON_GetObjectItem(r->test, "pearson_r")->valuedouble,
                    cJSON_GetObjectItem(r->test, "mse")->valuedouble);
        } else {
            fprintf(out, "  AUROC %.4f  log-loss %.4f  ECE %.4f", cJSON_GetObjectItem(r->test, "auroc")->valuedouble,
                    cJSON_GetObjectItem(r->test, "log_loss")->valuedouble,
                    cJSON_GetObjectItem(r->test, "ece")->valuedouble);
        }
        fprintf(out, "  (n %d)\n", (int)cJSON_GetObjectItem(r->test, "n")->valuedouble);
    }
    if (ctl) fprintf(out, "  control     accuracy %.4f  selectivity %.4f\n", ctl->test_accuracy,
                     r->test_accuracy - ctl->test_accuracy);
    if (a->o.method == GP_PROBE_LOGISTIC)
        fprintf(out, "  solver      C %.6g, %d iterations, %s\n", gp_probe_C(p), (int)gp_probe_n_iter(p),
                gp_probe_converged(p) ? "converged" : "NOT converged");
}

/* The chart of the evaluated rows' scores: a histogram per true class
 * (classifiers) or prediction against target (ridge). */
static int render_plot(probe_args *a, const gp_labels *l, const eval_result *r, cJSON *report) {
    const char *base = strrchr(a->spec, '/') ? strrchr(a->spec, '/') + 1 : a->spec;
    const char *rows = a->folds >= 2 ? "out-of-fold" : a->test_frac > 0 ? "held-out" : "training-row";
    const char *method = gp_probe_method_name(a->o.method);
    char title[512];
    cli_chart ch = {0};
    ch.title = title;
    if (a->o.method == GP_PROBE_RIDGE) {
        snprintf(title, sizeof title, "%s probe, %s: %s predictions (n = %lld)", method, base, rows,
                 (long long)r->pts_n);
        ch.kind = CLI_CHART_SCATTER;
        ch.scatter = (gp_plot_scatter_data){.n = r->pts_n, .x = r->pts_target, .y = r->pts_score,
                                            .x_label = "target", .y_label = "prediction w·x + b"};
        return cli_plot_render(&a->plot, "probe", &ch, report);
    }
    int32_t k = gp_labels_n_classes(l);
    const char **names = malloc((size_t)k * sizeof *names);
    if (!names) return cli_fail("probe", "out of memory");
    for (int32_t i = 0; i < k; i++) names[i] = gp_labels_class_name(l, i);
    snprintf(title, sizeof title, "%s probe, %s: %s scores (n = %lld)", method, base, rows, (long long)r->pts_n);
    ch.kind = CLI_CHART_HIST;
    ch.hist = (gp_plot_hist_data){.n = r->pts_n, .scores = r->pts_score, .ids = r->pts_y, .n_classes = k,
                                  .class_names = names, .has_threshold = 1, .threshold = 0,
                                  .x_label = k == 2 ? "logit w·x + b"
                                                    : "true-class margin s_y − max other s_c"};
    int rc = cli_plot_render(&a->plot, "probe", &ch, report);
    free(names);
    return rc;
}

int cmd_probe(int argc, char **argv) {
    static const struct option opts[] = {
        {"labels", required_argument, NULL, 'L'},    {"method", required_argument, NULL, 'm'},
        {"C", required_argument, NULL, 'C'},         {"alpha", required_argument, NULL, 'A'},
        {"shrinkage", required_argument, NULL, 'K'}, {"balanced", no_argument, NULL, 'B'},
        {"standardize", no_argument, NULL, 'Z'},     {"solver", required_argument, NULL, 'S'},
        {"max-iter", required_argument, NULL, 'I'},  {"test-frac", required_argument, NULL, 'T'},
        {"folds", required_argument, NULL, 'F'},     {"seed", required_argument, NULL, 's'},
        {"bootstrap", required_argument, NULL, 'b'}, {"control", no_argument, NULL, 'c'},
        {"control-types", required_argument, NULL, 'y'}, {"save", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 'j'},   {"json", required_argument, NULL, 'J'},
        {"quiet", no_argument, NULL, 'q'},           {"help", no_argument, NULL, 'h'},
        {"stream", required_argument, NULL, 'M'},    CLI_PLOT_OPTIONS,
        CLI_NONFINITE_OPTION,
        {NULL, 0, NULL, 0}};
    probe_args a = {0};
    cli_nonfinite nf;
    cli_nonfinite_init(&nf);
    a.test_frac = 0.2;
    a.n_boot = 1000;
    gp_probe_opts_init(&a.o);
    cli_plot_init(&a.plot);
    int c, rc = CLI_OK, test_frac_set = 0;
    long long v;
    double x;
    optind = 0;  /* 0, not 1: a full reset, so commands can run again in one process (sweep) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:j:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'L': a.labels = optarg; break;
        case 'm':
            if (gp_probe_method_parse(optarg, &a.o.method) != GP_OK)
                return cli_usage_error("probe", USAGE, "%s", gp_last_error());
            break;
        case 'C':
            if (strcmp(optarg, "auto") == 0) a.o.C = 0;
            else if (!cli_parse_double(optarg, &x) || x <= 0)
                return cli_usage_error("probe", USAGE, "--C wants a positive number or auto, not '%s'", optarg);
            else a.o.C = x;
            break;
        case 'A':
            if (!cli_parse_double(optarg, &x) || x < 0)
                return cli_usage_error("probe", USAGE, "--alpha wants a number >= 0, not '%s'", optarg);
            a.o.alpha = x;
            break;
        case 'K':
            if (strcmp(optarg, "auto") == 0) a.o.shrinkage = -1;
            else if (!cli_parse_double(optarg, &x) || x < 0 || x > 1)
                return cli_usage_error("probe", USAGE, "--shrinkage wants 0..1 or auto, not '%s'", optarg);
            else a.o.shrinkage = x;
            break;
        case 'B': a.o.class_weight_balanced = 1; break;
        case 'Z': a.o.standardize = 1; break;
        case 'S':
            if (strcmp(optarg, "auto") == 0) a.o.solver = GP_LOGISTIC_AUTO;
            else if (strcmp(optarg, "newton") == 0) a.o.solver = GP_LOGISTIC_NEWTON;
            else if (strcmp(optarg, "lbfgs") == 0) a.o.solver = GP_LOGISTIC_LBFGS;
            else return cli_usage_error("probe", USAGE, "unknown solver '%s' (auto, newton, lbfgs)", optarg);
            break;
        case 'I':
            if (!cli_parse_int(optarg, 1, 1000000, &v))
                return cli_usage_error("probe", USAGE, "--max-iter wants a positive number, not '%s'", optarg);
            a.o.max_iter = (int32_t)v;
            break;
        case 'T':
            if (!cli_parse_double(optarg, &x) || x < 0 || x >= 1)
                return cli_usage_error("probe", USAGE, "--test-frac wants a fraction in [0, 1), not '%s'", optarg);
            a.test_frac = x;
            test_frac_set = 1;
            break;
        case 'F':
            if (!cli_parse_int(optarg, 2, 1000, &v))
                return cli_usage_error("probe", USAGE, "--folds wants 2 or more, not '%s'", optarg);
            a.folds = (int32_t)v;
            break;
        case 's':
            if (!cli_parse_int(optarg, 0, INT64_MAX, &v))
                return cli_usage_error("probe", USAGE, "--seed wants a non-negative integer, not '%s'", optarg);
            a.seed = a.o.seed = (uint64_t)v;
            break;
        case 'b':
            if (!cli_parse_int(optarg, 0, 1000000, &v))
                return cli_usage_error("probe", USAGE, "--bootstrap wants a count, not '%s'", optarg);
            a.n_boot = (int32_t)v;
            break;
        case 'c': a.control = 1; break;
        case 'y': a.control = 1; a.control_types = optarg; break;
        case 'o': a.save = optarg; break;
        case 'j':
            if (!cli_parse_threads("probe", USAGE, optarg, &rc)) return rc;
            break;
        case 'J': a.json = optarg; break;
        case 'M':
            if ((rc = cli_parse_stream("probe", USAGE, optarg)) != CLI_OK) return rc;
            break;
        case 'q': a.quiet = nf.quiet = 1; break;
        case 'h': help(); return CLI_OK;
        case CLI_OPT_DROP_NONFINITE: nf.drop = 1; break;
        CLI_PLOT_CASES:
            if ((rc = cli_plot_option(&a.plot, c, optarg, "probe", USAGE)) != CLI_OK) return rc;
            break;
        default:
            return cli_usage_error("probe", USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_usage_error("probe", USAGE, "no input given");
    if (optind + 1 < argc) return cli_usage_error("probe", USAGE, "one input only (got '%s' too)", argv[optind + 1]);
    if (!a.labels) return cli_usage_error("probe", USAGE, "--labels is required");
    if (a.folds && test_frac_set) return cli_usage_error("probe", USAGE, "give --test-frac or --folds, not both");
    bool regression = a.o.method == GP_PROBE_RIDGE;
    if (regression && a.control) return cli_usage_error("probe", USAGE, "--control is for classifiers");
    a.spec = argv[optind];
    if (a.json && strcmp(a.json, "-") == 0) a.quiet = 1;
    if ((rc = cli_plot_check(&a.plot, "probe", USAGE)) != CLI_OK) return rc;
    a.want_scores = a.plot.path != NULL;
    if (cli_ranks() > 1) {
        if (a.folds || a.control || a.plot.path || nf.drop || (a.o.method == GP_PROBE_LOGISTIC && a.o.C <= 0))
            return cli_usage_error("probe", USAGE, "under mpirun: one held-out split with a fixed C; --folds, "
                                   "--C auto, --control, --plot and --drop-nonfinite need one process");
        if (cli_rank() != 0) a.quiet = 1;
        a.o.comm = cli_comm();
    }

    cJSON *report = cli_report_new("probe");
    gp_tensor *t = NULL;
    gp_labels *l = NULL, *types = NULL;
    gp_matrix X;
    eval_result real = {0}, ctl = {0};
    int32_t *ctl_y = NULL;
    /* Distributed: X is this rank's rows; the labels are those of all rows
     * (every rank's, in rank order), so the split is the one-process one. */
    bool loaded = cli_load_matrix("probe", a.spec, report, &nf, &t, &X);
    if (!cli_dist_ok(loaded)) {
        rc = CLI_FAIL;
    } else {
        cli_dist_offset(X.rows, &a.g0, &a.n_all);
        if (!cli_load_labels("probe", a.labels, a.spec, a.n_all, &l) ||
            (a.control_types && !cli_load_labels("probe", a.control_types, a.spec, a.n_all, &types)) ||
            cli_nonfinite_apply(&nf, "probe", report, l, !regression, types) != CLI_OK)
            rc = CLI_FAIL;
        /* --drop-nonfinite (one process only) may have dropped rows */
        if (cli_ranks() == 1) a.n_all = X.rows;
        if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    }
    if (rc == CLI_OK && regression && !gp_labels_is_numeric(l))
        rc = cli_fail("probe", "%s: ridge needs numeric targets; these labels are text", a.labels);
    const int32_t *y = rc == CLI_OK ? gp_labels_ids(l) : NULL;
    int32_t k = rc == CLI_OK ? gp_labels_n_classes(l) : 0;
    const double *target = (rc == CLI_OK && regression) ? gp_labels_values(l) : NULL;

    cJSON *par = cli_report_params(report);
    cJSON_AddStringToObject(par, "method", gp_probe_method_name(a.o.method));
    if (a.o.method == GP_PROBE_LOGISTIC) {
        if (a.o.C > 0) cJSON_AddNumberToObject(par, "C", a.o.C);
        else cJSON_AddStringToObject(par, "C", "auto");
        cJSON_AddBoolToObject(par, "balanced", a.o.class_weight_balanced);
        /* only when set, so that a converged: false can be traced to it */
        if (a.o.max_iter > 0) cJSON_AddNumberToObject(par, "max_iter", a.o.max_iter);
    }
    if (regression) cJSON_AddNumberToObject(par, "alpha", a.o.alpha);
    if (a.o.method == GP_PROBE_LDA || a.o.method == GP_PROBE_MASSMEAN_IID) {
        if (a.o.shrinkage >= 0) cJSON_AddNumberToObject(par, "shrinkage", a.o.shrinkage);
        else cJSON_AddStringToObject(par, "shrinkage", "ledoit-wolf");
    }
    cJSON_AddBoolToObject(par, "standardize", a.o.standardize);
    if (a.folds) cJSON_AddNumberToObject(par, "folds", a.folds);
    else cJSON_AddNumberToObject(par, "test_frac", a.test_frac);
    cJSON_AddNumberToObject(par, "seed", (double)a.seed);
    cJSON_AddNumberToObject(par, "bootstrap", a.n_boot);
    cJSON_AddStringToObject(par, "labels", a.labels);

    if (rc == CLI_OK) rc = evaluate(&a, &X, y, k, target, &real);
    if (rc == CLI_OK && a.control) {
        ctl_y = malloc((size_t)X.rows * sizeof *ctl_y);
        if (!ctl_y) rc = cli_fail("probe", "out of memory");
        else if (gp_control_labels(y, types ? gp_labels_ids(types) : NULL, X.rows, k, a.seed, ctl_y) != GP_OK)
            rc = cli_fail_gp("probe");
        probe_args ca = a;
        ca.n_boot = 0;
        ca.want_scores = 0;
        if (rc == CLI_OK) rc = evaluate(&ca, &X, ctl_y, k, NULL, &ctl);
    }
    /* The summary reads the results before they move into the report, and
     * is printed only once everything (save, JSON) succeeded. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    if (rc == CLI_OK && !out) rc = cli_fail("probe", "out of memory");
    if (rc == CLI_OK) print_summary(out, &a, &X, l, &real, a.control ? &ctl : NULL, regression);
    if (out) fclose(out);
    if (rc == CLI_OK) {
        const gp_probe *p = real.probe;
        cJSON_AddStringToObject(report, "method", gp_probe_method_name(a.o.method));
        cJSON_AddItemToObject(report, "train", real.train);
        cJSON_AddItemToObject(report, "test", real.test);
        if (real.cv) cJSON_AddItemToObject(report, "cv", real.cv);
        real.train = real.test = real.cv = NULL;
        cJSON_AddNumberToObject(report, "n", (double)a.n_all);
        cli_report_streaming(report, &X, 0);
        cJSON_AddNumberToObject(report, "d", (double)X.cols);
        if (!regression) {
            cJSON *names = cJSON_AddArrayToObject(report, "classes");
            for (int32_t i = 0; i < k; i++) cJSON_AddItemToArray(names, cJSON_CreateString(gp_labels_class_name(l, i)));
        }
        if (a.o.method == GP_PROBE_LOGISTIC) {
            cJSON_AddNumberToObject(report, "C", gp_probe_C(p));
            cJSON_AddNumberToObject(report, "n_iter", gp_probe_n_iter(p));
        }
        cJSON_AddBoolToObject(report, "converged", gp_probe_converged(p));
        int32_t m = gp_probe_n_outputs(p);
        cJSON *w = cJSON_AddArrayToObject(report, "weight");
        for (int32_t i = 0; i < m; i++) cJSON_AddItemToArray(w, cli_json_doubles(gp_probe_weight(p) + (size_t)i * (size_t)X.cols, X.cols));
        cJSON_AddItemToObject(report, "bias", cli_json_doubles(gp_probe_bias(p), m));
        if (a.control) {
            cJSON *cj = cJSON_AddObjectToObject(report, "control");
            cJSON_AddStringToObject(cj, "types", a.control_types ? a.control_types : "each row its own type");
            cJSON_AddNumberToObject(cj, "test_accuracy", ctl.test_accuracy);
            cJSON_AddNumberToObject(cj, "selectivity", real.test_accuracy - ctl.test_accuracy);
        }
        /* Separable training data: the L2 term alone keeps the weights
         * finite, and they grow with C. */
        const cJSON *tacc = cJSON_GetObjectItem(cJSON_GetObjectItem(report, "train"), "accuracy");
        if (a.o.method == GP_PROBE_LOGISTIC && gp_probe_C(p) >= 1e4 && tacc && tacc->valuedouble >= 1.0 &&
            cli_rank() == 0)
            fprintf(stderr, "geoprobe probe: warning: the training rows are perfectly separable and C = %g is "
                    "large: the weights grow with C; lower --C for a stable direction\n", gp_probe_C(p));
        if (!gp_probe_converged(p) && cli_rank() == 0)
            fprintf(stderr, "geoprobe probe: warning: %s did not converge in %d iterations (raise --max-iter, "
                    "or lower --C: the data may be separable)\n", gp_probe_method_name(a.o.method),
                    (int)gp_probe_n_iter(p));
    }
    /* The plot first (into a temporary file), so a failed plot writes
     * nothing; it takes its place only after every other output. */
    if (rc == CLI_OK && a.plot.path) rc = render_plot(&a, l, &real, report);
    if (rc == CLI_OK && a.save && cli_rank() == 0) rc = save_probe(&a, real.probe, l, report);
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    if (rc == CLI_OK && a.json && cli_rank() == 0) rc = cli_report_write(report, "probe", a.json);
    else cJSON_Delete(report);
    if (rc == CLI_OK) rc = cli_plot_commit(&a.plot, "probe");
    else cli_plot_discard(&a.plot);
    if (rc == CLI_OK && !a.quiet && text) fwrite(text, 1, text_len, stdout);
    free(text);
    free_result(&real);
    free_result(&ctl);
    free(ctl_y);
    gp_labels_free(l);
    gp_labels_free(types);
    gp_tensor_free(t);
    cli_nonfinite_free(&nf);
    return rc;
}
