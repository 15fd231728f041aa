/* cmd_info.c — `geoprobe info SPEC...`: what is in an activation file,
 * and whether it is healthy (NaN/Inf, norms, outlier dimensions). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *USAGE = "geoprobe info SPEC... [--labels Y] [--json FILE]";

static void help(void) {
    printf("usage: %s\n\n"
           "For each input: path, tensor, shape, dtype, bytes, count of NaN and Inf,\n"
           "min/max/mean, mean and max row L2 norm, and the feature dimensions with the\n"
           "largest mean |x| (real LLM activations have a few huge outlier dimensions).\n"
           "A .safetensors file given without a tensor name lists its tensors.\n\n"
           "SPEC: FILE.npy | FILE.safetensors[:TENSOR] , optionally followed by @L\n"
           "      (index L of the first axis of a 3-D layers x n x d array; @-1 = last)\n"
           "Arrays of 3 or more dimensions are summarized as rows of the last axis.\n\n"
           "options:\n"
           "  --labels Y    also read labels (y.npy, y.txt, y.csv:COLUMN, y.json), check\n"
           "                that there is one per row of every input, count each class\n"
           "  --json FILE   also write a JSON report (- for stdout; then the text\n"
           "                summary goes to stderr)\n"
           "  -h, --help    this help\n\n"
           "Example:\n"
           "  geoprobe info datasets/larger_than/plain_layer3.npy\n"
           "  geoprobe info model.safetensors                 # list its tensors\n"
           "  geoprobe info dump.npy@12 --labels y.npy --json info.json\n",
           USAGE);
}

static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < ndim && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? " x " : "", (long long)shape[i]);
    if (ndim == 0) snprintf(buf, n, "scalar");
}

/* A safetensors file with several tensors and no name: list them. */
static int list_tensors(const gp_file *f, FILE *out, cJSON *report) {
    int n = gp_file_n_tensors(f);
    fprintf(out, "%s: safetensors, %d tensors, %llu bytes\n", gp_file_path(f), n,
            (unsigned long long)gp_file_size(f));
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "path", gp_file_path(f));
    cJSON_AddStringToObject(entry, "format", "safetensors");
    cJSON *list = cJSON_AddArrayToObject(entry, "tensors");
    for (int i = 0; i < n; i++) {
        int64_t shape[GP_MAX_DIMS];
        int nd = gp_file_tensor_ndim(f, i);
        for (int a = 0; a < nd; a++) shape[a] = gp_file_tensor_dim(f, i, a);
        char st[200];
        shape_text(st, sizeof st, nd, shape);
        fprintf(out, "  %-40s %-9s %s\n", gp_file_tensor_name(f, i),
                gp_dtype_name(gp_file_tensor_dtype(f, i)), st);
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "name", gp_file_tensor_name(f, i));
        cJSON_AddStringToObject(t, "dtype", gp_dtype_name(gp_file_tensor_dtype(f, i)));
        cJSON_AddItemToObject(t, "shape", cli_json_shape(nd, shape));
        cJSON_AddItemToArray(list, t);
    }
    const char *meta = gp_file_metadata_json(f);
    if (meta && strcmp(meta, "{}") != 0) fprintf(out, "  metadata: %s\n", meta);
    cJSON *m = cJSON_Parse(meta ? meta : "{}");
    cJSON_AddItemToObject(entry, "metadata", m ? m : cJSON_CreateObject());
    fprintf(out, "  (pick one as %s:NAME)\n", gp_file_path(f));
    cJSON_AddItemToArray(cJSON_GetObjectItem(report, "results"), entry);
    return CLI_OK;
}

static int describe_tensor(const char *spec, FILE *out, cJSON *report) {
    gp_tensor *t = NULL;
    if (gp_tensor_load(spec, GP_DTYPE_ANY, &t) != GP_OK) return cli_fail_gp("info");
    bool bf16_bits = false;
    gp_file *f = NULL;
    /* A uint16 .npy is how PyTorch users save bfloat16; show it as floats. */
    if (gp_tensor_stored_dtype(t) == GP_DTYPE_U16 &&
        gp_file_open(gp_tensor_path(t), &f) == GP_OK && gp_file_format(f) == GP_FORMAT_NPY) {
        gp_tensor_free(t);
        t = NULL;
        if (gp_tensor_load(spec, GP_DTYPE_F32, &t) != GP_OK) {
            gp_file_close(f);
            return cli_fail_gp("info");
        }
        bf16_bits = true;
    }
    gp_file_close(f);
    if (!cli_report_add_input(report, "info", t)) {
        gp_tensor_free(t);
        return CLI_FAIL;
    }
    int nd = gp_tensor_ndim(t);
    int64_t shape[GP_MAX_DIMS];
    for (int a = 0; a < nd; a++) shape[a] = gp_tensor_dim(t, a);
    /* Rows of the last axis, whatever the rank. */
    gp_matrix X = {gp_tensor_dtype(t), 1, 1, 1, (void *)gp_tensor_data(t)};
    if (nd >= 1) {
        X.cols = X.ld = shape[nd - 1];
        X.rows = X.cols ? gp_tensor_numel(t) / X.cols : 0;
    }
    gp_matrix_stats st;
    if (gp_matrix_stats_compute(&X, &st) != GP_OK) {
        gp_tensor_free(t);
        return cli_fail_gp("info");
    }
    char stxt[200];
    shape_text(stxt, sizeof stxt, nd, shape);
    const char *name = gp_tensor_name(t);
    const char *dtype = bf16_bits ? "bfloat16 (stored as uint16)" : gp_dtype_name(gp_tensor_stored_dtype(t));
    uint64_t bytes = (uint64_t)gp_tensor_numel(t) * gp_dtype_size(gp_tensor_stored_dtype(t));
    fprintf(out, "%s%s%s", gp_tensor_path(t), *name ? ":" : "", name);
    if (gp_tensor_layer(t) >= 0) fprintf(out, "@%lld", (long long)gp_tensor_layer(t));
    fprintf(out, "\n  shape      %s  (%s, %llu bytes%s)\n", stxt, dtype, (unsigned long long)bytes,
            gp_tensor_is_mapped(t) ? ", memory-mapped" : "");
    fprintf(out, "  non-finite %lld NaN, %lld Inf", (long long)st.n_nan, (long long)st.n_inf);
    if (st.first_bad_row >= 0)
        fprintf(out, "  (first at row %lld, column %lld)", (long long)st.first_bad_row,
                (long long)st.first_bad_col);
    fprintf(out, "\n  values     min %.6g  max %.6g  mean %.6g\n", st.min, st.max, st.mean);
    fprintf(out, "  row norm   mean %.6g  max %.6g  (%lld rows of %lld)\n", st.mean_row_norm,
            st.max_row_norm, (long long)X.rows, (long long)X.cols);
    if (st.n_top > 0) {
        fprintf(out, "  top dims   by mean |x| (median dim %.4g):", st.median_dim_mean_abs);
        for (int k = 0; k < st.n_top; k++) {
            double ratio = st.median_dim_mean_abs > 0 ? st.top_dims_mean_abs[k] / st.median_dim_mean_abs : 0;
            fprintf(out, "%s %lld: %.4g (%.1fx)", k % 4 ? "," : "\n            ",
                    (long long)st.top_dims[k], st.top_dims_mean_abs[k], ratio);
        }
        fputc('\n', out);
    }

    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "path", gp_tensor_path(t));
    if (*name) cJSON_AddStringToObject(e, "tensor", name);
    else cJSON_AddNullToObject(e, "tensor");
    if (gp_tensor_layer(t) >= 0) cJSON_AddNumberToObject(e, "layer", (double)gp_tensor_layer(t));
    cJSON_AddItemToObject(e, "shape", cli_json_shape(nd, shape));
    cJSON_AddStringToObject(e, "dtype", bf16_bits ? "bfloat16" : gp_dtype_name(gp_tensor_stored_dtype(t)));
    cJSON_AddNumberToObject(e, "bytes", (double)bytes);
    cJSON_AddBoolToObject(e, "memory_mapped", gp_tensor_is_mapped(t));
    cJSON_AddNumberToObject(e, "nan_count", (double)st.n_nan);
    cJSON_AddNumberToObject(e, "inf_count", (double)st.n_inf);
    if (st.first_bad_row >= 0) {
        int64_t rc[2] = {st.first_bad_row, st.first_bad_col};
        cJSON_AddItemToObject(e, "first_nonfinite", cli_json_shape(2, rc));
    } else {
        cJSON_AddNullToObject(e, "first_nonfinite");
    }
    cJSON_AddNumberToObject(e, "min", st.min);
    cJSON_AddNumberToObject(e, "max", st.max);
    cJSON_AddNumberToObject(e, "mean", st.mean);
    cJSON_AddNumberToObject(e, "mean_row_norm", st.mean_row_norm);
    cJSON_AddNumberToObject(e, "max_row_norm", st.max_row_norm);
    cJSON_AddNumberToObject(e, "median_dim_mean_abs", st.median_dim_mean_abs);
    cJSON *top = cJSON_AddArrayToObject(e, "top_dims");
    for (int k = 0; k < st.n_top; k++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddNumberToObject(d, "dim", (double)st.top_dims[k]);
        cJSON_AddNumberToObject(d, "mean_abs", st.top_dims_mean_abs[k]);
        cJSON_AddItemToArray(top, d);
    }
    cJSON_AddItemToArray(cJSON_GetObjectItem(report, "results"), e);
    gp_tensor_free(t);
    return CLI_OK;
}

/* Class counts, and one label per row of every input. */
static int describe_labels(const char *spec, const cJSON *results, FILE *out, cJSON *report) {
    gp_labels *l = NULL;
    if (gp_labels_load(spec, &l) != GP_OK) return cli_fail_gp("info");
    int64_t n = gp_labels_n(l);
    const cJSON *r;
    cJSON_ArrayForEach(r, results) {
        const cJSON *shape = cJSON_GetObjectItem(r, "shape");
        int nd = cJSON_GetArraySize(shape);
        if (!shape || nd == 0) continue;   /* a tensor listing */
        int64_t rows = (int64_t)cJSON_GetArrayItem(shape, 0)->valuedouble;
        if (nd >= 3) rows = (int64_t)cJSON_GetArrayItem(shape, nd - 2)->valuedouble;
        if (rows != n) {
            int rc = cli_fail("info", "%s: %lld labels, but %s has %lld rows (labels from another run?)",
                              spec, (long long)n, cJSON_GetObjectItem(r, "path")->valuestring,
                              (long long)rows);
            gp_labels_free(l);
            return rc;
        }
    }
    int32_t k = gp_labels_n_classes(l);
    fprintf(out, "%s\n  labels     %lld, %d classes%s:", spec, (long long)n, (int)k,
            gp_labels_is_numeric(l) ? " (numeric)" : "");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "path", spec);
    cJSON_AddNumberToObject(e, "n", (double)n);
    cJSON_AddNumberToObject(e, "n_classes", k);
    cJSON *classes = cJSON_AddArrayToObject(e, "classes");
    const int32_t *ids = gp_labels_ids(l);
    for (int32_t c = 0; c < k; c++) {
        int64_t count = 0;
        for (int64_t i = 0; i < n; i++) count += ids[i] == c;
        if (c < 20) fprintf(out, "%s %s: %lld", c ? "," : "", gp_labels_class_name(l, c), (long long)count);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", gp_labels_class_name(l, c));
        cJSON_AddNumberToObject(o, "count", (double)count);
        cJSON_AddItemToArray(classes, o);
    }
    fprintf(out, "%s\n", k > 20 ? ", ..." : "");
    cJSON_AddItemToObject(report, "labels", e);
    gp_labels_free(l);
    return CLI_OK;
}

static bool is_file(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISREG(s.st_mode);
}

int cmd_info(int argc, char **argv) {
    static const struct option opts[] = {
        {"json", required_argument, NULL, 'J'}, {"labels", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *json = NULL, *labels = NULL;
    int c;
    optind = 0;  /* 0, not 1: a full reset, so commands can run again in one process (sweep) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'J': json = optarg; break;
        case 'L': labels = optarg; break;
        case 'h': help(); return CLI_OK;
        default:
            return cli_usage_error("info", USAGE, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    /* GNU getopt permutes: options may come before or after the inputs. */
    if (optind >= argc) return cli_usage_error("info", USAGE, "no input given");
    /* The text summary is held until everything succeeded, so a failure
     * prints one error line and nothing else. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    if (!out) return cli_fail("info", "out of memory");
    cJSON *report = cli_report_new("info");
    cJSON_AddArrayToObject(report, "results");
    int rc = CLI_OK;
    for (int i = optind; i < argc && rc == CLI_OK; i++) {
        const char *spec = argv[i];
        gp_file *f = NULL;
        if (is_file(spec) && gp_file_open(spec, &f) == GP_OK &&
            gp_file_format(f) == GP_FORMAT_SAFETENSORS && gp_file_n_tensors(f) != 1) {
            rc = list_tensors(f, out, report);
        } else {
            rc = describe_tensor(spec, out, report);
        }
        gp_file_close(f);
    }
    if (rc == CLI_OK && labels)
        rc = describe_labels(labels, cJSON_GetObjectItem(report, "results"), out, report);
    if (rc == CLI_OK && json) rc = cli_report_write(report, "info", json);
    else cJSON_Delete(report);
    fclose(out);
    if (rc == CLI_OK) {
        /* With --json - the report owns stdout; the summary goes to stderr. */
        FILE *dest = (json && strcmp(json, "-") == 0) ? stderr : stdout;
        fwrite(text, 1, text_len, dest);
    }
    free(text);
    return rc;
}
