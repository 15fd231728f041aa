/* blas.c — which OpenBLAS kernels run, and whether they are the right ones.
 *
 * Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) picks its kernels when it is
 * loaded, from the CPU model. On a CPU model newer than the library it
 * falls back to the generic "Prescott" kernels: SSE3 only, about 5x slower
 * sgemm on an AVX-512 machine. The fix is OPENBLAS_CORETYPE set before the
 * library loads; this file only detects the case and names the core to
 * ask for (the CLI re-executes itself with it, Python sets it before
 * loading us). */
#include "gp_internal.h"

#include <cblas.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *gp_blas_core(void) {
    const char *c = openblas_get_corename();
    return c ? c : "unknown";
}

const char *gp_blas_config(void) {
    const char *c = openblas_get_config();
    return c ? c : "unknown";
}

static bool core_in(const char *core, const char *const *list) {
    for (; *list; list++)
        if (strcasecmp(core, *list) == 0) return true;
    return false;
}

const char *gp_blas_core_suggested(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    /* Cores whose kernels use the instructions the CPU has. */
    static const char *const avx512_cores[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
    static const char *const avx2_cores[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                             "SapphireRapids", NULL};
    const char *core = gp_blas_core();
    __builtin_cpu_init();
    /* libgcc also checks that the OS saves the wide registers (XGETBV). */
    bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx512 && !core_in(core, avx512_cores)) return "SkylakeX";
    if (!avx512 && avx2 && !core_in(core, avx2_cores)) return "Haswell";
#endif
    return NULL;
}

void gp_set_threads(int n) {
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    openblas_set_num_threads(n);
}

int gp_get_threads(void) { return openblas_get_num_threads(); }
