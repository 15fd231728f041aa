/* main.c — `geoprobe <command> [options] <inputs>`: choose the BLAS
 * kernels, then hand the command line to the subcommand. */
#include "cli.h"
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    cli_command_fn fn;
    const char *summary;
    bool distributed;  /* runs under mpirun (make MPI=1) */
} commands[] = {
    {"info", cmd_info, "shape, dtype, tensors, NaN/Inf count, norms, outlier dims", false},
    {"pca", cmd_pca, "principal components, explained variance, class structure", true},
    {"probe", cmd_probe, "train and evaluate a linear probe (logistic, mass-mean, LDA, ridge)", true},
    {"ccs", cmd_ccs, "unsupervised truth direction from contrast pairs (CCS, CRC-TPC, VINC)", true},
    {"apply", cmd_apply, "score new activations with a saved probe", true},
    {"similarity", cmd_similarity, "linear CKA between layers, cosine between directions", true},
    {"sweep", cmd_sweep, "every layer, every method: the report folder (from flags)", true},
    {"report", cmd_report, "the same from a JSON config: geoprobe report CONFIG.json", true},
    {"plot", cmd_plot, "redraw a chart from a JSON report (PNG, SVG, PDF)", false},
};

static void print_help(FILE *out) {
    fprintf(out,
            "geoprobe %s — linear probing and representation geometry of activations\n\n"
            "usage: geoprobe <command> [options] <inputs>\n\n"
            "commands:\n",
            gp_version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "  help         this text; `geoprobe help CMD` = `geoprobe CMD --help`\n"
            "  version      version, BLAS and its core\n\n"
            "Activation specs: FILE.npy, FILE.safetensors:TENSOR, and @L after either\n"
            "to take index L of the first axis of a 3-D array (acts.npy@12; @-1 = last).\n"
            "float32, float64, float16 and bfloat16 are read; float32 C-order data is\n"
            "memory-mapped, not copied.\n\n"
            "Every command takes --json FILE (- for stdout) and writes one JSON object.\n"
            "pca, probe, ccs and similarity draw their chart with --plot FILE.png|svg|pdf;\n"
            "geoprobe plot REPORT.json OUT redraws it from the --json report.\n"
            "Exit codes: 0 success, 1 bad input or failed computation, 2 usage error.\n\n"
            "BLAS: geoprobe checks which OpenBLAS kernels run. A distro OpenBLAS that does\n"
            "not know this CPU model falls back to generic kernels (Prescott) several times\n"
            "slower; geoprobe then restarts itself with OPENBLAS_CORETYPE set to the core\n"
            "the CPU supports. Set OPENBLAS_CORETYPE yourself to choose, or\n"
            "GEOPROBE_BLAS_CORE=keep to keep what OpenBLAS picked.\n\n"
            "Example:\n"
            "  geoprobe info datasets/larger_than/plain_layer3.npy --json -\n");
}

/* OpenBLAS chose its kernels when it loaded, before main. If it fell back
 * to a generic core on a CPU that has AVX2/AVX-512, run this program again
 * with OPENBLAS_CORETYPE set, so the user gets the fast kernels without
 * knowing about the trap. GEOPROBE_BLAS_REEXEC guards against a loop. */
static void fix_blas_core(char **argv) {
    const char *user = getenv("OPENBLAS_CORETYPE");
    const char *mode = getenv("GEOPROBE_BLAS_CORE");
    const char *reexec = getenv("GEOPROBE_BLAS_REEXEC");
    if (reexec) {
        cli.blas_note = reexec;
        unsetenv("GEOPROBE_BLAS_REEXEC");  /* children start clean */
        return;
    }
    if (user) {
        cli.blas_note = "user (OPENBLAS_CORETYPE)";
        return;
    }
    if (mode && strcmp(mode, "keep") == 0) {
        cli.blas_note = "openblas (GEOPROBE_BLAS_CORE=keep)";
        return;
    }
    const char *want = (mode && *mode && strcmp(mode, "auto") != 0) ? mode : gp_blas_core_suggested();
    if (!want) {
        cli.blas_note = "openblas";
        return;
    }
    char note[160];
    snprintf(note, sizeof note, "geoprobe (OpenBLAS picked %s; set OPENBLAS_CORETYPE=%s)",
             gp_blas_core(), want);
    setenv("OPENBLAS_CORETYPE", want, 1);
    setenv("GEOPROBE_BLAS_REEXEC", note, 1);
    execv("/proc/self/exe", argv);
    /* exec failed (no /proc?): run on with the generic core, and say so. */
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv("GEOPROBE_BLAS_REEXEC");
    cli.blas_note = "openblas (re-exec with a faster core failed)";
}

static int print_version(void) {
    printf("geoprobe %s (abi %d)\n", gp_version(), gp_abi_version());
    printf("blas: %s\n", gp_blas_config());
    printf("blas core: %s, chosen by %s\n", gp_blas_core(), cli.blas_note);
    const char *better = gp_blas_core_suggested();
    if (better) printf("note: this CPU could run the %s kernels\n", better);
    return CLI_OK;
}

static int run(int argc, char **argv) {
    if (argc < 2) {
        print_help(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (argc >= 3 && strcmp(cmd, "help") == 0) {
            char *sub[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(commands[i].name, argv[2]) == 0) return commands[i].fn(2, sub);
            fprintf(stderr, "geoprobe: unknown command '%s'\n", argv[2]);
            return CLI_USAGE;
        }
        print_help(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) return print_version();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, cmd) == 0) {
            if (!commands[i].distributed && cli_ranks() > 1) return cli_dist_refuse(cmd);
            int rc = commands[i].fn(argc - 1, argv + 1);
            gp_plot_shutdown();  /* font caches: leak checkers see a clean exit */
            return rc;
        }
    fprintf(stderr, "geoprobe: unknown command '%s' (geoprobe help lists them)\n", cmd);
    return CLI_USAGE;
}

int main(int argc, char **argv) {
    cli.argc = argc;
    /* getopt_long reorders argv; provenance (reports, plots) keeps the
     * command line as typed. */
    static char *typed[4096];
    cli.argv = argv;
    if (argc < (int)(sizeof typed / sizeof typed[0])) {
        memcpy(typed, argv, (size_t)(argc + 1) * sizeof *argv);
        cli.argv = typed;
    }
    fix_blas_core(argv);
    /* under mpirun (make MPI=1): one process of several; after the BLAS
     * re-exec, which must come before MPI starts */
    cli_dist_init(&argc, &argv);
    cli_seconds();
    return cli_dist_finish(run(argc, argv));
}
