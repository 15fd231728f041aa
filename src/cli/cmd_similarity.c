/* cmd_similarity.c — `geoprobe similarity A B [C ...]`: linear CKA between
 * activation matrices (layers on the same inputs) or cosine similarity
 * between directions (probe weights, components). Two inputs give one
 * value, more give the full matrix. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *USAGE = "geoprobe similarity SPEC SPEC... [--metric cka|cosine] [--debiased] [--json FILE]\n"
                           "                    [--plot OUT.png|svg|pdf] [--drop-nonfinite] [--stream auto|on|off]";

static void help(void) {
    printf("usage: %s\n\n"
           "cka (default): linear CKA between activation matrices with the same rows, e.g.\n"
           "    two layers on the same inputs. Computed in feature space on centered data,\n"
           "    ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F), never forming n x n matrices\n"
           "    when n > d. --debiased uses the unbiased HSIC estimator (Song et al. 2012).\n"
           "    A constant input (rank 0 after centering, like a token-embedding layer at a\n"
           "    fixed token) has CKA 0 with everything and is flagged as degenerate.\n"
           "cosine: cosine similarity between directions. Each SPEC gives one direction\n"
           "    (a 1-D array), several (the rows of a 2-D array), or a saved probe's weight\n"
           "    (a .safetensors probe file: its 'weight' tensor).\n\n"
           "Two directions or matrices give one value; more give the full matrix.\n\n"
           "options:\n"
           "  --metric cka|cosine   (default cka)\n"
           "  --debiased            debiased CKA (needs n >= 4)\n"
           "  --stream M            auto (default), on, off: give back the pages of\n"
           "                        memory-mapped inputs behind each block of rows (files\n"
           "                        larger than memory; auto: larger than a quarter of it)\n"
           "  -j, --threads N       BLAS threads (default: all cores)\n"
           "  --json FILE           JSON report (- for stdout)\n"
           "  -q, --quiet           no text on stdout\n"
           "  -h, --help            this help\n",
           USAGE);
    cli_nonfinite_print_help(24);
    printf("                        cka only: a row is dropped from every input when any\n"
           "                        input has a NaN/Inf in it (CKA needs the same rows);\n"
           "                        a direction with NaN/Inf (cosine) is always an error\n\n"
           "plot: a heatmap of the full matrix (two inputs: 2 x 2), rows and columns named\n"
           "by input (file name without extension, with :TENSOR, @L, [row]), color range\n"
           "[0, 1] for CKA and [-1, 1] for cosine.\n");
    cli_plot_print_help(24, true);
    printf("\nDistributed (make MPI=1): mpirun -np N geoprobe similarity A B ... splits the\n"
           "rows of the CKA inputs into N contiguous shares (a SPEC with {rank}: one file per\n"
           "process); rank 0 writes. --drop-nonfinite needs one process.\n");
    printf("\nExamples:\n"
           "  geoprobe similarity datasets/larger_than/plain_layer{1,2,3,4,5}.npy\n"
           "  geoprobe similarity datasets/larger_than/plain_layer{1,2,3,4,5}.npy --plot cka.png\n"
           "  geoprobe similarity probe_l3.safetensors probe_l4.safetensors --metric cosine\n");
}

static const char *short_name(const char *spec) {
    const char *s = strrchr(spec, '/');
    return s ? s + 1 : spec;
}

/* A probe file given without a tensor name means its weight. */
static char *direction_spec(const char *spec) {
    struct stat st;
    gp_file *f = NULL;
    char *out = NULL;
    if (stat(spec, &st) == 0 && S_ISREG(st.st_mode) && gp_file_open(spec, &f) == GP_OK &&
        gp_file_format(f) == GP_FORMAT_SAFETENSORS && gp_file_n_tensors(f) > 1 &&
        gp_file_find_tensor(f, "weight") >= 0) {
        size_t n = strlen(spec) + 8;
        out = malloc(n);
        if (out) snprintf(out, n, "%s:weight", spec);
    }
    gp_file_close(f);
    return out ? out : strdup(spec);
}

/* Rows carry the names; columns the row numbers, so wide names fit. */
static void print_matrix(FILE *out, int m, char **names, const double *v) {
    fprintf(out, "%-30s", "");
    for (int j = 0; j < m; j++) {
        char col[16];
        snprintf(col, sizeof col, "[%d]", j);
        fprintf(out, " %10s", col);
    }
    fputc('\n', out);
    for (int i = 0; i < m; i++) {
        fprintf(out, "[%2d] %-25.25s", i, names[i]);
        for (int j = 0; j < m; j++) fprintf(out, " %10.4f", v[i * m + j]);
        fputc('\n', out);
    }
}

/* Cosine: stack every input's directions into one (m, d) float64 matrix. */
static int run_cosine(int n_in, char **specs, cJSON *report, int *m_out, char ***names_out,
                      double **val_out) {
    double *A = NULL;
    char **names = NULL;
    int m = 0;
    int64_t d = -1;
    int rc = CLI_OK;
    for (int i = 0; i < n_in && rc == CLI_OK; i++) {
        char *spec = direction_spec(specs[i]);
        gp_tensor *t = NULL;
        if (!spec || gp_tensor_load(spec, GP_DTYPE_F64, &t) != GP_OK) {
            rc = spec ? cli_fail_gp("similarity") : cli_fail("similarity", "out of memory");
            free(spec);
            break;
        }
        gp_matrix X;
        int nd = gp_tensor_ndim(t);
        if (nd == 1) {
            X = (gp_matrix){GP_DTYPE_F64, 1, gp_tensor_dim(t, 0), gp_tensor_dim(t, 0), (void *)gp_tensor_data(t)};
        } else if (gp_tensor_matrix(t, &X) != GP_OK) {
            rc = cli_fail_gp("similarity");
        }
        if (rc == CLI_OK && gp_matrix_check_finite(&X, spec, NULL, NULL) != GP_OK) rc = cli_fail_gp("similarity");
        if (rc == CLI_OK && d >= 0 && X.cols != d)
            rc = cli_fail("similarity", "%s: directions have %lld dimensions, %s has %lld", spec,
                          (long long)X.cols, specs[0], (long long)d);
        if (rc == CLI_OK && !cli_report_add_input(report, "similarity", t)) rc = CLI_FAIL;
        if (rc == CLI_OK) {
            d = X.cols;
            double *A2 = realloc(A, (size_t)(m + X.rows) * (size_t)d * sizeof *A);
            char **n2 = realloc(names, (size_t)(m + X.rows) * sizeof *names);
            if (A2) A = A2;
            if (n2) names = n2;
            if (!A2 || !n2) rc = cli_fail("similarity", "out of memory");
            for (int64_t r = 0; rc == CLI_OK && r < X.rows; r++) {
                memcpy(A + (size_t)m * (size_t)d, (const double *)X.data + r * X.ld, (size_t)d * sizeof *A);
                char buf[300];
                if (X.rows == 1) snprintf(buf, sizeof buf, "%s", short_name(specs[i]));
                else snprintf(buf, sizeof buf, "%s[%lld]", short_name(specs[i]), (long long)r);
                names[m++] = strdup(buf);
            }
        }
        gp_tensor_free(t);
        free(spec);
    }
    double *val = NULL;
    if (rc == CLI_OK && m < 2)
        rc = cli_fail("similarity", "cosine needs two or more directions; got %d", m);
    if (rc == CLI_OK) {
        val = malloc((size_t)m * (size_t)m * sizeof *val);
        gp_matrix M = {GP_DTYPE_F64, m, d, d, A};
        if (!val) rc = cli_fail("similarity", "out of memory");
        else if (gp_cosine_matrix(&M, val) != GP_OK) rc = cli_fail_gp("similarity");
    }
    free(A);
    *m_out = m;
    *names_out = names;
    *val_out = val;
    return rc;
}

/* CKA between every pair of inputs. */
static int run_cka(int n_in, char **specs, int debiased, cli_nonfinite *nf, cJSON *report,
                   char ***names_out, double **val_out, int **degen_out) {
    gp_tensor **t = calloc((size_t)n_in, sizeof *t);
    gp_matrix *X = calloc((size_t)n_in, sizeof *X);
    double *val = calloc((size_t)n_in * (size_t)n_in, sizeof *val);
    int *degen = calloc((size_t)n_in, sizeof *degen);
    char **names = calloc((size_t)n_in, sizeof *names);
    int rc = (t && X && val && degen && names) ? CLI_OK : cli_fail("similarity", "out of memory");
    for (int i = 0; i < n_in && rc == CLI_OK; i++) {
        if (!cli_load_matrix("similarity", specs[i], report, nf, &t[i], &X[i])) rc = CLI_FAIL;
        else if (i > 0 && X[i].rows != X[0].rows)
            rc = cli_fail("similarity", "%s has %lld rows but %s has %lld: CKA compares the same inputs",
                          specs[i], (long long)X[i].rows, specs[0], (long long)X[0].rows);
        names[i] = strdup(short_name(specs[i]));
    }
    /* distributed: every rank has its rows before the first collective */
    if (!cli_dist_ok(rc == CLI_OK)) rc = CLI_FAIL;
    if (rc == CLI_OK) rc = cli_nonfinite_apply(nf, "similarity", report, NULL, false, NULL);
    if (rc == CLI_OK) {
        cli_report_streaming(report, &X[0], 0);
        cli_report_distributed(report, X[0].rows);
    }
    for (int i = 0; i < n_in && rc == CLI_OK; i++) {
        for (int j = i; j < n_in && rc == CLI_OK; j++) {
            int dg = 0;
            double v;
            if (gp_cka_comm(&X[i], &X[j], debiased, cli_comm(), &v, &dg) != GP_OK) {
                rc = cli_fail_gp("similarity");
                break;
            }
            val[i * n_in + j] = val[j * n_in + i] = v;
            if (dg && i == j) degen[i] = 1;
        }
    }
    for (int i = 0; t && i < n_in; i++) gp_tensor_free(t[i]);
    cli_nonfinite_free(nf);
    free(t);
    free(X);
    *names_out = names;
    *val_out = val;
    *degen_out = degen;
    return rc;
}

/* The heatmap of the m x m matrix. */
static int render_plot(cli_plot *plot, int m, char **names, const double *val, int cosine, int debiased,
                       cJSON *report) {
    if (m < 1) return cli_fail("similarity", "nothing to plot");
    char **labels = calloc((size_t)m, sizeof *labels);
    int rc = labels ? CLI_OK : cli_fail("similarity", "out of memory");
    for (int i = 0; rc == CLI_OK && i < m; i++)
        if (!(labels[i] = cli_plot_short_name(names[i]))) rc = cli_fail("similarity", "out of memory");
    if (rc == CLI_OK) {
        cli_chart ch = {.kind = CLI_CHART_HEATMAP,
                        .title = cosine ? "Cosine similarity" : debiased ? "Debiased linear CKA" : "Linear CKA"};
        ch.heatmap = (gp_plot_heatmap_data){
            .rows = m, .cols = m, .values = val, .row_names = (const char *const *)labels,
            .col_names = (const char *const *)labels, .has_range = 1, .vmin = cosine ? -1 : 0, .vmax = 1,
            .show_values = -1, .colorbar_label = cosine ? "cosine" : debiased ? "debiased CKA" : "CKA"};
        rc = cli_plot_render(plot, "similarity", &ch, report);
    }
    for (int i = 0; labels && i < m; i++) free(labels[i]);
    free(labels);
    return rc;
}

int cmd_similarity(int argc, char **argv) {
    static const struct option opts[] = {
        {"metric", required_argument, NULL, 'M'}, {"debiased", no_argument, NULL, 'D'},
        {"threads", required_argument, NULL, 'j'}, {"json", required_argument, NULL, 'J'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"stream", required_argument, NULL, 'S'}, CLI_PLOT_OPTIONS,
        CLI_NONFINITE_OPTION,
        {NULL, 0, NULL, 0}};
    const char *json = NULL;
    int cosine = 0, debiased = 0, quiet = 0, c, rc = CLI_OK;
    cli_nonfinite nf;
    cli_nonfinite_init(&nf);
    cli_plot plot;
    cli_plot_init(&plot);
    optind = 0;  /* 0, not 1: a full reset, so commands can run again in one process (sweep) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "j:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'M':
            if (strcmp(optarg, "cka") == 0) cosine = 0;
            else if (strcmp(optarg, "cosine") == 0) cosine = 1;
            else return cli_usage_error("similarity", USAGE, "unknown metric '%s' (cka, cosine)", optarg);
            break;
        case 'D': debiased = 1; break;
        case 'j':
            if (!cli_parse_threads("similarity", USAGE, optarg, &rc)) return rc;
            break;
        case 'J': json = optarg; break;
        case 'S':
            if ((rc = cli_parse_stream("similarity", USAGE, optarg)) != CLI_OK) return rc;
            break;
        case 'q': quiet = nf.quiet = 1; break;
        case 'h': help(); return CLI_OK;
        case CLI_OPT_DROP_NONFINITE: nf.drop = 1; break;
        CLI_PLOT_CASES:
            if ((rc = cli_plot_option(&plot, c, optarg, "similarity", USAGE)) != CLI_OK) return rc;
            break;
        default:
            return cli_usage_error("similarity", USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    int n_in = argc - optind;
    if (n_in < 1 || (!cosine && n_in < 2))
        return cli_usage_error("similarity", USAGE, "give two or more inputs");
    if (debiased && cosine) return cli_usage_error("similarity", USAGE, "--debiased is for --metric cka");
    /* Directions are not rows of activations: one with a NaN/Inf is a
     * broken probe or dump, never a row to skip. */
    if (nf.drop && cosine)
        return cli_usage_error("similarity", USAGE, "--drop-nonfinite is for --metric cka: a direction with NaN/Inf "
                               "is broken, not a row to skip");
    if (json && strcmp(json, "-") == 0) quiet = 1;
    if ((rc = cli_plot_check(&plot, "similarity", USAGE)) != CLI_OK) return rc;
    if (cli_ranks() > 1) {
        if (nf.drop) return cli_usage_error("similarity", USAGE, "--drop-nonfinite needs one process: run it without mpirun");
        if (cli_rank() != 0) quiet = 1;
    }

    cJSON *report = cli_report_new("similarity");
    cJSON *par = cli_report_params(report);
    cJSON_AddStringToObject(par, "metric", cosine ? "cosine" : "cka");
    cJSON_AddBoolToObject(par, "debiased", debiased);
    char **names = NULL;
    double *val = NULL;
    int *degen = NULL, m = n_in;
    if (cosine) rc = run_cosine(n_in, argv + optind, report, &m, &names, &val);
    else rc = run_cka(n_in, argv + optind, debiased, &nf, report, &names, &val, &degen);

    if (rc == CLI_OK) {
        cJSON_AddStringToObject(report, "metric", cosine ? "cosine" : (debiased ? "cka_debiased" : "cka"));
        cJSON *nm = cJSON_AddArrayToObject(report, "names");
        for (int i = 0; i < m; i++) cJSON_AddItemToArray(nm, cJSON_CreateString(names[i]));
        if (m == 2) {
            cJSON_AddNumberToObject(report, "value", val[1]);
        } else {
            cJSON *mat = cJSON_AddArrayToObject(report, "matrix");
            for (int i = 0; i < m; i++) cJSON_AddItemToArray(mat, cli_json_doubles(val + (size_t)i * (size_t)m, m));
        }
        /* The plot before any output (into a temporary file, put in place
         * at the end), so a failed plot writes nothing. */
        if (cli_rank() == 0) rc = render_plot(&plot, m, names, val, cosine, debiased, report);
    }
    if (rc == CLI_OK) {
        if (degen) {
            cJSON *dg = cJSON_AddArrayToObject(report, "degenerate");
            for (int i = 0; i < m; i++) {
                if (!degen[i] || cli_rank() != 0) continue;
                cJSON_AddItemToArray(dg, cJSON_CreateString(names[i]));
                fprintf(stderr, "geoprobe similarity: note: %s is constant across rows (rank 0): "
                        "its CKA is 0 with everything\n", names[i]);
            }
        }
    }
    if (rc == CLI_OK && json && cli_rank() == 0) rc = cli_report_write(report, "similarity", json);
    else cJSON_Delete(report);
    if (rc == CLI_OK && cli_rank() == 0) rc = cli_plot_commit(&plot, "similarity");
    else cli_plot_discard(&plot);
    if (rc == CLI_OK && !quiet) {
        if (m == 2) printf("%s %s %s: %.6f\n", cosine ? "cosine" : "CKA", names[0], names[1], val[1]);
        else print_matrix(stdout, m, names, val);
    }
    for (int i = 0; names && i < m; i++) free(names[i]);
    free(names);
    free(val);
    free(degen);
    return rc;
}
