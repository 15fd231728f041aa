"""Python binding (python/geoprobe) against numpy, scikit-learn, the C
library's own answers and the CLI. Run by `make check-py`."""
import json
import os
import subprocess
import threading
import tracemalloc
import warnings

import numpy as np
import pytest

import geoprobe
from geoprobe import _lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "geoprobe")
DEMO = os.path.join(ROOT, "datasets", "larger_than")


def blobs(n=300, d=12, k=2, sep=1.5, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    means = rng.standard_normal((k, d)) * sep
    X = rng.standard_normal((n, d)) + means[y] + offset
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def Xy():
    return blobs()


# ------------------------------------------------------------------ library, BLAS

def test_library_loads_with_the_right_abi():
    assert _lib.lib.gp_abi_version() == geoprobe.ABI_VERSION == 2
    assert geoprobe.__version__.count(".") == 2


def test_abi_mismatch_is_refused(monkeypatch):
    monkeypatch.setattr(_lib, "ABI_VERSION", 3)
    with pytest.raises(ImportError, match="ABI version 2.*ABI 3"):
        _lib.check_abi(_lib.lib.gp_abi_version())


def test_abi_mismatch_refused_at_import(tmp_path):
    # a copy of the package written for ABI 99, imported in a fresh interpreter
    pkg = tmp_path / "geoprobe"
    pkg.mkdir()
    for f in os.listdir(os.path.join(ROOT, "python", "geoprobe")):
        if f.endswith(".py"):
            src = open(os.path.join(ROOT, "python", "geoprobe", f)).read()
            if f == "_lib.py":
                src = src.replace("ABI_VERSION = 2", "ABI_VERSION = 99")
            (pkg / f).write_text(src)
    r = subprocess.run(["/usr/bin/python3", "-c", "import geoprobe"], cwd=tmp_path,
                       capture_output=True, text=True, env=dict(os.environ, GEOPROBE_BLAS_CORE="keep"))
    assert r.returncode != 0 and "ImportError" in r.stderr and "ABI 99" in r.stderr, r.stderr


def test_blas_core_is_fixed_when_geoprobe_is_imported_first():
    info = geoprobe.blas_info()
    print(info)
    assert info["core"] == geoprobe.blas_core() and info["config"].startswith("OpenBLAS")
    if info["openblas_loaded_before_import"] is None and geoprobe._blas.suggested_core():
        # geoprobe chose the core before numpy or libgeoprobe loaded OpenBLAS
        assert info["suggested"] is None
        assert info["core"] != "Prescott"
    loaded = open("/proc/self/maps").read()
    assert "libopenblas" in loaded


def test_blas_warning_when_numpy_came_first():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    code = ("import sys; sys.path.insert(0, %r)\nimport numpy, warnings\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n    import geoprobe\n"
            "i = geoprobe.blas_info()\n"
            "print(i['suggested'], bool(i['openblas_loaded_before_import']), len(w))\n"
            % os.path.join(ROOT, "python"))
    out = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    suggested, before, n_warn = out.stdout.split()
    assert before == "True"
    assert (suggested == "None") == (n_warn == "0")


def test_cpuinfo_core_choice():
    assert geoprobe._blas.suggested_core({"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"}) == "SkylakeX"
    assert geoprobe._blas.suggested_core({"avx2", "fma"}) == "Haswell"
    assert geoprobe._blas.suggested_core({"sse2"}) is None


# ------------------------------------------------------------------ PCA

def test_pca_matches_sklearn(Xy):
    from sklearn.decomposition import PCA as SkPCA
    X, _ = Xy
    for solver in ("cov", "svd"):
        p = geoprobe.PCA(n_components=5, solver=solver).fit(X)
        sk = SkPCA(n_components=5, svd_solver="full").fit(X.astype(np.float64))
        assert p.solver_ == solver and p.n_components_ == 5
        np.testing.assert_allclose(p.explained_variance_ratio_, sk.explained_variance_ratio_, rtol=1e-4)
        np.testing.assert_allclose(p.explained_variance_, sk.explained_variance_, rtol=1e-4)
        np.testing.assert_allclose(p.singular_values_, sk.singular_values_, rtol=1e-4)
        np.testing.assert_allclose(p.mean_, sk.mean_, atol=1e-5)
        # scikit-learn 1.2 fixes signs by U; geoprobe by the largest-|v| entry (sklearn >= 1.5)
        flip = np.sign(sk.components_[np.arange(5), np.abs(sk.components_).argmax(1)])
        np.testing.assert_allclose(p.components_, sk.components_ * flip[:, None], atol=1e-4)
        np.testing.assert_allclose(p.transform(X), sk.transform(X) * flip, atol=1e-3)


def test_pca_randomized_and_whiten(Xy):
    X, _ = Xy
    full = geoprobe.PCA(3).fit(X)
    r = geoprobe.PCA(3, solver="randomized", random_state=1).fit(X)
    assert r.solver_ == "randomized"
    np.testing.assert_allclose(r.explained_variance_, full.explained_variance_, rtol=1e-2)
    Z = geoprobe.PCA(3, whiten=True).fit_transform(X)
    np.testing.assert_allclose(Z.var(axis=0, ddof=1), 1.0, rtol=1e-3)
    assert geoprobe.PCA().fit(X).n_components_ == X.shape[1]


def test_pca_matches_cli(Xy, tmp_path):
    X, _ = Xy
    np.save(tmp_path / "x.npy", X)
    subprocess.run([CLI, "pca", str(tmp_path / "x.npy"), "-k", "4", "-q", "--components",
                    str(tmp_path / "c.npy"), "--project", str(tmp_path / "z.npy")], check=True,
                   capture_output=True)
    p = geoprobe.PCA(4).fit(X)
    np.testing.assert_array_equal(p.components_, np.load(tmp_path / "c.npy"))
    np.testing.assert_array_equal(p.transform(X), np.load(tmp_path / "z.npy"))


def test_pca_class_centroids(Xy):
    X, y = Xy
    p = geoprobe.PCA(4).fit(X)
    classes, cen, share = p.class_centroids(X, np.where(y == 1, "b", "a"))
    assert list(classes) == ["a", "b"]
    Z = p.transform(X)
    np.testing.assert_allclose(cen[1], Z[y == 1].mean(0), atol=1e-4)
    assert 0 <= share.sum() <= 1 + 1e-9


def test_progress_callback_and_cancel(Xy):
    X, y = Xy
    calls = []
    geoprobe.PCA(3).fit(X, progress=lambda d, t, s: calls.append((d, t, s)))
    assert calls and all(isinstance(s, str) and 0 <= d <= t for d, t, s in calls)

    def stop(d, t, s):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        geoprobe.PCA(3).fit(X, progress=stop)
    try:
        import tqdm  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="needs tqdm"):
            geoprobe.PCA(3).fit(X, progress=True)
    else:
        geoprobe.PCA(3).fit(X, progress=True)  # a tqdm bar


# ------------------------------------------------------------------ zero copy

def test_float32_c_arrays_are_not_copied():
    X = np.random.default_rng(1).standard_normal((4000, 256)).astype(np.float32)  # 4 MB
    m, keep = geoprobe._core.as_matrix(X)
    assert keep is X and m.data == X.ctypes.data and m.ld == 256
    sub = X[::2]  # strided rows, contiguous columns: still no copy (ld = 512)
    m, keep = geoprobe._core.as_matrix(sub)
    assert m.data == X.ctypes.data and m.ld == 512 and m.rows == 2000
    for view in (X.T, X[::-1], X[:, ::2], np.broadcast_to(X[0], X.shape)):
        m, keep = geoprobe._core.as_matrix(view)  # converted once, to C order
        assert not np.shares_memory(keep, X) and keep.flags.c_contiguous and m.ld == keep.shape[1]
        np.testing.assert_array_equal(keep, view)
    p = geoprobe.PCA(2).fit(X[:500])
    tracemalloc.start()
    p.transform(X)
    geoprobe.cosine(X[:100])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000, peak  # the 4 MB input was not copied (output is 32 KB)
    tracemalloc.start()
    p.transform(X.astype(np.float16))  # a float16 array is converted: 4 MB float32 copy
    _, peak16 = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak16 > 4_000_000


def test_float64_passes_through(Xy):
    X, _ = Xy
    X64 = X.astype(np.float64)
    m, keep = geoprobe._core.as_matrix(X64)
    assert keep is X64 and m.dtype == 1
    np.testing.assert_allclose(geoprobe.PCA(3).fit(X64).explained_variance_,
                               geoprobe.PCA(3).fit(X).explained_variance_, rtol=1e-5)


def test_load_memory_maps_float32_npy(tmp_path, Xy):
    X, _ = Xy
    np.save(tmp_path / "x.npy", X)
    a = geoprobe.load(str(tmp_path / "x.npy"))
    assert isinstance(a, np.memmap) and not a.flags.writeable
    np.testing.assert_array_equal(a, X)
    np.save(tmp_path / "h.npy", X.astype(np.float16))
    h = geoprobe.load(tmp_path / "h.npy")
    assert h.dtype == np.float32 and not isinstance(h, np.memmap)
    np.testing.assert_array_equal(h, X.astype(np.float16).astype(np.float32))
    np.save(tmp_path / "s.npy", np.stack([X, 2 * X]))
    np.testing.assert_array_equal(geoprobe.load(str(tmp_path / "s.npy") + "@1"), 2 * X)


# ------------------------------------------------------------------ geometry

def numpy_cka(X, Y):
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    return np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))


def test_cka_cosine_separation(Xy):
    X, y = Xy
    rng = np.random.default_rng(3)
    Y = (X @ rng.standard_normal((12, 7)) + 0.5 * rng.standard_normal((300, 7))).astype(np.float32)
    np.testing.assert_allclose(geoprobe.cka(X, Y), numpy_cka(X.astype(float), Y.astype(float)), rtol=1e-5)
    assert 0 < geoprobe.cka(X, Y, debiased=True) < 1
    with pytest.warns(RuntimeWarning, match="constant"):
        assert geoprobe.cka(X, np.ones((300, 3), np.float32)) == 0.0
    A = X[:20].astype(float)
    An = A / np.linalg.norm(A, axis=1, keepdims=True)
    np.testing.assert_allclose(geoprobe.cosine(X[:20]), An @ An.T, atol=1e-6)
    s = geoprobe.class_separation(X, y)
    mu = X[y == 1].mean(0) - X[y == 0].mean(0)
    assert s.n_classes == 2 and list(s.classes) == [0, 1]
    np.testing.assert_allclose(s.mean_distance, np.linalg.norm(mu), rtol=1e-5)
    assert 0 < s.between_var_fraction < 1


# ------------------------------------------------------------------ probes vs scikit-learn

@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_logistic_matches_sklearn():
    from sklearn.linear_model import LogisticRegression
    X, y = blobs(n=400, d=10, sep=0.4, offset=3.0)
    labels = np.where(y == 1, "yes", "no")
    p = geoprobe.LogisticProbe(C=0.5).fit(X, labels)
    sk = LogisticRegression(C=0.5, solver="newton-cg", tol=1e-12, max_iter=1000).fit(X.astype(float), labels)
    assert list(p.classes_) == ["no", "yes"] and p.converged_ and p.C_ == 0.5 and p.n_iter_ > 0
    np.testing.assert_allclose(p.coef_, sk.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p.intercept_, sk.intercept_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p.predict_proba(X), sk.predict_proba(X.astype(float)), atol=1e-6)
    np.testing.assert_allclose(p.decision_function(X), sk.decision_function(X.astype(float)), atol=1e-5)
    assert (p.predict(X) == sk.predict(X.astype(float))).mean() > 0.99
    assert p.score(X, labels) == pytest.approx(sk.score(X.astype(float), labels), abs=0.01)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_logistic_multiclass_balanced_cv():
    from sklearn.linear_model import LogisticRegression
    X, y = blobs(n=300, d=8, k=3, sep=0.8, seed=4)
    p = geoprobe.LogisticProbe(C=2.0, class_weight="balanced").fit(X, y + 10)
    sk = LogisticRegression(C=2.0, solver="newton-cg", tol=1e-12, max_iter=1000,
                            class_weight="balanced").fit(X.astype(float), y + 10)
    assert p.coef_.shape == (3, 8) and list(p.classes_) == [10, 11, 12]
    np.testing.assert_allclose(p.predict_proba(X), sk.predict_proba(X.astype(float)), atol=1e-5)
    auto = geoprobe.LogisticProbe(C="auto", cv=3).fit(X, y)
    assert auto.C_ > 0 and auto.score(X, y) > 0.8


def test_lda_massmean_ridge_match_sklearn(Xy):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import Ridge
    X, y = Xy
    lda = geoprobe.LDAProbe().fit(X, y)
    sk = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(X.astype(float), y)
    np.testing.assert_allclose(lda.coef_, sk.coef_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(lda.intercept_, sk.intercept_, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(lda.predict_proba(X), sk.predict_proba(X.astype(float)), atol=1e-5)
    mm = geoprobe.MassMeanProbe().fit(X, y)
    mu = X[y == 1].mean(0) - X[y == 0].mean(0)
    cosv = mm.coef_[0] @ mu / np.linalg.norm(mm.coef_[0]) / np.linalg.norm(mu)
    assert cosv == pytest.approx(1.0, abs=1e-6) and mm.score(X, y) > 0.9
    assert geoprobe.MassMeanProbe(iid=True).fit(X, y).method_ == "massmean-iid"
    t = X @ np.arange(12, dtype=np.float32) + 0.1
    r = geoprobe.RidgeProbe(alpha=2.0).fit(X, t)
    skr = Ridge(alpha=2.0).fit(X.astype(float), t.astype(float))
    np.testing.assert_allclose(r.coef_[0], skr.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.intercept_[0], skr.intercept_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(r.predict(X), skr.predict(X.astype(float)), rtol=1e-5, atol=1e-4)
    assert r.score(X, t) == pytest.approx(skr.score(X.astype(float), t), abs=1e-6)
    with pytest.raises(ValueError, match="regression"):
        r.predict_proba(X)


def test_from_weights():
    w = np.array([[1.0, -2.0]])
    p = geoprobe.LogisticProbe.from_weights(w, [0.5], classes=["a", "b"])
    X = np.array([[1, 0], [0, 1]], np.float32)
    np.testing.assert_allclose(p.decision_function(X), [1.5, -1.5])
    assert list(p.predict(X)) == ["b", "a"]


# ------------------------------------------------------------------ save / load / CLI

def test_save_load_roundtrip_and_cli_apply(tmp_path):
    X, y = blobs(n=200, d=6, seed=5)
    labels = np.where(y == 1, "pos", "neg")
    p = geoprobe.LogisticProbe(C=1.0, standardize=True).fit(X, labels)
    path = str(tmp_path / "p.safetensors")
    p.save(path, metadata={"note": "test"})
    q = geoprobe.load_probe(path)
    assert type(q) is geoprobe.LogisticProbe and q.standardize
    assert list(q.classes_) == ["neg", "pos"] and q.metadata_["note"] == "test"
    assert json.loads(q.metadata_["classes"]) == ["neg", "pos"]
    np.testing.assert_allclose(q.coef_, p.coef_, rtol=1e-6)  # saved as float32
    assert (q.predict(X) == p.predict(X)).all()
    np.save(tmp_path / "x.npy", X)
    with open(tmp_path / "y.txt", "w") as f:
        f.write("\n".join(labels) + "\n")
    out = subprocess.run([CLI, "apply", path, str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.txt"),
                          "--scores", str(tmp_path / "s.npy"), "--bootstrap", "0", "--json", "-", "-q"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    np.testing.assert_allclose(np.load(tmp_path / "s.npy"), q.decision_function(X), rtol=1e-6, atol=1e-9)
    rep = json.loads(out.stdout)
    assert json.dumps(rep).find(str(round(q.score(X, labels), 4))[:5]) >= 0
    for cls, probe in ((geoprobe.LDAProbe, geoprobe.LDAProbe().fit(X, y)),
                       (geoprobe.RidgeProbe, geoprobe.RidgeProbe().fit(X, X[:, 0] * 2.0))):
        probe.save(path)
        back = geoprobe.load_probe(path)
        assert type(back) is cls
        np.testing.assert_allclose(back.decision_function(X), probe.decision_function(X), rtol=1e-5, atol=1e-5)


def test_load_probe_saved_by_cli(tmp_path):
    X, y = blobs(n=200, d=6, seed=6)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", (y == 1))
    subprocess.run([CLI, "probe", str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"),
                    "--test-frac", "0", "--bootstrap", "0", "-q", "--save", str(tmp_path / "p.safetensors")],
                   check=True, capture_output=True)
    q = geoprobe.load_probe(str(tmp_path / "p.safetensors"))
    p = geoprobe.LogisticProbe().fit(X, y == 1)
    assert list(q.classes_) == [False, True]
    np.testing.assert_allclose(q.coef_, p.coef_, rtol=1e-5)  # float32 file, same fit as the CLI's


# ------------------------------------------------------------------ metrics, splits, files

def test_metrics_and_splits(Xy):
    from sklearn.metrics import balanced_accuracy_score, log_loss, roc_auc_score
    X, y = Xy
    p = geoprobe.LogisticProbe().fit(X, y)
    P = p.predict_proba(X)
    m = geoprobe.metrics(y, P)
    assert m.n == 300 and m.confusion.sum() == 300
    assert m.auroc == pytest.approx(roc_auc_score(y, P[:, 1]), abs=1e-12)
    assert m.log_loss == pytest.approx(log_loss(y, P), rel=1e-9)
    assert m.balanced_accuracy == pytest.approx(balanced_accuracy_score(y, P.argmax(1)))
    assert geoprobe.metrics(np.where(y == 1, "b", "a"), P, classes=["a", "b"]).accuracy == m.accuracy
    ci = geoprobe.bootstrap_ci(y, P, n_boot=200, seed=1)
    assert ci["accuracy"][0] <= m.accuracy <= ci["accuracy"][1]
    is_test = geoprobe.train_test_split(y, 0.2, seed=0)
    assert is_test.dtype == bool and abs(is_test.sum() - 60) <= 2
    folds = geoprobe.kfold(y, 5)
    assert set(folds) == set(range(5))
    assert set(geoprobe.control_labels(y + 3)) <= {3, 4}
    r = geoprobe.regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert r.r2 == 1.0 and r.mse == 0.0


def test_info_and_labels(tmp_path, Xy):
    X, y = Xy
    X = X.copy()
    X[7, 3] = np.nan
    np.save(tmp_path / "x.npy", X)
    i = geoprobe.info(str(tmp_path / "x.npy"))
    assert (i["rows"], i["cols"], i["n_nan"], i["first_bad_row"], i["first_bad_col"]) == (300, 12, 1, 7, 3)
    assert len(i["top_dims"]) == 8 and geoprobe.info(X)["n_nan"] == 1
    np.save(tmp_path / "y.npy", y.astype(np.int32))
    np.testing.assert_array_equal(geoprobe.load_labels(str(tmp_path / "y.npy")), y)
    (tmp_path / "y.txt").write_text("cat\ndog\ncat\n")
    assert list(geoprobe.load_labels(str(tmp_path / "y.txt"))) == ["cat", "dog", "cat"]


# ------------------------------------------------------------------ bad input

def test_bad_inputs_raise_with_the_library_message(Xy, tmp_path):
    X, y = Xy
    with pytest.raises(ValueError, match="not numeric|convert"):
        geoprobe.PCA(2).fit(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="2-D"):
        geoprobe.PCA(2).fit(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match="2-D"):
        geoprobe.cosine(np.zeros(5, np.float32))
    with pytest.raises(ValueError, match="empty"):
        geoprobe.LogisticProbe().fit(np.zeros((0, 3), np.float32), [])
    bad = X.copy()
    bad[5, 2] = np.nan
    with pytest.raises(ValueError, match=r"pca: X: non-finite value NaN at row 5, column 2") as e:
        geoprobe.PCA(2).fit(bad)
    assert isinstance(e.value, geoprobe.GeoprobeError) and e.value.status == -7
    with pytest.raises(ValueError, match="row 5, column 2"):
        geoprobe.LogisticProbe().fit(bad, y)
    with pytest.raises(ValueError, match="cka: Y: non-finite value NaN at row 5, column 2"):
        geoprobe.cka(X, bad)
    with pytest.raises(ValueError, match="299 entries but X has 300"):
        geoprobe.LogisticProbe().fit(X, y[:-1])
    with pytest.raises(ValueError, match="one class"):
        geoprobe.LDAProbe().fit(X, np.zeros(300))
    with pytest.raises(ValueError, match="rows"):
        geoprobe.cka(X, X[:10])
    with pytest.raises(ValueError):
        geoprobe.PCA(50).fit(X)  # k > min(n, d): the library's GP_EINVAL
    with pytest.raises(ValueError, match="columns|features|12|shape"):
        geoprobe.PCA(2).fit(X).transform(X[:, :5])
    with pytest.raises(ValueError, match="not fitted"):
        geoprobe.LogisticProbe().predict(X)
    with pytest.raises(ValueError, match="C must be"):
        geoprobe.LogisticProbe(C=-1).fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        geoprobe.PCA(solver="magic").fit(X)
    with pytest.raises(OSError, match="nope.npy") as e:
        geoprobe.load(str(tmp_path / "nope.npy"))
    assert e.value.status == -3
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(ValueError, match="junk.npy"):
        geoprobe.load(str(tmp_path / "junk.npy"))
    with pytest.raises(OSError):
        geoprobe.load_probe(str(tmp_path / "nope.safetensors"))
    # non-contiguous works after one conversion, and gives the same answer
    Xf = np.asfortranarray(X)
    np.testing.assert_allclose(geoprobe.PCA(3).fit(Xf).components_, geoprobe.PCA(3).fit(X).components_,
                               atol=1e-6)
    np.testing.assert_allclose(geoprobe.cosine(X[:10, ::2]), geoprobe.cosine(np.ascontiguousarray(X[:10, ::2])))
    assert geoprobe.LogisticProbe().fit(X.astype(np.int64), y).coef_.shape == (1, 12)


# ------------------------------------------------------------------ threads

def test_two_threads_fit_like_sequential():
    data = [blobs(n=4000, d=96, k=3, seed=s, sep=0.3) for s in (10, 11)]

    def fit(X, y):
        return (geoprobe.LogisticProbe(C=0.1).fit(X, y).coef_, geoprobe.LDAProbe().fit(X, y).coef_,
                geoprobe.PCA(8).fit(X).components_, geoprobe.cka(X, X[:, :40]))

    seq = [fit(X, y) for X, y in data]
    res = [[], []]
    start = threading.Barrier(2)

    def work(i):
        start.wait()
        for _ in range(3):  # overlapping calls: ctypes drops the GIL in each
            res[i].append(fit(*data[i]))

    ts = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    # one fitted probe used from two threads: calls on a handle are serialized
    probe = geoprobe.LogisticProbe(C=0.1).fit(*data[0])
    want = probe.predict_proba(data[0][0])
    got = [None, None]
    ts = [threading.Thread(target=lambda i=i: got.__setitem__(i, probe.predict_proba(data[0][0])))
          for i in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    np.testing.assert_array_equal(got[0], want)
    np.testing.assert_array_equal(got[1], want)
    for i in (0, 1):
        assert len(res[i]) == 3
        for r in res[i]:
            for got, want in zip(r, seq[i]):
                np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ the demo data

@pytest.mark.skipif(not os.path.exists(os.path.join(DEMO, "plain_layer3.npy")), reason="demo data absent")
def test_demo_dataset_probe():
    xs, ys = os.path.join(DEMO, "plain_layer3.npy"), os.path.join(DEMO, "labels.npy")
    X = geoprobe.load(xs)
    y = geoprobe.load_labels(ys)
    assert isinstance(X, np.memmap) and X.shape[0] == len(y)
    is_test = geoprobe.train_test_split(y, 0.2, seed=0)
    p = geoprobe.LogisticProbe(standardize=True).fit(X[~is_test], y[~is_test])
    acc = p.score(X[is_test], y[is_test])
    assert acc >= 0.9
    # the CLI on the same files, split and options: the same probe and numbers
    out = subprocess.run([CLI, "probe", xs, "--labels", ys, "--standardize", "--test-frac", "0.2",
                          "--seed", "0", "--bootstrap", "0", "--json", "-", "-q"],
                         capture_output=True, text=True, check=True)
    rep = json.loads(out.stdout)
    assert rep["test"]["accuracy"] == pytest.approx(acc, abs=1e-12)
    assert rep["n_iter"] == p.n_iter_ and rep["C"] == p.C_
    np.testing.assert_allclose(np.ravel(rep["weight"]), p.coef_.ravel(), rtol=1e-9, atol=1e-12)
    m = geoprobe.metrics(y[is_test], p.predict_proba(X[is_test]), classes=p.classes_)
    assert m.confusion.tolist() == rep["test"]["confusion"]
    assert m.auroc == pytest.approx(rep["test"]["auroc"], abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert geoprobe.PCA(10).fit(X).explained_variance_ratio_.sum() <= 1.0


# ------------------------------------------------------------------ struct layouts

def test_struct_layouts_match_the_header(tmp_path):
    """Every ctypes mirror has the C struct's size and field offsets (a C
    program compiled against include/geoprobe.h prints them)."""
    import ctypes
    import shutil
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    lines, want = [], {}
    for py, c in _lib.C_STRUCTS.items():
        S = getattr(_lib, py)
        lines.append('printf("%s sizeof %%zu\\n", sizeof(%s));' % (c, c))
        want["%s sizeof" % c] = ctypes.sizeof(S)
        for name, _ in S._fields_:
            lines.append('printf("%s %s %%zu\\n", offsetof(%s, %s));' % (c, name, c, name))
            want["%s %s" % (c, name)] = getattr(S, name).offset
    src = tmp_path / "layout.c"
    src.write_text("#include <geoprobe.h>\n#include <stddef.h>\n#include <stdio.h>\n"
                   "int main(void) {\n%s\nreturn 0;\n}\n" % "\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run([cc, "-std=c11", "-I", os.path.join(ROOT, "include"), str(src), "-o", str(exe)],
                   check=True, capture_output=True)
    got = {}
    for line in subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.splitlines():
        key, val = line.rsplit(" ", 1)
        got[key] = int(val)
    assert got == want


# ------------------------------------------------------------------ contrast pairs (CCS, CRC, VINC)

CCS_FIX = os.path.join(os.environ.get("GP_FIXTURES", os.path.join(ROOT, "build", "fixtures")), "ccs")
needs_ccs_fixtures = pytest.mark.skipif(not os.path.exists(os.path.join(CCS_FIX, "planted_pos.npy")),
                                        reason="CCS fixtures absent (make fixtures)")


def ccs_fix(name):
    return np.load(os.path.join(CCS_FIX, name + ".npy"))


@pytest.fixture(scope="module")
def pairs():
    return ccs_fix("planted_pos"), ccs_fix("planted_neg"), ccs_fix("planted_y")


def np_norm(X, norm):
    """The normalization as the header defines it, in numpy float64."""
    X = X.astype(np.float64)
    mu = X.mean(0)
    C = X - mu
    if norm == "burns":
        sc = np.full(X.shape[1], np.linalg.norm(C, axis=1).mean() / np.sqrt(X.shape[1]))
    elif norm == "center":
        sc = np.ones(X.shape[1])
    else:
        sc = C.std(0)
    return mu, sc


def unit_cos(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


@needs_ccs_fixtures
def test_ccs_closed_forms_match_numpy(pairs):
    P, N, y = pairs
    for norm in ("burns", "center", "feature"):
        (mp, sp), (mn, sn) = np_norm(P, norm), np_norm(N, norm)
        Pn, Nn = (P - mp) / sp, (N - mn) / sn
        D = Pn - Nn
        D -= D.mean(0)
        top = np.linalg.eigh(D.T @ D / len(D))[1][:, -1]  # the test's own top PC
        c = geoprobe.CCS(method="crc", norm=norm).fit(P, N)
        assert c.method_ == "crc" and c.norm_ == norm and c.intercept_ == 0.0
        assert c.tries_ == 1 and c.try_cosines_.shape == (1, 1) and len(c.loss_trace()) == 0
        np.testing.assert_allclose(c.mean_, np.stack([mp, mn]), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(c.scale_, np.stack([sp, sn]), rtol=1e-12)
        assert abs(unit_cos(c.coef_, top)) == pytest.approx(1.0, abs=1e-9)
        np.testing.assert_allclose(c.coef_ / np.linalg.norm(c.coef_), ccs_fix("crc_" + norm), atol=1e-6)
        np.testing.assert_allclose(c.transform(P, "pos"), Pn, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(c.transform(N, which=1), Nn, rtol=1e-5, atol=1e-5)
        pp, pn, cr = c.credence(P, N)
        np.testing.assert_allclose(pp, sigmoid(Pn @ c.coef_), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(pn, sigmoid(Nn @ c.coef_), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(cr, sigmoid((Pn - Nn) @ c.coef_), rtol=1e-9, atol=1e-12)
        v = geoprobe.CCS(method="vinc", norm=norm).fit(P, N)
        np.testing.assert_allclose(v.coef_ / np.linalg.norm(v.coef_), ccs_fix("vinc_" + norm), atol=1e-6)


@needs_ccs_fixtures
def test_ccs_credence_and_calibration(pairs):
    P, N, y = pairs
    c = geoprobe.CCS(tries=4, seed=3).fit(P, N)
    assert c.method_ == "ccs" and c.sign_ == 0 and c.platt_ == (1.0, 0.0) and not c.calibrated_
    assert c.try_losses_.shape == (4,) and c.try_cosines_.shape == (4, 4)
    assert c.loss_ == c.try_losses_[c.best_try_] == c.try_losses_.min()
    np.testing.assert_allclose(np.diag(c.try_cosines_), 1.0)
    tr = c.loss_trace()
    assert tr.ndim == 1 and len(tr) >= 2 and tr[-1] == pytest.approx(c.loss_, abs=1e-12)
    assert tr[-1] < tr[0] and all(len(c.loss_trace(t)) > 0 for t in range(4))
    Pn, Nn = c.transform(P, "pos").astype(np.float64), c.transform(N, "neg").astype(np.float64)
    pp, pn, cr = c.credence(P, N)
    np.testing.assert_allclose(pp, sigmoid(Pn @ c.coef_ + c.intercept_), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(pn, sigmoid(Nn @ c.coef_ + c.intercept_), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(cr, (pp + 1 - pn) / 2, rtol=1e-12)
    proba = c.predict_proba(P, N)
    np.testing.assert_allclose(proba[:, 1], cr, rtol=1e-12)  # uncalibrated: the raw credence
    with pytest.raises(ValueError, match="not calibrated"):
        c.score(P, N, y)
    paper = c.paper_accuracy(P, N, y)
    assert paper >= 0.9
    w0 = c.coef_.copy()
    assert c.calibrate(P, N, y == 1) is c  # bool labels
    assert c.sign_ in (-1, 1) and c.calibrated_ and c.platt_[0] > 0
    np.testing.assert_allclose(c.coef_, c.sign_ * w0)
    a, off = c.platt_
    _, _, cr2 = c.credence(P, N)
    q = np.clip(cr2, 1e-12, 1 - 1e-12)
    np.testing.assert_allclose(c.predict_proba(P, N)[:, 1], sigmoid(a * np.log(q / (1 - q)) + off),
                               rtol=1e-9, atol=1e-12)
    assert c.score(P, N, y) == pytest.approx(np.mean(c.predict(P, N) == y))
    assert c.score(P, N, y) >= paper - 0.05
    m = geoprobe.metrics(y, c.predict_proba(P, N))  # sklearn-shaped (n, 2)
    assert m.accuracy == pytest.approx(c.score(P, N, y))
    # labels 0/1 as floats work too; other values are refused
    c.calibrate(P, N, y.astype(np.float64))
    with pytest.raises(ValueError, match="not 0 or 1"):
        c.calibrate(P, N, y * 2)
    with pytest.raises(ValueError, match="not 0 or 1"):
        c.calibrate(P, N, y + 0.5)
    with pytest.raises(ValueError, match="0/1 or bool"):
        c.calibrate(P, N, np.where(y == 1, "t", "f"))
    with pytest.raises(ValueError, match="all true"):
        c.calibrate(P, N, np.ones_like(y))


@needs_ccs_fixtures
def test_ccs_adam_from_init_reproduces_numpy(pairs):
    """The `init` pointer, epochs, lr and weight_decay reach the library:
    the trajectory from the fixture's starting points is numpy's AdamW."""
    P, N, _ = pairs
    for case in ("adam", "adam_fast"):
        norm = ("burns", "center", "feature")[int(ccs_fix(case + "_norm"))]
        epochs, lr, wd = ccs_fix(case + "_params")
        init, trace, final = ccs_fix(case + "_init"), ccs_fix(case + "_trace"), ccs_fix(case + "_final")
        c = geoprobe.CCS(norm=norm, optimizer="adam", tries=2, epochs=int(epochs), lr=lr,
                         weight_decay=wd, init=init).fit(P, N)
        for t in range(2):
            np.testing.assert_allclose(c.loss_trace(t), trace[t], atol=1e-5)
        np.testing.assert_allclose(c.try_losses_, ccs_fix(case + "_final_loss"), atol=1e-5)
        np.testing.assert_allclose(c.coef_, final[c.best_try_, :-1], atol=1e-4)
        assert c.intercept_ == pytest.approx(final[c.best_try_, -1], abs=1e-4)
        assert c.n_iter_ == int(epochs)
    with pytest.raises(ValueError, match=r"init must be \(tries, d \+ 1\) = \(2, 13\)"):
        geoprobe.CCS(tries=2, init=init[:, :5]).fit(P, N)
    with pytest.raises(ValueError, match="init is for method='ccs'"):
        geoprobe.CCS(method="crc", init=init).fit(P, N)
    bad = init.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        geoprobe.CCS(tries=2, init=bad).fit(P, N)


@needs_ccs_fixtures
def test_ccs_matches_cli(pairs, tmp_path):
    """The CLI and the binding on the same files: the same probe."""
    files = [os.path.join(CCS_FIX, "planted_%s.npy" % s) for s in ("pos", "neg", "y")]
    for method in ("ccs", "crc"):
        saved = str(tmp_path / ("cli_%s.safetensors" % method))
        out = subprocess.run([CLI, "ccs", files[0], files[1], "--labels", files[2], "--method", method,
                              "--test-frac", "0", "--bootstrap", "0", "--seed", "5", "--json", "-", "-q",
                              "--save", saved], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        rep = json.loads(out.stdout)
        P, N, y = pairs
        c = geoprobe.CCS(method=method, seed=5).fit(P, N)
        # cJSON prints %.15g when it reads back within a relative DBL_EPSILON: 1 ulp
        exact = dict(rtol=4e-16, atol=0)
        assert rep["best_try"] == c.best_try_ and rep["n_iter"] == c.n_iter_
        np.testing.assert_allclose(rep["loss"], c.loss_, **exact)
        np.testing.assert_allclose(rep["try_losses"], c.try_losses_, **exact)
        assert rep["accuracy"] == pytest.approx(c.paper_accuracy(P, N, y), abs=1e-12)
        c.calibrate(P, N, y)
        np.testing.assert_allclose(rep["weight"], c.coef_, **exact)
        np.testing.assert_allclose(rep["bias"], c.intercept_, **exact)
        cal = rep["calibration"]
        assert cal["sign"] == c.sign_
        np.testing.assert_allclose([cal["platt_a"], cal["platt_c"]], c.platt_, **exact)
        assert rep["sign_calibrated_accuracy"] == pytest.approx(c.score(P, N, y), abs=1e-12)
        q = geoprobe.load_probe(saved)  # the CLI's file, as a CCS
        assert isinstance(q, geoprobe.CCS) and q.method_ == method and q.sign_ == c.sign_
        np.testing.assert_allclose(q.coef_, c.coef_, rtol=1e-6, atol=1e-7)  # float32 in the file
        np.testing.assert_array_equal(q.mean_, c.mean_)
        np.testing.assert_allclose(q.predict_proba(P, N), c.predict_proba(P, N), atol=1e-5)


@needs_ccs_fixtures
def test_ccs_save_load_roundtrip_and_cli_apply(pairs, tmp_path):
    P, N, y = pairs
    c = geoprobe.CCS(norm="feature", tries=3).fit(P, N).calibrate(P, N, y)
    path = str(tmp_path / "ccs.safetensors")
    assert c.save(path, metadata={"layer": 3}, note="planted") == path
    for q in (geoprobe.load_ccs(path), geoprobe.load_probe(path)):
        assert type(q) is geoprobe.CCS and q.method == q.method_ == "ccs" and q.norm_ == "feature"
        assert q.metadata_["note"] == "planted" and q.metadata_["layer"] == "3"
        assert q.metadata_["source"] == "geoprobe-python" and q.metadata_["method"] == "ccs"
        assert (q.sign_, q.platt_) == (c.sign_, c.platt_) and q.loss_ == c.loss_
        np.testing.assert_array_equal(q.mean_, c.mean_)
        np.testing.assert_array_equal(q.scale_, c.scale_)
        np.testing.assert_array_equal(q.coef_, c.coef_.astype(np.float32))
        np.testing.assert_allclose(q.predict_proba(P, N), c.predict_proba(P, N), atol=1e-5)
        assert q.score(P, N, y) == c.score(P, N, y)
        assert q.tries_ == 1 and len(q.loss_trace()) == 0
    with pytest.raises(ValueError, match="reserved"):
        c.save(str(tmp_path / "bad.safetensors"), method="mine")
    assert not os.path.exists(tmp_path / "bad.safetensors")
    # a plain probe is not a contrast-pair probe, and the other way round
    geoprobe.LogisticProbe().fit(P, y).save(str(tmp_path / "plain.safetensors"))
    with pytest.raises(ValueError, match="not a contrast-pair probe"):
        geoprobe.load_ccs(str(tmp_path / "plain.safetensors"))
    assert type(geoprobe.load_probe(str(tmp_path / "plain.safetensors"))) is geoprobe.LogisticProbe
    with pytest.raises(OSError):
        geoprobe.load_ccs(str(tmp_path / "nope.safetensors"))
    # the CLI applies the binding's file to the same pairs: the same credences
    files = [os.path.join(CCS_FIX, "planted_%s.npy" % s) for s in ("pos", "neg", "y")]
    out = subprocess.run([CLI, "apply", path, files[0], files[1], "--labels", files[2], "--scores",
                          str(tmp_path / "s.npy"), "--bootstrap", "0", "-q", "--json", "-"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    np.testing.assert_allclose(np.load(tmp_path / "s.npy"), geoprobe.load_ccs(path).predict_proba(P, N)[:, 1],
                               rtol=1e-9, atol=1e-12)


@needs_ccs_fixtures
def test_ccs_zero_copy_and_conversions(pairs):
    P, N, y = pairs
    rng = np.random.default_rng(7)
    big_p = rng.standard_normal((8000, 128)).astype(np.float32)  # 4 MB each
    big_n = (big_p + 0.1 * rng.standard_normal((8000, 128))).astype(np.float32)
    c = geoprobe.CCS(method="crc").fit(big_p[:500], big_n[:500])
    tracemalloc.start()
    c.credence(big_p, big_n)
    c.predict_proba(big_p, big_n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000, peak  # the 8 MB of pairs were not copied (outputs: 64 KB each)
    tracemalloc.start()
    c.credence(big_p.astype(np.float16), big_n)  # converted once to float32: a 4 MB copy
    _, peak16 = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak16 > 4_000_000
    # float64 passes through; Fortran order, strided and int arrays are converted; same answers
    ref = geoprobe.CCS(method="crc").fit(P, N)
    for pp, nn in ((P.astype(np.float64), N.astype(np.float64)), (np.asfortranarray(P), N),
                   (np.repeat(P, 2, axis=1)[:, ::2], N)):
        got = geoprobe.CCS(method="crc").fit(pp, nn)
        np.testing.assert_allclose(got.coef_, ref.coef_, atol=1e-5)
        np.testing.assert_allclose(got.credence(pp, nn)[2], ref.credence(P, N)[2], atol=1e-5)
    Pi, Ni = np.round(P * 10).astype(np.int32), np.round(N * 10).astype(np.int32)
    assert geoprobe.CCS(method="vinc").fit(Pi, Ni).coef_.shape == (12,)


@needs_ccs_fixtures
def test_ccs_bad_inputs_raise_with_the_library_message(pairs):
    P, N, y = pairs
    bad = P.copy()
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match=r"POS: non-finite value NaN at row 3, column 5") as e:
        geoprobe.CCS().fit(bad, N)
    assert e.value.status == -7
    with pytest.raises(ValueError, match=r"NEG: non-finite value inf at row 3, column 5|NEG: non-finite"):
        geoprobe.CCS(method="crc").fit(P, np.where(bad == bad, N, np.inf).astype(np.float32))
    with pytest.raises(ValueError, match=r"POS is \(120, 12\) but NEG is \(119, 12\)"):
        geoprobe.CCS().fit(P, N[:-1])
    with pytest.raises(ValueError, match=r"POS is \(120, 12\) but NEG is \(120, 11\)"):
        geoprobe.CCS(method="crc").fit(P, N[:, :11])
    with pytest.raises(ValueError, match="2-D"):
        geoprobe.CCS().fit(P[None], N[None])
    with pytest.raises(ValueError, match="2-D"):
        geoprobe.CCS().fit(P[0], N[0])
    with pytest.raises(ValueError, match="empty"):
        geoprobe.CCS().fit(P[:0], N[:0])
    with pytest.raises(ValueError, match="at least 2 contrast pairs"):
        geoprobe.CCS().fit(P[:1], N[:1])
    with pytest.raises(ValueError, match="every row is the same"):
        geoprobe.CCS().fit(np.ones_like(P), N)
    with pytest.raises(ValueError, match="tries must be in 1..10000"):
        geoprobe.CCS(tries=0).fit(P, N)
    with pytest.raises(ValueError, match="lr must be > 0"):
        geoprobe.CCS(optimizer="adam", lr=-1).fit(P, N)
    with pytest.raises(ValueError, match="tries must be an integer"):
        geoprobe.CCS(tries=2.5).fit(P, N)
    for kw in ({"method": "magic"}, {"norm": "l2"}, {"optimizer": "sgd"}):
        with pytest.raises(ValueError, match="must be one of"):
            geoprobe.CCS(**kw).fit(P, N)
    with pytest.raises(ValueError, match="not fitted"):
        geoprobe.CCS().credence(P, N)
    c = geoprobe.CCS(method="crc").fit(P, N)
    with pytest.raises(ValueError, match="the pairs have 5 features but the probe was fit on 12"):
        c.credence(P[:, :5], N[:, :5])
    with pytest.raises(ValueError, match="POS is"):
        c.predict_proba(P, N[:7])
    with pytest.raises(ValueError, match="ccs transform: 5 features, the probe has 12"):
        c.transform(P[:, :5])
    with pytest.raises(ValueError, match="which must be one of"):
        c.transform(P, which="both")
    with pytest.raises(ValueError, match="out of range"):
        c.loss_trace(1)
    with pytest.raises(ValueError, match="entries but X has"):
        c.calibrate(P, N, y[:-1])
    with pytest.raises(ValueError, match="row 3, column 5"):
        c.credence(bad, N)


# ------------------------------------------------------------------ progress, tqdm, GIL, threads

def check_monotone(calls):
    """Per stage: total fixed, 0 <= done <= total, done never goes back."""
    assert calls
    last = {}
    for done, total, stage in calls:
        assert isinstance(stage, str) and stage and 0 <= done <= total
        if stage in last:
            assert last[stage][1] == total and done >= last[stage][0], (stage, last[stage], done)
        last[stage] = (done, total)
    return last


@needs_ccs_fixtures
def test_progress_callables_are_monotone_and_cancel(pairs):
    P, N, _ = pairs
    X, y = blobs(n=600, d=20)
    calls = {}
    for name, fit in (("pca", lambda pg: geoprobe.PCA(4).fit(X, progress=pg)),
                      ("logistic", lambda pg: geoprobe.LogisticProbe(C="auto", cv=3).fit(X, y, progress=pg)),
                      ("adam", lambda pg: geoprobe.CCS(optimizer="adam", tries=3, epochs=50).fit(P, N, progress=pg)),
                      ("lbfgs", lambda pg: geoprobe.CCS(tries=4).fit(P, N, progress=pg)),
                      ("vinc", lambda pg: geoprobe.CCS(method="vinc").fit(P, N, progress=pg))):
        calls[name] = []
        fit(lambda d, t, s, c=calls[name]: c.append((d, t, s)))
        last = check_monotone(calls[name])
        print(name, len(calls[name]), last)
    assert calls["adam"][-1] == (50, 50, "ccs adam") and len(calls["adam"]) == 50
    assert calls["lbfgs"][-1] == (4, 4, "ccs lbfgs")
    assert calls["vinc"][-1][0] == calls["vinc"][-1][1] == 120

    seen = []

    def stop(d, t, s):
        seen.append(d)
        if d >= 5:
            raise KeyboardInterrupt

    import time
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):  # cancels the C call, re-raised when it returns
        geoprobe.CCS(optimizer="adam", tries=1, epochs=10_000_000).fit(P, N, progress=stop)
    assert seen[-1] == 5 and time.perf_counter() - t0 < 5  # all 10^7 epochs: ~40 s

    class Boom(Exception):
        pass

    def boom(d, t, s):
        raise Boom("stop")

    c = geoprobe.CCS()
    with pytest.raises(Boom):
        c.fit(P, N, progress=boom)
    assert c._h is None  # nothing half-fitted
    with pytest.raises(ValueError, match="progress must be"):
        geoprobe.CCS().fit(P, N, progress="yes")


@needs_ccs_fixtures
def test_progress_true_draws_a_tqdm_bar_on_stderr():
    pytest.importorskip("tqdm")
    code = ("import sys; sys.path.insert(0, %r)\nimport geoprobe, numpy as np\n"
            "P = np.load(%r); N = np.load(%r)\n"
            "geoprobe.CCS(optimizer='adam', epochs=400, tries=2).fit(P, N, progress=True)\n"
            "geoprobe.CCS(method='vinc').fit(P, N, progress='tqdm')\n"
            "geoprobe.PCA(3).fit(P, progress=True)\nprint('done')\n"
            % (os.path.join(ROOT, "python"), os.path.join(CCS_FIX, "planted_pos.npy"),
               os.path.join(CCS_FIX, "planted_neg.npy")))
    r = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "done\n", r.stderr
    print(repr(r.stderr[-400:]))
    assert "CCS:" in r.stderr and "/400" in r.stderr and "%|" in r.stderr
    assert "VINC:" in r.stderr and "/120" in r.stderr


def test_progress_true_without_tqdm_is_a_clear_error(monkeypatch, Xy):
    import sys
    X, _ = Xy
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm.auto now fails
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match="needs tqdm, which is not installed"):
        geoprobe.PCA(2).fit(X, progress=True)
    with pytest.raises(ImportError, match="needs tqdm"):
        geoprobe.CCS().fit(X, X[::-1], progress="tqdm")
    geoprobe.PCA(2).fit(X, progress=None)  # no bar asked: fine


@needs_ccs_fixtures
def test_gil_is_released_during_library_calls(pairs):
    """ctypes.CDLL (not PyDLL) drops the GIL around each foreign call: while
    the main thread is inside a long CCS fit, another thread runs Python.
    With a 30 s switch interval the interpreter never takes the GIL from the
    main thread by force, so the other thread only runs when a call releases
    it (under PyDLL it counts ~0 here; under CDLL thousands)."""
    import ctypes
    import sys
    import time
    assert type(_lib.lib) is ctypes.CDLL and not isinstance(_lib.lib, ctypes.PyDLL)
    assert _lib.lib._func_flags_ & ctypes._FUNCFLAG_PYTHONAPI == 0
    P, N, _ = pairs
    P, N = np.tile(P, (20, 1)), np.tile(N, (20, 1))  # 2400 pairs
    count = [0]
    stop, started = threading.Event(), threading.Event()

    def spin():
        started.set()
        while not stop.is_set():
            count[0] += 1
            time.sleep(0)  # releases the GIL each turn: the main thread gets it back at once

    old = sys.getswitchinterval()
    sys.setswitchinterval(30)
    t = threading.Thread(target=spin)
    try:
        t.start()
        started.wait()
        c = geoprobe.CCS(optimizer="adam", tries=4, epochs=1000)
        before = count[0]
        c.fit(P, N)
        during = count[0] - before
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(old)
    assert during > 50, during


@needs_ccs_fixtures
def test_two_threads_fit_pca_logistic_ccs_like_sequential(pairs):
    P, N, _ = pairs
    rng = np.random.default_rng(12)
    data = []
    for s in (0, 1):
        X, y = blobs(n=3000, d=64, seed=20 + s, sep=0.3)
        idx = rng.permutation(len(P))
        data.append((X, y, np.tile(P[idx], (10, 1)), np.tile(N[idx], (10, 1))))

    def fit(X, y, Pp, Nn):
        c = geoprobe.CCS(tries=6, seed=2).fit(Pp, Nn)
        r = geoprobe.CCS(method="crc").fit(Pp, Nn)
        return (geoprobe.PCA(6).fit(X).components_, geoprobe.LogisticProbe(C=0.5).fit(X, y).coef_,
                c.coef_, c.try_losses_, c.credence(Pp, Nn)[2], r.coef_,
                geoprobe.CCS(optimizer="adam", tries=2, epochs=60).fit(Pp, Nn).coef_)

    seq = [fit(*d) for d in data]
    res = [[], []]
    start = threading.Barrier(2)

    def work(i):
        start.wait()
        for _ in range(2):
            res[i].append(fit(*data[i]))

    ts = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    # one fitted CCS used from two threads: calls on its handle are serialized
    c = geoprobe.CCS(tries=3).fit(data[0][2], data[0][3])
    want = c.predict_proba(data[0][2], data[0][3])
    got = [None, None]
    ts = [threading.Thread(target=lambda i=i: got.__setitem__(i, c.predict_proba(data[0][2], data[0][3])))
          for i in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    np.testing.assert_array_equal(got[0], want)
    np.testing.assert_array_equal(got[1], want)
    for i in (0, 1):
        assert len(res[i]) == 2
        for r in res[i]:
            for a, b in zip(r, seq[i]):
                np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ plots

def png_chunks(data):
    """[(type, payload)] of a PNG, every CRC checked."""
    import struct
    import zlib
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    out, at = [], 8
    while at < len(data):
        n, = struct.unpack(">I", data[at:at + 4])
        kind, payload = data[at + 4:at + 8], data[at + 8:at + 8 + n]
        crc, = struct.unpack(">I", data[at + 8 + n:at + 12 + n])
        assert zlib.crc32(kind + payload) & 0xFFFFFFFF == crc, kind
        out.append((kind.decode("ascii"), payload))
        at += 12 + n
    assert out[0][0] == "IHDR" and out[-1][0] == "IEND"
    return out


def check_png(data, width, height):
    """A whole, decodable PNG of width x height; its tEXt pairs."""
    import struct
    import zlib
    chunks = png_chunks(data)
    w, h, depth, color = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (w, h) == (width, height)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    raw = zlib.decompress(b"".join(p for k, p in chunks if k == "IDAT"))
    assert len(raw) == h * (1 + (w * channels * depth + 7) // 8)
    return dict(p.split(b"\0", 1) for k, p in chunks if k == "tEXt")


def _plots_work():
    if not geoprobe.plot.available():
        return False
    try:
        geoprobe.plot.scree([0.5, 0.3], width=64, height=48)
        return True
    except geoprobe.GeoprobeError as e:
        return "not implemented" not in str(e)


needs_plots = pytest.mark.skipif(not _plots_work(), reason="libgeoprobe's plots are not built yet (stub)")


def plot_calls(tmp_path=None):
    """One call of each chart, name -> callable(**opts)."""
    rng = np.random.default_rng(0)
    x, yv = rng.standard_normal(200), rng.standard_normal(200)
    lab = np.where(np.arange(200) % 3 == 0, "a", "b")
    P = geoprobe.plot
    return {
        "scatter": lambda **o: P.scatter(x, yv, labels=lab, centroids=True, arrow=[1.0, 0.5],
                                         arrow_label="probe", x_label="PC 1", y_label="PC 2", **o),
        "scatter_values": lambda **o: P.scatter(np.stack([x, yv], 1), values=x * yv, value_label="x*y", **o),
        "scree": lambda **o: P.scree([0.5, 0.2, 0.1, 0.05], log_scale=True, **o),
        "hist": lambda **o: P.hist(x, labels=lab, bins=20, threshold=0.0, x_label="score", **o),
        "hist_one": lambda **o: P.hist(x, **o),
        "curve": lambda **o: P.curve([0, 1, 2, 3], {"logistic": [0.5, 0.9, 0.95, np.nan],
                                                    "mass-mean": [0.5, 0.6, 0.7, 0.65]},
                                     lo={"logistic": [0.45, 0.85, 0.9, np.nan], "mass-mean": [0.4, 0.5, 0.6, 0.6]},
                                     hi={"logistic": [0.55, 0.95, 0.99, np.nan], "mass-mean": [0.6, 0.7, 0.8, 0.7]},
                                     chance=0.5, x_label="layer", y_label="accuracy", **o),
        "heatmap": lambda **o: P.heatmap(rng.random((4, 3)), row_names=list("abcd"), col_names=[1, 2, 3],
                                         vmin=0, vmax=1, colorbar_label="CKA", **o),
        "contrast": lambda **o: P.contrast(rng.random(50), rng.random(50), rng.integers(0, 2, 50), **o),
    }


@needs_plots
def test_plots_return_png_bytes_of_the_requested_size():
    for name, call in plot_calls().items():
        png = call(width=640, height=480, title="test " + name, metadata={"case": name})
        assert isinstance(png, bytes) and isinstance(png, geoprobe.plot.PNG), name
        text = check_png(png, 640, 480)
        assert png.size == (640, 480) and png._repr_png_() == bytes(png)
        assert text.get(b"source") == b"geoprobe-python" and text.get(b"case") == name.encode(), text
    default = geoprobe.plot.scree([0.6, 0.4])
    check_png(default, 1600, 1200)


@needs_plots
def test_plots_write_png_svg_pdf(tmp_path):
    import glob
    import tempfile
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "geoprobe-plot-*")))
    for name, call in plot_calls().items():
        for ext in ("png", "svg", "pdf"):
            path = str(tmp_path / ("%s.%s" % (name, ext)))
            assert call(path=path, width=800, height=600) == path
            data = open(path, "rb").read()
            if ext == "png":
                check_png(data, 800, 600)
            elif ext == "svg":
                assert b"<svg" in data[:2000] and data.rstrip().endswith(b"</svg>")
            else:
                assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    assert sorted(os.listdir(tmp_path)) == sorted("%s.%s" % (n, e) for n in plot_calls()
                                                  for e in ("png", "svg", "pdf"))
    with pytest.raises(ValueError):
        geoprobe.plot.scree([0.5], path=str(tmp_path / "x.jpg"))
    assert not os.path.exists(tmp_path / "x.jpg")
    with pytest.raises(OSError):
        geoprobe.plot.scree([0.5], path=str(tmp_path / "no" / "such" / "x.png"))
    # the bytes path renders into a temporary folder and removes it
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "geoprobe-plot-*"))) == before


@needs_plots
@needs_ccs_fixtures
def test_plots_from_fitted_objects(pairs, tmp_path):
    P, N, y = pairs
    pca = geoprobe.PCA(5).fit(P)
    check_png(pca.plot_scree(width=500, height=400), 500, 400)
    check_png(geoprobe.plot.scree(pca, width=500, height=400), 500, 400)
    c = geoprobe.CCS(tries=3).fit(P, N).calibrate(P, N, y)
    png = c.plot_contrast(P, N, y, width=600, height=600)
    check_png(png, 600, 600)
    assert c.plot_contrast(P, N, path=str(tmp_path / "c.svg")).endswith("c.svg")
    with pytest.raises(ValueError, match="not fitted"):
        geoprobe.PCA(2).plot_scree()


def test_plot_bad_inputs_raise_value_error():
    P = geoprobe.plot
    bad = [lambda: P.scatter([1.0, 2.0], [1.0]),
           lambda: P.scatter(np.zeros((5, 3))),
           lambda: P.scatter([1.0, 2.0], [1.0, 2.0], labels=[0, 1, 1]),
           lambda: P.scatter([1.0, 2.0], [1.0, 2.0], labels=[0, 1], class_names=["a"]),
           lambda: P.scatter([1.0, 2.0], [1.0, 2.0], labels=[0, 1], values=[1.0, 2.0]),
           lambda: P.scatter([1.0, 2.0], [1.0, 2.0], arrow=[1.0, 2.0, 3.0]),
           lambda: P.scree([]),
           lambda: P.scree([0.5, 1.5]),
           lambda: P.scree(np.zeros((2, 2))),
           lambda: P.hist([1.0, 2.0], bins=-1),
           lambda: P.hist([1.0, 2.0], threshold=np.nan),
           lambda: P.curve([0, 1, 2], [0.5, 0.6]),
           lambda: P.curve([0, 1], {"a": [0.5, 0.6]}, lo={"a": [0.4, 0.5]}),
           lambda: P.curve([0, 1], [[0.5, 0.6]], names=["a", "b"]),
           lambda: P.heatmap([1.0, 2.0]),
           lambda: P.heatmap([[1.0, np.nan]]),
           lambda: P.heatmap([[1.0, 2.0]], row_names=["a", "b"]),
           lambda: P.heatmap([[1.0, 2.0]], vmin=2, vmax=1),
           lambda: P.contrast([0.5, 0.2], [0.5]),
           lambda: P.contrast([0.5, 1.2], [0.5, 0.5]),
           lambda: P.contrast([0.5, 0.2], [0.5, 0.5], [0, 2]),
           lambda: P.scree([0.5], width=0),
           lambda: P.scree([0.5], width=2**40),
           lambda: P.scree([0.5], dpi=-3),
           lambda: P.scree([0.5], title="a\0b")]
    for i, call in enumerate(bad):
        with pytest.raises(ValueError):
            call()
            print("no error:", i)


@needs_plots
def test_plots_skip_non_finite_points_and_report_library_errors(tmp_path):
    P = geoprobe.plot
    x = np.array([0.0, 1.0, np.nan, 3.0])
    check_png(P.scatter(x, [1.0, np.inf, 2.0, 0.5], labels=[0, 1, 0, 1], width=300, height=200), 300, 200)
    check_png(P.hist(x, width=300, height=200), 300, 200)
    check_png(P.contrast([0.2, np.nan, 0.9], [0.7, 0.5, 0.1], [0, 1, 1], width=300, height=300), 300, 300)
    check_png(P.scree([0.7, 0.3], title="", width=300, height=200), 300, 200)  # "" = no title
    for call in (lambda: P.scatter([np.nan, np.nan], [1.0, 2.0]),
                 lambda: P.hist([np.inf, np.nan]),
                 lambda: P.scree([0.5], metadata={"bad\nkey": "v"}),
                 lambda: P.scree([0.5], path=str(tmp_path / "x.gif"))):
        with pytest.raises(ValueError) as e:
            call()
        assert isinstance(e.value, geoprobe.GeoprobeError) and str(e.value)
        print(e.value)


def test_plots_missing_from_an_old_library(monkeypatch):
    """A library without gp_plot_*: import works, the call says what to do."""
    monkeypatch.setitem(_lib.missing, "plots", "gp_plot_scatter")
    assert not geoprobe.plot.available()
    with pytest.raises(geoprobe.GeoprobeUnavailableError, match="lacks gp_plot_scatter.*rebuild") as e:
        geoprobe.plot.scree([0.5, 0.5])
    assert isinstance(e.value, NotImplementedError) and not isinstance(e.value, ImportError)
    monkeypatch.setitem(_lib.missing, "ccs", "gp_ccs_fit")
    with pytest.raises(NotImplementedError, match="contrast-pair probes"):
        geoprobe.CCS().fit(np.ones((4, 2)), np.ones((4, 2)))


# ------------------------------------------------------------------ the example notebook

NOTEBOOK = os.path.join(ROOT, "python", "examples", "probing_tour.ipynb")


def test_notebook_is_valid_and_matches_its_generator():
    nb = json.load(open(NOTEBOOK, encoding="utf-8"))
    assert nb["nbformat"] == 4 and nb["nbformat_minor"] >= 4
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    kinds = [c["cell_type"] for c in nb["cells"]]
    assert kinds.count("code") >= 6 and kinds[0] == "markdown"
    for c in nb["cells"]:
        assert isinstance(c["source"], list) and c["metadata"] == {}
        if c["cell_type"] == "code":  # outputs cleared
            assert c["outputs"] == [] and c["execution_count"] is None
    assert os.path.getsize(NOTEBOOK) < 40_000
    gen = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "python", "examples", "make_probing_tour.py"),
                          "/dev/stdout"], capture_output=True, text=True, check=True).stdout
    assert gen.startswith(open(NOTEBOOK, encoding="utf-8").read()), "run python/examples/make_probing_tour.py"
    try:
        import nbformat
    except ImportError:
        return
    nbformat.validate(nbformat.read(NOTEBOOK, as_version=4))


@needs_plots
@pytest.mark.skipif(not os.path.exists(os.path.join(DEMO, "pos_layer5.npy")), reason="demo data absent")
def test_notebook_runs_top_to_bottom(monkeypatch):
    """Every code cell in order, in one namespace, from the repository root
    (IPython.display stubbed when IPython is not installed)."""
    import sys
    import types
    shown = []
    try:
        import IPython.display  # noqa: F401
        monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.extend(a))
    except ImportError:
        ipy, disp = types.ModuleType("IPython"), types.ModuleType("IPython.display")

        class Image:
            def __init__(self, data=None, **kw):
                self.data = data

        disp.Image, disp.display = Image, lambda *a, **k: shown.extend(a)
        ipy.display = disp
        monkeypatch.setitem(sys.modules, "IPython", ipy)
        monkeypatch.setitem(sys.modules, "IPython.display", disp)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))
    nb = json.load(open(NOTEBOOK, encoding="utf-8"))
    ns = {"__name__": "__main__"}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), "%s [cell %d]" % (NOTEBOOK, i), "exec"), ns)
    assert len(shown) == 7
    for img in shown:
        check_png(img.data, 1600, 1200)
    assert min(ns["acc"]["logistic"][1:]) >= 0.9 and ns["acc"]["logistic"][0] == 0.5
    assert max(ns["acc"]["mass-mean"]) < max(ns["acc"]["logistic"])
    assert np.isnan(ns["ccs_paper"][0]) and all(0.45 <= a <= 1 for a in ns["ccs_paper"][1:])
    K = ns["K"]
    np.testing.assert_allclose(np.diag(K)[1:], 1.0, atol=1e-6)
