/* chart_heatmap.c — 5. heatmap: viridis cells with a colorbar, row and
 * column labels (thinned when they would collide), values printed in the
 * cells of small matrices in black or white, whichever contrasts more. */
#include "charts.h"

#include <math.h>
#include <string.h>

#define RECTS_MAX 40000 /* cells drawn one by one; larger matrices as an image */
#define AUTO_VALUES_MAX 144

typedef struct heat_ctx {
    const gp_plot_heatmap_data *h;
    const char *title;
    double vmin, vmax;
    int show;        /* print values */
    double step;     /* their format: decimals of this step (gp__fmt_tick) */
} heat_ctx;

static uint32_t cell_hex(const heat_ctx *c, double v) {
    if (!isfinite(v)) return GP__C_MISSING;
    return gp__pal_viridis_hex(gp__pal_viridis_index((v - c->vmin) / (c->vmax - c->vmin)));
}

/* WCAG relative luminance of an sRGB color. */
static double luminance(gp__rgba c) {
    double ch[3] = {c.r, c.g, c.b}, l = 0;
    static const double w[3] = {0.2126, 0.7152, 0.0722};
    for (int i = 0; i < 3; i++) {
        double v = ch[i] <= 0.04045 ? ch[i] / 12.92 : pow((ch[i] + 0.055) / 1.055, 2.4);
        l += w[i] * v;
    }
    return l;
}

static gp_status draw_heatmap(gp__canvas *cv, void *vctx) {
    heat_ctx *c = vctx;
    const gp_plot_heatmap_data *h = c->h;
    int R = h->rows, C = h->cols;
    gp__fig fig, *f = &fig;
    gp__fig_init(f, cv, c->title);
    f->grid = 0;
    f->x.n_cat = C;
    f->x.cat_names = h->col_names;
    f->x.hi = C;
    f->y.n_cat = R;
    f->y.cat_names = h->row_names;
    f->y.hi = R;
    f->y.invert = 1;
    f->x.title = h->x_label;
    f->y.title = h->y_label;
    f->aspect_min = 0.8;
    f->aspect_max = 1.25;
    f->has_cbar = 1;
    f->cb.lo = c->vmin;
    f->cb.hi = c->vmax;
    f->cb.title = h->colorbar_label;
    gp__fig_layout(f);
    double pw = f->px1 - f->px0, ph = f->py1 - f->py0;
    if ((int64_t)R * C <= RECTS_MAX) {
        /* cell edges on whole pixels in PNG (no seams); on vector pages each
         * cell overlaps its right and lower neighbours a little instead */
        double ov = cv->vector ? fmin(2.0, 0.25 * fmin(pw / C, ph / R)) : 0;
        for (int i = 0; i < R; i++) {
            double y0 = f->py0 + ph * i / R, y1 = f->py0 + ph * (i + 1) / R;
            if (!cv->vector) {
                y0 = round(y0);
                y1 = round(y1);
            }
            for (int j = 0; j < C; j++) {
                double x0 = f->px0 + pw * j / C, x1 = f->px0 + pw * (j + 1) / C;
                if (!cv->vector) {
                    x0 = round(x0);
                    x1 = round(x1);
                }
                double v = h->values[(size_t)i * (size_t)C + (size_t)j];
                gp__cv_rect(cv, x0, y0, x1 - x0 + (j + 1 < C ? ov : 0),
                            y1 - y0 + (i + 1 < R ? ov : 0), gp__rgb(cell_hex(c, v)), gp__rgb(0), 0);
            }
        }
    } else {
        uint32_t *img = gp__malloc((size_t)R * (size_t)C * sizeof *img);
        if (!img) return gp__error(GP_ENOMEM, "plot: heatmap: out of memory");
        for (size_t k = 0; k < (size_t)R * (size_t)C; k++) img[k] = cell_hex(c, h->values[k]);
        gp__cv_image(cv, f->px0, f->py0, pw, ph, img, C, R);
        gp__free(img);
    }
    if (c->show) {
        double cw = pw / C, chh = ph / R, fs = f->st.fs_tick, widest = 0;
        char buf[48];
        for (size_t k = 0; k < (size_t)R * (size_t)C; k++) {
            if (!isfinite(h->values[k])) continue;
            gp__fmt_tick(h->values[k], c->step, buf, sizeof buf);
            widest = fmax(widest, gp__cv_text_width(cv, buf, fs, 0));
        }
        if (widest > 0.86 * cw) fs *= 0.86 * cw / widest;
        if (fs > 0.5 * chh) fs = 0.5 * chh;
        if (fs >= 0.5 * f->st.fs_tick) {
            for (int i = 0; i < R; i++)
                for (int j = 0; j < C; j++) {
                    double v = h->values[(size_t)i * (size_t)C + (size_t)j];
                    if (!isfinite(v)) continue;
                    gp__fmt_tick(v, c->step, buf, sizeof buf);
                    gp__rgba bg = gp__rgb(cell_hex(c, v));
                    /* contrast ratio against white vs. against near-black */
                    double L = luminance(bg);
                    int dark = (L + 0.05) / (0.0185 + 0.05) > 1.05 / (L + 0.05);
                    gp__cv_text(cv, f->px0 + (j + 0.5) * cw, f->py0 + (i + 0.5) * chh, buf, fs, 0,
                                GP__CENTER, GP__MIDDLE, 0,
                                dark ? gp__rgb(0x262626) : gp__rgb(0xffffff));
                }
        }
    }
    gp__fig_draw_front(f);
    return GP_OK;
}

gp_status gp_plot_heatmap(const gp_plot_heatmap_data *h, const gp_plot_opts *o,
                          const char *path) {
    gp__clear_error();
    gp_plot_opts opts;
    gp__format fmt;
    gp_status st = gp__plot_begin(o, path, &opts, &fmt);
    if (st != GP_OK) return st;
    if (!h) return gp__error(GP_EINVAL, "plot: heatmap: data is NULL");
    if (h->rows <= 0 || h->cols <= 0)
        return gp__error(GP_EINVAL, "plot: heatmap: shape (%d, %d) is empty", (int)h->rows,
                         (int)h->cols);
    if ((int64_t)h->rows * h->cols > 16 * 1024 * 1024)
        return gp__error(GP_EINVAL, "plot: heatmap: shape (%d, %d) has too many cells to draw",
                         (int)h->rows, (int)h->cols);
    if (!h->values) return gp__error(GP_EINVAL, "plot: heatmap: values is NULL");
    heat_ctx c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.title = opts.title ? opts.title : "Heatmap";
    int64_t cells = (int64_t)h->rows * h->cols;
    double lo, hi;
    int64_t n_ok = gp__finite_range(h->values, cells, NULL, &lo, &hi);
    if (n_ok == 0)
        return gp__error(GP_EINVAL, "plot: heatmap: no finite values (all %lld are NaN or "
                                    "infinite)", (long long)cells);
    if (h->has_range) {
        if (!isfinite(h->vmin) || !isfinite(h->vmax) || !(h->vmin < h->vmax))
            return gp__error(GP_EINVAL, "plot: heatmap: range [%g, %g] is not an interval",
                             h->vmin, h->vmax);
        c.vmin = h->vmin;
        c.vmax = h->vmax;
    } else if (hi > lo) {
        c.vmin = lo;
        c.vmax = hi;
    } else {
        gp__axis a;
        memset(&a, 0, sizeof a);
        gp__axis_fit(&a, lo, hi, 0);
        c.vmin = a.lo;
        c.vmax = a.hi;
    }
    c.show = h->show_values < 0 ? cells <= AUTO_VALUES_MAX : h->show_values > 0;
    /* one format for every cell: integers as such, else two significant
     * digits of the largest magnitude (0.93, 5.3, 53) */
    double maxabs = fmax(fabs(lo), fabs(hi));
    int integers = 1;
    for (int64_t k = 0; k < cells && integers; k++)
        if (isfinite(h->values[k]) && h->values[k] != floor(h->values[k])) integers = 0;
    if (integers || maxabs >= 100) c.step = 1;
    else if (maxabs >= 10) c.step = 0.1;
    else if (maxabs >= 1 || maxabs == 0) c.step = 0.01;
    else c.step = fmax(pow(10, floor(log10(maxabs)) - 1), 1e-6);
    return gp__plot_render(&opts, fmt, path, c.title, draw_heatmap, &c);
}
