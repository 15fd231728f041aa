/* cmd_apply.c — `geoprobe apply P.safetensors SPEC`: score activations
 * with a saved probe; with labels, report how well it reads them. A saved
 * contrast-pair probe (ccs, crc, vinc) takes two inputs, POS and NEG, and
 * normalizes them with the statistics saved from its training pairs. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE = "geoprobe apply P.safetensors SPEC [--labels Y] [--scores OUT.npy] [--json FILE]\n"
                           "                      [--drop-nonfinite]\n"
                           "       geoprobe apply P.safetensors POS NEG [--labels Y] [...]   (a ccs/crc/vinc probe)";

static void help(void) {
    printf("usage: %s\n\n"
           "Score activations with a probe saved by `geoprobe probe --save` (or any\n"
           ".safetensors with 'weight' (d,) or (k, d) and 'bias'). With --labels, report\n"
           "accuracy, AUROC, log-loss and ECE (classifiers) or R^2 and Pearson r (ridge).\n"
           "Labels are matched to the probe's classes by name, so a label file must use\n"
           "the same values the probe was trained on.\n\n"
           "A contrast-pair probe saved by `geoprobe ccs --save` takes two inputs, POS and\n"
           "NEG (row i of each = the two answers of statement i). They are normalized with\n"
           "the training pairs' saved statistics, never refitted. It reports the\n"
           "credence P(x+ true) of each pair and, with --labels (1 = x+ true), the\n"
           "accuracy: sign-calibrated when the probe was calibrated at training (with\n"
           "labels), plus the paper's max(acc, 1 - acc) as paper_accuracy.\n\n"
           "Under mpirun (make MPI=1) a contrast-pair probe is applied by every rank to\n"
           "its own contiguous pairs (or {rank} shards); the scores are gathered and\n"
           "rank 0 writes the report and --scores, equal to one process's. Other probes\n"
           "and --drop-nonfinite run without mpirun.\n\n"
           "options:\n"
           "  --labels Y        true labels (y.npy, y.txt, y.csv:COLUMN, y.json)\n"
           "  --scores OUT.npy  write the scores w.x + b, (n,) or (n, k) float64 (contrast\n"
           "                    pairs: P(x+ true), (n,))\n"
           "  --bootstrap N     resamples for 95%% intervals (default 1000; 0 = none)\n"
           "  --seed S          bootstrap seed (default 0)\n"
           "  -j, --threads N   BLAS threads\n"
           "  --json FILE       JSON report (- for stdout)\n"
           "  -q, --quiet       no summary on stdout\n"
           "  -h, --help        this help\n",
           USAGE);
    cli_nonfinite_print_help(20);
    printf("                    (--scores then has the kept rows only; the report lists\n"
           "                    the dropped ones)\n\n"
           "Example:\n"
           "  geoprobe probe train.npy --labels y_train.npy --test-frac 0 --save p.safetensors\n"
           "  geoprobe apply p.safetensors test.npy --labels y_test.npy\n"
           "  geoprobe ccs pos.npy neg.npy --labels y.npy --test-frac 0 --save c.safetensors\n"
           "  geoprobe apply c.safetensors new_pos.npy new_neg.npy --labels new_y.npy\n");
}

/* Map the label file's classes onto the probe's (k classes, names in the
 * metadata's "classes" JSON array, may be NULL) by name. */
static int map_labels(const char *classes, int32_t k, const char *path, const gp_labels *l, int32_t **y_out) {
    cJSON *names = classes ? cJSON_Parse(classes) : NULL;
    if (names && cJSON_GetArraySize(names) == 0) {
        cJSON_Delete(names);   /* saved without labels: no names to match */
        names = NULL;
        classes = NULL;
    }
    int32_t nl = gp_labels_n_classes(l);
    int32_t *map = malloc((size_t)nl * sizeof *map);
    int rc = map ? CLI_OK : cli_fail("apply", "out of memory");
    for (int32_t c = 0; c < nl && rc == CLI_OK; c++) {
        const char *name = gp_labels_class_name(l, c);
        map[c] = -1;
        if (names) {
            for (int32_t j = 0; j < cJSON_GetArraySize(names); j++) {
                const char *pn = cJSON_GetStringValue(cJSON_GetArrayItem(names, j));
                if (pn && strcmp(pn, name) == 0) map[c] = j;
            }
        } else if (nl == k || (k == 2 && nl == 1 && gp_labels_is_numeric(l))) {
            /* no names saved: assume the same sorted classes (a numeric
             * file holding one class: its value is the class id) */
            map[c] = nl == k ? c : (int32_t)gp_labels_values(l)[0];
        }
        if (map[c] < 0 || map[c] >= k) {
            rc = cli_fail("apply", "%s: label '%s' is not a class of the probe (classes: %s) — labels from "
                          "another run?", path, name, classes ? classes : "unnamed");
        }
    }
    int64_t n = gp_labels_n(l);
    int32_t *y = rc == CLI_OK ? malloc((size_t)n * sizeof *y) : NULL;
    if (rc == CLI_OK && !y) rc = cli_fail("apply", "out of memory");
    for (int64_t i = 0; rc == CLI_OK && i < n; i++) y[i] = map[gp_labels_ids(l)[i]];
    cJSON_Delete(names);
    free(map);
    *y_out = y;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Contrast-pair probes (ccs, crc, vinc)                               */
/* ------------------------------------------------------------------ */

typedef struct apply_opts {
    const char *probe, *pos, *neg, *labels, *scores, *json;
    int32_t n_boot;
    uint64_t seed;
    int quiet;
    cli_nonfinite *nf;   /* --drop-nonfinite */
} apply_opts;

/* 1 when path holds a contrast-pair probe (its normalization tensors, or
 * method ccs/crc/vinc in the metadata), 0 when not, -1 (error printed)
 * when the file cannot be read. */
static int is_pair_probe(const char *path) {
    gp_file *f = NULL;
    if (gp_file_open(path, &f) != GP_OK) {
        cli_fail_gp("apply");
        return -1;
    }
    int pair = gp_file_format(f) == GP_FORMAT_SAFETENSORS && gp_file_find_tensor(f, "pos_mean") >= 0;
    cJSON *meta = cJSON_Parse(gp_file_metadata_json(f));
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(meta, "method"));
    gp_ccs_method cm;
    if (m && gp_ccs_method_parse(m, &cm) == GP_OK) pair = 1;
    cJSON_Delete(meta);
    gp_file_close(f);
    return pair;
}

static const char *pair_method(const char *path) {
    static char name[16];
    gp_file *f = NULL;
    snprintf(name, sizeof name, "ccs");
    if (gp_file_open(path, &f) != GP_OK) return name;
    cJSON *meta = cJSON_Parse(gp_file_metadata_json(f));
    const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(meta, "method"));
    if (m) snprintf(name, sizeof name, "%s", m);
    cJSON_Delete(meta);
    gp_file_close(f);
    return name;
}

static int apply_pairs(const apply_opts *o) {
    cJSON *report = cli_report_new("apply");
    gp_ccs *c = NULL;
    gp_tensor *tp = NULL, *tn = NULL;
    gp_labels *l = NULL;
    gp_matrix P, N;
    int32_t *y = NULL;
    double *cred = NULL, *proba = NULL;
    cJSON *met = NULL;
    cli_ccs_eval ev = {0};
    int rc = CLI_OK;
    /* distributed: each rank scores its own contiguous pairs (or shards),
     * pair row0 onwards of n; the scores are gathered; rank 0 writes */
    bool dist = cli_ranks() > 1;
    if (gp_ccs_load(o->probe, &c) != GP_OK) rc = cli_fail_gp("apply");
    if (rc == CLI_OK && (!cli_load_matrix("apply", o->pos, report, o->nf, &tp, &P) ||
                         !cli_load_matrix("apply", o->neg, report, o->nf, &tn, &N)))
        rc = CLI_FAIL;
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    int64_t n = rc == CLI_OK ? P.rows : 0, row0 = 0;
    if (rc == CLI_OK && dist) {
        int64_t nneg = cli_dist_sum(N.rows);
        cli_dist_offset(P.rows, &row0, &n);
        if (n != nneg)
            rc = cli_fail("apply", "%s has %lld rows and %s %lld: row i of each must be the two answers of "
                          "statement i", o->pos, (long long)n, o->neg, (long long)nneg);
    }
    if (rc == CLI_OK && (P.rows != N.rows || P.cols != N.cols))
        rc = cli_fail("apply", "%s (%lld x %lld) and %s (%lld x %lld) differ in shape: row i of each must be the two "
                      "answers of statement i", o->pos, (long long)P.rows, (long long)P.cols, o->neg,
                      (long long)N.rows, (long long)N.cols);
    if (rc == CLI_OK && P.cols != gp_ccs_n_features(c))
        rc = cli_fail("apply", "%s: %lld features, but the probe %s was trained on %lld", o->pos, (long long)P.cols,
                      o->probe, (long long)gp_ccs_n_features(c));
    if (rc == CLI_OK && o->labels && !cli_load_labels("apply", o->labels, o->pos, n, &l)) rc = CLI_FAIL;
    if (rc == CLI_OK) rc = cli_nonfinite_apply(o->nf, "apply", report, l, false, NULL);
    if (rc == CLI_OK && !dist) n = P.rows;   /* after --drop-nonfinite */
    if (rc == CLI_OK && l) rc = map_labels(gp_ccs_metadata(c, "classes"), 2, o->labels, l, &y);
    size_t m = (size_t)(n ? n : 1);
    if (rc == CLI_OK && (!(cred = malloc(m * sizeof *cred)) || !(proba = malloc(m * sizeof *proba))))
        rc = cli_fail("apply", "out of memory");
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    if (rc == CLI_OK && dist) {
        rc = cli_ccs_score_dist("apply", c, &P, &N, row0, n, y, o->n_boot, o->seed, NULL, NULL, cred, proba, &met, &ev);
    } else if (rc == CLI_OK) {
        if (gp_ccs_credence(c, &P, &N, NULL, NULL, cred) != GP_OK || gp_ccs_predict_proba(c, &P, &N, proba) != GP_OK)
            rc = cli_fail_gp("apply");
        if (rc == CLI_OK) rc = cli_ccs_score("apply", c, &P, &N, y, o->n_boot, o->seed, NULL, NULL, &met, &ev);
    }
    if (rc == CLI_OK) cli_report_distributed(report, P.rows);   /* collective */
    bool writer = cli_rank() == 0;
    if (rc == CLI_OK && o->scores && writer) {
        int64_t shape[1] = {n};
        if (gp_npy_write(o->scores, GP_DTYPE_F64, 1, shape, proba) != GP_OK) rc = cli_fail_gp("apply");
    }
    const char *method = c ? gp_ccs_method_name(gp_ccs_get_method(c)) : "";
    if (rc == CLI_OK) {
        cJSON *par = cli_report_params(report);
        cJSON_AddStringToObject(par, "probe", o->probe);
        if (o->labels) cJSON_AddStringToObject(par, "labels", o->labels);
        cJSON_AddNumberToObject(par, "bootstrap", o->n_boot);
        cJSON_AddNumberToObject(par, "seed", (double)o->seed);
        cJSON_AddStringToObject(report, "method", method);
        cJSON_AddStringToObject(report, "norm", gp_ccs_norm_name(gp_ccs_get_norm(c)));
        cJSON_AddBoolToObject(report, "calibrated", ev.calibrated);
        cJSON_AddNumberToObject(report, "n", (double)n);
        if (y) {
            cJSON_AddNumberToObject(report, "accuracy", ev.calibrated ? ev.sign_calibrated_accuracy : ev.accuracy);
            cJSON_AddNumberToObject(report, "paper_accuracy", ev.accuracy);
            if (ev.calibrated) cJSON_AddNumberToObject(report, "sign_calibrated_accuracy", ev.sign_calibrated_accuracy);
            else cJSON_AddNullToObject(report, "sign_calibrated_accuracy");
            cJSON_AddNumberToObject(report, "auroc", ev.auroc);
        }
        cJSON_AddItemToObject(report, "metrics", met);
        met = NULL;
        cJSON_AddItemToObject(report, "credence", cli_json_doubles(cred, n));
        cJSON_AddItemToObject(report, "proba", cli_json_doubles(proba, n));
    }
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    if (rc == CLI_OK) {
        if (o->json && writer) rc = cli_report_write(report, "apply", o->json);
        else cJSON_Delete(report);
        report = NULL;
    }
    if (rc == CLI_OK && !o->quiet && writer) {
        const char *ncal = gp_ccs_metadata(c, "calibration_pairs");
        printf("apply %s to %s / %s: %lld pairs, %s probe (norm %s, %s)\n", o->probe, o->pos, o->neg,
               (long long)n, method, gp_ccs_norm_name(gp_ccs_get_norm(c)),
               ev.calibrated ? "sign calibrated at training" : "uncalibrated: the sign is unknown");
        if (ncal && ev.calibrated) printf("  calibrated on %s labeled training pairs\n", ncal);
        if (y && ev.calibrated)
            printf("  accuracy %.4f (sign-calibrated)  paper-style %.4f  AUROC %.4f\n", ev.sign_calibrated_accuracy,
                   ev.accuracy, ev.auroc);
        else if (y)
            printf("  paper-style accuracy %.4f (max(acc, 1 - acc))  AUROC %.4f (of the raw credence)\n", ev.accuracy,
                   ev.auroc);
        printf("  mean credence %.4f\n", ev.credence_mean);
        if (o->scores) printf("  P(x+ true) written to %s\n", o->scores);
    }
    cJSON_Delete(report);
    cJSON_Delete(met);
    free(cred);
    free(proba);
    free(y);
    gp_labels_free(l);
    gp_tensor_free(tp);
    gp_tensor_free(tn);
    gp_ccs_free(c);
    cli_nonfinite_free(o->nf);
    return rc;
}

int cmd_apply(int argc, char **argv) {
    static const struct option opts[] = {
        {"labels", required_argument, NULL, 'L'}, {"scores", required_argument, NULL, 'O'},
        {"bootstrap", required_argument, NULL, 'b'}, {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 'j'}, {"json", required_argument, NULL, 'J'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        CLI_NONFINITE_OPTION,                      {NULL, 0, NULL, 0}};
    const char *labels = NULL, *scores_path = NULL, *json = NULL;
    int32_t n_boot = 1000;
    uint64_t seed = 0;
    int quiet = 0, c, rc = CLI_OK;
    long long v;
    cli_nonfinite nf;
    cli_nonfinite_init(&nf);
    optind = 0;  /* 0, not 1: a full reset, so commands can run again in one process (sweep) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:j:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'L': labels = optarg; break;
        case 'O': scores_path = optarg; break;
        case 'b':
            if (!cli_parse_int(optarg, 0, 1000000, &v))
                return cli_usage_error("apply", USAGE, "--bootstrap wants a count, not '%s'", optarg);
            n_boot = (int32_t)v;
            break;
        case 's':
            if (!cli_parse_int(optarg, 0, INT64_MAX, &v))
                return cli_usage_error("apply", USAGE, "--seed wants a non-negative integer, not '%s'", optarg);
            seed = (uint64_t)v;
            break;
        case 'j':
            if (!cli_parse_threads("apply", USAGE, optarg, &rc)) return rc;
            break;
        case 'J': json = optarg; break;
        case 'q': quiet = nf.quiet = 1; break;
        case 'h': help(); return CLI_OK;
        case CLI_OPT_DROP_NONFINITE: nf.drop = 1; break;
        default:
            return cli_usage_error("apply", USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind < 2) return cli_usage_error("apply", USAGE, "give a probe file and its input(s)");
    if (argc - optind > 3)
        return cli_usage_error("apply", USAGE, "a probe file and one input (two, POS and NEG, for a contrast-pair probe)");
    const char *probe_path = argv[optind], *spec = argv[optind + 1];
    if (json && strcmp(json, "-") == 0) quiet = 1;
    apply_opts ao = {probe_path, spec, argc - optind == 3 ? argv[optind + 2] : NULL, labels, scores_path, json,
                     n_boot, seed, quiet, &nf};
    int pair = is_pair_probe(probe_path);
    if (pair < 0) return CLI_FAIL;
    if (cli_ranks() > 1 && !pair)
        return cli_fail("apply", "%s: under mpirun apply scores contrast-pair probes (ccs, crc, vinc) only; run "
                        "it without mpirun", probe_path);
    if (cli_ranks() > 1 && nf.drop)
        return cli_usage_error("apply", USAGE, "--drop-nonfinite needs every pair in one process: run it without "
                               "mpirun");
    if (pair && !ao.neg)
        return cli_fail("apply", "%s is a contrast-pair probe (%s): give two inputs, POS and NEG (row i of each = "
                        "the two answers of statement i)", probe_path, pair_method(probe_path));
    if (pair) return apply_pairs(&ao);
    if (ao.neg) {
        gp_probe *q = NULL;
        if (gp_probe_load(probe_path, &q) != GP_OK) return cli_fail_gp("apply");
        rc = cli_fail("apply", "%s is a %s probe: give one input, not two (POS NEG is for probes saved by "
                      "`geoprobe ccs`)", probe_path, gp_probe_method_name(gp_probe_get_method(q)));
        gp_probe_free(q);
        return rc;
    }

    cJSON *report = cli_report_new("apply");
    gp_probe *p = NULL;
    gp_tensor *t = NULL;
    gp_labels *l = NULL;
    gp_matrix X;
    int32_t *y = NULL;
    double *sc = NULL;
    if (gp_probe_load(probe_path, &p) != GP_OK) rc = cli_fail_gp("apply");
    if (rc == CLI_OK && !cli_load_matrix("apply", spec, report, &nf, &t, &X)) rc = CLI_FAIL;
    if (rc == CLI_OK && X.cols != gp_probe_n_features(p))
        rc = cli_fail("apply", "%s: %lld features, but the probe %s was trained on %lld", spec,
                      (long long)X.cols, probe_path, (long long)gp_probe_n_features(p));
    if (rc == CLI_OK && labels && !cli_load_labels("apply", labels, spec, X.rows, &l)) rc = CLI_FAIL;
    if (rc == CLI_OK) rc = cli_nonfinite_apply(&nf, "apply", report, l, false, NULL);
    int32_t m = p ? gp_probe_n_outputs(p) : 1;
    bool regression = p && gp_probe_n_classes(p) == 0;
    if (rc == CLI_OK) {
        sc = malloc((size_t)X.rows * (size_t)m * sizeof *sc);
        if (!sc) rc = cli_fail("apply", "out of memory");
        else if (gp_probe_decision(p, &X, sc) != GP_OK) rc = cli_fail_gp("apply");
    }
    cJSON *met = NULL;
    char line[400] = "";
    if (rc == CLI_OK && l) {
        if (regression) {
            gp_regression_metrics rm;
            if (!gp_labels_is_numeric(l)) rc = cli_fail("apply", "%s: a ridge probe needs numeric targets", labels);
            else if (gp_regression_metrics_compute(gp_labels_values(l), sc, X.rows, &rm) != GP_OK) rc = cli_fail_gp("apply");
            else {
                met = cli_json_regression(&rm);
                snprintf(line, sizeof line, "R^2 %.4f  Pearson r %.4f  MSE %.4g", rm.r2, rm.pearson_r, rm.mse);
            }
        } else {
            gp_metrics mm;
            rc = map_labels(gp_probe_metadata(p, "classes"), gp_probe_n_classes(p), labels, l, &y);
            if (rc == CLI_OK) rc = cli_score_classes("apply", p, &X, y, n_boot, seed, NULL, &met, &mm);
            if (rc == CLI_OK)
                snprintf(line, sizeof line, "accuracy %.4f  AUROC %.4f  log-loss %.4f  ECE %.4f", mm.accuracy,
                         mm.auroc, mm.log_loss, mm.ece);
        }
    }
    if (rc == CLI_OK && scores_path) {
        int64_t shape[2] = {X.rows, m};
        if (gp_npy_write(scores_path, GP_DTYPE_F64, m == 1 ? 1 : 2, shape, sc) != GP_OK) rc = cli_fail_gp("apply");
    }
    if (rc == CLI_OK) {
        cJSON *par = cli_report_params(report);
        cJSON_AddStringToObject(par, "probe", probe_path);
        if (labels) cJSON_AddStringToObject(par, "labels", labels);
        cJSON_AddNumberToObject(par, "bootstrap", n_boot);
        cJSON_AddNumberToObject(par, "seed", (double)seed);
        cJSON_AddStringToObject(report, "method", gp_probe_method_name(gp_probe_get_method(p)));
        cJSON_AddNumberToObject(report, "n", (double)X.rows);
        if (met) {
            const char *keys[] = {"accuracy", "auroc", "r2", "pearson_r"};
            for (size_t i = 0; i < 4; i++) {
                const cJSON *it = cJSON_GetObjectItem(met, keys[i]);
                if (it) cJSON_AddNumberToObject(report, keys[i], it->valuedouble);
            }
            cJSON_AddItemToObject(report, "metrics", met);
            met = NULL;
        }
        if (rc == CLI_OK && json) rc = cli_report_write(report, "apply", json);
        else cJSON_Delete(report);
        report = NULL;
        if (rc == CLI_OK && !quiet) {
            printf("apply %s to %s: %lld rows, %s probe\n", probe_path, spec, (long long)X.rows,
                   gp_probe_method_name(gp_probe_get_method(p)));
            if (*line) printf("  %s\n", line);
            if (scores_path) printf("  scores written to %s\n", scores_path);
        }
    }
    cJSON_Delete(report);
    cJSON_Delete(met);
    free(sc);
    free(y);
    gp_labels_free(l);
    gp_tensor_free(t);
    gp_probe_free(p);
    cli_nonfinite_free(&nf);
    return rc;
}
