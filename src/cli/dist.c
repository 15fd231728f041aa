/* dist.c — running one command over several processes with MPI (built
 * with make MPI=1, launched by mpirun). Each rank reads its own contiguous
 * share of the rows (or its own shard file), the library sums its row-block
 * accumulations through cli_comm()'s MPI_Allreduce, and rank 0 writes every
 * output. Errors: a rank's error line is held back, not printed; at exit
 * the ranks agree on one exit status and the lowest failing rank prints its
 * line, so a bad shard gives one message and the same code everywhere.
 * Without GP_MPI (the default build) every function is the one-process
 * answer and nothing here needs MPI. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef GP_MPI
#include <mpi.h>
#endif

static struct {
    int rank, size;
    int local;            /* > 0: a sweep runs per-layer commands on this rank alone */
    int64_t row0;         /* this rank's first row in the file (0 with shards) */
    char held[2048];      /* the first error line, held until cli_dist_finish */
    int has_held;
    gp_comm comm;
} D = {.rank = 0, .size = 1};

int cli_rank(void) { return D.local ? 0 : D.rank; }
int cli_ranks(void) { return D.local ? 1 : D.size; }
int cli_world_rank(void) { return D.rank; }
int cli_world_size(void) { return D.size; }
int64_t cli_dist_row0(void) { return D.local ? 0 : D.row0; }
void cli_dist_local(bool on) { D.local += on ? 1 : -1; }

bool cli_dist_hold(const char *line) {
    if (cli_ranks() <= 1) return false;
    if (!D.has_held) {
        snprintf(D.held, sizeof D.held, "%s", line);
        D.has_held = 1;
    }
    return true;
}

#ifdef GP_MPI

static int mpi_allreduce(double *buf, int64_t n, gp_reduce_op op, void *user) {
    (void)user;
    MPI_Op o = op == GP_REDUCE_MAX ? MPI_MAX : MPI_SUM;
    /* in pieces that fit MPI's int counts */
    for (int64_t off = 0; off < n; off += 1 << 28) {
        int cnt = (int)(n - off < (1 << 28) ? n - off : (1 << 28));
        if (MPI_Allreduce(MPI_IN_PLACE, buf + off, cnt, MPI_DOUBLE, o, MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

/* Launched by mpirun (or another PMI launcher)? A plain ./geoprobe built
 * with MPI stays one process and never starts MPI. */
static bool launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

void cli_dist_init(int *argc, char ***argv) {
    if (!launched()) return;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "geoprobe: error: MPI_Init failed\n");
        exit(CLI_FAIL);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &D.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &D.size);
    D.comm = (gp_comm){.rank = D.rank, .size = D.size, .allreduce = mpi_allreduce};
    /* The ranks on one machine share its cores: BLAS threads split among
     * them unless -j says otherwise. */
    const char *ls = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    long local = ls ? strtol(ls, NULL, 10) : 1, cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (D.size > 1 && local > 0 && cores > 0) gp_set_threads(cores / local > 0 ? (int)(cores / local) : 1);
    if (D.rank != 0) cli.quiet = 1;
}

const gp_comm *cli_comm(void) { return cli_ranks() > 1 ? &D.comm : NULL; }

bool cli_dist_ok(bool ok) {
    if (cli_ranks() <= 1) return ok;
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all == 1;
}

int64_t cli_dist_sum(int64_t v) {
    if (cli_ranks() <= 1) return v;
    long long in = v, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    return out;
}

/* Gather count elements of `type` (size es) from every rank to rank 0. */
static bool gather(const void *mine, int64_t count, MPI_Datatype type, size_t es, void **all, int64_t *total) {
    int n = D.size;
    long long *counts = calloc((size_t)n, sizeof *counts);
    int *rc = calloc((size_t)n, sizeof *rc), *displ = calloc((size_t)n, sizeof *displ);
    long long me = count;
    bool ok = counts && rc && displ;
    MPI_Allgather(&me, 1, MPI_LONG_LONG, counts, 1, MPI_LONG_LONG, MPI_COMM_WORLD);
    long long sum = 0;
    for (int r = 0; ok && r < n; r++) {
        if (sum + counts[r] > 0x7fffffff) ok = false;  /* MPI int displacements */
        else rc[r] = (int)counts[r], displ[r] = (int)sum, sum += counts[r];
    }
    if (!cli_dist_ok(ok)) {
        free(counts), free(rc), free(displ);
        return false;
    }
    if (D.rank == 0) *all = malloc((size_t)sum * es + 1);
    ok = cli_dist_ok(D.rank != 0 || *all);
    if (ok) MPI_Gatherv(mine, (int)me, type, *all, rc, displ, type, 0, MPI_COMM_WORLD);
    *total = sum;
    free(counts), free(rc), free(displ);
    return ok;
}

bool cli_dist_gather_rows(const float *mine, int64_t rows, int64_t cols, float **all, int64_t *total) {
    *all = NULL;
    *total = rows;
    if (cli_ranks() <= 1) return true;
    int64_t elems = 0;
    bool ok = gather(mine, rows * cols, MPI_FLOAT, sizeof(float), (void **)all, &elems);
    *total = cols > 0 ? elems / cols : 0;
    return ok;
}

bool cli_dist_gather_doubles(const double *mine, int64_t count, double **all, int64_t *total) {
    *all = NULL;
    *total = count;
    if (cli_ranks() <= 1) return true;
    return gather(mine, count, MPI_DOUBLE, sizeof(double), (void **)all, total);
}

void cli_dist_counts(int64_t mine, int64_t *counts) {
    for (int r = 0; r < cli_ranks(); r++) counts[r] = 0;
    counts[cli_rank()] = mine;
    if (cli_ranks() > 1)
        MPI_Allreduce(MPI_IN_PLACE, counts, D.size, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
}

void cli_dist_offset(int64_t my_rows, int64_t *first, int64_t *total) {
    *first = 0;
    *total = my_rows;
    if (cli_ranks() <= 1) return;
    long long mine = my_rows, before = 0, all = 0;
    MPI_Exscan(&mine, &before, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(&mine, &all, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    *first = D.rank == 0 ? 0 : before;  /* Exscan leaves rank 0's undefined */
    *total = all;
}

int cli_dist_finish(int rc) {
    int up = 0;
    MPI_Initialized(&up);
    if (!up) return rc;
    if (D.size <= 1) {
        /* mpirun -np 1: without MPI_Finalize, mpirun reports the exit as
         * a failure (status 1) whatever rc was */
        MPI_Finalize();
        return rc;
    }
    /* one status for all: the worst; the message of the first rank that
     * failed itself (the others fail only because it did, silently) */
    int worst = rc, first = rc != CLI_OK && D.has_held ? D.rank : D.size, failed_rank;
    MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(&first, &failed_rank, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (D.rank == failed_rank && D.has_held) {
        fputs(D.held, stderr);
        fflush(stderr);
    }
    /* nobody exits (and mpirun stops the job) before the line is out */
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return worst;
}

#else  /* one process */

void cli_dist_init(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
}
const gp_comm *cli_comm(void) { return NULL; }
bool cli_dist_ok(bool ok) { return ok; }
int64_t cli_dist_sum(int64_t v) { return v; }
bool cli_dist_gather_rows(const float *mine, int64_t rows, int64_t cols, float **all, int64_t *total) {
    (void)mine;
    (void)cols;
    *all = NULL;
    *total = rows;
    return true;
}
void cli_dist_counts(int64_t mine, int64_t *counts) { counts[0] = mine; }
void cli_dist_offset(int64_t my_rows, int64_t *first, int64_t *total) {
    *first = 0;
    *total = my_rows;
}
bool cli_dist_gather_doubles(const double *mine, int64_t count, double **all, int64_t *total) {
    (void)mine;
    *all = NULL;
    *total = count;
    return true;
}
int cli_dist_finish(int rc) { return rc; }

#endif

void cli_dist_rows(int64_t n, int64_t *r0, int64_t *r1) {
    int size = cli_ranks(), rank = cli_rank();
    *r0 = n * rank / size;
    *r1 = n * (rank + 1) / size;
}

bool cli_dist_narrow(gp_matrix *X) {
    if (cli_ranks() <= 1) return true;
    int64_t r0, r1;
    cli_dist_rows(X->rows, &r0, &r1);
    X->data = (unsigned char *)X->data + (size_t)r0 * (size_t)X->ld * gp_dtype_size(X->dtype);
    X->rows = r1 - r0;
    D.row0 = r0;
    return true;
}

char *cli_dist_shard(const char *pattern) {
    const char *at = strstr(pattern, "{rank}");
    if (!at) return NULL;
    char num[16];
    snprintf(num, sizeof num, "%d", cli_rank());
    size_t len = strlen(pattern) - 6 + strlen(num) + 1;
    char *s = malloc(len);
    if (s) snprintf(s, len, "%.*s%s%s", (int)(at - pattern), pattern, num, at + 6);
    return s;
}

int cli_dist_refuse(const char *cmd) {
    if (cli_ranks() <= 1) return CLI_OK;
    return cli_fail(cmd, "%s does not run distributed; under mpirun use pca, probe, ccs, apply, "
                    "similarity or sweep --distribute layers (or run %s without mpirun)", cmd, cmd);
}

void cli_report_distributed(cJSON *report, int64_t my_rows) {
    int n = cli_ranks();
    int64_t *counts = calloc((size_t)n, sizeof *counts);
    if (!counts) return;
    cli_dist_counts(my_rows, counts);   /* collective: every rank calls it */
    if (n > 1) {
        cJSON *d = cJSON_AddObjectToObject(report, "distributed");
        cJSON_AddNumberToObject(d, "ranks", n);
        cJSON *rows = cJSON_AddArrayToObject(d, "rows");
        for (int r = 0; r < n; r++) cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)counts[r]));
    }
    free(counts);
}
