#pragma once
// The umbrella header: every public header of tapegrad::tapegrad. The core (tensor, tape,
// grad mode, errors and TG_CHECK, printing, threads), every op, gradcheck and the functional helpers,
// tg::io (named arrays in .npz and safetensors files), tg::optim and tg::nn (DataParallel
// included). Not here: <tapegrad/distributed.hpp> (MPI; the target
// tapegrad::distributed, package component `distributed`) and the
// tg::detail / tg::io::detail headers, which are for tapegrad's own code.
// tests/public_headers.cmake (ctest public_headers_reachable) checks that every other
// public header is reachable from this one.

#include <tapegrad/activation_checkpoint.hpp>
#include <tapegrad/array.hpp>
#include <tapegrad/broadcast.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/error.hpp>
#include <tapegrad/functional.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/gradcheck.hpp>
#include <tapegrad/io.hpp>
#include <tapegrad/memory.hpp>
#include <tapegrad/nn.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/optim.hpp>
#include <tapegrad/print.hpp>
#include <tapegrad/profiler.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/tensor.hpp>
#include <tapegrad/threads.hpp>
