/* ticks.h — tick positions for axes.c (the label formats are in axes.h). */
#ifndef GP_PLOTS_TICKS_H
#define GP_PLOTS_TICKS_H

/* Ticks at multiples of a 1-2-5 step inside [lo, hi], at most about
 * max_bins intervals (integer: the step is at least 1). Returns the count;
 * *step_out is the step. */
int gp__ticks_linear(double lo, double hi, int max_bins, int integer, double *ticks, int cap,
                     double *step_out);
/* Ticks on a log axis over [lo, hi] (both > 0): powers of ten labelled
 * 10ⁿ, or 1-2-5 multiples when the range spans under two decades. */
int gp__ticks_log(double lo, double hi, int max_bins, double *ticks, char (*labels)[40], int cap);

#endif
