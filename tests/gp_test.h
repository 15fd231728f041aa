/* gp_test.h — shared helpers for the cmocka C tests. Fixtures are written
 * at test time by tests/fixtures_*.py into $GP_FIXTURES (make sets it). */
#ifndef GP_TEST_H
#define GP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>

#include "geoprobe.h"

/* A standard normal draw from a fixed LCG stream *s (Box-Muller): test
 * data that is the same on every run and machine, without fixtures. */
static inline double lcg_normal(uint64_t *s) {
    double u[2];
    for (int i = 0; i < 2; i++) {
        *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
        u[i] = ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* Path of a fixture file; static buffer per call site is not needed: each
 * call returns a fresh malloc'd string the test frees (or leaks into the
 * process, which cmocka does not check for plain malloc). */
static inline const char *fixture(const char *name) {
    static char bufs[8][4096];
    static int next;
    const char *dir = getenv("GP_FIXTURES");
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir ? dir : "build/fixtures", name);
    return b;
}

/* Load fixture DIR/NAME_SUFFIX.npy (the fixture scripts' naming), failing
 * the test when it cannot. The caller frees it with gp_tensor_free. */
#define load_fixture_tensor(dir, name, suffix, want, out) do { \
        char rel_[256]; \
        snprintf(rel_, sizeof rel_, "%s/%s_%s.npy", (dir), (name), (suffix)); \
        *(out) = NULL; \
        CHECK_OK(gp_tensor_load(fixture(rel_), (want), (out))); \
    } while (0)

/* Assert a call returned GP_OK, printing gp_last_error() when not. */
#define CHECK_OK(call) do { \
        gp_status s_ = (call); \
        if (s_ != GP_OK) fail_msg("%s -> %d: %s", #call, (int)s_, gp_last_error()); \
    } while (0)

/* Assert a call failed with status `want` and a message containing `sub`. */
#define CHECK_FAILS(call, want, sub) do { \
        gp_status s_ = (call); \
        if (s_ != (want)) fail_msg("%s -> %d (want %d): %s", #call, (int)s_, (int)(want), \
                                   gp_last_error()); \
        if (!strstr(gp_last_error(), (sub))) \
            fail_msg("%s: message \"%s\" lacks \"%s\"", #call, gp_last_error(), (sub)); \
    } while (0)

/* Read a raw little-endian binary file written by a fixture script; the
 * caller frees. Fails the test if missing. */
static inline void *read_raw(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("missing fixture %s (run make fixtures)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) fail_msg("short read %s", path);
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

/* ---- out-of-memory sweeps ----
 * One fault-injecting allocator for every test file. oom_arm(k) installs it
 * with gp_set_allocator and resets the counters; allocation calls (malloc and
 * realloc, counted together from 1) then succeed except call number k (k <= 0:
 * none fails). oom_arm_from(k) fails call k and every later one. The hook
 * counts the blocks it hands out and frees, so oom_live() is the number still
 * live (0 after a call that cleans up), and oom_calls() is how many allocation
 * calls were made (oom_calls() < k: the armed one never happened).
 * oom_largest() is the largest block asked for since oom_arm.
 * oom_disarm() restores the default allocator. The state is shared by the
 * whole test file; gp_set_allocator is process-wide anyway. */
static struct {
    long fail_at;   /* the call that fails; <= 0: none */
    int sticky;     /* fail every call from fail_at on */
    long calls;     /* malloc + realloc calls since oom_arm */
    long live;      /* blocks allocated through the hook and not yet freed */
    size_t largest; /* the largest size asked for */
} oom_state __attribute__((unused));

static inline int oom_fails_(size_t n) {
    long c = ++oom_state.calls;
    if (n > oom_state.largest) oom_state.largest = n;
    if (oom_state.fail_at <= 0) return 0;
    return oom_state.sticky ? c >= oom_state.fail_at : c == oom_state.fail_at;
}
static inline void *oom_malloc(size_t n) {
    if (oom_fails_(n)) return NULL;
    void *p = malloc(n);
    if (p) oom_state.live++;
    return p;
}
static inline void *oom_realloc(void *p, size_t n) {
    if (oom_fails_(n)) return NULL;
    void *q = realloc(p, n);
    if (q && !p) oom_state.live++;
    return q;
}
static inline void oom_free(void *p) {
    if (p) oom_state.live--;
    free(p);
}
static inline void oom_arm(long k) {
    oom_state.fail_at = k;
    oom_state.sticky = 0;
    oom_state.calls = 0;
    oom_state.live = 0;
    oom_state.largest = 0;
    gp_set_allocator(oom_malloc, oom_realloc, oom_free);
}
static inline void oom_arm_from(long k) {
    oom_arm(k);
    oom_state.sticky = 1;
}
static inline void oom_disarm(void) { gp_set_allocator(NULL, NULL, NULL); }
static inline long oom_live(void) { return oom_state.live; }
static inline long oom_calls(void) { return oom_state.calls; }
static inline size_t oom_largest(void) { return oom_state.largest; }

#endif
