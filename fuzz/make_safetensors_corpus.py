#!/usr/bin/env python3
"""Writes the seed files of safetensors_load_fuzzer (fuzz/corpus/safetensors_load_fuzzer/),
with the spec writer of tests/data/formats/make_formats.py:

    /usr/bin/python3 fuzz/make_safetensors_corpus.py fuzz/corpus

The fuzzers' model (Dense(4, 3), Tanh, Dense(3, 2), float64) in each dtype, with
metadata, and headers a little off: escapes, unicode, an empty tensor, a hole, an
overlap, a wrong byte count, a truncated file, an unknown dtype, trailing bytes.
(tests/data/formats/*.safetensors are copied in too.)
"""
import os
import shutil
import struct
import sys

import numpy

sys.dont_write_bytecode = True  # no __pycache__ in tests/data/formats

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "data", "formats"))
from make_formats import bfloat16_bits, write_safetensors  # noqa: E402

corpus = os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus"),
                      "safetensors_load_fuzzer")
os.makedirs(corpus, exist_ok=True)

params = {
    "0.weight": numpy.arange(12.0).reshape(3, 4),
    "0.bias": numpy.array([0.1, 0.2, 0.3]),
    "2.weight": numpy.arange(6.0).reshape(2, 3),
    "2.bias": numpy.array([-1.0, -2.0]),
}


def model(name, dtype, convert, metadata=None, ensure_ascii=True):
    write_safetensors(os.path.join(corpus, name),
                      {k: (dtype, v.shape, convert(v)) for k, v in params.items()},
                      metadata=metadata, ensure_ascii=ensure_ascii)


model("model_f64.safetensors", "F64", lambda v: v.astype("<f8").tobytes(), {"format": "pt"})
model("model_f32.safetensors", "F32", lambda v: v.astype("<f4").tobytes())
model("model_f16.safetensors", "F16", lambda v: v.astype("<f2").tobytes(),
      {"n\u00f6te": "\"\\/\b\f\n\r\t\U0001D4B3"})
model("model_bf16.safetensors", "BF16", lambda v: bfloat16_bits(v).tobytes(),
      {"\u00e9": "\u6f22"}, ensure_ascii=False)
model("model_i64.safetensors", "I64", lambda v: v.round().astype("<i8").tobytes())
model("model_i32.safetensors", "I32", lambda v: v.round().astype("<i4").tobytes())
model("model_u8.safetensors", "U8", lambda v: v.round().clip(0).astype("|u1").tobytes())
model("model_bool.safetensors", "BOOL", lambda v: (v > 1).tobytes())


def raw(name, header, data=b""):
    text = header.encode()
    with open(os.path.join(corpus, name), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


w = '"w":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}'
raw("empty_tensor.safetensors",
    '{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},' + w + '}', bytes(16))
raw("hole.safetensors", '{"w":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}', bytes(16))
raw("overlap.safetensors",
    '{' + w + ',"v":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}', bytes(16))
raw("byte_count.safetensors", '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}',
    bytes(16))
raw("truncated.safetensors", '{' + w + '}', bytes(8))
raw("unknown_dtype.safetensors", '{"w":{"dtype":"I8","shape":[16],"data_offsets":[0,16]}}',
    bytes(16))
raw("trailing.safetensors", '{' + w + '}  x', bytes(16))
raw("bad_bool.safetensors", '{"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}',
    b"\x01\x07")
raw("surrogates.safetensors", '{"\\ud835\\udcb3":{"dtype":"U8","shape":[1],'
    '"data_offsets":[0,1]},"__metadata__":{"\\u0000":"\\ud800"}}', b"\x01")
for name in ("dtypes.safetensors", "unicode.safetensors", "mlp.safetensors"):
    shutil.copy(os.path.join(here, "..", "tests", "data", "formats", name), corpus)
for name in sorted(os.listdir(corpus)):
    print(name)
