/* canvas.h — the one drawing interface every chart draws against.
 *
 * Coordinates are pixels of the PNG the chart would be (origin top left, y
 * down), for every format: the SVG/PDF canvas scales pixels to points
 * (72/dpi), so a chart is laid out once. Sizes of text and lines are passed
 * in pixels; charts derive them from points with cv->pt (pixels per point).
 * Drawing calls never fail one by one: cairo keeps the first error, and
 * gp__cv_status reports it after the chart is drawn. */
#ifndef GP_PLOTS_CANVAS_H
#define GP_PLOTS_CANVAS_H

#include "gp_internal.h"

#include <cairo.h>

typedef struct gp__rgba { double r, g, b, a; } gp__rgba;

typedef enum gp__halign { GP__LEFT, GP__CENTER, GP__RIGHT } gp__halign;
/* TOP/BOTTOM: the cap height / the descender at y; MIDDLE: digits centered
 * on y; BASELINE: the baseline at y. */
typedef enum gp__valign { GP__TOP, GP__MIDDLE, GP__BASELINE, GP__BOTTOM } gp__valign;
typedef enum gp__marker {
    GP__MK_CIRCLE, GP__MK_SQUARE, GP__MK_TRIANGLE, GP__MK_DIAMOND, GP__MK_COUNT
} gp__marker;
typedef enum gp__dash { GP__SOLID, GP__DASHED, GP__DOTTED } gp__dash;

typedef struct gp__canvas {
    cairo_t *cr;             /* where drawing goes now                      */
    cairo_t *vector_cr;      /* the page's context while a raster layer is
                                open (NULL otherwise)                        */
    cairo_surface_t *layer;  /* the open raster layer                       */
    double layer_x, layer_y;
    double width, height;    /* pixels                                      */
    double pt;               /* pixels per point (dpi/72, less for small
                                figures so that text still fits)             */
    int vector;              /* SVG or PDF page                             */
    cairo_font_options_t *font_opts;
    /* an open marker batch */
    gp__marker mk;
    double mk_size;
    gp__rgba mk_fill;
    long mk_pending;
    int mk_pixels;           /* the batch draws into pixels                 */
    cairo_status_t error;    /* first error outside cr (layers, options)    */
} gp__canvas;

/* Attach a canvas to cr (whose user units are pixels). */
void gp__cv_init(gp__canvas *cv, cairo_t *cr, double width, double height, double pt,
                 int vector);
void gp__cv_release(gp__canvas *cv);
/* GP_OK, or the first cairo error as a gp_status with a message. */
gp_status gp__cv_status(const gp__canvas *cv);

gp__rgba gp__rgb(uint32_t hex);                 /* 0xRRGGBB, opaque */
gp__rgba gp__with_alpha(gp__rgba c, double a);

void gp__cv_line(gp__canvas *cv, double x0, double y0, double x1, double y1, double width,
                 gp__rgba c, gp__dash dash);
/* A polyline through n points; NaN coordinates break it into pieces. */
void gp__cv_polyline(gp__canvas *cv, const double *xs, const double *ys, long n,
                     double width, gp__rgba c, gp__dash dash);
void gp__cv_polygon(gp__canvas *cv, const double *xs, const double *ys, long n, gp__rgba fill);
/* fill and/or edge (edge_width 0 = none; fill alpha 0 = none). */
void gp__cv_rect(gp__canvas *cv, double x, double y, double w, double h, gp__rgba fill,
                 gp__rgba edge, double edge_width);
/* One marker of diameter size centered at (x, y), optionally outlined. */
void gp__cv_marker(gp__canvas *cv, gp__marker m, double x, double y, double size,
                   gp__rgba fill, gp__rgba edge, double edge_width);
/* Many markers of one shape, size and color: begin, add..., end. Drawn as
 * batched fills (overlaps within one batch blend once). */
void gp__cv_markers_begin(gp__canvas *cv, gp__marker m, double size, gp__rgba fill);
void gp__cv_markers_add(gp__canvas *cv, double x, double y);
void gp__cv_markers_end(gp__canvas *cv);
/* A filled arrow head with its tip at (x, y) pointing along (dx, dy). */
void gp__cv_arrow_head(gp__canvas *cv, double x, double y, double dx, double dy, double len,
                       double half_width, gp__rgba fill);
/* A rectangle filled with a vertical color ramp: stops[0] at the bottom,
 * stops[n-1] at the top. */
void gp__cv_ramp(gp__canvas *cv, double x, double y, double w, double h, const gp__rgba *stops,
                 int n);
/* An image of iw x ih opaque 0xRRGGBB pixels scaled to the rectangle,
 * nearest neighbour (heatmaps too large for one rectangle per cell). */
void gp__cv_image(gp__canvas *cv, double x, double y, double w, double h, const uint32_t *rgb,
                  int iw, int ih);

/* Text in UTF-8 (invalid bytes are shown as U+FFFD, control characters as
 * spaces), DejaVu Sans, size in pixels, rotated by angle degrees
 * counterclockwise about the anchor (90 reads bottom to top). */
void gp__cv_text(gp__canvas *cv, double x, double y, const char *s, double size, int bold,
                 gp__halign h, gp__valign v, double angle, gp__rgba c);
/* Advance width in pixels of s at that size. */
double gp__cv_text_width(gp__canvas *cv, const char *s, double size, int bold);
/* The vertical extent of a line of text: cap height and descender. */
double gp__cv_cap_height(double size);
double gp__cv_descent(double size);

/* Copy s into out (at most cap bytes with the NUL) as valid UTF-8 without
 * control characters: invalid bytes become U+FFFD, controls a space (but
 * newlines when keep_newlines); cut on a character boundary. Returns the
 * length. cairo refuses invalid UTF-8, and XML refuses controls. */
size_t gp__utf8_clean(const char *s, char *out, size_t cap, int keep_newlines);
/* The same into a gp__malloc'd string (NULL when out of memory). */
char *gp__utf8_dup_clean(const char *s, int keep_newlines);

/* Clip drawing to a rectangle until gp__cv_unclip (these nest). */
void gp__cv_clip(gp__canvas *cv, double x, double y, double w, double h);
void gp__cv_unclip(gp__canvas *cv);

/* On SVG/PDF pages, draw what follows into a pixel image of the rectangle
 * (at the PNG's resolution) that gp__cv_layer_end places on the page: large
 * point clouds stay small files. On PNG canvases these do nothing. */
void gp__cv_layer_begin(gp__canvas *cv, double x, double y, double w, double h);
void gp__cv_layer_end(gp__canvas *cv);

#endif
