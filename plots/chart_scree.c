/* chart_scree.c — 2. scree: explained-variance ratio per component as bars
 * (linear or log axis), the cumulative ratio as a line on a 0-1 right axis. */
#include "charts.h"

#include <math.h>

typedef struct scree_ctx {
    const gp_plot_scree_data *s;
    const char *title;
    double *cum;  /* (k,) running sum */
    double pos_min, max;
} scree_ctx;

static gp_status draw_scree(gp__canvas *cv, void *vctx) {
    scree_ctx *c = vctx;
    const gp_plot_scree_data *s = c->s;
    int64_t k = s->k;
    gp__fig fig, *f = &fig;
    gp__fig_init(f, cv, c->title);
    f->x.title = "component";
    f->y.title = "explained variance ratio";
    f->y2.title = "cumulative";
    f->has_y2 = 1;
    f->x.integer = 1;
    f->x.lo = 0.4;
    f->x.hi = (double)k + 0.6;
    f->y.log = s->log_scale != 0;
    if (f->y.log) {
        gp__axis_fit(&f->y, c->pos_min, c->max, 0.05);
    } else {
        f->y.lo = 0;
        f->y.hi = c->max > 0 ? c->max * 1.08 : 1;
    }
    f->y2.lo = 0;
    f->y2.hi = 1.04;
    gp__rgba bar = gp__pal_class(0), line = gp__pal_class(1);
    gp__leg_entry *e = gp__fig_legend_add(f, GP__LEG_PATCH, "per component");
    if (e) e->color = bar;
    int markers = k <= 40;
    e = gp__fig_legend_add(f, GP__LEG_LINE, "cumulative");
    if (e) {
        e->color = line;
        e->marker_size = markers ? 5 * cv->pt : 0;
    }
    /* bars from the axis bottom, the line across */
    double bottom = f->y.log ? f->y.lo : 0;
    for (int64_t i = 0; i < k; i++) {
        double x = (double)(i + 1);
        double v = s->ratio[i];
        if (v > 0)
            gp__occ_rect(f, gp__axis_frac(&f->x, x - 0.4), gp__axis_frac(&f->y, bottom),
                         gp__axis_frac(&f->x, x + 0.4), gp__axis_frac(&f->y, v), 1);
        if (i > 0)
            gp__occ_segment(f, gp__axis_frac(&f->x, x - 1), gp__axis_frac(&f->y2, c->cum[i - 1]),
                            gp__axis_frac(&f->x, x), gp__axis_frac(&f->y2, c->cum[i]), 5);
        gp__occ_point(f, gp__axis_frac(&f->x, x), gp__axis_frac(&f->y2, c->cum[i]), 5);
    }
    gp__fig_layout(f);
    gp__fig_draw_back(f);
    gp__fig_clip(f);
    double bw = 0.8 * (gp__fig_x(f, 2) - gp__fig_x(f, 1));
    double yb = f->py1;
    for (int64_t i = 0; i < k; i++) {
        double v = s->ratio[i];
        if (!(v > 0)) continue;
        double xc = gp__fig_x(f, (double)(i + 1)), yt = gp__fig_y(f, v);
        gp__cv_rect(cv, xc - 0.5 * bw, yt, bw, yb - yt, gp__with_alpha(bar, 0.85),
                    gp__rgb(0xffffff), bw > 6 * cv->pt ? 0.6 * cv->pt : 0);
    }
    double *xs = gp__malloc((size_t)k * 2 * sizeof *xs);
    if (!xs) return gp__error(GP_ENOMEM, "plot: scree: out of memory");
    double *ys = xs + k;
    for (int64_t i = 0; i < k; i++) {
        xs[i] = gp__fig_x(f, (double)(i + 1));
        ys[i] = gp__fig_y2(f, c->cum[i]);
    }
    gp__cv_polyline(cv, xs, ys, k, f->st.lw_line, line, GP__SOLID);
    if (markers)
        for (int64_t i = 0; i < k; i++)
            gp__cv_marker(cv, GP__MK_CIRCLE, xs[i], ys[i], 5 * cv->pt, line, gp__rgb(0xffffff),
                          0.8 * cv->pt);
    gp__free(xs);
    gp__fig_unclip(f);
    gp__fig_draw_front(f);
    return GP_OK;
}

gp_status gp_plot_scree(const gp_plot_scree_data *s, const gp_plot_opts *o, const char *path) {
    gp__clear_error();
    gp_plot_opts opts;
    gp__format fmt;
    gp_status st = gp__plot_begin(o, path, &opts, &fmt);
    if (st != GP_OK) return st;
    if (!s) return gp__error(GP_EINVAL, "plot: scree: data is NULL");
    if (s->k <= 0)
        return gp__error(GP_EINVAL, "plot: scree: k = %lld (need at least one component)",
                         (long long)s->k);
    if (s->k > 100000)
        return gp__error(GP_EINVAL, "plot: scree: k = %lld components is too many to draw "
                                    "(at most 100000)", (long long)s->k);
    if (!s->ratio) return gp__error(GP_EINVAL, "plot: scree: ratio is NULL");
    scree_ctx c = {s, opts.title ? opts.title : "Explained variance", NULL, INFINITY, 0};
    for (int64_t i = 0; i < s->k; i++) {
        double v = s->ratio[i];
        if (!isfinite(v) || v < -1e-9 || v > 1 + 1e-6)
            return gp__error(GP_EINVAL, "plot: scree: ratio[%lld] = %g is not in [0, 1]",
                             (long long)i, v);
        if (v > 0) c.pos_min = fmin(c.pos_min, v);
        c.max = fmax(c.max, v);
    }
    if (s->log_scale && !(c.max > 0))
        return gp__error(GP_EINVAL, "plot: scree: a log scale needs a positive ratio (all %lld "
                                    "are 0)", (long long)s->k);
    c.cum = gp__malloc((size_t)s->k * sizeof *c.cum);
    if (!c.cum) return gp__error(GP_ENOMEM, "plot: scree: out of memory");
    double run = 0;
    for (int64_t i = 0; i < s->k; i++) {
        run += s->ratio[i] > 0 ? s->ratio[i] : 0;
        c.cum[i] = run;
    }
    st = gp__plot_render(&opts, fmt, path, c.title, draw_scree, &c);
    gp__free(c.cum);
    return st;
}
