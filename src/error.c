/* error.c — status text and the per-thread last-error message. */
#include "gp_internal.h"

#include <stdio.h>
#include <string.h>

/* One message buffer per thread: no locking, and a notebook's threads do
 * not see each other's errors. */
static _Thread_local char last_error[1024];

const char *gp_status_str(gp_status s) {
    switch (s) {
    case GP_OK:          return "ok";
    case GP_EINVAL:      return "invalid argument";
    case GP_ENOMEM:      return "out of memory";
    case GP_EIO:         return "input/output error";
    case GP_EFORMAT:     return "bad file format";
    case GP_EDTYPE:      return "unsupported dtype";
    case GP_ESHAPE:      return "bad shape";
    case GP_ENAN:        return "non-finite value";
    case GP_ENOCONVERGE: return "did not converge";
    case GP_ELAPACK:     return "LAPACK failure";
    case GP_ECANCELLED:  return "cancelled";
    case GP_EPEER:       return "another process failed";
    case GP_EINTERNAL:   return "internal error";
    }
    return "unknown status";
}

const char *gp_last_error(void) { return last_error; }

void gp__clear_error(void) { last_error[0] = '\0'; }

gp_status gp__error(gp_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

void gp__error_prefix(const char *fmt, ...) {
    char prefix[512], old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    /* Truncation is fine here: the start of the message matters most. */
    size_t n = strlen(prefix);
    if (n > sizeof last_error - 3) n = sizeof last_error - 3;
    memcpy(last_error, prefix, n);
    memcpy(last_error + n, ": ", 2);
    size_t room = sizeof last_error - n - 3;
    size_t m = strlen(old);
    if (m > room) m = room;
    memcpy(last_error + n + 2, old, m);
    last_error[n + 2 + m] = '\0';
}

const char *gp_version(void) { return GP_VERSION; }
int gp_abi_version(void) { return GP_ABI_VERSION; }
