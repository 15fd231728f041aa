/* io_npy.c — placeholder, being written. */
#include "gp_internal.h"
gp_status gp__npy_parse(struct gp_file *f) { return gp__error(GP_EFORMAT, "%s: .npy not implemented yet", f->path); }
gp_status gp_npy_write(const char *path, gp_dtype dtype, int ndim, const int64_t *shape, const void *data) {
    (void)dtype; (void)ndim; (void)shape; (void)data;
    return gp__error(GP_EINVAL, "%s: .npy writing not implemented yet", path);
}
