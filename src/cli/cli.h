/* cli.h — what the subcommands share: exit codes, errors, JSON reports.
 * The CLI uses only the public geoprobe.h (and cJSON for its reports). */
#ifndef GP_CLI_H
#define GP_CLI_H

#include "geoprobe.h"

#include <cJSON.h>
#include <stdbool.h>

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Process-wide CLI settings from the global flags. */
typedef struct cli_globals {
    int quiet;            /* -q: no progress or chatter on stderr */
    int verbose;          /* -v */
    int argc;             /* the full command line, for provenance */
    char **argv;
    const char *blas_note; /* how the BLAS core was chosen */
} cli_globals;
extern cli_globals cli;

typedef int (*cli_command_fn)(int argc, char **argv);

/* Print "geoprobe CMD: error: MSG" to stderr; return CLI_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for a failed library call: the message is gp_last_error(). */
int cli_fail_gp(const char *cmd);
/* Usage error: message and the command's one-line usage; return CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse a non-negative integer / a double option value; false on junk. */
bool cli_parse_int(const char *s, long long lo, long long hi, long long *out);
bool cli_parse_double(const char *s, double *out);

/* Wall-clock seconds since the first call. */
double cli_seconds(void);

/* A report: the contract's common keys (geoprobe_version, command, inputs,
 * params, seconds) plus the BLAS in use. Add command keys to the root. */
cJSON *cli_report_new(const char *command);
/* Append an input record (path, tensor, shape, dtype, sha256) for a loaded
 * tensor; false (and a printed error) when the file cannot be hashed. */
bool cli_report_add_input(cJSON *report, const char *cmd, const gp_tensor *t);
cJSON *cli_report_params(cJSON *report);
/* Set "seconds", print to path ("-" = stdout) whole or not at all, free the
 * report. Returns CLI_OK or CLI_FAIL (after printing why). */
int cli_report_write(cJSON *report, const char *cmd, const char *path);
/* A JSON array of int64 dims. */
cJSON *cli_json_shape(int ndim, const int64_t *shape);

/* Load SPEC as a float32 matrix, check it is finite, add it to report's
 * inputs (report may be NULL). On failure prints the error, returns false. */
bool cli_load_matrix(const char *cmd, const char *spec, cJSON *report, gp_tensor **t,
                     gp_matrix *X);
/* Load labels and check there is one per row of `acts` (rows rows). */
bool cli_load_labels(const char *cmd, const char *spec, const char *acts, int64_t rows,
                     gp_labels **l);
/* -j/--threads N: set the BLAS thread count; false (rc = usage error) on junk. */
bool cli_parse_threads(const char *cmd, const char *usage, const char *arg, int *rc);
/* A JSON array of n doubles. */
cJSON *cli_json_doubles(const double *v, int64_t n);

/* Copy rows[0..m) of X into a new contiguous matrix (free out->data). */
bool cli_rows_copy(const gp_matrix *X, const int64_t *rows, int64_t m, gp_matrix *out);
/* Metrics objects for reports (accuracy, auroc, log_loss, ..., CIs). */
cJSON *cli_json_metrics(const gp_metrics *m, const int64_t *confusion, int32_t k,
                        const double *acc_ci, const double *auroc_ci);
cJSON *cli_json_regression(const gp_regression_metrics *m);
/* Score a classifier on (X, y): metrics into *met and a JSON object (with
 * bootstrap CIs when n_boot > 0); proba_out (n, k) may be NULL. */
int cli_score_classes(const char *cmd, const gp_probe *p, const gp_matrix *X, const int32_t *y,
                      int32_t n_boot, uint64_t seed, double *proba_out, cJSON **json,
                      gp_metrics *met);
/* Score a regression probe on (X, target); pred_out (n,) may be NULL. */
int cli_score_values(const char *cmd, const gp_probe *p, const gp_matrix *X, const double *target,
                     double *pred_out, cJSON **json, gp_regression_metrics *met);

/* Subcommands. */
int cmd_info(int argc, char **argv);
int cmd_pca(int argc, char **argv);
int cmd_similarity(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_apply(int argc, char **argv);

#endif
