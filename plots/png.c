/* png.c — the one file that includes <png.h>: cairo's image surface to PNG
 * bytes in memory, with provenance text chunks. libpng reports errors by
 * longjmp; they stop here and come back as gp_status. */
#include "render.h"

#include <png.h>
#include <string.h>

typedef struct png_ctx {
    gp__buf *out;
    int oom;
    char msg[200];
} png_ctx;

static void on_error(png_structp png, png_const_charp msg) {
    png_ctx *c = png_get_error_ptr(png);
    if (c) snprintf(c->msg, sizeof c->msg, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* the library never prints */
}

static void on_write(png_structp png, png_bytep data, size_t n) {
    png_ctx *c = png_get_io_ptr(png);
    if (gp__buf_append(c->out, data, n) != 0) {
        c->oom = 1;
        png_error(png, "out of memory");
    }
}

static void on_flush(png_structp png) { (void)png; }

static int is_ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return 0;
    return 1;
}

/* Everything between setjmp and png_write_end: its locals are this
 * function's, so a longjmp out of it clobbers nothing the caller reads. */
static void write_image(png_structp png, png_infop info, png_ctx *ctx, const unsigned char *argb,
                        int width, int height, int stride, double dpi, int n_text,
                        const char *const *keys, const char *const *values, png_text *text,
                        unsigned char *rowbuf, int opaque) {
    png_set_write_fn(png, ctx, on_write, on_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 opaque ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_uint_32 ppm = (png_uint_32)(dpi / 0.0254 + 0.5);
    png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
    for (int i = 0; i < n_text; i++) {
        text[i].key = (png_charp)(uintptr_t)keys[i];
        text[i].text = (png_charp)(uintptr_t)values[i];
        text[i].text_length = strlen(values[i]);
        if (is_ascii(values[i])) {
            text[i].compression = PNG_TEXT_COMPRESSION_NONE;
        } else {
            text[i].compression = PNG_ITXT_COMPRESSION_NONE;
            text[i].lang = (png_charp)(uintptr_t)"";
            text[i].lang_key = (png_charp)(uintptr_t)"";
            text[i].itxt_length = text[i].text_length;
            text[i].text_length = 0;
        }
    }
    if (n_text > 0) png_set_text(png, info, text, n_text);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    for (int i = 0; i < height; i++) {
        const uint32_t *row = (const uint32_t *)(const void *)(argb + (size_t)i * (size_t)stride);
        unsigned char *o = rowbuf;
        for (int j = 0; j < width; j++) {
            uint32_t p = row[j];
            unsigned a = p >> 24, r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
            if (!opaque) {
                if (a == 0) {
                    r = g = b = 0;
                } else if (a < 255) { /* un-premultiply, rounded */
                    r = GP_MIN(255u, (r * 255 + a / 2) / a);
                    g = GP_MIN(255u, (g * 255 + a / 2) / a);
                    b = GP_MIN(255u, (b * 255 + a / 2) / a);
                }
            }
            *o++ = (unsigned char)r;
            *o++ = (unsigned char)g;
            *o++ = (unsigned char)b;
            if (!opaque) *o++ = (unsigned char)a;
        }
        png_write_row(png, rowbuf);
    }
}

gp_status gp__png_encode(const unsigned char *argb, int width, int height, int stride,
                         double dpi, int n_text, const char *const *keys,
                         const char *const *values, gp__buf *out) {
    volatile int opaque_v = 1; /* volatile: read after setjmp */
    int opaque = 1;
    for (int i = 0; i < height && opaque; i++) {
        const uint32_t *row = (const uint32_t *)(const void *)(argb + (size_t)i * (size_t)stride);
        for (int j = 0; j < width; j++)
            if ((row[j] >> 24) != 0xff) {
                opaque = 0;
                break;
            }
    }
    opaque_v = opaque;
    int channels = opaque ? 3 : 4;
    unsigned char *rowbuf = gp__malloc((size_t)width * (size_t)channels);
    png_text *text = gp__calloc(n_text > 0 ? (size_t)n_text : 1, sizeof *text);
    if (!rowbuf || !text) {
        gp__free(rowbuf);
        gp__free(text);
        return gp__error(GP_ENOMEM, "plot: png: out of memory");
    }
    png_ctx ctx = {out, 0, ""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        gp__free(rowbuf);
        gp__free(text);
        return gp__error(GP_ENOMEM, "plot: png: out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        gp__free(rowbuf);
        gp__free(text);
        if (ctx.oom) return gp__error(GP_ENOMEM, "plot: png: out of memory");
        return gp__error(GP_EINTERNAL, "plot: png: %s", ctx.msg);
    }
    write_image(png, info, &ctx, argb, width, height, stride, dpi, n_text, keys, values, text,
                rowbuf, opaque_v);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    gp__free(rowbuf);
    gp__free(text);
    return GP_OK;
}
