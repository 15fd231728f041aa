/* cmd_ccs.h — what cmd_ccs.c shares with ccs_report.c (private to the
 * ccs command). */
#ifndef GP_CLI_CMD_CCS_H
#define GP_CLI_CMD_CCS_H

#include "cli.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct ccs_args {
    const char *pos, *neg, *labels, *save, *json;
    cli_plot plot;
    double test_frac;
    int32_t folds, n_boot, calibrate, compare, quiet;
    uint64_t seed;
    gp_ccs_opts o;
    cli_nonfinite nf;           /* --drop-nonfinite */
    int64_t row0;               /* distributed: the pair index (in all ranks'
                                   pairs) of this rank's first pair; 0 alone */
} ccs_args;

/* What one fit produces. */
typedef struct fit_result {
    gp_ccs *c;
    cJSON *train, *test;
    cli_ccs_eval tr, te;
    int64_t n_calib;
    double fit_seconds;          /* wall time of gp_ccs_fit */
    int has_cmp;
    cli_ccs_compare cmp;
    double *te_ppos, *te_pneg;   /* test pairs' p(x+), p(x-) (for --plot) */
    int32_t *te_y;
    int64_t nte;
} fit_result;

/* The --compare block of the report (supervised, unsupervised, random). */
cJSON *ccs_compare_json(const ccs_args *a, const cli_ccs_compare *m, const cli_ccs_eval *te);
void ccs_print_compare(FILE *out, const ccs_args *a, const cli_ccs_compare *m, const cli_ccs_eval *te,
                       const char *where);
/* The direction's fit: loss, tries, cosines, solver, weight, calibration. */
void ccs_add_fit_keys(cJSON *report, const gp_ccs *c);
void ccs_print_split(FILE *out, const char *name, const cli_ccs_eval *e, const cJSON *j, bool labels);
void ccs_print_fit(FILE *out, const ccs_args *a, const gp_ccs *c);
/* --save: the probe with its provenance (inputs, hashes, params). */
int ccs_save_probe(const ccs_args *a, const gp_ccs *c, const gp_labels *l, cJSON *report, int64_t n_calib,
                   int64_t ntrain);
/* --plot: p(x+) against p(x-) for the evaluated pairs. */
int ccs_plot_pairs(ccs_args *a, const fit_result *r, cJSON *report);

#endif /* GP_CLI_CMD_CCS_H */
