/* geoprobe_plot.h — charts as PNG, SVG and PDF.
 * Part of the public API: include <geoprobe.h>, which includes this file
 * (it uses geoprobe.h's GP_API, gp_status, gp_matrix, gp_progress_fn). */
#ifndef GEOPROBE_PLOT_H
#define GEOPROBE_PLOT_H
#ifndef GEOPROBE_H
#error "include <geoprobe.h>, not geoprobe_plot.h alone"
#endif

/* ------------------------------------------------------------------ */
/* Plots: PNG (libpng, provenance in tEXt chunks), SVG and PDF (cairo)  */
/* ------------------------------------------------------------------ */

/* Every chart is drawn once against one drawing interface and rendered to
 * the format the path's extension names: .png, .svg or .pdf (GP_EINVAL
 * otherwise). Files are written whole or not at all. Style: white
 * background, light grid, "nice" ticks, Okabe-Ito colors for classes and
 * series, viridis for continuous values and heatmaps, DejaVu Sans.
 * Every gp_plot_* takes o = NULL for the defaults (gp_plot_opts_init).
 * Points with a NaN or infinite coordinate are skipped (scatter, contrast,
 * hist); nothing finite at all is GP_EINVAL. The PNG always carries
 * Software = "geoprobe <version>" and Title (the title) besides the
 * caller's pairs; keys must be PNG keywords (1-79 printable ASCII, no
 * doubled spaces), values UTF-8 (tEXt when ASCII, else iTXt). Large point
 * clouds (over 20000 points) are embedded in SVG/PDF as one image. */

typedef struct gp_plot_opts {
    int32_t width_px;          /* PNG width in pixels             (1600)   */
    int32_t height_px;         /* PNG height in pixels            (1200)   */
    double  dpi;               /* text and lines are sized in points at
                                  this density; SVG/PDF pages are
                                  width_px/dpi inches wide          (200)   */
    const char *title;         /* NULL = the chart's default title,
                                  "" = none                                  */
    int32_t n_meta;            /* provenance pairs (geoprobe version, the
                                  command line, input sha256...): PNG tEXt
                                  chunks, SVG <metadata>, PDF document info */
    const char *const *meta_keys;
    const char *const *meta_values;
} gp_plot_opts;

GP_API void gp_plot_opts_init(gp_plot_opts *o);

/* 1. Scatter of points (x, y), e.g. data on two principal components. */
typedef struct gp_plot_scatter_data {
    int64_t        n;
    const double  *x, *y;          /* (n,) each                              */
    const int32_t *ids;            /* (n,) class of each point, or NULL      */
    int32_t        n_classes;      /* with ids                               */
    const char *const *class_names;/* (n_classes,) legend, NULL = "0", "1"..  */
    const double  *values;         /* (n,) continuous color with a colorbar,
                                      used when ids is NULL; NULL = one color */
    const char    *value_label;    /* colorbar title                         */
    int32_t        show_centroids; /* mark each class mean                   */
    const double  *arrow;          /* (2,) a direction (a probe's, in these
                                      coordinates) drawn from the data mean,
                                      or NULL                                */
    const char    *arrow_label;
    const char    *x_label, *y_label;
} gp_plot_scatter_data;
GP_API gp_status gp_plot_scatter(const gp_plot_scatter_data *s, const gp_plot_opts *o,
                                 const char *path);

/* 2. Scree: explained-variance ratio per component as bars, cumulative as
 * a line (right axis). */
typedef struct gp_plot_scree_data {
    int64_t       k;
    const double *ratio;       /* (k,) in [0, 1]                      */
    int32_t       log_scale;   /* log y axis for the per-component bars */
} gp_plot_scree_data;
GP_API gp_status gp_plot_scree(const gp_plot_scree_data *s, const gp_plot_opts *o,
                               const char *path);

/* 3. Histogram of scores per class with the decision threshold. */
typedef struct gp_plot_hist_data {
    int64_t        n;
    const double  *scores;         /* (n,)                                */
    const int32_t *ids;            /* (n,) or NULL (one distribution)     */
    int32_t        n_classes;
    const char *const *class_names;
    int32_t        n_bins;         /* 0 = automatic                       */
    int32_t        has_threshold;
    double         threshold;
    const char    *x_label;        /* NULL = "score" (y is "count")       */
} gp_plot_hist_data;
GP_API gp_status gp_plot_hist(const gp_plot_hist_data *h, const gp_plot_opts *o,
                              const char *path);

/* 4. Layer curve: one line per series (method) against x (layer index),
 * with an optional band (95% CI) and a dashed chance level. */
typedef struct gp_plot_curve_data {
    int32_t       n_series, n_points;
    const double *x;               /* (n_points,)                          */
    const double *y;               /* (n_series, n_points); NaN = missing   */
    const double *lo, *hi;         /* band, same shape, or NULL             */
    const char *const *series_names;
    int32_t       has_chance;
    double        chance;
    const char   *x_label, *y_label; /* x NULL = "layer"; y NULL = none    */
} gp_plot_curve_data;
GP_API gp_status gp_plot_curve(const gp_plot_curve_data *c, const gp_plot_opts *o,
                               const char *path);

/* 5. Heatmap of a (rows, cols) matrix with a colorbar. */
typedef struct gp_plot_heatmap_data {
    int32_t       rows, cols;
    const double *values;          /* (rows, cols) row-major               */
    const char *const *row_names;  /* NULL = indices                       */
    const char *const *col_names;
    int32_t       has_range;       /* 0 = the data's range                 */
    double        vmin, vmax;
    int32_t       show_values;     /* -1 = when rows * cols <= 144         */
    const char   *colorbar_label;
    const char   *x_label, *y_label;
} gp_plot_heatmap_data;
GP_API gp_status gp_plot_heatmap(const gp_plot_heatmap_data *h, const gp_plot_opts *o,
                                 const char *path);

/* 6. Contrast pairs: p(x+) against p(x-) per pair, colored by truth, with
 * the consistency line p+ + p- = 1. */
typedef struct gp_plot_contrast_data {
    int64_t        n;
    const double  *p_pos, *p_neg;  /* (n,) each, in [0, 1]                 */
    const int32_t *ids;            /* (n,) truth (1 = x+ true), or NULL    */
    const char *const *class_names;/* NULL = "false", "true"               */
} gp_plot_contrast_data;
GP_API gp_status gp_plot_contrast(const gp_plot_contrast_data *c, const gp_plot_opts *o,
                                  const char *path);

/* Release the font caches that cairo and fontconfig keep for the whole
 * process once text has been drawn. Optional: call it at most once, at the
 * end of a program that no longer draws (and whose other code does not use
 * cairo or fontconfig), so that leak checkers such as ASan see no leaks. */
GP_API void gp_plot_shutdown(void);

#endif /* GEOPROBE_PLOT_H */
