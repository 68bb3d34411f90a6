#pragma once
// Everything in tg::nn and tg::optim: modules, losses, initializers, optimizers, data
// batching, checkpoints and the manual-backprop reference.

#include <tapegrad/nn/activation.hpp>
#include <tapegrad/nn/adam.hpp>
#include <tapegrad/nn/attention.hpp>
#include <tapegrad/nn/checkpoint.hpp>
#include <tapegrad/nn/conv.hpp>
#include <tapegrad/nn/convert.hpp>
#include <tapegrad/nn/data.hpp>
#include <tapegrad/nn/dense.hpp>
#include <tapegrad/nn/embedding.hpp>
#include <tapegrad/nn/functional_module.hpp>
#include <tapegrad/nn/init.hpp>
#include <tapegrad/nn/loss.hpp>
#include <tapegrad/nn/losses.hpp>
#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/module_dict.hpp>
#include <tapegrad/nn/module_list.hpp>
#include <tapegrad/nn/normalization.hpp>
#include <tapegrad/nn/optimizer.hpp>
#include <tapegrad/nn/pooling.hpp>
#include <tapegrad/nn/random.hpp>
#include <tapegrad/nn/recurrent.hpp>
#include <tapegrad/nn/reference.hpp>
#include <tapegrad/nn/sequential.hpp>
#include <tapegrad/nn/sgd.hpp>
