/* palette.h — the colors every chart shares: Okabe-Ito for classes and
 * series (distinguishable with any color vision), viridis for continuous
 * values, and the neutral grays of the frame. */
#ifndef GP_PLOTS_PALETTE_H
#define GP_PLOTS_PALETTE_H

#include "canvas.h"

/* Class or series i's color; Okabe and Ito's eight, in an order that puts
 * the most distinct pairs first (blue, orange, green, ...), then repeating. */
gp__rgba gp__pal_class(int i);
/* Class i's marker shape: circles for the first eight classes, then
 * squares, triangles, diamonds, so that repeated colors still differ. */
gp__marker gp__pal_marker(int i);
/* viridis at t in [0, 1] (clamped; NaN gives gray), from the 256-entry
 * table of matplotlib's viridis (CC0, van der Walt and Smith). */
gp__rgba gp__pal_viridis(double t);
/* The table index of t, 0..255 (NaN: -1). */
int gp__pal_viridis_index(double t);
uint32_t gp__pal_viridis_hex(int index);

/* The neutral grays. */
#define GP__C_TEXT   0x262626u /* titles, labels                 */
#define GP__C_TICKS  0x404040u /* tick labels                    */
#define GP__C_AXIS   0x262626u /* spines and tick marks          */
#define GP__C_GRID   0xe3e3e3u /* grid lines                     */
#define GP__C_LEGEND 0xcccccc  /* legend frame                   */
#define GP__C_MISSING 0xd9d9d9u /* heatmap cells with no value   */

#endif
