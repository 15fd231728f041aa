"""The scikit-learn-like API over libgeoprobe."""
import ctypes
import dataclasses
import json
import os
import threading
import warnings
import weakref

import numpy as np

from . import _lib
from ._core import (Progress, as_1d, as_matrix, copy_out, encode_labels, ids_for, label_name,
                    names_to_classes, ptr)
from ._lib import GeoprobeValueError, lib

c_double, c_int32, c_int64 = ctypes.c_double, ctypes.c_int32, ctypes.c_int64


class _Handle:
    """Owns one C object; weakref.finalize calls its gp_*_free. The lock
    keeps two Python threads from using one handle at once (geoprobe.h's
    thread rule); distinct handles run in parallel."""

    def __init__(self, raw, free):
        self.raw = raw
        self.lock = threading.Lock()
        self._fin = weakref.finalize(self, free, raw)


def _void_out():
    return ctypes.c_void_p()


def _seed(random_state):
    if random_state is None:
        return 0
    s = int(random_state)
    if s < 0:
        raise GeoprobeValueError("random_state must be >= 0, got %d" % s)
    return s


# ------------------------------------------------------------------ PCA

_PCA_SOLVERS = {"auto": 0, "cov": 1, "svd": 2, "randomized": 3}


class PCA:
    """Principal components, sign-fixed like scikit-learn >= 1.5.

    X: (n_samples, n_features); float32 C-order arrays are used in place,
    float64 too, anything else is converted once to float32. Results are
    float64 except transform's (float32).

    randomized solver: n_power_iter is the block Krylov depth q (q + 1
    passes over X; -1: 3, or 2 when n_components is a tenth of min(n, d) or
    more); n_oversamples the extra basis vectors (-1: 10, rounded up so
    that n_components + n_oversamples is a multiple of 16 where min(n, d)
    leaves room)."""

    def __init__(self, n_components=None, solver="auto", whiten=False, random_state=0,
                 n_oversamples=-1, n_power_iter=-1):
        self.n_components = n_components
        self.solver = solver
        self.whiten = whiten
        self.random_state = random_state
        self.n_oversamples = n_oversamples
        self.n_power_iter = n_power_iter
        self._h = None

    def fit(self, X, y=None, progress=None):
        if self.solver not in _PCA_SOLVERS:
            raise GeoprobeValueError("solver must be one of %s, got %r" % (list(_PCA_SOLVERS), self.solver))
        k = 0 if self.n_components is None else int(self.n_components)
        if k < 0:
            raise GeoprobeValueError("n_components must be >= 1 or None, got %d" % k)
        m, keep = as_matrix(X)
        o = _lib.PcaOpts()
        lib.gp_pca_opts_init(ctypes.byref(o))
        o.n_components = k
        o.solver = _PCA_SOLVERS[self.solver]
        o.whiten = 1 if self.whiten else 0
        o.n_oversamples = int(self.n_oversamples)
        o.n_power_iter = int(self.n_power_iter)
        o.seed = _seed(self.random_state)
        pg = Progress(progress, "PCA")
        pg.install(o)
        out = _void_out()
        st = lib.gp_pca_fit(ctypes.byref(m), ctypes.byref(o), ctypes.byref(out))
        pg.finish(st)
        del keep
        h = _Handle(out.value, lib.gp_pca_free)
        p = h.raw
        k, d = lib.gp_pca_n_components(p), lib.gp_pca_n_features(p)
        self._h = h
        self.n_components_ = int(k)
        self.n_features_in_ = int(d)
        self.n_samples_ = int(lib.gp_pca_n_samples(p))
        self.solver_ = lib.gp_pca_solver_name(lib.gp_pca_solver_used(p)).decode()
        self.components_ = copy_out(lib.gp_pca_components(p), (k, d))
        self.explained_variance_ = copy_out(lib.gp_pca_explained_variance(p), (k,))
        self.explained_variance_ratio_ = copy_out(lib.gp_pca_explained_variance_ratio(p), (k,))
        self.singular_values_ = copy_out(lib.gp_pca_singular_values(p), (k,))
        self.mean_ = copy_out(lib.gp_pca_mean(p), (d,))
        self.total_variance_ = float(lib.gp_pca_total_variance(p))
        return self

    def _check_fitted(self):
        if self._h is None:
            raise GeoprobeValueError("this PCA is not fitted yet: call fit(X) first")

    def transform(self, X):
        """(n, n_components_) float32 projection of X on the components."""
        self._check_fitted()
        m, keep = as_matrix(X)
        out = np.empty((m.rows, self.n_components_), dtype=np.float32)
        h = self._h
        with h.lock:
            st = lib.gp_pca_transform(h.raw, ctypes.byref(m), out.ctypes.data,
                                      self.n_components_)
            _lib.check(st)
        return out

    def fit_transform(self, X, y=None, progress=None):
        return self.fit(X, progress=progress).transform(X)

    def plot_scree(self, log_scale=False, **kw):
        """Scree plot of explained_variance_ratio_: geoprobe.plot.scree;
        PNG bytes, or the file named by path=."""
        self._check_fitted()
        from . import plot
        return plot.scree(self.explained_variance_ratio_, log_scale=log_scale, **kw)

    def class_centroids(self, X, y):
        """(classes, centroids (k_classes, n_components_), share (n_components_,)):
        mean projection of each class, and each component's share of the
        between-class scatter."""
        self._check_fitted()
        m, keep = as_matrix(X)
        classes, ids = encode_labels(y, n=m.rows)
        cen = np.empty((len(classes), self.n_components_))
        share = np.empty(self.n_components_)
        h = self._h
        with h.lock:
            _lib.check(lib.gp_pca_class_centroids(h.raw, ctypes.byref(m), ptr(ids, c_int32), len(classes),
                                                  ptr(cen, c_double), ptr(share, c_double)))
        return classes, cen, share


# ------------------------------------------------------------------ geometry

def cka(X, Y, debiased=False):
    """Linear CKA between X (n, d1) and Y (n, d2), same rows. A constant
    input gives 0.0 and a RuntimeWarning."""
    mx, kx = as_matrix(X, "X")
    my, ky = as_matrix(Y, "Y")
    if mx.rows != my.rows:
        raise GeoprobeValueError("X has %d rows but Y has %d: CKA needs the same inputs"
                                 % (mx.rows, my.rows))
    out, deg = c_double(), ctypes.c_int(0)
    _lib.check(lib.gp_cka(ctypes.byref(mx), ctypes.byref(my), 1 if debiased else 0,
                          ctypes.byref(out), ctypes.byref(deg)))
    if deg.value:
        warnings.warn("cka: an input is constant (rank 0 after centering); CKA set to 0",
                      RuntimeWarning, stacklevel=2)
    return float(out.value)


def cosine(A):
    """(m, m) float64 cosine similarity between the rows of A (zero rows: 0)."""
    m, keep = as_matrix(A, "A")
    out = np.empty((m.rows, m.rows))
    _lib.check(lib.gp_cosine_matrix(ctypes.byref(m), ptr(out, c_double)))
    return out


@dataclasses.dataclass
class ClassSeparation:
    classes: np.ndarray
    n_classes: int
    mean_distance: float
    within_std: float
    fisher_ratio: float
    between_var_fraction: float
    mean_dir_var_fraction: float


def class_separation(X, y):
    m, keep = as_matrix(X)
    classes, ids = encode_labels(y, n=m.rows)
    s = _lib.ClassSeparation()
    _lib.check(lib.gp_class_separation_compute(ctypes.byref(m), ptr(ids, c_int32), len(classes),
                                               ctypes.byref(s)))
    return ClassSeparation(classes, int(s.n_classes), s.mean_distance, s.within_std, s.fisher_ratio,
                           s.between_var_fraction, s.mean_dir_var_fraction)


# ------------------------------------------------------------------ probes

_SOLVERS = {"auto": 0, "newton": 1, "lbfgs": 2}
_METHOD_LOGISTIC, _METHOD_MASSMEAN, _METHOD_MASSMEAN_IID, _METHOD_LDA, _METHOD_RIDGE = 0, 1, 2, 3, 4


def _shrinkage(v):
    if v == "auto":
        return -1.0
    if v is None:
        return 0.0
    v = float(v)
    if not 0.0 <= v <= 1.0:
        raise GeoprobeValueError("shrinkage must be 'auto', None or in [0, 1], got %g" % v)
    return v


class _Probe:
    """A fitted linear probe: scores = X @ coef_.T + intercept_."""

    _regression = False
    _h = None

    def _opts(self):
        o = _lib.ProbeOpts()
        lib.gp_probe_opts_init(ctypes.byref(o))
        o.method = self._method()
        return o

    def fit(self, X, y, progress=None):
        m, keep = as_matrix(X)
        o = self._opts()
        pg = Progress(progress, type(self).__name__)
        pg.install(o)
        out = _void_out()
        if self._regression:
            t = np.ascontiguousarray(as_1d(y, n=m.rows), dtype=np.float64)
            if not np.all(np.isfinite(t)):
                bad = int(np.flatnonzero(~np.isfinite(t))[0])
                raise GeoprobeValueError("y: non-finite target %r at row %d" % (t[bad], bad))
            st = lib.gp_probe_fit_regression(ctypes.byref(m), ptr(t, c_double), ctypes.byref(o),
                                             ctypes.byref(out))
            classes = None
        else:
            classes, ids = encode_labels(y, n=m.rows)
            if len(classes) < 2:
                raise GeoprobeValueError("y has one class only (%r): a probe needs two or more"
                                         % (classes[0],))
            st = lib.gp_probe_fit(ctypes.byref(m), ptr(ids, c_int32), len(classes), ctypes.byref(o),
                                  ctypes.byref(out))
        pg.finish(st)
        self._attach(_Handle(out.value, lib.gp_probe_free), classes)
        return self

    def _attach(self, h, classes):
        p = h.raw
        self._h = h
        k, d = lib.gp_probe_n_outputs(p), lib.gp_probe_n_features(p)
        self.n_features_in_ = int(d)
        self.coef_ = copy_out(lib.gp_probe_weight(p), (k, d))
        self.intercept_ = copy_out(lib.gp_probe_bias(p), (k,))
        self.n_iter_ = int(lib.gp_probe_n_iter(p))
        self.converged_ = bool(lib.gp_probe_converged(p))
        self.method_ = lib.gp_probe_method_name(lib.gp_probe_get_method(p)).decode()
        nc = int(lib.gp_probe_n_classes(p))
        if not self._regression:
            if classes is None or len(classes) != nc:
                classes = np.arange(nc)
            self.classes_ = np.asarray(classes)

    def _check_fitted(self):
        if self._h is None:
            raise GeoprobeValueError("this %s is not fitted yet: call fit(X, y) first"
                                     % type(self).__name__)

    def decision_function(self, X):
        """Scores (n,) for one output, else (n, n_outputs), float64."""
        self._check_fitted()
        m, keep = as_matrix(X)
        k = self.coef_.shape[0]
        out = np.empty((m.rows, k))
        h = self._h
        with h.lock:
            _lib.check(lib.gp_probe_decision(h.raw, ctypes.byref(m), ptr(out, c_double)))
        return out[:, 0] if k == 1 else out

    def predict_proba(self, X):
        """(n, n_classes) class probabilities (not for RidgeProbe)."""
        self._check_fitted()
        m, keep = as_matrix(X)
        out = np.empty((m.rows, len(self.classes_)))
        h = self._h
        with h.lock:
            _lib.check(lib.gp_probe_predict_proba(h.raw, ctypes.byref(m), ptr(out, c_double)))
        return out

    def predict(self, X):
        """Class labels (the values y held) for each row of X."""
        self._check_fitted()
        m, keep = as_matrix(X)
        ids = np.empty(m.rows, dtype=np.int32)
        h = self._h
        with h.lock:
            _lib.check(lib.gp_probe_predict(h.raw, ctypes.byref(m), ptr(ids, c_int32)))
        return self.classes_[ids]

    def score(self, X, y):
        """Mean accuracy on (X, y)."""
        pred = self.predict(X)
        y = as_1d(y, n=len(pred))
        return float(np.mean(pred == y))

    def _params(self):
        return {}

    def save(self, path, metadata=None):
        """Write the probe as .safetensors, readable by `geoprobe apply` and
        load_probe: weight/bias float32 and metadata with the classes."""
        self._check_fitted()
        names = [] if self._regression else [label_name(c) for c in self.classes_]
        meta = {"classes": json.dumps(names, separators=(",", ":")),
                "standardize": "true" if getattr(self, "standardize", False) else "false",
                "params": json.dumps(self._params(), separators=(",", ":")),
                "source": "geoprobe-python"}
        for key, val in (metadata or {}).items():
            meta[str(key)] = val if isinstance(val, str) else json.dumps(val)
        keys = (ctypes.c_char_p * len(meta))(*[k.encode() for k in meta])
        vals = (ctypes.c_char_p * len(meta))(*[v.encode() for v in meta.values()])
        h = self._h
        with h.lock:
            _lib.check(lib.gp_probe_save(h.raw, _lib.cstr(path), len(meta), keys, vals))
        return path

    @classmethod
    def from_weights(cls, coef, intercept, classes=None):
        """A probe from weights computed elsewhere: coef (n_outputs, d) or
        (d,), intercept (n_outputs,) or a scalar."""
        w = np.ascontiguousarray(np.atleast_2d(np.asarray(coef, dtype=np.float64)))
        b = np.ascontiguousarray(np.atleast_1d(np.asarray(intercept, dtype=np.float64)))
        if w.ndim != 2 or w.size == 0:
            raise GeoprobeValueError("coef must be (n_outputs, d), got shape %s" % (np.shape(coef),))
        if b.shape != (w.shape[0],):
            raise GeoprobeValueError("intercept has shape %s, coef %s: need (n_outputs,)"
                                     % (b.shape, w.shape))
        self = cls.__new__(cls)
        cls._init_defaults(self)
        if cls._regression:
            nc = 0
        else:
            classes = np.arange(max(2, w.shape[0])) if classes is None else np.asarray(classes)
            nc = len(classes)
        out = _void_out()
        _lib.check(lib.gp_probe_from_weights(self._method(), nc, w.shape[0], w.shape[1],
                                             ptr(w, c_double), ptr(b, c_double), ctypes.byref(out)))
        self._attach(_Handle(out.value, lib.gp_probe_free), classes)
        return self

    @classmethod
    def _init_defaults(cls, self):
        cls.__init__(self)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__,
                           ", ".join("%s=%r" % kv for kv in self._params().items()))


class LogisticProbe(_Probe):
    """L2 logistic regression, binary or softmax; C as in scikit-learn
    (C='auto': chosen by cv-fold cross-validation over Cs values in
    logspace(-4, 4)). standardize=True fits on z-scored features and maps
    the weights back, so coef_ applies to raw activations."""

    def __init__(self, C=1.0, solver="auto", class_weight=None, standardize=False, max_iter=0,
                 tol=1e-8, cv=5, Cs=10, random_state=0, fit_intercept=True):
        self.C = C
        self.solver = solver
        self.class_weight = class_weight
        self.standardize = standardize
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.Cs = Cs
        self.random_state = random_state
        self.fit_intercept = fit_intercept

    def _method(self):
        return _METHOD_LOGISTIC

    def _params(self):
        return {"C": self.C, "solver": self.solver, "class_weight": self.class_weight,
                "standardize": bool(self.standardize), "max_iter": self.max_iter, "tol": self.tol}

    def _opts(self):
        o = super()._opts()
        if self.C == "auto":
            o.C = 0.0
        else:
            C = float(self.C)
            if not C > 0 or not np.isfinite(C):
                raise GeoprobeValueError("C must be > 0 or 'auto', got %r" % (self.C,))
            o.C = C
        if self.solver not in _SOLVERS:
            raise GeoprobeValueError("solver must be one of %s, got %r" % (list(_SOLVERS), self.solver))
        if self.class_weight not in (None, "balanced"):
            raise GeoprobeValueError("class_weight must be None or 'balanced', got %r" % (self.class_weight,))
        o.solver = _SOLVERS[self.solver]
        o.class_weight_balanced = 1 if self.class_weight == "balanced" else 0
        o.standardize = 1 if self.standardize else 0
        o.fit_intercept = 1 if self.fit_intercept else 0
        o.max_iter = int(self.max_iter)
        o.tol = float(self.tol)
        o.cv_folds = int(self.cv)
        o.n_Cs = int(self.Cs)
        o.seed = _seed(self.random_state)
        return o

    def _attach(self, h, classes):
        super()._attach(h, classes)
        self.C_ = float(lib.gp_probe_C(h.raw))


class MassMeanProbe(_Probe):
    """Difference of class means (Marks & Tegmark); iid=True whitens it by
    the (shrunk) within-class covariance. Two classes."""

    def __init__(self, iid=False, shrinkage="auto"):
        self.iid = iid
        self.shrinkage = shrinkage

    def _method(self):
        return _METHOD_MASSMEAN_IID if self.iid else _METHOD_MASSMEAN

    def _params(self):
        return {"iid": bool(self.iid), "shrinkage": self.shrinkage}

    def _opts(self):
        o = super()._opts()
        o.shrinkage = _shrinkage(self.shrinkage)
        return o


class LDAProbe(_Probe):
    """Linear discriminant analysis, k classes; shrinkage='auto' is
    Ledoit-Wolf, None none, a float in [0, 1] fixed."""

    def __init__(self, shrinkage="auto"):
        self.shrinkage = shrinkage

    def _method(self):
        return _METHOD_LDA

    def _params(self):
        return {"shrinkage": self.shrinkage}

    def _opts(self):
        o = super()._opts()
        o.shrinkage = _shrinkage(self.shrinkage)
        return o


class RidgeProbe(_Probe):
    """Ridge regression on a continuous target; alpha as in scikit-learn."""

    _regression = True

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def _method(self):
        return _METHOD_RIDGE

    def _params(self):
        return {"alpha": self.alpha}

    def _opts(self):
        o = super()._opts()
        a = float(self.alpha)
        if not a >= 0:
            raise GeoprobeValueError("alpha must be >= 0, got %r" % (self.alpha,))
        o.alpha = a
        return o

    def predict(self, X):
        return self.decision_function(X)

    def predict_proba(self, X):
        raise GeoprobeValueError("RidgeProbe is a regression probe: no class probabilities")

    def score(self, X, y):
        """R^2 on (X, y)."""
        return regression_metrics(y, self.predict(X)).r2


_BY_METHOD = {_METHOD_LOGISTIC: LogisticProbe, _METHOD_MASSMEAN: MassMeanProbe,
              _METHOD_MASSMEAN_IID: MassMeanProbe, _METHOD_LDA: LDAProbe, _METHOD_RIDGE: RidgeProbe}


def _is_pair_probe(path):
    """True when path is a .safetensors holding a contrast-pair probe (a
    'pos_mean' tensor or method ccs/crc/vinc in its metadata)."""
    f = _void_out()
    if lib.gp_file_open(_lib.cstr(path), ctypes.byref(f)) != 0:
        return False  # gp_probe_load reports the error
    try:
        if lib.gp_file_find_tensor(f, b"pos_mean") >= 0:
            return True
        try:
            meta = json.loads(lib.gp_file_metadata_json(f).decode("utf-8"))
        except ValueError:
            return False
        return isinstance(meta, dict) and meta.get("method") in ("ccs", "crc", "vinc")
    finally:
        lib.gp_file_close(f)


def load_probe(path):
    """Load a probe written by save() or `geoprobe probe --save` (or any
    .safetensors with 'weight' and 'bias') as the matching probe class; a
    contrast-pair probe (CCS.save, `geoprobe ccs --save`: it has the
    normalization tensors and method ccs/crc/vinc) comes back as a
    geoprobe.CCS, as load_ccs(path) gives it. Its metadata is in
    .metadata_ (a dict of strings)."""
    if _is_pair_probe(path):
        from ._ccs import load_ccs
        return load_ccs(path)
    out = _void_out()
    _lib.check(lib.gp_probe_load(_lib.cstr(path), ctypes.byref(out)))
    h = _Handle(out.value, lib.gp_probe_free)
    method = lib.gp_probe_get_method(h.raw)
    cls = _BY_METHOD.get(method, LogisticProbe)
    self = cls.__new__(cls)
    cls.__init__(self)
    if method == _METHOD_MASSMEAN_IID:
        self.iid = True
    names = None
    raw = lib.gp_probe_metadata(h.raw, b"classes")
    if raw:
        try:
            names = json.loads(raw.decode("utf-8"))
        except ValueError:
            names = None
    classes = names_to_classes([str(s) for s in names]) if names else None
    self._attach(h, classes)
    meta = {}
    f = _void_out()
    if lib.gp_file_open(_lib.cstr(path), ctypes.byref(f)) == 0:
        try:
            meta = json.loads(lib.gp_file_metadata_json(f).decode("utf-8"))
        except ValueError:
            meta = {}
        finally:
            lib.gp_file_close(f)
    self.metadata_ = meta
    if meta.get("standardize") == "true" and hasattr(self, "standardize"):
        self.standardize = True
    return self


# ------------------------------------------------------------------ metrics and splits

@dataclasses.dataclass
class Metrics:
    n: int
    accuracy: float
    balanced_accuracy: float
    auroc: float
    log_loss: float
    ece: float
    confusion: np.ndarray  # (k, k): row = true class, column = predicted


@dataclasses.dataclass
class RegressionMetrics:
    n: int
    r2: float
    pearson_r: float
    mse: float


def _proba_ids(y, proba, classes):
    P = np.ascontiguousarray(proba, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] == 0 or P.shape[1] < 2:
        raise GeoprobeValueError("proba must be (n_samples, n_classes) with n_classes >= 2, got shape %s"
                                 % (np.shape(proba),))
    if classes is not None:
        if len(classes) != P.shape[1]:
            raise GeoprobeValueError("%d classes but proba has %d columns" % (len(classes), P.shape[1]))
        ids = ids_for(y, np.asarray(classes), n=P.shape[0])
    else:
        y = as_1d(y, n=P.shape[0])
        if y.dtype.kind not in "biu" or y.min() < 0 or y.max() >= P.shape[1]:
            raise GeoprobeValueError("y must hold class ids 0..%d (column indices of proba), or pass "
                                     "classes= to map labels" % (P.shape[1] - 1))
        ids = np.ascontiguousarray(y, dtype=np.int32)
    return ids, P


def metrics(y, proba, classes=None):
    """Accuracy, balanced accuracy, AUROC, log-loss, ECE and the confusion
    matrix of class probabilities proba (n, k) against y: class ids, or
    labels with classes= (e.g. probe.classes_)."""
    ids, P = _proba_ids(y, proba, classes)
    n, k = P.shape
    m = _lib.Metrics()
    conf = np.zeros((k, k), dtype=np.int64)
    _lib.check(lib.gp_metrics_compute(ptr(ids, c_int32), ptr(P, c_double), n, k, ctypes.byref(m),
                                      ptr(conf, c_int64)))
    return Metrics(int(m.n), m.accuracy, m.balanced_accuracy, m.auroc, m.log_loss, m.ece, conf)


def bootstrap_ci(y, proba, n_boot=1000, seed=0, classes=None):
    """95% percentile bootstrap intervals: {'accuracy': (lo, hi), 'auroc': (lo, hi)}."""
    ids, P = _proba_ids(y, proba, classes)
    acc, auc = (c_double * 2)(), (c_double * 2)()
    _lib.check(lib.gp_metrics_bootstrap(ptr(ids, c_int32), ptr(P, c_double), P.shape[0], P.shape[1],
                                        int(n_boot), _seed(seed), acc, auc))
    return {"accuracy": (acc[0], acc[1]), "auroc": (auc[0], auc[1])}


def regression_metrics(y, pred):
    t = np.ascontiguousarray(as_1d(y), dtype=np.float64)
    p = np.ascontiguousarray(as_1d(pred, "pred", n=len(t)), dtype=np.float64)
    m = _lib.RegressionMetrics()
    _lib.check(lib.gp_regression_metrics_compute(ptr(t, c_double), ptr(p, c_double), len(t),
                                                 ctypes.byref(m)))
    return RegressionMetrics(int(m.n), m.r2, m.pearson_r, m.mse)


def train_test_split(y, test_frac=0.25, seed=0):
    """Stratified split as the CLI makes it: a boolean is_test mask (n,)."""
    classes, ids = encode_labels(y)
    out = np.zeros(len(ids), dtype=np.uint8)
    _lib.check(lib.gp_split_train_test(ptr(ids, c_int32), len(ids), len(classes), float(test_frac),
                                       _seed(seed), ptr(out, ctypes.c_uint8)))
    return out.astype(bool)


def kfold(y, n_folds=5, seed=0):
    """Stratified fold index (n,) in 0..n_folds-1."""
    classes, ids = encode_labels(y)
    out = np.zeros(len(ids), dtype=np.int32)
    _lib.check(lib.gp_split_kfold(ptr(ids, c_int32), len(ids), len(classes), int(n_folds), _seed(seed),
                                  ptr(out, c_int32)))
    return out


def control_labels(y, types=None, seed=0):
    """Control-task labels (Hewitt & Liang): one random label per input type."""
    classes, ids = encode_labels(y)
    tptr = None
    if types is not None:
        _, tids = encode_labels(types, "types", n=len(ids))
        tptr = ptr(tids, c_int32)
    out = np.zeros(len(ids), dtype=np.int32)
    _lib.check(lib.gp_control_labels(ptr(ids, c_int32), tptr, len(ids), len(classes), _seed(seed),
                                     ptr(out, c_int32)))
    return classes[out]


# ------------------------------------------------------------------ files

_NP = {0: np.float32, 1: np.float64}


def _load_tensor(spec, want):
    out = _void_out()
    _lib.check(lib.gp_tensor_load(_lib.cstr(spec), want, ctypes.byref(out)))
    return _Handle(out.value, lib.gp_tensor_free)


def load(spec, dtype=np.float32):
    """An activation spec (FILE.npy, FILE.safetensors[:NAME], ...@L) as a
    numpy array. A float32 C-order .npy without @L is memory-mapped
    read-only (np.load(mmap_mode='r')); everything else is converted by the
    library (float16/bfloat16/ints -> dtype) and copied into a new array."""
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise GeoprobeValueError("dtype must be float32 or float64, got %s" % dtype)
    spec = os.fspath(spec) if isinstance(spec, os.PathLike) else spec
    if isinstance(spec, str) and "@" not in spec and os.path.isfile(spec):
        try:
            a = np.load(spec, mmap_mode="r", allow_pickle=False)
            if a.dtype == dtype and a.flags.c_contiguous and a.ndim >= 1:
                return a
        except Exception:
            pass  # not a plain .npy: let the library read it and explain
    h = _load_tensor(spec, 0 if dtype == np.float32 else 1)
    t = h.raw
    shape = tuple(int(lib.gp_tensor_dim(t, i)) for i in range(lib.gp_tensor_ndim(t)))
    return copy_out(lib.gp_tensor_data(t), shape, dtype)


def info(spec):
    """Statistics of an activation matrix (a spec, or a 2-D array): NaN/Inf
    counts and first position, min/max/mean, row norms, outlier dimensions."""
    if isinstance(spec, (str, bytes, os.PathLike)):
        h = _load_tensor(spec, 0)
        m = _lib.Matrix()
        _lib.check(lib.gp_tensor_matrix(h.raw, ctypes.byref(m)))
        keep = h
    else:
        m, keep = as_matrix(spec)
    s = _lib.MatrixStats()
    _lib.check(lib.gp_matrix_stats_compute(ctypes.byref(m), ctypes.byref(s)))
    del keep
    n = int(s.n_top)
    return {"rows": int(m.rows), "cols": int(m.cols), "n_nan": int(s.n_nan), "n_inf": int(s.n_inf),
            "first_bad_row": int(s.first_bad_row), "first_bad_col": int(s.first_bad_col),
            "min": s.min, "max": s.max, "mean": s.mean, "mean_row_norm": s.mean_row_norm,
            "max_row_norm": s.max_row_norm, "top_dims": [int(v) for v in s.top_dims[:n]],
            "top_dims_mean_abs": [float(v) for v in s.top_dims_mean_abs[:n]],
            "median_dim_mean_abs": s.median_dim_mean_abs}


def load_labels(spec):
    """Labels from y.npy, y.txt, y.csv:COLUMN or y.json as a 1-D array of
    their values: numbers (int64 when all integral, else float64) or str."""
    out = _void_out()
    _lib.check(lib.gp_labels_load(_lib.cstr(spec), ctypes.byref(out)))
    h = _Handle(out.value, lib.gp_labels_free)
    l = h.raw
    n = int(lib.gp_labels_n(l))
    if lib.gp_labels_is_numeric(l):
        v = copy_out(lib.gp_labels_values(l), (n,))
        return v.astype(np.int64) if np.all(v == np.round(v)) and np.all(np.abs(v) < 2**53) else v
    k = int(lib.gp_labels_n_classes(l))
    names = np.array([lib.gp_labels_class_name(l, c).decode("utf-8", "replace") for c in range(k)])
    return names[copy_out(lib.gp_labels_ids(l), (n,), np.int32)]
