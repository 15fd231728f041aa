"""Unsupervised contrast-pair probes (CCS, CRC-TPC, VINC) over gp_ccs_*."""
import ctypes
import json

import numpy as np

from . import _lib
from ._api import _Handle, _seed, _void_out
from ._core import Progress, as_1d, as_matrix, copy_out, ptr
from ._lib import GeoprobeValueError, lib

c_double, c_int32 = ctypes.c_double, ctypes.c_int32

_METHODS = {"ccs": 0, "crc": 1, "vinc": 2}
_NORMS = {"burns": 0, "center": 1, "feature": 2}
_OPTIMIZERS = {"lbfgs": 0, "adam": 1}
_WHICH = {"pos": 0, "neg": 1, 0: 0, 1: 1}


def _choice(name, value, table):
    if value not in table:
        raise GeoprobeValueError("%s must be one of %s, got %r" % (name, list(table), value))
    return table[value]


def pair_labels(y, n, name="y"):
    """0/1 labels (1 = x+ is the true statement) as int32 (n,). bool and
    integer arrays go to the library as they are (it names a label that is
    not 0 or 1); floats must hold whole numbers; anything else is refused."""
    y = as_1d(y, name, n)
    if y.dtype == np.bool_:
        return y.astype(np.int32)
    if y.dtype.kind in "iu":
        if y.size and (y.min() < -2**31 or y.max() >= 2**31):
            raise GeoprobeValueError("%s: label %d is not 0 or 1" % (name, y.max() if y.max() >= 2**31
                                                                     else y.min()))
        return np.ascontiguousarray(y, dtype=np.int32)
    if y.dtype.kind == "f":
        bad = ~np.isin(y, (0.0, 1.0))
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise GeoprobeValueError("%s: label %r of pair %d is not 0 or 1" % (name, y[i], i))
        return y.astype(np.int32)
    raise GeoprobeValueError("%s must hold 0/1 or bool per pair (1 = x+ is the true statement), got "
                             "dtype %s" % (name, y.dtype))


class CCS:
    """An unsupervised contrast-pair probe: Contrast-Consistent Search
    (Burns et al. 2022), CRC-TPC (top principal component of the normalized
    differences) or VINC (elk's closed-form eigen reporter).

    Row i of x_pos and x_neg (n, d) is one contrast pair: the statement
    completed as true ("... True") and as false. Each set is normalized with
    statistics fitted on the training pairs (norm='burns': center, divide by
    the mean row norm / sqrt(d); 'center'; 'feature': per-feature std), and
    a direction w, bias b is found in the normalized space:
        z+ = w . n+(x+) + b, p+ = sigmoid(z+) (the same for x-)
        credence = (p+ + 1 - p-) / 2 (ccs),  sigmoid(z+ - z-) (crc, vinc).
    No labels train it, so its sign is arbitrary: calibrate(x_pos, x_neg, y)
    fixes the sign (and a Platt scale) from labeled pairs.

    Parameters mirror gp_ccs_opts: method 'ccs'|'crc'|'vinc'; norm;
    optimizer 'lbfgs' (every try in one batched L-BFGS, the fast default)
    or 'adam' (the reference full-batch AdamW: epochs, lr, weight_decay);
    tries random restarts (ccs; the lowest final loss is kept); l2, max_iter
    (0 = 1000) and tol for lbfgs; seed; init (tries, d + 1) float64 start
    (w then b per try, normalized space) instead of nn.Linear's uniform
    draw. Inputs: float32 C-order arrays are used in place, float64 too,
    anything else is converted once to float32.

    Fitted attributes: coef_ (d,) float64 direction in the normalized space,
    intercept_ (float), mean_ and scale_ (2, d) (row 0 = POS, row 1 = NEG),
    loss_, try_losses_ (tries,), try_cosines_ (tries, tries), best_try_,
    n_iter_, converged_, method_, norm_, n_features_in_; after calibrate:
    sign_ (+1 kept, -1 flipped; 0 uncalibrated) and platt_ (a, c)."""

    classes_ = np.array([0, 1])

    def __init__(self, method="ccs", norm="burns", optimizer="lbfgs", tries=10, epochs=1000,
                 lr=1e-3, weight_decay=0.01, l2=1e-4, max_iter=0, tol=3e-5, seed=0, init=None):
        self.method = method
        self.norm = norm
        self.optimizer = optimizer
        self.tries = tries
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.l2 = l2
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed
        self.init = init
        self._h = None

    def __repr__(self):
        keys = ("method", "norm", "optimizer", "tries", "seed")
        return "CCS(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in keys)

    # ------------------------------------------------------------ fit

    def _opts(self, d):
        _lib.need("ccs")
        o = _lib.CcsOpts()
        lib.gp_ccs_opts_init(ctypes.byref(o))
        o.method = _choice("method", self.method, _METHODS)
        o.norm = _choice("norm", self.norm, _NORMS)
        o.optimizer = _choice("optimizer", self.optimizer, _OPTIMIZERS)
        for name in ("tries", "epochs", "max_iter"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not -2**31 <= v < 2**31:
                raise GeoprobeValueError("%s must be an integer, got %r" % (name, v))
            setattr(o, name, int(v))
        for name in ("lr", "weight_decay", "l2", "tol"):
            setattr(o, name, float(getattr(self, name)))
        o.seed = _seed(self.seed)
        init = None
        if self.init is not None:
            if o.method != _METHODS["ccs"]:
                raise GeoprobeValueError("init is for method='ccs' only (crc and vinc are closed-form)")
            init = np.ascontiguousarray(self.init, dtype=np.float64)
            if init.ndim == 1 and o.tries == 1:
                init = init.reshape(1, -1)
            if init.shape != (o.tries, d + 1) and 1 <= o.tries <= 10000:
                raise GeoprobeValueError("init must be (tries, d + 1) = (%d, %d): w then b of each try, "
                                         "got shape %s" % (o.tries, d + 1, init.shape))
            if not np.all(np.isfinite(init)):
                raise GeoprobeValueError("init has a non-finite value")
            if init.shape == (o.tries, d + 1):  # else the library refuses tries
                o.init = ptr(init, c_double)
        return o, init

    def fit(self, x_pos, x_neg, progress=None):
        """Fit on n contrast pairs (rows of x_pos and x_neg). progress:
        callable(done, total, stage), True/'tqdm' for a bar."""
        mp, kp = as_matrix(x_pos, "x_pos")
        mn, kn = as_matrix(x_neg, "x_neg")
        o, init = self._opts(mp.cols)
        pg = Progress(progress, "CCS" if self.method == "ccs" else self.method.upper())
        pg.install(o)
        out = _void_out()
        st = lib.gp_ccs_fit(ctypes.byref(mp), ctypes.byref(mn), ctypes.byref(o), ctypes.byref(out))
        pg.finish(st)
        del kp, kn, init
        self._attach(_Handle(out.value, lib.gp_ccs_free))
        return self

    def _attach(self, h):
        p = h.raw
        self._h = h
        d = int(lib.gp_ccs_n_features(p))
        t = int(lib.gp_ccs_tries(p))
        self.n_features_in_ = d
        self.method_ = lib.gp_ccs_method_name(lib.gp_ccs_get_method(p)).decode()
        self.norm_ = lib.gp_ccs_norm_name(lib.gp_ccs_get_norm(p)).decode()
        self.mean_ = np.stack([copy_out(lib.gp_ccs_mean(p, w), (d,)) for w in (0, 1)])
        self.scale_ = np.stack([copy_out(lib.gp_ccs_scale(p, w), (d,)) for w in (0, 1)])
        self.tries_ = t
        self.loss_ = float(lib.gp_ccs_loss(p))
        self.try_losses_ = copy_out(lib.gp_ccs_try_losses(p), (t,))
        self.try_cosines_ = copy_out(lib.gp_ccs_try_cosines(p), (t, t))
        self.best_try_ = int(lib.gp_ccs_best_try(p))
        self.n_iter_ = int(lib.gp_ccs_n_iter(p))
        self.converged_ = bool(lib.gp_ccs_converged(p))
        self._refresh()

    def _refresh(self):
        """Direction, sign and Platt parameters (calibrate changes them)."""
        p = self._h.raw
        self.coef_ = copy_out(lib.gp_ccs_weight(p), (self.n_features_in_,))
        self.intercept_ = float(lib.gp_ccs_bias(p))
        self.sign_ = int(lib.gp_ccs_sign(p))
        a, c = c_double(), c_double()
        lib.gp_ccs_platt(p, ctypes.byref(a), ctypes.byref(c))
        self.platt_ = (a.value, c.value)

    def _check_fitted(self):
        if self._h is None:
            raise GeoprobeValueError("this CCS is not fitted yet: call fit(x_pos, x_neg) first")

    def _pairs(self, x_pos, x_neg):
        self._check_fitted()
        mp, kp = as_matrix(x_pos, "x_pos")
        mn, kn = as_matrix(x_neg, "x_neg")
        return mp, mn, (kp, kn)

    # ------------------------------------------------------------ use

    @property
    def calibrated_(self):
        return self._h is not None and self.sign_ != 0

    def credence(self, x_pos, x_neg):
        """(p_pos, p_neg, credence), (n,) float64 each: sigmoid(z+),
        sigmoid(z-) and the uncalibrated credence that x+ is the true one
        (after calibrate, in its fixed orientation)."""
        mp, mn, keep = self._pairs(x_pos, x_neg)
        n = mp.rows
        pp, pn, cr = np.empty(n), np.empty(n), np.empty(n)
        h = self._h
        with h.lock:
            _lib.check(lib.gp_ccs_credence(h.raw, ctypes.byref(mp), ctypes.byref(mn), ptr(pp, c_double),
                                           ptr(pn, c_double), ptr(cr, c_double)))
        return pp, pn, cr

    def calibrate(self, x_pos, x_neg, y):
        """Fix the sign and a Platt scale from labeled pairs (y: 0/1 or bool
        per pair, 1 = x+ is the true statement; both values needed): when
        the direction pointed the wrong way it is negated (coef_, intercept_
        change, sign_ = -1). Returns self."""
        mp, mn, keep = self._pairs(x_pos, x_neg)
        ids = pair_labels(y, mp.rows)
        h = self._h
        with h.lock:
            _lib.check(lib.gp_ccs_calibrate(h.raw, ctypes.byref(mp), ctypes.byref(mn), ptr(ids, c_int32)))
            self._refresh()
        return self

    def predict_proba(self, x_pos, x_neg):
        """(n, 2) float64, columns [P(x+ false), P(x+ true)] as in
        scikit-learn (classes_ = [0, 1]; geoprobe.metrics(y, proba) takes it
        as is): the Platt-calibrated credence, or the raw credence before
        calibrate."""
        mp, mn, keep = self._pairs(x_pos, x_neg)
        p = np.empty(mp.rows)
        h = self._h
        with h.lock:
            _lib.check(lib.gp_ccs_predict_proba(h.raw, ctypes.byref(mp), ctypes.byref(mn),
                                                ptr(p, c_double)))
        return np.stack([1.0 - p, p], axis=1)

    def predict(self, x_pos, x_neg):
        """(n,) int: 1 where P(x+ true) > 0.5. Only meaningful after
        calibrate (before it, the sign is the optimizer's coin flip)."""
        return (self.predict_proba(x_pos, x_neg)[:, 1] > 0.5).astype(np.int64)

    def score(self, x_pos, x_neg, y):
        """Sign-calibrated accuracy: mean(predict(x_pos, x_neg) == y), the
        CLI's `sign_calibrated_accuracy`. Needs calibrate() first (on other,
        training pairs for an honest number): an uncalibrated probe's sign
        is arbitrary (ValueError). For the paper's max(acc, 1 - acc) see
        paper_accuracy."""
        if self._h is not None and self.sign_ == 0:
            raise GeoprobeValueError("score: this %s is not calibrated; call calibrate(x_pos, x_neg, y) "
                                     "on labeled (training) pairs first, or use paper_accuracy() for "
                                     "max(acc, 1 - acc)" % self.method_)
        pred = self.predict(x_pos, x_neg)
        return float(np.mean(pred == pair_labels(y, len(pred))))

    def paper_accuracy(self, x_pos, x_neg, y):
        """Burns et al.'s accuracy: max(acc, 1 - acc) of credence > 0.5,
        the sign chosen with the test labels (optimistic); the CLI's
        `accuracy`."""
        _, _, cr = self.credence(x_pos, x_neg)
        acc = float(np.mean((cr > 0.5) == (pair_labels(y, len(cr)) == 1)))
        return max(acc, 1.0 - acc)

    def transform(self, X, which="pos"):
        """(n, d) float32: X mapped into the normalized space with the POS
        ('pos', 0) or NEG ('neg', 1) statistics."""
        self._check_fitted()
        w = _choice("which", which, _WHICH)
        m, keep = as_matrix(X)
        out = np.empty((m.rows, self.n_features_in_), dtype=np.float32)
        h = self._h
        with h.lock:
            _lib.check(lib.gp_ccs_transform(h.raw, ctypes.byref(m), w, out.ctypes.data,
                                            self.n_features_in_))
        return out

    def loss_trace(self, t=None):
        """The CCS loss of try t (default: the kept one) at each epoch
        (adam) or iteration (lbfgs), before that step's update; an empty
        array for crc/vinc and for a loaded probe (no trace)."""
        self._check_fitted()
        t = self.best_try_ if t is None else int(t)
        if not 0 <= t < self.tries_:
            raise GeoprobeValueError("loss_trace: try %d is out of range 0..%d" % (t, self.tries_ - 1))
        n = c_int32(0)
        h = self._h
        with h.lock:
            p = lib.gp_ccs_trace(h.raw, t, ctypes.byref(n))
            return copy_out(p, (n.value,)) if p and n.value > 0 else np.empty(0)

    def plot_contrast(self, x_pos, x_neg, y=None, **kw):
        """p(x+) against p(x-) per pair, colored by y (1 = x+ true), with the
        consistency line p+ + p- = 1: geoprobe.plot.contrast on credence();
        PNG bytes, or the file named by path=."""
        from . import plot
        pp, pn, _ = self.credence(x_pos, x_neg)
        kw.setdefault("title", "%s: p(x+) against p(x-)" % self.method_.upper())
        return plot.contrast(pp, pn, y, **kw)

    # ------------------------------------------------------------ files

    def save(self, path, metadata=None, **extra):
        """Write .safetensors as the CLI's --save does (weight (1, d), bias,
        pos_mean/neg_mean/pos_scale/neg_scale, metadata with method, norm,
        sign, Platt, loss); `geoprobe apply` and load_ccs/load_probe read it.
        metadata (a dict) and keyword arguments add string pairs (other
        values are stored as JSON). Returns path."""
        self._check_fitted()
        meta = {"source": "geoprobe-python",
                "params": json.dumps({k: getattr(self, k) for k in
                                      ("method", "norm", "optimizer", "tries", "seed")},
                                     separators=(",", ":"))}
        meta.update(metadata or {})
        meta.update(extra)
        keys = [str(k).encode() for k in meta]
        vals = [(v if isinstance(v, str) else json.dumps(v)).encode() for v in meta.values()]
        ck = (ctypes.c_char_p * len(keys))(*keys)
        cv = (ctypes.c_char_p * len(vals))(*vals)
        h = self._h
        with h.lock:
            _lib.check(lib.gp_ccs_save(h.raw, _lib.cstr(path), len(keys), ck, cv))
        return path


def load_ccs(path):
    """A contrast-pair probe saved by CCS.save or `geoprobe ccs --save`.
    Its metadata is in .metadata_ (a dict of strings); tries_ is 1 and
    loss_trace() empty (the file keeps only the kept direction)."""
    _lib.need("ccs")
    out = _void_out()
    _lib.check(lib.gp_ccs_load(_lib.cstr(path), ctypes.byref(out)))
    h = _Handle(out.value, lib.gp_ccs_free)
    self = CCS.__new__(CCS)
    CCS.__init__(self)
    self._attach(h)
    self.method, self.norm = self.method_, self.norm_
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
    return self
