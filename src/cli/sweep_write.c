/* sweep_write.c — the report's human outputs: OUT/summary.md (what was
 * run, a table per dataset with the best layer per method marked, the
 * token-embedding baseline, direction cosines, CKA, transfer, the plots)
 * and OUT/table.tex (one booktabs table per dataset, ready for \input).
 * Everything is read from the finished report, so the text and report.json
 * cannot disagree. Numbers have 3 decimals; a failed method is "—" with a
 * numbered note giving the command's message. */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Reading the report                                                 */
/* ------------------------------------------------------------------ */

/* The value at a dotted path ("test.accuracy") under o, or NULL. */
const cJSON *sweep_at(const cJSON *o, const char *path) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p && o; p = strtok_r(NULL, ".", &save))
        o = cJSON_IsObject(o) ? cJSON_GetObjectItem(o, p) : NULL;
    return o;
}

double sweep_num(const cJSON *v) { return cJSON_IsNumber(v) ? v->valuedouble : NAN; }

/* Method m's result on layer entry L for dataset index di (0: primary). */
const cJSON *sweep_result(const sweep_config *c, const cJSON *L, int32_t di, const char *m) {
    const cJSON *methods = di == 0 ? cJSON_GetObjectItem(L, "methods")
                                   : sweep_at(cJSON_GetObjectItem(cJSON_GetObjectItem(L, "datasets"),
                                                            c->datasets[di].name), "methods");
    return cJSON_GetObjectItem(methods, m);
}

/* test.<ranking metric> and its 95% interval (NaN when absent). */
static double score(const cJSON *res, const char *m, double ci[2]) {
    char key[96];
    snprintf(key, sizeof key, "test.%s_ci95", sweep_metric(m));
    const cJSON *iv = sweep_at(res, key);
    ci[0] = sweep_num(cJSON_GetArrayItem(iv, 0));
    ci[1] = sweep_num(cJSON_GetArrayItem(iv, 1));
    snprintf(key, sizeof key, "test.%s", sweep_metric(m));
    return sweep_num(sweep_at(res, key));
}

static const char *error_of(const cJSON *res) {
    return cJSON_GetStringValue(cJSON_GetObjectItem(res, "error"));
}

/* Index of the best layer of m on dataset di (the first on ties), -1. */
static int32_t best_index(const sweep_config *c, const cJSON *layers, int32_t di, const char *m) {
    int32_t bi = -1, i = 0;
    double bv = NAN, ci[2];
    const cJSON *L;
    cJSON_ArrayForEach(L, layers) {
        double v = score(sweep_result(c, L, di, m), m, ci);
        if (isfinite(v) && (bi < 0 || v > bv)) bi = i, bv = v;
        i++;
    }
    return bi;
}

/* Whether m gave a result without an error on some layer (a contrast-pair
 * probe without labels has no score but did run). */
static bool ran(const sweep_config *c, const cJSON *layers, int32_t di, const char *m) {
    const cJSON *L;
    cJSON_ArrayForEach(L, layers) {
        const cJSON *res = sweep_result(c, L, di, m);
        if (res && !error_of(res)) return true;
    }
    return false;
}

static const char *no_best(const sweep_config *c, const cJSON *layers, int32_t di, const char *m) {
    return ran(c, layers, di, m) ? "none (no accuracy without labels)" : "none (it failed on every layer)";
}

static int layer_no(const cJSON *L) { return (int)sweep_num(cJSON_GetObjectItem(L, "layer")); }

/* ------------------------------------------------------------------ */
/* Output helpers                                                     */
/* ------------------------------------------------------------------ */

/* Markdown table cell text: no '|' or line break may leak into it. */
static void md(FILE *f, const char *s) {
    for (; s && *s; s++) {
        if (*s == '|') fputs("\\|", f);
        else if (*s == '\n' || *s == '\r') fputc(' ', f);
        else fputc(*s, f);
    }
}

/* A path as inline code (a backtick inside would end it). */
static void code(FILE *f, const char *s) {
    fputc('`', f);
    for (; s && *s; s++) fputc(*s == '`' ? '\'' : *s == '|' ? '/' : *s, f);
    fputc('`', f);
}

static void tex(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '\\': fputs("\\textbackslash{}", f); break;
        case '~': fputs("\\textasciitilde{}", f); break;
        case '^': fputs("\\textasciicircum{}", f); break;
        case '&': case '%': case '$': case '#': case '_': case '{': case '}':
            fputc('\\', f);
            fputc(*s, f);
            break;
        default: fputc(*s, f);
        }
    }
}

/* "0-5", "0,2,4-7": the report's layers, compactly. */
static void layer_list(FILE *f, const sweep_config *c) {
    for (int32_t i = 0; i < c->n_layers;) {
        int32_t j = i;
        while (j + 1 < c->n_layers && c->layers[j + 1] == c->layers[j] + 1) j++;
        fprintf(f, "%s%d", i ? "," : "", (int)c->layers[i]);
        if (j > i) fprintf(f, "%s%d", j == i + 1 ? "," : "–", (int)c->layers[j]);
        i = j + 1;
    }
}

static int write_out(const char *cmd, const sweep_config *c, const char *name, char *text, size_t len) {
    char *path = NULL;
    int rc = CLI_OK;
    if (!text || asprintf(&path, "%s/%s", c->out, name) < 0) rc = cli_fail(cmd, "out of memory");
    else if (gp_write_file_atomic(path, text, len) != GP_OK) rc = cli_fail_gp(cmd);
    free(path);
    free(text);
    return rc;
}

/* Numbered notes for failed cells: one per distinct message, listing where. */
typedef struct notes {
    int32_t n;
    char *msg[64];
    char *where[64];
} notes;

/* The note number of msg (1-based), adding "what" to where it happened. */
static int note(notes *N, const char *msg, const char *what) {
    int32_t i = 0;
    while (i < N->n && strcmp(N->msg[i], msg)) i++;
    if (i == N->n) {
        if (N->n == 64) return 0;
        N->msg[i] = strdup(msg);
        N->where[i] = strdup(what);
        N->n++;
    } else if (strlen(N->where[i]) < 400 && !strstr(N->where[i], what)) {
        char *w = NULL;
        if (asprintf(&w, "%s, %s", N->where[i], what) >= 0) free(N->where[i]), N->where[i] = w;
    }
    return N->msg[i] && N->where[i] ? (int)i + 1 : 0;
}

static void notes_print(FILE *f, notes *N) {
    for (int32_t i = 0; i < N->n; i++) {
        fprintf(f, "- (%d) %s: ", (int)i + 1, N->where[i] ? N->where[i] : "");
        md(f, N->msg[i]);
        fputc('\n', f);
        free(N->msg[i]);
        free(N->where[i]);
    }
    N->n = 0;
}

/* A failed cell: "— (k)". */
static void failed_cell(FILE *f, notes *N, const cJSON *res, int layer, const char *m) {
    const char *e = error_of(res);
    char what[160];
    snprintf(what, sizeof what, "%s on layer %d", m, layer);
    int k = e ? note(N, e, what) : 0;
    if (k) fprintf(f, "— (%d)", k);
    else fputs("—", f);
}

static const char *eval_text(const sweep_config *c, char *buf, size_t n) {
    if (c->folds >= 2)
        snprintf(buf, n, "%d-fold cross-validation (metrics pooled over the out-of-fold rows), seed %llu",
                 (int)c->folds, (unsigned long long)c->seed);
    else if (c->test_frac > 0)
        snprintf(buf, n, "a held-out split of %g%% of the rows (the same rows in every layer), seed %llu",
                 100 * c->test_frac, (unsigned long long)c->seed);
    else
        snprintf(buf, n, "no held-out rows (--test-frac 0): the metrics are on the training rows, seed %llu",
                 (unsigned long long)c->seed);
    return buf;
}

static const char *split_word(const sweep_config *c) {
    return c->folds >= 2 ? "out-of-fold" : c->test_frac > 0 ? "held-out" : "training";
}

/* ------------------------------------------------------------------ */
/* summary.md                                                         */
/* ------------------------------------------------------------------ */

static void md_inputs(FILE *f, const sweep_config *c, const cJSON *report) {
    const cJSON *layers = cJSON_GetObjectItem(report, "layers");
    char buf[256];
    fputs("## Inputs\n\n| dataset | activations | labels | contrast pairs (x+ / x−) | rows × features |\n"
          "|---|---|---|---|---|\n", f);
    for (int32_t di = 0; di < c->n_datasets; di++) {
        const sweep_dataset *d = &c->datasets[di];
        const cJSON *L0 = cJSON_GetArrayItem(layers, 0);
        const cJSON *src = di == 0 ? L0 : cJSON_GetObjectItem(cJSON_GetObjectItem(L0, "datasets"), d->name);
        fputs("| ", f);
        md(f, d->name);
        fputs(di == 0 && c->n_datasets > 1 ? " (primary)" : "", f);
        fputs(" | ", f);
        if (d->acts) code(f, d->acts); else fputs("—", f);
        fputs(" | ", f);
        if (d->labels) code(f, d->labels); else fputs("—", f);
        fputs(" | ", f);
        if (d->pos) code(f, d->pos), fputs(" / ", f), code(f, d->neg);
        else fputs("—", f);
        double n = sweep_num(cJSON_GetObjectItem(src, "n")), dd = sweep_num(cJSON_GetObjectItem(src, "d"));
        if (isfinite(n) && isfinite(dd)) fprintf(f, " | %.0f × %.0f |\n", n, dd);
        else fputs(" | — |\n", f);
    }
    fputs("\n- **Layers:** ", f);
    layer_list(f, c);
    fprintf(f, " (%d layers; `{L}` in a path stands for the layer number)\n", (int)c->n_layers);
    fputs("- **Methods:**", f);
    bool any_probe = false, any_pair = false;
    for (int32_t m = 0; m < c->n_methods; m++) {
        if (sweep_is_pair_method(c->methods[m])) any_pair = true;
        else any_probe = true;
    }
    if (any_probe) {
        fputs(" supervised probes", f);
        for (int32_t m = 0, k = 0; m < c->n_methods; m++)
            if (!sweep_is_pair_method(c->methods[m])) fprintf(f, "%s%s", k++ ? ", " : " ", c->methods[m]);
        fprintf(f, ", ranked by %s accuracy (`test.accuracy`)%s", split_word(c), any_pair ? ";" : "");
    }
    if (any_pair) {
        fputs(" contrast-pair (unsupervised) probes", f);
        for (int32_t m = 0, k = 0; m < c->n_methods; m++)
            if (sweep_is_pair_method(c->methods[m])) fprintf(f, "%s%s", k++ ? ", " : " ", c->methods[m]);
        fprintf(f, ", ranked by %s sign-calibrated accuracy (`test.sign_calibrated_accuracy`: the "
                "probe's sign fixed with the training labels, not the test labels)", split_word(c));
    }
    fprintf(f, ".\n- **Evaluation:** %s", eval_text(c, buf, sizeof buf));
    if (c->bootstrap > 0)
        fprintf(f, "; 95%% intervals from %d bootstrap resamples of the evaluated rows.\n", (int)c->bootstrap);
    else
        fputs("; no intervals (--bootstrap 0).\n", f);
    fprintf(f, "- **Settings:** logistic C = %g; features standardized: %s", c->C, c->standardize ? "yes" : "no");
    if (any_pair)
        fprintf(f, "; contrast pairs normalized with `%s`; CCS: %d tries, optimizer %s", c->norm ? c->norm : "burns",
                (int)c->tries, c->optimizer ? c->optimizer : "lbfgs");
    fprintf(f, "; PCA summary: %d components.\n", (int)c->pca_k);
    const cJSON *blas = cJSON_GetObjectItem(report, "blas");
    if (blas) {
        const char *core = cJSON_GetStringValue(cJSON_GetObjectItem(blas, "core"));
        const char *conf = cJSON_GetStringValue(cJSON_GetObjectItem(blas, "config"));
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(blas, "core_chosen_by"));
        double th = sweep_num(cJSON_GetObjectItem(blas, "threads"));
        fprintf(f, "- **BLAS:** core %s", core ? core : "?");
        if (isfinite(th)) fprintf(f, ", %.0f threads", th);
        if (conf) fputs(" (", f), md(f, conf), fputs(")", f);
        if (why) fputs("; chosen by ", f), md(f, why);
        fputs(".\n", f);
    }
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItem(report, "geoprobe_version"));
    fprintf(f, "- **geoprobe** %s; the command:\n\n", ver ? ver : "?");
    char *line = cli_shell_join(cli.argc, cli.argv);
    fprintf(f, "```sh\n%s\n```\n\n", line ? line : "");
    free(line);
}

/* The methods' common chance level (NaN: none, or they differ). */
static double common_chance(const sweep_config *c, const cJSON *report) {
    double ch = NAN;
    for (int32_t m = 0; m < c->n_methods; m++) {
        double cm = sweep_chance(cJSON_GetObjectItem(report, "layers"), c->methods[m]);
        if (isfinite(cm) && isfinite(ch) && cm != ch) return NAN;
        if (isfinite(cm)) ch = cm;
    }
    return ch;
}

/* The per-layer table of dataset di, the paper-style table for contrast
 * pairs, the best layers in words. */
static void md_results(FILE *f, const sweep_config *c, const cJSON *report, int32_t di, notes *N) {
    const cJSON *layers = cJSON_GetObjectItem(report, "layers");
    int32_t best[64];
    bool any_pair = false, any_ci = false, unlabeled = false;
    int32_t nm = c->n_methods < 64 ? c->n_methods : 64;
    for (int32_t m = 0; m < nm; m++) {
        best[m] = best_index(c, layers, di, c->methods[m]);
        any_pair |= sweep_is_pair_method(c->methods[m]);
    }
    fputs("## Results", f);
    if (c->n_datasets > 1) fputs(" on ", f), md(f, c->datasets[di].name);
    fprintf(f, "\n\nThe %s accuracy of each method on each layer%s", split_word(c),
            any_pair ? " (contrast-pair methods: sign-calibrated accuracy)" : "");
    fputs(c->bootstrap > 0 ? ", with its 95% interval in brackets" : "", f);
    double ch = common_chance(c, report);
    fputs(". **Bold**: each method's best layer (the first on ties). ", f);
    if (ch == 0.5) fputs("Chance is 0.500.", f);
    else if (isfinite(ch)) fprintf(f, "Chance (always guessing the most frequent class): %.3f.", ch);
    fputs("\n\n| layer |", f);
    for (int32_t m = 0; m < nm; m++) fprintf(f, " %s |", c->methods[m]);
    fputs("\n|---:|", f);
    for (int32_t m = 0; m < nm; m++) fputs("---|", f);
    fputc('\n', f);
    int32_t li = 0;
    const cJSON *L;
    cJSON_ArrayForEach(L, layers) {
        fprintf(f, "| %d |", layer_no(L));
        for (int32_t m = 0; m < nm; m++) {
            const cJSON *res = sweep_result(c, L, di, c->methods[m]);
            double ci[2], v = score(res, c->methods[m], ci);
            fputc(' ', f);
            const cJSON *loss = cJSON_GetObjectItem(res, "loss");
            if (!isfinite(v) && res && !error_of(res) && cJSON_IsNumber(loss)) {
                fprintf(f, "loss %.3f", loss->valuedouble);
                unlabeled = true;
            } else if (!isfinite(v)) {
                if (res) failed_cell(f, N, res, layer_no(L), c->methods[m]);
                else fputs("—", f);
            } else {
                const char *b = li == best[m] ? "**" : "";
                fprintf(f, "%s%.3f", b, v);
                if (isfinite(ci[0]) && isfinite(ci[1])) fprintf(f, " [%.3f, %.3f]", ci[0], ci[1]), any_ci = true;
                fputs(b, f);
            }
            fputs(" |", f);
        }
        fputc('\n', f);
        li++;
    }
    (void)any_ci;
    if (unlabeled)
        fputs("\nWithout labels there is no accuracy: \"loss\" is the contrast-pair probe's training loss "
              "(lower: more consistent and confident answers, which need not be the true ones).\n", f);
    fputs("\nBest layer per method:", f);
    for (int32_t m = 0; m < nm; m++) {
        double ci[2];
        if (best[m] < 0) {
            fprintf(f, "%s %s %s", m ? ";" : "", c->methods[m], no_best(c, layers, di, c->methods[m]));
            continue;
        }
        const cJSON *B = cJSON_GetArrayItem(layers, best[m]);
        fprintf(f, "%s %s layer %d (%.3f)", m ? ";" : "", c->methods[m], layer_no(B),
                score(sweep_result(c, B, di, c->methods[m]), c->methods[m], ci));
    }
    fputs(".\n\n", f);
    bool paper = false; /* a paper-style accuracy somewhere (not without labels) */
    cJSON_ArrayForEach(L, layers) for (int32_t m = 0; m < nm; m++) paper |= sweep_is_pair_method(c->methods[m]) &&
        isfinite(sweep_num(sweep_at(sweep_result(c, L, di, c->methods[m]), "test.accuracy")));
    if (!paper) return;
    fprintf(f, "Contrast-pair methods as the CCS paper (Burns et al. 2022) reports them: %s accuracy "
            "max(acc, 1 − acc), the sign chosen after seeing the test labels — an optimistic number; "
            "the table above fixes the sign with the training labels.\n\n| layer |", split_word(c));
    for (int32_t m = 0; m < nm; m++)
        if (sweep_is_pair_method(c->methods[m])) fprintf(f, " %s |", c->methods[m]);
    fputs("\n|---:|", f);
    for (int32_t m = 0; m < nm; m++)
        if (sweep_is_pair_method(c->methods[m])) fputs("---|", f);
    fputc('\n', f);
    cJSON_ArrayForEach(L, layers) {
        fprintf(f, "| %d |", layer_no(L));
        for (int32_t m = 0; m < nm; m++) {
            if (!sweep_is_pair_method(c->methods[m])) continue;
            const cJSON *res = sweep_result(c, L, di, c->methods[m]);
            double v = sweep_num(sweep_at(res, "test.accuracy"));
            fputc(' ', f);
            if (isfinite(v)) fprintf(f, "%.3f", v);
            else if (res) failed_cell(f, N, res, layer_no(L), c->methods[m]);
            else fputs("—", f);
            fputs(" |", f);
        }
        fputc('\n', f);
    }
    fputc('\n', f);
}

static void md_baseline(FILE *f, const sweep_config *c, const cJSON *report) {
    const cJSON *base = cJSON_GetObjectItem(report, "baseline");
    const cJSON *layers = cJSON_GetObjectItem(report, "layers");
    const char *warn = cJSON_GetStringValue(cJSON_GetObjectItem(base, "warning"));
    int l0 = (int)sweep_num(cJSON_GetObjectItem(base, "layer"));
    fprintf(f, "## Baseline: the lowest layer (%d)\n\n", l0);
    if (cJSON_GetArraySize(layers) < 2) {
        fputs("Only one layer was swept: there is no lower layer to compare it with. Sweep layer 0 (the "
              "token embeddings) too, to check that a probe does not just read the input tokens.\n\n", f);
        return;
    }
    if (l0 != 0)
        fprintf(f, "The lowest layer swept is %d, not 0: if layer 0 holds the token embeddings, sweep it "
                "too for this check.\n\n", l0);
    if (warn) {
        fputs("> **Warning:** ", f);
        md(f, warn);
        fputs(".\n\n", f);
        return;
    }
    const cJSON *scores = cJSON_GetObjectItem(base, "scores");
    char near[512] = "", far[512] = "", failed[256] = "", self[256] = "";
    for (int32_t m = 0; m < c->n_methods; m++) {
        const char *name = c->methods[m];
        double v = sweep_num(cJSON_GetObjectItem(scores, name)), ch = sweep_chance(layers, name);
        if (isnan(ch)) ch = 0.5;
        char *dst = !isfinite(v) ? failed : fabs(v - ch) <= 0.1 ? near : far;
        size_t used = strlen(dst), cap = dst == failed ? sizeof failed : sizeof near;
        const cJSON *bl = sweep_at(cJSON_GetObjectItem(report, "best_layer"), name);
        if (dst == far && cJSON_IsNumber(bl) && (int)bl->valuedouble == l0 && strlen(self) < 200)
            snprintf(self + strlen(self), sizeof self - strlen(self), "%s%s", *self ? ", " : "", name);
        if (dst == far && cJSON_IsNumber(bl))
            snprintf(dst + used, cap - used, "%s%s %.3f (its best: %.3f on layer %d)", used ? ", " : "", name, v,
                     sweep_num(sweep_at(cJSON_GetObjectItem(report, "best_score"), name)), (int)bl->valuedouble);
        else if (isfinite(v)) snprintf(dst + used, cap - used, "%s%s %.3f", used ? ", " : "", name, v);
        else snprintf(dst + used, cap - used, "%s%s", used ? ", " : "", name);
    }
    if (*far) {
        fprintf(f, "Not near chance on layer %d: %s%s%s. ", l0, far, *near ? "; near chance: " : "", near);
        if (*self)
            fprintf(f, "For %s the lowest layer is itself the best: the probe may read the input tokens "
                    "rather than the concept.", self);
        else
            fputs("That is below the warning level (the lowest layer reaching half of the best layer's "
                  "margin over chance), but part of the answer may be in the input tokens alone.", f);
    } else if (*near) {
        fprintf(f, "On layer %d (the token embeddings, if layer %d is the embedding layer) every method "
                "that ran is near chance (%s): the concept is not read off the input tokens, as it should "
                "not be.", l0, l0, near);
    } else {
        fprintf(f, "No method gave a score on layer %d.", l0);
    }
    if (*failed) fprintf(f, " (%s failed on layer %d: see the notes above.)", failed, l0);
    /* CKA 0 with itself: every row of the layer is the same */
    const cJSON *cka0 = cJSON_GetArrayItem(cJSON_GetArrayItem(sweep_at(report, "cka.matrix"), 0), 0);
    if (cJSON_IsNumber(cka0) && cka0->valuedouble < 0.5 &&
        (int)sweep_num(cJSON_GetArrayItem(sweep_at(report, "cka.layers"), 0)) == l0)
        fprintf(f, " Layer %d is constant (every row the same), so no method can read anything from it.", l0);
    fputs("\n\n", f);
}

/* One cosine, or "—" for null. */
static void cos_cell(FILE *f, const cJSON *v) {
    if (cJSON_IsNumber(v)) fprintf(f, " %.3f |", v->valuedouble);
    else fputs(" — |", f);
}

static void md_cosines(FILE *f, const sweep_config *c, const cJSON *report) {
    const cJSON *dc = cJSON_GetObjectItem(report, "direction_cosine");
    const cJSON *al = cJSON_GetObjectItem(dc, "across_layers");
    const cJSON *layers = cJSON_GetObjectItem(report, "layers");
    if (!dc) return;
    fputs("## Direction cosines\n\nThe cosine between two probes' directions in activation space "
          "(a probe's weight vector; a contrast-pair probe's weight divided by its normalization "
          "scale). 1: the same direction, 0: unrelated, −1: opposite. Comparing layers is meaningful "
          "only where they share a basis (a residual stream). — : no probe there, or a probe with a "
          "zero direction (a constant layer).\n\n", f);
    if (cJSON_GetArraySize(layers) > 1) {
        fputs("Between adjacent layers:\n\n| layers |", f);
        for (int32_t m = 0; m < c->n_methods; m++) fprintf(f, " %s |", c->methods[m]);
        fputs("\n|---|", f);
        for (int32_t m = 0; m < c->n_methods; m++) fputs("---:|", f);
        fputc('\n', f);
        for (int32_t i = 0; i + 1 < cJSON_GetArraySize(layers); i++) {
            fprintf(f, "| %d → %d |", layer_no(cJSON_GetArrayItem(layers, i)),
                    layer_no(cJSON_GetArrayItem(layers, i + 1)));
            for (int32_t m = 0; m < c->n_methods; m++)
                cos_cell(f, cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(al, c->methods[m]), i), i + 1));
            fputc('\n', f);
        }
        fputc('\n', f);
    }
    const cJSON *am = cJSON_GetObjectItem(dc, "across_methods");
    const cJSON *names = cJSON_GetObjectItem(am, "methods"), *mat = cJSON_GetObjectItem(am, "matrix");
    int32_t k = cJSON_GetArraySize(names);
    if (k < 2) return;
    int bl = (int)sweep_num(cJSON_GetObjectItem(am, "layer"));
    fprintf(f, "Between methods on layer %d", bl);
    const cJSON *b0 = sweep_at(cJSON_GetObjectItem(report, "best_layer"), c->methods[0]);
    if (cJSON_IsNumber(b0) && (int)b0->valuedouble == bl) fprintf(f, " (the best layer of %s)", c->methods[0]);
    fputs(":\n\n|  |", f);
    for (int32_t i = 0; i < k; i++) fprintf(f, " %s |", cJSON_GetStringValue(cJSON_GetArrayItem(names, i)));
    fputs("\n|---|", f);
    for (int32_t i = 0; i < k; i++) fputs("---:|", f);
    fputc('\n', f);
    for (int32_t i = 0; i < k; i++) {
        fprintf(f, "| %s |", cJSON_GetStringValue(cJSON_GetArrayItem(names, i)));
        for (int32_t j = 0; j < k; j++) cos_cell(f, cJSON_GetArrayItem(cJSON_GetArrayItem(mat, i), j));
        fputc('\n', f);
    }
    fputc('\n', f);
}

static void md_cka(FILE *f, const cJSON *report) {
    const cJSON *cka = cJSON_GetObjectItem(report, "cka");
    fputs("## CKA between layers\n\n", f);
    const cJSON *ls = cJSON_GetObjectItem(cka, "layers"), *mat = cJSON_GetObjectItem(cka, "matrix");
    int32_t n = cJSON_GetArraySize(ls);
    if (!cka || n < 1) {
        fputs("Not computed (the primary dataset has no activations, only contrast pairs).\n\n", f);
        return;
    }
    int last = (int)sweep_num(cJSON_GetArrayItem(ls, n - 1));
    fprintf(f, "Linear CKA between each layer's activations and the last layer's (%d), on %.0f of the "
            "%.0f rows (evenly spaced). 1: the same representation up to a rotation and a scale; a "
            "constant layer has CKA 0 with every layer.\n\n| layer | CKA to layer %d |\n|---:|---:|\n",
            last, sweep_num(cJSON_GetObjectItem(cka, "rows")), sweep_num(cJSON_GetObjectItem(cka, "of_rows")), last);
    for (int32_t i = 0; i < n; i++) {
        fprintf(f, "| %d |", (int)sweep_num(cJSON_GetArrayItem(ls, i)));
        cos_cell(f, cJSON_GetArrayItem(cJSON_GetArrayItem(mat, i), n - 1));
        fputc('\n', f);
    }
    fputc('\n', f);
}

static void md_transfer(FILE *f, const sweep_config *c, const cJSON *report, notes *N) {
    if (c->n_datasets < 2) return;
    const cJSON *layers = cJSON_GetObjectItem(report, "layers");
    const cJSON *best = cJSON_GetObjectItem(report, "best_layer");
    char flagged[1024] = "";
    fprintf(f, "## Transfer between datasets\n\nEach method's probe, trained on one dataset's training "
            "rows, applied to every row of the other datasets (`geoprobe apply`), at the method's best "
            "layer on %s. A cell is accuracy / AUROC (contrast-pair methods: sign-calibrated accuracy); "
            "the diagonal is the %s score on the probe's own dataset.\n\n", c->datasets[0].name, split_word(c));
    for (int32_t m = 0; m < c->n_methods; m++) {
        const char *name = c->methods[m];
        const cJSON *bl = cJSON_GetObjectItem(best, name);
        if (!cJSON_IsNumber(bl)) continue;
        const cJSON *L = NULL, *e;
        cJSON_ArrayForEach(e, layers) if (layer_no(e) == (int)bl->valuedouble) L = e;
        const cJSON *tr = sweep_at(cJSON_GetObjectItem(L, "transfer"), name);
        fprintf(f, "**%s, layer %d** (rows: trained on; columns: evaluated on)\n\n| |", name, layer_no(L));
        for (int32_t j = 0; j < c->n_datasets; j++) fputc(' ', f), md(f, c->datasets[j].name), fputs(" |", f);
        fputs("\n|---|", f);
        for (int32_t j = 0; j < c->n_datasets; j++) fputs("---|", f);
        fputc('\n', f);
        for (int32_t i = 0; i < c->n_datasets; i++) {
            fputs("| ", f);
            md(f, c->datasets[i].name);
            fputs(" |", f);
            for (int32_t j = 0; j < c->n_datasets; j++) {
                double acc, auc;
                const cJSON *cell = NULL;
                if (i == j) {
                    double ci[2];
                    cell = sweep_result(c, L, i, name);
                    acc = score(cell, name, ci);
                    auc = sweep_num(sweep_at(cell, "test.auroc"));
                } else {
                    cell = cJSON_GetObjectItem(cJSON_GetObjectItem(tr, c->datasets[i].name), c->datasets[j].name);
                    acc = sweep_num(cJSON_GetObjectItem(cell, sweep_is_pair_method(name) ? "sign_calibrated_accuracy"
                                                                                    : "accuracy"));
                    auc = sweep_num(cJSON_GetObjectItem(cell, "auroc"));
                }
                fputc(' ', f);
                if (!isfinite(acc)) {
                    if (error_of(cell)) failed_cell(f, N, cell, layer_no(L), name);
                    else fputs("—", f);
                } else {
                    fprintf(f, "%.3f / ", acc);
                    if (isfinite(auc)) fprintf(f, "%.3f", auc);
                    else fputs("—", f);
                    if (i == j) fputs(" (own)", f);
                }
                fputs(" |", f);
                if (i != j && isfinite(acc) && isfinite(auc) && auc >= 0.75 && auc - acc >= 0.2 &&
                    strlen(flagged) < 800)
                    snprintf(flagged + strlen(flagged), sizeof flagged - strlen(flagged),
                             "%s%s %s → %s: accuracy %.3f, AUROC %.3f", *flagged ? "; " : "", name,
                             c->datasets[i].name, c->datasets[j].name, acc, auc);
            }
            fputc('\n', f);
        }
        fputc('\n', f);
    }
    fputs("Accuracy can drop while AUROC stays high: AUROC asks only whether the probe's scores rank "
          "the true rows above the false ones, accuracy also needs the threshold (the bias, or a "
          "contrast-pair probe's calibration) to fit the new data. ", f);
    if (*flagged)
        fprintf(f, "That happens here (%s): the direction transfers, the bias does not — the datasets' "
                "activations are offset from each other. Refitting only the bias on a few labeled rows "
                "of the new dataset would recover most of the accuracy.\n\n", flagged);
    else
        fputs("No cell here shows that pattern.\n\n", f);
}

static void md_plots(FILE *f, const sweep_config *c, const cJSON *report) {
    const cJSON *plots = sweep_at(report, "files.plots"), *p;
    fputs("## Plots\n\n", f);
    if (!c->plots) {
        fputs("None (--no-plots).\n\n", f);
        return;
    }
    if (cJSON_GetArraySize(plots) == 0) {
        fputs("None could be drawn (the warnings on stderr say why).\n\n", f);
        return;
    }
    bool image = strcmp(c->plot_format ? c->plot_format : "png", "pdf") != 0;
    cJSON_ArrayForEach(p, plots) {
        const char *name = cJSON_GetStringValue(p);
        if (!name) continue;
        char cap[512];
        sweep_plot_caption(c, report, name, cap, sizeof cap);
        fputs("- ", f);
        md(f, cap);
        fprintf(f, ":\n\n  %s[%s](%s)\n\n", image ? "!" : "", name, name);
    }
}

/* The best layers in one line, and the baseline warning if there is one. */
static void md_glance(FILE *f, const sweep_config *c, const cJSON *report) {
    const cJSON *best = cJSON_GetObjectItem(report, "best_layer"), *bs = cJSON_GetObjectItem(report, "best_score");
    fputs("**At a glance.** Best layer", f);
    if (c->n_datasets > 1) fputs(" on ", f), md(f, c->datasets[0].name);
    fputc(':', f);
    for (int32_t m = 0; m < c->n_methods; m++) {
        const cJSON *b = cJSON_GetObjectItem(best, c->methods[m]);
        if (cJSON_IsNumber(b))
            fprintf(f, "%s %s %d (%.3f)", m ? "," : "", c->methods[m], (int)b->valuedouble,
                    sweep_num(cJSON_GetObjectItem(bs, c->methods[m])));
        else
            fprintf(f, "%s %s %s", m ? "," : "", c->methods[m],
                    no_best(c, cJSON_GetObjectItem(report, "layers"), 0, c->methods[m]));
    }
    double ch = common_chance(c, report);
    if (isfinite(ch)) fprintf(f, ". Chance: %.3f.", ch);
    else fputs(".", f);
    if (cJSON_GetStringValue(sweep_at(report, "baseline.warning")))
        fputs(" **Warning:** the lowest layer already carries much of the signal (see Baseline).", f);
    fputs("\n\n", f);
}

int sweep_write_summary(const char *cmd, const sweep_config *c, const cJSON *report) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return cli_fail(cmd, "out of memory");
    notes N = {.n = 0};
    fputs("# Layer sweep: ", f);
    for (int32_t i = 0; i < c->n_datasets; i++) fputs(i ? ", " : "", f), md(f, c->datasets[i].name);
    fputs("\n\nEvery method below was trained and evaluated on every layer by the single-layer "
          "command a user would type (`geoprobe probe`, `geoprobe ccs`), with the same rows held out "
          "in every layer, so each number can be checked by hand. All of them, with the options and "
          "input hashes, are in `report.json`; one file per layer in `layers/`; the saved probes in "
          "`probes/` (`layer_L-DATASET-METHOD.safetensors`, for `geoprobe apply`).\n\n", f);
    md_glance(f, c, report);
    md_inputs(f, c, report);
    for (int32_t di = 0; di < c->n_datasets; di++) md_results(f, c, report, di, &N);
    if (N.n) {
        fputs("Notes: the methods that failed, with the command's message (the sweep went on).\n\n", f);
        notes_print(f, &N);
        fputc('\n', f);
    }
    md_baseline(f, c, report);
    md_cosines(f, c, report);
    md_cka(f, report);
    md_transfer(f, c, report, &N);
    if (N.n) {
        fputs("Notes on the transfer tables:\n\n", f);
        notes_print(f, &N);
        fputc('\n', f);
    }
    md_plots(f, c, report);
    fclose(f);
    return write_out(cmd, c, "summary.md", text, len);
}

/* ------------------------------------------------------------------ */
/* table.tex                                                          */
/* ------------------------------------------------------------------ */

static void tex_table(FILE *f, const sweep_config *c, const cJSON *report, int32_t di) {
    const cJSON *layers = cJSON_GetObjectItem(report, "layers"), *L;
    int32_t nm = c->n_methods < 64 ? c->n_methods : 64, best[64];
    bool any_pair = false, any_fail = false;
    for (int32_t m = 0; m < nm; m++) {
        best[m] = best_index(c, layers, di, c->methods[m]);
        any_pair |= sweep_is_pair_method(c->methods[m]);
    }
    fputs("\\begin{table}[t]\n\\centering\n\\caption{", f);
    fprintf(f, "%s%s accuracy of each method by layer on ", c->folds >= 2 ? "Cross-validated" : "",
            c->folds >= 2 ? "" : c->test_frac > 0 ? "Held-out" : "Training");
    tex(f, c->datasets[di].name);
    if (c->folds >= 2) fprintf(f, " (%d folds, seed %llu", (int)c->folds, (unsigned long long)c->seed);
    else if (c->test_frac > 0)
        fprintf(f, " (%g\\,\\%% of the rows held out, the same in every layer, seed %llu", 100 * c->test_frac,
                (unsigned long long)c->seed);
    else fprintf(f, " (no held-out rows, seed %llu", (unsigned long long)c->seed);
    if (any_pair) {
        fputs("; contrast-pair methods", f);
        for (int32_t m = 0, k = 0; m < nm; m++)
            if (sweep_is_pair_method(c->methods[m])) fputs(k++ ? ", " : " ", f), tex(f, c->methods[m]);
        fputs(": sign-calibrated accuracy", f);
    }
    fputs("). The best layer of each method is in bold", f);
    for (int32_t m = 0; m < nm && !any_fail; m++) {
        cJSON_ArrayForEach(L, layers) {
            double ci[2];
            if (!isfinite(score(sweep_result(c, L, di, c->methods[m]), c->methods[m], ci))) any_fail = true;
        }
    }
    fputs(any_fail ? "; ---: no score (the method failed on that layer, or there are no labels; see "
                     "summary.md)" : "", f);
    fputs(".}\n\\label{tab:geoprobe-layers", f);
    if (di > 0) {
        fputc('-', f);
        for (const char *s = c->datasets[di].name; *s; s++)
            fputc((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ? *s : '-', f);
    }
    fputs("}\n\\begin{tabular}{r", f);
    for (int32_t m = 0; m < nm; m++) fputc('c', f);
    fputs("}\n\\toprule\nLayer", f);
    for (int32_t m = 0; m < nm; m++) fputs(" & ", f), tex(f, c->methods[m]);
    fputs(" \\\\\n\\midrule\n", f);
    int32_t li = 0;
    cJSON_ArrayForEach(L, layers) {
        fprintf(f, "%d", layer_no(L));
        for (int32_t m = 0; m < nm; m++) {
            double ci[2], v = score(sweep_result(c, L, di, c->methods[m]), c->methods[m], ci);
            if (!isfinite(v)) fputs(" & ---", f);
            else if (li == best[m]) fprintf(f, " & \\textbf{%.3f}", v);
            else fprintf(f, " & %.3f", v);
        }
        fputs(" \\\\\n", f);
        li++;
    }
    fputs("\\bottomrule\n\\end{tabular}\n\\end{table}\n", f);
}

int sweep_write_table(const char *cmd, const sweep_config *c, const cJSON *report) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return cli_fail(cmd, "out of memory");
    fputs("% geoprobe layer sweep: one table per dataset (report.json has every number, with\n"
          "% 95% intervals). Needs \\usepackage{booktabs}; then \\input{table.tex}.\n", f);
    for (int32_t di = 0; di < c->n_datasets; di++) {
        if (di) fputc('\n', f);
        tex_table(f, c, report, di);
    }
    fclose(f);
    return write_out(cmd, c, "table.tex", text, len);
}
