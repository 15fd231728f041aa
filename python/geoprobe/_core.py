"""Array helpers shared by the API modules: zero-copy matrix views, labels,
copy-out of C results, progress callbacks."""
import ctypes

import numpy as np

from . import _lib
from ._lib import GeoprobeValueError, Matrix

DT_F32, DT_F64 = 0, 1
_DT = {np.dtype(np.float32): DT_F32, np.dtype(np.float64): DT_F64}


def as_matrix(X, name="X", allow_f64=True):
    """Return (Matrix, keepalive) for a 2-D array. A C-contiguous (row
    stride free, column stride = itemsize), aligned, native float32 array
    (or float64 when allow_f64) is passed by pointer: no copy. Anything else
    is converted once with np.ascontiguousarray(X, dtype=np.float32)."""
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except Exception as e:  # ragged lists and the like
            raise GeoprobeValueError("%s: cannot make an array: %s" % (name, e)) from None
    if X.ndim != 2:
        raise GeoprobeValueError("%s must be 2-D (n_samples, n_features), got shape %s"
                                 % (name, X.shape))
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise GeoprobeValueError("%s is empty: shape %s" % (name, X.shape))
    ok = X.dtype in _DT and (allow_f64 or X.dtype == np.float32) and X.flags.aligned
    if ok:
        isz = X.itemsize
        s0, s1 = X.strides
        ok = (s1 == isz or X.shape[1] == 1) and (X.shape[0] == 1 or (s0 > 0 and s0 % isz == 0
                                                                       and s0 // isz >= X.shape[1]))
    if not ok:
        if X.dtype.kind not in "biufO":
            raise GeoprobeValueError("%s: dtype %s is not numeric (need float32; float64 and integer "
                                     "arrays are converted)" % (name, X.dtype))
        try:
            X = np.ascontiguousarray(X, dtype=np.float32)
        except (TypeError, ValueError) as e:
            raise GeoprobeValueError("%s: cannot convert dtype %s to float32: %s"
                                     % (name, X.dtype, e)) from None
    ld = X.shape[1] if X.shape[0] == 1 else X.strides[0] // X.itemsize
    m = Matrix(_DT[X.dtype], X.shape[0], X.shape[1], ld, X.ctypes.data)
    return m, X


def ptr(a, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


def copy_out(p, shape, dtype=np.float64):
    """Copy a C array the caller does not own into a fresh numpy array."""
    n = int(np.prod(shape))
    out = np.empty(shape, dtype=dtype)
    if n:
        ctypes.memmove(out.ctypes.data, p, n * out.itemsize)
    return out


def as_1d(y, name="y", n=None):
    if not isinstance(y, np.ndarray):
        y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise GeoprobeValueError("%s must be 1-D (n_samples,), got shape %s" % (name, y.shape))
    if y.shape[0] == 0:
        raise GeoprobeValueError("%s is empty" % name)
    if n is not None and y.shape[0] != n:
        raise GeoprobeValueError("%s has %d entries but X has %d rows" % (name, y.shape[0], n))
    return y


def encode_labels(y, name="y", n=None):
    """(classes, ids int32): classes = np.unique(y) (sorted, like
    scikit-learn's LabelEncoder), ids = position of each y in classes."""
    y = as_1d(y, name, n)
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        bad = int(np.flatnonzero(~np.isfinite(y))[0])
        raise GeoprobeValueError("%s: non-finite label %r at row %d" % (name, y[bad], bad))
    try:
        classes, ids = np.unique(y, return_inverse=True)
    except TypeError as e:
        raise GeoprobeValueError("%s: labels cannot be sorted: %s" % (name, e)) from None
    return classes, np.ascontiguousarray(ids.reshape(-1), dtype=np.int32)


def ids_for(y, classes, name="y", n=None):
    """Map labels y onto known classes; ValueError for unknown values."""
    y = as_1d(y, name, n)
    classes = np.asarray(classes)
    idx = np.searchsorted(classes, y)
    idx = np.clip(idx, 0, len(classes) - 1)
    bad = classes[idx] != y
    if np.any(bad):
        raise GeoprobeValueError("%s: label %r is not one of the classes %s"
                                 % (name, y[np.flatnonzero(bad)[0]], list(classes)))
    return np.ascontiguousarray(idx, dtype=np.int32)


def label_name(v):
    """The class name the C library gives a value ("1", "0.5", "True")."""
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if f.is_integer() and abs(f) < 1e16:
            return str(int(f))
        return repr(f)
    return str(v)


def names_to_classes(names):
    """Inverse of label_name for classes read back from a saved probe."""
    if names and all(s in ("True", "False") for s in names):
        return np.array([s == "True" for s in names])
    for conv, dt in ((int, np.int64), (float, np.float64)):
        try:
            return np.array([conv(s) for s in names], dtype=dt)
        except (ValueError, TypeError):
            pass
    return np.array(names)


class Progress:
    """Bridge a Python progress callable to gp_progress_fn for one call.

    progress: None/False (nothing); True or 'tqdm' (a tqdm.auto bar: a
    widget in Jupyter, text on stderr elsewhere; ImportError when tqdm is
    not installed); or callable(done, total, stage) called from the thread
    that made the call, with done/total in the C call's own unit (epochs,
    iterations, row blocks, tries) and stage a short name ("ccs lbfgs").
    An exception raised by the callable (KeyboardInterrupt included)
    cancels the C call through the cancel flag and is re-raised when the
    call returns."""

    def __init__(self, progress, desc):
        self.fn = None
        self.bar = None
        self.exc = None
        self.cancel = ctypes.c_int32(0)
        if progress is True or (isinstance(progress, str) and progress == "tqdm"):
            try:
                from tqdm.auto import tqdm
            except ImportError:
                raise ImportError("geoprobe: progress=%r needs tqdm, which is not installed (pip "
                                  "install tqdm, or apt install python3-tqdm); or pass "
                                  "progress=callable(done, total, stage)" % (progress,)) from None
            self._tqdm, self._desc = tqdm, desc
            self.fn = self._bar
        elif callable(progress):
            self.fn = progress
        elif progress is not None and progress is not False:
            raise GeoprobeValueError("progress must be None, True, 'tqdm' or "
                                     "callable(done, total, stage), got %r" % (progress,))
        self.cfunc = PROGRESS_NULL if self.fn is None else _lib.PROGRESS_FN(self._call)

    def _bar(self, done, total, stage):
        total = max(int(total), 0) or None
        if self.bar is None:
            self.bar = self._tqdm(total=total, desc=self._desc, leave=False)
        elif self.bar.total != total or done < self.bar.n:
            self.bar.reset(total=total)  # a new stage: one bar per call, restarted
        self.bar.set_postfix_str(stage, refresh=False)
        self.bar.update(done - self.bar.n)

    def _call(self, user, done, total, stage):
        if self.exc is not None:
            return
        try:
            self.fn(int(done), int(total), (stage or b"").decode("utf-8", "replace"))
        except BaseException as e:  # noqa: B902 - re-raised after the call
            self.exc = e
            self.cancel.value = 1

    def install(self, opts):
        opts.progress = self.cfunc
        opts.progress_user = None
        opts.cancel = ctypes.pointer(self.cancel)

    def finish(self, status):
        """Close the bar; re-raise the callback's exception; else check."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.exc is not None:
            raise self.exc
        _lib.check(status)


PROGRESS_NULL = ctypes.cast(None, _lib.PROGRESS_FN)
