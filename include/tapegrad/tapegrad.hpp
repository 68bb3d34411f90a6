#pragma once
// The umbrella header: the tensor, the tape, every op, gradcheck, the functional
// helpers, nn and optim.

#include <tapegrad/error.hpp>
#include <tapegrad/functional.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/gradcheck.hpp>
#include <tapegrad/nn.hpp>
#include <tapegrad/nn/clip_grad.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/optim.hpp>
#include <tapegrad/print.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>
