"""pytest setup for the Python binding: python/ on sys.path, and geoprobe
imported before anything loads numpy, so it can pick the OpenBLAS core."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
os.environ.setdefault("GEOPROBE_LIB", os.path.join(ROOT, "libgeoprobe.so"))

import geoprobe  # noqa: E402,F401  (first: before numpy loads OpenBLAS)
