/* sweep.h — `geoprobe sweep` and `geoprobe report`: every method on every
 * layer, then the views across layers (private to the CLI).
 *
 * How it runs. Each (layer, dataset, method) is evaluated by the very
 * command a user would type for that layer — `probe`, `ccs`, `pca`,
 * `apply` — called in this process with its --json written to a scratch
 * file, so a sweep's numbers are the single-layer commands' numbers by
 * construction. A finished layer is written whole to
 *     OUT/layers/layer_L.json     (the schema below; atomic)
 *     OUT/probes/layer_L-DATASET-METHOD.safetensors
 * and --resume reuses every layer file whose config_hash matches. With
 * --jobs N, N forked workers take the layers in turn, each with its share
 * of the BLAS threads. Then the parent reads the layer files back and
 * writes report.json, summary.md, table.tex and the plots.
 *
 * OUT/layers/layer_L.json:
 *   { "layer": L, "config_hash": "…",
 *     "datasets": { NAME: { "acts": SPEC, "n": n, "d": d,
 *                           "pca": {pca's keys: k, explained_variance_ratio…},
 *                           "methods": { METHOD: {the command's keys, less the
 *                                        common ones; "probe": probe file} } } },
 *     "transfer": { METHOD: { TRAIN: { EVAL: {"accuracy", "auroc", "n"} } } },
 *     "seconds": s }
 *
 * Config keys (sweep_config.c, strict: an unknown key is an error): acts,
 * labels, pos, neg, name, datasets, layers, methods, out, test_frac, folds,
 * seed, C, standardize, bootstrap, norm, optimizer, tries, pca_components,
 * cka_rows, jobs, threads, plots, plot_format, drop_nonfinite (bool: rows
 * with NaN/Inf are dropped by every command, as --drop-nonfinite; part of
 * the params and so of the --resume fingerprint only when true).
 *
 * OUT/report.json: the common keys (geoprobe_version, command, inputs,
 * params, seconds), then
 *   "datasets": [NAME…] (the first is the primary), "methods": [METHOD…],
 *   "metric": { METHOD: "test.accuracy" | "test.sign_calibrated_accuracy" },
 *   "layers": [ { "layer": L, "methods": {primary dataset's METHOD: keys},
 *                 "pca": {…}, "n": n, "d": d,
 *                 "datasets": { other NAME: {"methods": …} },
 *                 "transfer": … } ],
 *   "best_layer": { METHOD: L }, "best_score": { METHOD: value },
 *   "baseline": { "layer": L0, "scores": { METHOD: v }, "warning": text|null },
 *   "direction_cosine": { "across_layers": { METHOD: [[…]] },
 *                         "across_methods": { "layer": best L, "methods": […],
 *                                             "matrix": [[…]] } },
 *   "cka": { "layers": [L…], "matrix": [[…]], "rows": r, "of_rows": n,
 *            "dropped_rows": m (only with drop_nonfinite: rows with NaN/Inf
 *            in any layer, never used) },
 *   "files": { "summary", "table", "plots": […], "probes": "probes/" },
 *   "timings": { "layers": {L: s}, "total": s },
 *   "not_converged": [ {"layer", "dataset", "method", "n_iter"} ] (fits that
 *                     stopped at the iteration limit; also a stderr warning) */
#ifndef GP_CLI_SWEEP_H
#define GP_CLI_SWEEP_H

#include "cli.h"

typedef struct sweep_dataset {
    char *name;            /* "main" unless named */
    char *acts;            /* activation spec pattern with {L}, or NULL (pairs only) */
    char *labels;          /* label spec, or NULL */
    char *pos, *neg;       /* contrast-pair patterns with {L}, or NULL */
} sweep_dataset;

typedef struct sweep_config {
    sweep_dataset *datasets;
    int32_t n_datasets;
    int32_t *layers;
    int32_t n_layers;
    char **methods;        /* probe methods, then contrast-pair ones */
    int32_t n_methods;
    char *out;
    double test_frac, C;
    int32_t folds, bootstrap, standardize, tries, pca_k, cka_rows, jobs, threads;
    int32_t max_iter;      /* logistic / CCS L-BFGS iteration limit; 0: the commands' own */
    uint64_t seed;
    char *norm, *optimizer;
    int32_t plots, resume, quiet;
    int32_t drop_nonfinite; /* --drop-nonfinite / "drop_nonfinite": true: passed
                               to every per-layer command; CKA rows too    */
    char *plot_format;     /* "png", "svg", "pdf" */
    char *json;            /* --json: a copy of report.json (- = stdout), or NULL */
} sweep_config;

/* sweep_config.c */
void sweep_config_init(sweep_config *c);
void sweep_config_free(sweep_config *c);
/* Read a JSON config file into c (unknown keys are an error naming them).
 * CLI_OK, or CLI_FAIL after printing one line. */
int sweep_config_load(const char *cmd, const char *path, sweep_config *c);
/* The same for the len bytes at text (need not be NUL-terminated); path
 * only names the config in messages (fuzz/fuzz_report_config.c). */
int sweep_config_parse(const char *cmd, const char *path, const char *text, size_t len,
                       sweep_config *c);
/* After files and flags: defaults (methods, layers), and checks that every
 * pattern has {L} and every dataset can be run. CLI_OK / CLI_FAIL / CLI_USAGE. */
int sweep_config_finish(const char *cmd, const char *usage, sweep_config *c);
/* "0-5,8" into a sorted, unique list; false on junk. */
bool sweep_parse_layers(const char *s, int32_t **out, int32_t *n);
/* Pattern with every {L} replaced by layer: malloc'd. */
char *sweep_expand(const char *pattern, int32_t layer);
bool sweep_is_pair_method(const char *m);
/* The config as the report's "params" (and the text hashed for resume). */
cJSON *sweep_config_json(const sweep_config *c);
/* A fingerprint of everything that changes a layer's numbers (FNV-1a of
 * the params JSON, 16 hex digits): a layer file is reused by --resume only
 * when it matches. */
void sweep_config_hash(const sweep_config *c, char hex[17]);

/* sweep_layer.c: evaluate one layer and write OUT/layers/layer_L.json.
 * *cancel is polled between steps; progress (may be NULL) is called after
 * each step with a short label ("main/logistic 0.912"). CLI_OK, CLI_FAIL
 * (printed) or SWEEP_CANCELLED. */
enum { SWEEP_CANCELLED = 130 };
typedef void (*sweep_progress_fn)(int32_t layer, int32_t step, int32_t steps, const char *label);
int sweep_run_layer(const char *cmd, const sweep_config *c, int32_t layer,
                    const volatile int *cancel, sweep_progress_fn progress);
/* The probe file of (layer, dataset, method), relative to OUT: malloc'd. */
char *sweep_probe_name(int32_t layer, const char *dataset, const char *method);
/* The metric a method is ranked by: "accuracy" for probes,
 * "sign_calibrated_accuracy" for contrast-pair methods (of "test"). */
const char *sweep_metric(const char *method);
/* OUT/layers/layer_L.json */
char *sweep_layer_path(const sweep_config *c, int32_t layer);

/* sweep_run.c: run fn(argv) in this process with "--json SCRATCH.json
 * --quiet" appended and its stderr caught in SCRATCH.err (both deleted
 * after). *out: the command's report less the common keys (NULL on
 * failure, with *err its message's first line without "geoprobe CMD:
 * error: ", malloc'd). argv is not modified. Returns the command's code. */
/* A whole file as a NUL-terminated string (malloc'd), or NULL (errno set
 * when it could not be opened). */
char *sweep_slurp(const char *path);
/* The same, with the file's length in *len (it may hold NUL bytes). */
char *sweep_slurp_len(const char *path, size_t *len);
/* Reading a report (sweep_write.c): the value at a dotted path under o
 * ("test.accuracy"), or NULL; a number or NaN; method m's result in layer
 * entry L for dataset index di (0: the primary, under "methods"). */
const cJSON *sweep_at(const cJSON *o, const char *path);
double sweep_num(const cJSON *v);
const cJSON *sweep_result(const sweep_config *c, const cJSON *L, int32_t di, const char *m);
int sweep_run(cli_command_fn fn, int argc, char *const *argv, const char *scratch, cJSON **out,
              char **err);

/* sweep_report.c: read the layer files, write report.json, summary.md,
 * table.tex (and the plots through sweep_plots). */
int sweep_write_report(const char *cmd, const sweep_config *c, double seconds);

/* sweep_write.c: OUT/summary.md (a table per dataset, best layer per
 * method marked, the baseline warning) and OUT/table.tex (booktabs, ready
 * for \input), from the finished report. CLI_OK or CLI_FAIL (printed). */
int sweep_write_summary(const char *cmd, const sweep_config *c, const cJSON *report);
int sweep_write_table(const char *cmd, const sweep_config *c, const cJSON *report);

/* sweep_plots.c: the report's charts into OUT (layer curves, direction
 * cosine and CKA heatmaps, the best layer's PCA scatter and score
 * histogram); their file names (relative to OUT) are appended to files. */
int sweep_write_plots(const char *cmd, const sweep_config *c, const cJSON *report, cJSON *files);
/* A one-sentence caption for one of those files (for summary.md). */
void sweep_plot_caption(const sweep_config *c, const cJSON *report, const char *file, char *buf, size_t n);
/* The accuracy of always guessing the most frequent class, from a report's
 * "layers": 0.5 for two classes and for contrast pairs, the majority share
 * of the evaluated rows with more classes; NaN when m has no result. */
double sweep_chance(const cJSON *layers, const char *m);

int cmd_sweep(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
