#pragma once
// One file that holds everything a training run needs to go on exactly where it stopped:
// the model, the optimizer, the schedulers, the random generators, the data loaders, the
// step and the user's own notes (string key/values).
//
//     tg::nn::TrainingCheckpoint<float> checkpoint;
//     checkpoint.add_module("model", net)
//         .add_optimizer("optimizer", opt)
//         .add_scheduler("schedule", cosine)
//         .add_rng("dropout", dropout_rng)          // or tg::nn::default_rng()
//         .add_loader("train", loader);
//     if (resuming) checkpoint.load("run.ckpt.npz");  // step and metadata come back too
//     for (...) {
//         ...                                         // train an epoch
//         checkpoint.step = epoch;
//         checkpoint.metadata["accuracy"] = "98.6";
//         checkpoint.save("run.ckpt.npz");            // atomic: the old file or the new one
//     }
//
// The file is a .npz archive (numpy reads it) with these entries ("NAME.npy" each):
//
//     tapegrad_checkpoint     int64 ()      the format's version, 1
//     step                    int64 ()      TrainingCheckpoint::step
//     metadata.KEY            uint8 (n,)    the value's bytes (UTF-8)
//     module.NAME.P           the model's dtype and shape: parameter or buffer P
//     optimizer.NAME.E        each entry E of the optimizer's state file (docs/optimizers.md)
//     scheduler.NAME.S        float64 ()    each entry S of the scheduler's state_dict()
//     rng.NAME                int64 (313,)  tg::nn::rng_state (the words' bits)
//     loader.NAME.epoch       int64 ()      DataLoaderState: epochs begun,
//     loader.NAME.position    int64 ()      batches of the epoch handed out,
//     loader.NAME.order       int64 (rows,) the epoch's order,
//     loader.NAME.rng         int64 (313,)  and the loader's generator
//
// save() writes the archive to "PATH.tmp" in the same folder, flushes it to the disk
// (fsync) and renames it over PATH: at every moment PATH is the previous checkpoint or
// the new one, and the next save replaces a "PATH.tmp" that a killed save left. load()
// reads and checks every entry before anything changes: a file that cannot be read, a
// part missing or unknown, a shape, a dtype, an optimizer's option or a scheduler's
// setting other than those of what was added raises tg::IoError "load: 'PATH': ..."
// naming every problem, and then nothing (module, optimizer, scheduler, generator,
// loader, step, metadata) has changed.
//
// What is added is referred to, not copied: it must outlive the checkpoint. Names are
// non-empty and hold no '.'; each kind has its own names.

#include <tapegrad/nn/data.hpp>
#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/random.hpp>
#include <tapegrad/optim/optimizer.hpp>
#include <tapegrad/optim/scheduler_state.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tg::io::detail {
class NpzReader;
}

namespace tg::nn {

/// A training run's state in one file; see the top of this header.
template <class T = double>
class TrainingCheckpoint {
public:
    /// A model: its parameters and buffers (as tg::nn::save).
    TrainingCheckpoint& add_module(const std::string& name, Module<T>& module);
    /// An optimizer: its state (as tg::optim::save: steps, moments, learning rates).
    TrainingCheckpoint& add_optimizer(const std::string& name, optim::Optimizer<T>& optimizer);
    /// A learning-rate scheduler (any of optim/, ReduceLROnPlateau included).
    TrainingCheckpoint& add_scheduler(const std::string& name, optim::Scheduler& scheduler);
    /// A random generator (a Dropout's, tg::nn::default_rng(), one of your own).
    TrainingCheckpoint& add_rng(const std::string& name, Rng& rng);
    /// A data loader: its epoch, its position in it, the order and its generator. Its
    /// targets Y are T or int64 class indices (DataLoader<T, std::int64_t>).
    template <class Y>
    TrainingCheckpoint& add_loader(const std::string& name, DataLoader<T, Y>& loader);

    /// The training step (or epoch) the checkpoint was taken at; yours to set.
    std::int64_t step = 0;
    /// Your notes, saved and loaded with the rest.
    std::map<std::string, std::string> metadata;

    /// Writes everything to `path`, atomically. tg::IoError naming the file when it
    /// cannot be written (an existing file is then left as it was).
    void save(const std::string& path) const;
    /// Restores everything from `path`, or nothing (tg::IoError naming every problem).
    void load(const std::string& path);

private:
    /// One thing added: how to write its entries and how to read them back.
    struct Part {
        std::string prefix;  ///< "module.NAME." (for a generator, "rng.NAME")
        /// (name after the prefix, .npy bytes)
        std::function<std::vector<std::pair<std::string, std::string>>()> entries;
        /// Reads and checks its entries (name after the prefix -> index), adding problems
        /// (entries named with `prefix`); returns what restores it.
        std::function<std::function<void()>(const io::detail::NpzReader&,
                                            const std::map<std::string, std::size_t>&,
                                            std::vector<std::string>&)>
            stage;
    };
    TrainingCheckpoint& add(const char* kind, const std::string& name, Part part);
    std::vector<Part> parts_;
};

#define TG_NN_TRAINING_CHECKPOINT_EXTERN(T) extern template class TrainingCheckpoint<T>;
TG_NN_TRAINING_CHECKPOINT_EXTERN(float)
TG_NN_TRAINING_CHECKPOINT_EXTERN(double)
#undef TG_NN_TRAINING_CHECKPOINT_EXTERN

}  // namespace tg::nn
