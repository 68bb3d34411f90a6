#!/usr/bin/env python3
"""Writes the .npz and safetensors files of tests/io/npz_arrays_test.cpp,
tests/io/safetensors_test.cpp and tests/nn/state_dict_test.cpp (run with
/usr/bin/python3 from this folder; numpy only. The C++ tests read the files checked in,
so they need no Python).

fuzz/make_safetensors_corpus.py imports write_safetensors from here.

The .npz files are written by numpy itself (numpy.savez, numpy.savez_compressed). No
safetensors package is installable here, so `write_safetensors` below writes the format
from its specification (https://github.com/huggingface/safetensors, README "Format"),
the way the library's Rust writer does: an 8-byte little-endian header length, compact
JSON (serde_json's separators) padded with spaces to a multiple of 8 bytes, the tensors
sorted by dtype (the library's enum order, largest first) then by name, their bytes
little-endian in C order, contiguous from offset 0.

Values (what the tests check, element i in C order of any array of that kind):
  float dtypes   i + 0.5 (exact in float16 and bfloat16 for the sizes used here)
  int64, int32   7 i - 5
  uint8          (37 i) mod 256
  bool           i mod 3 == 0
"""
import json
import struct

import numpy as np

# The safetensors library's Dtype enum, in its declaration order (its Ord).
SAFETENSORS_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
                     "I32", "U32", "F32", "F64", "I64", "U64"]


def values(kind, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    i = np.arange(n)
    if kind == "float":
        v = i + 0.5
    elif kind == "int":
        v = 7 * i - 5
    elif kind == "uint8":
        v = (37 * i) % 256
    else:
        v = i % 3 == 0
    return v.reshape(shape)


def bfloat16_bits(array):
    """float32 -> bfloat16 bits, rounded to nearest even (numpy has no bfloat16)."""
    u = np.ascontiguousarray(array, dtype="<f4").view("<u4").astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")


def write_safetensors(path, tensors, metadata=None, ensure_ascii=True):
    """tensors: {name: (dtype, shape, little-endian C-order bytes)}."""
    order = sorted(tensors, key=lambda name: (-SAFETENSORS_ORDER.index(tensors[name][0]), name))
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for name in order:
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=ensure_ascii).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in order:
            f.write(tensors[name][2])


def le(array, dtype):
    return np.ascontiguousarray(array, dtype=dtype).tobytes()


def main():
    # Every dtype numpy writes that tapegrad reads, with byte orders and memory orders.
    arrays = {
        "f8": values("float", (2, 3)).astype("<f8"),
        "f4": values("float", (5,)).astype("<f4"),
        "f2": values("float", (2, 2)).astype("<f2"),
        "f4_big_endian": values("float", (3,)).astype(">f4"),
        "i8": values("int", (3,)).astype("<i8"),
        "i4_fortran": np.asfortranarray(values("int", (2, 3)).astype("<i4")),
        "i4_big_endian": values("int", (3,)).astype(">i4"),
        "u1": values("uint8", (4,)).astype("|u1"),
        "b1": values("bool", (2, 3)),
        "zero_d": values("float", ()).astype("<f8"),
        "empty": values("float", (0, 3)).astype("<f8"),
    }
    np.savez("dtypes.npz", **arrays)
    np.savez_compressed("dtypes_compressed.npz", **arrays)
    # Whole numbers only, so that they load as integers too (floats holding whole numbers).
    np.savez("integers.npz", i8=arrays["i8"], i4_fortran=arrays["i4_fortran"],
             i4_big_endian=arrays["i4_big_endian"], u1=arrays["u1"], b1=arrays["b1"],
             f8_whole=values("int", (2, 2)).astype("<f8"), f2_whole=values("int", (3,)).astype("<f2"))
    # dtypes tapegrad does not read.
    np.savez("complex.npz", z=np.array([1 + 2j]))
    np.savez("strings.npz", s=np.array(["ab", "cd"]))

    # The same kinds in safetensors, one tensor per dtype, with metadata whose JSON uses
    # escapes (ensure_ascii: \u00fc, \", \\, \t, a surrogate pair).
    st = {
        "f64": ("F64", (2, 3), le(values("float", (2, 3)), "<f8")),
        "f32": ("F32", (5,), le(values("float", (5,)), "<f4")),
        "f16": ("F16", (2, 2), le(values("float", (2, 2)), "<f2")),
        "bf16": ("BF16", (4,), bfloat16_bits(values("float", (4,))).tobytes()),
        "i64": ("I64", (3,), le(values("int", (3,)), "<i8")),
        "i32": ("I32", (2, 2), le(values("int", (2, 2)), "<i4")),
        "u8": ("U8", (4,), le(values("uint8", (4,)), "|u1")),
        "bool": ("BOOL", (2, 3), le(values("bool", (2, 3)), "|b1")),
        "zero_d": ("F64", (), le(values("float", ()), "<f8")),
        "empty": ("F32", (0, 3), b""),
    }
    write_safetensors("dtypes.safetensors", st,
                      metadata={"format": "pt", "note": "\u00fcn\u00efcode \"quoted\" \\ /\t\U0001D4B3"})
    # Names in raw UTF-8 (no escapes), no metadata.
    write_safetensors("unicode.safetensors",
                      {"\u00e9t\u00e9.weight": ("F32", (2,), le(values("float", (2,)), "<f4")),
                       "\u6f22\u5b57": ("I64", (1,), le(values("int", (1,)), "<i8"))},
                      ensure_ascii=False)

    # A state dict as PyTorch's nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(),
    # nn.Linear(3, 2)) holds it: float32 weights, BatchNorm's running statistics, and its
    # num_batches_tracked as int64. The expected output for x in eval mode is computed in
    # float64 from the float32 weights.
    rng = np.random.default_rng(26)
    mlp = {
        "0.weight": rng.uniform(-0.5, 0.5, (3, 4)).astype("<f4"),
        "0.bias": rng.uniform(-0.5, 0.5, (3,)).astype("<f4"),
        "1.weight": rng.uniform(0.5, 1.5, (3,)).astype("<f4"),
        "1.bias": rng.uniform(-0.5, 0.5, (3,)).astype("<f4"),
        "1.running_mean": rng.uniform(-0.2, 0.2, (3,)).astype("<f4"),
        "1.running_var": rng.uniform(0.5, 2.0, (3,)).astype("<f4"),
        "1.num_batches_tracked": np.array(17, dtype="<i8"),
        "3.weight": rng.uniform(-0.5, 0.5, (2, 3)).astype("<f4"),
        "3.bias": rng.uniform(-0.5, 0.5, (2,)).astype("<f4"),
    }
    x = rng.uniform(-1, 1, (5, 4))
    w = {k: v.astype(np.float64) for k, v in mlp.items()}
    h = x @ w["0.weight"].T + w["0.bias"]
    h = (h - w["1.running_mean"]) / np.sqrt(w["1.running_var"] + 1e-5) * w["1.weight"] + w["1.bias"]
    y = np.maximum(h, 0) @ w["3.weight"].T + w["3.bias"]
    np.savez("mlp.npz", **mlp)
    write_safetensors("mlp.safetensors",
                      {k: ({"<f4": "F32", "<i8": "I64"}[v.dtype.str], v.shape, v.tobytes())
                       for k, v in mlp.items()},
                      metadata={"format": "pt"})
    # As a DistributedDataParallel model saves it: every name prefixed with "module.".
    np.savez("mlp_ddp.npz", **{"module." + k: v for k, v in mlp.items()})
    np.savez("mlp_io.npz", x=x, y=y)


if __name__ == "__main__":
    main()
