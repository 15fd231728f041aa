/* comm_threads.h — a gp_comm whose "processes" are threads (for the tests
 * of distributed fits, without MPI): an allreduce built on a barrier, where
 * every member computes the same result from all buffers in rank order, and
 * an allocator hook that fails one thread's allocations. Header-only; used
 * by test_comm.c and test_probe_comm.c. */
#ifndef GP_TEST_COMM_THREADS_H
#define GP_TEST_COMM_THREADS_H

#include <geoprobe.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CT_MAXP 8

typedef struct group {
    int size;
    pthread_barrier_t bar;
    double *bufs[CT_MAXP];
} group;

typedef struct member {
    group *g;
    int rank;
} member;

static inline int thread_allreduce(double *buf, int64_t n, gp_reduce_op op, void *user) {
    member *m = user;
    group *g = m->g;
    g->bufs[m->rank] = buf;
    pthread_barrier_wait(&g->bar);
    /* every member computes the same result from all buffers, in rank order */
    double *tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tmp);
    for (int64_t i = 0; i < n; i++) {
        double a = g->bufs[0][i];
        for (int r = 1; r < g->size; r++)
            a = op == GP_REDUCE_SUM ? a + g->bufs[r][i] : fmax(a, g->bufs[r][i]);
        tmp[i] = a;
    }
    pthread_barrier_wait(&g->bar);
    memcpy(buf, tmp, (size_t)n * sizeof *buf);
    free(tmp);
    return 0;
}

/* The allocator hook: the fail_at-th allocation (1-based) of the armed
 * thread fails; fail_count counts that thread's allocations. */
static pthread_t failing_thread;
static int fail_armed;
static long fail_at = 1, fail_count;
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static inline void *failing_malloc(size_t n) {
    pthread_mutex_lock(&fail_lock);
    int fail = 0;
    if (fail_armed && pthread_equal(pthread_self(), failing_thread) && ++fail_count == fail_at) {
        fail = 1;
        fail_armed = 0;
    }
    pthread_mutex_unlock(&fail_lock);
    return fail ? NULL : malloc(n);
}

/* Start `size` threads running fn(args[r]) where args[r] (stride bytes
 * apart) begins with a member and is followed by nothing this header
 * needs; comms[r] is filled in first. fail_rank >= 0 arms the hook on that
 * thread at its fail_at-th allocation. Joins them all. */
static inline void comm_threads_run(int size, int fail_rank, long fail_at_alloc,
                                    void *(*fn)(void *), void *args, size_t stride,
                                    member *(*member_of)(void *), gp_comm *(*comm_of)(void *)) {
    group g = {.size = size};
    pthread_barrier_init(&g.bar, NULL, (unsigned)size);
    pthread_t th[CT_MAXP];
    for (int r = 0; r < size; r++) {
        void *a = (char *)args + (size_t)r * stride;
        member *m = member_of(a);
        *m = (member){&g, r};
        *comm_of(a) = (gp_comm){.rank = r, .size = size, .allreduce = thread_allreduce, .user = m};
    }
    if (fail_rank >= 0) gp_set_allocator(failing_malloc, NULL, NULL);
    for (int r = 0; r < size; r++) {
        void *a = (char *)args + (size_t)r * stride;
        if (r == fail_rank) {
            pthread_mutex_lock(&fail_lock);
            pthread_create(&th[r], NULL, fn, a);
            failing_thread = th[r];
            fail_at = fail_at_alloc;
            fail_count = 0;
            fail_armed = 1;
            pthread_mutex_unlock(&fail_lock);
        } else {
            pthread_create(&th[r], NULL, fn, a);
        }
    }
    for (int r = 0; r < size; r++) pthread_join(th[r], NULL);
    if (fail_rank >= 0) gp_set_allocator(NULL, NULL, NULL);
    fail_armed = 0;
    pthread_barrier_destroy(&g.bar);
}

#endif
