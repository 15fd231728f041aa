/* legend.c — legend entries, the occupancy grid, and a legend placed where
 * it covers no data: the emptiest of eight spots inside the plot area, or
 * outside on the right when every spot would cover something. */
#include "axes.h"
#include "legend.h"

#include <math.h>
#include <string.h>

gp__leg_entry *gp__fig_legend_add(gp__fig *f, gp__leg_kind kind, const char *label) {
    if (f->n_leg >= GP__MAX_LEGEND) return NULL;
    gp__leg_entry *e = &f->leg[f->n_leg++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->label = label;
    e->line_width = f->st.lw_line;
    e->marker_size = 6 * f->cv->pt;
    e->color = gp__pal_class(0);
    return e;
}

static const char *entry_label(const gp__leg_entry *e) { return e->label ? e->label : e->text; }

/* ---- occupancy ---- */

static int cell(double t, int n) {
    int i = (int)floor(t * n);
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

void gp__occ_point(gp__fig *f, double u, double v, double w) {
    if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) return; /* also NaN */
    f->occ[cell(v, GP__OCC_H)][cell(u, GP__OCC_W)] += (float)w;
}

void gp__occ_segment(gp__fig *f, double u0, double v0, double u1, double v1, double w) {
    if (!isfinite(u0) || !isfinite(v0) || !isfinite(u1) || !isfinite(v1)) return;
    double cells = fmax(fabs(u1 - u0) * GP__OCC_W, fabs(v1 - v0) * GP__OCC_H);
    int steps = (int)ceil(cells * 2) + 1;
    if (steps > 4 * (GP__OCC_W + GP__OCC_H)) steps = 4 * (GP__OCC_W + GP__OCC_H);
    for (int k = 0; k <= steps; k++) {
        double t = (double)k / steps;
        gp__occ_point(f, u0 + t * (u1 - u0), v0 + t * (v1 - v0), w);
    }
}

void gp__occ_rect(gp__fig *f, double u0, double v0, double u1, double v1, double w) {
    if (!isfinite(u0) || !isfinite(v0) || !isfinite(u1) || !isfinite(v1)) return;
    double ua = fmax(0, fmin(u0, u1)), ub = fmin(1, fmax(u0, u1));
    double va = fmax(0, fmin(v0, v1)), vb = fmin(1, fmax(v0, v1));
    if (ua > ub || va > vb) return;
    for (int i = cell(va, GP__OCC_H); i <= cell(vb, GP__OCC_H); i++)
        for (int j = cell(ua, GP__OCC_W); j <= cell(ub, GP__OCC_W); j++) f->occ[i][j] += (float)w;
}

/* Sum of the occupancy under [u0, u1] x [v0, v1] (fractions). */
static double occ_sum(const gp__fig *f, double u0, double v0, double u1, double v1) {
    double s = 0;
    for (int i = cell(v0, GP__OCC_H); i <= cell(v1, GP__OCC_H); i++)
        for (int j = cell(u0, GP__OCC_W); j <= cell(u1, GP__OCC_W); j++) s += f->occ[i][j];
    return s;
}

/* ---- size, placement, drawing ---- */

typedef struct leg_metrics {
    double fs, pad, handle_w, gap, row_h;
} leg_metrics;

static leg_metrics metrics(const gp__fig *f) {
    double fs = f->st.fs_legend;
    leg_metrics m = {fs, 0.55 * fs, 2.0 * fs, 0.7 * fs, 1.45 * fs};
    return m;
}

void gp__legend_size(gp__fig *f, double *w, double *h) {
    leg_metrics m = metrics(f);
    double lw = 0;
    for (int i = 0; i < f->n_leg; i++)
        lw = fmax(lw, gp__cv_text_width(f->cv, entry_label(&f->leg[i]), m.fs, 0));
    *w = 2 * m.pad + m.handle_w + m.gap + lw;
    *h = 2 * m.pad + f->n_leg * m.row_h - 0.25 * m.fs;
}

int gp__legend_place_inside(gp__fig *f) {
    double pw = f->px1 - f->px0, ph = f->py1 - f->py0;
    if (pw <= 0 || ph <= 0) return 0;
    double bw = f->leg_w / pw, bh = f->leg_h / ph;
    if (bw > 0.5 || bh > 0.7) return 0;
    double mx = 0.6 * f->st.fs_legend / pw, my = 0.6 * f->st.fs_legend / ph;
    /* candidate lower-left corners, in order of preference */
    double cand[8][2] = {
        {1 - mx - bw, 1 - my - bh},   /* upper right  */
        {mx, 1 - my - bh},            /* upper left   */
        {1 - mx - bw, my},            /* lower right  */
        {mx, my},                     /* lower left   */
        {1 - mx - bw, 0.5 - bh / 2},  /* center right */
        {mx, 0.5 - bh / 2},           /* center left  */
        {0.5 - bw / 2, 1 - my - bh},  /* upper center */
        {0.5 - bw / 2, my},           /* lower center */
    };
    int best = -1;
    double best_s = 0;
    for (int k = 0; k < 8; k++) {
        /* the box and a little around it (half a cell) */
        double hu = 0.5 / GP__OCC_W, hv = 0.5 / GP__OCC_H;
        double s = occ_sum(f, cand[k][0] - hu, cand[k][1] - hv, cand[k][0] + bw + hu,
                           cand[k][1] + bh + hv);
        if (best < 0 || s < best_s) {
            best = k;
            best_s = s;
        }
    }
    if (best_s > 0) return 0;
    f->leg_x = f->px0 + cand[best][0] * pw;
    f->leg_y = f->py1 - (cand[best][1] + bh) * ph;
    return 1;
}

static void draw_handle(gp__fig *f, const gp__leg_entry *e, double x0, double yc,
                        const leg_metrics *m) {
    gp__canvas *cv = f->cv;
    double x1 = x0 + m->handle_w, xc = 0.5 * (x0 + x1);
    double msize = fmin(e->marker_size, 0.9 * m->fs);
    switch (e->kind) {
    case GP__LEG_MARKER:
        gp__cv_marker(cv, e->marker, xc, yc, msize, e->color, e->edge, e->edge_width);
        break;
    case GP__LEG_LINE:
        if (e->band_alpha > 0)
            gp__cv_rect(cv, x0, yc - 0.35 * m->fs, m->handle_w, 0.7 * m->fs,
                        gp__with_alpha(e->color, e->band_alpha), e->color, 0);
        gp__cv_line(cv, x0, yc, x1, yc, e->line_width, e->color, e->dash);
        if (e->marker_size > 0)
            gp__cv_marker(cv, e->marker, xc, yc, msize, e->color, e->edge, e->edge_width);
        break;
    case GP__LEG_PATCH:
        gp__cv_rect(cv, x0, yc - 0.35 * m->fs, m->handle_w, 0.7 * m->fs, e->color, e->edge,
                    e->edge_width);
        break;
    }
}

void gp__legend_draw(gp__fig *f) {
    if (f->n_leg == 0) return;
    leg_metrics m = metrics(f);
    gp__canvas *cv = f->cv;
    gp__cv_rect(cv, f->leg_x, f->leg_y, f->leg_w, f->leg_h, gp__with_alpha(gp__rgb(0xffffff), 0.9),
                gp__rgb(GP__C_LEGEND), 0.8 * cv->pt);
    for (int i = 0; i < f->n_leg; i++) {
        double yc = f->leg_y + m.pad + (i + 0.5) * m.row_h - 0.125 * m.fs;
        draw_handle(f, &f->leg[i], f->leg_x + m.pad, yc, &m);
        gp__cv_text(cv, f->leg_x + m.pad + m.handle_w + m.gap, yc, entry_label(&f->leg[i]), m.fs,
                    0, GP__LEFT, GP__MIDDLE, 0, gp__rgb(GP__C_TEXT));
    }
}
