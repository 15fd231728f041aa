/* stream.c — giving back the pages of a memory-mapped input behind a pass
 * over its rows, so a file larger than memory streams through a fixed
 * amount of resident memory. Only mappings registered here (read-only,
 * private file maps made by the loaders) are ever released: MADV_DONTNEED
 * on them drops the pages, and the next touch reads the file again. A heap
 * matrix must never be released (its pages would read back as zeros), so a
 * matrix outside every registered mapping is left alone. */
#include "gp_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A fixed table, no allocation: registering never fails a caller (a full
 * table only means that mapping is not streamed). */
enum { MAX_REGIONS = 256 };
typedef struct region {
    const unsigned char *data;
    uint64_t size;
    bool large;   /* more than a quarter of the memory available at map time */
} region;
static region regions[MAX_REGIONS];
static int n_regions;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int stream_mode = GP_STREAM_AUTO;

void gp_set_stream_mode(gp_stream_mode m) {
    if (m >= GP_STREAM_AUTO && m <= GP_STREAM_ON) stream_mode = (int)m;
}
gp_stream_mode gp_get_stream_mode(void) { return (gp_stream_mode)stream_mode; }

uint64_t gp_memory_available(void) {
    uint64_t b = 0;
    return gp__mem_available(&b) ? b : 0;
}

void gp__stream_register(const void *data, uint64_t size) {
    if (!data || !size) return;
    uint64_t avail = gp_memory_available();
    pthread_mutex_lock(&lock);
    if (n_regions < MAX_REGIONS)
        regions[n_regions++] = (region){data, size, avail > 0 && size > avail / 4};
    pthread_mutex_unlock(&lock);
}

void gp__stream_unregister(const void *data) {
    if (!data) return;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n_regions; i++)
        if (regions[i].data == data) {
            regions[i] = regions[--n_regions];
            break;
        }
    pthread_mutex_unlock(&lock);
}

/* The registered region holding [p, p + len), if any; *large its flag. */
static bool find_region(const unsigned char *p, size_t len, bool *large) {
    bool found = false;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n_regions && !found; i++) {
        const region *r = &regions[i];
        if (p >= r->data && (uint64_t)(p - r->data) + len <= r->size) {
            found = true;
            *large = r->large;
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}

static bool released(const gp_matrix *X, const unsigned char **lo, size_t *len) {
    int mode = stream_mode;
    if (mode == GP_STREAM_OFF || !X || !X->data || X->rows <= 0) return false;
    size_t rowb = (size_t)X->ld * gp_dtype_size(X->dtype);
    *lo = X->data;
    *len = (size_t)(X->rows - 1) * rowb + (size_t)X->cols * gp_dtype_size(X->dtype);
    bool large = false;
    return find_region(*lo, *len, &large) && (mode == GP_STREAM_ON || large);
}

int gp_matrix_is_streamed(const gp_matrix *X) {
    const unsigned char *lo;
    size_t len;
    return released(X, &lo, &len);
}

void gp__release_rows(const gp_matrix *X, int64_t r0, int64_t r1) {
    const unsigned char *lo;
    size_t len;
    if (r1 <= r0 || !released(X, &lo, &len)) return;
    size_t rowb = (size_t)X->ld * gp_dtype_size(X->dtype);
    uintptr_t a = (uintptr_t)(lo + (size_t)r0 * rowb);
    uintptr_t b = (uintptr_t)(lo + GP_MIN((size_t)r1 * rowb, len));
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    /* Whole pages. The partial last page holds rows of the next block and
     * stays. The partial first page goes: every pass runs forward, so the
     * rows before r0 on it are done (rounded up as well, the page shared
     * by two blocks would be released by neither). Releasing a page too
     * many is never wrong: the map is a read-only file map, read again on
     * the next touch. */
    a &= ~(page - 1);
    b &= ~(page - 1);
    if (r1 >= X->rows) b = (uintptr_t)(lo + len + page - 1) & ~(page - 1);
    if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
}

/* Rows per release of gp__release_after_row: about this many bytes. */
#define RELEASE_GROUP_BYTES ((int64_t)8 << 20)

void gp__release_after_row(const gp_matrix *X, int64_t i) {
    if (stream_mode == GP_STREAM_OFF || !X || X->rows <= 0) return;
    int64_t rowb = GP_MAX(X->ld * (int64_t)gp_dtype_size(X->dtype), 1);
    int64_t g = GP_MAX(RELEASE_GROUP_BYTES / rowb, 1);
    if ((i + 1) % g == 0 || i + 1 == X->rows) gp__release_rows(X, i - i % g, i + 1);
}
