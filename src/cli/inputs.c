/* inputs.c — loading what the numerical commands read: an activation
 * matrix (float32, finite, or with its NaN/Inf rows to drop: nonfinite.c;
 * recorded in the report) and labels that match its rows. Each failure
 * prints one line naming the file. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

bool cli_load_matrix(const char *cmd, const char *spec, cJSON *report, cli_nonfinite *nf,
                     gp_tensor **t, gp_matrix *X) {
    *t = NULL;
    /* A spec with {rank} names one shard per process (acts_{rank}.npy). */
    char *shard = cli_dist_shard(spec);
    if (shard) spec = shard;
    if (gp_tensor_load(spec, GP_DTYPE_F32, t) != GP_OK || gp_tensor_matrix(*t, X) != GP_OK) {
        cli_fail_gp(cmd);
        gp_tensor_free(*t);
        *t = NULL;
        free(shard);
        return false;
    }
    /* Distributed over one file: this process's contiguous rows only. */
    if (!shard) cli_dist_narrow(X);
    else spec = gp_tensor_path(*t);  /* owned by the tensor, like the caller's spec */
    free(shard);
    if (!cli_nonfinite_check(nf, cmd, spec, X)) {
        gp_tensor_free(*t);
        *t = NULL;
        return false;
    }
    /* the file's hash: once, by the rank that writes the report */
    if (report && cli_rank() == 0 && !cli_report_add_input(report, cmd, *t)) {
        gp_tensor_free(*t);
        *t = NULL;
        return false;
    }
    return true;
}

bool cli_load_labels(const char *cmd, const char *spec, const char *acts, int64_t rows,
                     gp_labels **l) {
    *l = NULL;
    if (gp_labels_load(spec, l) != GP_OK) {
        cli_fail_gp(cmd);
        return false;
    }
    if (gp_labels_n(*l) != rows) {
        cli_fail(cmd, "%s: %lld labels, but %s has %lld rows (labels from another run?)", spec,
                 (long long)gp_labels_n(*l), acts, (long long)rows);
        gp_labels_free(*l);
        *l = NULL;
        return false;
    }
    return true;
}

bool cli_parse_threads(const char *cmd, const char *usage, const char *arg, int *rc) {
    long long n;
    if (!cli_parse_int(arg, 0, 1024, &n)) {
        *rc = cli_usage_error(cmd, usage, "--threads wants a number of threads (0 = all cores), not '%s'", arg);
        return false;
    }
    gp_set_threads((int)n);
    return true;
}

int cli_parse_stream(const char *cmd, const char *usage, const char *arg) {
    static const struct { const char *name; gp_stream_mode mode; } modes[] = {
        {"auto", GP_STREAM_AUTO}, {"on", GP_STREAM_ON}, {"off", GP_STREAM_OFF}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(arg, modes[i].name) == 0) {
            gp_set_stream_mode(modes[i].mode);
            return CLI_OK;
        }
    return cli_usage_error(cmd, usage, "--stream wants auto, on or off, not '%s'", arg);
}

void cli_report_streaming(cJSON *report, const gp_matrix *X, int64_t block_rows) {
    static const char *names[] = {"auto", "off", "on"};
    gp_stream_mode m = gp_get_stream_mode();
    cJSON *s = cJSON_AddObjectToObject(report, "streaming");
    cJSON_AddStringToObject(s, "mode", names[m >= GP_STREAM_AUTO && m <= GP_STREAM_ON ? m : 0]);
    cJSON_AddBoolToObject(s, "streamed", gp_matrix_is_streamed(X));
    if (block_rows > 0) cJSON_AddNumberToObject(s, "block_rows", (double)block_rows);
    else cJSON_AddStringToObject(s, "block_rows", "auto");
}
