#pragma once
// Everything in tg::nn: modules and containers, layers, losses, initializers, random
// numbers, data batching, DataParallel, checkpoints, state dicts (.npz and safetensors),
// dtype conversion and the bridge to the manual-backprop reference. The optimizers are in
// <tapegrad/optim.hpp>.

#include <tapegrad/nn/activation.hpp>
#include <tapegrad/nn/activation_checkpoint.hpp>
#include <tapegrad/nn/attention.hpp>
#include <tapegrad/nn/checkpoint.hpp>
#include <tapegrad/nn/conv.hpp>
#include <tapegrad/nn/convert.hpp>
#include <tapegrad/nn/data.hpp>
#include <tapegrad/nn/data_parallel.hpp>
#include <tapegrad/nn/dense.hpp>
#include <tapegrad/nn/embedding.hpp>
#include <tapegrad/nn/functional_module.hpp>
#include <tapegrad/nn/init.hpp>
#include <tapegrad/nn/losses.hpp>
#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/module_dict.hpp>
#include <tapegrad/nn/module_holder.hpp>
#include <tapegrad/nn/module_list.hpp>
#include <tapegrad/nn/normalization.hpp>
#include <tapegrad/nn/pooling.hpp>
#include <tapegrad/nn/random.hpp>
#include <tapegrad/nn/recurrent.hpp>
#include <tapegrad/nn/reference.hpp>
#include <tapegrad/nn/repr.hpp>
#include <tapegrad/nn/sequential.hpp>
#include <tapegrad/nn/state_dict.hpp>
#include <tapegrad/nn/summary.hpp>
#include <tapegrad/nn/training_checkpoint.hpp>
