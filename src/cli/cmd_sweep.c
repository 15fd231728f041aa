/* cmd_sweep.c — `geoprobe sweep` (from flags) and `geoprobe report CONFIG`
 * (from a JSON config, flags overriding): run every layer (resumable,
 * optionally in forked workers), then write the report folder. */
#include "sweep.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *USAGE_SWEEP =
    "geoprobe sweep --acts 'acts/layer_{L}.npy' --labels Y [--pos P --neg N] --out DIR\n"
    "               [--layers 0-31] [--methods logistic,massmean,ccs] [--jobs N] [--resume]";
static const char *USAGE_REPORT = "geoprobe report CONFIG.json [--out DIR] [--jobs N] [--resume]";

static void help(const char *cmd) {
    printf("usage: %s\n\n", strcmp(cmd, "report") ? USAGE_SWEEP : USAGE_REPORT);
    printf(
        "Probe every layer of a model for a concept and write a report a paper can use:\n"
        "per layer and method the test metrics with 95%% intervals, the probe, a PCA\n"
        "summary; across layers the layer curve, the best layer, cosine similarity of\n"
        "the directions, linear CKA between layers and, with several datasets, transfer.\n"
        "Each (layer, method) is computed by the single-layer command (probe, ccs, pca,\n"
        "apply) with the same options, so every number can be checked by hand.\n\n"
        "inputs (a {L} in a spec stands for the layer number):\n"
        "  --acts SPEC        one file per layer 'acts/layer_{L}.npy', a 3-D array\n"
        "                     'acts.npy@{L}', or tensors 'f.safetensors:model.layers.{L}.out'\n"
        "  --labels Y         labels of the rows (probes; evaluation of ccs/crc/vinc)\n"
        "  --pos SPEC --neg SPEC  contrast pairs per layer (ccs, crc, vinc)\n"
        "  --name NAME        the dataset's name (default main)\n"
        "  --dataset 'name=B,acts=...,labels=...[,pos=...,neg=...]'  another dataset:\n"
        "                     each probe is also evaluated on it (transfer); repeatable\n"
        "  --layers R         e.g. 0-31 or 0,4,8-12 (default: every {L} = 0, 1, ... found)\n"
        "  --methods M        logistic, massmean, massmean-iid, lda, ccs, crc, vinc\n"
        "                     (default: logistic,massmean with labels; ccs,crc with pairs)\n\n"
        "evaluation (as in `geoprobe probe` / `geoprobe ccs`):\n"
        "  --test-frac F      held-out fraction (default 0.2), the same rows in every layer\n"
        "  --folds K          K-fold cross-validation instead\n"
        "  --seed S           split, fold, bootstrap and CCS seed (default 0)\n"
        "  --bootstrap N      resamples for the 95%% intervals (default 1000)\n"
        "  --C C              logistic inverse regularization (default 1.0)\n"
        "  --standardize      probes fit on z-scored features\n"
        "  --norm N           ccs/crc/vinc normalization: burns, center, feature (burns)\n"
        "  --tries T          CCS restarts (default 10)   --optimizer lbfgs|adam (lbfgs)\n"
        "  --max-iter N       logistic and CCS L-BFGS iteration limit (default: theirs)\n"
        "  --pca-components K PCA summary per layer (default 10)\n"
        "  --cka-rows N       rows used for the CKA matrix (default 2000; 0 = all)\n"
        "  --drop-nonfinite   skip rows with NaN/Inf: each layer's commands drop that\n"
        "                     layer's bad rows; CKA drops rows bad in any layer\n\n"
        "output:\n"
        "  --out DIR          report.json, summary.md, table.tex, plots, probes/, layers/\n"
        "  --format F         plots as png (default), svg or pdf   --no-plots: none\n"
        "  --json FILE        also write report.json there (- for stdout)\n"
        "  --resume           keep the layers already done with the same settings\n"
        "  --jobs N           N layers at once (forked workers), BLAS threads shared out\n"
        "  --distribute layers  under mpirun (make MPI=1): each process runs whole layers\n"
        "                     (layer i on rank i mod N, one at a time), rank 0 writes the\n"
        "                     report; the layer files need a folder every rank sees\n"
        "  -j, --threads N    BLAS threads in all (default: all cores)\n"
        "  -q, --quiet        no progress on stderr, no summary on stdout\n"
        "  -h, --help         this help\n\n"
        "A JSON config takes the same settings: {\"acts\": ..., \"labels\": ..., \"pos\": ...,\n"
        "\"neg\": ..., \"layers\": \"0-5\", \"methods\": [\"logistic\", \"ccs\"], \"out\": ...,\n"
        "\"test_frac\", \"folds\", \"seed\", \"C\", \"standardize\", \"bootstrap\", \"norm\",\n"
        "\"optimizer\", \"tries\", \"max_iter\", \"pca_components\", \"cka_rows\", \"jobs\", \"threads\",\n"
        "\"plots\", \"plot_format\", \"drop_nonfinite\"}, or \"datasets\": [{\"name\", \"acts\",\n"
        "\"labels\", \"pos\", \"neg\"}, ...] for several; an unknown key is an error; \"_comment\" keys are ignored.\n\n"
        "Ctrl-C stops after the current step; finished layers stay in DIR/layers and\n"
        "--resume goes on from there.\n\n"
        "Example (the demo):\n"
        "  geoprobe sweep --acts 'datasets/larger_than/plain_layer{L}.npy' \\\n"
        "      --labels datasets/larger_than/labels.npy \\\n"
        "      --pos 'datasets/larger_than/pos_layer{L}.npy' \\\n"
        "      --neg 'datasets/larger_than/neg_layer{L}.npy' --out demo-out\n");
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

enum {
    O_ACTS = 0x1200, O_LABELS, O_POS, O_NEG, O_NAME, O_DATASET, O_LAYERS, O_METHODS, O_OUT,
    O_TEST_FRAC, O_FOLDS, O_SEED, O_BOOT, O_C, O_STD, O_NORM, O_TRIES, O_MAXITER, O_OPT, O_PCA, O_CKA,
    O_FORMAT, O_NOPLOTS, O_JSON, O_RESUME, O_JOBS, O_DROP, O_DISTRIBUTE
};

static const struct option LONG_OPTS[] = {
    {"acts", required_argument, NULL, O_ACTS},       {"labels", required_argument, NULL, O_LABELS},
    {"pos", required_argument, NULL, O_POS},         {"neg", required_argument, NULL, O_NEG},
    {"name", required_argument, NULL, O_NAME},       {"dataset", required_argument, NULL, O_DATASET},
    {"layers", required_argument, NULL, O_LAYERS},   {"methods", required_argument, NULL, O_METHODS},
    {"out", required_argument, NULL, O_OUT},         {"test-frac", required_argument, NULL, O_TEST_FRAC},
    {"folds", required_argument, NULL, O_FOLDS},     {"seed", required_argument, NULL, O_SEED},
    {"bootstrap", required_argument, NULL, O_BOOT},  {"C", required_argument, NULL, O_C},
    {"standardize", no_argument, NULL, O_STD},       {"norm", required_argument, NULL, O_NORM},
    {"tries", required_argument, NULL, O_TRIES},     {"optimizer", required_argument, NULL, O_OPT},
    {"max-iter", required_argument, NULL, O_MAXITER},
    {"pca-components", required_argument, NULL, O_PCA}, {"cka-rows", required_argument, NULL, O_CKA},
    {"format", required_argument, NULL, O_FORMAT},   {"no-plots", no_argument, NULL, O_NOPLOTS},
    {"json", required_argument, NULL, O_JSON},       {"resume", no_argument, NULL, O_RESUME},
    {"distribute", required_argument, NULL, O_DISTRIBUTE},
    {"jobs", required_argument, NULL, O_JOBS},       {"threads", required_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},               {"help", no_argument, NULL, 'h'},
    {"drop-nonfinite", no_argument, NULL, O_DROP},   {NULL, 0, NULL, 0}};

static bool dup_to(char **dst, const char *s) {
    free(*dst);
    return (*dst = strdup(s)) != NULL;
}

/* "name=B,acts=...,labels=...,pos=...,neg=..." */
static bool parse_dataset(const char *s, sweep_dataset *d) {
    char *dup = strdup(s), *save = NULL;
    bool ok = dup != NULL;
    for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t && ok; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq) {
            ok = false;
            break;
        }
        *eq = '\0';
        char **dst = !strcmp(t, "name")     ? &d->name
                     : !strcmp(t, "acts")   ? &d->acts
                     : !strcmp(t, "labels") ? &d->labels
                     : !strcmp(t, "pos")    ? &d->pos
                     : !strcmp(t, "neg")    ? &d->neg
                                            : NULL;
        ok = dst && dup_to(dst, eq + 1);
    }
    free(dup);
    return ok && d->name;
}

/* The flags, applied over a config file's settings. */
typedef struct flags {
    sweep_dataset top;
    bool have_top;
    sweep_dataset *extra;
    int32_t n_extra;
    const char *layers, *methods, *out, *norm, *opt, *format, *json;
    double test_frac, C;
    long long folds, seed, boot, tries, max_iter, pca, cka, jobs;
    bool set_tf, set_C, set_folds, set_seed, set_boot, set_tries, set_max_iter, set_pca, set_cka, set_jobs;
    bool standardize, no_plots, resume, quiet, drop, distribute;
    int threads;
} flags;

static void flags_free(flags *f) {
    free(f->top.name);
    free(f->top.acts);
    free(f->top.labels);
    free(f->top.pos);
    free(f->top.neg);
    for (int32_t i = 0; i < f->n_extra; i++) {
        sweep_dataset *d = &f->extra[i];
        free(d->name);
        free(d->acts);
        free(d->labels);
        free(d->pos);
        free(d->neg);
    }
    free(f->extra);
}

static int parse_flags(const char *cmd, const char *usage, int argc, char **argv, flags *f,
                       const char **config) {
    int c, rc = CLI_OK;
    optind = 0;
    while ((c = getopt_long(argc, argv, "j:qh", LONG_OPTS, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case O_ACTS: ok = dup_to(&f->top.acts, optarg), f->have_top = true; break;
        case O_LABELS: ok = dup_to(&f->top.labels, optarg), f->have_top = true; break;
        case O_POS: ok = dup_to(&f->top.pos, optarg), f->have_top = true; break;
        case O_NEG: ok = dup_to(&f->top.neg, optarg), f->have_top = true; break;
        case O_NAME: ok = dup_to(&f->top.name, optarg); break;
        case O_DATASET: {
            sweep_dataset *nd = realloc(f->extra, (size_t)(f->n_extra + 1) * sizeof *nd);
            if (!nd) return cli_fail(cmd, "out of memory");
            f->extra = nd;
            memset(&nd[f->n_extra], 0, sizeof *nd);
            if (!parse_dataset(optarg, &nd[f->n_extra++]))
                return cli_usage_error(cmd, usage, "--dataset wants 'name=NAME,acts=SPEC,labels=Y"
                                       "[,pos=SPEC,neg=SPEC]', not '%s'", optarg);
            break;
        }
        case O_LAYERS: f->layers = optarg; break;
        case O_METHODS: f->methods = optarg; break;
        case O_OUT: f->out = optarg; break;
        case O_NORM: f->norm = optarg; break;
        case O_OPT: f->opt = optarg; break;
        case O_FORMAT: f->format = optarg; break;
        case O_JSON: f->json = optarg; break;
        case O_TEST_FRAC:
            ok = cli_parse_double(optarg, &f->test_frac) && f->test_frac >= 0 && f->test_frac <= 0.9;
            f->set_tf = true;
            break;
        case O_C: ok = cli_parse_double(optarg, &f->C) && f->C > 0, f->set_C = true; break;
        case O_FOLDS: ok = cli_parse_int(optarg, 0, 100, &f->folds), f->set_folds = true; break;
        case O_SEED: ok = cli_parse_int(optarg, 0, (1LL << 53), &f->seed), f->set_seed = true; break;
        case O_BOOT: ok = cli_parse_int(optarg, 0, 1000000, &f->boot), f->set_boot = true; break;
        case O_TRIES: ok = cli_parse_int(optarg, 1, 10000, &f->tries), f->set_tries = true; break;
        case O_MAXITER: ok = cli_parse_int(optarg, 1, 1000000, &f->max_iter), f->set_max_iter = true; break;
        case O_PCA: ok = cli_parse_int(optarg, 1, 1000, &f->pca), f->set_pca = true; break;
        case O_CKA: ok = cli_parse_int(optarg, 0, 1000000000, &f->cka), f->set_cka = true; break;
        case O_JOBS: ok = cli_parse_int(optarg, 1, 256, &f->jobs), f->set_jobs = true; break;
        case O_STD: f->standardize = true; break;
        case O_NOPLOTS: f->no_plots = true; break;
        case O_RESUME: f->resume = true; break;
        case O_DROP: f->drop = true; break;
        case O_DISTRIBUTE:
            if (strcmp(optarg, "layers") != 0)
                return cli_usage_error(cmd, usage, "--distribute wants 'layers' (each process runs "
                                       "whole layers), not '%s'", optarg);
            f->distribute = true;
            break;
        case 'j': {
            long long n;
            ok = cli_parse_int(optarg, 0, 1024, &n);
            f->threads = (int)n;
            break;
        }
        case 'q': f->quiet = true; break;
        case 'h': help(cmd); return -1;
        default: return cli_usage_error(cmd, usage, "unknown option");
        }
        if (!ok) return cli_usage_error(cmd, usage, "bad value '%s' for %s", optarg ? optarg : "",
                                        argv[optind - 1]);
    }
    int want = strcmp(cmd, "report") == 0 ? 1 : 0;
    if (argc - optind != want)
        return cli_usage_error(cmd, usage, want ? "give one CONFIG.json" : "unexpected argument '%s'",
                               optind < argc ? argv[optind] : "");
    *config = want ? argv[optind] : NULL;
    return rc;
}

static int apply_flags(const char *cmd, const char *usage, flags *f, sweep_config *c) {
    if (f->have_top || f->top.name) {
        if (c->n_datasets == 0) {
            c->datasets = calloc(1, sizeof *c->datasets);
            if (!c->datasets) return cli_fail(cmd, "out of memory");
            c->n_datasets = 1;
        }
        sweep_dataset *d = &c->datasets[0];
        char **src[] = {&f->top.name, &f->top.acts, &f->top.labels, &f->top.pos, &f->top.neg};
        char **dst[] = {&d->name, &d->acts, &d->labels, &d->pos, &d->neg};
        for (int i = 0; i < 5; i++)
            if (*src[i]) {
                free(*dst[i]);
                *dst[i] = *src[i];
                *src[i] = NULL;
            }
    }
    for (int32_t i = 0; i < f->n_extra; i++) {
        if (c->n_datasets == 0) return cli_usage_error(cmd, usage, "--dataset adds to a first dataset: give --acts/--labels too");
        sweep_dataset *nd = realloc(c->datasets, (size_t)(c->n_datasets + 1) * sizeof *nd);
        if (!nd) return cli_fail(cmd, "out of memory");
        c->datasets = nd;
        nd[c->n_datasets++] = f->extra[i];
        memset(&f->extra[i], 0, sizeof f->extra[i]);
    }
    if (f->layers && !sweep_parse_layers(f->layers, &c->layers, &c->n_layers))
        return cli_usage_error(cmd, usage, "--layers wants a list like 0-31 or 0,4,8-12, not '%s'", f->layers);
    if (f->methods) {
        for (int32_t i = 0; i < c->n_methods; i++) free(c->methods[i]);
        c->n_methods = 0;
        char *dup = strdup(f->methods), *save = NULL;
        for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
            char **nm = realloc(c->methods, (size_t)(c->n_methods + 1) * sizeof *nm);
            if (!nm || !(nm[c->n_methods] = strdup(t))) {
                free(dup);
                return cli_fail(cmd, "out of memory");
            }
            c->methods = nm;
            c->n_methods++;
        }
        free(dup);
    }
    if ((f->out && !dup_to(&c->out, f->out)) || (f->norm && !dup_to(&c->norm, f->norm)) ||
        (f->opt && !dup_to(&c->optimizer, f->opt)) || (f->format && !dup_to(&c->plot_format, f->format)) ||
        (f->json && !dup_to(&c->json, f->json)))
        return cli_fail(cmd, "out of memory");
    if (f->set_tf) c->test_frac = f->test_frac;
    if (f->set_C) c->C = f->C;
    if (f->set_folds) c->folds = (int32_t)f->folds;
    if (f->set_seed) c->seed = (uint64_t)f->seed;
    if (f->set_boot) c->bootstrap = (int32_t)f->boot;
    if (f->set_tries) c->tries = (int32_t)f->tries;
    if (f->set_max_iter) c->max_iter = (int32_t)f->max_iter;
    if (f->set_pca) c->pca_k = (int32_t)f->pca;
    if (f->set_cka) c->cka_rows = (int32_t)f->cka;
    if (f->set_jobs) c->jobs = (int32_t)f->jobs;
    if (f->threads) c->threads = f->threads;
    if (f->standardize) c->standardize = 1;
    if (f->no_plots) c->plots = 0;
    if (f->drop) c->drop_nonfinite = 1;
    c->resume = f->resume;
    c->quiet = f->quiet;
    if (strcmp(c->norm ? c->norm : "burns", "burns") && strcmp(c->norm, "center") && strcmp(c->norm, "feature"))
        return cli_usage_error(cmd, usage, "--norm: burns, center or feature, not '%s'", c->norm);
    if (c->optimizer && strcmp(c->optimizer, "lbfgs") && strcmp(c->optimizer, "adam"))
        return cli_usage_error(cmd, usage, "--optimizer: lbfgs or adam, not '%s'", c->optimizer);
    return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* Running the layers                                                 */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;
static volatile int cancel_flag;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
    cancel_flag = 1;
    signal(SIGINT, SIG_DFL);  /* a second Ctrl-C stops at once */
}

static struct {
    const char *cmd;
    bool tty, quiet;
    int32_t done, total;
    double t0;
} prog;

static void progress(int32_t layer, int32_t step, int32_t steps, const char *label) {
    if (prog.quiet) return;
    double el = cli_seconds() - prog.t0;
    double frac = ((double)prog.done + (double)step / steps) / prog.total;
    double eta = frac > 0 ? el / frac - el : 0;
    if (prog.tty)
        fprintf(stderr, "\r\033[K[layer %d  %d/%d] %s | %.0f s, ETA %.0f s", (int)layer,
                (int)prog.done + 1, (int)prog.total, label, el, eta);
    else
        fprintf(stderr, "geoprobe %s: layer %d (%d/%d) %s  [%.1f s]\n", prog.cmd, (int)layer,
                (int)prog.done + 1, (int)prog.total, label, el);
}

/* Whether layer L's file exists and was made with these settings. */
static bool layer_done(const sweep_config *c, int32_t layer) {
    char *path = sweep_layer_path(c, layer), hash[17];
    FILE *f = path ? fopen(path, "rb") : NULL;
    free(path);
    if (!f) return false;
    char buf[4096] = "";
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = '\0';
    sweep_config_hash(c, hash);
    char want[64];
    snprintf(want, sizeof want, "\"config_hash\":\t\"%s\"", hash);
    return strstr(buf, want) != NULL;
}

static int run_layers(const char *cmd, const sweep_config *c, const int32_t *todo, int32_t n,
                      int32_t worker, int32_t workers) {
    for (int32_t i = worker; i < n; i += workers) {
        if (cancel_flag) return SWEEP_CANCELLED;
        int rc = sweep_run_layer(cmd, c, todo[i], &cancel_flag, progress);
        if (rc != CLI_OK) return rc;
        prog.done++;
        if (!prog.quiet && prog.tty) fputc('\n', stderr);
    }
    return CLI_OK;
}

static int run_all(const char *cmd, const sweep_config *c, const int32_t *todo, int32_t n) {
    if (c->jobs <= 1 || n <= 1) return run_layers(cmd, c, todo, n, 0, 1);
    int32_t workers = c->jobs < n ? c->jobs : n;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int total = c->threads > 0 ? c->threads : (int)(cores > 0 ? cores : 1);
    int each = total / workers > 0 ? total / workers : 1;
    pid_t *pids = calloc((size_t)workers, sizeof *pids);
    if (!pids) return cli_fail(cmd, "out of memory");
    fflush(NULL);
    for (int32_t w = 0; w < workers; w++) {
        pid_t p = fork();
        if (p == 0) {
            gp_set_threads(each);
            prog.tty = false;  /* workers' lines would overwrite each other */
            _exit(run_layers(cmd, c, todo, n, w, workers));
        }
        if (p < 0) {
            cancel_flag = 1;
            for (int32_t k = 0; k < w; k++) waitpid(pids[k], NULL, 0);
            free(pids);
            return cli_fail(cmd, "cannot start worker %d: %s", (int)w, strerror(errno));
        }
        pids[w] = p;
    }
    int rc = CLI_OK;
    for (int32_t w = 0; w < workers; w++) {
        int st = 0;
        while (waitpid(pids[w], &st, 0) < 0 && errno == EINTR) {}
        int wrc = WIFEXITED(st) ? WEXITSTATUS(st) : SWEEP_CANCELLED;
        if (wrc != CLI_OK && rc == CLI_OK) rc = wrc;
    }
    free(pids);
    return rc;
}

static int make_dir(const char *cmd, const char *base, const char *sub) {
    char *p = NULL;
    if (asprintf(&p, "%s%s%s", base, sub ? "/" : "", sub ? sub : "") < 0) return cli_fail(cmd, "out of memory");
    int rc = CLI_OK;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) rc = cli_fail(cmd, "%s: cannot create the folder: %s", p, strerror(errno));
    free(p);
    return rc;
}

static int sweep_main(const char *cmd, int argc, char **argv) {
    const char *usage = strcmp(cmd, "report") ? USAGE_SWEEP : USAGE_REPORT;
    flags f;
    memset(&f, 0, sizeof f);
    const char *config = NULL;
    sweep_config c;
    sweep_config_init(&c);
    int rc = parse_flags(cmd, usage, argc, argv, &f, &config);
    if (rc != CLI_OK) {  /* -1: --help was printed */
        flags_free(&f);
        sweep_config_free(&c);
        return rc == -1 ? CLI_OK : rc;
    }
    bool distribute = f.distribute;
    if (cli_ranks() > 1 && !distribute) {
        flags_free(&f);
        sweep_config_free(&c);
        return cli_usage_error(cmd, usage, "under mpirun, say how to share the work: --distribute layers");
    }
    /* Each rank runs whole layers as one process would (cli_dist_local:
     * the per-layer commands see one process, their errors print at once);
     * only the agreement points talk to the other ranks. */
    int rank = cli_rank(), ranks = cli_ranks();
    if (config) rc = sweep_config_load(cmd, config, &c);
    if (rc == CLI_OK) rc = apply_flags(cmd, usage, &f, &c);
    flags_free(&f);
    if (rc == CLI_OK) rc = sweep_config_finish(cmd, usage, &c);
    if (rc == CLI_OK && c.threads > 0) gp_set_threads(c.threads);
    if (rc == CLI_OK) rc = make_dir(cmd, c.out, NULL);
    if (rc == CLI_OK) rc = make_dir(cmd, c.out, "layers");
    if (rc == CLI_OK) rc = make_dir(cmd, c.out, "probes");
    int32_t *todo = rc == CLI_OK ? calloc((size_t)c.n_layers, sizeof *todo) : NULL, n = 0;
    if (rc == CLI_OK && !todo) rc = cli_fail(cmd, "out of memory");
    for (int32_t i = 0; rc == CLI_OK && i < c.n_layers; i++)
        if (!(c.resume && layer_done(&c, c.layers[i]))) todo[n++] = c.layers[i];
    if (rc == CLI_OK) {
        prog.cmd = cmd;
        prog.tty = isatty(STDERR_FILENO);
        prog.quiet = c.quiet || rank != 0;
        prog.total = n;
        prog.t0 = cli_seconds();
        if (!c.quiet && c.resume && n < c.n_layers)
            fprintf(stderr, "geoprobe %s: --resume: %d of %d layers already done\n", cmd,
                    (int)(c.n_layers - n), (int)c.n_layers);
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigaction(SIGINT, &sa, &old);
        cli_dist_local(true);
        rc = ranks > 1 ? run_layers(cmd, &c, todo, n, rank, ranks) : run_all(cmd, &c, todo, n);
        cli_dist_local(false);
        sigaction(SIGINT, &old, NULL);
        if (rc == SWEEP_CANCELLED || interrupted) {
            char list[1024] = "";
            for (int32_t i = 0; i < c.n_layers; i++)
                if (layer_done(&c, c.layers[i]) && strlen(list) < 1000)
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%d", *list ? "," : "",
                             (int)c.layers[i]);
            fprintf(stderr, "\ngeoprobe %s: interrupted; layers done: %s (in %s/layers); rerun "
                    "with --resume to go on\n", cmd, *list ? list : "none", c.out);
            rc = SWEEP_CANCELLED;
        }
    }
    free(todo);
    /* distributed: every rank's layers are on disk before rank 0 reads them */
    if (!cli_dist_ok(rc == CLI_OK) && rc == CLI_OK) rc = CLI_FAIL;
    cli_dist_local(true);
    if (rc == CLI_OK && rank == 0) rc = sweep_write_report(cmd, &c, cli_seconds() - prog.t0);
    cli_dist_local(false);
    if (rc == CLI_OK && !c.quiet && rank == 0)
        printf("report: %s/report.json, %s/summary.md, %s/table.tex%s\n", c.out, c.out, c.out,
               c.plots ? ", plots" : "");
    sweep_config_free(&c);
    return rc;
}

int cmd_sweep(int argc, char **argv) { return sweep_main("sweep", argc, argv); }
int cmd_report(int argc, char **argv) { return sweep_main("report", argc, argv); }
