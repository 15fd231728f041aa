"""Plots drawn by libgeoprobe (gp_plot_*): the CLI's charts from numpy arrays.

Every function returns the chart as PNG bytes when path is None (a
geoprobe.plot.PNG, a bytes subclass that Jupyter shows inline when it is a
cell's value; IPython.display.Image(data) shows it too), or writes path and
returns it: .png, .svg or .pdf by the extension, written whole or not at
all. Common keyword arguments:

    path=None       file to write (.png/.svg/.pdf); None: return PNG bytes
    width=1600, height=1200   PNG size in pixels (SVG/PDF: width/dpi inches)
    dpi=200         text and lines are sized in points at this density
    title=None      None: the chart's default title
    metadata=None   dict of provenance strings (PNG tEXt chunks, SVG
                    <metadata>, PDF info); "source": "geoprobe-python" is added

Arrays are converted once to float64 (int32 for class ids) and kept alive
for the call. As in the C API, a point with a NaN or infinite coordinate is
skipped (scatter, hist, contrast; NaN is a missing point of a curve); with
nothing finite at all the library raises ValueError. title="" draws none. A library built before the plots raises
GeoprobeUnavailableError at the first call, not at import.
"""
import ctypes
import json
import os
import struct
import tempfile

import numpy as np

from . import _lib
from ._core import encode_labels, label_name, ptr
from ._lib import GeoprobeValueError, lib

c_double, c_int32 = ctypes.c_double, ctypes.c_int32

__all__ = ["PNG", "scatter", "scree", "hist", "curve", "heatmap", "contrast", "available"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PNG(bytes):
    """PNG file bytes; Jupyter renders it inline (_repr_png_)."""

    def _repr_png_(self):
        return bytes(self)

    @property
    def size(self):
        """(width, height) in pixels, from the IHDR chunk."""
        if len(self) < 24 or not self.startswith(PNG_SIGNATURE) or self[12:16] != b"IHDR":
            raise GeoprobeValueError("not a PNG")
        return struct.unpack(">II", self[16:24])

    def __repr__(self):
        try:
            return "<geoprobe.plot.PNG %dx%d, %d bytes>" % (self.size + (len(self),))
        except GeoprobeValueError:
            return "<geoprobe.plot.PNG %d bytes>" % len(self)

    __str__ = __repr__  # print(png) shows the summary, not a megabyte of escapes


def available():
    """True when the loaded libgeoprobe has the plot functions."""
    return _lib.has("plots")


# ------------------------------------------------------------------ helpers

def _int32(v, name, lo=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= int(v) < 2**31:
        raise GeoprobeValueError("%s must be an integer >= %d, got %r" % (name, lo, v))
    return int(v)


def _text(s, name):
    if s is None:
        return None
    if isinstance(s, bytes):
        b = s
    else:
        b = str(s).encode("utf-8")
    if b"\0" in b:
        raise GeoprobeValueError("%s contains a NUL character" % name)
    return b


def _names(names, n, what):
    """A (c_char_p * n) array of names (its _objects keep the bytes alive),
    or None."""
    if names is None:
        return None
    names = list(names)
    if len(names) != n:
        raise GeoprobeValueError("%s has %d entries, need %d" % (what, len(names), n))
    return (ctypes.c_char_p * n)(*[_text(label_name(s), what) for s in names])


def _vec(a, name, n=None, finite=True):
    """1-D float64 C array (converted once), checked for length and NaN."""
    try:
        v = np.ascontiguousarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise GeoprobeValueError("%s: cannot convert to float64: %s" % (name, e)) from None
    if v.ndim == 2 and 1 in v.shape:
        v = v.reshape(-1)
    if v.ndim != 1:
        raise GeoprobeValueError("%s must be 1-D, got shape %s" % (name, v.shape))
    if v.size == 0:
        raise GeoprobeValueError("%s is empty" % name)
    if n is not None and v.size != n:
        raise GeoprobeValueError("%s has %d values, need %d" % (name, v.size, n))
    if finite and not np.all(np.isfinite(v)):
        i = int(np.flatnonzero(~np.isfinite(v))[0])
        raise GeoprobeValueError("%s: non-finite value %r at %d" % (name, v[i], i))
    return v


def _classes(labels, n, class_names, name="labels"):
    """(ids int32 (n,), n_classes, names array or None) from any labels."""
    if labels is None:
        if class_names is not None:
            raise GeoprobeValueError("class_names needs labels")
        return None, 0, None
    classes, ids = encode_labels(labels, name, n)
    if class_names is None:
        class_names = [label_name(c) for c in classes]
    return ids, len(classes), _names(class_names, len(classes), "class_names")


def _render(fn, data, path=None, width=1600, height=1200, dpi=200, title=None, metadata=None):
    _lib.need("plots")
    o = _lib.PlotOpts()
    lib.gp_plot_opts_init(ctypes.byref(o))
    o.width_px = _int32(width, "width")
    o.height_px = _int32(height, "height")
    dpi = float(dpi)
    if not dpi > 0 or not np.isfinite(dpi):
        raise GeoprobeValueError("dpi must be > 0, got %r" % dpi)
    o.dpi = dpi
    t = _text(title, "title")
    o.title = t
    meta = {"source": "geoprobe-python"}
    meta.update(metadata or {})
    keys = [_text(k, "metadata key") for k in meta]
    vals = [_text(v if isinstance(v, str) else json.dumps(v), "metadata value") for v in meta.values()]
    ck = (ctypes.c_char_p * len(keys))(*keys)
    cv = (ctypes.c_char_p * len(vals))(*vals)
    o.n_meta, o.meta_keys, o.meta_values = len(keys), ck, cv
    if path is not None:
        path = os.fspath(path)
        _lib.check(fn(ctypes.byref(data), ctypes.byref(o), _lib.cstr(path)))
        return path
    with tempfile.TemporaryDirectory(prefix="geoprobe-plot-") as d:
        tmp = os.path.join(d, "plot.png")
        _lib.check(fn(ctypes.byref(data), ctypes.byref(o), _lib.cstr(tmp)))
        with open(tmp, "rb") as f:
            return PNG(f.read())


def _ptr(a, ctype=c_double):
    return None if a is None else ptr(a, ctype)


# ------------------------------------------------------------------ charts

def scatter(x, y=None, labels=None, *, values=None, value_label=None, class_names=None,
            centroids=False, arrow=None, arrow_label=None, x_label=None, y_label=None, **opts):
    """Points (x, y), e.g. data on two principal components. x, y: (n,)
    each, or x (n, 2) alone. labels: one class per point (any values;
    legend from class_names or the values), else values: a continuous
    color with a colorbar (value_label). centroids=True marks each class
    mean; arrow (2,): a direction drawn from the data mean."""
    if y is None:
        xy = np.asarray(x)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise GeoprobeValueError("scatter: give x and y (n,) each, or x (n, 2); got x of shape %s"
                                     % (xy.shape,))
        x, y = xy[:, 0], xy[:, 1]
    xv = _vec(x, "x", finite=False)
    yv = _vec(y, "y", xv.size, finite=False)
    ids, k, names = _classes(labels, xv.size, class_names)
    vals = None
    if values is not None:
        if labels is not None:
            raise GeoprobeValueError("scatter: give labels or values, not both")
        vals = _vec(values, "values", xv.size, finite=False)
    arr = None if arrow is None else _vec(arrow, "arrow", 2)
    s = _lib.PlotScatterData(n=xv.size, x=ptr(xv, c_double), y=ptr(yv, c_double),
                             ids=_ptr(ids, c_int32), n_classes=k, class_names=names,
                             values=_ptr(vals), value_label=_text(value_label, "value_label"),
                             show_centroids=1 if centroids else 0, arrow=_ptr(arr),
                             arrow_label=_text(arrow_label, "arrow_label"),
                             x_label=_text(x_label, "x_label"), y_label=_text(y_label, "y_label"))
    return _render(lib.gp_plot_scatter, s, **opts)


def scree(ratio, log_scale=False, **opts):
    """Explained-variance ratio per component (bars) and its cumulative sum
    (line). ratio: (k,) values in [0, 1], or a fitted geoprobe.PCA."""
    if hasattr(ratio, "explained_variance_ratio_"):
        ratio = ratio.explained_variance_ratio_
    r = _vec(ratio, "ratio")
    if np.any(r < 0) or np.any(r > 1):
        raise GeoprobeValueError("scree: ratio values must be in [0, 1]")
    s = _lib.PlotScreeData(k=r.size, ratio=ptr(r, c_double), log_scale=1 if log_scale else 0)
    return _render(lib.gp_plot_scree, s, **opts)


def hist(scores, labels=None, *, bins=None, threshold=None, class_names=None, x_label=None, **opts):
    """Histogram of scores (n,), one distribution per class of labels,
    with a vertical line at threshold (e.g. 0 for logits, 0.5 for
    probabilities). bins None: automatic."""
    sc = _vec(scores, "scores", finite=False)
    ids, k, names = _classes(labels, sc.size, class_names)
    thr = None if threshold is None else float(threshold)
    if thr is not None and not np.isfinite(thr):
        raise GeoprobeValueError("threshold must be finite")
    h = _lib.PlotHistData(n=sc.size, scores=ptr(sc, c_double), ids=_ptr(ids, c_int32), n_classes=k,
                          class_names=names, n_bins=0 if bins is None else _int32(bins, "bins"),
                          has_threshold=0 if thr is None else 1, threshold=thr or 0.0,
                          x_label=_text(x_label, "x_label"))
    return _render(lib.gp_plot_hist, h, **opts)


def _series(y, n_points, name):
    """(names or None, (n_series, n_points) float64) from a dict
    {name: values}, a 2-D array or one 1-D series. NaN = missing."""
    if isinstance(y, dict):
        names = list(y.keys())
        rows = [_vec(v, "%s[%r]" % (name, k), n_points, finite=False) for k, v in y.items()]
        if not rows:
            raise GeoprobeValueError("%s is empty" % name)
        return names, np.ascontiguousarray(np.stack(rows))
    a = np.asarray(y, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.size == 0:
        raise GeoprobeValueError("%s must be (n_points,), (n_series, n_points) or a dict, got shape %s"
                                 % (name, a.shape))
    if n_points is not None and a.shape[1] != n_points:
        raise GeoprobeValueError("%s has %d points per series, x has %d" % (name, a.shape[1], n_points))
    return None, np.ascontiguousarray(a)


def curve(x, y, *, lo=None, hi=None, names=None, chance=None, x_label=None, y_label=None, **opts):
    """Lines against x (e.g. accuracy per layer): y is {name: (n_points,)},
    (n_series, n_points) or (n_points,); NaN marks a missing point. lo/hi:
    a band (95% CI) of the same shape; chance: a dashed horizontal line.
    x None: 0..n_points-1."""
    nx = None if x is None else _vec(x, "x").size
    keys, Y = _series(y, nx, "y")
    ns, npts = Y.shape
    xv = np.arange(npts, dtype=np.float64) if x is None else _vec(x, "x", npts)
    if names is None:
        names = keys
    band = []
    for b, bname in ((lo, "lo"), (hi, "hi")):
        if b is None:
            band.append(None)
            continue
        if isinstance(b, dict) and keys is not None:
            b = [b[k] for k in keys]
        _, B = _series(b, npts, bname)
        if B.shape != Y.shape:
            raise GeoprobeValueError("%s has shape %s, y %s" % (bname, B.shape, Y.shape))
        band.append(B)
    if (band[0] is None) != (band[1] is None):
        raise GeoprobeValueError("curve: give both lo and hi, or neither")
    ch = None if chance is None else float(chance)
    cnames = _names(names, ns, "names")
    c = _lib.PlotCurveData(n_series=ns, n_points=npts, x=ptr(xv, c_double), y=ptr(Y, c_double),
                           lo=_ptr(band[0]), hi=_ptr(band[1]),
                           series_names=cnames,
                           has_chance=0 if ch is None else 1, chance=ch or 0.0,
                           x_label=_text(x_label, "x_label"), y_label=_text(y_label, "y_label"))
    return _render(lib.gp_plot_curve, c, **opts)


def heatmap(values, *, row_names=None, col_names=None, vmin=None, vmax=None, show_values=None,
            colorbar_label=None, x_label=None, y_label=None, **opts):
    """A (rows, cols) matrix with a colorbar (e.g. CKA between layers).
    vmin/vmax fix the color range (one alone: the other from the data);
    show_values None: numbers in the cells when rows * cols <= 144."""
    try:
        V = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise GeoprobeValueError("values: cannot convert to float64: %s" % e) from None
    if V.ndim != 2 or V.size == 0:
        raise GeoprobeValueError("heatmap: values must be a non-empty 2-D matrix, got shape %s"
                                 % (V.shape,))
    if not np.all(np.isfinite(V)):
        raise GeoprobeValueError("heatmap: values hold NaN or Inf")
    r, c = V.shape
    has = vmin is not None or vmax is not None
    lo = float(V.min() if vmin is None else vmin)
    hi = float(V.max() if vmax is None else vmax)
    if has and not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise GeoprobeValueError("heatmap: need finite vmin < vmax, got %r, %r" % (lo, hi))
    rn, cn = _names(row_names, r, "row_names"), _names(col_names, c, "col_names")
    h = _lib.PlotHeatmapData(rows=_int32(r, "rows"), cols=_int32(c, "cols"), values=ptr(V, c_double),
                             row_names=rn, col_names=cn,
                             has_range=1 if has else 0, vmin=lo if has else 0.0,
                             vmax=hi if has else 0.0,
                             show_values=-1 if show_values is None else (1 if show_values else 0),
                             colorbar_label=_text(colorbar_label, "colorbar_label"),
                             x_label=_text(x_label, "x_label"), y_label=_text(y_label, "y_label"))
    return _render(lib.gp_plot_heatmap, h, **opts)


def contrast(p_pos, p_neg, labels=None, *, class_names=None, **opts):
    """Contrast pairs: p(x+) against p(x-) per pair (n,) each in [0, 1],
    colored by labels (0/1 or bool, 1 = x+ is the true statement), with
    the consistency line p+ + p- = 1. From a fitted probe:
    ccs.plot_contrast(x_pos, x_neg, y)."""
    from ._ccs import pair_labels
    pp = _vec(p_pos, "p_pos", finite=False)
    pn = _vec(p_neg, "p_neg", pp.size, finite=False)
    with np.errstate(invalid="ignore"):
        out_of_range = np.any((pp < 0) | (pp > 1) | (pn < 0) | (pn > 1))
    if out_of_range:
        raise GeoprobeValueError("contrast: p_pos and p_neg must be probabilities in [0, 1]")
    ids = None if labels is None else pair_labels(labels, pp.size, "labels")
    if ids is not None and np.any((ids != 0) & (ids != 1)):
        raise GeoprobeValueError("contrast: labels must be 0/1 or bool (1 = x+ is the true one)")
    names = _names(class_names, 2, "class_names")
    c = _lib.PlotContrastData(n=pp.size, p_pos=ptr(pp, c_double), p_neg=ptr(pn, c_double),
                              ids=_ptr(ids, c_int32), class_names=names)
    return _render(lib.gp_plot_contrast, c, **opts)
