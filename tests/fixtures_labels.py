#!/usr/bin/python3
"""Write the label fixtures for tests/test_labels.c into OUTDIR/labels/.

Run with Debian's python3 (numpy): /usr/bin/python3 tests/fixtures_labels.py OUTDIR
The expected ids in test_labels.c follow scikit-learn's LabelEncoder:
distinct values sorted, numbered 0..k-1.
"""
import json
import os
import sys

import numpy as np


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "build/fixtures", "labels")
    os.makedirs(out, exist_ok=True)

    def path(name):
        return os.path.join(out, name)

    def text(name, s):
        # newline="": write exactly the bytes given (\r\n stays \r\n).
        with open(path(name), "w", encoding="utf-8", newline="") as f:
            f.write(s)

    # --- valid .npy ---
    np.save(path("y_int32.npy"), np.array([0, 1, 1, 0, 1], dtype=np.int32))
    np.save(path("y_int64.npy"), np.array([2, 0, 1, 2], dtype=np.int64))
    np.save(path("y_bool.npy"), np.array([True, False, False, True]))
    np.save(path("y_float01.npy"), np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32))
    np.save(path("y_2d.npy"), np.array([[1], [0], [1]], dtype=np.int64))
    np.save(path("y_3class.npy"), np.array([7, -1, 3, 7, -1], dtype=np.int16))
    np.save(path("y_regress.npy"), np.array([0.5, -2.25, 0.1, 0.5], dtype=np.float64))

    # --- valid text ---
    text("y_str.txt", "paris\nberlin\n  rome  \nparis\nberlin\n\n\n")
    text("y_num.txt", "3\n1.5\n-2\n3")                   # no final newline
    text("y_crlf.txt", "b\r\na\r\nb\r\n")
    text("y_bom.txt", "\ufeffyes\nno\n")
    text("y.csv",
         'id,text,label\r\n'
         '0,"hello, world",pos\r\n'
         '1,"she said ""hi""",neg\r\n'
         '2,"two\nlines",pos\r\n'
         '3, plain ,neg\r\n')
    text("y_onecol.csv", "label\n1\n0\n1\n")
    text("y_digits.csv", "a,b\nx,10\ny,20\n")         # column "1" by index

    # --- valid JSON ---
    text("y_str.json", json.dumps(["cat", "dog", "cat", "ant"]))
    text("y_num.json", json.dumps([2, 0.5, 2, -1]))
    text("y_bool.json", json.dumps([True, False, True]))
    text("y_mixed.json", json.dumps(["b", 1, True, 2.5]))

    # --- bad files ---
    text("empty.txt", "")
    text("blanks.txt", "\n\n")
    text("gap.txt", "a\n\nb\n")
    text("nan.txt", "1\nnan\n2\n")
    text("empty.json", "[]")
    text("object.json", json.dumps({"labels": [0, 1]}))
    text("null.json", "[0, 1, null, 1]")
    text("nested.json", "[0, [1], 1]")
    text("broken.json", "[0, 1,")
    text("header_only.csv", "a,label\n")
    text("ragged.csv", "a,label\n1,x\n2\n3,y\n")
    text("quote.csv", 'a,label\n1,"open\n')
    text("empty_field.csv", "a,label\n1,x\n2,\n")
    text("twocol.csv", "a,b\n1,2\n")
    text("binary.txt", "a\x00b\n")
    np.save(path("nan.npy"), np.array([0.0, 1.0, np.nan, 1.0]))
    np.save(path("wide.npy"), np.zeros((4, 3), dtype=np.int32))
    np.save(path("zero.npy"), np.zeros((0,), dtype=np.int64))
    text("y.dat", "1\n2\n")
    os.makedirs(path("dir.txt"), exist_ok=True)


if __name__ == "__main__":
    main()
