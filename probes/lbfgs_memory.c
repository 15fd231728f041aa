/* lbfgs_memory.c — the two-loop recursion and the (s, y) ring of one
 * L-BFGS problem (see lbfgs_memory.h). */
#include "lbfgs_memory.h"

#include <math.h>

static double dot(const double *a, const double *b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

double gp__lbfgs_direction(const gp__lbfgs_mem *M, const double *g, double *q) {
    int64_t nv = M->nv;
    double al[LBFGS_M];
    for (int64_t e = 0; e < nv; e++) q[e] = -g[e];
    int32_t m = *M->mem;
    for (int32_t i = m - 1; i >= 0; i--) {
        int32_t slot = (*M->head + i) % LBFGS_M;
        const double *s = M->S + slot * nv, *y = M->Y + slot * nv;
        al[i] = M->rho[slot] * dot(s, q, nv);
        for (int64_t e = 0; e < nv; e++) q[e] -= al[i] * y[e];
    }
    if (m > 0) {
        int32_t slot = (*M->head + m - 1) % LBFGS_M;
        const double *y = M->Y + slot * nv;
        double gam = 1 / (M->rho[slot] * dot(y, y, nv));
        for (int64_t e = 0; e < nv; e++) q[e] *= gam;
    }
    for (int32_t i = 0; i < m; i++) {
        int32_t slot = (*M->head + i) % LBFGS_M;
        const double *s = M->S + slot * nv, *y = M->Y + slot * nv;
        double be = M->rho[slot] * dot(y, q, nv);
        for (int64_t e = 0; e < nv; e++) q[e] += (al[i] - be) * s[e];
    }
    double sl = dot(g, q, nv);
    if (!(sl < 0)) {  /* not a descent direction: forget the memory */
        *M->mem = 0;
        for (int64_t e = 0; e < nv; e++) q[e] = -g[e];
        sl = -dot(g, g, nv);
    }
    return sl;
}

void gp__lbfgs_remember(const gp__lbfgs_mem *M, const double *x, const double *xt,
                        const double *g, const double *gt) {
    int64_t nv = M->nv;
    int32_t slot = *M->mem < LBFGS_M ? (*M->head + *M->mem) % LBFGS_M : *M->head;
    double *s = M->S + slot * nv, *y = M->Y + slot * nv;
    for (int64_t e = 0; e < nv; e++) {
        s[e] = xt[e] - x[e];
        y[e] = gt[e] - g[e];
    }
    double sy = dot(s, y, nv);
    if (sy > 1e-12 * sqrt(dot(s, s, nv) * dot(y, y, nv))) {
        M->rho[slot] = 1 / sy;
        if (*M->mem < LBFGS_M) (*M->mem)++;
        else *M->head = (*M->head + 1) % LBFGS_M;
    }
}
