/* fuzz_report_config.c — libFuzzer harness for the sweep/report config
 * reader (src/cli/sweep_config.c): the input is a whole config file, given
 * to sweep_config_parse (what sweep_config_load does after reading the
 * file) as an exactly-sized buffer with no NUL after it, so ASan sees any
 * read past its end. A config that loads then goes through
 * sweep_config_finish (with a layer list, so that no activation file is
 * looked for), its params JSON, fingerprint and {L} expansion. Seeds:
 * fuzz/corpus/report_config (configs of the demo and the sweep tests).
 *
 * Links only the CLI objects the reader needs (sweep_config.o, util.o for
 * cli_fail, dist.o which util.o prints through, sweep_run.o for
 * sweep_slurp). stderr is caught per input: a
 * failed load prints exactly one line, "geoprobe report: error: ...". */
#include "fuzz_common.h"

#include "cli/sweep.h"

static char *err_text;
static size_t err_len;

/* stderr into a memory buffer for one call (the sanitizers write their
 * reports to fd 2, not through stdio, so a crash still shows). */
static FILE *catch_stderr(void) {
    FILE *saved = stderr;
    FILE *m = open_memstream(&err_text, &err_len);
    if (m) stderr = m;
    return saved;
}

static void release_stderr(FILE *saved) {
    if (stderr != saved) {
        fclose(stderr);
        stderr = saved;
    }
}

static size_t count_lines(const char *s, size_t n) {
    size_t lines = 0;
    for (size_t i = 0; i < n; i++) lines += s[i] == '\n';
    return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size ? size : 1);   /* exactly size bytes: no NUL after */
    if (!text) return 0;
    memcpy(text, data, size);

    sweep_config c;
    sweep_config_init(&c);
    FILE *saved = catch_stderr();
    int rc = sweep_config_parse("report", "c.json", text, size, &c);
    release_stderr(saved);
    free(text);
    FUZZ_ASSERT(rc == CLI_OK || rc == CLI_FAIL);
    if (rc != CLI_OK) {
        /* One line, naming the command. */
        FUZZ_ASSERT(err_text && err_len > 0);
        FUZZ_ASSERT(count_lines(err_text, err_len) == 1 && err_text[err_len - 1] == '\n');
        FUZZ_ASSERT(strncmp(err_text, "geoprobe report: error: ", 24) == 0);
    } else {
        FUZZ_ASSERT(err_len == 0);
    }
    free(err_text);
    err_text = NULL;
    err_len = 0;
    FUZZ_ASSERT(c.n_datasets >= 0 && c.n_layers >= 0 && c.n_methods >= 0);
    FUZZ_ASSERT((c.n_datasets == 0) == (c.datasets == NULL) || rc != CLI_OK);
    for (int32_t i = 1; i < c.n_layers; i++) FUZZ_ASSERT(c.layers[i - 1] < c.layers[i]);
    for (int32_t i = 0; i < c.n_methods; i++) FUZZ_ASSERT(c.methods[i] != NULL);

    if (rc == CLI_OK) {
        if (c.n_layers == 0) FUZZ_ASSERT(sweep_parse_layers("0,7", &c.layers, &c.n_layers));
        saved = catch_stderr();
        int frc = sweep_config_finish("report", "geoprobe report CONFIG.json", &c);
        release_stderr(saved);
        FUZZ_ASSERT(frc == CLI_OK || frc == CLI_FAIL || frc == CLI_USAGE);
        FUZZ_ASSERT(frc == CLI_OK ? err_len == 0 : err_len > 0);
        free(err_text);
        err_text = NULL;
        err_len = 0;
        if (frc == CLI_OK) {
            FUZZ_ASSERT(c.out && c.norm && c.optimizer && c.plot_format && c.n_methods > 0);
            for (int32_t i = 0; i < c.n_datasets; i++) {
                const sweep_dataset *d = &c.datasets[i];
                FUZZ_ASSERT(d->name && (d->acts || (d->pos && d->neg)));
                const char *pats[] = {d->acts, d->pos, d->neg, d->labels};
                for (int k = 0; k < 4; k++) {
                    if (!pats[k]) continue;
                    char *e = sweep_expand(pats[k], c.layers[c.n_layers - 1]);
                    FUZZ_ASSERT(e != NULL);
                    FUZZ_ASSERT(strstr(e, "{L}") == NULL);
                    free(e);
                }
            }
        }
        cJSON *p = sweep_config_json(&c);
        FUZZ_ASSERT(p != NULL);
        char *s = cJSON_PrintUnformatted(p);
        FUZZ_ASSERT(s != NULL);
        cJSON *back = cJSON_Parse(s);   /* the params are valid JSON */
        FUZZ_ASSERT(back != NULL);
        cJSON_Delete(back);
        cJSON_free(s);
        cJSON_Delete(p);
        char hex[17];
        sweep_config_hash(&c, hex);
        FUZZ_ASSERT(strlen(hex) == 16);
    }
    sweep_config_free(&c);
    return 0;
}
