/* chart_curve.c — 4. layer curve: a line with markers per series, a shaded
 * band (e.g. 95% CI), a dashed gray chance level; NaN leaves a gap. */
#include "charts.h"

#include <math.h>
#include <stdio.h>

typedef struct curve_ctx {
    const gp_plot_curve_data *c;
    const char *title;
    double xmin, xmax, ymin, ymax;
    int integer_x;
} curve_ctx;

static double at(const double *a, const gp_plot_curve_data *c, int s, int i) {
    return a ? a[(size_t)s * (size_t)c->n_points + (size_t)i] : NAN;
}

static gp_status draw_curve(gp__canvas *cv, void *vctx) {
    curve_ctx *cc = vctx;
    const gp_plot_curve_data *c = cc->c;
    int ns = c->n_series, np = c->n_points;
    gp__fig fig, *f = &fig;
    gp__fig_init(f, cv, cc->title);
    f->x.title = c->x_label ? c->x_label : "layer";
    f->y.title = c->y_label;
    f->x.integer = cc->integer_x;
    gp__axis_fit(&f->x, cc->xmin, cc->xmax, 0.04);
    gp__axis_fit(&f->y, cc->ymin, cc->ymax, 0.06);
    double msize = (np <= 40 ? 5.5 : np <= 100 ? 3.5 : 0) * cv->pt;
    int legend = ns > 1 || c->series_names || c->has_chance;
    int reserve = c->has_chance ? 1 : 0;
    for (int s = 0; s < ns && legend; s++) {
        gp__leg_entry *e = gp__fig_legend_add(f, GP__LEG_LINE, NULL);
        if (!e) break;
        if (s == GP__MAX_LEGEND - reserve - 1 && ns > GP__MAX_LEGEND - reserve) {
            snprintf(e->text, sizeof e->text, "\xe2\x80\xa6 %d more", ns - s);
            e->color = gp__with_alpha(e->color, 0);
            break;
        }
        if (c->series_names && c->series_names[s]) e->label = c->series_names[s];
        else snprintf(e->text, sizeof e->text, "series %d", s + 1);
        e->color = gp__pal_class(s);
        e->marker = gp__pal_marker(s);
        e->marker_size = msize;
        for (int i = 0; i < np && c->lo && c->hi; i++)
            if (isfinite(at(c->lo, c, s, i)) && isfinite(at(c->hi, c, s, i))) e->band_alpha = 0.2;
    }
    if (c->has_chance) {
        gp__leg_entry *e = gp__fig_legend_add(f, GP__LEG_LINE, NULL);
        if (e) {
            char v[40];
            gp__fmt_value(c->chance, 3, v, sizeof v);
            snprintf(e->text, sizeof e->text, "chance (%s)", v);
            e->color = gp__rgb(0x808080);
            e->dash = GP__DASHED;
            e->line_width = 1.3 * cv->pt;
            e->marker_size = 0;
        }
    }
    /* occupancy: lines, bands, chance */
    for (int s = 0; s < ns; s++)
        for (int i = 0; i < np; i++) {
            double u = gp__axis_frac(&f->x, c->x[i]);
            double v = gp__axis_frac(&f->y, at(c->y, c, s, i));
            gp__occ_point(f, u, v, 5);
            if (i + 1 < np)
                gp__occ_segment(f, u, v, gp__axis_frac(&f->x, c->x[i + 1]),
                                gp__axis_frac(&f->y, at(c->y, c, s, i + 1)), 5);
            double lo = at(c->lo, c, s, i), hi = at(c->hi, c, s, i);
            if (isfinite(lo) && isfinite(hi))
                gp__occ_segment(f, u, gp__axis_frac(&f->y, lo), u, gp__axis_frac(&f->y, hi), 2);
        }
    if (c->has_chance) {
        double v = gp__axis_frac(&f->y, c->chance);
        gp__occ_segment(f, 0, v, 1, v, 3);
    }
    gp__fig_layout(f);
    gp__fig_draw_back(f);
    gp__fig_clip(f);
    double *xs = gp__malloc((size_t)np * 6 * sizeof *xs);
    if (!xs) return gp__error(GP_ENOMEM, "plot: curve: out of memory");
    double *ys = xs + np, *bx = ys + np, *by = bx + 2 * np; /* band: hi, then lo reversed */
    if (c->has_chance) {
        double Y = gp__fig_y(f, c->chance);
        gp__cv_line(cv, f->px0, Y, f->px1, Y, 1.3 * cv->pt, gp__rgb(0x808080), GP__DASHED);
    }
    for (int s = 0; s < ns && c->lo && c->hi; s++) { /* bands under every line */
        gp__rgba col = gp__with_alpha(gp__pal_class(s), 0.2);
        int i = 0;
        while (i < np) { /* each run of finite (lo, hi) is one polygon */
            while (i < np && !(isfinite(at(c->lo, c, s, i)) && isfinite(at(c->hi, c, s, i)))) i++;
            int j = i;
            while (j < np && isfinite(at(c->lo, c, s, j)) && isfinite(at(c->hi, c, s, j))) j++;
            long top = j - i;
            for (long t = 0; t < top; t++) {
                bx[t] = bx[2 * top - 1 - t] = gp__fig_x(f, c->x[i + t]);
                by[t] = gp__fig_y(f, at(c->hi, c, s, i + (int)t));
                by[2 * top - 1 - t] = gp__fig_y(f, at(c->lo, c, s, i + (int)t));
            }
            if (top == 1) { /* a single point: a short vertical bar */
                gp__cv_line(cv, bx[0], by[0], bx[1], by[1], 4 * cv->pt, col, GP__SOLID);
            } else if (top > 1) {
                gp__cv_polygon(cv, bx, by, 2 * top, col);
            }
            i = j;
        }
    }
    for (int s = 0; s < ns; s++) {
        gp__rgba col = gp__pal_class(s);
        for (int i = 0; i < np; i++) {
            xs[i] = gp__fig_x(f, c->x[i]);
            ys[i] = gp__fig_y(f, at(c->y, c, s, i));
        }
        gp__cv_polyline(cv, xs, ys, np, f->st.lw_line, col, GP__SOLID);
        for (int i = 0; i < np; i++) {
            if (!isfinite(ys[i])) continue;
            int alone = (i == 0 || !isfinite(ys[i - 1])) && (i + 1 == np || !isfinite(ys[i + 1]));
            if (msize > 0 || alone)
                gp__cv_marker(cv, gp__pal_marker(s), xs[i], ys[i], msize > 0 ? msize : 4 * cv->pt,
                              col, gp__rgb(0xffffff), 0.8 * cv->pt);
        }
    }
    gp__free(xs);
    gp__fig_unclip(f);
    gp__fig_draw_front(f);
    return GP_OK;
}

gp_status gp_plot_curve(const gp_plot_curve_data *c, const gp_plot_opts *o, const char *path) {
    gp__clear_error();
    gp_plot_opts opts;
    gp__format fmt;
    gp_status st = gp__plot_begin(o, path, &opts, &fmt);
    if (st != GP_OK) return st;
    if (!c) return gp__error(GP_EINVAL, "plot: curve: data is NULL");
    if (c->n_series <= 0 || c->n_points <= 0)
        return gp__error(GP_EINVAL, "plot: curve: n_series = %d, n_points = %d (need at least "
                                    "one of each)", (int)c->n_series, (int)c->n_points);
    if (!c->x || !c->y) return gp__error(GP_EINVAL, "plot: curve: x or y is NULL");
    if ((c->lo == NULL) != (c->hi == NULL))
        return gp__error(GP_EINVAL, "plot: curve: give both lo and hi for a band, or neither");
    if (c->has_chance && !isfinite(c->chance))
        return gp__error(GP_EINVAL, "plot: curve: chance = %g is not finite", c->chance);
    curve_ctx cc = {c, opts.title ? opts.title : "By layer", INFINITY, -INFINITY, INFINITY,
                    -INFINITY, 1};
    for (int i = 0; i < c->n_points; i++) {
        if (!isfinite(c->x[i]))
            return gp__error(GP_EINVAL, "plot: curve: x[%d] = %g is not finite", i, c->x[i]);
        cc.xmin = fmin(cc.xmin, c->x[i]);
        cc.xmax = fmax(cc.xmax, c->x[i]);
        if (c->x[i] != floor(c->x[i])) cc.integer_x = 0;
    }
    size_t total = (size_t)c->n_series * (size_t)c->n_points;
    double lo, hi;
    if (gp__finite_range(c->y, (int64_t)total, NULL, &lo, &hi) == 0)
        return gp__error(GP_EINVAL, "plot: curve: no finite y (all %zu values are NaN or "
                                    "infinite)", total);
    cc.ymin = lo;
    cc.ymax = hi;
    if (c->lo && gp__finite_range(c->lo, (int64_t)total, NULL, &lo, &hi) > 0) {
        cc.ymin = fmin(cc.ymin, lo);
        cc.ymax = fmax(cc.ymax, hi);
    }
    if (c->hi && gp__finite_range(c->hi, (int64_t)total, NULL, &lo, &hi) > 0) {
        cc.ymin = fmin(cc.ymin, lo);
        cc.ymax = fmax(cc.ymax, hi);
    }
    if (c->has_chance) {
        cc.ymin = fmin(cc.ymin, c->chance);
        cc.ymax = fmax(cc.ymax, c->chance);
    }
    return gp__plot_render(&opts, fmt, path, cc.title, draw_curve, &cc);
}
