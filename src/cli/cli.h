/* cli.h — what the subcommands share: exit codes, errors, JSON reports.
 * The CLI uses only the public geoprobe.h (and cJSON for its reports). */
#ifndef GP_CLI_H
#define GP_CLI_H

#include "geoprobe.h"

#include <cJSON.h>
#include <getopt.h>
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

/* ---- distributed runs (dist.c; MPI with make MPI=1, under mpirun) ----
 * A distributed command: parse options (the same on every rank), load with
 * cli_load_matrix (which narrows X to this rank's contiguous share of the
 * rows, or loads --shard's file), then `if (!cli_dist_ok(rc == CLI_OK))`
 * before the first collective library call (given cli_comm()), again
 * before writing, and write outputs on rank 0 only. main() ends with
 * cli_dist_finish, which agrees on the exit status and prints the held
 * error line of the first failing rank (cli_fail holds lines, not prints,
 * while distributed). One process: every function is a no-op. */
void cli_dist_init(int *argc, char ***argv);
int cli_dist_finish(int rc);
int cli_rank(void);            /* 0 when not distributed                */
int cli_ranks(void);           /* 1 when not distributed                */
int cli_world_rank(void);      /* the MPI rank even inside a local run  */
int cli_world_size(void);
/* A sweep runs its per-layer commands on one rank alone: while on, the
 * commands see one process. Nested calls count. */
void cli_dist_local(bool on);
/* The reduction for the library (NULL when one process). */
const gp_comm *cli_comm(void);
/* Collective: true when ok on every rank. */
bool cli_dist_ok(bool ok);
/* Collective sum of one count over the ranks. */
int64_t cli_dist_sum(int64_t v);
/* Collective: counts[r] = rank r's `mine` (counts has cli_ranks() slots). */
void cli_dist_counts(int64_t mine, int64_t *counts);
/* This rank's rows [r0, r1) of n; narrow X to them (row0 remembered). */
void cli_dist_rows(int64_t n, int64_t *r0, int64_t *r1);
bool cli_dist_narrow(gp_matrix *X);
/* This rank's first row in the file (for messages naming rows). */
int64_t cli_dist_row0(void);
/* --shard PATTERN: the pattern with {rank} replaced (malloc'd), NULL when
 * the pattern has no {rank}. */
char *cli_dist_shard(const char *pattern);
/* Collective: rows (rows x cols float32) of every rank, in rank order, into
 * *all on rank 0 (malloc'd; NULL elsewhere), *total rows. */
bool cli_dist_gather_rows(const float *mine, int64_t rows, int64_t cols, float **all, int64_t *total);
/* Collective: count doubles of every rank, in rank order, into *all on
 * rank 0 (malloc'd; NULL elsewhere); *total = the sum of the counts. */
bool cli_dist_gather_doubles(const double *mine, int64_t count, double **all, int64_t *total);
/* Collective: this rank's first row in the rows of all ranks (rank order)
 * and the total: for shards as for shares of one file. */
void cli_dist_offset(int64_t my_rows, int64_t *first, int64_t *total);
/* For commands that do not run distributed: an error under mpirun. */
int cli_dist_refuse(const char *cmd);
/* Hold an error line instead of printing it (true) while distributed. */
bool cli_dist_hold(const char *line);
/* Collective: "distributed": {"ranks", "rows": [per rank]} in the report
 * (nothing with one process). */
void cli_report_distributed(cJSON *report, int64_t my_rows);
/* --stream auto|on|off (sets the library's mode); usage error on junk. */
int cli_parse_stream(const char *cmd, const char *usage, const char *arg);
/* "streaming": {"mode", "streamed", "block_rows"} in the report. */
void cli_report_streaming(cJSON *report, const gp_matrix *X, int64_t block_rows);

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

/* --drop-nonfinite (nonfinite.c): rows holding a NaN or Inf are dropped
 * from every matrix of a command that shares rows and from its labels.
 * A command:
 *   cli_nonfinite nf; cli_nonfinite_init(&nf);
 *   ...options: {CLI_NONFINITE_OPTION}, case CLI_OPT_DROP_NONFINITE: nf.drop = 1;
 *      and -q sets nf.quiet (no note on stderr);
 *   cli_load_matrix(cmd, spec, report, &nf, &t, &X)   for each input (X must
 *      stay where it is until the apply);
 *   cli_load_labels(..., X.rows, ...)   against the rows as loaded;
 *   cli_nonfinite_apply(&nf, cmd, report, labels, need_classes, extra);
 *   ...at the end: cli_nonfinite_free(&nf) (the copies; after the last use of X).
 * Without the flag nothing changes: the first NaN/Inf fails the run (its
 * message ends with a hint at the flag) and nothing is copied or reported. */
enum { CLI_OPT_DROP_NONFINITE = 0x1180 }; /* getopt_long code, clear of the plot ones */
#define CLI_NONFINITE_OPTION {"drop-nonfinite", no_argument, NULL, CLI_OPT_DROP_NONFINITE}
typedef struct cli_nonfinite {
    int drop;             /* --drop-nonfinite                               */
    int quiet;            /* -q: no "dropped N of M rows" line on stderr    */
    int32_t n, cap;       /* registered matrices                            */
    gp_matrix **mats;     /* borrowed; replaced by copies when rows drop    */
    const char **specs;   /* their specs, for messages                      */
    void **owned;         /* the copies' data (NULL: none), freed by _free  */
    int64_t of, dropped;  /* after the apply: rows before, rows dropped     */
} cli_nonfinite;
void cli_nonfinite_init(cli_nonfinite *nf);
void cli_nonfinite_free(cli_nonfinite *nf);
/* The --help line, descriptions at column col. */
void cli_nonfinite_print_help(int col);
/* With nf->drop: register X (read by the apply). Else (or nf NULL) check X
 * is finite: false after printing "SPEC: non-finite value NaN at row R,
 * column C (skip such rows with --drop-nonfinite)" (no hint when nf is NULL). */
bool cli_nonfinite_check(cli_nonfinite *nf, const char *cmd, const char *spec, gp_matrix *X);
/* With nf->drop: mark the rows with a NaN/Inf in any registered matrix
 * (which must all have the same rows), replace each matrix by a contiguous
 * copy of the other rows (only when some row is dropped), drop the same rows
 * from labels and extra (either may be NULL; loaded against the original
 * rows), and record params.drop_nonfinite and "dropped_rows" {count, of,
 * rows (original numbers, the first 1000)} in report (may be NULL). Prints
 * one note line unless nf->quiet. Fails (printed) when every row is
 * dropped, or when need_classes and a class of labels lost all its rows
 * (the class list of labels stays as it was). CLI_OK when !nf->drop. */
int cli_nonfinite_apply(cli_nonfinite *nf, const char *cmd, cJSON *report, gp_labels *labels,
                        bool need_classes, gp_labels *extra);

/* Load SPEC as a float32 matrix, check it is finite (cli_nonfinite_check:
 * with --drop-nonfinite, register it instead; nf may be NULL), add it to
 * report's inputs (report may be NULL). On failure prints the error,
 * returns false. */
bool cli_load_matrix(const char *cmd, const char *spec, cJSON *report, cli_nonfinite *nf,
                     gp_tensor **t, gp_matrix *X);
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
/* The metrics (and bootstrap CIs) of class probabilities proba (n, k)
 * against y, or of predictions against targets: JSON into *json. */
int cli_metrics_classes(const char *cmd, const int32_t *y, const double *proba, int64_t n, int32_t k,
                        int32_t n_boot, uint64_t seed, cJSON **json, gp_metrics *met);
int cli_metrics_values(const char *cmd, const double *target, const double *pred, int64_t n, cJSON **json,
                       gp_regression_metrics *met);
/* Score a regression probe on (X, target); pred_out (n,) may be NULL. */
int cli_score_values(const char *cmd, const gp_probe *p, const gp_matrix *X, const double *target,
                     double *pred_out, cJSON **json, gp_regression_metrics *met);

/* Contrast-pair probes (ccs, apply): the numbers of one set of pairs. */
typedef struct cli_ccs_eval {
    int64_t n;
    int calibrated;                   /* the probe's sign was fixed by labels */
    double accuracy;                  /* max(acc, 1 - acc) of credence > 0.5  */
    double sign_calibrated_accuracy;  /* accuracy of P(x+ true) > 0.5 (NaN when
                                         uncalibrated)                        */
    double auroc;                     /* of P(x+ true)                        */
    double credence_mean;
} cli_ccs_eval;
/* Score pairs (pos, neg) with a fitted probe: credence, calibrated
 * probabilities and, when y (n,) (1 = x+ true) is given, both accuracies,
 * AUROC, log-loss, ECE, with bootstrap CIs when n_boot > 0. JSON object into
 * *json; p_pos / p_neg (n,) may be NULL. */
int cli_ccs_score(const char *cmd, const gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                  const int32_t *y, int32_t n_boot, uint64_t seed, double *p_pos, double *p_neg,
                  cJSON **json, cli_ccs_eval *ev);
/* The numbers of cli_ccs_score from n pairs' raw credences and P(x+ true)
 * (gp_ccs_credence, gp_ccs_predict_proba), e.g. gathered from the ranks of
 * a distributed run; calibrated: the probe's sign was fixed. */
int cli_ccs_metrics(const char *cmd, int calibrated, int64_t n, const double *cred, const double *proba,
                    const int32_t *y, int32_t n_boot, uint64_t seed, cJSON **json, cli_ccs_eval *ev);
/* Distributed: this rank's pairs (P, N) are pairs [k0, k0 + P->rows) of m
 * (every rank's, in rank order); every rank receives all m pairs' p_pos,
 * p_neg, credence and P(x+ true) (each (m,), may be NULL) and computes the
 * same numbers as cli_ccs_score on all of them. Collective (cli_comm()). */
int cli_ccs_score_dist(const char *cmd, const gp_ccs *c, const gp_matrix *P, const gp_matrix *N, int64_t k0,
                       int64_t m, const int32_t *y, int32_t n_boot, uint64_t seed, double *p_pos, double *p_neg,
                       double *credence, double *proba, cJSON **json, cli_ccs_eval *ev);
/* --compare on one split: a supervised logistic probe (C = 1) on the
 * normalized differences n+(x+) - n-(x-) of the training pairs with every
 * training label ytr, and a seeded random unit direction on the same
 * differences, its sign and Platt scale fitted on the calibration pairs
 * (rows cal[0..ncal) of the training pairs), like the probe's. Both are
 * measured on the test pairs (yte). */
typedef struct cli_ccs_compare {
    double sup_acc, sup_auroc, sup_train_acc;  /* supervised                */
    double rnd_acc, rnd_cal_acc, rnd_auroc;    /* random: max(acc, 1 - acc),
                                                  calibrated, AUROC         */
} cli_ccs_compare;
int cli_ccs_compare_baselines(const char *cmd, const gp_ccs *c, const gp_matrix *Ptr, const gp_matrix *Ntr,
                              const int32_t *ytr, const int64_t *cal, int64_t ncal, const gp_matrix *Pte,
                              const gp_matrix *Nte, const int32_t *yte, uint64_t seed, cli_ccs_compare *r);
/* splitmix64: the next 64 random bits of the stream *s. */
uint64_t cli_mix64(uint64_t *s);

/* ------------------------------------------------------------------ */
/* Plots (plot_cli.c): the options every charting command shares, the  */
/* provenance written into the file, the report's "plot" object.       */
/* ------------------------------------------------------------------ */
/*
 * A command that draws a chart (cmd_pca.c is a complete example):
 *
 *   static const struct option opts[] = {..., CLI_PLOT_OPTIONS, {NULL, 0, NULL, 0}};
 *   cli_plot plot;
 *   cli_plot_init(&plot);
 *   ...in the getopt_long switch:
 *   CLI_PLOT_CASES:
 *       if ((rc = cli_plot_option(&plot, c, optarg, "ccs", USAGE)) != CLI_OK) return rc;
 *       break;
 *   ...after the loop, before any computation (usage errors exit 2 here):
 *   if ((rc = cli_plot_check(&plot, "ccs", USAGE)) != CLI_OK) return rc;
 *   ...compute and fill the report; then, BEFORE writing any output file:
 *   cli_chart ch = {.kind = CLI_CHART_CONTRAST, .title = "...", .contrast = {...}};
 *   if (rc == CLI_OK) rc = cli_plot_render(&plot, "ccs", &ch, report);
 *   ...write --save, --json...; at the very end:
 *   if (rc == CLI_OK) rc = cli_plot_commit(&plot, "ccs");
 *   else cli_plot_discard(&plot);
 *
 * cli_plot_render draws into a hidden temporary file beside FILE (same
 * folder and extension) and adds the chart's data to report["plot"];
 * commit renames the file into place, discard deletes it. So a run that
 * fails anywhere leaves no plot, and a failed plot (an unwritable folder,
 * say) fails the run before the JSON is written. Render, commit and discard
 * do nothing when --plot was not given. The chart's arrays are borrowed
 * until cli_plot_render returns. Provenance in the file: "Command" (the
 * command line) and "Input N" = "PATH SHA256" for each of the report's
 * inputs; the library adds "Software".
 */
enum {
    CLI_OPT_PLOT = 0x1100, /* getopt_long codes, clear of every short option */
    CLI_OPT_DPI,
    CLI_OPT_SIZE,
    CLI_OPT_PLOT_TITLE
};
#define CLI_PLOT_OPTIONS                                                              \
    {"plot", required_argument, NULL, CLI_OPT_PLOT},                                  \
        {"dpi", required_argument, NULL, CLI_OPT_DPI},                                \
        {"size", required_argument, NULL, CLI_OPT_SIZE},                              \
        {"plot-title", required_argument, NULL, CLI_OPT_PLOT_TITLE}
#define CLI_PLOT_CASES                                                                \
    case CLI_OPT_PLOT:                                                                \
    case CLI_OPT_DPI:                                                                 \
    case CLI_OPT_SIZE:                                                                \
    case CLI_OPT_PLOT_TITLE
/* Print the --help lines for them to stdout, descriptions at column col
 * (the command's own option column); with_plot: the --plot line too. */
void cli_plot_print_help(int col, bool with_plot);

typedef struct cli_plot {
    const char *path;      /* --plot FILE, NULL = no chart                */
    double dpi;            /* --dpi                               (200)   */
    int32_t width, height; /* --size                        (1600x1200)   */
    const char *title;     /* --plot-title, NULL = the chart's own        */
    int tuned;             /* --dpi, --size or --plot-title was given     */
    char *tmp;             /* rendered file awaiting cli_plot_commit      */
} cli_plot;

void cli_plot_init(cli_plot *p);
/* Handle one of CLI_PLOT_CASES: CLI_OK, or CLI_USAGE after printing why
 * (an extension other than .png/.svg/.pdf, --dpi / --size out of range). */
int cli_plot_option(cli_plot *p, int opt, const char *arg, const char *cmd, const char *usage);
/* Whether path names a plot format: FILE.png, FILE.svg or FILE.pdf. */
bool cli_plot_path_ok(const char *path);
/* After option parsing: --dpi, --size or --plot-title without --plot is a
 * usage error. CLI_OK, or CLI_USAGE after printing why. */
int cli_plot_check(const cli_plot *p, const char *cmd, const char *usage);

/* What a chart is drawn from: one of the library's data structs. */
typedef enum cli_chart_kind {
    CLI_CHART_SCATTER = 0,
    CLI_CHART_SCREE,
    CLI_CHART_HIST,
    CLI_CHART_CURVE,
    CLI_CHART_HEATMAP,
    CLI_CHART_CONTRAST,
    CLI_CHART_N
} cli_chart_kind;

typedef struct cli_chart {
    cli_chart_kind kind;
    const char *title; /* default title (--plot-title wins); NULL = the library's */
    union {
        gp_plot_scatter_data scatter;
        gp_plot_scree_data scree;
        gp_plot_hist_data hist;
        gp_plot_curve_data curve;
        gp_plot_heatmap_data heatmap;
        gp_plot_contrast_data contrast;
    };
} cli_chart;

/* "scatter", "scree", "hist", "curve", "heatmap", "contrast". */
const char *cli_chart_kind_name(cli_chart_kind k);
bool cli_chart_kind_parse(const char *s, cli_chart_kind *out);
/* The report's "plot" object for a chart: "kind", "title" and every array
 * and label the chart is drawn from (the schema: `geoprobe plot --help`). */
cJSON *cli_chart_json(const cli_chart *c);
/* Draw with the library function of c->kind. */
gp_status cli_chart_draw(const cli_chart *c, const gp_plot_opts *o, const char *path);

/* Provenance pairs for the file. */
typedef struct cli_plot_meta {
    int32_t n, cap;
    char **keys, **values;
} cli_plot_meta;
bool cli_plot_meta_add(cli_plot_meta *m, const char *key, const char *value);
/* "Command": cli.argv shell-quoted; then "Input 1", "Input 2"... =
 * "PATH SHA256" for each record of inputs (a report's "inputs" array, may be
 * NULL). false when out of memory. */
bool cli_plot_meta_command(cli_plot_meta *m, const cJSON *inputs);
void cli_plot_meta_free(cli_plot_meta *m);
/* argv joined by spaces, each word single-quoted for a POSIX shell when it
 * needs it. malloc'd; NULL when out of memory. */
char *cli_shell_join(int argc, char *const *argv);
/* gp_plot_opts from the options (title: --plot-title, else default_title)
 * and meta (may be NULL), which must outlive *o. */
void cli_plot_fill_opts(const cli_plot *p, const cli_plot_meta *m, const char *default_title,
                        gp_plot_opts *o);

/* Draw c into the temporary file with the given provenance (what
 * cli_plot_render does, without the report). */
int cli_plot_draw(cli_plot *p, const char *cmd, const cli_chart *c, const cli_plot_meta *m);
/* Provenance from cli.argv and report's inputs, draw, and set
 * report["plot"] = cli_chart_json(c) (report may be NULL). */
int cli_plot_render(cli_plot *p, const char *cmd, const cli_chart *c, cJSON *report);
/* Rename the drawn file into place (CLI_FAIL after printing why). */
int cli_plot_commit(cli_plot *p, const char *cmd);
/* Delete the drawn file, if any. */
void cli_plot_discard(cli_plot *p);
/* A short label for an input: the base name without .npy / .safetensors /
 * .json, keeping :TENSOR, @L and [row] ("dir/acts.npy@3" -> "acts@3").
 * malloc'd; NULL when out of memory. */
char *cli_plot_short_name(const char *spec);

/* Subcommands. */
int cmd_info(int argc, char **argv);
int cmd_pca(int argc, char **argv);
int cmd_similarity(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_ccs(int argc, char **argv);

#endif
