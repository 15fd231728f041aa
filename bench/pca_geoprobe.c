/* pca_geoprobe.c — the geoprobe side of bench/pca.sh: load one .npy with
 * gp_tensor_load (memory-mapped, zero copy), fit PCA once, print timings.
 *
 *   pca_geoprobe FILE.npy SOLVER K RATIOS_OUT.npy    fit, write the ratios
 *   pca_geoprobe --sgemm N                           OpenBLAS sgemm GFLOP/s
 *
 * One fit per process so that /usr/bin/time -v's peak RSS is that fit's.
 * For experiments, BLOCK=N sets block_rows and OVER=N n_oversamples
 * (bench/pca.sh sets neither: the defaults are what it measures).
 * Output: one line of key=value pairs. cov_seconds is the covariance step
 * alone (from the progress callback's stage changes), cov_gflops its rate
 * counting n d^2 flops for ssyrk, eig_seconds the eigensolver's (cov). */
#define _POSIX_C_SOURCE 200809L
#include "geoprobe.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct stage_clock {
    double cov_start, cov_end, eig_start, eig_end;
} stage_clock;

static void on_progress(void *user, int64_t done, int64_t total, const char *stage) {
    stage_clock *c = user;
    (void)total;
    double t = now();
    /* the covariance pass starts as the mean pass ends */
    if (strcmp(stage, "mean") == 0) c->cov_start = t;
    if (strcmp(stage, "covariance") == 0) c->cov_end = t;
    if (strcmp(stage, "eigensolver") == 0) *(done == 0 ? &c->eig_start : &c->eig_end) = t;
}

static int sgemm_rate(int n) {
    float *a = malloc((size_t)n * (size_t)n * sizeof *a);
    float *c = malloc((size_t)n * (size_t)n * sizeof *c);
    if (!a || !c) return 1;
    for (size_t i = 0; i < (size_t)n * (size_t)n; i++) a[i] = (float)(i % 97) / 97.0f - 0.5f;
    /* one warm-up call so thread start-up is not timed */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 256, 256, 256, 1.0f, a, n, a, n, 0.0f,
                c, n);
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, a, n, 0.0f, c,
                    n);
        t = now() - t;
        if (t < best) best = t;
    }
    printf("sgemm_n=%d sgemm_seconds=%.4f sgemm_gflops=%.1f core=%s\n", n, best,
           2.0 * (double)n * n * n / best / 1e9, gp_blas_core());
    free(a);
    free(c);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--sgemm") == 0) return sgemm_rate(atoi(argv[2]));
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s FILE.npy cov|svd|randomized|auto K RATIOS_OUT.npy\n"
                        "       %s --sgemm N\n", argv[0], argv[0]);
        return 2;
    }
    gp_pca_solver solver = GP_PCA_AUTO;
    if (strcmp(argv[2], "cov") == 0) solver = GP_PCA_COV;
    else if (strcmp(argv[2], "svd") == 0) solver = GP_PCA_SVD;
    else if (strcmp(argv[2], "randomized") == 0) solver = GP_PCA_RANDOMIZED;
    gp_tensor *t = NULL;
    gp_matrix X;
    if (gp_tensor_load(argv[1], GP_DTYPE_F32, &t) != GP_OK || gp_tensor_matrix(t, &X) != GP_OK) {
        fprintf(stderr, "pca_geoprobe: %s\n", gp_last_error());
        return 1;
    }
    gp_pca_opts o;
    gp_pca_opts_init(&o);
    o.solver = solver;
    o.n_components = atoll(argv[3]);
    if (argc == 6) o.n_power_iter = atoi(argv[5]); /* optional: power iterations */
    if (getenv("BLOCK")) o.block_rows = atoll(getenv("BLOCK"));
    if (getenv("OVER")) o.n_oversamples = atoi(getenv("OVER"));
    stage_clock clk = {0, 0, 0, 0};
    o.progress = on_progress;
    o.progress_user = &clk;
    gp_pca *p = NULL;
    double t0 = now();
    gp_status s = gp_pca_fit(&X, &o, &p);
    double secs = now() - t0;
    if (s != GP_OK) {
        fprintf(stderr, "pca_geoprobe: %s\n", gp_last_error());
        gp_tensor_free(t);
        return 1;
    }
    int64_t k = gp_pca_n_components(p);
    double n = (double)X.rows, d = (double)X.cols;
    printf("solver=%s k=%lld seconds=%.4f core=%s threads=%d mapped=%d", gp_pca_solver_name(
           gp_pca_solver_used(p)), (long long)k, secs, gp_blas_core(), gp_get_threads(),
           gp_tensor_is_mapped(t));
    if (clk.cov_end > clk.cov_start) {
        double cov = clk.cov_end - clk.cov_start;
        printf(" cov_seconds=%.4f cov_gflops=%.1f", cov, n * d * d / cov / 1e9);
    }
    if (clk.eig_end > clk.eig_start) printf(" eig_seconds=%.4f", clk.eig_end - clk.eig_start);
    if (clk.cov_start > 0) printf(" mean_seconds=%.4f", clk.cov_start - t0);
    if (clk.eig_end > 0) printf(" after_eig_seconds=%.4f", t0 + secs - clk.eig_end);
    printf("\n");
    int64_t shape[1] = {k};
    if (gp_npy_write(argv[4], GP_DTYPE_F64, 1, shape, gp_pca_explained_variance_ratio(p)) != GP_OK)
        fprintf(stderr, "pca_geoprobe: %s\n", gp_last_error());
    gp_pca_free(p);
    gp_tensor_free(t);
    return 0;
}
