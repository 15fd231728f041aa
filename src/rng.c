/* rng.c — splitmix64 seeding + xoshiro256** (Blackman and Vigna, 2018). */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void gp__rng_seed(gp__rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    /* splitmix64 never outputs four zeros in a row, but xoshiro's one bad
     * state is all-zero: make that impossible rather than improbable. */
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
    r->has_spare = 0;
    r->spare = 0;
}

void gp__rng_stream(gp__rng *r, uint64_t seed, uint64_t index) {
    /* Hash (seed, index) through two splitmix64 steps rather than seed +
     * index, so stream i of seed s never equals stream i-1 of seed s+1. */
    uint64_t a = seed, b = index ^ 0xD1B54A32D192ED03ull;
    uint64_t h = splitmix64(&a) ^ rotl(splitmix64(&b), 17);
    gp__rng_seed(r, h);
}

uint64_t gp__rng_next(gp__rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double gp__rng_uniform(gp__rng *r) {
    return (double)(gp__rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t gp__rng_below(gp__rng *r, uint64_t n) {
    if (n == 0) return 0;
    /* Rejection on the top of the range keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = gp__rng_next(r);
    while (x >= limit);
    return x % n;
}

double gp__rng_normal(gp__rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * gp__rng_uniform(r) - 1.0;
        v = 2.0 * gp__rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = sqrt(-2.0 * log(s) / s);
    r->spare = v * m;
    r->has_spare = 1;
    return u * m;
}

void gp__rng_shuffle_i64(gp__rng *r, int64_t *a, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)gp__rng_below(r, (uint64_t)i + 1);
        int64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
