#pragma once
// The optimizers, tg::optim: SGD and Adam on any module's parameters.

#include <tapegrad/optim/adam.hpp>
#include <tapegrad/optim/optimizer.hpp>
#include <tapegrad/optim/sgd.hpp>
