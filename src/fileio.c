/* fileio.c — outputs are written whole or not at all: a temporary file in
 * the same folder (so rename is atomic), fsync, then rename over the target. */
#include "gp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gp_status write_all(int fd, const void *buf, size_t len, const char *path) {
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return gp__error(GP_EIO, "%s: cannot write: %s", path, strerror(errno));
        }
        p += w;
        len -= (size_t)w;
    }
    return GP_OK;
}

gp_status gp__write_parts_atomic(const char *path, int n, const void *const *parts,
                                 const size_t *lens) {
    if (!path || !*path) return gp__error(GP_EINVAL, "no output file name given");
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return gp__error(GP_EIO, "%s: is a directory, not a file", path);
    size_t plen = strlen(path);
    char *tmp = gp__malloc(plen + 32);
    if (!tmp) return gp__error(GP_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, plen + 32, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        gp_status s = gp__error(GP_EIO, "%s: cannot create: %s", path, strerror(errno));
        gp__free(tmp);
        return s;
    }
    gp_status s = GP_OK;
    for (int i = 0; i < n && s == GP_OK; i++) s = write_all(fd, parts[i], lens[i], path);
    /* mkstemp makes 0600 files; outputs are ordinary files. */
    if (s == GP_OK) {
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask) != 0)
            s = gp__error(GP_EIO, "%s: cannot set mode: %s", path, strerror(errno));
    }
    if (s == GP_OK && fsync(fd) != 0)
        s = gp__error(GP_EIO, "%s: cannot write: %s", path, strerror(errno));
    if (close(fd) != 0 && s == GP_OK)
        s = gp__error(GP_EIO, "%s: cannot write: %s", path, strerror(errno));
    if (s == GP_OK && rename(tmp, path) != 0)
        s = gp__error(GP_EIO, "%s: cannot replace: %s", path, strerror(errno));
    if (s != GP_OK) unlink(tmp);
    gp__free(tmp);
    return s;
}

gp_status gp_write_file_atomic(const char *path, const void *data, size_t len) {
    gp__clear_error();
    if (!data && len) return gp__error(GP_EINVAL, "gp_write_file_atomic: data is NULL");
    const void *parts[1] = {data};
    size_t lens[1] = {len};
    return gp__write_parts_atomic(path, 1, parts, lens);
}
