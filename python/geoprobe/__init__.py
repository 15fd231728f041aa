"""geoprobe: linear probes and representation geometry on numpy arrays.

A pure-Python ctypes binding over libgeoprobe.so (no compiled extension, no
dependency beyond numpy)::

    import geoprobe, numpy as np
    X = geoprobe.load("acts.npy@12")               # (n, d) float32
    pca = geoprobe.PCA(n_components=10).fit(X)
    probe = geoprobe.LogisticProbe(C="auto", standardize=True).fit(X, y)
    probe.predict_proba(X); probe.save("p.safetensors")

Library lookup: $GEOPROBE_LIB, then libgeoprobe.so next to the package
(python/geoprobe/../../ in a checkout, or the package folder), then the
system path (ctypes.util.find_library). The library's gp_abi_version() must
equal ABI_VERSION, else ImportError.

Arrays: a C-contiguous (rows may be strided, columns contiguous), aligned,
native-endian float32 array — or float64 — is passed to C by pointer with no
copy. Any other dtype or layout (int, float16, Fortran order, a transposed
view, a column slice with stride...) is converted once with
np.ascontiguousarray(X, dtype=np.float32). Results are new numpy arrays
(copied out of the C result, which is then freed) or small dataclasses.

Errors: every C failure raises a GeoprobeError carrying .status and the
library's message; the subclasses are also ValueError (bad argument, shape,
dtype, NaN/Inf, file content), OSError (file I/O), MemoryError and
RuntimeError (solver/LAPACK/internal).

Contrast pairs: geoprobe.CCS(method='ccs'|'crc'|'vinc', ...).fit(x_pos,
x_neg), then .calibrate(x_pos, x_neg, y) to fix the sign; .credence,
.predict_proba, .score (sign-calibrated accuracy), .paper_accuracy,
.save / geoprobe.load_ccs (geoprobe.load_probe also returns a CCS for such
a file).

Plots: geoprobe.plot.scatter/scree/hist/curve/heatmap/contrast return PNG
bytes (shown inline by Jupyter) or write .png/.svg/.pdf; pca.plot_scree(),
ccs.plot_contrast(x_pos, x_neg, y).

Progress: PCA.fit, the probes' fit and CCS.fit take progress=callable(done,
total, stage) or progress=True / 'tqdm' (a tqdm.auto bar; ImportError when
tqdm is not installed). An exception in the callable (KeyboardInterrupt too)
cancels the C call and is re-raised.

Threads: ctypes releases the GIL during calls; separate objects may be
fitted from separate threads at once (one object must not be used by two).

BLAS: Debian's OpenBLAS 0.3.21 runs generic "Prescott" kernels on CPUs it
does not recognise. Unless OPENBLAS_CORETYPE is set or GEOPROBE_BLAS_CORE is
'keep', importing geoprobe sets OPENBLAS_CORETYPE from /proc/cpuinfo
(SkylakeX / Haswell) before numpy or libgeoprobe loads OpenBLAS. This only
works when geoprobe is imported before numpy (numpy's libblas.so.3 is the
same OpenBLAS on Debian); otherwise a warning says how to fix it. See
blas_info().

A library built before the contrast-pair probes or the plots still
imports; their first call raises GeoprobeUnavailableError (see
geoprobe.plot.available()).
"""
from . import _blas

_blas.prepare()  # before numpy: it loads OpenBLAS

import warnings as _warnings  # noqa: E402


from . import _lib  # noqa: E402
from ._lib import (ABI_VERSION, GeoprobeError, GeoprobeMemoryError, GeoprobeOSError,  # noqa: E402
                   GeoprobeRuntimeError, GeoprobeUnavailableError, GeoprobeValueError)
from ._api import (PCA, ClassSeparation, LDAProbe, LogisticProbe, MassMeanProbe, Metrics,  # noqa: E402
                   RegressionMetrics, RidgeProbe, bootstrap_ci, cka, class_separation,
                   control_labels, cosine, info, kfold, load, load_labels, load_probe, metrics,
                   regression_metrics, train_test_split)
from ._ccs import CCS, load_ccs  # noqa: E402
from . import plot  # noqa: E402

__version__ = _lib.lib.gp_version().decode()
library_path = _lib.lib_path


def blas_core():
    """The OpenBLAS core running the products ("SkylakeX", "Haswell", "Prescott"...)."""
    return _lib.lib.gp_blas_core().decode()


def blas_info():
    """What geoprobe knows about its BLAS: core, configuration, the core it
    should use when it fell back (None when fine), threads, OPENBLAS_CORETYPE,
    whether geoprobe set it, and whether OpenBLAS was already loaded (and so
    its core fixed) before `import geoprobe`, and the BLAS/LAPACK files mapped
    in the process (on Debian numpy's libblas.so.3 and libgeoprobe's
    libopenblas.so.0 both end in the same libopenblasp-r0.3.21.so)."""
    import os
    sug = _lib.lib.gp_blas_core_suggested()
    return {"core": blas_core(), "config": _lib.lib.gp_blas_config().decode(),
            "suggested": sug.decode() if sug else None, "threads": _lib.lib.gp_get_threads(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "coretype_set_by_geoprobe": _blas.state["coretype_set_by_geoprobe"],
            "openblas_loaded_before_import": _blas.state["openblas_loaded_before"],
            "openblas_loaded": _blas.openblas_loaded(), "blas_files": _blas.blas_files(),
            "library": library_path}


def set_threads(n):
    """BLAS threads for the process (n <= 0: one per core)."""
    _lib.lib.gp_set_threads(int(n))


def get_threads():
    return int(_lib.lib.gp_get_threads())


def _warn_blas():
    sug = _lib.lib.gp_blas_core_suggested()
    if not sug:
        return
    why = ("OpenBLAS was loaded before geoprobe (import geoprobe before numpy, or start Python "
           "with OPENBLAS_CORETYPE=%s)" % sug.decode()
           if _blas.state["openblas_loaded_before"] else
           "set OPENBLAS_CORETYPE=%s before starting Python" % sug.decode())
    _warnings.warn("geoprobe: OpenBLAS runs its generic '%s' kernels, several times slower than "
                   "'%s' on this CPU; %s" % (blas_core(), sug.decode(), why),
                   RuntimeWarning, stacklevel=3)


_warn_blas()

__all__ = ["PCA", "LogisticProbe", "MassMeanProbe", "LDAProbe", "RidgeProbe", "load_probe",
           "CCS", "load_ccs", "plot", "GeoprobeUnavailableError",
           "cka", "cosine", "class_separation", "ClassSeparation", "metrics", "Metrics",
           "bootstrap_ci", "regression_metrics", "RegressionMetrics", "train_test_split", "kfold",
           "control_labels", "load", "info", "load_labels", "blas_core", "blas_info",
           "set_threads", "get_threads", "GeoprobeError", "GeoprobeValueError", "GeoprobeOSError",
           "GeoprobeMemoryError", "GeoprobeRuntimeError", "ABI_VERSION", "library_path"]
