/* report_json.c — the common part of every --json report (DESIGN.md's
 * contract): geoprobe_version, command, inputs, params, seconds. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

cJSON *cli_json_shape(int ndim, const int64_t *shape) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < ndim; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)shape[i]));
    return a;
}

cJSON *cli_json_doubles(const double *v, int64_t n) {
    cJSON *a = cJSON_CreateArray();
    for (int64_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

cJSON *cli_report_new(const char *command) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "geoprobe_version", gp_version());
    cJSON_AddStringToObject(r, "command", command);
    cJSON *argv = cJSON_AddArrayToObject(r, "argv");
    for (int i = 0; i < cli.argc; i++) cJSON_AddItemToArray(argv, cJSON_CreateString(cli.argv[i]));
    cJSON_AddArrayToObject(r, "inputs");
    cJSON_AddObjectToObject(r, "params");
    cJSON *blas = cJSON_AddObjectToObject(r, "blas");
    cJSON_AddStringToObject(blas, "core", gp_blas_core());
    cJSON_AddStringToObject(blas, "config", gp_blas_config());
    cJSON_AddStringToObject(blas, "core_chosen_by", cli.blas_note ? cli.blas_note : "openblas");
    cJSON_AddNumberToObject(blas, "threads", gp_get_threads());
    return r;
}

cJSON *cli_report_params(cJSON *report) { return cJSON_GetObjectItem(report, "params"); }

/* A sweep runs several commands on each layer file in one process: each
 * file is hashed once, while its identity (device, inode, size, mtime)
 * stays the same. */
static struct hash_memo {
    char *path;
    struct stat st;
    char hex[65];
} memo[256];
static int n_memo;

static bool same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static gp_status file_sha256(const char *path, char hex[65]) {
    struct stat st;
    bool have = stat(path, &st) == 0;
    for (int i = 0; have && i < n_memo; i++)
        if (strcmp(memo[i].path, path) == 0 && same_file(&memo[i].st, &st)) {
            memcpy(hex, memo[i].hex, 65);
            return GP_OK;
        }
    gp_status s = gp_file_sha256(path, hex);
    char *dup = s == GP_OK && have && n_memo < 256 ? strdup(path) : NULL;
    if (dup) {
        memo[n_memo] = (struct hash_memo){.path = dup, .st = st};
        memcpy(memo[n_memo++].hex, hex, 65);
    }
    return s;
}

bool cli_report_add_input(cJSON *report, const char *cmd, const gp_tensor *t) {
    char hex[65];
    if (file_sha256(gp_tensor_path(t), hex) != GP_OK) {
        cli_fail_gp(cmd);
        return false;
    }
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "path", gp_tensor_path(t));
    const char *name = gp_tensor_name(t);
    if (name && *name) cJSON_AddStringToObject(in, "tensor", name);
    else cJSON_AddNullToObject(in, "tensor");
    if (gp_tensor_layer(t) >= 0) cJSON_AddNumberToObject(in, "layer", (double)gp_tensor_layer(t));
    int64_t shape[GP_MAX_DIMS];
    int nd = gp_tensor_ndim(t);
    for (int i = 0; i < nd; i++) shape[i] = gp_tensor_dim(t, i);
    cJSON_AddItemToObject(in, "shape", cli_json_shape(nd, shape));
    cJSON_AddStringToObject(in, "dtype", gp_dtype_name(gp_tensor_stored_dtype(t)));
    cJSON_AddStringToObject(in, "sha256", hex);
    cJSON_AddItemToArray(cJSON_GetObjectItem(report, "inputs"), in);
    return true;
}

int cli_report_write(cJSON *report, const char *cmd, const char *path) {
    cJSON_AddNumberToObject(report, "seconds", cli_seconds());
    char *text = cJSON_Print(report);
    cJSON_Delete(report);
    if (!text) return cli_fail(cmd, "out of memory printing the report");
    size_t len = strlen(text);
    int rc = CLI_OK;
    if (strcmp(path, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fputc('\n', stdout) == EOF || fflush(stdout))
            rc = cli_fail(cmd, "cannot write the report to stdout");
    } else {
        text[len] = '\n';  /* cJSON's buffer holds len+1 bytes: swap NUL for newline */
        if (gp_write_file_atomic(path, text, len + 1) != GP_OK) rc = cli_fail_gp(cmd);
    }
    cJSON_free(text);
    return rc;
}
