"""ctypes layer: find libgeoprobe, declare every symbol, map errors (R19)."""
import ctypes
import ctypes.util
import os

ABI_VERSION = 2  # GP_ABI_VERSION this package was written for

# ---------------------------------------------------------------- errors

GP_OK, GP_EINVAL, GP_ENOMEM, GP_EIO, GP_EFORMAT, GP_EDTYPE, GP_ESHAPE = 0, -1, -2, -3, -4, -5, -6
GP_ENAN, GP_ENOCONVERGE, GP_ELAPACK, GP_ECANCELLED, GP_EINTERNAL = -7, -8, -9, -10, -99


class GeoprobeError(Exception):
    """Base of every geoprobe error; .status is the gp_status code (a
    negative GP_E* value; GP_EINVAL for errors found in Python)."""

    status = GP_EINVAL


class GeoprobeValueError(GeoprobeError, ValueError):
    """Bad input: argument, shape, dtype, NaN/Inf, file content."""


class GeoprobeOSError(GeoprobeError, OSError):
    """A file is missing, unreadable or unwritable."""


class GeoprobeMemoryError(GeoprobeError, MemoryError):
    """An allocation failed or a size is too large."""


class GeoprobeRuntimeError(GeoprobeError, RuntimeError):
    """Solver, LAPACK, cancellation or internal failure."""


class GeoprobeUnavailableError(GeoprobeRuntimeError, NotImplementedError):
    """The loaded libgeoprobe predates a feature (it lacks its gp_* symbols):
    rebuild it with `make`, or point GEOPROBE_LIB at a newer build."""


_EXC = {GP_EINVAL: GeoprobeValueError, GP_ESHAPE: GeoprobeValueError,
        GP_EDTYPE: GeoprobeValueError, GP_ENAN: GeoprobeValueError,
        GP_EFORMAT: GeoprobeValueError, GP_EIO: GeoprobeOSError,
        GP_ENOMEM: GeoprobeMemoryError}

# ---------------------------------------------------------------- structs
# Mirrors of include/geoprobe.h, field by field (enums are int32).

c_enum = ctypes.c_int32
PROGRESS_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_char_p)
STATS_TOP_DIMS = 8
MAX_DIMS = 8


class Matrix(ctypes.Structure):
    _fields_ = [("dtype", c_enum), ("rows", ctypes.c_int64), ("cols", ctypes.c_int64),
                ("ld", ctypes.c_int64), ("data", ctypes.c_void_p)]


class MatrixStats(ctypes.Structure):
    _fields_ = [("n_nan", ctypes.c_int64), ("n_inf", ctypes.c_int64),
                ("first_bad_row", ctypes.c_int64), ("first_bad_col", ctypes.c_int64),
                ("min", ctypes.c_double), ("max", ctypes.c_double), ("mean", ctypes.c_double),
                ("mean_row_norm", ctypes.c_double), ("max_row_norm", ctypes.c_double),
                ("n_top", ctypes.c_int32),
                ("top_dims", ctypes.c_int64 * STATS_TOP_DIMS),
                ("top_dims_mean_abs", ctypes.c_double * STATS_TOP_DIMS),
                ("median_dim_mean_abs", ctypes.c_double)]


class PcaOpts(ctypes.Structure):
    _fields_ = [("n_components", ctypes.c_int64), ("solver", c_enum), ("whiten", ctypes.c_int32),
                ("n_oversamples", ctypes.c_int32), ("n_power_iter", ctypes.c_int32),
                ("seed", ctypes.c_uint64), ("block_rows", ctypes.c_int64),
                ("progress", PROGRESS_FN), ("progress_user", ctypes.c_void_p),
                ("cancel", ctypes.POINTER(ctypes.c_int32)), ("comm", ctypes.c_void_p)]


class ProbeOpts(ctypes.Structure):
    _fields_ = [("method", c_enum), ("C", ctypes.c_double), ("alpha", ctypes.c_double),
                ("shrinkage", ctypes.c_double), ("fit_intercept", ctypes.c_int32),
                ("class_weight_balanced", ctypes.c_int32), ("standardize", ctypes.c_int32),
                ("solver", c_enum), ("max_iter", ctypes.c_int32), ("tol", ctypes.c_double),
                ("cv_folds", ctypes.c_int32), ("n_Cs", ctypes.c_int32), ("seed", ctypes.c_uint64),
                ("progress", PROGRESS_FN), ("progress_user", ctypes.c_void_p),
                ("cancel", ctypes.POINTER(ctypes.c_int32)), ("comm", ctypes.c_void_p)]


class ClassSeparation(ctypes.Structure):
    _fields_ = [("n_classes", ctypes.c_int32), ("mean_distance", ctypes.c_double),
                ("within_std", ctypes.c_double), ("fisher_ratio", ctypes.c_double),
                ("between_var_fraction", ctypes.c_double),
                ("mean_dir_var_fraction", ctypes.c_double)]


class Metrics(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int64), ("accuracy", ctypes.c_double),
                ("balanced_accuracy", ctypes.c_double), ("auroc", ctypes.c_double),
                ("log_loss", ctypes.c_double), ("ece", ctypes.c_double)]


class RegressionMetrics(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int64), ("r2", ctypes.c_double),
                ("pearson_r", ctypes.c_double), ("mse", ctypes.c_double)]


class CcsOpts(ctypes.Structure):
    _fields_ = [("method", c_enum), ("norm", c_enum), ("optimizer", c_enum),
                ("tries", ctypes.c_int32), ("epochs", ctypes.c_int32), ("lr", ctypes.c_double),
                ("weight_decay", ctypes.c_double), ("l2", ctypes.c_double),
                ("max_iter", ctypes.c_int32), ("tol", ctypes.c_double), ("seed", ctypes.c_uint64),
                ("init", ctypes.POINTER(ctypes.c_double)),
                ("progress", PROGRESS_FN), ("progress_user", ctypes.c_void_p),
                ("cancel", ctypes.POINTER(ctypes.c_int32)), ("comm", ctypes.c_void_p)]


_cstrs = ctypes.POINTER(ctypes.c_char_p)  # const char *const *
_pd = ctypes.POINTER(ctypes.c_double)
_pi = ctypes.POINTER(ctypes.c_int32)


class PlotOpts(ctypes.Structure):
    _fields_ = [("width_px", ctypes.c_int32), ("height_px", ctypes.c_int32), ("dpi", ctypes.c_double),
                ("title", ctypes.c_char_p), ("n_meta", ctypes.c_int32),
                ("meta_keys", _cstrs), ("meta_values", _cstrs)]


class PlotScatterData(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int64), ("x", _pd), ("y", _pd), ("ids", _pi),
                ("n_classes", ctypes.c_int32), ("class_names", _cstrs), ("values", _pd),
                ("value_label", ctypes.c_char_p), ("show_centroids", ctypes.c_int32),
                ("arrow", _pd), ("arrow_label", ctypes.c_char_p),
                ("x_label", ctypes.c_char_p), ("y_label", ctypes.c_char_p)]


class PlotScreeData(ctypes.Structure):
    _fields_ = [("k", ctypes.c_int64), ("ratio", _pd), ("log_scale", ctypes.c_int32)]


class PlotHistData(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int64), ("scores", _pd), ("ids", _pi), ("n_classes", ctypes.c_int32),
                ("class_names", _cstrs), ("n_bins", ctypes.c_int32),
                ("has_threshold", ctypes.c_int32), ("threshold", ctypes.c_double),
                ("x_label", ctypes.c_char_p)]


class PlotCurveData(ctypes.Structure):
    _fields_ = [("n_series", ctypes.c_int32), ("n_points", ctypes.c_int32), ("x", _pd), ("y", _pd),
                ("lo", _pd), ("hi", _pd), ("series_names", _cstrs),
                ("has_chance", ctypes.c_int32), ("chance", ctypes.c_double),
                ("x_label", ctypes.c_char_p), ("y_label", ctypes.c_char_p)]


class PlotHeatmapData(ctypes.Structure):
    _fields_ = [("rows", ctypes.c_int32), ("cols", ctypes.c_int32), ("values", _pd),
                ("row_names", _cstrs), ("col_names", _cstrs), ("has_range", ctypes.c_int32),
                ("vmin", ctypes.c_double), ("vmax", ctypes.c_double),
                ("show_values", ctypes.c_int32), ("colorbar_label", ctypes.c_char_p),
                ("x_label", ctypes.c_char_p), ("y_label", ctypes.c_char_p)]


class PlotContrastData(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int64), ("p_pos", _pd), ("p_neg", _pd), ("ids", _pi),
                ("class_names", _cstrs)]


# Python mirror -> C typedef, for the layout check in tests/test_python.py
C_STRUCTS = {"Matrix": "gp_matrix", "MatrixStats": "gp_matrix_stats", "PcaOpts": "gp_pca_opts",
             "ProbeOpts": "gp_probe_opts", "ClassSeparation": "gp_class_separation",
             "Metrics": "gp_metrics", "RegressionMetrics": "gp_regression_metrics",
             "CcsOpts": "gp_ccs_opts", "PlotOpts": "gp_plot_opts",
             "PlotScatterData": "gp_plot_scatter_data", "PlotScreeData": "gp_plot_scree_data",
             "PlotHistData": "gp_plot_hist_data", "PlotCurveData": "gp_plot_curve_data",
             "PlotHeatmapData": "gp_plot_heatmap_data",
             "PlotContrastData": "gp_plot_contrast_data"}

# ---------------------------------------------------------------- prototypes

_p = ctypes.c_void_p
_s = ctypes.c_char_p
_i32, _i64, _u64, _dbl = ctypes.c_int32, ctypes.c_int64, ctypes.c_uint64, ctypes.c_double
_int = ctypes.c_int
_pi32 = ctypes.POINTER(ctypes.c_int32)
_pi64 = ctypes.POINTER(ctypes.c_int64)
_pdbl = ctypes.POINTER(ctypes.c_double)
_pM = ctypes.POINTER(Matrix)
_pp = ctypes.POINTER(ctypes.c_void_p)
_ss = ctypes.POINTER(ctypes.c_char_p)
ST = c_enum  # gp_status

# name: (restype, argtypes) — the one table (liblinear's fillprototype)
PROTOTYPES = {
    "gp_status_str": (_s, [ST]),
    "gp_last_error": (_s, []),
    "gp_version": (_s, []),
    "gp_abi_version": (_int, []),
    "gp_blas_core": (_s, []),
    "gp_blas_config": (_s, []),
    "gp_blas_core_suggested": (_s, []),
    "gp_set_threads": (None, [_int]),
    "gp_get_threads": (_int, []),
    "gp_free": (None, [_p]),
    "gp_dtype_name": (_s, [c_enum]),
    # files
    "gp_file_open": (ST, [_s, _pp]),
    "gp_file_close": (None, [_p]),
    "gp_file_metadata_json": (_s, [_p]),
    "gp_file_find_tensor": (_int, [_p, _s]),
    # tensors
    "gp_tensor_load": (ST, [_s, c_enum, _pp]),
    "gp_tensor_free": (None, [_p]),
    "gp_tensor_dtype": (c_enum, [_p]),
    "gp_tensor_stored_dtype": (c_enum, [_p]),
    "gp_tensor_ndim": (_int, [_p]),
    "gp_tensor_dim": (_i64, [_p, _int]),
    "gp_tensor_numel": (_i64, [_p]),
    "gp_tensor_data": (_p, [_p]),
    "gp_tensor_is_mapped": (_int, [_p]),
    "gp_tensor_matrix": (ST, [_p, _pM]),
    # labels
    "gp_labels_load": (ST, [_s, _pp]),
    "gp_labels_free": (None, [_p]),
    "gp_labels_n": (_i64, [_p]),
    "gp_labels_ids": (_pi32, [_p]),
    "gp_labels_n_classes": (_i32, [_p]),
    "gp_labels_class_name": (_s, [_p, _i32]),
    "gp_labels_is_numeric": (_int, [_p]),
    "gp_labels_values": (_pdbl, [_p]),
    # stats
    "gp_matrix_stats_compute": (ST, [_pM, ctypes.POINTER(MatrixStats)]),
    # pca
    "gp_pca_solver_name": (_s, [c_enum]),
    "gp_pca_opts_init": (None, [ctypes.POINTER(PcaOpts)]),
    "gp_pca_fit": (ST, [_pM, ctypes.POINTER(PcaOpts), _pp]),
    "gp_pca_free": (None, [_p]),
    "gp_pca_n_components": (_i64, [_p]),
    "gp_pca_n_features": (_i64, [_p]),
    "gp_pca_n_samples": (_i64, [_p]),
    "gp_pca_solver_used": (c_enum, [_p]),
    "gp_pca_components": (_pdbl, [_p]),
    "gp_pca_explained_variance": (_pdbl, [_p]),
    "gp_pca_explained_variance_ratio": (_pdbl, [_p]),
    "gp_pca_singular_values": (_pdbl, [_p]),
    "gp_pca_mean": (_pdbl, [_p]),
    "gp_pca_total_variance": (_dbl, [_p]),
    "gp_pca_transform": (ST, [_p, _pM, _p, _i64]),
    "gp_pca_class_centroids": (ST, [_p, _pM, _pi32, _i32, _pdbl, _pdbl]),
    # geometry
    "gp_cosine_matrix": (ST, [_pM, _pdbl]),
    "gp_cka": (ST, [_pM, _pM, _int, _pdbl, ctypes.POINTER(_int)]),
    "gp_class_separation_compute": (ST, [_pM, _pi32, _i32, ctypes.POINTER(ClassSeparation)]),
    # probes
    "gp_probe_method_name": (_s, [c_enum]),
    "gp_probe_opts_init": (None, [ctypes.POINTER(ProbeOpts)]),
    "gp_probe_fit": (ST, [_pM, _pi32, _i32, ctypes.POINTER(ProbeOpts), _pp]),
    "gp_probe_fit_regression": (ST, [_pM, _pdbl, ctypes.POINTER(ProbeOpts), _pp]),
    "gp_probe_free": (None, [_p]),
    "gp_probe_get_method": (c_enum, [_p]),
    "gp_probe_n_features": (_i64, [_p]),
    "gp_probe_n_classes": (_i32, [_p]),
    "gp_probe_n_outputs": (_i32, [_p]),
    "gp_probe_weight": (_pdbl, [_p]),
    "gp_probe_bias": (_pdbl, [_p]),
    "gp_probe_C": (_dbl, [_p]),
    "gp_probe_n_iter": (_i32, [_p]),
    "gp_probe_converged": (_i32, [_p]),
    "gp_probe_decision": (ST, [_p, _pM, _pdbl]),
    "gp_probe_predict_proba": (ST, [_p, _pM, _pdbl]),
    "gp_probe_predict": (ST, [_p, _pM, _pi32]),
    "gp_probe_from_weights": (ST, [c_enum, _i32, _i32, _i64, _pdbl, _pdbl, _pp]),
    "gp_probe_save": (ST, [_p, _s, _int, _ss, _ss]),
    "gp_probe_load": (ST, [_s, _pp]),
    "gp_probe_metadata": (_s, [_p, _s]),
    # metrics and splits
    "gp_metrics_compute": (ST, [_pi32, _pdbl, _i64, _i32, ctypes.POINTER(Metrics), _pi64]),
    "gp_metrics_bootstrap": (ST, [_pi32, _pdbl, _i64, _i32, _i32, _u64, _pdbl, _pdbl]),
    "gp_regression_metrics_compute": (ST, [_pdbl, _pdbl, _i64, ctypes.POINTER(RegressionMetrics)]),
    "gp_split_train_test": (ST, [_pi32, _i64, _i32, _dbl, _u64, ctypes.POINTER(ctypes.c_uint8)]),
    "gp_split_kfold": (ST, [_pi32, _i64, _i32, _i32, _u64, _pi32]),
    "gp_control_labels": (ST, [_pi32, _pi32, _i64, _i32, _u64, _pi32]),
}

# Later features, by group: a library built before them still imports; the
# first call of a missing one raises GeoprobeUnavailableError (see need()).
_pCcs = ctypes.POINTER(CcsOpts)
OPTIONAL = {
    "ccs": {
        "gp_ccs_method_name": (_s, [c_enum]),
        "gp_ccs_norm_name": (_s, [c_enum]),
        "gp_ccs_optimizer_name": (_s, [c_enum]),
        "gp_ccs_opts_init": (None, [_pCcs]),
        "gp_ccs_fit": (ST, [_pM, _pM, _pCcs, _pp]),
        "gp_ccs_free": (None, [_p]),
        "gp_ccs_get_method": (c_enum, [_p]),
        "gp_ccs_get_norm": (c_enum, [_p]),
        "gp_ccs_n_features": (_i64, [_p]),
        "gp_ccs_weight": (_pdbl, [_p]),
        "gp_ccs_bias": (_dbl, [_p]),
        "gp_ccs_mean": (_pdbl, [_p, _int]),
        "gp_ccs_scale": (_pdbl, [_p, _int]),
        "gp_ccs_tries": (_i32, [_p]),
        "gp_ccs_try_losses": (_pdbl, [_p]),
        "gp_ccs_try_cosines": (_pdbl, [_p]),
        "gp_ccs_best_try": (_i32, [_p]),
        "gp_ccs_loss": (_dbl, [_p]),
        "gp_ccs_n_iter": (_i32, [_p]),
        "gp_ccs_converged": (_i32, [_p]),
        "gp_ccs_trace": (_pdbl, [_p, _i32, _pi32]),
        "gp_ccs_transform": (ST, [_p, _pM, _int, _p, _i64]),
        "gp_ccs_credence": (ST, [_p, _pM, _pM, _pdbl, _pdbl, _pdbl]),
        "gp_ccs_calibrate": (ST, [_p, _pM, _pM, _pi32]),
        "gp_ccs_sign": (_i32, [_p]),
        "gp_ccs_platt": (None, [_p, _pdbl, _pdbl]),
        "gp_ccs_predict_proba": (ST, [_p, _pM, _pM, _pdbl]),
        "gp_ccs_save": (ST, [_p, _s, _int, _ss, _ss]),
        "gp_ccs_load": (ST, [_s, _pp]),
        "gp_ccs_metadata": (_s, [_p, _s]),
    },
    "plots": {
        "gp_plot_opts_init": (None, [ctypes.POINTER(PlotOpts)]),
        "gp_plot_scatter": (ST, [ctypes.POINTER(PlotScatterData), ctypes.POINTER(PlotOpts), _s]),
        "gp_plot_scree": (ST, [ctypes.POINTER(PlotScreeData), ctypes.POINTER(PlotOpts), _s]),
        "gp_plot_hist": (ST, [ctypes.POINTER(PlotHistData), ctypes.POINTER(PlotOpts), _s]),
        "gp_plot_curve": (ST, [ctypes.POINTER(PlotCurveData), ctypes.POINTER(PlotOpts), _s]),
        "gp_plot_heatmap": (ST, [ctypes.POINTER(PlotHeatmapData), ctypes.POINTER(PlotOpts), _s]),
        "gp_plot_contrast": (ST, [ctypes.POINTER(PlotContrastData), ctypes.POINTER(PlotOpts), _s]),
    },
}

# ---------------------------------------------------------------- loading


def _candidates():
    env = os.environ.get("GEOPROBE_LIB")
    if env:
        return [env], True
    here = os.path.dirname(os.path.abspath(__file__))
    out = [os.path.join(here, "..", "..", "libgeoprobe.so"),  # checkout: python/geoprobe/../../
           os.path.join(here, "libgeoprobe.so")]
    found = ctypes.util.find_library("geoprobe")
    if found:
        out.append(found)
    return out, False


def _open():
    paths, from_env = _candidates()
    errors = []
    for path in paths:
        if not from_env and os.sep in path and not os.path.exists(path):
            continue
        try:
            return ctypes.CDLL(path), os.path.normpath(os.path.abspath(path)) if os.sep in path else path
        except OSError as e:
            errors.append("%s: %s" % (path, e))
    if from_env:
        raise ImportError("geoprobe: cannot load GEOPROBE_LIB=%s (%s)" % (paths[0], "; ".join(errors)))
    raise ImportError("geoprobe: libgeoprobe.so not found (tried GEOPROBE_LIB, %s, and the system "
                      "library path); run `make` in the checkout or set GEOPROBE_LIB" %
                      ", ".join(os.path.normpath(p) for p in paths[:2]))


def check_abi(found):
    if found != ABI_VERSION:
        raise ImportError("geoprobe: libgeoprobe ABI version %d, but this Python package was written "
                          "for ABI %d; use the package from the same checkout/version as the library"
                          % (found, ABI_VERSION))


lib, lib_path = _open()
for _name, (_res, _args) in PROTOTYPES.items():
    try:
        _fn = getattr(lib, _name)
    except AttributeError:
        raise ImportError("geoprobe: %s lacks symbol %s (library too old?)" % (lib_path, _name))
    _fn.restype = _res
    _fn.argtypes = _args
check_abi(lib.gp_abi_version())

# group -> the first symbol the library lacks (None: the group is complete)
missing = {}
for _group, _table in OPTIONAL.items():
    missing[_group] = None
    for _name, (_res, _args) in _table.items():
        try:
            _fn = getattr(lib, _name)
        except AttributeError:
            missing[_group] = missing[_group] or _name
            continue
        _fn.restype = _res
        _fn.argtypes = _args

_FEATURE = {"ccs": "contrast-pair probes (CCS, CRC, VINC)", "plots": "plots"}


def has(group):
    """True when the loaded library has every symbol of an OPTIONAL group."""
    return missing.get(group) is None


def need(group):
    """Raise GeoprobeUnavailableError unless the library has the group."""
    if missing.get(group) is not None:
        raise GeoprobeUnavailableError(
            "geoprobe: the %s are not in the loaded library %s (it lacks %s; the library predates "
            "them): rebuild it with `make` in the checkout, or set GEOPROBE_LIB to a newer "
            "libgeoprobe.so" % (_FEATURE[group], lib_path, missing[group]))


def last_error():
    return (lib.gp_last_error() or b"").decode("utf-8", "replace")


def error(status, fallback=None):
    """The exception for a failed call: gp_last_error()'s message, or
    gp_status_str when the library left none."""
    msg = last_error() or fallback or lib.gp_status_str(status).decode()
    exc = _EXC.get(status, GeoprobeRuntimeError)(msg)
    exc.status = status
    return exc


def check(status):
    if status != GP_OK:
        raise error(status)


def cstr(s):
    if isinstance(s, bytes):
        return s
    return os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode("utf-8")
