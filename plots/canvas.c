/* canvas.c — the drawing interface over cairo: lines, markers, text with
 * alignment, rectangles, color ramps, clipping, raster layers. */
#include "canvas.h"

#include <math.h>
#include <string.h>

#define GP__FONT "DejaVu Sans"
#define GP__BATCH 1024 /* markers per fill: bounds path memory and tessellation */

void gp__cv_init(gp__canvas *cv, cairo_t *cr, double width, double height, double pt,
                 int vector) {
    memset(cv, 0, sizeof *cv);
    cv->cr = cr;
    cv->width = width;
    cv->height = height;
    cv->pt = pt;
    cv->vector = vector;
    /* Unhinted outlines and linear metrics: text measures the same on every
     * surface, so a chart lays out identically in PNG, SVG and PDF. */
    cv->font_opts = cairo_font_options_create();
    cairo_font_options_set_antialias(cv->font_opts, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(cv->font_opts, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(cv->font_opts, CAIRO_HINT_METRICS_OFF);
    if (cairo_font_options_status(cv->font_opts) != CAIRO_STATUS_SUCCESS)
        cv->error = cairo_font_options_status(cv->font_opts);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
}

void gp__cv_release(gp__canvas *cv) {
    if (cv->vector_cr) { /* a layer left open by an error path */
        cairo_destroy(cv->cr);
        cairo_surface_destroy(cv->layer);
        cv->cr = cv->vector_cr;
        cv->vector_cr = NULL;
        cv->layer = NULL;
    }
    if (cv->font_opts) cairo_font_options_destroy(cv->font_opts);
    cv->font_opts = NULL;
}

static gp_status cairo_to_status(cairo_status_t cs) {
    gp_status s = cs == CAIRO_STATUS_NO_MEMORY     ? GP_ENOMEM
                  : cs == CAIRO_STATUS_WRITE_ERROR ? GP_EIO
                                                   : GP_EINTERNAL;
    return gp__error(s, "plot: cairo: %s", cairo_status_to_string(cs));
}

gp_status gp__cv_status(const gp__canvas *cv) {
    if (cv->error != CAIRO_STATUS_SUCCESS) return cairo_to_status(cv->error);
    cairo_status_t cs = cairo_status(cv->cr);
    if (cs == CAIRO_STATUS_SUCCESS) cs = cairo_surface_status(cairo_get_target(cv->cr));
    if (cs == CAIRO_STATUS_SUCCESS && cv->vector_cr) cs = cairo_status(cv->vector_cr);
    return cs == CAIRO_STATUS_SUCCESS ? GP_OK : cairo_to_status(cs);
}

gp__rgba gp__rgb(uint32_t hex) {
    gp__rgba c = {((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0,
                  (hex & 0xff) / 255.0, 1.0};
    return c;
}

gp__rgba gp__with_alpha(gp__rgba c, double a) {
    c.a = a;
    return c;
}

static void source(cairo_t *cr, gp__rgba c) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a); }

static void stroke_style(cairo_t *cr, double width, gp__dash dash) {
    cairo_set_line_width(cr, width);
    /* matplotlib's dash patterns, scaled by the line width */
    if (dash == GP__DASHED) {
        double d[2] = {3.7 * width, 1.6 * width};
        cairo_set_dash(cr, d, 2, 0);
    } else if (dash == GP__DOTTED) {
        double d[2] = {1.0 * width, 1.65 * width};
        cairo_set_dash(cr, d, 2, 0);
    } else {
        cairo_set_dash(cr, NULL, 0, 0);
    }
}

void gp__cv_line(gp__canvas *cv, double x0, double y0, double x1, double y1, double width,
                 gp__rgba c, gp__dash dash) {
    cairo_t *cr = cv->cr;
    cairo_save(cr);
    stroke_style(cr, width, dash);
    source(cr, c);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
    cairo_restore(cr);
}

void gp__cv_polyline(gp__canvas *cv, const double *xs, const double *ys, long n, double width,
                     gp__rgba c, gp__dash dash) {
    cairo_t *cr = cv->cr;
    cairo_save(cr);
    stroke_style(cr, width, dash);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    source(cr, c);
    int open = 0;
    for (long i = 0; i < n; i++) {
        if (!isfinite(xs[i]) || !isfinite(ys[i])) {
            open = 0;
            continue;
        }
        if (open) cairo_line_to(cr, xs[i], ys[i]);
        else cairo_move_to(cr, xs[i], ys[i]);
        open = 1;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

void gp__cv_polygon(gp__canvas *cv, const double *xs, const double *ys, long n, gp__rgba fill) {
    if (n < 3) return;
    cairo_t *cr = cv->cr;
    cairo_move_to(cr, xs[0], ys[0]);
    for (long i = 1; i < n; i++) cairo_line_to(cr, xs[i], ys[i]);
    cairo_close_path(cr);
    source(cr, fill);
    cairo_fill(cr);
}

void gp__cv_rect(gp__canvas *cv, double x, double y, double w, double h, gp__rgba fill,
                 gp__rgba edge, double edge_width) {
    cairo_t *cr = cv->cr;
    cairo_rectangle(cr, x, y, w, h);
    if (fill.a > 0) {
        source(cr, fill);
        if (edge_width > 0) cairo_fill_preserve(cr);
        else cairo_fill(cr);
    }
    if (edge_width > 0) {
        cairo_save(cr);
        stroke_style(cr, edge_width, GP__SOLID);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
        source(cr, edge);
        cairo_stroke(cr);
        cairo_restore(cr);
    }
    cairo_new_path(cr);
}

/* Append one marker outline to the current path. Small circles drawn into
 * pixels are octagons: the same pixels at a fraction of the cost of arcs. */
static void marker_path(cairo_t *cr, gp__marker m, double x, double y, double size, int pixels) {
    double r = 0.5 * size;
    if (m == GP__MK_CIRCLE && pixels && size <= 6) {
        static const double c8[8][2] = {{1, 0},       {0.7071, 0.7071},  {0, 1},  {-0.7071, 0.7071},
                                        {-1, 0},      {-0.7071, -0.7071}, {0, -1}, {0.7071, -0.7071}};
        double R = 1.026 * r; /* the circle's area */
        cairo_move_to(cr, x + R * c8[0][0], y + R * c8[0][1]);
        for (int k = 1; k < 8; k++) cairo_line_to(cr, x + R * c8[k][0], y + R * c8[k][1]);
        cairo_close_path(cr);
        return;
    }
    switch (m) {
    case GP__MK_SQUARE: {
        double a = 0.886 * r; /* the circle's area */
        cairo_rectangle(cr, x - a, y - a, 2 * a, 2 * a);
        break;
    }
    case GP__MK_TRIANGLE: {
        double R = 1.3 * r;
        cairo_move_to(cr, x, y - R);
        cairo_line_to(cr, x + 0.866 * R, y + 0.5 * R);
        cairo_line_to(cr, x - 0.866 * R, y + 0.5 * R);
        cairo_close_path(cr);
        break;
    }
    case GP__MK_DIAMOND: {
        double R = 1.2 * r;
        cairo_move_to(cr, x, y - R);
        cairo_line_to(cr, x + R, y);
        cairo_line_to(cr, x, y + R);
        cairo_line_to(cr, x - R, y);
        cairo_close_path(cr);
        break;
    }
    default:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        cairo_close_path(cr);
        break;
    }
}

void gp__cv_marker(gp__canvas *cv, gp__marker m, double x, double y, double size, gp__rgba fill,
                   gp__rgba edge, double edge_width) {
    cairo_t *cr = cv->cr;
    cairo_new_path(cr);
    marker_path(cr, m, x, y, size, !cv->vector || cv->vector_cr != NULL);
    if (fill.a > 0) {
        source(cr, fill);
        cairo_fill_preserve(cr);
    }
    if (edge_width > 0) {
        cairo_save(cr);
        stroke_style(cr, edge_width, GP__SOLID);
        source(cr, edge);
        cairo_stroke_preserve(cr);
        cairo_restore(cr);
    }
    cairo_new_path(cr);
}

void gp__cv_markers_begin(gp__canvas *cv, gp__marker m, double size, gp__rgba fill) {
    cv->mk = m;
    cv->mk_size = size;
    cv->mk_fill = fill;
    cv->mk_pending = 0;
    cv->mk_pixels = !cv->vector || cv->vector_cr != NULL;
    cairo_new_path(cv->cr);
}

static void markers_flush(gp__canvas *cv) {
    if (cv->mk_pending == 0) return;
    source(cv->cr, cv->mk_fill);
    cairo_fill(cv->cr);
    cv->mk_pending = 0;
}

void gp__cv_markers_add(gp__canvas *cv, double x, double y) {
    marker_path(cv->cr, cv->mk, x, y, cv->mk_size, cv->mk_pixels);
    if (++cv->mk_pending >= GP__BATCH) markers_flush(cv);
}

void gp__cv_markers_end(gp__canvas *cv) { markers_flush(cv); }

void gp__cv_arrow_head(gp__canvas *cv, double x, double y, double dx, double dy, double len,
                       double half_width, gp__rgba fill) {
    double norm = hypot(dx, dy);
    if (!(norm > 0)) return;
    double ux = dx / norm, uy = dy / norm;
    double bx = x - len * ux, by = y - len * uy;
    cairo_t *cr = cv->cr;
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, bx - half_width * uy, by + half_width * ux);
    cairo_line_to(cr, bx + half_width * uy, by - half_width * ux);
    cairo_close_path(cr);
    source(cr, fill);
    cairo_fill(cr);
}

void gp__cv_ramp(gp__canvas *cv, double x, double y, double w, double h, const gp__rgba *stops,
                 int n) {
    if (n < 1) return;
    cairo_pattern_t *p = cairo_pattern_create_linear(0, y + h, 0, y);
    for (int i = 0; i < n; i++)
        cairo_pattern_add_color_stop_rgb(p, n > 1 ? (double)i / (n - 1) : 0, stops[i].r,
                                         stops[i].g, stops[i].b);
    cairo_t *cr = cv->cr;
    cairo_save(cr);
    cairo_set_source(cr, p);
    cairo_rectangle(cr, x, y, w, h);
    cairo_fill(cr);
    cairo_restore(cr);
    if (cairo_pattern_status(p) != CAIRO_STATUS_SUCCESS && cv->error == CAIRO_STATUS_SUCCESS)
        cv->error = cairo_pattern_status(p);
    cairo_pattern_destroy(p);
}

void gp__cv_image(gp__canvas *cv, double x, double y, double w, double h, const uint32_t *rgb,
                  int iw, int ih) {
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, iw, ih);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        if (cv->error == CAIRO_STATUS_SUCCESS) cv->error = cairo_surface_status(img);
        cairo_surface_destroy(img);
        return;
    }
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int i = 0; i < ih; i++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)i * (size_t)stride);
        for (int j = 0; j < iw; j++) row[j] = 0xff000000u | rgb[(size_t)i * (size_t)iw + (size_t)j];
    }
    cairo_surface_mark_dirty(img);
    cairo_t *cr = cv->cr;
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    cairo_clip(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, w / iw, h / ih);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}

/* ---- text ---- */

size_t gp__utf8_clean(const char *s, char *out, size_t cap, int keep_newlines) {
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    if (cap == 0) return 0;
    while (*p) {
        unsigned char c = p[0];
        size_t len = 0;
        uint32_t cp = 0;
        if (c < 0x80) { len = 1; cp = c; }
        else if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
        int ok = len > 0;
        for (size_t k = 1; ok && k < len; k++) {
            if ((p[k] & 0xc0) != 0x80) ok = 0;
            else cp = (cp << 6) | (p[k] & 0x3f);
        }
        if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                   (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                   (cp >= 0xd800 && cp <= 0xdfff)))
            ok = 0;
        const char *emit;
        size_t elen;
        char one[1];
        if (!ok) {
            emit = "\xef\xbf\xbd";
            elen = 3;
            len = 1;
        } else if ((cp < 0x20 && !(keep_newlines && cp == '\n')) || cp == 0x7f) {
            one[0] = ' ';
            emit = one;
            elen = 1;
        } else {
            emit = (const char *)p;
            elen = len;
        }
        if (o + elen + 1 > cap) break;
        memcpy(out + o, emit, elen);
        o += elen;
        p += len;
    }
    out[o] = '\0';
    return o;
}

char *gp__utf8_dup_clean(const char *s, int keep_newlines) {
    size_t cap = 3 * strlen(s) + 1;
    char *out = gp__malloc(cap);
    if (out) gp__utf8_clean(s, out, cap, keep_newlines);
    return out;
}

static void set_font(gp__canvas *cv, double size, int bold) {
    cairo_t *cr = cv->cr;
    cairo_select_font_face(cr, GP__FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_set_font_options(cr, cv->font_opts);
}

double gp__cv_cap_height(double size) { return 0.729 * size; } /* DejaVu Sans */
double gp__cv_descent(double size) { return 0.236 * size; }

double gp__cv_text_width(gp__canvas *cv, const char *s, double size, int bold) {
    if (!s || !*s) return 0;
    char buf[1024];
    gp__utf8_clean(s, buf, sizeof buf, 0);
    cairo_save(cv->cr);
    set_font(cv, size, bold);
    cairo_text_extents_t te;
    cairo_text_extents(cv->cr, buf, &te);
    cairo_restore(cv->cr);
    return te.x_advance;
}

void gp__cv_text(gp__canvas *cv, double x, double y, const char *s, double size, int bold,
                 gp__halign h, gp__valign v, double angle, gp__rgba c) {
    if (!s || !*s) return;
    char buf[1024];
    gp__utf8_clean(s, buf, sizeof buf, 0);
    cairo_t *cr = cv->cr;
    cairo_save(cr);
    set_font(cv, size, bold);
    cairo_text_extents_t te;
    cairo_text_extents(cr, buf, &te);
    double dx = h == GP__LEFT ? 0 : h == GP__CENTER ? -0.5 * te.x_advance : -te.x_advance;
    double dy = v == GP__TOP      ? gp__cv_cap_height(size)
                : v == GP__MIDDLE ? 0.5 * gp__cv_cap_height(size)
                : v == GP__BOTTOM ? -gp__cv_descent(size)
                                  : 0;
    cairo_translate(cr, x, y);
    if (angle != 0) cairo_rotate(cr, -angle * M_PI / 180.0);
    cairo_move_to(cr, dx, dy);
    source(cr, c);
    cairo_show_text(cr, buf);
    cairo_new_path(cr);
    cairo_restore(cr);
}

/* ---- clipping and layers ---- */

void gp__cv_clip(gp__canvas *cv, double x, double y, double w, double h) {
    cairo_save(cv->cr);
    cairo_rectangle(cv->cr, x, y, w, h);
    cairo_clip(cv->cr);
}

void gp__cv_unclip(gp__canvas *cv) { cairo_restore(cv->cr); }

void gp__cv_layer_begin(gp__canvas *cv, double x, double y, double w, double h) {
    if (!cv->vector || cv->vector_cr) return;
    double x0 = floor(x), y0 = floor(y);
    int iw = (int)ceil(x + w - x0), ih = (int)ceil(y + h - y0);
    if (iw < 1 || ih < 1) return;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, iw, ih);
    cairo_t *lcr = cairo_create(img);
    if (cairo_status(lcr) != CAIRO_STATUS_SUCCESS) {
        if (cv->error == CAIRO_STATUS_SUCCESS) cv->error = cairo_status(lcr);
        cairo_destroy(lcr);
        cairo_surface_destroy(img);
        return;
    }
    cairo_translate(lcr, -x0, -y0);
    cv->vector_cr = cv->cr;
    cv->cr = lcr;
    cv->layer = img;
    cv->layer_x = x0;
    cv->layer_y = y0;
}

void gp__cv_layer_end(gp__canvas *cv) {
    if (!cv->vector_cr) return;
    cairo_t *lcr = cv->cr;
    cairo_status_t ls = cairo_status(lcr);
    if (ls != CAIRO_STATUS_SUCCESS && cv->error == CAIRO_STATUS_SUCCESS) cv->error = ls;
    cairo_destroy(lcr);
    cv->cr = cv->vector_cr;
    cv->vector_cr = NULL;
    cairo_surface_t *img = cv->layer;
    cv->layer = NULL;
    cairo_surface_flush(img);
    cairo_t *cr = cv->cr;
    cairo_save(cr);
    cairo_set_source_surface(cr, img, cv->layer_x, cv->layer_y);
    cairo_rectangle(cr, cv->layer_x, cv->layer_y, cairo_image_surface_get_width(img),
                    cairo_image_surface_get_height(img));
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}
