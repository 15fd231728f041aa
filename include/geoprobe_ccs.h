/* geoprobe_ccs.h — unsupervised contrast-pair probes (CCS, CRC-TPC, VINC).
 * Part of the public API: include <geoprobe.h>, which includes this file
 * (it uses geoprobe.h's GP_API, gp_status, gp_matrix, gp_progress_fn). */
#ifndef GEOPROBE_CCS_H
#define GEOPROBE_CCS_H
#ifndef GEOPROBE_H
#error "include <geoprobe.h>, not geoprobe_ccs.h alone"
#endif

/* ------------------------------------------------------------------ */
/* Unsupervised contrast-pair probes: CCS, CRC-TPC, VINC               */
/* ------------------------------------------------------------------ */

/* Each example is a contrast pair: x+ (the statement answered "Yes"/"True")
 * and x- (answered "No"/"False"), rows i of POS and NEG. No labels train
 * these probes; labels only fix the sign and evaluate. */
typedef enum gp_ccs_method {
    GP_CCS_CCS  = 0,  /* Contrast-Consistent Search (Burns et al. 2022)       */
    GP_CCS_CRC  = 1,  /* CRC-TPC: top PC of the normalized differences x+ - x- */
    GP_CCS_VINC = 2   /* elk's closed-form eigen reporter, single prompt:
                         top eigenvector of -sym(Cov(x+, x-))               */
} gp_ccs_method;

typedef enum gp_ccs_norm {
    GP_CCS_NORM_BURNS   = 0, /* center each set, then divide it by one scalar:
                                its mean row norm / sqrt(d) (the paper)      */
    GP_CCS_NORM_CENTER  = 1, /* center each set only (reference code default) */
    GP_CCS_NORM_FEATURE = 2  /* center, then divide each feature by its std
                                (reference code's var_normalize)             */
} gp_ccs_norm;

typedef enum gp_ccs_optimizer {
    GP_CCS_LBFGS = 0, /* all tries in one batched L-BFGS, early stop on a loss
                         plateau: the fast default                          */
    GP_CCS_ADAM  = 1  /* the reference schedule: full-batch AdamW, lr, epochs,
                         decoupled weight decay, exactly as torch.optim.AdamW */
} gp_ccs_optimizer;

/* "ccs", "crc", "vinc" / "burns", "center", "feature" / "lbfgs", "adam";
 * static. The parsers fail with GP_EINVAL naming the choices. */
GP_API const char *gp_ccs_method_name(gp_ccs_method m);
GP_API gp_status gp_ccs_method_parse(const char *name, gp_ccs_method *out);
GP_API const char *gp_ccs_norm_name(gp_ccs_norm n);
GP_API gp_status gp_ccs_norm_parse(const char *name, gp_ccs_norm *out);
GP_API const char *gp_ccs_optimizer_name(gp_ccs_optimizer opt);
GP_API gp_status gp_ccs_optimizer_parse(const char *name, gp_ccs_optimizer *out);

typedef struct gp_ccs_opts {
    gp_ccs_method    method;       /*                               (CCS)   */
    gp_ccs_norm      norm;         /*                             (BURNS)   */
    gp_ccs_optimizer optimizer;    /* CCS only                    (LBFGS)   */
    int32_t          tries;        /* CCS: random restarts, the lowest final
                                      loss is kept                    (10)  */
    int32_t          epochs;       /* adam: full-batch epochs       (1000)  */
    double           lr;           /* adam: learning rate           (1e-3)  */
    double           weight_decay; /* adam: AdamW decoupled decay   (0.01)  */
    double           l2;           /* lbfgs: penalty l2/2 (||w||^2 + b^2) on
                                      the loss; keeps w finite on separable
                                      pairs                         (1e-4)  */
    int32_t          max_iter;     /* lbfgs: iterations, 0 = 1000      (0)  */
    double           tol;          /* lbfgs: stop a try when its objective
                                      falls by less than tol over 10
                                      iterations (absolute: the loss lies in
                                      [0, 1])                       (3e-5)  */
    uint64_t         seed;         /* initialization: try t draws from its own
                                      stream, so results do not depend on
                                      the number of threads            (0)  */
    const double    *init;         /* CCS: (tries, d + 1) starting w then b of
                                      each try (in the normalized space);
                                      NULL = PyTorch nn.Linear's uniform
                                      +-1/sqrt(d) from the seed      (NULL)  */
    gp_progress_fn   progress;     /* done/total in epochs or iterations    */
    void            *progress_user;
    const volatile int32_t *cancel;
    const gp_comm   *comm;         /* distributed: the pairs are this
                                      process's rows (see gp_comm)   (NULL)  */
} gp_ccs_opts;

GP_API void gp_ccs_opts_init(gp_ccs_opts *o);

/* A fitted contrast-pair probe. It holds the normalization fitted on the
 * training pairs (reapplied unchanged to any later pairs) and one direction
 * w (d,) with bias b in the normalized space:
 *   z+ = w . n+(x+) + b,  z- = w . n-(x-) + b,  n+(x) = (x - mean+) / scale+
 * CCS:      p+ = sigmoid(z+), p- = sigmoid(z-), credence = (p+ + 1 - p-) / 2
 * CRC/VINC: b = 0, credence = sigmoid(z+ - z-)
 * credence > 0.5 says "x+ is the true one" up to the sign, which no
 * unsupervised method knows: gp_ccs_calibrate fixes it from labels. */
typedef struct gp_ccs gp_ccs;

/* Fit on pos and neg (n, d) each, float32 or float64, n >= 2 pairs.
 * Fails on shape mismatch, NaN/Inf (naming "POS"/"NEG", row and column),
 * n < 2, a set with zero spread under BURNS (GP_EINVAL). The CCS products
 * run as float32 BLAS-3 over all tries at once; CRC/VINC eigenproblems in
 * float64. With o->comm (collective): pos and neg are this process's
 * pairs, any number (0 included) of n >= 2 in all; the normalization, every
 * loss and gradient evaluation, VINC's cross-covariance and CRC's PCA are
 * reduced, so every process gets the same probe, equal to the one-process
 * fit on all pairs to rounding (same seed, same starts). Free with
 * gp_ccs_free. */
GP_API gp_status gp_ccs_fit(const gp_matrix *pos, const gp_matrix *neg,
                            const gp_ccs_opts *o, gp_ccs **out);
GP_API void gp_ccs_free(gp_ccs *c);

GP_API gp_ccs_method gp_ccs_get_method(const gp_ccs *c);
GP_API gp_ccs_norm gp_ccs_get_norm(const gp_ccs *c);
GP_API int64_t gp_ccs_n_features(const gp_ccs *c);
/* (d,) direction and its bias, normalized space, float64; owned by c. */
GP_API const double *gp_ccs_weight(const gp_ccs *c);
GP_API double gp_ccs_bias(const gp_ccs *c);
/* Normalization (d,) each, float64, owned by c: x is mapped to
 * (x - mean) / scale (scale is 1 under CENTER). which: 0 = POS, 1 = NEG. */
GP_API const double *gp_ccs_mean(const gp_ccs *c, int which);
GP_API const double *gp_ccs_scale(const gp_ccs *c, int which);
/* CCS: the tries run, the final CCS loss of each (tries,), the index kept,
 * and the cosine similarity between the tries' directions (tries, tries)
 * row-major: values near +-1 off the diagonal mean every try found the same
 * direction. CRC/VINC: 1 try, loss 0 (closed form). Owned by c. */
GP_API int32_t gp_ccs_tries(const gp_ccs *c);
GP_API const double *gp_ccs_try_losses(const gp_ccs *c);
GP_API const double *gp_ccs_try_cosines(const gp_ccs *c);
GP_API int32_t gp_ccs_best_try(const gp_ccs *c);
/* Final CCS loss (consistency + confidence, no penalty) of the kept try on
 * the training pairs; for CRC/VINC the same loss of sigmoid(z). */
GP_API double gp_ccs_loss(const gp_ccs *c);
/* Iterations (lbfgs) or epochs (adam) run by the kept try. */
GP_API int32_t gp_ccs_n_iter(const gp_ccs *c);
/* 1 unless L-BFGS stopped at its iteration limit before the loss
 * plateaued. Adam runs its fixed number of epochs (the reference
 * procedure has no stopping test) and always reports 1; CRC and VINC are
 * closed forms (1). */
GP_API int32_t gp_ccs_converged(const gp_ccs *c);

/* Loss trace of try t (0 <= t < tries): the CCS loss at each epoch (adam)
 * or iteration (lbfgs) before its update, *len entries; NULL when t is out
 * of range or the method is closed-form. Owned by c. */
GP_API const double *gp_ccs_trace(const gp_ccs *c, int32_t t, int32_t *len);

/* Map rows of one set into the normalized space: out (n, d) float32 with
 * leading dimension ldo >= d. which: 0 = POS statistics, 1 = NEG. */
GP_API gp_status gp_ccs_transform(const gp_ccs *c, const gp_matrix *X, int which,
                                  float *out, int64_t ldo);
/* Per pair (n,) each, any may be NULL: p_pos = sigmoid(z+), p_neg =
 * sigmoid(z-), credence as above (uncalibrated). */
GP_API gp_status gp_ccs_credence(const gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                                 double *p_pos, double *p_neg, double *credence);
/* Fix the sign and a Platt scale from labeled pairs (y (n,) in {0, 1}, 1 =
 * x+ is the true statement): fits P(true) = sigmoid(a logit(credence) + c)
 * by maximum likelihood (as elk does); when a < 0 the direction and bias
 * are negated (so credence > 0.5 means true from then on) and a made
 * positive. Needs both labels present (GP_EINVAL otherwise). Modifies c. */
GP_API gp_status gp_ccs_calibrate(gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                                  const int32_t *y);
/* The same over processes (comm may be NULL; called collectively): pos,
 * neg and y are this process's calibration pairs, any number of them (0
 * included) as long as all processes together hold both labels; the Platt
 * fit's sums are reduced, so every process ends with the same sign and
 * scale. A failure on one process ends it on all (GP_EPEER elsewhere). */
GP_API gp_status gp_ccs_calibrate_comm(gp_ccs *c, const gp_matrix *pos, const gp_matrix *neg,
                                       const int32_t *y, const gp_comm *comm);
/* -1 when calibration flipped the direction, +1 when it kept it, 0 when
 * uncalibrated; and the Platt scale a and offset c (1, 0 uncalibrated). */
GP_API int32_t gp_ccs_sign(const gp_ccs *c);
GP_API void gp_ccs_platt(const gp_ccs *c, double *a, double *offset);
/* P(x+ true) (n,): the Platt-calibrated credence (the raw credence when
 * uncalibrated). */
GP_API gp_status gp_ccs_predict_proba(const gp_ccs *c, const gp_matrix *pos,
                                      const gp_matrix *neg, double *proba);

/* Save as .safetensors: "weight" (1, d) float32 and "bias" (1,) (the
 * normalized-space direction, as a PyTorch nn.Linear holds it), the
 * normalization as float64 tensors "pos_mean", "neg_mean", "pos_scale",
 * "neg_scale" (d,), and __metadata__ with method, norm, sign, Platt
 * parameters, loss, tries and the caller's extra string pairs. Written
 * whole or not at all. */
GP_API gp_status gp_ccs_save(const gp_ccs *c, const char *path, int n_meta,
                             const char *const *meta_keys, const char *const *meta_values);
/* Load a probe saved by gp_ccs_save (GP_EINVAL naming the file when it is
 * not a contrast-pair probe). */
GP_API gp_status gp_ccs_load(const char *path, gp_ccs **out);
/* Metadata value of a loaded probe (NULL when absent); owned by c. */
GP_API const char *gp_ccs_metadata(const gp_ccs *c, const char *key);

#endif /* GEOPROBE_CCS_H */
