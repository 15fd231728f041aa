/* cmd_pca.c — `geoprobe pca SPEC`: principal components of one activation
 * matrix, their variance, and (with labels) where the classes sit. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "geoprobe pca SPEC [-k K] [--solver auto|cov|svd|randomized] [--labels Y]\n"
    "                    [--components OUT.npy] [--project OUT.npy] [--whiten] [--seed S] [--json FILE]";

static void help(void) {
    printf("usage: %s\n\n"
           "Principal component analysis of an activation matrix (n rows x d features):\n"
           "components, explained variance and ratio, singular values, projections.\n"
           "Components have a fixed sign (largest-|v| entry positive, scikit-learn >= 1.5's\n"
           "rule), so results are the same on every BLAS and compare directly.\n\n"
           "options:\n"
           "  -k, --n-components K   components to keep (default: all, min(n, d))\n"
           "  --solver S             auto (default): cov when n >= d, svd when n < d,\n"
           "                         randomized when k is small next to min(n, d)\n"
           "                         cov: d x d covariance by float32 BLAS over row blocks,\n"
           "                              float64 eigensolver (streams files larger than RAM)\n"
           "                         svd: thin SVD of the centered matrix\n"
           "                         randomized: Halko-Martinsson-Tropp, seeded\n"
           "  --labels Y             also report class centroids in PC space and the share\n"
           "                         of the class separation each component carries\n"
           "  --components OUT.npy   write the components, k x d float64\n"
           "  --project OUT.npy      write the projections (X - mean) C^T, n x k float32\n"
           "  --whiten               scale projections to unit variance\n"
           "  --seed S               randomized solver seed (default 0)\n"
           "  --power-iter N         randomized: block Krylov depth, N + 1 passes over X\n"
           "                         (default auto: 3, or 2 when k is large)\n"
           "  --oversamples N        randomized: extra dimensions (default 10)\n"
           "  --block-rows N         rows per block for the covariance (default auto)\n"
           "  -j, --threads N        BLAS threads (default: all cores)\n"
           "  --json FILE            JSON report (- for stdout)\n"
           "  -q, --quiet            no table on stdout\n"
           "  -h, --help             this help\n\n"
           "Example:\n"
           "  geoprobe pca datasets/larger_than/plain_layer3.npy -k 10 \\\n"
           "      --labels datasets/larger_than/labels.npy --json pca.json\n",
           USAGE);
}

static bool parse_solver(const char *s, gp_pca_solver *out) {
    static const gp_pca_solver all[] = {GP_PCA_AUTO, GP_PCA_COV, GP_PCA_SVD, GP_PCA_RANDOMIZED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, gp_pca_solver_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

typedef struct pca_args {
    const char *spec, *labels, *components, *project, *json;
    int quiet;
    gp_pca_opts opts;
} pca_args;

/* Class centroids and separation: adds "classes" to the report. */
static int report_classes(const pca_args *a, const gp_pca *p, const gp_matrix *X, cJSON *report,
                          FILE *out) {
    gp_labels *l = NULL;
    if (!cli_load_labels("pca", a->labels, a->spec, X->rows, &l)) return CLI_FAIL;
    int32_t nc = gp_labels_n_classes(l);
    int64_t k = gp_pca_n_components(p);
    double *cent = malloc((size_t)nc * (size_t)k * sizeof *cent);
    double *share = malloc((size_t)k * sizeof *share);
    gp_class_separation sep;
    int rc = CLI_OK;
    if (!cent || !share) rc = cli_fail("pca", "out of memory");
    else if (gp_pca_class_centroids(p, X, gp_labels_ids(l), nc, cent, share) != GP_OK ||
             gp_class_separation_compute(X, gp_labels_ids(l), nc, &sep) != GP_OK)
        rc = cli_fail_gp("pca");
    if (rc == CLI_OK) {
        cJSON *c = cJSON_AddObjectToObject(report, "classes");
        cJSON_AddStringToObject(c, "labels", a->labels);
        cJSON *names = cJSON_AddArrayToObject(c, "names");
        cJSON *cents = cJSON_AddArrayToObject(c, "centroids");
        for (int32_t i = 0; i < nc; i++) {
            cJSON_AddItemToArray(names, cJSON_CreateString(gp_labels_class_name(l, i)));
            cJSON_AddItemToArray(cents, cli_json_doubles(cent + (size_t)i * (size_t)k, k));
        }
        cJSON_AddItemToObject(c, "separation_share", cli_json_doubles(share, k));
        cJSON *s = cJSON_AddObjectToObject(c, "separation");
        cJSON_AddNumberToObject(s, "mean_distance", sep.mean_distance);
        cJSON_AddNumberToObject(s, "within_std", sep.within_std);
        cJSON_AddNumberToObject(s, "fisher_ratio", sep.fisher_ratio);
        cJSON_AddNumberToObject(s, "between_var_fraction", sep.between_var_fraction);
        cJSON_AddNumberToObject(s, "mean_dir_var_fraction", sep.mean_dir_var_fraction);
        fprintf(out, "\nclasses (%s): %d; between-class variance %.4g%% of the total", a->labels,
                (int)nc, 100 * sep.between_var_fraction);
        if (nc == 2) fprintf(out, ", Fisher ratio %.4g", sep.fisher_ratio);
        fprintf(out, "\n  PC  separation share  centroids\n");
        for (int64_t j = 0; j < k && j < 10; j++) {
            fprintf(out, "  %2lld  %15.4f%%  ", (long long)j + 1, 100 * share[j]);
            for (int32_t i = 0; i < nc && i < 6; i++)
                fprintf(out, " %s: %-+10.4g", gp_labels_class_name(l, i),
                        cent[(size_t)i * (size_t)k + (size_t)j]);
            fprintf(out, "\n");
        }
    }
    free(cent);
    free(share);
    gp_labels_free(l);
    return rc;
}

static int write_outputs(const pca_args *a, const gp_pca *p, const gp_matrix *X) {
    int64_t k = gp_pca_n_components(p), d = gp_pca_n_features(p);
    if (a->components) {
        int64_t shape[2] = {k, d};
        if (gp_npy_write(a->components, GP_DTYPE_F64, 2, shape, gp_pca_components(p)) != GP_OK)
            return cli_fail_gp("pca");
    }
    if (a->project) {
        float *proj = malloc((size_t)X->rows * (size_t)k * sizeof *proj + 1);
        if (!proj) return cli_fail("pca", "out of memory for %lld x %lld projections",
                                   (long long)X->rows, (long long)k);
        int64_t shape[2] = {X->rows, k};
        int rc = CLI_OK;
        if (gp_pca_transform(p, X, proj, k) != GP_OK ||
            gp_npy_write(a->project, GP_DTYPE_F32, 2, shape, proj) != GP_OK)
            rc = cli_fail_gp("pca");
        free(proj);
        return rc;
    }
    return CLI_OK;
}

static void print_table(const pca_args *a, const gp_pca *p, const gp_matrix *X, double secs,
                        FILE *out) {
    int64_t k = gp_pca_n_components(p);
    const double *ev = gp_pca_explained_variance(p), *r = gp_pca_explained_variance_ratio(p);
    const double *sv = gp_pca_singular_values(p);
    fprintf(out, "pca %s: %lld x %lld, k %lld, solver %s, %.3g s\n", a->spec, (long long)X->rows,
           (long long)X->cols, (long long)k, gp_pca_solver_name(gp_pca_solver_used(p)), secs);
    fprintf(out, "  PC      variance     ratio  cumulative  singular value\n");
    double cum = 0;
    for (int64_t j = 0; j < k; j++) {
        cum += r[j];
        if (j < 10 || j == k - 1)
            fprintf(out, "  %2lld  %12.6g  %7.4f%%  %9.4f%%  %14.6g\n", (long long)j + 1, ev[j],
                   100 * r[j], 100 * cum, sv[j]);
        else if (j == 10)
            fprintf(out, "  ...\n");
    }
}

int cmd_pca(int argc, char **argv) {
    static const struct option opts[] = {
        {"n-components", required_argument, NULL, 'k'}, {"solver", required_argument, NULL, 'S'},
        {"labels", required_argument, NULL, 'L'},       {"components", required_argument, NULL, 'C'},
        {"project", required_argument, NULL, 'P'},      {"whiten", no_argument, NULL, 'W'},
        {"seed", required_argument, NULL, 's'},         {"power-iter", required_argument, NULL, 'I'},
        {"oversamples", required_argument, NULL, 'O'},  {"block-rows", required_argument, NULL, 'B'},
        {"threads", required_argument, NULL, 'j'},      {"json", required_argument, NULL, 'J'},
        {"quiet", no_argument, NULL, 'q'},              {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    pca_args a = {0};
    gp_pca_opts_init(&a.opts);
    int c, rc = CLI_OK;
    long long v;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "k:s:j:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (!cli_parse_int(optarg, 1, INT64_MAX, &v))
                return cli_usage_error("pca", USAGE, "-k wants a positive number, not '%s'", optarg);
            a.opts.n_components = v;
            break;
        case 'S':
            if (!parse_solver(optarg, &a.opts.solver))
                return cli_usage_error("pca", USAGE, "unknown solver '%s' (auto, cov, svd, randomized)", optarg);
            break;
        case 'L': a.labels = optarg; break;
        case 'C': a.components = optarg; break;
        case 'P': a.project = optarg; break;
        case 'W': a.opts.whiten = 1; break;
        case 's':
            if (!cli_parse_int(optarg, 0, INT64_MAX, &v))
                return cli_usage_error("pca", USAGE, "--seed wants a non-negative integer, not '%s'", optarg);
            a.opts.seed = (uint64_t)v;
            break;
        case 'I':
            if (!cli_parse_int(optarg, 0, 100, &v))
                return cli_usage_error("pca", USAGE, "--power-iter wants 0..100, not '%s'", optarg);
            a.opts.n_power_iter = (int32_t)v;
            break;
        case 'O':
            if (!cli_parse_int(optarg, 0, 10000, &v))
                return cli_usage_error("pca", USAGE, "--oversamples wants 0..10000, not '%s'", optarg);
            a.opts.n_oversamples = (int32_t)v;
            break;
        case 'B':
            if (!cli_parse_int(optarg, 1, INT64_MAX, &v))
                return cli_usage_error("pca", USAGE, "--block-rows wants a positive number, not '%s'", optarg);
            a.opts.block_rows = v;
            break;
        case 'j':
            if (!cli_parse_threads("pca", USAGE, optarg, &rc)) return rc;
            break;
        case 'J': a.json = optarg; break;
        case 'q': a.quiet = 1; break;
        case 'h': help(); return CLI_OK;
        default:
            return cli_usage_error("pca", USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_usage_error("pca", USAGE, "no input given");
    if (optind + 1 < argc) return cli_usage_error("pca", USAGE, "one input only (got '%s' too)", argv[optind + 1]);
    a.spec = argv[optind];
    if (a.json && strcmp(a.json, "-") == 0) a.quiet = 1;

    /* Text is held until everything succeeded: a failure prints one line. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    if (!out) return cli_fail("pca", "out of memory");
    cJSON *report = cli_report_new("pca");
    gp_tensor *t = NULL;
    gp_matrix X;
    gp_pca *p = NULL;
    if (!cli_load_matrix("pca", a.spec, report, &t, &X)) {
        cJSON_Delete(report);
        fclose(out);
        free(text);
        return CLI_FAIL;
    }
    double t0 = cli_seconds();
    if (gp_pca_fit(&X, &a.opts, &p) != GP_OK) rc = cli_fail_gp("pca");
    double secs = cli_seconds() - t0;
    if (rc == CLI_OK) {
        int64_t k = gp_pca_n_components(p), d = gp_pca_n_features(p);
        cJSON *par = cli_report_params(report);
        cJSON_AddNumberToObject(par, "n_components", (double)a.opts.n_components);
        cJSON_AddStringToObject(par, "solver", gp_pca_solver_name(a.opts.solver));
        cJSON_AddBoolToObject(par, "whiten", a.opts.whiten);
        cJSON_AddNumberToObject(par, "seed", (double)a.opts.seed);
        cJSON_AddNumberToObject(par, "n_power_iter", a.opts.n_power_iter);
        cJSON_AddNumberToObject(par, "n_oversamples", a.opts.n_oversamples);
        if (a.labels) cJSON_AddStringToObject(par, "labels", a.labels);
        cJSON_AddNumberToObject(report, "n", (double)X.rows);
        cJSON_AddNumberToObject(report, "d", (double)d);
        cJSON_AddNumberToObject(report, "k", (double)k);
        cJSON_AddStringToObject(report, "solver", gp_pca_solver_name(gp_pca_solver_used(p)));
        cJSON_AddItemToObject(report, "explained_variance", cli_json_doubles(gp_pca_explained_variance(p), k));
        cJSON_AddItemToObject(report, "explained_variance_ratio",
                              cli_json_doubles(gp_pca_explained_variance_ratio(p), k));
        cJSON_AddItemToObject(report, "singular_values", cli_json_doubles(gp_pca_singular_values(p), k));
        const double *mu = gp_pca_mean(p);
        double mn = 0;
        for (int64_t j = 0; j < d; j++) mn += mu[j] * mu[j];
        cJSON_AddNumberToObject(report, "mean_norm", sqrt(mn));
        cJSON_AddNumberToObject(report, "total_variance", gp_pca_total_variance(p));
        cJSON_AddNumberToObject(report, "fit_seconds", secs);
        print_table(&a, p, &X, secs, out);
        if (a.labels) rc = report_classes(&a, p, &X, report, out);
    }
    if (rc == CLI_OK) rc = write_outputs(&a, p, &X);
    if (rc == CLI_OK && a.json) rc = cli_report_write(report, "pca", a.json);
    else cJSON_Delete(report);
    fclose(out);
    if (rc == CLI_OK && !a.quiet) fwrite(text, 1, text_len, stdout);
    free(text);
    gp_pca_free(p);
    gp_tensor_free(t);
    return rc;
}
