/* chart_scatter.c — 1. scatter of points (PCA projections): colored by
 * class or by value, class means, a direction arrow from the data mean;
 * 6. contrast pairs p(x+) against p(x-) with the consistency line. */
#include "charts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct scatter_ctx {
    const gp_plot_scatter_data *s;
    const char *title;
    double xmin, xmax, ymin, ymax, vmin, vmax;
    double mx, my;          /* mean of the drawn points */
    double *cx, *cy;        /* class means (n_classes), NaN for empty classes */
} scatter_ctx;

static gp_status draw_scatter(gp__canvas *cv, void *vctx) {
    scatter_ctx *c = vctx;
    const gp_plot_scatter_data *s = c->s;
    gp__fig fig, *f = &fig;
    gp__fig_init(f, cv, c->title);
    f->x.title = s->x_label;
    f->y.title = s->y_label;
    gp__axis_fit(&f->x, c->xmin, c->xmax, 0.05);
    gp__axis_fit(&f->y, c->ymin, c->ymax, 0.05);

    gp__points p = {s->n, s->x, s->y, s->ids, s->n_classes, NULL, 0, 1, 0, 0};
    double size_pt;
    gp__points_style(s->n, &size_pt, &p.alpha);
    p.size = size_pt * cv->pt;
    if (!s->ids && s->values) {
        p.values = s->values;
        p.vmin = c->vmin;
        p.vmax = c->vmax;
        f->has_cbar = 1;
        f->cb.title = s->value_label;
        f->cb.lo = c->vmin;
        f->cb.hi = c->vmax;
    }
    if (s->ids) gp__points_legend(f, s->n_classes, s->class_names, s->show_centroids ? 1 : 0);
    if (s->ids && s->show_centroids) {
        gp__leg_entry *e = gp__fig_legend_add(f, GP__LEG_MARKER, "class mean");
        if (e) {
            e->color = gp__rgb(0xffffff);
            e->edge = gp__rgb(GP__C_TEXT);
            e->edge_width = 1.5 * cv->pt;
            e->marker_size = 9 * cv->pt;
        }
    }
    gp__points_occupy(f, &p);

    /* the arrow, in axis fractions: from the mean, 30% of the frame long */
    double au0 = NAN, av0 = NAN, au1 = NAN, av1 = NAN;
    if (s->arrow) {
        au0 = gp__axis_frac(&f->x, c->mx);
        av0 = gp__axis_frac(&f->y, c->my);
        double du = s->arrow[0] / (f->x.hi - f->x.lo), dv = s->arrow[1] / (f->y.hi - f->y.lo);
        double len = hypot(du, dv);
        au1 = au0 + 0.3 * du / len;
        av1 = av0 + 0.3 * dv / len;
        gp__occ_segment(f, au0, av0, au1, av1, 10);
        if (s->arrow_label) gp__occ_rect(f, au1 - 0.04, av1 - 0.04, au1 + 0.04, av1 + 0.04, 10);
    }
    if (s->ids && s->show_centroids)
        for (int32_t k = 0; k < s->n_classes; k++)
            gp__occ_point(f, gp__axis_frac(&f->x, c->cx[k]), gp__axis_frac(&f->y, c->cy[k]), 10);

    gp__fig_layout(f);
    gp__fig_draw_back(f);
    gp__fig_clip(f);
    gp_status st = gp__points_draw(f, &p);
    if (st != GP_OK) {
        gp__fig_unclip(f);
        return st;
    }
    if (s->ids && s->show_centroids)
        for (int32_t k = 0; k < s->n_classes; k++) {
            if (!isfinite(c->cx[k])) continue;
            gp__cv_marker(cv, gp__pal_marker(k), gp__fig_x(f, c->cx[k]), gp__fig_y(f, c->cy[k]),
                          13 * cv->pt, gp__pal_class(k), gp__rgb(0xffffff), 3.5 * cv->pt);
            gp__cv_marker(cv, gp__pal_marker(k), gp__fig_x(f, c->cx[k]), gp__fig_y(f, c->cy[k]),
                          13 * cv->pt, gp__pal_class(k), gp__rgb(GP__C_TEXT), 1.5 * cv->pt);
        }
    if (s->arrow) {
        double pw = f->px1 - f->px0, ph = f->py1 - f->py0;
        double x0 = f->px0 + au0 * pw, y0 = f->py1 - av0 * ph;
        double dx = (au1 - au0) * pw, dy = -(av1 - av0) * ph;
        double L = hypot(dx, dy), want = 0.3 * fmin(pw, ph);
        dx *= want / L;
        dy *= want / L;
        double x1 = x0 + dx, y1 = y0 + dy, head = 10 * cv->pt;
        double ux = dx / want, uy = dy / want;
        gp__rgba ink = gp__rgb(0x1a1a1a), halo = gp__with_alpha(gp__rgb(0xffffff), 0.85);
        gp__cv_line(cv, x0, y0, x1 - 0.8 * head * ux, y1 - 0.8 * head * uy, 4.5 * cv->pt, halo,
                    GP__SOLID);
        gp__cv_arrow_head(cv, x1 + 1.2 * cv->pt * ux, y1 + 1.2 * cv->pt * uy, dx, dy,
                          head + 2.5 * cv->pt, 0.4 * head + 1.5 * cv->pt, halo);
        gp__cv_line(cv, x0, y0, x1 - 0.8 * head * ux, y1 - 0.8 * head * uy, 2 * cv->pt, ink,
                    GP__SOLID);
        gp__cv_arrow_head(cv, x1, y1, dx, dy, head, 0.4 * head, ink);
        gp__cv_marker(cv, GP__MK_CIRCLE, x0, y0, 5 * cv->pt, ink, halo, 1 * cv->pt);
        if (s->arrow_label && *s->arrow_label) {
            double fs = f->st.fs_legend;
            double tw = gp__cv_text_width(cv, s->arrow_label, fs, 0);
            double lx = x1 + 0.7 * fs * ux, ly = y1 + 0.7 * fs * uy;
            gp__halign ha = ux >= 0.3 ? GP__LEFT : ux <= -0.3 ? GP__RIGHT : GP__CENTER;
            double bx = ha == GP__LEFT ? lx : ha == GP__RIGHT ? lx - tw : lx - 0.5 * tw;
            if (fabs(ux) < 0.3) ly += (uy > 0 ? 0.5 : -0.5) * fs;
            /* keep the label inside the frame */
            double shift = fmax(0, f->px0 + 0.3 * fs - bx) - fmax(0, bx + tw - (f->px1 - 0.3 * fs));
            lx += shift;
            bx += shift;
            ly = fmax(f->py0 + fs, fmin(f->py1 - fs, ly));
            gp__cv_rect(cv, bx - 0.25 * fs, ly - 0.6 * fs, tw + 0.5 * fs, 1.2 * fs, halo, halo, 0);
            gp__cv_text(cv, lx, ly, s->arrow_label, fs, 0, ha, GP__MIDDLE, 0, ink);
        }
    }
    gp__fig_unclip(f);
    gp__fig_draw_front(f);
    return GP_OK;
}

gp_status gp_plot_scatter(const gp_plot_scatter_data *s, const gp_plot_opts *o,
                          const char *path) {
    gp__clear_error();
    gp_plot_opts opts;
    gp__format fmt;
    gp_status st = gp__plot_begin(o, path, &opts, &fmt);
    if (st != GP_OK) return st;
    if (!s) return gp__error(GP_EINVAL, "plot: scatter: data is NULL");
    if (s->n <= 0)
        return gp__error(GP_EINVAL, "plot: scatter: n = %lld (need at least one point)",
                         (long long)s->n);
    if (!s->x || !s->y) return gp__error(GP_EINVAL, "plot: scatter: x or y is NULL");
    if ((st = gp__check_ids("scatter", s->ids, s->n, s->n_classes)) != GP_OK) return st;
    if (s->arrow && (!isfinite(s->arrow[0]) || !isfinite(s->arrow[1]) ||
                     (s->arrow[0] == 0 && s->arrow[1] == 0)))
        return gp__error(GP_EINVAL, "plot: scatter: arrow = (%g, %g) is not a direction",
                         s->arrow[0], s->arrow[1]);
    scatter_ctx c = {s, opts.title ? opts.title : "Projection", 0, 0, 0, 0, 0, 1, 0, 0,
                     NULL, NULL};
    int64_t n_ok = 0;
    double sx = 0, sy = 0;
    c.xmin = c.ymin = INFINITY;
    c.xmax = c.ymax = -INFINITY;
    for (int64_t i = 0; i < s->n; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) continue;
        n_ok++;
        sx += s->x[i];
        sy += s->y[i];
        c.xmin = fmin(c.xmin, s->x[i]);
        c.xmax = fmax(c.xmax, s->x[i]);
        c.ymin = fmin(c.ymin, s->y[i]);
        c.ymax = fmax(c.ymax, s->y[i]);
    }
    if (n_ok == 0)
        return gp__error(GP_EINVAL,
                         "plot: scatter: no finite points (all %lld have a NaN or infinite "
                         "coordinate)", (long long)s->n);
    c.mx = sx / (double)n_ok;
    c.my = sy / (double)n_ok;
    if (!s->ids && s->values) {
        double lo, hi;
        if (gp__finite_range(s->values, s->n, NULL, &lo, &hi) == 0)
            return gp__error(GP_EINVAL, "plot: scatter: values has no finite entry");
        gp__axis a = {0};
        if (hi > lo) {
            c.vmin = lo;
            c.vmax = hi;
        } else {
            gp__axis_fit(&a, lo, hi, 0);
            c.vmin = a.lo;
            c.vmax = a.hi;
        }
    }
    if (s->ids && s->show_centroids) {
        size_t k = (size_t)s->n_classes;
        c.cx = gp__calloc(k, sizeof *c.cx);
        c.cy = gp__calloc(k, sizeof *c.cy);
        int64_t *cnt = gp__calloc(k, sizeof *cnt);
        if (!c.cx || !c.cy || !cnt) {
            gp__free(c.cx);
            gp__free(c.cy);
            gp__free(cnt);
            return gp__error(GP_ENOMEM, "plot: scatter: out of memory");
        }
        for (int64_t i = 0; i < s->n; i++) {
            if (!isfinite(s->x[i]) || !isfinite(s->y[i])) continue;
            c.cx[s->ids[i]] += s->x[i];
            c.cy[s->ids[i]] += s->y[i];
            cnt[s->ids[i]]++;
        }
        for (size_t j = 0; j < k; j++) {
            c.cx[j] = cnt[j] ? c.cx[j] / (double)cnt[j] : NAN;
            c.cy[j] = cnt[j] ? c.cy[j] / (double)cnt[j] : NAN;
        }
        gp__free(cnt);
    }
    st = gp__plot_render(&opts, fmt, path, c.title, draw_scatter, &c);
    gp__free(c.cx);
    gp__free(c.cy);
    return st;
}

/* ---- 6. contrast pairs ---- */

typedef struct contrast_ctx {
    const gp_plot_contrast_data *c;
    const char *title;
} contrast_ctx;

static gp_status draw_contrast(gp__canvas *cv, void *vctx) {
    contrast_ctx *cc = vctx;
    const gp_plot_contrast_data *c = cc->c;
    gp__fig fig, *f = &fig;
    gp__fig_init(f, cv, cc->title);
    f->x.title = "p(x\xe2\x81\xba)"; /* p(x⁺) */
    f->y.title = "p(x\xe2\x81\xbb)"; /* p(x⁻) */
    f->x.lo = f->y.lo = -0.03;
    f->x.hi = f->y.hi = 1.03;
    f->aspect_min = f->aspect_max = 1;
    gp__points p = {c->n, c->p_pos, c->p_neg, c->ids, c->ids ? 2 : 0, NULL, 0, 1, 0, 0};
    double size_pt;
    gp__points_style(c->n, &size_pt, &p.alpha);
    p.size = size_pt * cv->pt;
    static const char *const default_names[2] = {"false", "true"};
    if (c->ids) gp__points_legend(f, 2, c->class_names ? c->class_names : default_names, 1);
    gp__leg_entry *e = gp__fig_legend_add(f, GP__LEG_LINE,
                                          "p(x\xe2\x81\xba) + p(x\xe2\x81\xbb) = 1");
    if (e) {
        e->color = gp__rgb(0x808080);
        e->dash = GP__DASHED;
        e->line_width = 1.3 * cv->pt;
        e->marker_size = 0;
    }
    gp__points_occupy(f, &p);
    double u0 = gp__axis_frac(&f->x, 0), u1 = gp__axis_frac(&f->x, 1);
    gp__occ_segment(f, u0, u1, u1, u0, 10);
    gp__fig_layout(f);
    gp__fig_draw_back(f);
    gp__fig_clip(f);
    gp__cv_line(cv, gp__fig_x(f, 0), gp__fig_y(f, 1), gp__fig_x(f, 1), gp__fig_y(f, 0),
                1.3 * cv->pt, gp__rgb(0x808080), GP__DASHED);
    gp_status st = gp__points_draw(f, &p);
    gp__fig_unclip(f);
    gp__fig_draw_front(f);
    return st;
}

gp_status gp_plot_contrast(const gp_plot_contrast_data *c, const gp_plot_opts *o,
                           const char *path) {
    gp__clear_error();
    gp_plot_opts opts;
    gp__format fmt;
    gp_status st = gp__plot_begin(o, path, &opts, &fmt);
    if (st != GP_OK) return st;
    if (!c) return gp__error(GP_EINVAL, "plot: contrast: data is NULL");
    if (c->n <= 0)
        return gp__error(GP_EINVAL, "plot: contrast: n = %lld (need at least one pair)",
                         (long long)c->n);
    if (!c->p_pos || !c->p_neg) return gp__error(GP_EINVAL, "plot: contrast: p_pos or p_neg is NULL");
    if ((st = gp__check_ids("contrast", c->ids, c->n, 2)) != GP_OK) return st;
    int64_t n_ok = 0;
    for (int64_t i = 0; i < c->n; i++) {
        double a = c->p_pos[i], b = c->p_neg[i];
        if (!isfinite(a) || !isfinite(b)) continue;
        if (a < -1e-9 || a > 1 + 1e-9 || b < -1e-9 || b > 1 + 1e-9)
            return gp__error(GP_EINVAL,
                             "plot: contrast: pair %lld: (p_pos, p_neg) = (%g, %g) is outside "
                             "[0, 1]", (long long)i, a, b);
        n_ok++;
    }
    if (n_ok == 0)
        return gp__error(GP_EINVAL, "plot: contrast: no finite pairs (all %lld have NaN or "
                                    "infinite probabilities)", (long long)c->n);
    contrast_ctx cc = {c, opts.title ? opts.title : "Contrast pairs"};
    return gp__plot_render(&opts, fmt, path, cc.title, draw_contrast, &cc);
}
