/* inputs.c — loading what the numerical commands read: an activation
 * matrix (float32, finite, or with its NaN/Inf rows to drop: nonfinite.c;
 * recorded in the report) and labels that match its rows. Each failure
 * prints one line naming the file. */
#include "cli.h"

#include <stdlib.h>

bool cli_load_matrix(const char *cmd, const char *spec, cJSON *report, cli_nonfinite *nf,
                     gp_tensor **t, gp_matrix *X) {
    *t = NULL;
    if (gp_tensor_load(spec, GP_DTYPE_F32, t) != GP_OK || gp_tensor_matrix(*t, X) != GP_OK) {
        cli_fail_gp(cmd);
        gp_tensor_free(*t);
        *t = NULL;
        return false;
    }
    if (!cli_nonfinite_check(nf, cmd, spec, X)) {
        gp_tensor_free(*t);
        *t = NULL;
        return false;
    }
    if (report && !cli_report_add_input(report, cmd, *t)) {
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
