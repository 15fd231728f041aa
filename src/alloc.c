/* alloc.c — every allocation goes through these, so a caller can supply
 * its own allocator and the tests can fail the k-th allocation. */
#include "gp_internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static gp_malloc_fn  user_malloc;
static gp_realloc_fn user_realloc;
static gp_free_fn    user_free;

void gp_set_allocator(gp_malloc_fn m, gp_realloc_fn r, gp_free_fn f) {
    user_malloc = m;
    user_realloc = r;
    user_free = f;
}

void *gp__malloc(size_t n) {
    if (n == 0) n = 1;
    return user_malloc ? user_malloc(n) : malloc(n);
}

void *gp__calloc(size_t count, size_t size) {
    void *p = gp__alloc_n(count, size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *gp__alloc_n(size_t count, size_t size) {
    uint64_t total;
    if (gp__mul_overflow(count, size, &total) || total > SIZE_MAX) return NULL;
    return gp__malloc((size_t)total);
}

void *gp__realloc(void *p, size_t n) {
    if (n == 0) n = 1;
    return user_realloc ? user_realloc(p, n) : realloc(p, n);
}

void gp__free(void *p) {
    if (!p) return;
    if (user_free) user_free(p);
    else free(p);
}

void gp_free(void *p) { gp__free(p); }

char *gp__strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = gp__malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

bool gp__mul_overflow(uint64_t a, uint64_t b, uint64_t *out) {
    return __builtin_mul_overflow(a, b, out);
}

bool gp__mem_available(uint64_t *bytes) {
    char buf[8192];
    ssize_t n = -1;
    int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
    }
    if (n > 0) {
        buf[n] = '\0';
        const char *p = strstr(buf, "MemAvailable:");
        char *end = NULL;
        unsigned long long kb = p ? strtoull(p + 13, &end, 10) : 0;
        if (p && end != p + 13 && kb < UINT64_MAX / 1024) {
            *bytes = (uint64_t)kb * 1024;
            return true;
        }
    }
    long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return false;
    return !gp__mul_overflow((uint64_t)pages, (uint64_t)page, bytes);
}
