/* axes.c — figure layout (margins measured from the actual labels), axis
 * frame, grid, ticks, axis titles, title and colorbar. */
#include "axes.h"
#include "legend.h"
#include "ticks.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CAT_LABEL_MAX 28 /* characters of a category name shown */

void gp__fig_init(gp__fig *f, gp__canvas *cv, const char *title) {
    memset(f, 0, sizeof *f);
    f->cv = cv;
    f->title = title;
    f->grid = 1;
    double pt = cv->pt;
    gp__style *s = &f->st;
    s->fs_tick = 10 * pt;
    s->fs_label = 11 * pt;
    s->fs_title = 13 * pt;
    s->fs_legend = 10 * pt;
    s->lw_spine = 0.8 * pt;
    s->lw_grid = 0.6 * pt;
    s->lw_tick = 0.8 * pt;
    s->tick_len = 3.5 * pt;
    s->tick_pad = 3.5 * pt;
    s->label_pad = 5 * pt;
    s->lw_line = 1.8 * pt;
    s->margin = 10 * pt;
    f->x.hi = f->y.hi = f->y2.hi = f->cb.hi = 1;
}

void gp__axis_fit(gp__axis *a, double dmin, double dmax, double margin) {
    if (a->log) {
        if (!(dmin > 0)) dmin = dmax > 0 ? dmax / 10 : 1;
        if (!(dmax >= dmin)) dmax = dmin;
        if (dmax <= dmin * 1.0001) {
            dmin /= 3;
            dmax *= 3;
        }
        double l0 = log10(dmin), l1 = log10(dmax), m = fmax(0.05 * (l1 - l0), 0.15);
        a->lo = pow(10, l0 - m);
        a->hi = pow(10, l1 + m);
        return;
    }
    double span = dmax - dmin;
    double scale = fmax(fabs(dmin), fabs(dmax));
    if (!(span > 1e-12 * scale) || span == 0) { /* constant data */
        double c = 0.5 * (dmin + dmax);
        double d = c != 0 ? 0.1 * fabs(c) : 1;
        a->lo = c - d;
        a->hi = c + d;
        return;
    }
    a->lo = dmin - margin * span;
    a->hi = dmax + margin * span;
}

double gp__axis_frac(const gp__axis *a, double v) {
    double t;
    if (a->log) {
        if (!(v > 0)) return NAN;
        t = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
    } else {
        t = (v - a->lo) / (a->hi - a->lo);
    }
    return a->invert ? 1 - t : t;
}

double gp__fig_x(const gp__fig *f, double v) {
    return f->px0 + gp__axis_frac(&f->x, v) * (f->px1 - f->px0);
}
double gp__fig_y(const gp__fig *f, double v) {
    return f->py1 - gp__axis_frac(&f->y, v) * (f->py1 - f->py0);
}
double gp__fig_y2(const gp__fig *f, double v) {
    return f->py1 - gp__axis_frac(&f->y2, v) * (f->py1 - f->py0);
}

/* ---- ticks ---- */

static double text_h(double fs) { return gp__cv_cap_height(fs) + gp__cv_descent(fs); }

/* Category i's label, cut to CAT_LABEL_MAX characters with an ellipsis. */
static void cat_label(const gp__axis *a, int i, char *out, size_t cap) {
    if (!a->cat_names || !a->cat_names[i]) {
        snprintf(out, cap, "%d", i);
        return;
    }
    const unsigned char *s = (const unsigned char *)a->cat_names[i];
    size_t o = 0;
    int chars = 0;
    for (; *s && o + 5 < cap; s++) {
        if ((*s & 0xc0) != 0x80 && ++chars > CAT_LABEL_MAX) {
            memcpy(out + o, "\xe2\x80\xa6", 3);
            o += 3;
            break;
        }
        out[o++] = (char)*s;
    }
    out[o] = '\0';
}

static int nice_stride(double raw) {
    if (raw <= 1) return 1;
    double mag = pow(10, floor(log10(raw)));
    static const double mult[4] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (mult[i] * mag >= raw - 1e-9) return (int)(mult[i] * mag + 0.5);
    return (int)(10 * mag + 0.5);
}

static void cat_ticks(gp__fig *f, gp__axis *a, double len, int horizontal) {
    double fs = f->st.fs_tick, cellw = len / a->n_cat;
    a->n_ticks = 0;
    a->cat_rotate = 0;
    if (horizontal) {
        double maxw = 0;
        char buf[128];
        for (int i = 0; i < a->n_cat; i++) {
            cat_label(a, i, buf, sizeof buf);
            maxw = fmax(maxw, gp__cv_text_width(f->cv, buf, fs, 0));
        }
        int flat = nice_stride((maxw + 0.6 * fs) / cellw);
        if (flat == 1 || !a->cat_names) { /* indices read fine thinned out */
            a->cat_stride = flat;
        } else { /* at 45 degrees, labels need only their height apart */
            a->cat_rotate = 1;
            a->cat_stride = nice_stride(1.6 * fs / cellw);
        }
    } else {
        a->cat_stride = nice_stride(1.35 * fs / cellw);
    }
}

/* Ticks and labels of a linear or log axis along len pixels. */
static void axis_ticks(gp__fig *f, gp__axis *a, double len, int horizontal) {
    if (a->n_cat > 0) {
        cat_ticks(f, a, len, horizontal);
        return;
    }
    double fs = f->st.fs_tick;
    int max_bins = (int)floor(len / (fs * (horizontal ? 3.0 : 2.0)));
    max_bins = max_bins < 2 ? 2 : max_bins > 9 ? 9 : max_bins;
    for (;; max_bins--) {
        if (a->log) {
            a->n_ticks = gp__ticks_log(a->lo, a->hi, max_bins, a->ticks, a->labels, GP__MAX_TICKS);
        } else {
            double step;
            a->n_ticks = gp__ticks_linear(a->lo, a->hi, max_bins, a->integer, a->ticks,
                                          GP__MAX_TICKS, &step);
            for (int i = 0; i < a->n_ticks; i++)
                gp__fmt_tick(a->ticks[i], step, a->labels[i], sizeof a->labels[i]);
        }
        if (!horizontal || max_bins <= 1) break;
        /* horizontal labels must not touch */
        int overlap = 0;
        for (int i = 0; i + 1 < a->n_ticks && !overlap; i++) {
            double gap = fabs(gp__axis_frac(a, a->ticks[i + 1]) - gp__axis_frac(a, a->ticks[i])) * len;
            double need = 0.5 * (gp__cv_text_width(f->cv, a->labels[i], fs, 0) +
                                 gp__cv_text_width(f->cv, a->labels[i + 1], fs, 0)) + 0.8 * fs;
            if (need > gap) overlap = 1;
        }
        if (!overlap) break;
    }
}

/* Widest tick label of a vertical axis. */
static double labels_width(gp__fig *f, const gp__axis *a) {
    double w = 0, fs = f->st.fs_tick;
    if (a->n_cat > 0) {
        char buf[128];
        for (int i = 0; i < a->n_cat; i += a->cat_stride) {
            cat_label(a, i, buf, sizeof buf);
            w = fmax(w, gp__cv_text_width(f->cv, buf, fs, 0));
        }
        return w;
    }
    for (int i = 0; i < a->n_ticks; i++) w = fmax(w, gp__cv_text_width(f->cv, a->labels[i], fs, 0));
    return w;
}

/* Height of a horizontal axis's tick labels (rotated ones are taller). */
static double labels_height(gp__fig *f, const gp__axis *a) {
    double fs = f->st.fs_tick;
    if (a->n_cat > 0 && a->cat_rotate) {
        double w = labels_width(f, a);
        return (w + text_h(fs)) * 0.7071;
    }
    return text_h(fs);
}

static int has_text(const char *s) { return s && *s; }

/* ---- layout ---- */

/* Width right of the plot area taken by the second axis and the colorbar. */
static double right_axes_width(gp__fig *f, double *cb_offset) {
    const gp__style *s = &f->st;
    double w = 0;
    if (f->has_y2) {
        w += s->tick_len + s->tick_pad + labels_width(f, &f->y2);
        if (has_text(f->y2.title)) w += s->label_pad + text_h(s->fs_label);
    }
    *cb_offset = w;
    if (f->has_cbar) {
        f->cb_w = 12 * f->cv->pt;
        w += 14 * f->cv->pt + f->cb_w + s->tick_len + s->tick_pad + labels_width(f, &f->cb);
        if (has_text(f->cb.title)) w += s->label_pad + text_h(s->fs_label);
    }
    return w;
}

static void place(gp__fig *f) {
    const gp__style *s = &f->st;
    double W = f->cv->width, H = f->cv->height;
    double left = s->margin + 4 * s->fs_tick, right = s->margin + 2 * s->fs_tick;
    double top = s->margin + 2 * s->fs_title, bottom = s->margin + 4 * s->fs_tick;
    for (int iter = 0; iter < 3; iter++) {
        double ax0 = left, ax1 = W - right, ay0 = top, ay1 = H - bottom;
        /* never let labels squeeze the data away entirely */
        if (ax1 - ax0 < 0.25 * W) {
            double c = 0.5 * (ax0 + ax1);
            ax0 = c - 0.125 * W;
            ax1 = c + 0.125 * W;
        }
        if (ay1 - ay0 < 0.25 * H) {
            double c = 0.5 * (ay0 + ay1);
            ay0 = c - 0.125 * H;
            ay1 = c + 0.125 * H;
        }
        f->px0 = ax0;
        f->px1 = ax1;
        f->py0 = ay0;
        f->py1 = ay1;
        if (f->aspect_max > 0) { /* cells or units of bounded shape, centered */
            double sx = (ax1 - ax0) / (f->x.hi - f->x.lo), sy = (ay1 - ay0) / (f->y.hi - f->y.lo);
            if (f->x.n_cat) sx = (ax1 - ax0) / f->x.n_cat;
            if (f->y.n_cat) sy = (ay1 - ay0) / f->y.n_cat;
            double r = sx / sy;
            if (r > f->aspect_max) {
                double w = (ax1 - ax0) * f->aspect_max / r;
                f->px0 = 0.5 * (ax0 + ax1 - w);
                f->px1 = f->px0 + w;
            } else if (r < f->aspect_min) {
                double h = (ay1 - ay0) * r / f->aspect_min;
                f->py0 = 0.5 * (ay0 + ay1 - h);
                f->py1 = f->py0 + h;
            }
        }
        double pw = f->px1 - f->px0, ph = f->py1 - f->py0;
        axis_ticks(f, &f->x, pw, 1);
        axis_ticks(f, &f->y, ph, 0);
        if (f->has_y2) axis_ticks(f, &f->y2, ph, 0);
        if (f->has_cbar) axis_ticks(f, &f->cb, ph, 0);
        left = s->margin + s->tick_len + s->tick_pad + labels_width(f, &f->y);
        if (has_text(f->y.title)) left += text_h(s->fs_label) + s->label_pad;
        bottom = s->margin + s->tick_len + s->tick_pad + labels_height(f, &f->x);
        if (has_text(f->x.title)) bottom += text_h(s->fs_label) + s->label_pad;
        top = s->margin + (has_text(f->title) ? text_h(s->fs_title) + 0.7 * s->fs_title
                                              : 0.5 * s->fs_tick);
        double cb_off;
        right = s->margin + right_axes_width(f, &cb_off);
        if (f->leg_outside) right += 0.8 * s->fs_legend + f->leg_w;
        if (!f->has_y2 && !f->has_cbar && !f->leg_outside) /* the last x label's overhang */
            right = fmax(right, s->margin + 0.5 * s->fs_tick * 2);
    }
    double cb_off;
    right_axes_width(f, &cb_off);
    f->cb_x = f->px1 + cb_off + 14 * f->cv->pt;
    if (f->leg_outside) {
        double dummy, end = f->px1 + right_axes_width(f, &dummy);
        f->leg_x = end + 0.8 * s->fs_legend;
        f->leg_y = f->py0;
    }
}

void gp__fig_layout(gp__fig *f) {
    f->leg_outside = 0;
    if (f->n_leg > 0) gp__legend_size(f, &f->leg_w, &f->leg_h);
    place(f);
    if (f->n_leg > 0 && !gp__legend_place_inside(f)) {
        f->leg_outside = 1;
        place(f);
    }
}

/* ---- drawing ---- */

void gp__fig_draw_back(gp__fig *f) {
    if (!f->grid) return;
    gp__canvas *cv = f->cv;
    gp__rgba g = gp__rgb(GP__C_GRID);
    double lw = f->st.lw_grid;
    if (f->x.n_cat == 0)
        for (int i = 0; i < f->x.n_ticks; i++) {
            double X = gp__fig_x(f, f->x.ticks[i]);
            gp__cv_line(cv, X, f->py0, X, f->py1, lw, g, GP__SOLID);
        }
    if (f->y.n_cat == 0)
        for (int i = 0; i < f->y.n_ticks; i++) {
            double Y = gp__fig_y(f, f->y.ticks[i]);
            gp__cv_line(cv, f->px0, Y, f->px1, Y, lw, g, GP__SOLID);
        }
}

void gp__fig_clip(gp__fig *f) {
    gp__cv_clip(f->cv, f->px0, f->py0, f->px1 - f->px0, f->py1 - f->py0);
}
void gp__fig_unclip(gp__fig *f) { gp__cv_unclip(f->cv); }

static void draw_x_axis(gp__fig *f) {
    gp__canvas *cv = f->cv;
    const gp__style *s = &f->st;
    gp__rgba ax = gp__rgb(GP__C_AXIS), tx = gp__rgb(GP__C_TICKS);
    double y = f->py1, ly = y + s->tick_len + s->tick_pad;
    if (f->x.n_cat > 0) {
        char buf[128];
        for (int i = 0; i < f->x.n_cat; i += f->x.cat_stride) {
            double X = f->px0 + (i + 0.5) / f->x.n_cat * (f->px1 - f->px0);
            gp__cv_line(cv, X, y, X, y + s->tick_len, s->lw_tick, ax, GP__SOLID);
            cat_label(&f->x, i, buf, sizeof buf);
            if (f->x.cat_rotate)
                gp__cv_text(cv, X + 0.3 * s->fs_tick, ly, buf, s->fs_tick, 0, GP__RIGHT, GP__TOP,
                            45, tx);
            else
                gp__cv_text(cv, X, ly, buf, s->fs_tick, 0, GP__CENTER, GP__TOP, 0, tx);
        }
    } else {
        for (int i = 0; i < f->x.n_ticks; i++) {
            double X = gp__fig_x(f, f->x.ticks[i]);
            gp__cv_line(cv, X, y, X, y + s->tick_len, s->lw_tick, ax, GP__SOLID);
            gp__cv_text(cv, X, ly, f->x.labels[i], s->fs_tick, 0, GP__CENTER, GP__TOP, 0, tx);
        }
    }
    if (has_text(f->x.title))
        gp__cv_text(cv, 0.5 * (f->px0 + f->px1), ly + labels_height(f, &f->x) + s->label_pad,
                    f->x.title, s->fs_label, 0, GP__CENTER, GP__TOP, 0, gp__rgb(GP__C_TEXT));
}

/* A vertical axis at x = at; side -1 = labels on the left, +1 = right.
 * map: the axis's data-to-pixel function. */
static void draw_v_axis(gp__fig *f, const gp__axis *a, double at, int side,
                        double (*map)(const gp__fig *, double)) {
    gp__canvas *cv = f->cv;
    const gp__style *s = &f->st;
    gp__rgba ax = gp__rgb(GP__C_AXIS), tx = gp__rgb(GP__C_TICKS);
    double lx = at + side * (s->tick_len + s->tick_pad);
    gp__halign ha = side < 0 ? GP__RIGHT : GP__LEFT;
    if (a->n_cat > 0) {
        char buf[128];
        for (int i = 0; i < a->n_cat; i += a->cat_stride) {
            double t = (i + 0.5) / a->n_cat;
            double Y = a->invert ? f->py0 + t * (f->py1 - f->py0) : f->py1 - t * (f->py1 - f->py0);
            gp__cv_line(cv, at, Y, at + side * s->tick_len, Y, s->lw_tick, ax, GP__SOLID);
            cat_label(a, i, buf, sizeof buf);
            gp__cv_text(cv, lx, Y, buf, s->fs_tick, 0, ha, GP__MIDDLE, 0, tx);
        }
    } else {
        for (int i = 0; i < a->n_ticks; i++) {
            double Y = map(f, a->ticks[i]);
            gp__cv_line(cv, at, Y, at + side * s->tick_len, Y, s->lw_tick, ax, GP__SOLID);
            gp__cv_text(cv, lx, Y, a->labels[i], s->fs_tick, 0, ha, GP__MIDDLE, 0, tx);
        }
    }
    if (has_text(a->title)) {
        double tx_at = lx + side * (labels_width(f, a) + s->label_pad);
        gp__cv_text(cv, tx_at, 0.5 * (f->py0 + f->py1), a->title, s->fs_label, 0, GP__CENTER,
                    side < 0 ? GP__BOTTOM : GP__TOP, 90, gp__rgb(GP__C_TEXT));
    }
}

static double cb_map(const gp__fig *f, double v) {
    return f->py1 - (v - f->cb.lo) / (f->cb.hi - f->cb.lo) * (f->py1 - f->py0);
}

static void draw_colorbar(gp__fig *f) {
    gp__rgba stops[256];
    for (int i = 0; i < 256; i++) stops[i] = gp__rgb(gp__pal_viridis_hex(i));
    double h = f->py1 - f->py0;
    gp__cv_ramp(f->cv, f->cb_x, f->py0, f->cb_w, h, stops, 256);
    gp__cv_rect(f->cv, f->cb_x, f->py0, f->cb_w, h, gp__with_alpha(stops[0], 0),
                gp__rgb(GP__C_AXIS), f->st.lw_spine);
    draw_v_axis(f, &f->cb, f->cb_x + f->cb_w, +1, cb_map);
}

void gp__fig_draw_front(gp__fig *f) {
    gp__canvas *cv = f->cv;
    const gp__style *s = &f->st;
    gp__cv_rect(cv, f->px0, f->py0, f->px1 - f->px0, f->py1 - f->py0,
                gp__with_alpha(gp__rgb(0xffffff), 0), gp__rgb(GP__C_AXIS), s->lw_spine);
    draw_x_axis(f);
    draw_v_axis(f, &f->y, f->px0, -1, gp__fig_y);
    if (f->has_y2) draw_v_axis(f, &f->y2, f->px1, +1, gp__fig_y2);
    if (f->has_cbar) draw_colorbar(f);
    if (has_text(f->title)) {
        double fs = s->fs_title, avail = cv->width - 2 * s->margin;
        double w = gp__cv_text_width(cv, f->title, fs, 0);
        if (w > avail) {
            fs *= avail / w;
            w = avail;
        }
        double xc = 0.5 * (f->px0 + f->px1);
        xc = fmax(s->margin + 0.5 * w, fmin(cv->width - s->margin - 0.5 * w, xc));
        gp__cv_text(cv, xc, f->py0 - 0.7 * s->fs_title, f->title, fs, 0, GP__CENTER, GP__BOTTOM,
                    0, gp__rgb(GP__C_TEXT));
    }
    gp__legend_draw(f);
}
