#!/usr/bin/env python3
"""Writes the .npy and .npz files of tests/io/npy_test.cpp with numpy (run with
/usr/bin/python3 from this folder; the C++ tests read the files checked in, so they
need no Python).

Every array holds, in C (row-major) order, the values 0.5, 1.5, 2.5, ...: element i is
i + 0.5, whatever its dtype, byte order or memory order in the file.
"""
import numpy as np


def values(shape, dtype):
    n = int(np.prod(shape)) if len(shape) else 1
    return (np.arange(n, dtype=np.float64) + 0.5).reshape(shape).astype(dtype)


def save(name, array, version=None):
    with open(name, "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)


save("c_f8_2x3.npy", values((2, 3), "<f8"))
save("c_f4_5.npy", values((5,), "<f4"))
save("fortran_f8_2x3x4.npy", np.asfortranarray(values((2, 3, 4), "<f8")))
save("fortran_f4_3x2.npy", np.asfortranarray(values((3, 2), "<f4")))
save("big_endian_f8_2x2.npy", values((2, 2), ">f8"))
save("big_endian_fortran_f4_2x3.npy", np.asfortranarray(values((2, 3), ">f4")))
save("zero_d_f8.npy", values((), "<f8"))
save("empty_f8_0x3.npy", values((0, 3), "<f8"))
save("empty_f4_0.npy", values((0,), "<f4"))
save("version2_f8_3.npy", values((3,), "<f8"), version=(2, 0))
save("version3_f4_2x2.npy", values((2, 2), "<f4"), version=(3, 0))
# 32 axes (numpy 1.x's limit): a header of more than 128 bytes (lengths >= 0x80 once broke xtensor's reader).
save("many_axes_f8.npy", values((1,) * 31 + (2,), "<f8"))

# The fuzzers' model (Dense(4, 3), Tanh, Dense(3, 2)) as numpy writes it, stored and
# compressed, with a Fortran-ordered and a big-endian entry.
model = {
    "0.weight": np.asfortranarray(values((3, 4), "<f8")),
    "0.bias": values((3,), ">f8"),
    "2.weight": values((2, 3), "<f8"),
    "2.bias": values((2,), "<f8"),
}
np.savez("numpy_savez.npz", **model)
np.savez_compressed("numpy_savez_compressed.npz", **model)
