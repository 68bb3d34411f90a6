#pragma once
// Optimizer state files: what an optimizer keeps between steps, in a .npz archive that
// numpy reads, so that a resumed run continues exactly where it stopped:
//
//     tg::nn::save(net, "net.npz");                 // the parameters
//     tg::optim::save(optimizer, "optimizer.npz");  // steps, moments, learning rates
//     ...                                           // later, in a fresh process:
//     tg::nn::load(net, "net.npz");                 // same architecture
//     tg::optim::load(optimizer, "optimizer.npz");  // same optimizer on net.parameters()
//
// Entries (each "NAME.npy" in the archive; k indexes optimizer.parameters(), g the
// parameter groups; scalars are 0-d float64 arrays):
//
//     options.NAME             float64 ()   each of hyper_parameters(): beta1, beta2, eps,
//                                           amsgrad, decoupled_weight_decay (Adam, AdamW);
//                                           momentum, nesterov (SGD); alpha, eps, momentum,
//                                           centered (RMSprop); lr_decay,
//                                           initial_accumulator_value, eps (Adagrad);
//                                           max_iter, max_eval, tolerance_grad,
//                                           tolerance_change, history_size,
//                                           line_search_fn (LBFGS). Booleans are 0 or 1.
//     param_groups.g.lr            float64 ()   the group's learning rate
//     param_groups.g.weight_decay  float64 ()   the group's weight decay
//     param_groups.g.initial_lr    float64 ()   its initial learning rate, when a
//                                               scheduler set one
//     param_groups.g.params        float64 (n,) the indices k of the group's parameters
//     state.k.step             float64 ()   steps taken on parameter k (an integer)
//     state.k.BUFFER           the parameter's shape and dtype ('<f8' for double, '<f4'
//                              for float): each of buffer_names(): exp_avg, exp_avg_sq,
//                              max_exp_avg_sq (Adam, AdamW); momentum_buffer (SGD);
//                              square_avg, momentum_buffer, grad_avg (RMSprop); sum
//                              (Adagrad)
//     state.0.NAME             float64, LBFGS's state (global_state(): func_evals, n_iter,
//                              d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad,
//                              prev_loss), kept under the first parameter as PyTorch does
//
//     scheduler.i.NAME         float64 ()   each entry NAME of the state_dict() of the i-th
//                                        scheduler given to save (<tapegrad/optim/scheduler_state.hpp>)
//
// A parameter that never had a gradient has no state.k entries. The names follow
// PyTorch's optimizer.state_dict() ("state", "param_groups", the buffer names), but the
// file is numpy's, not torch.save's.
//
// >>> numpy.load("optimizer.npz")["state.0.exp_avg"]   # Python, numpy only

#include <tapegrad/optim/optimizer.hpp>
#include <tapegrad/optim/scheduler_state.hpp>

#include <string>
#include <vector>

namespace tg::optim {

/// Writes the state of `optimizer`, and of each of `schedulers` ("scheduler.i.*"), to
/// `path` (replacing the file as a whole: an error or a kill leaves an existing file
/// unchanged). tg::IoError naming the file on failure.
template <class T>
void save(const Optimizer<T>& optimizer, const std::string& path,
          const std::vector<const Scheduler*>& schedulers = {});

/// Reads the state of `optimizer` from `path`, written by save() for the same kind of
/// optimizer, with the same options, over parameters of the same shapes in the same
/// groups. Every entry is checked, its .npy header before its data, before anything
/// changes: a file that cannot be read, is truncated or malformed, lacks an entry or has
/// one this optimizer does not, holds a shape or dtype other than the parameter's, other
/// options (hyper-parameters) or other groups raises tg::IoError naming the file and
/// every entry at fault, and leaves the optimizer unchanged. Loads the groups' learning
/// rates and weight decays too (a schedule's last rates). With `schedulers`, their states
/// too (saved with as many schedulers, in the same order, built the same way: a missing
/// state or a setting that differs is named like the rest), so that the schedule goes on
/// where it was; the same all-or-nothing.
template <class T>
void load(Optimizer<T>& optimizer, const std::string& path,
          const std::vector<Scheduler*>& schedulers = {});

#define TG_OPTIM_CHECKPOINT_EXTERN(T)                                     \
    extern template void save<T>(const Optimizer<T>&, const std::string&, \
                                 const std::vector<const Scheduler*>&);   \
    extern template void load<T>(Optimizer<T>&, const std::string&, const std::vector<Scheduler*>&);
TG_OPTIM_CHECKPOINT_EXTERN(float)
TG_OPTIM_CHECKPOINT_EXTERN(double)
#undef TG_OPTIM_CHECKPOINT_EXTERN

}  // namespace tg::optim
