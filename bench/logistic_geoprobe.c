/* logistic_geoprobe.c — the geoprobe side of bench/logistic.sh: load the
 * train/test .npy files written by bench/logistic_sklearn.py gen
 * (memory-mapped, zero copy), fit one logistic probe, print timings.
 *
 *   logistic_geoprobe DIR C [SOLVER [TOL]]   C <= 0: --C auto (8 Cs, 5 folds)
 *
 * Output: one line of key=value pairs; seconds excludes loading. */
#define _POSIX_C_SOURCE 200809L
#include "geoprobe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int load(const char *dir, const char *xname, const char *yname, gp_tensor **t,
                gp_matrix *X, gp_labels **l) {
    char px[4096], py[4096];
    snprintf(px, sizeof px, "%s/%s", dir, xname);
    snprintf(py, sizeof py, "%s/%s", dir, yname);
    if (gp_tensor_load(px, GP_DTYPE_F32, t) != GP_OK || gp_tensor_matrix(*t, X) != GP_OK ||
        gp_labels_load(py, l) != GP_OK) {
        fprintf(stderr, "logistic_geoprobe: %s\n", gp_last_error());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DIR C [auto|newton|lbfgs [TOL]]\n", argv[0]);
        return 2;
    }
    gp_tensor *tx = NULL, *ttx = NULL;
    gp_labels *ly = NULL, *lty = NULL;
    gp_matrix X, Xt;
    if (load(argv[1], "X_train.npy", "y_train.npy", &tx, &X, &ly) ||
        load(argv[1], "X_test.npy", "y_test.npy", &ttx, &Xt, &lty))
        return 1;
    gp_probe_opts o;
    gp_probe_opts_init(&o);
    o.method = GP_PROBE_LOGISTIC;
    o.C = atof(argv[2]);
    if (o.C <= 0) {
        o.n_Cs = 8;
        o.cv_folds = 5;
    }
    if (argc > 3 && strcmp(argv[3], "newton") == 0) o.solver = GP_LOGISTIC_NEWTON;
    if (argc > 3 && strcmp(argv[3], "lbfgs") == 0) o.solver = GP_LOGISTIC_LBFGS;
    if (argc > 4) o.tol = atof(argv[4]);
    gp_probe *p = NULL;
    double t = now();
    if (gp_probe_fit(&X, gp_labels_ids(ly), gp_labels_n_classes(ly), &o, &p) != GP_OK) {
        fprintf(stderr, "logistic_geoprobe: %s\n", gp_last_error());
        return 1;
    }
    t = now() - t;
    int32_t *pred = malloc((size_t)Xt.rows * sizeof *pred);
    if (!pred || gp_probe_predict(p, &Xt, pred) != GP_OK) {
        fprintf(stderr, "logistic_geoprobe: %s\n", gp_last_error());
        return 1;
    }
    int64_t good = 0;
    for (int64_t i = 0; i < Xt.rows; i++) good += pred[i] == gp_labels_ids(lty)[i];
    printf("seconds=%.4f test_accuracy=%.4f C=%.6g n_iter=%d converged=%d core=%s\n", t,
           (double)good / (double)Xt.rows, gp_probe_C(p), (int)gp_probe_n_iter(p),
           (int)gp_probe_converged(p), gp_blas_core());
    free(pred);
    gp_probe_free(p);
    gp_tensor_free(tx);
    gp_tensor_free(ttx);
    gp_labels_free(ly);
    gp_labels_free(lty);
    return 0;
}
