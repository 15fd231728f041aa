/* charts.h — what the chart files share: input checks and point clouds. */
#ifndef GP_PLOTS_CHARTS_H
#define GP_PLOTS_CHARTS_H

#include "axes.h"
#include "render.h"

/* Fail unless every ids[i] is in [0, n_classes). */
gp_status gp__check_ids(const char *chart, const int32_t *ids, int64_t n, int32_t n_classes);

/* Min and max of the finite v[i] (of those with mask[i] when mask); the
 * count of finite values. */
int64_t gp__finite_range(const double *v, int64_t n, const unsigned char *mask, double *lo,
                         double *hi);

/* Class i's legend label: names[i], or its index. */
const char *gp__class_label(const char *const *names, int i, char *buf, size_t cap);

/* A point cloud to draw: coordinates (non-finite ones are skipped) and its
 * colors: by class (ids), by value (values, viridis over [vmin, vmax]), or
 * one color. */
typedef struct gp__points {
    int64_t n;
    const double *x, *y;
    const int32_t *ids;
    int32_t n_classes;
    const double *values;
    double vmin, vmax;
    double size, alpha;   /* marker diameter in px, opacity */
} gp__points;

/* Marker size (points) and opacity that suit n points. */
void gp__points_style(int64_t n, double *size_pt, double *alpha);
/* Mark the points in the occupancy grid. */
void gp__points_occupy(gp__fig *f, const gp__points *p);
/* Draw them (classes interleaved in row order so none hides under another;
 * large clouds become one raster layer on SVG/PDF pages). */
gp_status gp__points_draw(gp__fig *f, const gp__points *p);
/* Legend entries for n_classes classes (the first GP__MAX_LEGEND - reserve,
 * then "… N more"). */
void gp__points_legend(gp__fig *f, int32_t n_classes, const char *const *names, int reserve);

#endif
