/* nonfinite.c — NaN / Inf rows in the activations every numerical command
 * reads. By default the first one fails the run, with a hint; with
 * --drop-nonfinite the rows holding one are dropped together from every
 * matrix of the command that shares rows (both members of a contrast pair,
 * every CKA input) and from the labels, into new contiguous copies. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The report's "dropped_rows.rows" lists at most this many row numbers. */
enum { MAX_LISTED_ROWS = 1000 };

void cli_nonfinite_init(cli_nonfinite *nf) { memset(nf, 0, sizeof *nf); }

void cli_nonfinite_free(cli_nonfinite *nf) {
    for (int32_t i = 0; i < nf->n; i++) free(nf->owned[i]);
    free(nf->mats);
    free(nf->specs);
    free(nf->owned);
    int drop = nf->drop, quiet = nf->quiet;
    cli_nonfinite_init(nf);
    nf->drop = drop;
    nf->quiet = quiet;
}

void cli_nonfinite_print_help(int col) {
    printf("  %-*s%s\n", col - 2, "--drop-nonfinite",
           "skip rows with NaN/Inf in any input (and their labels)");
}

static const char *value_name(const gp_matrix *X, int64_t r, int64_t c) {
    double v = X->dtype == GP_DTYPE_F64 ? ((const double *)X->data)[r * X->ld + c]
                                        : ((const float *)X->data)[r * X->ld + c];
    return isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}

bool cli_nonfinite_check(cli_nonfinite *nf, const char *cmd, const char *spec, gp_matrix *X) {
    if (nf && nf->drop) {
        if (nf->n == nf->cap) {
            int32_t cap = nf->cap ? 2 * nf->cap : 4;
            gp_matrix **m = realloc(nf->mats, (size_t)cap * sizeof *m);
            if (m) nf->mats = m;
            const char **s = realloc(nf->specs, (size_t)cap * sizeof *s);
            if (s) nf->specs = s;
            void **o = realloc(nf->owned, (size_t)cap * sizeof *o);
            if (o) nf->owned = o;
            if (!m || !s || !o) return cli_fail(cmd, "out of memory"), false;
            nf->cap = cap;
        }
        nf->mats[nf->n] = X;
        nf->specs[nf->n] = spec;
        nf->owned[nf->n++] = NULL;
        return true;
    }
    int64_t r, c;
    gp_status s = gp_matrix_check_finite(X, spec, &r, &c);
    if (s == GP_OK) return true;
    if (s != GP_ENAN || !nf || (X->dtype != GP_DTYPE_F32 && X->dtype != GP_DTYPE_F64))
        return cli_fail_gp(cmd), false;
    cli_fail(cmd, "%s: non-finite value %s at row %lld, column %lld (skip such rows with --drop-nonfinite)",
             spec, value_name(X, r, c), (long long)(r + cli_dist_row0()), (long long)c);
    return false;
}

/* "acts.npy: first at row 5, column 9; ..." for the inputs with bad rows. */
static void describe(const cli_nonfinite *nf, const int64_t *nb, const int64_t *r, const int64_t *c,
                     char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (int32_t i = 0; i < nf->n && len < size; i++) {
        if (!nb[i]) continue;
        int w = snprintf(buf + len, size - len, "%s%s: first at row %lld, column %lld", len ? "; " : "",
                         nf->specs[i], (long long)r[i], (long long)c[i]);
        if (w < 0) break;
        len += (size_t)w;
    }
}

/* The files with bad rows, comma-separated. */
static void bad_files(const cli_nonfinite *nf, const int64_t *nb, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (int32_t i = 0; i < nf->n && len < size; i++) {
        if (!nb[i]) continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", nf->specs[i]);
        if (w < 0) break;
        len += (size_t)w;
    }
}

/* Each class of l must keep a row (the probe learns every class). */
static int check_classes(const char *cmd, const gp_labels *l, int64_t dropped) {
    int32_t k = gp_labels_n_classes(l);
    int64_t *count = calloc((size_t)(k > 0 ? k : 1), sizeof *count);
    if (!count) return cli_fail(cmd, "out of memory");
    const int32_t *ids = gp_labels_ids(l);
    for (int64_t i = 0; i < gp_labels_n(l); i++) count[ids[i]]++;
    int32_t empty = -1;
    for (int32_t c = 0; c < k && empty < 0; c++)
        if (!count[c]) empty = c;
    free(count);
    if (empty < 0) return CLI_OK;
    return cli_fail(cmd, "%s: every row of class '%s' has a NaN or Inf: none is left after dropping %lld rows "
                    "(--drop-nonfinite)", gp_labels_path(l), gp_labels_class_name(l, empty), (long long)dropped);
}

int cli_nonfinite_apply(cli_nonfinite *nf, const char *cmd, cJSON *report, gp_labels *labels,
                        bool need_classes, gp_labels *extra) {
    if (!nf->drop || nf->n == 0) return CLI_OK;
    int64_t n = nf->mats[0]->rows;
    for (int32_t i = 1; i < nf->n; i++)
        if (nf->mats[i]->rows != n)
            return cli_fail(cmd, "%s has %lld rows but %s has %lld", nf->specs[i], (long long)nf->mats[i]->rows,
                            nf->specs[0], (long long)n);
    uint8_t *mask = calloc((size_t)(n > 0 ? n : 1), 1);
    int64_t *nb = calloc((size_t)nf->n * 3, sizeof *nb);
    int64_t *rows = NULL;
    int rc = (mask && nb) ? CLI_OK : cli_fail(cmd, "out of memory");
    int64_t *r = nb ? nb + nf->n : NULL, *c = nb ? nb + 2 * nf->n : NULL;
    for (int32_t i = 0; i < nf->n && rc == CLI_OK; i++)
        if (gp_matrix_mark_nonfinite(nf->mats[i], mask, &nb[i], &r[i], &c[i]) != GP_OK) rc = cli_fail_gp(cmd);
    int64_t dropped = 0;
    for (int64_t i = 0; rc == CLI_OK && i < n; i++) dropped += mask[i] != 0;
    char where[1024], files[1024];
    if (rc == CLI_OK && dropped) {
        describe(nf, nb, r, c, where, sizeof where);
        bad_files(nf, nb, files, sizeof files);
    }
    if (rc == CLI_OK && dropped && dropped == n)
        rc = cli_fail(cmd, "%s: every one of the %lld rows has a NaN or Inf: --drop-nonfinite leaves nothing",
                      files, (long long)n);
    /* the kept rows, then the dropped ones (their original numbers) */
    if (rc == CLI_OK && dropped && !(rows = malloc((size_t)n * sizeof *rows))) rc = cli_fail(cmd, "out of memory");
    if (rc == CLI_OK && dropped) {
        int64_t k = 0, d = n - dropped;
        for (int64_t i = 0; i < n; i++) rows[mask[i] ? d++ : k++] = i;
        for (int32_t i = 0; i < nf->n && rc == CLI_OK; i++) {
            gp_matrix copy;
            if (!cli_rows_copy(nf->mats[i], rows, n - dropped, &copy)) rc = cli_fail(cmd, "out of memory");
            else *nf->mats[i] = copy, nf->owned[i] = copy.data;
        }
        if (rc == CLI_OK && labels && gp_labels_drop_rows(labels, mask) != GP_OK) rc = cli_fail_gp(cmd);
        if (rc == CLI_OK && extra && gp_labels_drop_rows(extra, mask) != GP_OK) rc = cli_fail_gp(cmd);
        if (rc == CLI_OK && labels && need_classes) rc = check_classes(cmd, labels, dropped);
    }
    if (rc == CLI_OK) {
        nf->of = n;
        nf->dropped = dropped;
        if (report) {
            cJSON_AddBoolToObject(cli_report_params(report), "drop_nonfinite", 1);
            cJSON *o = cJSON_AddObjectToObject(report, "dropped_rows");
            cJSON_AddNumberToObject(o, "count", (double)dropped);
            cJSON_AddNumberToObject(o, "of", (double)n);
            cJSON *list = cJSON_AddArrayToObject(o, "rows");
            for (int64_t i = 0; i < dropped && i < MAX_LISTED_ROWS; i++)
                cJSON_AddItemToArray(list, cJSON_CreateNumber((double)rows[n - dropped + i]));
            if (dropped > MAX_LISTED_ROWS) cJSON_AddBoolToObject(o, "rows_truncated", 1);
        }
        if (dropped && !nf->quiet)
            fprintf(stderr, "geoprobe %s: dropped %lld of %lld rows with NaN/Inf (%s)\n", cmd, (long long)dropped,
                    (long long)n, where);
    }
    free(mask);
    free(nb);
    free(rows);
    return rc;
}
