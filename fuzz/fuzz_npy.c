/* fuzz_npy.c — libFuzzer harness for the .npy reader: the input is a
 * whole file; it is opened, its directory listed and its array loaded as
 * float32, float64 and the stored dtype, whole and by layer (@0, @-1),
 * with stats computed on what loads. Seeds: fuzz/corpus/npy. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file("x.npy", data, size);
    if (path) fuzz_exercise_activations(path, size);
    return 0;
}
