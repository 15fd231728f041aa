/* render.c — surfaces per format, provenance metadata, atomic writes. */
#include "render.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GP__MIN_PX 32
#define GP__MAX_PX 16384

void gp_plot_opts_init(gp_plot_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->width_px = 1600;
    o->height_px = 1200;
    o->dpi = 200;
}

int gp__buf_append(gp__buf *b, const void *p, size_t n) {
    if (n == 0) return 0;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n) cap *= 2;
        unsigned char *d = gp__realloc(b->data, cap);
        if (!d) return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void gp__buf_free(gp__buf *b) {
    gp__free(b->data);
    memset(b, 0, sizeof *b);
}

/* A PNG keyword: 1-79 printable ASCII characters, no leading, trailing or
 * doubled spaces (PNG spec 11.3.4.2; we keep to ASCII of its Latin-1). */
static int valid_keyword(const char *k) {
    size_t n = strlen(k);
    if (n < 1 || n > 79 || k[0] == ' ' || k[n - 1] == ' ') return 0;
    for (size_t i = 0; i < n; i++) {
        if (k[i] < 0x20 || k[i] > 0x7e) return 0;
        if (k[i] == ' ' && k[i + 1] == ' ') return 0;
    }
    return 1;
}

gp_status gp__plot_begin(const gp_plot_opts *o, const char *path, gp_plot_opts *out,
                         gp__format *fmt) {
    if (!path || !*path) return gp__error(GP_EINVAL, "plot: no output path given");
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash) && strcasecmp(dot, ".png") == 0) *fmt = GP__FMT_PNG;
    else if (dot && (!slash || dot > slash) && strcasecmp(dot, ".svg") == 0) *fmt = GP__FMT_SVG;
    else if (dot && (!slash || dot > slash) && strcasecmp(dot, ".pdf") == 0) *fmt = GP__FMT_PDF;
    else
        return gp__error(GP_EINVAL, "plot: %s: unknown image format (the name must end in "
                                    ".png, .svg or .pdf)", path);
    if (o) *out = *o;
    else gp_plot_opts_init(out);
    if (out->width_px < GP__MIN_PX || out->width_px > GP__MAX_PX)
        return gp__error(GP_EINVAL, "plot: width_px = %d is outside [%d, %d]",
                         (int)out->width_px, GP__MIN_PX, GP__MAX_PX);
    if (out->height_px < GP__MIN_PX || out->height_px > GP__MAX_PX)
        return gp__error(GP_EINVAL, "plot: height_px = %d is outside [%d, %d]",
                         (int)out->height_px, GP__MIN_PX, GP__MAX_PX);
    if (!(out->dpi >= 10 && out->dpi <= 2400))
        return gp__error(GP_EINVAL, "plot: dpi = %g is outside [10, 2400]", out->dpi);
    if (out->n_meta < 0) return gp__error(GP_EINVAL, "plot: n_meta = %d < 0", (int)out->n_meta);
    if (out->n_meta > 0 && (!out->meta_keys || !out->meta_values))
        return gp__error(GP_EINVAL, "plot: n_meta = %d but meta_keys or meta_values is NULL",
                         (int)out->n_meta);
    for (int i = 0; i < out->n_meta; i++) {
        if (!out->meta_keys[i] || !out->meta_values[i])
            return gp__error(GP_EINVAL, "plot: meta_keys[%d] or meta_values[%d] is NULL", i, i);
        if (!valid_keyword(out->meta_keys[i]))
            return gp__error(GP_EINVAL,
                             "plot: meta_keys[%d] = \"%.80s\" is not a PNG keyword (1-79 "
                             "printable ASCII characters, single spaces inside)",
                             i, out->meta_keys[i]);
    }
    return GP_OK;
}

/* ---- provenance ---- */

/* The pairs that go into the file: Software (always ours), Title, then the
 * caller's (a caller's Software or Title would repeat them: skipped). Values
 * are cleaned to valid UTF-8. On success the caller frees with meta_free. */
typedef struct meta {
    int n;
    const char **keys;
    char **values;
} meta;

static void meta_free(meta *m) {
    if (m->values)
        for (int i = 0; i < m->n; i++) gp__free(m->values[i]);
    gp__free(m->values);
    gp__free(m->keys);
    memset(m, 0, sizeof *m);
}

static gp_status meta_build(const gp_plot_opts *o, const char *title, meta *m) {
    memset(m, 0, sizeof *m);
    size_t cap = (size_t)o->n_meta + 2;
    m->keys = gp__calloc(cap, sizeof *m->keys);
    m->values = gp__calloc(cap, sizeof *m->values);
    if (!m->keys || !m->values) goto oom;
    m->keys[m->n] = "Software";
    if (!(m->values[m->n++] = gp__strdup("geoprobe " GP_VERSION))) goto oom;
    if (title && *title) {
        m->keys[m->n] = "Title";
        if (!(m->values[m->n++] = gp__utf8_dup_clean(title, 0))) goto oom;
    }
    for (int i = 0; i < o->n_meta; i++) {
        if (strcmp(o->meta_keys[i], "Software") == 0 || strcmp(o->meta_keys[i], "Title") == 0)
            continue;
        m->keys[m->n] = o->meta_keys[i];
        if (!(m->values[m->n++] = gp__utf8_dup_clean(o->meta_values[i], 1))) goto oom;
    }
    return GP_OK;
oom:
    meta_free(m);
    return gp__error(GP_ENOMEM, "plot: out of memory");
}

static int xml_escape_append(gp__buf *b, const char *s) {
    int rc = 0;
    for (; *s && rc == 0; s++) {
        switch (*s) {
        case '&': rc = gp__buf_append(b, "&amp;", 5); break;
        case '<': rc = gp__buf_append(b, "&lt;", 4); break;
        case '>': rc = gp__buf_append(b, "&gt;", 4); break;
        case '"': rc = gp__buf_append(b, "&quot;", 6); break;
        case '\'': rc = gp__buf_append(b, "&apos;", 6); break;
        default: rc = gp__buf_append(b, s, 1); break;
        }
    }
    return rc;
}

/* <title> and <metadata> for the SVG, placed right after the <svg ...> tag. */
static int svg_metadata(const meta *m, const char *title, gp__buf *b) {
    int rc = 0;
    if (title && *title) {
        rc |= gp__buf_append(b, "<title>", 7);
        rc |= xml_escape_append(b, m->values[1]);
        rc |= gp__buf_append(b, "</title>\n", 9);
    }
    const char *open = "<metadata>\n<provenance xmlns=\"urn:geoprobe:provenance\">\n";
    rc |= gp__buf_append(b, open, strlen(open));
    for (int i = 0; i < m->n; i++) {
        rc |= gp__buf_append(b, "<entry key=\"", 12);
        rc |= xml_escape_append(b, m->keys[i]);
        rc |= gp__buf_append(b, "\">", 2);
        rc |= xml_escape_append(b, m->values[i]);
        rc |= gp__buf_append(b, "</entry>\n", 9);
    }
    const char *close = "</provenance>\n</metadata>\n";
    rc |= gp__buf_append(b, close, strlen(close));
    return rc;
}

/* "key: value; key: value" for the PDF's Subject. */
static char *pdf_subject(const meta *m) {
    gp__buf b = {0};
    int rc = 0;
    for (int i = 0; i < m->n; i++) {
        if (strcmp(m->keys[i], "Title") == 0) continue;
        if (b.len) rc |= gp__buf_append(&b, "; ", 2);
        rc |= gp__buf_append(&b, m->keys[i], strlen(m->keys[i]));
        rc |= gp__buf_append(&b, ": ", 2);
        rc |= gp__buf_append(&b, m->values[i], strlen(m->values[i]));
    }
    rc |= gp__buf_append(&b, "", 1);
    if (rc) {
        gp__buf_free(&b);
        return NULL;
    }
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n') b.data[i] = ' ';
    return (char *)b.data;
}

/* ---- rendering ---- */

static cairo_status_t on_stream(void *closure, const unsigned char *data, unsigned int n) {
    return gp__buf_append(closure, data, n) == 0 ? CAIRO_STATUS_SUCCESS
                                                 : CAIRO_STATUS_WRITE_ERROR;
}

static gp_status surface_error(cairo_surface_t *s) {
    cairo_status_t cs = cairo_surface_status(s);
    if (cs == CAIRO_STATUS_SUCCESS) return GP_OK;
    if (cs == CAIRO_STATUS_NO_MEMORY || cs == CAIRO_STATUS_WRITE_ERROR)
        return gp__error(GP_ENOMEM, "plot: out of memory (cairo: %s)",
                         cairo_status_to_string(cs));
    return gp__error(GP_EINTERNAL, "plot: cairo: %s", cairo_status_to_string(cs));
}

/* Pixels per point: dpi/72, less for a figure smaller than 6 x 4.5 inches
 * so that its text keeps the proportions of a full-size one, but never so
 * small that 10-point text gets under 7 pixels. */
static double pixels_per_point(const gp_plot_opts *o) {
    double base = o->dpi / 72.0;
    double w_pt = o->width_px * 72.0 / o->dpi, h_pt = o->height_px * 72.0 / o->dpi;
    double ui = GP_MIN(1.0, GP_MIN(w_pt / 432.0, h_pt / 324.0));
    double pt = base * ui;
    return GP_MAX(pt, GP_MIN(base, 0.7));
}

gp_status gp__plot_render(const gp_plot_opts *o, gp__format fmt, const char *path,
                          const char *title, gp__draw_fn draw, void *ctx) {
    meta m;
    gp_status s = meta_build(o, title, &m);
    if (s != GP_OK) return s;
    gp__buf out = {0}, svg_meta = {0};
    double w = o->width_px, h = o->height_px;
    double page_w = w * 72.0 / o->dpi, page_h = h * 72.0 / o->dpi;
    cairo_surface_t *surf;
    if (fmt == GP__FMT_PNG) {
        surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, o->width_px, o->height_px);
    } else if (fmt == GP__FMT_SVG) {
        surf = cairo_svg_surface_create_for_stream(on_stream, &out, page_w, page_h);
        if (cairo_surface_status(surf) == CAIRO_STATUS_SUCCESS)
            cairo_svg_surface_set_document_unit(surf, CAIRO_SVG_UNIT_PT);
    } else {
        surf = cairo_pdf_surface_create_for_stream(on_stream, &out, page_w, page_h);
        if (cairo_surface_status(surf) == CAIRO_STATUS_SUCCESS) {
            char *subject = pdf_subject(&m);
            if (!subject) {
                cairo_surface_destroy(surf);
                gp__buf_free(&out);
                meta_free(&m);
                return gp__error(GP_ENOMEM, "plot: out of memory");
            }
            if (title && *title)
                cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, m.values[1]);
            cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, m.values[0]);
            cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_SUBJECT, subject);
            /* no creation date: the same chart gives the same bytes */
            cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATE_DATE, "");
            gp__free(subject);
        }
    }
    s = surface_error(surf);
    cairo_t *cr = NULL;
    if (s == GP_OK) {
        cr = cairo_create(surf);
        if (fmt != GP__FMT_PNG) cairo_scale(cr, 72.0 / o->dpi, 72.0 / o->dpi);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        gp__canvas cv;
        gp__cv_init(&cv, cr, w, h, pixels_per_point(o), fmt != GP__FMT_PNG);
        s = draw(&cv, ctx);
        if (s == GP_OK) s = gp__cv_status(&cv);
        gp__cv_release(&cv);
        cairo_destroy(cr);
    }
    if (s == GP_OK && fmt == GP__FMT_PNG) {
        cairo_surface_flush(surf);
        s = gp__png_encode(cairo_image_surface_get_data(surf), o->width_px, o->height_px,
                           cairo_image_surface_get_stride(surf), o->dpi, m.n, m.keys,
                           (const char *const *)m.values, &out);
    } else if (s == GP_OK) {
        cairo_surface_finish(surf);
        s = surface_error(surf);
    }
    cairo_surface_destroy(surf);
    if (s == GP_OK && fmt == GP__FMT_SVG && svg_metadata(&m, title, &svg_meta) != 0)
        s = gp__error(GP_ENOMEM, "plot: out of memory");
    if (s == GP_OK) {
        size_t at = 0;
        if (fmt == GP__FMT_SVG) { /* just after the opening <svg ...> tag */
            const unsigned char *p = out.data, *end = out.data + out.len;
            const unsigned char *tag = NULL;
            for (const unsigned char *q = p; q + 4 < end; q++)
                if (memcmp(q, "<svg", 4) == 0) {
                    tag = q;
                    break;
                }
            const unsigned char *gt = tag ? memchr(tag, '>', (size_t)(end - tag)) : NULL;
            if (!gt) s = gp__error(GP_EINTERNAL, "plot: cairo wrote no <svg> element");
            else {
                at = (size_t)(gt - p) + 1;
                while (at < out.len && out.data[at] == '\n') at++;
            }
        }
        if (s == GP_OK) {
            const void *parts[3] = {out.data, svg_meta.data, out.data + at};
            size_t lens[3] = {at, svg_meta.len, out.len - at};
            if (fmt != GP__FMT_SVG) lens[0] = out.len;
            s = gp__write_parts_atomic(path, fmt == GP__FMT_SVG ? 3 : 1, parts, lens);
        }
    }
    gp__buf_free(&out);
    gp__buf_free(&svg_meta);
    meta_free(&m);
    return s;
}

void gp_plot_shutdown(void) {
    cairo_debug_reset_static_data();
    FcFini();
}
