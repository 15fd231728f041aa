/* comm.c — reductions over the processes of a distributed fit. The caller
 * supplies the collective (gp_comm); here every reduction first agrees on
 * whether all processes are still well, so one process's failure ends the
 * fit everywhere instead of leaving the others waiting in a collective. */
#include "gp_internal.h"

#include <math.h>

bool gp__comm_active(const gp_comm *c) { return c && c->size > 1; }

gp_status gp__comm_check(const gp_comm *c, const char *fn) {
    if (!c) return GP_OK;
    if (c->size < 1 || c->rank < 0 || c->rank >= c->size || (c->size > 1 && !c->allreduce))
        return gp__error(GP_EINVAL, "%s: bad communicator (rank %d of %d%s)", fn, (int)c->rank,
                         (int)c->size, c->allreduce ? "" : ", no allreduce");
    return GP_OK;
}

gp_status gp__comm_reduce(const gp_comm *c, double *buf, int64_t n, gp_reduce_op op,
                          gp_status local, const char *fn) {
    if (!gp__comm_active(c)) return local;
    double failed = local != GP_OK;
    if (c->allreduce(&failed, 1, GP_REDUCE_MAX, c->user) != 0)
        return gp__error(GP_EIO, "%s: the reduction across processes failed", fn);
    if (local != GP_OK) return local;
    if (failed > 0) return gp__error(GP_EPEER, "%s: another process failed", fn);
    if (n > 0 && c->allreduce(buf, n, op, c->user) != 0)
        return gp__error(GP_EIO, "%s: the reduction across processes failed", fn);
    return GP_OK;
}

gp_status gp__comm_rows(const gp_comm *c, int64_t local_rows, gp_status local, const char *fn,
                        int64_t *total, int32_t *first_rank) {
    *total = local_rows;
    *first_rank = 0;
    if (!gp__comm_active(c)) return local;
    /* One slot per process: everyone learns every count (sums of doubles
     * are exact up to 2^53 rows). */
    double *counts = gp__calloc((size_t)c->size, sizeof *counts);
    if (!counts && local == GP_OK) local = gp__error(GP_ENOMEM, "%s: out of memory", fn);
    if (counts) counts[c->rank] = (double)local_rows;
    double dummy = 0;
    gp_status st = gp__comm_reduce(c, counts ? counts : &dummy, counts ? c->size : 0,
                                   GP_REDUCE_SUM, local, fn);
    if (st == GP_OK) {
        double t = 0;
        *first_rank = -1;
        for (int32_t r = 0; r < c->size; r++) {
            if (*first_rank < 0 && counts[r] > 0) *first_rank = r;
            t += counts[r];
        }
        *total = (int64_t)t;
        if (*first_rank < 0) *first_rank = 0;
    }
    gp__free(counts);
    return st;
}
