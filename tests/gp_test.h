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

#include "geoprobe.h"

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

#endif
