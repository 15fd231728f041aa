/* util.c — errors, number parsing and timing for the subcommands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

cli_globals cli;

int cli_fail(const char *cmd, const char *fmt, ...) {
    char msg[1024];
    int len = snprintf(msg, sizeof msg, "geoprobe %s: error: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    if (len >= 0 && (size_t)len < sizeof msg) vsnprintf(msg + len, sizeof msg - (size_t)len, fmt, ap);
    va_end(ap);
    size_t end = strlen(msg);
    if (end + 2 > sizeof msg) end = sizeof msg - 2;  /* a cut line still ends */
    msg[end] = '\n', msg[end + 1] = 0;
    /* distributed: held, printed once by the first failing rank at exit */
    if (!cli_dist_hold(msg)) fputs(msg, stderr);
    return CLI_FAIL;
}

int cli_fail_gp(const char *cmd) { return cli_fail(cmd, "%s", gp_last_error()); }

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...) {
    char msg[2048];
    int len = snprintf(msg, sizeof msg, "geoprobe %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    if (len >= 0 && (size_t)len < sizeof msg) len += vsnprintf(msg + len, sizeof msg - (size_t)len, fmt, ap);
    va_end(ap);
    if (len >= 0 && (size_t)len < sizeof msg)
        snprintf(msg + len, sizeof msg - (size_t)len, "\nusage: %s\n(geoprobe %s --help for more)\n", usage, cmd);
    if (!cli_dist_hold(msg)) fputs(msg, stderr);
    return CLI_USAGE;
}

bool cli_parse_int(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

bool cli_parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return false;
    *out = v;
    return true;
}

double cli_seconds(void) {
    static struct timespec t0;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (t0.tv_sec == 0 && t0.tv_nsec == 0) t0 = t;
    return (double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec);
}
