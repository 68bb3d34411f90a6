#!/usr/bin/env python3
"""Writes the hand-made checkpoint regression inputs of
tests/nn/checkpoint_fuzz_regression_test.cpp (the fuzz_*.npy files next to them are
inputs the fuzzers found, kept as they were).

Each is a .npz archive for the fuzzers' model (Dense(4, 3), Tanh, Dense(3, 2)) whose
0.weight.npy entry holds one .npy header that crashed tg::nn::load, or made it read
outside a string. Run with /usr/bin/python3 (standard library only) from this folder.
"""
import struct
import zipfile


def npy(header: bytes, data: bytes = b"\0" * 96) -> bytes:
    """A version-1.0 .npy array with exactly this header (no padding added)."""
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def npz(path: str, weight: bytes, deflated: bool = False) -> None:
    method = zipfile.ZIP_DEFLATED if deflated else zipfile.ZIP_STORED
    entry = zipfile.ZipInfo("0.weight.npy", date_time=(1980, 1, 1, 0, 0, 0))  # reproducible
    entry.compress_type = method
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(entry, weight)


def padded(text: str) -> bytes:
    """A header dictionary padded with spaces and a newline, as numpy writes it."""
    raw = text.encode()
    total = 10 + len(raw) + 1
    return raw + b" " * ((64 - total % 64) % 64) + b"\n"


# A 'descr' of 40,000 digits: libstdc++'s std::regex, which xtensor's header parser
# uses to check the dtype, recurses once per character and overflows the stack
# (SIGSEGV from about 30,000 characters with an 8 MiB stack). Deflated: 40 KB of the
# same digit compresses to a few hundred bytes.
npz("long_descr.npz",
    npy(padded("{'descr': '<f" + "8" * 40000 + "', 'fortran_order': False, 'shape': (3, 4), }")),
    deflated=True)

# The same within the 10,000-byte header limit: 9,850 characters. Fine on the main
# thread's 8 MiB stack; the recursion needs about 2.5 KiB of stack per 10 characters,
# so a thread with a 1 MiB stack (Windows' default, and more than musl's or macOS's
# secondary threads get) still overflows.
npz("long_descr_under_limit.npz",
    npy(padded("{'descr': '<f" + "8" * 9850 + "', 'fortran_order': False, 'shape': (3, 4), }")),
    deflated=True)

# Headers for which xtensor's parser calls std::string::back() on an empty string
# (undefined behaviour), besides the two the fuzzer found: a header of only the
# newline, and a 'shape' key followed by a colon and no value.
npz("newline_header.npz", npy(b"\n"))
npz("empty_shape_value.npz", npy(padded("{'descr': '<f8', 'fortran_order': False, 'shape':}")))
