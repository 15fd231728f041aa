"""Pick OpenBLAS's core before libopenblas is loaded (stdlib only).

Debian's OpenBLAS 0.3.21 does not recognise some recent CPUs and falls back
to its generic "Prescott" kernels, several times slower than the AVX2/AVX-512
ones. OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded, so this
module must run before anything loads it. On Debian, numpy's libblas.so.3
(openblas-pthread alternative) and libgeoprobe's libopenblas.so.0 resolve to
the same file, libopenblasp-r0.3.21.so: importing numpy first already fixes
the core. geoprobe/__init__.py therefore calls prepare() before it imports
numpy; when OpenBLAS is already in the process it can only warn afterwards.
"""
import os

# Filled by prepare(): what was done, for blas_info().
state = {"coretype_set_by_geoprobe": None, "openblas_loaded_before": None}


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def suggested_core(flags=None):
    """'SkylakeX' (AVX-512 F/BW/DQ/VL), 'Haswell' (AVX2 + FMA) or None."""
    flags = _cpu_flags() if flags is None else flags
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return "SkylakeX"
    if {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def openblas_loaded():
    """Path of an OpenBLAS already mapped in this process, else None."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                base = os.path.basename(path)
                if base.startswith("libopenblas"):
                    return os.path.realpath(path)
    except OSError:
        pass
    return None


def blas_files():
    """Real paths of the BLAS/LAPACK libraries mapped in this process."""
    out = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and ("blas" in parts[-1] or "lapack" in parts[-1]):
                    real = os.path.realpath(parts[-1])
                    if real not in out:
                        out.append(real)
    except OSError:
        pass
    return out


def prepare():
    loaded = openblas_loaded()
    state["openblas_loaded_before"] = loaded
    if os.environ.get("OPENBLAS_CORETYPE") or os.environ.get("GEOPROBE_BLAS_CORE") == "keep":
        return
    if loaded:
        return  # too late: the core is chosen; warned about after loading
    core = suggested_core()
    if core:
        os.environ["OPENBLAS_CORETYPE"] = core
        state["coretype_set_by_geoprobe"] = core
