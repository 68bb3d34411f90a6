#pragma once
// Every differentiable operation.

#include <tapegrad/ops/activation.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/attention.hpp>
#include <tapegrad/ops/compare.hpp>
#include <tapegrad/ops/conv.hpp>
#include <tapegrad/ops/dropout.hpp>
#include <tapegrad/ops/factory.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/loss.hpp>
#include <tapegrad/ops/mask.hpp>
#include <tapegrad/ops/math.hpp>
#include <tapegrad/ops/matmul.hpp>
#include <tapegrad/ops/normalization.hpp>
#include <tapegrad/ops/pool.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/ops/shape.hpp>
#include <tapegrad/ops/softmax.hpp>
#include <tapegrad/ops/trig.hpp>
