/* mapfile.c — read-only memory maps of whole files. Activation dumps are
 * mapped, not read, so float32 data is used in place and a file larger
 * than memory costs only the pages touched. */
#include "gp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

gp_status gp__map_file(const char *path, gp__mapping *m) {
    m->data = NULL;
    m->size = 0;
    if (!path || !*path) return gp__error(GP_EINVAL, "no file name given");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gp__error(GP_EIO, "%s: %s", path,
                         errno == ENOENT ? "no such file" : strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return gp__error(GP_EIO, "%s: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return gp__error(GP_EIO, "%s: is a directory, not a file", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return gp__error(GP_EIO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return GP_OK;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return gp__error(GP_EIO, "%s: cannot map: %s", path, strerror(e));
    m->data = p;
    m->size = (uint64_t)st.st_size;
    gp__stream_register(p, m->size);
    return GP_OK;
}

void gp__unmap_file(gp__mapping *m) {
    if (m->data) {
        gp__stream_unregister(m->data);
        munmap((void *)m->data, (size_t)m->size);
    }
    m->data = NULL;
    m->size = 0;
}
