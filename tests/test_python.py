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
    assert _lib.lib.gp_abi_version() == geoprobe.ABI_VERSION == 1
    assert geoprobe.__version__.count(".") == 2


def test_abi_mismatch_is_refused(monkeypatch):
    monkeypatch.setattr(_lib, "ABI_VERSION", 2)
    with pytest.raises(ImportError, match="ABI version 1.*ABI 2"):
        _lib.check_abi(_lib.lib.gp_abi_version())


def test_abi_mismatch_refused_at_import(tmp_path):
    # a copy of the package written for ABI 99, imported in a fresh interpreter
    pkg = tmp_path / "geoprobe"
    pkg.mkdir()
    for f in os.listdir(os.path.join(ROOT, "python", "geoprobe")):
        if f.endswith(".py"):
            src = open(os.path.join(ROOT, "python", "geoprobe", f)).read()
            if f == "_lib.py":
                src = src.replace("ABI_VERSION = 1", "ABI_VERSION = 99")
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
    geoprobe.PCA(3).fit(X, progress=True)  # tqdm when installed; nothing otherwise


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
