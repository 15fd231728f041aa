/* render.h — from a chart's draw function to a file: the surface for the
 * path's format, PNG bytes through libpng with tEXt provenance, SVG with a
 * <metadata> element, PDF with document info, all written atomically. */
#ifndef GP_PLOTS_RENDER_H
#define GP_PLOTS_RENDER_H

#include "canvas.h"

typedef enum gp__format { GP__FMT_PNG, GP__FMT_SVG, GP__FMT_PDF } gp__format;

/* A growing byte buffer (gp__malloc'd). */
typedef struct gp__buf {
    unsigned char *data;
    size_t len, cap;
} gp__buf;
/* 0, or -1 when out of memory (the buffer is unchanged). */
int gp__buf_append(gp__buf *b, const void *p, size_t n);
void gp__buf_free(gp__buf *b);

/* Check the output path (format from its extension, case-insensitive) and
 * the options (NULL: the defaults), copying them into *out. */
gp_status gp__plot_begin(const gp_plot_opts *o, const char *path, gp_plot_opts *out,
                         gp__format *fmt);

/* Draw the chart on a white page of o's size and write it to path. title
 * (NULL or "": none) also goes into the file's metadata. */
typedef gp_status (*gp__draw_fn)(gp__canvas *cv, void *ctx);
gp_status gp__plot_render(const gp_plot_opts *o, gp__format fmt, const char *path,
                          const char *title, gp__draw_fn draw, void *ctx);

/* png.c: encode a cairo ARGB32 image (premultiplied, native-endian rows of
 * stride bytes, top row first) as PNG bytes into out: RGB when every pixel
 * is opaque, else un-premultiplied RGBA; pHYs from dpi; one text chunk per
 * pair (tEXt for ASCII values, iTXt for others; keys must be valid PNG
 * keywords, values valid UTF-8). */
gp_status gp__png_encode(const unsigned char *argb, int width, int height, int stride,
                         double dpi, int n_text, const char *const *keys,
                         const char *const *values, gp__buf *out);

#endif
