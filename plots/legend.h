/* legend.h — the legend's size, placement and drawing, for axes.c. */
#ifndef GP_PLOTS_LEGEND_H
#define GP_PLOTS_LEGEND_H

#include "axes.h"

void gp__legend_size(gp__fig *f, double *w, double *h);
/* Place the legend (f->leg_w/h) inside the plot area on no data: sets
 * f->leg_x/y and returns 1, or returns 0 when every spot is occupied. */
int gp__legend_place_inside(gp__fig *f);
void gp__legend_draw(gp__fig *f);

#endif
