/* cmd_apply.c — `geoprobe apply P.safetensors SPEC`: score activations
 * with a saved probe; with labels, report how well it reads them. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE = "geoprobe apply P.safetensors SPEC [--labels Y] [--scores OUT.npy] [--json FILE]";

static void help(void) {
    printf("usage: %s\n\n"
           "Score activations with a probe saved by `geoprobe probe --save` (or any\n"
           ".safetensors with 'weight' (d,) or (k, d) and 'bias'). With --labels, report\n"
           "accuracy, AUROC, log-loss and ECE (classifiers) or R^2 and Pearson r (ridge).\n"
           "Labels are matched to the probe's classes by name, so a label file must use\n"
           "the same values the probe was trained on.\n\n"
           "options:\n"
           "  --labels Y        true labels (y.npy, y.txt, y.csv:COLUMN, y.json)\n"
           "  --scores OUT.npy  write the scores w.x + b, (n,) or (n, k) float64\n"
           "  --bootstrap N     resamples for 95%% intervals (default 1000; 0 = none)\n"
           "  --seed S          bootstrap seed (default 0)\n"
           "  -j, --threads N   BLAS threads\n"
           "  --json FILE       JSON report (- for stdout)\n"
           "  -q, --quiet       no summary on stdout\n"
           "  -h, --help        this help\n\n"
           "Example:\n"
           "  geoprobe probe train.npy --labels y_train.npy --test-frac 0 --save p.safetensors\n"
           "  geoprobe apply p.safetensors test.npy --labels y_test.npy\n",
           USAGE);
}

/* Map the label file's classes onto the probe's by name. */
static int map_labels(const gp_probe *p, const char *path, const gp_labels *l, int32_t **y_out) {
    const char *classes = gp_probe_metadata(p, "classes");
    cJSON *names = classes ? cJSON_Parse(classes) : NULL;
    int32_t k = gp_probe_n_classes(p), nl = gp_labels_n_classes(l);
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
        } else if (nl == k) {
            map[c] = c;   /* no names saved: assume the same sorted classes */
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

int cmd_apply(int argc, char **argv) {
    static const struct option opts[] = {
        {"labels", required_argument, NULL, 'L'}, {"scores", required_argument, NULL, 'O'},
        {"bootstrap", required_argument, NULL, 'b'}, {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 'j'}, {"json", required_argument, NULL, 'J'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *labels = NULL, *scores_path = NULL, *json = NULL;
    int32_t n_boot = 1000;
    uint64_t seed = 0;
    int quiet = 0, c, rc = CLI_OK;
    long long v;
    optind = 1;
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
        case 'q': quiet = 1; break;
        case 'h': help(); return CLI_OK;
        default:
            return cli_usage_error("apply", USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2) return cli_usage_error("apply", USAGE, "give a probe file and one input");
    const char *probe_path = argv[optind], *spec = argv[optind + 1];
    if (json && strcmp(json, "-") == 0) quiet = 1;

    cJSON *report = cli_report_new("apply");
    gp_probe *p = NULL;
    gp_tensor *t = NULL;
    gp_labels *l = NULL;
    gp_matrix X;
    int32_t *y = NULL;
    double *sc = NULL;
    if (gp_probe_load(probe_path, &p) != GP_OK) rc = cli_fail_gp("apply");
    if (rc == CLI_OK && !cli_load_matrix("apply", spec, report, &t, &X)) rc = CLI_FAIL;
    if (rc == CLI_OK && X.cols != gp_probe_n_features(p))
        rc = cli_fail("apply", "%s: %lld features, but the probe %s was trained on %lld", spec,
                      (long long)X.cols, probe_path, (long long)gp_probe_n_features(p));
    if (rc == CLI_OK && labels && !cli_load_labels("apply", labels, spec, X.rows, &l)) rc = CLI_FAIL;
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
            rc = map_labels(p, labels, l, &y);
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
    return rc;
}
