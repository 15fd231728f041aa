/* ccs_internal.h — the gp_ccs object and what its files share (private).
 *
 * ccs.c owns the object (options, input checks, normalization, credence,
 * calibration, accessors), ccs_optim.c minimizes the CCS loss over all
 * tries at once (AdamW or batched L-BFGS), crc.c holds the closed forms
 * (CRC-TPC, VINC), ccs_io.c saves and loads.
 *
 * Distributed fits (gp_ccs_opts.comm): each process holds its own pairs
 * (any number, 0 included); every sum over pairs (normalization, each
 * loss and gradient evaluation, VINC's cross-covariance, CRC's PCA, Platt)
 * is reduced, so every process runs the same optimizer on the same
 * numbers and ends with the same probe. Every collective first agrees on
 * failures (gp__comm_reduce), so a failing process never leaves the
 * others waiting. */
#ifndef GP_CCS_INTERNAL_H
#define GP_CCS_INTERNAL_H

#include "probe_internal.h"

struct gp_ccs {
    gp_ccs_method method;
    gp_ccs_norm   norm;
    int64_t       d;
    double       *mean[2], *scale[2]; /* (d,) each; [0] POS, [1] NEG */
    float        *mean_f32[2], *inv_scale_f32[2]; /* the same for float32 rows,
                                         set by gp__ccs_norm_sync */
    double       *w;                  /* (d,) normalized space */
    double        b;
    int32_t       tries, best, n_iter, converged;
    double       *try_loss;           /* (tries,) */
    double       *try_cos;            /* (tries, tries) */
    double       *trace;              /* (tries, trace_cap) or NULL */
    int32_t      *trace_len;          /* (tries,) */
    int32_t       trace_cap;
    double        loss;
    int32_t       sign;               /* 0 uncalibrated, +-1 */
    double        platt_a, platt_c;
    void         *meta;               /* loaded: cJSON metadata, else NULL */
};

/* A new object for d features with normalization buffers (zeroed) and
 * platt (1, 0); NULL (error set) when out of memory. */
struct gp_ccs *gp__ccs_new(int64_t d);
/* Per-try arrays (losses, cosines, traces of trace_cap entries each). */
gp_status gp__ccs_alloc_tries(struct gp_ccs *c, int32_t tries, int32_t trace_cap);

/* Refresh the float32 copies of the normalization after it changed. */
void gp__ccs_norm_sync(struct gp_ccs *c);

/* Rows [r0, r0 + nr) of X normalized with set `which`'s statistics into
 * out (nr, d) float32, leading dimension ldo. Cannot fail. */
void gp__ccs_normalize_rows(const struct gp_ccs *c, const gp_matrix *X, int which, int64_t r0,
                            int64_t nr, float *out, int64_t ldo);

/* One pass over the pairs for P tries at once: for the na tries act[]
 * with parameters theta (P, d + 1) (w then b), the CCS loss L[p] and, when
 * G is not NULL, its gradient G (P, d + 1). Float32 GEMMs on normalized
 * row blocks, float64 sums. Distributed (comm): pos and neg are this
 * process's pairs, n_total the pairs of all of them; pass_new and every
 * pass_eval are collective. pass_eval skips its work when `local` (this
 * process's status, e.g. cancelled) is not GP_OK and returns the agreed
 * status: `local` here, GP_EPEER elsewhere. */
typedef struct gp__ccs_pass gp__ccs_pass;
gp_status gp__ccs_pass_new(const struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                           int32_t P, const gp_comm *comm, int64_t n_total, gp__ccs_pass **out);
void gp__ccs_pass_free(gp__ccs_pass *ps);
gp_status gp__ccs_pass_eval(gp__ccs_pass *ps, int32_t na, const int32_t *act, const double *theta,
                            double *L, double *G, gp_status local);

/* ccs_optim.c: minimize from theta (tries, d + 1) in place; fills the
 * per-try final losses and traces, and iters (2 tries,): the iterations of
 * each try, then whether each stopped on a plateau (1) or at max_iter (0).
 * Collective over o->comm (n_total pairs in all). */
gp_status gp__ccs_optimize(struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                           const gp_ccs_opts *o, int64_t n_total, double *theta, int32_t *iters);

/* crc.c: the closed forms; set c->w (unit) and c->b = 0. Collective over
 * comm (n_total pairs in all). */
gp_status gp__crc_fit(struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                      const gp_comm *comm);
gp_status gp__vinc_fit(struct gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                       const gp_ccs_opts *o, int64_t n_total);

#endif
