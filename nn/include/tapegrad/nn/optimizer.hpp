#pragma once
// Kept so that existing includes compile: tg::optim lives in <tapegrad/optim/optimizer.hpp>.

#include <tapegrad/optim/optimizer.hpp>
