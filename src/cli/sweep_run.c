/* sweep_run.c — one geoprobe command run in this process as a step of a
 * sweep (the layer's methods, the best layer's plots): its --json into a
 * scratch file, its stderr caught, so the sweep's numbers are the command's
 * numbers and its messages become the sweep's records. */
#include "sweep.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The report of one command, less the keys every report has. */
static void strip_common(cJSON *r) {
    static const char *const common[] = {"geoprobe_version", "command", "argv", "params",
                                         "blas", "seconds", "plot"};
    for (size_t i = 0; i < sizeof common / sizeof *common; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(r, common[i]);
}

char *sweep_slurp(const char *path) {
    size_t len;
    return sweep_slurp_len(path, &len);
}

char *sweep_slurp_len(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    char buf[16384];
    size_t got;
    while (m && (got = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, got, m);
    int bad = ferror(f);
    fclose(f);
    if (!m || fclose(m) || bad) {
        free(text);
        return NULL;
    }
    *len_out = len;
    return text;
}

int sweep_run(cli_command_fn fn, int argc, char *const *argv, const char *scratch, cJSON **out,
              char **err) {
    *out = NULL;
    *err = NULL;
    char *jpath = NULL, *epath = NULL;
    /* getopt_long permutes the vector it is given: the command gets a copy. */
    char **v = malloc((size_t)(argc + 4) * sizeof *v);
    if (!v || asprintf(&jpath, "%s.json", scratch) < 0 || asprintf(&epath, "%s.err", scratch) < 0) {
        free(v);
        free(jpath);
        *err = strdup("out of memory");
        return CLI_FAIL;
    }
    int n = 0;
    for (int i = 0; i < argc; i++) v[n++] = argv[i];
    v[n++] = "--json";
    v[n++] = jpath;
    v[n++] = "--quiet";
    v[n] = NULL;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0 && saved >= 0) dup2(fd, STDERR_FILENO);
    int rc = fn(n, v);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    if (fd >= 0) close(fd);
    if (rc == CLI_OK) {
        char *text = sweep_slurp(jpath);
        *out = text ? cJSON_Parse(text) : NULL;
        free(text);
        if (*out) strip_common(*out);
        else rc = CLI_FAIL;
    }
    if (rc != CLI_OK) {
        char *msg = sweep_slurp(epath);
        /* the first line, without "geoprobe CMD: error: " */
        if (msg) {
            char *nl = strchr(msg, '\n');
            if (nl) *nl = '\0';
            char *at = strstr(msg, "error: ");
            *err = strdup(at ? at + 7 : *msg ? msg : "failed");
            free(msg);
        } else {
            *err = strdup("failed");
        }
    }
    unlink(jpath);
    unlink(epath);
    free(jpath);
    free(epath);
    free(v);
    return rc;
}
