#pragma once
// The umbrella header: the tensor, the tape, every op and gradcheck.

#include <tapegrad/error.hpp>
#include <tapegrad/functional.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/gradcheck.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>
#if __has_include(<tapegrad/nn.hpp>)
#include <tapegrad/nn.hpp>
#endif
