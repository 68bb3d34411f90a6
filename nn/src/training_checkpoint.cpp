#include <tapegrad/nn/training_checkpoint.hpp>

#include <tapegrad/check.hpp>
#include <tapegrad/io/detail/npy.hpp>
#include <tapegrad/io/detail/npz.hpp>
#include <tapegrad/nn/detail/checkpoint_entries.hpp>
#include <tapegrad/optim/detail/state_entries.hpp>

#include <memory>
#include <set>

namespace tg::nn {
namespace {

using io::detail::encode_npy;
using io::detail::kEntrySuffix;
using io::detail::ModelMismatch;
using io::detail::NpyFormatError;
using io::detail::NpzReader;
using io::detail::quoted;
using Entries = std::vector<std::pair<std::string, std::string>>;
using Found = std::map<std::string, std::size_t>;

/// The version of the format this code writes and reads (the entry "tapegrad_checkpoint").
constexpr std::int64_t kFormatVersion = 1;

std::string int64_npy(std::int64_t value) { return encode_npy<std::int64_t>({}, &value); }

/// A generator's state as int64 (the words' bits), as the file holds it.
std::string rng_npy(const Rng& rng) {
    std::vector<std::int64_t> bits;
    for (const std::uint64_t word : rng_state(rng)) bits.push_back(static_cast<std::int64_t>(word));
    return encode_npy<std::int64_t>({bits.size()}, bits.data());
}

/// Calls `read` for one entry, turning its format errors into a problem; false then.
template <class Read>
bool read_or_note(const std::string& entry, std::vector<std::string>& problems, Read read) {
    try {
        read();
        return true;
    } catch (const NpyFormatError& e) {
        problems.push_back("entry " + quoted(entry + kEntrySuffix) + " " + e.problem);
    } catch (const ModelMismatch& e) {
        problems.push_back(e.problem);
    }
    return false;
}

/// A 0-d int64 entry.
std::int64_t read_int64(const NpzReader& archive, std::size_t index, const std::string& entry) {
    return archive.read<std::int64_t>(index, "entry " + quoted(entry), Shape{}, "the checkpoint")
        .data()[0];
}

/// A generator's state from an int64 (n,) entry.
std::vector<std::uint64_t> read_rng(const NpzReader& archive, std::size_t index,
                                    const std::string& entry) {
    const std::size_t size = rng_state(Rng()).size();
    const Array<std::int64_t> bits =
        archive.read<std::int64_t>(index, "entry " + quoted(entry), Shape{size}, "the checkpoint");
    std::vector<std::uint64_t> words;
    for (std::size_t i = 0; i < size; ++i)
        words.push_back(static_cast<std::uint64_t>(bits.data()[i]));
    return words;
}

/// A uint8 (n,) entry as a string (a metadata value); n is bounded by the archive.
std::string read_bytes(const NpzReader& archive, std::size_t index, const std::string& entry) {
    std::string out;
    std::size_t size = 0;
    const auto check = [&](const io::detail::NpyHeader& header) -> std::optional<std::size_t> {
        if (!io::detail::npy_descr_holds<std::uint8_t>(header.descr) || header.shape.size() != 1)
            throw ModelMismatch{"entry " + quoted(entry) + " has dtype " +
                                io::detail::dtype_name(header.descr) + " and shape " +
                                shape_str(header.shape) +
                                " in the file; a metadata value is uint8 ('|u1') of shape (n,)"};
        size = header.shape[0];
        return size;
    };
    // The destination is asked for once the entry's declared size was checked against
    // what the archive can hold.
    archive.read_entry(index, check, [&] {
        out.resize(size);
        return out.data();
    });
    return out;
}

}  // namespace

template <class T>
TrainingCheckpoint<T>& TrainingCheckpoint<T>::add(const char* kind, const std::string& name,
                                                  Part part) {
    TG_CHECK(!name.empty() && name.find('.') == std::string::npos &&
                 name.find('\0') == std::string::npos,
             ValueError, "TrainingCheckpoint::add_", kind, ": the name '", name,
             "' is empty or holds a '.'; give each part a plain name ('model', 'train')");
    for (const Part& other : parts_)
        TG_CHECK(other.prefix != part.prefix, ValueError, "TrainingCheckpoint::add_", kind,
                 ": there is already a ", kind, " named '", name, "'; give each its own name");
    parts_.push_back(std::move(part));
    return *this;
}

template <class T>
TrainingCheckpoint<T>& TrainingCheckpoint<T>::add_module(const std::string& name,
                                                         Module<T>& module) {
    const std::string prefix = "module." + name + ".";
    return add("module", name,
               {prefix, [&module] { return detail::module_entries(module); },
                [&module, prefix](const NpzReader& archive, const Found& found,
                                  std::vector<std::string>& problems) {
                    return detail::stage_module(module, archive, found, prefix, problems);
                }});
}

template <class T>
TrainingCheckpoint<T>& TrainingCheckpoint<T>::add_optimizer(const std::string& name,
                                                            optim::Optimizer<T>& optimizer) {
    const std::string prefix = "optimizer." + name + ".";
    return add("optimizer", name,
               {prefix, [&optimizer] { return optim::detail::optimizer_entries(optimizer); },
                [&optimizer, prefix](const NpzReader& archive, const Found& found,
                                     std::vector<std::string>& problems) {
                    return optim::detail::stage_optimizer(optimizer, archive, found, prefix,
                                                          problems);
                }});
}

template <class T>
TrainingCheckpoint<T>& TrainingCheckpoint<T>::add_scheduler(const std::string& name,
                                                            optim::Scheduler& scheduler) {
    const std::string prefix = "scheduler." + name + ".";
    return add("scheduler", name,
               {prefix, [&scheduler] { return optim::detail::scheduler_entries(scheduler); },
                [&scheduler, prefix](const NpzReader& archive, const Found& found,
                                     std::vector<std::string>& problems) {
                    return optim::detail::stage_scheduler(scheduler, archive, found, prefix,
                                                          problems);
                }});
}

template <class T>
TrainingCheckpoint<T>& TrainingCheckpoint<T>::add_rng(const std::string& name, Rng& rng) {
    const std::string prefix = "rng." + name;
    return add("rng", name,
               {prefix,
                [&rng] {
                    return Entries{{"", rng_npy(rng)}};
                },
                [&rng, prefix](const NpzReader& archive, const Found& found,
                               std::vector<std::string>& problems) -> std::function<void()> {
                    auto restored = std::make_shared<Rng>();
                    // read_rng reads exactly a state's length, which set_rng_state takes.
                    read_or_note(prefix, problems, [&] {
                        set_rng_state(*restored, read_rng(archive, found.at(""), prefix));
                    });
                    return [&rng, restored] { rng = *restored; };
                }});
}

template <class T>
template <class Y>
TrainingCheckpoint<T>& TrainingCheckpoint<T>::add_loader(const std::string& name,
                                                         DataLoader<T, Y>& loader) {
    const std::string prefix = "loader." + name + ".";
    return add(
        "loader", name,
        {prefix,
         [&loader] {
             const DataLoaderState state = loader.state();
             std::vector<std::int64_t> order(state.order.begin(), state.order.end());
             Rng rng;
             set_rng_state(rng, state.rng);
             return Entries{{"epoch", int64_npy(static_cast<std::int64_t>(state.epoch))},
                            {"position", int64_npy(static_cast<std::int64_t>(state.position))},
                            {"order", encode_npy<std::int64_t>({order.size()}, order.data())},
                            {"rng", rng_npy(rng)}};
         },
         [&loader, prefix](const NpzReader& archive, const Found& found,
                           std::vector<std::string>& problems) -> std::function<void()> {
             auto state = std::make_shared<DataLoaderState>();
             const std::size_t before = problems.size();
             // (no structured binding: C++17 lambdas cannot capture one)
             for (const auto& item : found) {
                 const std::string& field = item.first;
                 const std::string entry = prefix + field;
                 const std::size_t at = item.second;
                 if (field == "epoch" || field == "position") {
                     read_or_note(entry, problems, [&] {
                         const std::int64_t value = read_int64(archive, at, entry);
                         if (value < 0)
                             problems.push_back("entry " + quoted(entry + kEntrySuffix) +
                                                " holds " + std::to_string(value) +
                                                ", not a count");
                         (field == "epoch" ? state->epoch : state->position) =
                             static_cast<std::uint64_t>(value);
                     });
                 } else if (field == "order") {
                     read_or_note(entry, problems, [&] {
                         const Array<std::int64_t> order = archive.read<std::int64_t>(
                             at, "entry " + quoted(entry), Shape{loader.rows()},
                             "the loader (its rows)");
                         for (std::size_t i = 0; i < order.size(); ++i)
                             state->order.push_back(static_cast<std::size_t>(
                                 static_cast<std::uint64_t>(order.data()[i])));
                     });
                 } else if (field == "rng") {
                     read_or_note(entry, problems,
                                  [&] { state->rng = read_rng(archive, at, entry); });
                 } else {
                     problems.push_back("the file has an entry " + quoted(entry + kEntrySuffix) +
                                        " that a loader's state does not have");
                 }
             }
             for (const char* field : {"epoch", "position", "order", "rng"})
                 if (!found.count(field))
                     problems.push_back("entry " + quoted(prefix + field + kEntrySuffix) +
                                        " is missing (the loader's state)");
             if (problems.size() == before) {
                 DataLoader<T, Y> probe = loader;  // checks the state without touching `loader`
                 try {
                     probe.load_state(*state);
                 } catch (const ValueError& e) {
                     problems.push_back("loader " + quoted(prefix) + ": " + e.what());
                 }
             }
             return [&loader, state] { loader.load_state(*state); };
         }});
}

template <class T>
void TrainingCheckpoint<T>::save(const std::string& path) const {
    Entries entries{{"tapegrad_checkpoint", int64_npy(kFormatVersion)}, {"step", int64_npy(step)}};
    for (const auto& [key, value] : metadata) {
        if (key.empty() || key.find('\0') != std::string::npos) {
            std::string shown;  // a NUL would end the message's text
            for (const char c : key) shown += c == '\0' ? std::string("\\x00") : std::string(1, c);
            throw ValueError("TrainingCheckpoint::save: '" + path + "': the metadata key '" +
                             shown +
                             "' is empty or holds a NUL byte, which an entry's name cannot");
        }
        entries.emplace_back(
            "metadata." + key,
            encode_npy<std::uint8_t>({value.size()},
                                     reinterpret_cast<const std::uint8_t*>(value.data())));
    }
    for (const Part& part : parts_)
        for (auto& [name, bytes] : part.entries()) entries.emplace_back(part.prefix + name, bytes);
    io::detail::write_npz("save", path, entries);
}

template <class T>
void TrainingCheckpoint<T>::load(const std::string& path) {
    const NpzReader archive("load", path);
    std::vector<std::string> problems, others;
    const Found entries = archive.npy_entries(others, problems);
    for (const std::string& entry : others)
        problems.push_back("the file has an entry " + quoted(entry) +
                           " that is not a .npy array; it is not a tapegrad training checkpoint");

    // Which part each entry belongs to: names only, nothing read yet.
    std::vector<Found> found(parts_.size());
    std::int64_t new_step = 0;
    std::map<std::string, std::string> new_metadata;
    bool has_version = false, has_step = false;
    for (const auto& entry : entries) {
        // (no structured binding: C++17 lambdas cannot capture one)
        const std::string& name = entry.first;
        const std::size_t index = entry.second;
        if (name == "tapegrad_checkpoint") {
            has_version = true;
            read_or_note(name, problems, [&] {
                const std::int64_t version = read_int64(archive, index, name);
                if (version != kFormatVersion)
                    problems.push_back("entry 'tapegrad_checkpoint.npy' says version " +
                                       std::to_string(version) + "; this tapegrad reads version " +
                                       std::to_string(kFormatVersion));
            });
            continue;
        }
        if (name == "step") {
            has_step = true;
            read_or_note(name, problems, [&] { new_step = read_int64(archive, index, name); });
            continue;
        }
        if (name.rfind("metadata.", 0) == 0) {
            read_or_note(name, problems,
                         [&] { new_metadata[name.substr(9)] = read_bytes(archive, index, name); });
            continue;
        }
        bool placed = false;
        for (std::size_t p = 0; p < parts_.size() && !placed; ++p) {
            const std::string& prefix = parts_[p].prefix;
            if (prefix.back() == '.' ? name.rfind(prefix, 0) == 0 : name == prefix) {
                found[p].emplace(name.substr(prefix.back() == '.' ? prefix.size() : name.size()),
                                 index);
                placed = true;
            }
        }
        if (!placed)
            problems.push_back("the file has an entry " + quoted(name + kEntrySuffix) +
                               " for which nothing was added to the checkpoint (add_module, "
                               "add_optimizer, add_scheduler, add_rng or add_loader under that "
                               "name)");
    }
    if (!has_version)
        problems.push_back(
            "entry 'tapegrad_checkpoint.npy' is missing: not a tapegrad training checkpoint "
            "(tg::nn::save and tg::optim::save write other files)");
    if (!has_step) problems.push_back("entry 'step.npy' is missing");

    // Read and check every part; change nothing until all of it is right.
    std::vector<std::function<void()>> commits;
    for (std::size_t p = 0; p < parts_.size(); ++p) {
        if (found[p].empty()) {
            const std::string& prefix = parts_[p].prefix;
            problems.push_back(
                "the file has nothing for " +
                (prefix.back() == '.' ? prefix.substr(0, prefix.size() - 1) : prefix) +
                " (no entry " + quoted(prefix + (prefix.back() == '.' ? "*" : "") + kEntrySuffix) +
                ")");
            continue;
        }
        commits.push_back(parts_[p].stage(archive, found[p], problems));
    }
    if (!problems.empty()) {
        const std::string message = tg::detail::join(problems);
        io::detail::fail("load", path,
                         message +
                             ". Nothing was loaded; build the models, optimizers, "
                             "schedulers, generators and loaders as the run that saved "
                             "the checkpoint did, and add them under the same names");
    }
    for (const auto& commit : commits) commit();
    step = new_step;
    metadata = std::move(new_metadata);
}

template class TrainingCheckpoint<float>;
template class TrainingCheckpoint<double>;
// add_loader for loaders of targets of the inputs' type and of int64 class indices.
#define TG_NN_ADD_LOADER_INSTANTIATE(T, Y)                                                   \
    template TrainingCheckpoint<T>& TrainingCheckpoint<T>::add_loader<Y>(const std::string&, \
                                                                         DataLoader<T, Y>&);
TG_NN_ADD_LOADER_INSTANTIATE(float, float)
TG_NN_ADD_LOADER_INSTANTIATE(double, double)
TG_NN_ADD_LOADER_INSTANTIATE(float, std::int64_t)
TG_NN_ADD_LOADER_INSTANTIATE(double, std::int64_t)
#undef TG_NN_ADD_LOADER_INSTANTIATE

}  // namespace tg::nn
