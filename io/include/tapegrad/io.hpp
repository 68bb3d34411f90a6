#pragma once
// Everything in tg::io: named arrays in numpy's .npz and in safetensors files, read
// strictly with dtype conversion and written atomically (tg::nn::load_state_dict loads
// a module from either).

#include <tapegrad/io/dtype.hpp>
#include <tapegrad/io/npz.hpp>
#include <tapegrad/io/safetensors.hpp>
