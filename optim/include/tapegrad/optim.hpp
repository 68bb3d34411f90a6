#pragma once
// The optimizers, tg::optim: SGD, Adam, AdamW, RMSprop and Adagrad on any parameters (or
// parameter groups), LBFGS (step(closure)), learning-rate schedules, optimizer state
// files, and gradient clipping (tg::nn::clip_grad_norm_ / clip_grad_value_,
// torch.nn.utils's names).

#include <tapegrad/optim/adagrad.hpp>
#include <tapegrad/optim/adam.hpp>
#include <tapegrad/optim/checkpoint.hpp>
#include <tapegrad/optim/clip_grad.hpp>
#include <tapegrad/optim/lbfgs.hpp>
#include <tapegrad/optim/lr_scheduler.hpp>
#include <tapegrad/optim/optimizer.hpp>
#include <tapegrad/optim/reduce_lr_on_plateau.hpp>
#include <tapegrad/optim/rmsprop.hpp>
#include <tapegrad/optim/scheduler_state.hpp>
#include <tapegrad/optim/sgd.hpp>
