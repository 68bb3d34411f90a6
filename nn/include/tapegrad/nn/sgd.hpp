#pragma once
// Kept so that existing includes compile: tg::optim lives in <tapegrad/optim/sgd.hpp>.

#include <tapegrad/optim/sgd.hpp>
