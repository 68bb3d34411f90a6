#include <tapegrad/check.hpp>
#include <tapegrad/optim/checkpoint.hpp>
#include <tapegrad/optim/detail/state_entries.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include <tapegrad/io/detail/npy.hpp>
#include <tapegrad/io/detail/npz.hpp>

namespace tg::optim {
namespace {

using io::detail::encode_npy;
using io::detail::fail;
using io::detail::kEntrySuffix;
using io::detail::ModelMismatch;
using io::detail::NpyFormatError;
using io::detail::NpzReader;
using io::detail::quoted;

/// The shortest decimal that reads back as x (0.99, not 0.98999999999999999).
std::string number(double x) {
    for (int digits = 1;; ++digits) {
        std::ostringstream out;
        out.precision(digits);
        out << x;
        if (digits >= 17 || std::strtod(out.str().c_str(), nullptr) == x) return out.str();
    }
}

/// What an entry of a state file is, for this optimizer.
struct Slot {
    enum Kind { option, lr, weight_decay, initial_lr, momentum, params, step, buffer, global } kind;
    std::size_t index = 0;         ///< the option, the group, the parameter or the global entry
    std::size_t buffer_index = 0;  ///< which of buffer_names(), for Kind::buffer
};

std::string group_entry(std::size_t g, const char* field) {
    return "param_groups." + std::to_string(g) + "." + field;
}

std::string state_entry(std::size_t k, const std::string& field) {
    return "state." + std::to_string(k) + "." + field;
}

/// The entry of global_state()'s `name`: under the first parameter, as PyTorch keeps it.
std::string global_entry(const std::string& name) { return state_entry(0, name); }

template <class T>
std::string unknown_entry(const Optimizer<T>& optimizer, const std::string& entry) {
    return "the file has an entry " + quoted(entry) + " that the state of this " +
           optimizer.name() + " (parameters: " + std::to_string(optimizer.parameters().size()) +
           ", groups: " + std::to_string(optimizer.param_groups().size()) + ") does not have";
}

/// Where scheduler i's entries go in an optimizer's state file.
std::string scheduler_prefix(std::size_t i) { return "scheduler." + std::to_string(i) + "."; }

/// Every entry name a state file of `optimizer` may hold.
template <class T>
std::map<std::string, Slot> entries_of(const Optimizer<T>& optimizer) {
    std::map<std::string, Slot> slots;
    const auto options = optimizer.hyper_parameters();
    for (std::size_t i = 0; i < options.size(); ++i)
        slots["options." + options[i].first] = {Slot::option, i};
    for (std::size_t g = 0; g < optimizer.param_groups().size(); ++g) {
        slots[group_entry(g, "lr")] = {Slot::lr, g};
        slots[group_entry(g, "weight_decay")] = {Slot::weight_decay, g};
        slots[group_entry(g, "initial_lr")] = {Slot::initial_lr, g};
        if (const auto momentum = optimizer.momentum_name())
            slots[group_entry(g, momentum->c_str())] = {Slot::momentum, g};
        slots[group_entry(g, "params")] = {Slot::params, g};
    }
    const auto buffers = optimizer.buffer_names();
    for (std::size_t k = 0; k < optimizer.parameters().size(); ++k) {
        slots[state_entry(k, "step")] = {Slot::step, k};
        for (std::size_t b = 0; b < buffers.size(); ++b)
            slots[state_entry(k, buffers[b])] = {Slot::buffer, k, b};
    }
    const auto globals = optimizer.global_state_names();
    for (std::size_t i = 0; i < globals.size(); ++i)
        slots[global_entry(globals[i])] = {Slot::global, i};
    return slots;
}

}  // namespace

namespace detail {

template <class T>
std::vector<std::pair<std::string, std::string>> optimizer_entries(const Optimizer<T>& optimizer) {
    std::vector<std::pair<std::string, std::string>> entries;
    const auto scalar = [&](const std::string& name, double value) {
        entries.emplace_back(name, encode_npy<double>({}, &value));
    };
    for (const auto& [name, value] : optimizer.hyper_parameters()) scalar("options." + name, value);
    const auto& groups = optimizer.param_groups();
    for (std::size_t g = 0; g < groups.size(); ++g) {
        scalar(group_entry(g, "lr"), groups[g].learning_rate);
        scalar(group_entry(g, "weight_decay"), groups[g].weight_decay);
        if (groups[g].initial_learning_rate)
            scalar(group_entry(g, "initial_lr"), *groups[g].initial_learning_rate);
        if (groups[g].momentum)
            scalar(group_entry(g, optimizer.momentum_name()->c_str()), *groups[g].momentum);
        std::vector<double> indices;
        for (std::size_t k = 0; k < groups[g].count; ++k)
            indices.push_back(static_cast<double>(groups[g].first + k));
        entries.emplace_back(group_entry(g, "params"),
                             encode_npy<double>({indices.size()}, indices.data()));
    }
    const auto buffers = optimizer.buffer_names();
    for (std::size_t k = 0; k < optimizer.parameters().size(); ++k) {
        const auto& state = optimizer.state(k);
        if (state.step == 0) continue;
        scalar(state_entry(k, "step"), static_cast<double>(state.step));
        for (std::size_t b = 0; b < buffers.size(); ++b) {
            const Array<T>& buffer = state.buffers[b];
            entries.emplace_back(state_entry(k, buffers[b]),
                                 encode_npy<T>(Shape(buffer.shape()), buffer.data()));
        }
    }
    for (const auto& [name, value] : optimizer.global_state())
        entries.emplace_back(global_entry(name),
                             encode_npy<double>(Shape(value.shape()), value.data()));
    return entries;
}

template <class T>
std::function<void()> stage_optimizer(Optimizer<T>& optimizer, const NpzReader& archive,
                                      const std::map<std::string, std::size_t>& entries,
                                      const std::string& prefix,
                                      std::vector<std::string>& problems) {
    const std::string who = optimizer.name();
    const std::string holder = "the optimizer";
    const std::map<std::string, Slot> slots = entries_of(optimizer);
    const auto options = optimizer.hyper_parameters();
    const auto buffers = optimizer.buffer_names();
    const auto globals = optimizer.global_state_names();
    const auto& parameters = optimizer.parameters();

    // Which entries the file has: names only, nothing read yet.
    std::map<std::string, std::size_t> found;  // name -> entry index
    for (const auto& [name, index] : entries) {
        if (!slots.count(name)) {
            problems.push_back(unknown_entry(optimizer, prefix + name + kEntrySuffix));
            continue;
        }
        found.emplace(name, index);
    }
    const auto require = [&](const std::string& name, const std::string& why) {
        if (!found.count(name))
            problems.push_back("entry " + quoted(prefix + name + kEntrySuffix) + " is missing (" +
                               why + ")");
    };
    for (const auto& [name, value] : options) {
        // Options added after files were first written: a file without one is from before,
        // when every optimizer ran with the value it implies (PyTorch's load_state_dict
        // fills in such defaults as well).
        const double implied = 0;  // maximize = false, dampening = 0
        const bool added_later = name == "maximize" || name == "dampening";
        if (added_later && !found.count("options." + name) && value == implied) continue;
        require("options." + name,
                who + "'s option" +
                    (added_later ? "; a file without it has " + name + " = 0, this " + who +
                                       " has " + name + " = " + number(value)
                                 : std::string()));
    }
    for (std::size_t g = 0; g < optimizer.param_groups().size(); ++g) {
        require(group_entry(g, "lr"), "group " + std::to_string(g) + "'s learning rate");
        require(group_entry(g, "weight_decay"), "group " + std::to_string(g) + "'s weight decay");
        require(group_entry(g, "params"), "group " + std::to_string(g) + "'s parameters");
    }
    for (std::size_t k = 0; k < parameters.size(); ++k) {
        bool any = found.count(state_entry(k, "step")) > 0;
        for (const std::string& b : buffers) any = any || found.count(state_entry(k, b)) > 0;
        if (!any) continue;  // parameter k has no state
        const std::string why = "the file has state for parameter " + std::to_string(k);
        require(state_entry(k, "step"), why);
        for (const std::string& b : buffers) require(state_entry(k, b), why);
    }

    // Read and check every entry found; change nothing until all of it is right.
    std::vector<GroupSettings> groups = optimizer.param_groups();
    std::vector<typename Optimizer<T>::ParameterState> states(parameters.size());
    for (auto& state : states) state.buffers.resize(buffers.size());
    std::vector<std::pair<std::string, Array<double>>> global_state;
    for (const auto& [name, index] : found) {
        const Slot slot = slots.at(name);
        const std::string subject = "entry " + quoted(prefix + name);
        const auto bad = [&](const std::string& problem) {
            problems.push_back(subject + " " + problem);
        };
        try {
            if (slot.kind == Slot::buffer) {
                states[slot.index].buffers[slot.buffer_index] =
                    archive.read<T>(index, subject, parameters[slot.index].shape(), holder);
                continue;
            }
            if (slot.kind == Slot::global) {
                // Its shape (a history's length) is the file's, if the optimizer can hold it.
                const std::string& field = globals[slot.index];
                Array<double> value;
                Shape shape;
                const auto check = [&](const io::detail::NpyHeader& header) {
                    if (!io::detail::npy_descr_holds<double>(header.descr))
                        throw ModelMismatch{
                            subject + " has dtype " + io::detail::dtype_name(header.descr) +
                            " in the file but " + holder + " stores float64 ('<f8')"};
                    if (!optimizer.global_state_fits(field, Shape(header.shape)))
                        throw ModelMismatch{subject + " has shape " + shape_str(header.shape) +
                                            ", which this " + who + "'s " + field + " cannot have"};
                    shape = Shape(header.shape);
                    return std::optional<std::size_t>(header.count() * sizeof(double));
                };
                const io::detail::NpyHeader header = archive.read_entry(index, check, [&] {
                    value = Array<double>(shape);
                    return reinterpret_cast<char*>(value.data());
                });
                io::detail::decode_npy_data(header, value.data());
                global_state.emplace_back(field, std::move(value));
                continue;
            }
            if (slot.kind == Slot::params) {
                const GroupSettings& group = groups[slot.index];
                const Array<double> indices =
                    archive.read<double>(index, subject, Shape{group.count}, holder);
                for (std::size_t j = 0; j < group.count; ++j)
                    if (indices(j) != static_cast<double>(group.first + j)) {
                        bad("lists other parameters than group " + std::to_string(slot.index) +
                            " of the optimizer (parameters " + std::to_string(group.first) +
                            " to " + std::to_string(group.first + group.count - 1) + ")");
                        break;
                    }
                continue;
            }
            const double value = archive.read<double>(index, subject, Shape{}, holder).data()[0];
            switch (slot.kind) {
                case Slot::option:
                    if (!(value == options[slot.index].second))
                        bad("holds " + number(value) + " but this " + who + " has " +
                            options[slot.index].first + " = " + number(options[slot.index].second));
                    break;
                case Slot::lr:
                case Slot::initial_lr:
                case Slot::weight_decay:
                    // A rate a schedule set may be negative (OneCycleLR's linear strategy at
                    // step total_steps, as PyTorch's), so the file's rate need only be finite.
                    if (slot.kind == Slot::lr && !std::isfinite(value)) {
                        bad("holds " + number(value) + ", not a finite number");
                        break;
                    }
                    if (slot.kind != Slot::lr && (!(value >= 0) || !std::isfinite(value))) {
                        bad("holds " + number(value) + ", not a finite number >= 0");
                        break;
                    }
                    if (slot.kind == Slot::lr) groups[slot.index].learning_rate = value;
                    if (slot.kind == Slot::initial_lr)
                        groups[slot.index].initial_learning_rate = value;
                    if (slot.kind == Slot::weight_decay) groups[slot.index].weight_decay = value;
                    break;
                case Slot::momentum:
                    try {
                        optimizer.check_momentum(value);
                        groups[slot.index].momentum = value;
                    } catch (const ValueError&) {
                        bad("holds " + number(value) + ", not a valid " +
                            *optimizer.momentum_name());
                    }
                    break;
                case Slot::step:
                    // An integer from 1 to 2⁵³, where every integer is a double.
                    if (!(value >= 1 && value <= 9007199254740992.0) ||
                        value != std::floor(value)) {
                        bad("holds " + number(value) + ", not a step count (an integer >= 1)");
                        break;
                    }
                    states[slot.index].step = static_cast<std::uint64_t>(value);
                    break;
                default: break;
            }
        } catch (const NpyFormatError& e) {
            problems.push_back("entry " + quoted(prefix + name + kEntrySuffix) + " " + e.problem);
        } catch (const ModelMismatch& e) {
            problems.push_back(e.problem);
        }
    }
    // The global state as a whole (LBFGS: counts, a history whose parts agree).
    try {
        optimizer.check_global_state(global_state);
    } catch (const ValueError& e) {
        problems.push_back(e.what());
    }
    return [&optimizer, states = std::move(states), groups,
            global_state = std::move(global_state)]() mutable {
        optimizer.restore_global_state(global_state);
        for (auto& state : states)
            if (state.step == 0) state.buffers.clear();
        optimizer.restore(std::move(states), groups);
    };
}
std::vector<std::pair<std::string, std::string>> scheduler_entries(const Scheduler& scheduler) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& [name, value] : scheduler.state_dict())
        entries.emplace_back(name, encode_npy<double>({}, &value));
    return entries;
}

std::function<void()> stage_scheduler(Scheduler& scheduler, const NpzReader& archive,
                                      const std::map<std::string, std::size_t>& entries,
                                      const std::string& prefix,
                                      std::vector<std::string>& problems) {
    SchedulerState state;
    bool readable = true;
    for (const auto& [name, index] : entries) {
        const std::string subject = "entry " + quoted(prefix + name);
        try {
            state.emplace_back(
                name, archive.read<double>(index, subject, Shape{}, "the scheduler").data()[0]);
        } catch (const NpyFormatError& e) {
            problems.push_back("entry " + quoted(prefix + name + kEntrySuffix) + " " + e.problem);
            readable = false;
        } catch (const ModelMismatch& e) {
            problems.push_back(e.problem);
            readable = false;
        }
    }
    if (readable)
        for (std::string& problem : scheduler.check_state_dict(state, prefix))
            problems.push_back(std::move(problem));
    return [&scheduler, state] { scheduler.load_state_dict(state); };
}

}  // namespace detail

template <class T>
void save(const Optimizer<T>& optimizer, const std::string& path,
          const std::vector<const Scheduler*>& schedulers) {
    auto entries = detail::optimizer_entries(optimizer);
    for (std::size_t i = 0; i < schedulers.size(); ++i)
        for (auto& [name, bytes] : detail::scheduler_entries(*schedulers[i]))
            entries.emplace_back(scheduler_prefix(i) + name, std::move(bytes));
    io::detail::write_npz("save", path, entries);
}

template <class T>
void load(Optimizer<T>& optimizer, const std::string& path,
          const std::vector<Scheduler*>& schedulers) {
    const NpzReader archive("load", path);
    std::vector<std::string> problems, others;
    std::map<std::string, std::size_t> entries = archive.npy_entries(others, problems);
    for (const std::string& entry : others) problems.push_back(unknown_entry(optimizer, entry));
    // The schedulers' entries ("scheduler.i.NAME"); the rest is the optimizer's.
    std::vector<std::map<std::string, std::size_t>> scheduler_entries(schedulers.size());
    for (std::size_t i = 0; i < schedulers.size(); ++i) {
        const std::string prefix = scheduler_prefix(i);
        auto it = entries.lower_bound(prefix);
        while (it != entries.end() && it->first.compare(0, prefix.size(), prefix) == 0) {
            scheduler_entries[i].emplace(it->first.substr(prefix.size()), it->second);
            it = entries.erase(it);
        }
    }
    std::vector<std::function<void()>> commits{
        detail::stage_optimizer(optimizer, archive, entries, "", problems)};
    for (std::size_t i = 0; i < schedulers.size(); ++i) {
        if (scheduler_entries[i].empty()) {
            problems.push_back("the file has no state for scheduler " + std::to_string(i) + " (" +
                               schedulers[i]->scheduler_name() + "; no entry '" +
                               scheduler_prefix(i) + "*.npy'): save it with the schedulers");
            continue;
        }
        commits.push_back(detail::stage_scheduler(*schedulers[i], archive, scheduler_entries[i],
                                                  scheduler_prefix(i), problems));
    }
    if (!problems.empty()) {
        const std::string message = tg::detail::join(problems);
        fail("load", path,
             message +
                 ". Nothing was loaded; the file must hold the state of an optimizer of "
                 "this kind (" +
                 optimizer.name() +
                 ") with the same options over parameters of the same shapes in the same "
                 "groups, as tg::optim::save writes it" +
                 (schedulers.empty() ? "" : ", and of schedulers built the same way"));
    }
    for (const auto& commit : commits) commit();
}

#define TG_OPTIM_CHECKPOINT_INSTANTIATE(T)                                                    \
    template void save<T>(const Optimizer<T>&, const std::string&,                            \
                          const std::vector<const Scheduler*>&);                              \
    template void load<T>(Optimizer<T>&, const std::string&, const std::vector<Scheduler*>&); \
    template std::vector<std::pair<std::string, std::string>> detail::optimizer_entries<T>(   \
        const Optimizer<T>&);                                                                 \
    template std::function<void()> detail::stage_optimizer<T>(                                \
        Optimizer<T>&, const NpzReader&, const std::map<std::string, std::size_t>&,           \
        const std::string&, std::vector<std::string>&);
TG_OPTIM_CHECKPOINT_INSTANTIATE(float)
TG_OPTIM_CHECKPOINT_INSTANTIATE(double)

}  // namespace tg::optim
