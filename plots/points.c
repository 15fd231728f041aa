/* points.c — input checks and point clouds shared by the scatter charts. */
#include "charts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RASTER_ABOVE 20000 /* points: SVG/PDF draw larger clouds as an image */
#define CHUNK 4096         /* rows per interleaving round */

gp_status gp__check_ids(const char *chart, const int32_t *ids, int64_t n, int32_t n_classes) {
    if (!ids) return GP_OK;
    if (n_classes < 1)
        return gp__error(GP_EINVAL, "plot: %s: n_classes = %d (ids need at least one class)",
                         chart, (int)n_classes);
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= n_classes)
            return gp__error(GP_EINVAL, "plot: %s: ids[%lld] = %d is outside [0, %d)", chart,
                             (long long)i, (int)ids[i], (int)n_classes);
    return GP_OK;
}

int64_t gp__finite_range(const double *v, int64_t n, const unsigned char *mask, double *lo,
                         double *hi) {
    int64_t k = 0;
    double a = INFINITY, b = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        if ((mask && !mask[i]) || !isfinite(v[i])) continue;
        a = fmin(a, v[i]);
        b = fmax(b, v[i]);
        k++;
    }
    *lo = a;
    *hi = b;
    return k;
}

const char *gp__class_label(const char *const *names, int i, char *buf, size_t cap) {
    if (names && names[i]) return names[i];
    snprintf(buf, cap, "%d", i);
    return buf;
}

void gp__points_style(int64_t n, double *size_pt, double *alpha) {
    double d = 16.0 / pow((double)(n > 1 ? n : 1), 0.25);
    *size_pt = d < 1.4 ? 1.4 : d > 6 ? 6 : d;
    double a = n <= 300 ? 0.9 : 0.9 - 0.17 * log10((double)n / 300.0);
    *alpha = a < 0.3 ? 0.3 : a;
}

void gp__points_occupy(gp__fig *f, const gp__points *p) {
    for (int64_t i = 0; i < p->n; i++)
        gp__occ_point(f, gp__axis_frac(&f->x, p->x[i]), gp__axis_frac(&f->y, p->y[i]), 1);
}

static int ok(const gp__points *p, int64_t i) { return isfinite(p->x[i]) && isfinite(p->y[i]); }

static void draw_by_class(gp__fig *f, const gp__points *p) {
    for (int64_t c0 = 0; c0 < p->n; c0 += CHUNK) {
        int64_t c1 = c0 + CHUNK < p->n ? c0 + CHUNK : p->n;
        for (int32_t k = 0; k < p->n_classes; k++) {
            int any = 0;
            for (int64_t i = c0; i < c1; i++) {
                if (p->ids[i] != k || !ok(p, i)) continue;
                if (!any)
                    gp__cv_markers_begin(f->cv, gp__pal_marker(k), p->size,
                                         gp__with_alpha(gp__pal_class(k), p->alpha));
                any = 1;
                gp__cv_markers_add(f->cv, gp__fig_x(f, p->x[i]), gp__fig_y(f, p->y[i]));
            }
            if (any) gp__cv_markers_end(f->cv);
        }
    }
}

/* By value: one batch per viridis entry, low values first (high ones end
 * on top); points without a finite value in gray underneath. */
static gp_status draw_by_value(gp__fig *f, const gp__points *p) {
    int16_t *bin = gp__malloc((size_t)p->n * sizeof *bin);
    if (!bin) return gp__error(GP_ENOMEM, "plot: out of memory");
    int64_t count[257] = {0};
    for (int64_t i = 0; i < p->n; i++) {
        double t = (p->values[i] - p->vmin) / (p->vmax - p->vmin);
        bin[i] = (int16_t)(ok(p, i) ? gp__pal_viridis_index(t) + 1 : -1);
        if (bin[i] >= 0) count[bin[i]]++;
    }
    for (int b = 0; b < 257; b++) {
        if (count[b] == 0) continue;
        gp__rgba c = b == 0 ? gp__rgb(0xb0b0b0) : gp__rgb(gp__pal_viridis_hex(b - 1));
        gp__cv_markers_begin(f->cv, GP__MK_CIRCLE, p->size, gp__with_alpha(c, p->alpha));
        for (int64_t i = 0; i < p->n; i++)
            if (bin[i] == b) gp__cv_markers_add(f->cv, gp__fig_x(f, p->x[i]), gp__fig_y(f, p->y[i]));
        gp__cv_markers_end(f->cv);
    }
    gp__free(bin);
    return GP_OK;
}

gp_status gp__points_draw(gp__fig *f, const gp__points *p) {
    gp_status s = GP_OK;
    int64_t drawn = 0;
    for (int64_t i = 0; i < p->n; i++) drawn += ok(p, i);
    int layer = drawn > RASTER_ABOVE;
    if (layer) gp__cv_layer_begin(f->cv, f->px0, f->py0, f->px1 - f->px0, f->py1 - f->py0);
    if (p->ids) {
        draw_by_class(f, p);
    } else if (p->values) {
        s = draw_by_value(f, p);
    } else {
        gp__cv_markers_begin(f->cv, GP__MK_CIRCLE, p->size,
                             gp__with_alpha(gp__pal_class(0), p->alpha));
        for (int64_t i = 0; i < p->n; i++)
            if (ok(p, i)) gp__cv_markers_add(f->cv, gp__fig_x(f, p->x[i]), gp__fig_y(f, p->y[i]));
        gp__cv_markers_end(f->cv);
    }
    if (layer) gp__cv_layer_end(f->cv);
    return s;
}

void gp__points_legend(gp__fig *f, int32_t n_classes, const char *const *names, int reserve) {
    int room = GP__MAX_LEGEND - reserve;
    for (int32_t k = 0; k < n_classes; k++) {
        if (k == room - 1 && n_classes > room) {
            gp__leg_entry *e = gp__fig_legend_add(f, GP__LEG_MARKER, NULL);
            if (!e) return;
            snprintf(e->text, sizeof e->text, "\xe2\x80\xa6 %d more", (int)(n_classes - k));
            e->color = gp__with_alpha(e->color, 0);
            return;
        }
        gp__leg_entry *e = gp__fig_legend_add(f, GP__LEG_MARKER, NULL);
        if (!e) return;
        const char *l = gp__class_label(names, k, e->text, sizeof e->text);
        if (l != e->text) e->label = l;
        e->color = gp__pal_class(k);
        e->marker = gp__pal_marker(k);
    }
}
