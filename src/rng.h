/* rng.h — seeded, explicit-state random numbers (private).
 *
 * xoshiro256** seeded through splitmix64. Streams are derived from
 * (seed, index) so that work split into pieces (folds, restarts, columns of
 * a test matrix) draws the same numbers whatever the order or thread count
 * the pieces run in. No global state: the generator is a value the caller
 * owns. */
#ifndef GP_RNG_H
#define GP_RNG_H

#include <stdint.h>

typedef struct gp__rng {
    uint64_t s[4];
    double   spare;      /* second Box-Muller draw, valid when has_spare */
    int      has_spare;
} gp__rng;

/* Seed one generator: equal seeds give equal sequences. */
void gp__rng_seed(gp__rng *r, uint64_t seed);
/* Stream `index` of `seed`: statistically independent of every other
 * index for the same seed (and of gp__rng_seed(seed)). */
void gp__rng_stream(gp__rng *r, uint64_t seed, uint64_t index);
/* Next 64 random bits. */
uint64_t gp__rng_next(gp__rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double gp__rng_uniform(gp__rng *r);
/* Uniform integer in [0, n), unbiased; n = 0 gives 0. */
uint64_t gp__rng_below(gp__rng *r, uint64_t n);
/* Standard normal N(0, 1): Marsaglia's polar form of Box-Muller (no sin or
 * cos, only log and sqrt), the second draw of each pair kept for the next
 * call. */
double gp__rng_normal(gp__rng *r);
/* Fisher-Yates shuffle of an int64 array in place. */
void gp__rng_shuffle_i64(gp__rng *r, int64_t *a, int64_t n);

#endif /* GP_RNG_H */
