#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>

namespace tg {
namespace {

std::atomic<std::uint64_t> next_epoch{1};
thread_local std::vector<Tape*> live_tapes;  // innermost last

/// Makes `tape` the recording tape of this thread while alive (create_graph sweeps).
class ActiveTapeGuard {
public:
    explicit ActiveTapeGuard(Tape* tape) { live_tapes.push_back(tape); }
    ~ActiveTapeGuard() { live_tapes.pop_back(); }
};

/// Whether no value is NaN or ±Inf. Those are exactly the values whose exponent bits are
/// all ones; an integer OR over the whole array vectorizes, where a test and a branch per
/// element does not (anomaly mode scans every forward value and every gradient).
template <class T>
bool all_finite(const Array<T>& a) {
    using Bits = std::conditional_t<std::is_same_v<T, float>, std::uint32_t, std::uint64_t>;
    constexpr Bits exponent =
        std::is_same_v<T, float> ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
    const T* values = a.data();
    Bits non_finite = 0;
    for (std::size_t i = 0, n = a.size(); i < n; ++i) {
        Bits bits;
        std::memcpy(&bits, values + i, sizeof bits);
        non_finite |= Bits((bits & exponent) == exponent);
    }
    return non_finite == 0;
}

template <class T>
bool same_shape(const Array<T>& a, const Shape& s) {
    return std::equal(a.shape().begin(), a.shape().end(), s.begin(), s.end());
}

/// dst += src for arrays of one shape (a plain loop: gradients are often tiny, and
/// xtensor's assignment machinery costs more than the additions there).
template <class T>
void add_into(Array<T>& dst, const Array<T>& src) {
    T* d = dst.data();
    const T* s = src.data();
    for (std::size_t i = 0, n = dst.size(); i < n; ++i) d[i] += s[i];
}

/// a + b for arrays of one shape, in a new tensor.
template <class T>
Tensor<T> sum_of(const Array<T>& a, const Array<T>& b) {
    Tensor<T> out = Tensor<T>::uninitialized(a.shape());
    T* o = out.node()->value.data();
    const T *pa = a.data(), *pb = b.data();
    for (std::size_t i = 0, n = a.size(); i < n; ++i) o[i] = pa[i] + pb[i];
    return out;
}

/// Differentiable sum of two gradients of equal shape: d(a + b) = da + db.
template <class T>
Tensor<T> accumulate_grad(const Tensor<T>& a, const Tensor<T>& b) {
    Tensor<T> out = sum_of(a.value(), b.value());
    record("accumulate_grad", {a, b}, out, {}, [](BackwardContext<T>& c) {
        c.add(0, c.grad());
        c.add(1, c.grad());
    });
    return out;
}

/// slot += g. Without create_graph, a sum nobody else holds is updated in place.
template <class T>
void accumulate(Tensor<T>& slot, const Tensor<T>& g, bool create_graph) {
    if (!slot.defined()) {
        slot = g;
    } else if (create_graph) {
        slot = accumulate_grad(slot, g);
    } else if (slot.node().use_count() == 1 && slot.is_leaf()) {
        add_into(slot.node()->value, g.value());
    } else {
        slot = sum_of(slot.value(), g.value());
    }
}

std::string released_message(const char* what) {
    return std::string(what) +
           ": the tape that recorded this tensor has released its entries (an earlier "
           "backward without retain_graph), is gone, or belongs to another thread; pass "
           "retain_graph = true to the first backward to run backward twice, recompute the "
           "forward pass, or call backward in the thread that recorded it";
}

}  // namespace

namespace detail {

Tape* recording_tape() {
    if (live_tapes.empty() || !is_grad_enabled()) return nullptr;
    return live_tapes.back();
}

Tape* find_tape(std::uint64_t epoch) {
    for (auto it = live_tapes.rbegin(); it != live_tapes.rend(); ++it)
        if ((*it)->epoch() == epoch) return *it;
    return nullptr;
}

template <class T>
std::size_t Entry<T>::saved_bytes() const {
    std::size_t bytes = 0;
    for (const auto& s : saved) bytes += s.tensor.size() * sizeof(T);
    return bytes;
}

template <class T>
std::string Entry<T>::describe() const {
    std::string s;
    for (std::size_t i = 0; i < inputs.size(); ++i)
        s += (i ? ", " : "") + shape_str(inputs[i].shape);
    return s + " -> " + shape_str(output_shape);
}

template <class T>
std::vector<std::pair<std::string, std::string>> Entry<T>::dot_inputs() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const auto& in = inputs[i];
        switch (in.kind) {
            case InputSlot<T>::Kind::on_tape:
                out.push_back({"e" + std::to_string(in.index), ""});
                break;
            case InputSlot<T>::Kind::leaf: {
                std::ostringstream id;
                id << "leaf" << static_cast<const void*>(in.node.get());
                out.push_back({id.str(), "parameter " + shape_str(in.shape)});
                break;
            }
            default: break;  // constants and foreign tensors are not drawn
        }
    }
    return out;
}

template <class T>
void append_entry(Tape& tape, std::unique_ptr<Entry<T>> entry, const TensorRef<T>* inputs,
                  std::size_t n_inputs, const Tensor<T>& output, TensorRefs<T> saved) {
    using Kind = typename InputSlot<T>::Kind;
    entry->inputs.resize(n_inputs);
    for (std::size_t i = 0; i < n_inputs; ++i) {
        const auto& node = inputs[i].get().node();
        InputSlot<T>& slot = entry->inputs[i];
        slot.shape.assign(node->value.shape().begin(), node->value.shape().end());
        if (!node->requires_grad) {
            slot.kind = Kind::none;
        } else if (node->tape_epoch == tape.epoch()) {
            slot.kind = Kind::on_tape;
            slot.index = node->entry;
        } else {
            slot.kind = node->is_leaf() ? Kind::leaf : Kind::foreign;
            slot.node = node;
        }
    }
    entry->saved.resize(saved.size());
    std::size_t k = 0;
    for (const TensorRef<T>& s : saved) entry->saved[k++] = {s.get(), s.get().version()};
    const auto& out = output.node();
    entry->output_shape.assign(out->value.shape().begin(), out->value.shape().end());
    if ((tape.detect_anomaly() || is_anomaly_enabled()) && !all_finite(out->value))
        throw AnomalyError(std::string("anomaly: forward of '") + entry->name +
                           "' produced NaN or Inf in its output of shape " +
                           shape_str(out->value.shape()) + " (inputs " + entry->describe() + ")");
    out->entry = tape.append(std::move(entry));
    out->tape_epoch = tape.epoch();
    out->requires_grad = true;
}

}  // namespace detail

// ---- BackwardContext ---------------------------------------------------------------------

template <class T>
const Tensor<T>& BackwardContext<T>::saved(std::size_t i) const {
    if (i >= entry_.saved.size())
        throw ValueError(std::string("backward of '") + entry_.name + "' asked for saved tensor #" +
                         std::to_string(i) + ", but the op saved " +
                         std::to_string(entry_.saved.size()) +
                         "; pass every tensor the backward needs in record()'s saved list");
    const auto& s = entry_.saved[i];
    const std::uint64_t now = s.tensor.node()->version;
    if (now != s.version)
        throw GraphError(std::string("backward of '") + entry_.name + "': saved tensor #" +
                         std::to_string(i) + " of shape " + shape_str(s.tensor.value().shape()) +
                         " was changed in place after it was recorded (version " +
                         std::to_string(s.version) + " when saved, " + std::to_string(now) +
                         " now); change parameters only after backward, or recompute the "
                         "forward pass");
    return s.tensor;
}

template <class T>
Tensor<T> BackwardContext<T>::reusable_grad() const {
    // Without create_graph every gradient is a plain (leaf) tensor, so a use count of one
    // means no entry, pending leaf gradient, capture or user handle can see the change.
    if (!state_.create_graph && entry_.grad.node().use_count() == 1) return entry_.grad;
    return Tensor<T>::uninitialized(entry_.grad.value().shape());
}

template <class T>
bool BackwardContext<T>::needs(std::size_t i) const {
    using Kind = typename detail::InputSlot<T>::Kind;
    const auto& slot = entry_.inputs[i];
    switch (slot.kind) {
        case Kind::on_tape: return true;
        case Kind::leaf: return !state_.gradient_mode || slot.node->sweep_target >= 0;
        case Kind::foreign: return detail::find_tape(slot.node->tape_epoch) == nullptr;
        default: return false;
    }
}

template <class T>
void BackwardContext<T>::add(std::size_t i, const Tensor<T>& g) {
    using Kind = typename detail::InputSlot<T>::Kind;
    if (i >= entry_.inputs.size())
        throw ValueError(std::string("backward of '") + entry_.name +
                         "' gave a gradient to input #" + std::to_string(i) + ", but the op has " +
                         std::to_string(entry_.inputs.size()) + " inputs");
    auto& slot = entry_.inputs[i];
    if (slot.kind == Kind::none) return;
    if (!same_shape(g.value(), slot.shape))
        throw ShapeError(std::string("backward of '") + entry_.name +
                         "' produced a gradient of shape " + shape_str(g.value().shape()) +
                         " for input #" + std::to_string(i) + " of shape " + shape_str(slot.shape) +
                         " (an op's backward must reduce broadcast gradients with tg::sum_to)");
    if (state_.anomaly && !all_finite(g.value()))
        throw AnomalyError(std::string("anomaly: backward of '") + entry_.name +
                           "' produced NaN or Inf in the gradient of its input #" +
                           std::to_string(i) + " (shape " + shape_str(slot.shape) + ")");
    switch (slot.kind) {
        case Kind::on_tape: {
            auto& target = static_cast<detail::Entry<T>&>(tape_.entry(slot.index));
            accumulate(target.grad, g, state_.create_graph);
            break;
        }
        case Kind::leaf: {
            auto& node = slot.node;
            if (state_.gradient_mode && node->sweep_target < 0) return;
            Tensor<T> pending = node->pending ? Tensor<T>(std::move(node->pending)) : Tensor<T>();
            if (!pending.defined()) state_.touched_leaves.push_back(node);
            accumulate(pending, g, state_.create_graph);
            node->pending = pending.node();
            break;
        }
        case Kind::foreign:
            if (!detail::find_tape(slot.node->tape_epoch))
                throw GraphError(released_message((std::string("backward of '") + entry_.name +
                                                   "' reached input #" + std::to_string(i))
                                                      .c_str()));
            break;  // recorded by an outer tape: this tape does not follow it
        default: break;
    }
}

// ---- Tape --------------------------------------------------------------------------------

Tape::Tape() : Tape(TapeOptions{}) {}

Tape::Tape(TapeOptions options)
    : options_(options), epoch_(next_epoch++), owner_(std::this_thread::get_id()) {
    live_tapes.push_back(this);
}

Tape::~Tape() {
    auto it = std::find(live_tapes.rbegin(), live_tapes.rend(), this);
    if (it != live_tapes.rend()) live_tapes.erase(std::next(it).base());
    // Entries are released one after another: nothing recursive, however long the tape.
    while (!entries_.empty()) entries_.pop_back();
}

Tape* Tape::active() { return live_tapes.empty() ? nullptr : live_tapes.back(); }

std::size_t Tape::append(std::unique_ptr<detail::EntryBase> entry) {
    entries_.push_back(std::move(entry));
    return entries_.size() - 1;
}

void Tape::check_thread(const char* what) const {
    if (std::this_thread::get_id() != owner_)
        throw GraphError(std::string(what) +
                         ": this tg::Tape belongs to another thread; each thread records on "
                         "its own tape (create a tg::Tape in this thread)");
}

void Tape::release() {
    while (!entries_.empty()) entries_.pop_back();
    epoch_ = next_epoch++;
}

void Tape::clear() {
    check_thread("clear");
    release();
}

std::size_t Tape::bytes() const {
    std::size_t total = 0;
    for (const auto& e : entries_) total += e->saved_bytes();
    return total;
}

std::string Tape::dump() const {
    std::ostringstream out;
    out << "tape: " << entries_.size() << " entries, " << bytes() << " bytes saved\n";
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const auto& e = *entries_[i];
        out << "  #" << i << "  " << e.name << "  " << e.describe() << "  saved " << e.saved_bytes()
            << " B\n";
    }
    return out.str();
}

std::string Tape::to_dot() const {
    std::ostringstream out;
    out << "digraph tape {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n";
    std::unordered_map<std::string, bool> drawn;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        const auto& e = *entries_[i];
        out << "  e" << i << " [label=\"#" << i << " " << e.name << "\\n"
            << e.describe() << "\"];\n";
        for (const auto& [id, label] : e.dot_inputs()) {
            if (!label.empty() && !drawn[id]) {
                out << "  " << id << " [label=\"" << label << "\", shape=ellipse];\n";
                drawn[id] = true;
            }
            out << "  " << id << " -> e" << i << ";\n";
        }
    }
    out << "}\n";
    return out.str();
}

template <class T>
void Tape::sweep(const Tensor<T>& y, const Tensor<T>* seed, const std::vector<Tensor<T>>* xs,
                 std::vector<Tensor<T>>* results, const BackwardOptions& options) {
    const char* what = xs ? "gradient" : "backward";
    check_thread(what);
    if (!y.defined()) throw ValueError(std::string(what) + ": the output tensor is undefined");
    const auto& ynode = y.node();

    // Where the sweep starts: the entry that produced y, or y itself when it is a leaf.
    const bool root_on_tape = ynode->tape_epoch == epoch_;
    if (!root_on_tape) {
        if (!ynode->is_leaf()) {
            if (detail::find_tape(ynode->tape_epoch))
                throw GraphError(std::string(what) +
                                 ": this tensor was recorded by a different tape; call "
                                 "backward on the tape that recorded it");
            throw GraphError(released_message(what));
        }
        if (!ynode->requires_grad)
            throw GraphError(std::string(what) +
                             ": no active tape recorded this tensor: create a tg::Tape before "
                             "the forward pass, and make at least one input require a gradient "
                             "(tg::parameter); to differentiate a gradient again, compute it "
                             "with create_graph = true");
    }
    // For error messages only (built when one is thrown).
    auto op = [&] {
        return root_on_tape ? std::string("'") + entries_[ynode->entry]->name + "'"
                            : std::string("a leaf");
    };

    Tensor<T> seed_tensor;
    if (seed) {
        if (!seed->defined()) throw ValueError(std::string(what) + ": the seed is undefined");
        if (!same_shape(seed->value(), y.shape()))
            throw ShapeError(std::string(what) + ": seed of shape " +
                             shape_str(seed->value().shape()) + " does not match the shape " +
                             shape_str(y.value().shape()) + " of the output of " + op() +
                             "; the seed must have the output's shape");
        seed_tensor = *seed;
    } else {
        if (y.size() != 1)
            throw GraphError(std::string(what) + ": the output of " + op() + " has shape " +
                             shape_str(y.value().shape()) + " (" + std::to_string(y.size()) +
                             " elements); backward needs a one-element loss, or pass a seed of "
                             "the output's shape: tape.backward(y, seed)");
        seed_tensor = Tensor<T>::uninitialized(y.value().shape());
        *seed_tensor.node()->value.data() = T(1);
    }

    // Targets of tape.gradient: leaves are marked, recorded results are captured when the
    // sweep reaches their entry (all their contributions come from later entries).
    std::vector<std::pair<std::size_t, std::size_t>> captures;  // (entry, position in xs)
    std::vector<std::shared_ptr<detail::Node<T>>> marked;
    bool any_leaf_target = false;
    if (xs) {
        for (std::size_t k = 0; k < xs->size(); ++k)
            if (!(*xs)[k].defined())
                throw ValueError("gradient: input #" + std::to_string(k) + " is undefined");
        for (std::size_t k = 0; k < xs->size(); ++k) {
            const auto& n = (*xs)[k].node();
            if (n->tape_epoch == epoch_) {
                captures.push_back({n->entry, k});
            } else if (n->is_leaf() && n->sweep_target < 0) {
                n->sweep_target = static_cast<long>(k);
                marked.push_back(n);
                any_leaf_target = true;
            }
        }
        std::sort(captures.begin(), captures.end(), std::greater<>());
    }

    detail::SweepState state;
    state.gradient_mode = xs != nullptr;
    state.create_graph = options.create_graph;
    state.anomaly = options_.detect_anomaly || is_anomaly_enabled();
    state.touched_leaves.reserve(32);  // one allocation instead of a doubling series

    const std::size_t entries_before = entries_.size();
    auto cleanup = [&] {
        for (auto& n : marked) n->sweep_target = -1;
        for (auto& leaf : state.touched_leaves)
            std::static_pointer_cast<detail::Node<T>>(leaf)->pending.reset();
    };
    // Without create_graph the backward ops record nothing; with it they record on this
    // tape, so the gradients can be differentiated again.
    std::optional<NoGradGuard> no_grad;
    std::optional<EnableGradGuard> enable_grad;
    std::optional<ActiveTapeGuard> active;
    if (options.create_graph) {
        enable_grad.emplace();
        active.emplace(this);
    } else {
        no_grad.emplace();
    }
    try {
        if (root_on_tape) {
            const std::size_t root = ynode->entry;
            std::size_t lowest = 0;
            if (xs && !any_leaf_target)
                lowest = captures.empty() ? root + 1 : captures.back().first;
            static_cast<detail::Entry<T>&>(*entries_[root]).grad = seed_tensor;
            auto next_capture = captures.begin();
            while (next_capture != captures.end() && next_capture->first > root) ++next_capture;
            for (std::size_t i = root + 1; i-- > lowest;) {
                detail::EntryBase& base = *entries_[i];
                if (base.is_double() != std::is_same_v<T, double>) continue;
                auto& entry = static_cast<detail::Entry<T>&>(base);
                for (; next_capture != captures.end() && next_capture->first == i; ++next_capture)
                    (*results)[next_capture->second] = entry.grad;
                if (!entry.grad.defined()) continue;
                BackwardContext<T> context(*this, entry, state);
                entry.backward(context);
                entry.grad = Tensor<T>();
            }
            // Stopping early leaves gradients on entries below `lowest`; the next sweep
            // must not find them.
            for (std::size_t i = lowest; i-- > 0;) entries_[i]->clear_grad();
        } else if (!xs || ynode->sweep_target >= 0) {
            // y is a leaf: d y / d y = seed.
            state.touched_leaves.push_back(ynode);
            ynode->pending = seed_tensor.node();
        }
    } catch (...) {
        for (auto& e : entries_) e->clear_grad();
        while (entries_.size() > entries_before) entries_.pop_back();
        cleanup();
        throw;
    }

    if (xs) {
        for (std::size_t k = 0; k < xs->size(); ++k) {  // a leaf may be listed twice
            const auto& n = (*xs)[k].node();
            if (n->is_leaf() && n->sweep_target >= 0 && n->pending)
                (*results)[k] = Tensor<T>(n->pending);
        }
        for (std::size_t k = 0; k < xs->size(); ++k)
            if (!(*results)[k].defined())
                (*results)[k] = Tensor<T>(Array<T>(xt::zeros<T>((*xs)[k].value().shape())));
    } else {
        for (auto& leaf : state.touched_leaves) {
            auto node = std::static_pointer_cast<detail::Node<T>>(leaf);
            Tensor<T> pending(node->pending);
            if (options.create_graph) {
                // A recorded gradient is never changed in place, so it may be shared; an
                // unrecorded one (a seed, a constant) is copied, as zero_grad and later
                // backward calls change a leaf gradient in place.
                Tensor<T> first =
                    pending.is_leaf() ? Tensor<T>(Array<T>(pending.value())) : pending;
                node->grad = node->grad ? accumulate_grad(Tensor<T>(node->grad), pending).node()
                                        : first.node();
            } else if (!node->grad) {
                // The first gradient is handed over when only the sweep holds it (here and
                // in node->pending); one that is shared (a seed, a saved tensor) is copied,
                // as zero_grad and later backward calls change a leaf gradient in place.
                node->grad = node->pending.use_count() == 2
                                 ? node->pending
                                 : Tensor<T>(Array<T>(pending.value())).node();
            } else if (!node->grad->is_leaf()) {
                node->grad = sum_of(node->grad->value, pending.value()).node();
            } else {
                add_into(node->grad->value, pending.value());
                ++node->grad->version;
            }
        }
    }
    cleanup();
    if (!options.retain_graph && !options.create_graph) release();
}

#define TG_TAPE_INSTANTIATE(T)                                                           \
    template struct detail::Entry<T>;                                                    \
    template class BackwardContext<T>;                                                   \
    template void detail::append_entry<T>(Tape&, std::unique_ptr<detail::Entry<T>>,      \
                                          const detail::TensorRef<T>*, std::size_t,      \
                                          const Tensor<T>&, detail::TensorRefs<T>);      \
    template void Tape::sweep<T>(const Tensor<T>&, const Tensor<T>*,                     \
                                 const std::vector<Tensor<T>>*, std::vector<Tensor<T>>*, \
                                 const BackwardOptions&);
TG_TAPE_INSTANTIATE(float)
TG_TAPE_INSTANTIATE(double)

}  // namespace tg
