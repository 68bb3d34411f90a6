#!/usr/bin/env python3
"""Adds the seed files numpy writes to the checkpoint fuzzers' corpus (see make_corpus.cpp).

    /usr/bin/python3 fuzz/make_numpy_corpus.py fuzz/corpus
"""
import os
import sys

import numpy

corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
npz = os.path.join(corpus, "npz_load_fuzzer")
npy = os.path.join(corpus, "npy_entry_fuzzer")
os.makedirs(npz, exist_ok=True)
os.makedirs(npy, exist_ok=True)

weight = numpy.arange(12.0).reshape(3, 4)
params = {
    "0.weight": numpy.asfortranarray(weight),
    "0.bias": numpy.array([0.1, 0.2, 0.3]),
    "2.weight": numpy.arange(6.0).reshape(2, 3),
    "2.bias": numpy.array([-1.0, -2.0]),
}
numpy.savez(os.path.join(npz, "numpy_savez.npz"), **params)
numpy.savez_compressed(os.path.join(npz, "numpy_savez_compressed.npz"), **params)
numpy.save(os.path.join(npy, "numpy_save.npy"), weight)
numpy.save(os.path.join(npy, "numpy_save_fortran_float32.npy"), numpy.asfortranarray(weight, dtype="<f4"))
numpy.save(os.path.join(npy, "numpy_save_big_endian_fortran.npy"), numpy.asfortranarray(weight, dtype=">f8"))
with open(os.path.join(npy, "numpy_version3.npy"), "wb") as f:
    numpy.lib.format.write_array(f, weight, version=(3, 0))
for name in sorted(os.listdir(npz)) + sorted(os.listdir(npy)):
    print(name)
