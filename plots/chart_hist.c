/* chart_hist.c — 3. histogram of scores per class: shared bins (given, or
 * Freedman-Diaconis with the square-root rule as fallback, capped), one
 * translucent filled step outline per class, a dashed threshold line. */
#include "charts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTO_BINS_MAX 100
#define BINS_MAX 10000

typedef struct hist_ctx {
    const gp_plot_hist_data *h;
    const char *title;
    int n_groups;      /* classes, or 1 */
    int bins;
    double lo, hi;     /* bin range */
    double *counts;    /* (n_groups, bins) */
    double max_count;
    char thr_label[64];
} hist_ctx;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Freedman-Diaconis: width 2 IQR / n^(1/3); sqrt(n) bins when the IQR is 0. */
static int auto_bins(const double *v, int64_t n, double lo, double hi, int *out) {
    double *s = gp__malloc((size_t)n * sizeof *s);
    if (!s) return -1;
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i])) s[m++] = v[i];
    qsort(s, (size_t)m, sizeof *s, cmp_double);
    double q1 = s[(int64_t)floor(0.25 * (double)(m - 1))];
    double q3 = s[(int64_t)floor(0.75 * (double)(m - 1))];
    gp__free(s);
    double width = 2 * (q3 - q1) / cbrt((double)m);
    double b = width > 0 ? ceil((hi - lo) / width) : ceil(sqrt((double)m));
    if (!(b >= 1)) b = 1;
    *out = b > AUTO_BINS_MAX ? AUTO_BINS_MAX : (int)b;
    return 0;
}

static gp_status draw_hist(gp__canvas *cv, void *vctx) {
    hist_ctx *c = vctx;
    const gp_plot_hist_data *h = c->h;
    gp__fig fig, *f = &fig;
    gp__fig_init(f, cv, c->title);
    f->x.title = h->x_label ? h->x_label : "score";
    f->y.title = "count";
    f->y.integer = 1;
    double xmin = c->lo, xmax = c->hi;
    if (h->has_threshold) {
        xmin = fmin(xmin, h->threshold);
        xmax = fmax(xmax, h->threshold);
    }
    gp__axis_fit(&f->x, xmin, xmax, 0.04);
    f->y.lo = 0;
    f->y.hi = c->max_count * 1.06;
    double fill_alpha = c->n_groups > 1 ? 0.35 : 0.55;
    if (h->ids) gp__points_legend(f, h->n_classes, h->class_names, h->has_threshold ? 1 : 0);
    for (int g = 0; g < c->n_groups && h->ids; g++) { /* the legend shows the bars' look */
        if (g >= f->n_leg || f->leg[g].color.a == 0) break;
        f->leg[g].kind = GP__LEG_PATCH;
        f->leg[g].edge = f->leg[g].color;
        f->leg[g].edge_width = 1.2 * cv->pt;
        f->leg[g].color = gp__with_alpha(f->leg[g].color, fill_alpha);
    }
    if (h->has_threshold) {
        gp__leg_entry *e = gp__fig_legend_add(f, GP__LEG_LINE, NULL);
        if (e) {
            char v[40];
            gp__fmt_value(h->threshold, 3, v, sizeof v);
            snprintf(e->text, sizeof e->text, "threshold = %s", v);
            e->color = gp__rgb(0x303030);
            e->dash = GP__DASHED;
            e->line_width = 1.4 * cv->pt;
            e->marker_size = 0;
        }
    }
    double bw = (c->hi - c->lo) / c->bins;
    for (int g = 0; g < c->n_groups; g++)
        for (int b = 0; b < c->bins; b++) {
            double n = c->counts[(size_t)g * (size_t)c->bins + (size_t)b];
            if (n > 0)
                gp__occ_rect(f, gp__axis_frac(&f->x, c->lo + b * bw), 0,
                             gp__axis_frac(&f->x, c->lo + (b + 1) * bw), gp__axis_frac(&f->y, n), 1);
        }
    if (h->has_threshold) {
        double u = gp__axis_frac(&f->x, h->threshold);
        gp__occ_segment(f, u, 0, u, 1, 10);
    }
    gp__fig_layout(f);
    gp__fig_draw_back(f);
    gp__fig_clip(f);
    size_t np = 2 * (size_t)c->bins + 2;
    double *xs = gp__malloc(2 * np * sizeof *xs);
    if (!xs) return gp__error(GP_ENOMEM, "plot: hist: out of memory");
    double *ys = xs + np;
    double y0 = gp__fig_y(f, 0);
    for (int g = 0; g < c->n_groups; g++) {
        const double *cnt = c->counts + (size_t)g * (size_t)c->bins;
        size_t m = 0;
        xs[m] = gp__fig_x(f, c->lo);
        ys[m++] = y0;
        for (int b = 0; b < c->bins; b++) {
            double yb = gp__fig_y(f, cnt[b]);
            xs[m] = gp__fig_x(f, c->lo + b * bw);
            ys[m++] = yb;
            xs[m] = gp__fig_x(f, c->lo + (b + 1) * bw);
            ys[m++] = yb;
        }
        xs[m] = gp__fig_x(f, c->hi);
        ys[m++] = y0;
        gp__rgba col = gp__pal_class(g);
        gp__cv_polygon(cv, xs, ys, (long)m, gp__with_alpha(col, fill_alpha));
        gp__cv_polyline(cv, xs, ys, (long)m, 1.2 * cv->pt, col, GP__SOLID);
    }
    gp__free(xs);
    if (h->has_threshold) {
        double X = gp__fig_x(f, h->threshold);
        gp__cv_line(cv, X, f->py0, X, f->py1, 1.4 * cv->pt, gp__rgb(0x303030), GP__DASHED);
    }
    gp__fig_unclip(f);
    gp__fig_draw_front(f);
    return GP_OK;
}

gp_status gp_plot_hist(const gp_plot_hist_data *h, const gp_plot_opts *o, const char *path) {
    gp__clear_error();
    gp_plot_opts opts;
    gp__format fmt;
    gp_status st = gp__plot_begin(o, path, &opts, &fmt);
    if (st != GP_OK) return st;
    if (!h) return gp__error(GP_EINVAL, "plot: hist: data is NULL");
    if (h->n <= 0)
        return gp__error(GP_EINVAL, "plot: hist: n = %lld (need at least one score)",
                         (long long)h->n);
    if (!h->scores) return gp__error(GP_EINVAL, "plot: hist: scores is NULL");
    if (h->n_bins < 0 || h->n_bins > BINS_MAX)
        return gp__error(GP_EINVAL, "plot: hist: n_bins = %d is outside [0, %d] (0 = automatic)",
                         (int)h->n_bins, BINS_MAX);
    if (h->has_threshold && !isfinite(h->threshold))
        return gp__error(GP_EINVAL, "plot: hist: threshold = %g is not finite", h->threshold);
    if ((st = gp__check_ids("hist", h->ids, h->n, h->n_classes)) != GP_OK) return st;
    hist_ctx c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.title = opts.title ? opts.title : "Score distribution";
    c.n_groups = h->ids ? h->n_classes : 1;
    double lo, hi;
    int64_t n_ok = gp__finite_range(h->scores, h->n, NULL, &lo, &hi);
    if (n_ok == 0)
        return gp__error(GP_EINVAL, "plot: hist: no finite scores (all %lld are NaN or "
                                    "infinite)", (long long)h->n);
    if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi)) || hi == lo) { /* constant */
        double d = lo != 0 ? 0.05 * fabs(lo) : 0.5;
        c.lo = lo - d;
        c.hi = hi + d;
        c.bins = h->n_bins > 0 ? h->n_bins : 1;
    } else {
        c.lo = lo;
        c.hi = hi;
        c.bins = h->n_bins;
        if (c.bins == 0 && auto_bins(h->scores, h->n, lo, hi, &c.bins) != 0)
            return gp__error(GP_ENOMEM, "plot: hist: out of memory");
    }
    c.counts = gp__calloc((size_t)c.n_groups * (size_t)c.bins, sizeof *c.counts);
    if (!c.counts) return gp__error(GP_ENOMEM, "plot: hist: out of memory");
    for (int64_t i = 0; i < h->n; i++) {
        double v = h->scores[i];
        if (!isfinite(v)) continue;
        int b = (int)floor((v - c.lo) / (c.hi - c.lo) * c.bins);
        b = b < 0 ? 0 : b >= c.bins ? c.bins - 1 : b;
        double *cell = &c.counts[(size_t)(h->ids ? h->ids[i] : 0) * (size_t)c.bins + (size_t)b];
        *cell += 1;
        c.max_count = fmax(c.max_count, *cell);
    }
    st = gp__plot_render(&opts, fmt, path, c.title, draw_hist, &c);
    gp__free(c.counts);
    return st;
}
