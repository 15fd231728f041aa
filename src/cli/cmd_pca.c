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
    "                    [--components OUT.npy] [--project OUT.npy] [--whiten] [--seed S] [--json FILE]\n"
    "                    [--drop-nonfinite] [--block-rows N] [--stream auto|on|off]\n"
    "                    [--plot OUT.png|svg|pdf [--plot-kind scatter|scree] [--pcs A,B] [--log]]";

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
           "  --oversamples N        randomized: extra dimensions (default auto: 10, rounded\n"
           "                         up so that k + N is a multiple of 16)\n"
           "  --block-rows N         rows per block of the passes over X (default: about\n"
           "                         32 MB of rows, 4 MB for randomized, at most 1/16 of\n"
           "                         the memory available)\n"
           "  --stream M             auto (default), on, off: give back the pages of a\n"
           "                         memory-mapped SPEC behind each block, so a file larger\n"
           "                         than memory streams through O(block x d + d^2) memory\n"
           "                         (randomized also keeps n x (q + 1)(k + p) floats of\n"
           "                         products when they fit in 1/8 of the memory available,\n"
           "                         else its last pass computes them all again); auto\n"
           "                         streams files larger than a quarter of the available\n"
           "                         memory\n"
           "  -j, --threads N        BLAS threads (default: all cores)\n"
           "  --json FILE            JSON report (- for stdout)\n"
           "  -q, --quiet            no table on stdout\n"
           "  -h, --help             this help\n",
           USAGE);
    cli_nonfinite_print_help(25);
    printf("\nplot:\n");
    cli_plot_print_help(25, true);
    printf("  --plot-kind K          scatter (default): the rows on two components, colored\n"
           "                         by --labels class, with each class's centroid (numeric\n"
           "                         labels with more than 12 values: a color scale);\n"
           "                         scree: explained-variance ratio per component and the\n"
           "                         cumulative ratio\n"
           "  --pcs A,B              the scatter's components, 1-based (default 1,2); -k\n"
           "                         must keep them\n"
           "  --log                  scree: log scale for the per-component ratios\n\n"
           "Distributed (make MPI=1): mpirun -np N geoprobe pca SPEC ... splits the rows\n"
           "into N contiguous shares (cov or randomized; the svd solver needs one\n"
           "process); a SPEC with {rank} gives each process its own file\n"
           "(acts_{rank}.npy). Rank 0 writes every output; --labels, --drop-nonfinite\n"
           "and the scatter plot need one process.\n\n"
           "Examples:\n"
           "  geoprobe pca datasets/larger_than/plain_layer3.npy -k 10 \\\n"
           "      --labels datasets/larger_than/labels.npy --json pca.json\n"
           "  geoprobe pca datasets/larger_than/plain_layer3.npy \\\n"
           "      --labels datasets/larger_than/labels.npy --plot pca.png --pcs 1,3\n");
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
    cli_plot plot;
    int scree, log_scale, pcs_set; /* --plot-kind scree, --log, --pcs given */
    int64_t pc[2];                 /* --pcs, 0-based                       */
} pca_args;

/* Class centroids and separation: adds "classes" to the report. */
static int report_classes(const pca_args *a, const gp_labels *l, const gp_pca *p, const gp_matrix *X,
                          cJSON *report, FILE *out) {
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
    return rc;
}

/* Numeric labels with more distinct values than this (a regression target,
 * a position...) are drawn as a color scale rather than as classes. */
enum { MAX_CLASS_COLORS = 12 };

/* The chart: the rows on two components, or the scree. Drawn into a
 * temporary file, put in place after every other output is written. */
static int render_plot(pca_args *a, const gp_labels *l, const gp_pca *p, const gp_matrix *X,
                       cJSON *report) {
    /* no --plot: nothing to draw, and no pass over X for the projections */
    if (!a->plot.path) return CLI_OK;
    int64_t k = gp_pca_n_components(p), n = X->rows;
    const double *ratio = gp_pca_explained_variance_ratio(p);
    const char *base = strrchr(a->spec, '/') ? strrchr(a->spec, '/') + 1 : a->spec;
    char title[512];
    cli_chart ch = {0};
    if (a->scree) {
        snprintf(title, sizeof title, "Explained variance: %s", base);
        ch.kind = CLI_CHART_SCREE;
        ch.title = title;
        ch.scree = (gp_plot_scree_data){.k = k, .ratio = ratio, .log_scale = a->log_scale};
        return cli_plot_render(&a->plot, "pca", &ch, report);
    }
    if (a->pc[0] >= k || a->pc[1] >= k)
        return cli_fail("pca", "%s: --pcs %lld,%lld: the fit has %lld component%s (min(n, d) = %lld)", a->spec,
                        (long long)a->pc[0] + 1, (long long)a->pc[1] + 1, (long long)k, k == 1 ? "" : "s",
                        (long long)(X->rows < X->cols ? X->rows : X->cols));
    /* The two projections only, (x - mean) . v (/ sqrt(ev) when whitened,
     * as gp_pca_transform does), in float64: never an n x k buffer. */
    double *xy = malloc(2 * (size_t)n * sizeof *xy + 1);
    const char **names = NULL;
    char *value_label = NULL;
    int rc = CLI_OK;
    if (!xy) rc = cli_fail("pca", "out of memory for the %lld plotted points", (long long)n);
    const double *mu = gp_pca_mean(p), *ev = gp_pca_explained_variance(p);
    for (int c = 0; rc == CLI_OK && c < 2; c++) {
        const double *v = gp_pca_components(p) + (size_t)a->pc[c] * (size_t)X->cols;
        double s = 1;
        if (a->opts.whiten) s = ev[a->pc[c]] > 0 ? 1 / sqrt(ev[a->pc[c]]) : 0;
        for (int64_t i = 0; i < n; i++) {
            const float *row = (const float *)X->data + (size_t)i * (size_t)X->ld;
            double dot = 0;
            for (int64_t j = 0; j < X->cols; j++) dot += ((double)row[j] - mu[j]) * v[j];
            xy[(size_t)c * (size_t)n + (size_t)i] = s * dot;
        }
    }
    char xl[96], yl[96];
    const char *wh = a->opts.whiten ? ", whitened" : "";
    snprintf(xl, sizeof xl, "PC%lld (%.1f%% var.%s)", (long long)a->pc[0] + 1, 100 * ratio[a->pc[0]], wh);
    snprintf(yl, sizeof yl, "PC%lld (%.1f%% var.%s)", (long long)a->pc[1] + 1, 100 * ratio[a->pc[1]], wh);
    snprintf(title, sizeof title, "PCA: %s", base);
    ch.kind = CLI_CHART_SCATTER;
    ch.title = title;
    ch.scatter = (gp_plot_scatter_data){.n = n, .x = xy, .y = xy + n, .x_label = xl, .y_label = yl};
    if (l) {
        int32_t nc = gp_labels_n_classes(l);
        if (nc > MAX_CLASS_COLORS && gp_labels_is_numeric(l)) {
            ch.scatter.values = gp_labels_values(l);
            value_label = cli_plot_short_name(a->labels);
            if (!value_label && rc == CLI_OK) rc = cli_fail("pca", "out of memory");
            ch.scatter.value_label = value_label;
        } else {
            names = malloc((size_t)nc * sizeof *names);
            if (!names && rc == CLI_OK) rc = cli_fail("pca", "out of memory");
            for (int32_t i = 0; names && i < nc; i++) names[i] = gp_labels_class_name(l, i);
            ch.scatter.ids = gp_labels_ids(l);
            ch.scatter.n_classes = nc;
            ch.scatter.class_names = names;
            ch.scatter.show_centroids = 1;
        }
    }
    if (rc == CLI_OK) rc = cli_plot_render(&a->plot, "pca", &ch, report);
    free(names);
    free(value_label);
    free(xy);
    return rc;
}

/* --pcs A,B: two different components, 1-based. */
static bool parse_pcs(const char *s, int64_t pc[2]) {
    const char *comma = strchr(s, ',');
    long long a, b;
    char first[32];
    size_t len = comma ? (size_t)(comma - s) : 0;
    if (!len || len >= sizeof first) return false;
    memcpy(first, s, len);
    first[len] = 0;
    if (!cli_parse_int(first, 1, INT32_MAX, &a) || !cli_parse_int(comma + 1, 1, INT32_MAX, &b) || a == b)
        return false;
    pc[0] = a - 1;
    pc[1] = b - 1;
    return true;
}

static int write_outputs(const pca_args *a, const gp_pca *p, const gp_matrix *X) {
    int64_t k = gp_pca_n_components(p), d = gp_pca_n_features(p);
    if (a->components && cli_rank() == 0) {
        int64_t shape[2] = {k, d};
        if (gp_npy_write(a->components, GP_DTYPE_F64, 2, shape, gp_pca_components(p)) != GP_OK)
            return cli_fail_gp("pca");
    }
    if (a->project) {
        float *proj = malloc((size_t)X->rows * (size_t)k * sizeof *proj + 1);
        if (!proj) return cli_fail("pca", "out of memory for %lld x %lld projections",
                                   (long long)X->rows, (long long)k);
        int rc = CLI_OK;
        if (gp_pca_transform(p, X, proj, k) != GP_OK) rc = cli_fail_gp("pca");
        /* distributed: every rank's rows, in rank order, to rank 0 */
        float *all = NULL;
        int64_t rows = X->rows;
        if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
        else if (!cli_dist_gather_rows(proj, X->rows, k, &all, &rows))
            rc = cli_fail("pca", "cannot gather the projections of every process");
        int64_t shape[2] = {rows, k};
        if (rc == CLI_OK && cli_rank() == 0 &&
            gp_npy_write(a->project, GP_DTYPE_F32, 2, shape, all ? all : proj) != GP_OK)
            rc = cli_fail_gp("pca");
        free(all);
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
    fprintf(out, "pca %s: %lld x %lld, k %lld, solver %s, %.3g s\n", a->spec, (long long)gp_pca_n_samples(p),
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
        {"plot-kind", required_argument, NULL, 'T'},    {"pcs", required_argument, NULL, 'X'},
        {"log", no_argument, NULL, 'G'},                {"stream", required_argument, NULL, 'M'},
        {"shard", required_argument, NULL, 'H'},        CLI_PLOT_OPTIONS,
        CLI_NONFINITE_OPTION,                           {NULL, 0, NULL, 0}};
    pca_args a = {0};
    gp_pca_opts_init(&a.opts);
    cli_plot_init(&a.plot);
    a.pc[0] = 0;
    a.pc[1] = 1;
    int kind_set = 0;
    const char *shard = NULL;
    int c, rc = CLI_OK;
    cli_nonfinite nf;
    cli_nonfinite_init(&nf);
    long long v;
    optind = 0;  /* 0, not 1: a full reset, so commands can run again in one process (sweep) */
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
        case 'M':
            if ((rc = cli_parse_stream("pca", USAGE, optarg)) != CLI_OK) return rc;
            break;
        case 'H': shard = optarg; break;
        case 'q': a.quiet = nf.quiet = 1; break;
        case 'h': help(); return CLI_OK;
        case CLI_OPT_DROP_NONFINITE: nf.drop = 1; break;
        case 'T':
            if (strcmp(optarg, "scatter") == 0) a.scree = 0;
            else if (strcmp(optarg, "scree") == 0) a.scree = 1;
            else return cli_usage_error("pca", USAGE, "unknown --plot-kind '%s' (scatter, scree)", optarg);
            kind_set = 1;
            break;
        case 'X':
            if (!parse_pcs(optarg, a.pc))
                return cli_usage_error("pca", USAGE, "--pcs wants two different components, 1-based, like 1,2; not '%s'",
                                       optarg);
            a.pcs_set = 1;
            break;
        case 'G': a.log_scale = 1; break;
        CLI_PLOT_CASES:
            if ((rc = cli_plot_option(&a.plot, c, optarg, "pca", USAGE)) != CLI_OK) return rc;
            break;
        default:
            return cli_usage_error("pca", USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (shard && optind < argc)
        return cli_usage_error("pca", USAGE, "--shard PATTERN is the input; '%s' is one too many", argv[optind]);
    if (shard && !strstr(shard, "{rank}"))
        return cli_usage_error("pca", USAGE, "--shard wants a pattern with {rank} (acts_{rank}.npy), not '%s'", shard);
    if (!shard && optind >= argc) return cli_usage_error("pca", USAGE, "no input given");
    if (optind + 1 < argc) return cli_usage_error("pca", USAGE, "one input only (got '%s' too)", argv[optind + 1]);
    a.spec = shard ? shard : argv[optind];
    if (cli_ranks() > 1) {
        if (a.labels || nf.drop || (a.plot.path && !a.scree))
            return cli_usage_error("pca", USAGE, "--labels, --drop-nonfinite and the scatter plot need all "
                                   "rows in one process: run them without mpirun");
        if (cli_rank() != 0) a.quiet = 1;
        a.opts.comm = cli_comm();
    }
    if (a.json && strcmp(a.json, "-") == 0) a.quiet = 1;
    if ((rc = cli_plot_check(&a.plot, "pca", USAGE)) != CLI_OK) return rc;
    if (!a.plot.path && (kind_set || a.pcs_set || a.log_scale))
        return cli_usage_error("pca", USAGE, "--plot-kind, --pcs and --log go with --plot FILE");
    if (a.scree && a.pcs_set) return cli_usage_error("pca", USAGE, "--pcs is for the scatter, not --plot-kind scree");
    if (!a.scree && a.log_scale) return cli_usage_error("pca", USAGE, "--log is for --plot-kind scree");
    int64_t top = a.pc[0] > a.pc[1] ? a.pc[0] : a.pc[1];
    if (a.plot.path && !a.scree && a.opts.n_components > 0 && top >= a.opts.n_components)
        return cli_usage_error("pca", USAGE, "--pcs %lld,%lld needs -k %lld or more (-k is %lld)",
                               (long long)a.pc[0] + 1, (long long)a.pc[1] + 1, (long long)top + 1,
                               (long long)a.opts.n_components);

    /* Text is held until everything succeeded: a failure prints one line. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    if (!out) return cli_fail("pca", "out of memory");
    cJSON *report = cli_report_new("pca");
    gp_tensor *t = NULL;
    gp_matrix X;
    gp_pca *p = NULL;
    gp_labels *l = NULL;
    bool loaded = cli_load_matrix("pca", a.spec, report, &nf, &t, &X) &&
                  (!a.labels || cli_load_labels("pca", a.labels, a.spec, X.rows, &l)) &&
                  cli_nonfinite_apply(&nf, "pca", report, l, true, NULL) == CLI_OK;
    /* distributed: every rank loaded its rows, before the first collective */
    if (!cli_dist_ok(loaded)) {
        cli_nonfinite_free(&nf);
        gp_labels_free(l);
        gp_tensor_free(t);
        cJSON_Delete(report);
        fclose(out);
        free(text);
        return CLI_FAIL;
    }
    double t0 = cli_seconds();
    if (gp_pca_fit(&X, &a.opts, &p) != GP_OK) rc = cli_fail_gp("pca");
    double secs = cli_seconds() - t0;
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
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
        cJSON_AddNumberToObject(report, "n", (double)gp_pca_n_samples(p));
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
        cli_report_streaming(report, &X, a.opts.block_rows);
        cli_report_distributed(report, X.rows);
        print_table(&a, p, &X, secs, out);
        if (l) rc = report_classes(&a, l, p, &X, report, out);
        if (a.plot.path) cJSON_AddStringToObject(par, "plot_kind", a.scree ? "scree" : "scatter");
    }
    /* The plot first (into a temporary file), so a failed plot writes
     * nothing; it takes its place only after every other output. */
    if (rc == CLI_OK && cli_rank() == 0) rc = render_plot(&a, l, p, &X, report);
    /* every rank takes part in the projections' gather; rank 0 writes */
    if (rc == CLI_OK) rc = write_outputs(&a, p, &X);
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    if (rc == CLI_OK && a.json && cli_rank() == 0) rc = cli_report_write(report, "pca", a.json);
    else cJSON_Delete(report);
    if (rc == CLI_OK && cli_rank() == 0) rc = cli_plot_commit(&a.plot, "pca");
    else cli_plot_discard(&a.plot);
    fclose(out);
    if (rc == CLI_OK && !a.quiet) fwrite(text, 1, text_len, stdout);
    free(text);
    gp_pca_free(p);
    gp_labels_free(l);
    gp_tensor_free(t);
    cli_nonfinite_free(&nf);
    return rc;
}
