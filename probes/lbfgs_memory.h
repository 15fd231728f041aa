/* lbfgs_memory.h — the memory of one L-BFGS problem among many solved in a
 * batch (private): its last LBFGS_M steps s and gradient changes y, and the
 * two-loop recursion over them. The batched solvers (logistic_cv.c,
 * ccs_optim.c) keep their problems' memories side by side and drive the
 * line searches themselves. */
#ifndef GP_LBFGS_MEMORY_H
#define GP_LBFGS_MEMORY_H

#include <stdint.h>

enum { LBFGS_M = 10 };

typedef struct gp__lbfgs_mem {
    int64_t  nv;      /* variables */
    double  *S, *Y;   /* (LBFGS_M, nv) each, a ring starting at head */
    double  *rho;     /* (LBFGS_M,) 1 / s.y */
    int32_t *mem, *head;
} gp__lbfgs_mem;

/* q = -H g by the two-loop recursion; returns the slope g.q, after
 * forgetting the memory (*mem = 0, q = -g) when q is not a descent
 * direction. */
double gp__lbfgs_direction(const gp__lbfgs_mem *M, const double *g, double *q);
/* Remember the step x -> xt with gradients g -> gt, unless s.y is not
 * safely positive (then the memory is left as it was). */
void gp__lbfgs_remember(const gp__lbfgs_mem *M, const double *x, const double *xt,
                        const double *g, const double *gt);

#endif
