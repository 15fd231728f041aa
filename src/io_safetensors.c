/* io_safetensors.c — placeholder, being written. */
#include "gp_internal.h"
gp_status gp__safetensors_parse(struct gp_file *f) { return gp__error(GP_EFORMAT, "%s: .safetensors not implemented yet", f->path); }
gp_status gp_safetensors_write(const char *path, int n_tensors, const gp_named_tensor *tensors, int n_meta,
                               const char *const *meta_keys, const char *const *meta_values) {
    (void)n_tensors; (void)tensors; (void)n_meta; (void)meta_keys; (void)meta_values;
    return gp__error(GP_EINVAL, "%s: .safetensors writing not implemented yet", path);
}
