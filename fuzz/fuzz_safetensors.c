/* fuzz_safetensors.c — libFuzzer harness for the .safetensors reader: the
 * input is a whole file; it is opened, its directory and metadata listed
 * and (up to four of) its tensors loaded as float32, float64 and the stored
 * dtype, whole and by layer, with stats computed on what loads.
 * Seeds: fuzz/corpus/safetensors. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_file("x.safetensors", data, size);
    if (path) fuzz_exercise_activations(path, size);
    return 0;
}
