/* ticks.c — "nice" tick values (1-2-5 steps, decades on log axes) and the
 * text of tick labels and numbers. */
#include "axes.h"
#include "ticks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUS "\xe2\x88\x92" /* U+2212: the minus sign that typesetting uses */

static const char *const superscript[10] = {
    "\xe2\x81\xb0", "\xc2\xb9",     "\xc2\xb2",     "\xc2\xb3",     "\xe2\x81\xb4",
    "\xe2\x81\xb5", "\xe2\x81\xb6", "\xe2\x81\xb7", "\xe2\x81\xb8", "\xe2\x81\xb9"};
#define SUP_MINUS "\xe2\x81\xbb"
#define TIMES "\xc3\x97"

static void append(char *out, size_t cap, const char *s) {
    size_t n = strlen(out);
    if (n + 1 < cap) snprintf(out + n, cap - n, "%s", s);
}

/* "10" followed by the exponent in superscript digits. */
static void power_of_ten(int e, char *out, size_t cap) {
    append(out, cap, "10");
    char digits[16];
    snprintf(digits, sizeof digits, "%d", e < 0 ? -e : e);
    if (e < 0) append(out, cap, SUP_MINUS);
    for (const char *d = digits; *d; d++) append(out, cap, superscript[*d - '0']);
}

/* Drop trailing zeros after a decimal point ("1.50" -> "1.5", "2.0" -> "2"). */
static void trim_zeros(char *s) {
    if (!strchr(s, '.')) return;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0') s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.') s[--n] = '\0';
}

static int all_zero(const char *s) {
    for (; *s; s++)
        if (*s != '0' && *s != '.') return 0;
    return 1;
}

void gp__fmt_tick(double v, double step, char *out, size_t cap) {
    out[0] = '\0';
    if (!isfinite(v)) {
        snprintf(out, cap, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : MINUS "inf");
        return;
    }
    if (!(step > 0) || !isfinite(step)) step = fabs(v) > 0 ? fabs(v) : 1;
    if (fabs(v) < step * 1e-9) v = 0;
    double av = fabs(v);
    int step_exp = (int)floor(log10(step) + 1e-9);
    int dec = step_exp < 0 ? -step_exp : 0;
    char body[48];
    if (v != 0 && (av >= 1e6 || (dec > 4 && av < 1e-3))) {
        int e = (int)floor(log10(av) + 1e-9);
        double m = av / pow(10, e);
        int md = e - step_exp;
        if (md < 0) md = 0;
        if (md > 6) md = 6;
        char mant[32];
        snprintf(mant, sizeof mant, "%.*f", md, m);
        trim_zeros(mant);
        body[0] = '\0';
        if (strcmp(mant, "1") != 0) {
            snprintf(body, sizeof body, "%s", mant);
            append(body, sizeof body, TIMES);
        }
        power_of_ten(e, body, sizeof body);
    } else {
        snprintf(body, sizeof body, "%.*f", dec > 10 ? 10 : dec, av);
    }
    if (v < 0 && !all_zero(body)) append(out, cap, MINUS);
    append(out, cap, body);
}

void gp__fmt_value(double v, int sig, char *out, size_t cap) {
    out[0] = '\0';
    if (!isfinite(v)) {
        gp__fmt_tick(v, 1, out, cap);
        return;
    }
    char body[48];
    snprintf(body, sizeof body, "%.*g", sig, fabs(v));
    char *e = strchr(body, 'e');
    if (e) { /* 1.5e-05 -> 1.5×10⁻⁵ */
        int ex = atoi(e + 1);
        *e = '\0';
        trim_zeros(body);
        if (strcmp(body, "1") == 0) body[0] = '\0';
        else append(body, sizeof body, TIMES);
        power_of_ten(ex, body, sizeof body);
    }
    if (v < 0 && !all_zero(body)) append(out, cap, MINUS);
    append(out, cap, body);
}

int gp__ticks_linear(double lo, double hi, int max_bins, int integer, double *ticks, int cap,
                     double *step_out) {
    double span = hi - lo;
    if (!(span > 0) || !isfinite(span)) {
        ticks[0] = lo;
        *step_out = 1;
        return 1;
    }
    if (max_bins < 1) max_bins = 1;
    double raw = span / max_bins;
    double mag = pow(10, floor(log10(raw)));
    static const double mult[4] = {1, 2, 5, 10};
    double step = 10 * mag;
    for (int i = 0; i < 4; i++)
        if (mult[i] * mag >= raw * (1 - 1e-9)) {
            step = mult[i] * mag;
            break;
        }
    if (integer && step < 1) step = 1;
    double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    int n = 0;
    for (double k = k0; k <= k1 && n < cap; k++) {
        double t = k * step;
        if (fabs(t) < step * 1e-9) t = 0;
        ticks[n++] = t;
    }
    *step_out = step;
    return n;
}

int gp__ticks_log(double lo, double hi, int max_bins, double *ticks, char (*labels)[40],
                  int cap) {
    int e0 = (int)ceil(log10(lo) - 1e-9), e1 = (int)floor(log10(hi) + 1e-9);
    int n = 0;
    if (e1 - e0 + 1 >= 2) { /* decades, every stride-th */
        int nd = e1 - e0 + 1;
        int stride = (nd + max_bins - 1) / (max_bins > 0 ? max_bins : 1);
        if (stride < 1) stride = 1;
        for (int e = e0; e <= e1 && n < cap; e++) {
            if (((e % stride) + stride) % stride != 0) continue;
            ticks[n] = pow(10, e);
            labels[n][0] = '\0';
            power_of_ten(e, labels[n], sizeof labels[n]);
            n++;
        }
        if (n >= 2) return n;
        n = 0;
    }
    /* less than two decades: 1, 2, 5 times powers of ten */
    static const double mult[3] = {1, 2, 5};
    for (int e = (int)floor(log10(lo)); e <= (int)ceil(log10(hi)) && n < cap; e++)
        for (int i = 0; i < 3 && n < cap; i++) {
            double t = mult[i] * pow(10, e);
            if (t < lo * (1 - 1e-9) || t > hi * (1 + 1e-9)) continue;
            ticks[n] = t;
            gp__fmt_value(t, 3, labels[n], sizeof labels[n]);
            n++;
        }
    return n;
}
