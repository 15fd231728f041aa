/* axes.h — the frame every chart shares: one style, "nice" ticks, the
 * layout of plot area, axis titles, title, colorbar and legend, and the
 * occupancy grid that puts the legend where it covers no data.
 *
 * A chart (1) sets its axes' ranges and what goes on the right (second
 * axis, colorbar, legend entries), (2) marks where its data lies in the
 * occupancy grid, in axis fractions, (3) calls gp__fig_layout, (4) draws
 * gp__fig_draw_back, its data inside gp__fig_clip, then gp__fig_draw_front. */
#ifndef GP_PLOTS_AXES_H
#define GP_PLOTS_AXES_H

#include "canvas.h"
#include "palette.h"

#define GP__MAX_TICKS 48
#define GP__MAX_LEGEND 24
#define GP__OCC_W 48
#define GP__OCC_H 36

/* Sizes in pixels, from points (cv->pt). */
typedef struct gp__style {
    double fs_tick, fs_label, fs_title, fs_legend;
    double lw_spine, lw_grid, lw_tick, tick_len, tick_pad, label_pad;
    double lw_line;  /* data lines */
    double margin;   /* around the figure */
} gp__style;

typedef struct gp__axis {
    double lo, hi;        /* view range in data units (positive when log)   */
    int log;              /* log10 scale                                    */
    int integer;          /* ticks at integers only                         */
    int invert;           /* y: lo at the top (heatmap rows)                */
    const char *title;    /* NULL or "": none                               */
    /* categorical axis: n_cat > 0 puts category i at i + 0.5 of [0, n_cat]
     * and labels it cat_names[i] (NULL: the index) */
    int n_cat;
    const char *const *cat_names;
    /* computed by the layout */
    int n_ticks;
    double ticks[GP__MAX_TICKS];
    char labels[GP__MAX_TICKS][40];
    int cat_stride;       /* label every cat_stride-th category              */
    int cat_rotate;       /* x category labels at 45 degrees                 */
} gp__axis;

typedef enum gp__leg_kind { GP__LEG_MARKER, GP__LEG_LINE, GP__LEG_PATCH } gp__leg_kind;

typedef struct gp__leg_entry {
    gp__leg_kind kind;
    const char *label;     /* borrowed; NULL = text */
    char text[64];
    gp__rgba color;        /* marker fill, line, patch fill               */
    gp__marker marker;
    double marker_size;    /* px; 0 = no marker on a line               */
    gp__rgba edge;         /* marker or patch outline                   */
    double edge_width;     /* px; 0 = none                              */
    double line_width;     /* px                                        */
    gp__dash dash;
    double band_alpha;     /* line: a band of this alpha behind it      */
} gp__leg_entry;

typedef struct gp__fig {
    gp__canvas *cv;
    gp__style st;
    const char *title;
    gp__axis x, y, y2, cb;
    int has_y2;            /* right axis (scree's cumulative ratio)        */
    int has_cbar;          /* colorbar; cb.lo/hi = value range, cb.title   */
    int grid;              /* light grid at the ticks (default on)          */
    double aspect_min, aspect_max; /* bounds of (px per x unit)/(px per y
                                      unit); 0 = free                      */
    int n_leg;
    gp__leg_entry leg[GP__MAX_LEGEND];
    float occ[GP__OCC_H][GP__OCC_W];
    /* layout */
    double px0, py0, px1, py1; /* plot area */
    int leg_outside;
    double leg_x, leg_y, leg_w, leg_h;
    double cb_x, cb_w;
} gp__fig;

void gp__fig_init(gp__fig *f, gp__canvas *cv, const char *title);
/* The view range for data in [dmin, dmax]: margin (fraction of the span) on
 * both sides; a sensible nonzero range for constant data. Log axes need
 * dmin > 0 and get half a decade of margin instead. */
void gp__axis_fit(gp__axis *a, double dmin, double dmax, double margin);
/* A legend entry to fill in (NULL once the legend is full). */
gp__leg_entry *gp__fig_legend_add(gp__fig *f, gp__leg_kind kind, const char *label);

/* Occupancy, in axis fractions (u from the left, v from the bottom). */
void gp__occ_point(gp__fig *f, double u, double v, double w);
void gp__occ_segment(gp__fig *f, double u0, double v0, double u1, double v1, double w);
void gp__occ_rect(gp__fig *f, double u0, double v0, double u1, double v1, double w);

void gp__fig_layout(gp__fig *f);

/* Data to axis fraction, and to pixels (NaN in, NaN out). */
double gp__axis_frac(const gp__axis *a, double v);
double gp__fig_x(const gp__fig *f, double v);
double gp__fig_y(const gp__fig *f, double v);
double gp__fig_y2(const gp__fig *f, double v);

void gp__fig_draw_back(gp__fig *f);
void gp__fig_clip(gp__fig *f);
void gp__fig_unclip(gp__fig *f);
void gp__fig_draw_front(gp__fig *f);

/* Tick label text for v on an axis whose ticks are step apart (the same
 * format as the axes: no "0.30000000000000004", a real minus sign). */
void gp__fmt_tick(double v, double step, char *out, size_t cap);
/* Compact text for a number shown in a cell or a legend (%.3g-like). */
void gp__fmt_value(double v, int sig, char *out, size_t cap);

#endif
