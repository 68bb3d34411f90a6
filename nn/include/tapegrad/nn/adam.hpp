#pragma once
// Kept so that existing includes compile: tg::optim lives in <tapegrad/optim/adam.hpp>.

#include <tapegrad/optim/adam.hpp>
