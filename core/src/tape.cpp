#include <tapegrad/check.hpp>
#include <tapegrad/detail/parallel_for.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>
#include <tapegrad/threads.hpp>

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
/// xtensor's assignment machinery costs more than the additions there; a large one is
/// shared between the intra-op threads).
template <class T>
void add_into(Array<T>& dst, const Array<T>& src) {
    T* d = dst.data();
    const T* s = src.data();
    detail::parallel_for(dst.size(), detail::kMinElementsPerThread,
                         [&](std::size_t begin, std::size_t end) {
                             for (std::size_t i = begin; i < end; ++i) d[i] += s[i];
                         });
}

/// a + b for arrays of one shape, in a new tensor.
template <class T>
Tensor<T> sum_of(const Array<T>& a, const Array<T>& b) {
    Tensor<T> out = Tensor<T>::uninitialized(a.shape());
    T* o = out.node()->value.data();
    const T *pa = a.data(), *pb = b.data();
    detail::parallel_for(a.size(), detail::kMinElementsPerThread,
                         [&](std::size_t begin, std::size_t end) {
                             for (std::size_t i = begin; i < end; ++i) o[i] = pa[i] + pb[i];
                         });
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
    } else if (slot.node().use_count() == 1 && slot.is_leaf() && !slot.node()->storage_shared()) {
        add_into(slot.node()->value, g.value());
    } else {
        slot = sum_of(slot.value(), g.value());
    }
}

std::string released_message(const std::string& what) {
    return what +
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

// ---- the gradients a sweep collects for leaves -------------------------------------------

/// Per sweep: each leaf reached, with the sum of its gradient contributions so far, in
/// the order the sweep first reached them. tape.gradient enters its target leaves first
/// and adds to no other leaf. Leaves are found by address in an open-addressing table
/// (a multiplicative hash, linear probing): a step of the blog network reaches 10 leaves,
/// each in one lookup of a few ns, and a model of thousands of parameters stays O(1).
template <class T>
class LeafGradients {
public:
    struct Leaf {
        Node<T>* node;
        /// Keeps the leaf alive to the end of the sweep: the entries that hold it may be
        /// released as soon as their backward has run, and its gradient is added after.
        std::shared_ptr<Node<T>> owner;
        Tensor<T> pending;  ///< sum of the contributions so far (undefined: none yet)
    };

    LeafGradients() {
        leaves_.reserve(16);
        index_.assign(std::size_t{1} << bits_, 0);
    }

    /// The leaf's record, or nullptr when the sweep has not entered it.
    Leaf* find(const Node<T>* node) {
        const std::uint32_t at = index_[probe(node)];
        return at ? &leaves_[at - 1] : nullptr;
    }

    /// The leaf's record, entered (with no gradient yet) when missing. The reference
    /// stays valid until the next insert.
    Leaf& insert(const std::shared_ptr<Node<T>>& owner) {
        Node<T>* node = owner.get();
        std::size_t slot = probe(node);
        if (index_[slot]) return leaves_[index_[slot] - 1];
        if (2 * (leaves_.size() + 1) > index_.size()) {
            grow();
            slot = probe(node);
        }
        leaves_.push_back({node, owner, Tensor<T>()});
        index_[slot] = static_cast<std::uint32_t>(leaves_.size());
        return leaves_.back();
    }

    Leaf* begin() { return leaves_.data(); }
    Leaf* end() { return leaves_.data() + leaves_.size(); }

private:
    /// The slot holding `node`, or the empty slot where it would go.
    std::size_t probe(const Node<T>* node) const {
        const auto key = reinterpret_cast<std::uintptr_t>(node);
        const std::size_t mask = index_.size() - 1;
        std::size_t slot = static_cast<std::size_t>(
            (static_cast<std::uint64_t>(key >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - bits_));
        while (index_[slot] && leaves_[index_[slot] - 1].node != node) slot = (slot + 1) & mask;
        return slot;
    }

    /// Doubles the table and enters every leaf again.
    void grow() {
        ++bits_;
        index_.assign(std::size_t{1} << bits_, 0);
        for (std::size_t i = 0; i < leaves_.size(); ++i)
            index_[probe(leaves_[i].node)] = static_cast<std::uint32_t>(i + 1);
    }

    unsigned bits_ = 5;
    std::vector<Leaf, PoolAllocator<Leaf>> leaves_;
    std::vector<std::uint32_t, PoolAllocator<std::uint32_t>> index_;  ///< 1 + position; 0: empty
};

template <class T>
LeafGradients<T>& leaves_of(SweepState& state) {
    return *static_cast<LeafGradients<T>*>(state.leaves);
}

/// The entry of `tape` that recorded `node`, or nullptr when `node` is not a result of
/// its current epoch or its entry was released (the slot may since hold another entry).
template <class T>
Entry<T>* entry_of(Tape& tape, const std::shared_ptr<Node<T>>& node) {
    if (node->tape_epoch != tape.epoch()) return nullptr;
    EntryBase* e = tape.find_entry(node->entry);
    return e && e->is_output(node) ? static_cast<Entry<T>*>(e) : nullptr;
}

template <class T>
void Entry<T>::mark_inputs(const std::unique_ptr<EntryBase>* entries) const {
    for (const auto& in : inputs)
        if (in.kind == InputSlot<T>::Kind::on_tape && entries[in.index])
            entries[in.index]->needed = true;
}

template <class T>
std::size_t Entry<T>::saved_bytes() const {
    std::size_t bytes = 0;
    for (const auto& s : saved)
        if (s.tensor.defined()) bytes += s.tensor.size() * sizeof(T);  // else dropped
    return bytes;
}

/// "'0.weight' " for a named leaf (a module's parameter), "" otherwise.
template <class T>
std::string leaf_name(const InputSlot<T>& in) {
    if (in.kind != InputSlot<T>::Kind::leaf || !in.node->name) return "";
    return "'" + *in.node->name + "' ";
}

template <class T>
std::string Entry<T>::describe() const {
    std::string s;
    for (std::size_t i = 0; i < inputs.size(); ++i)
        s += (i ? ", " : "") + leaf_name(inputs[i]) + shape_str(inputs[i].shape);
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
                out.push_back({id.str(), "parameter " + leaf_name(in) + shape_str(in.shape)});
                break;
            }
            default: break;  // constants and foreign tensors are not drawn
        }
    }
    return out;
}

namespace {
thread_local AppendHook* append_hook = nullptr;
}  // namespace

AppendHook* set_append_hook(AppendHook* hook) {
    AppendHook* previous = append_hook;
    append_hook = hook;
    return previous;
}

template <class T>
void append_entry(Tape& tape, std::unique_ptr<Entry<T>> entry, const TensorRef<T>* inputs,
                  std::size_t n_inputs, const Tensor<T>& output, TensorRefs<T> saved) {
    using Kind = typename InputSlot<T>::Kind;
    entry->inputs.resize(n_inputs);
    for (std::size_t i = 0; i < n_inputs; ++i) {
        const auto& node = inputs[i].get().node();
        InputSlot<T>& slot = entry->inputs[i];
        slot.shape.assign(node->sizes().begin(), node->sizes().end());
        if (!node->requires_grad) {
            slot.kind = Kind::none;
        } else if (node->tape_epoch == tape.epoch()) {
            slot.kind = entry_of(tape, node) ? Kind::on_tape : Kind::released;
            slot.index = node->entry;
        } else {
            slot.kind = node->is_leaf() ? Kind::leaf : Kind::foreign;
            slot.node = node;
        }
    }
    const auto& out = output.node();
    entry->saved.resize(saved.size());
    std::size_t k = 0;
    for (const TensorRef<T>& s : saved) {
        entry->saved[k++] = {s.get(), s.get().version()};
        if (s.get().node() == out) ++entry->self_saved;
    }
    entry->output = out;
    entry->output_shape.assign(out->sizes().begin(), out->sizes().end());
    if (tape.detect_anomaly() || is_anomaly_enabled())
        TG_CHECK(all_finite(out->values()), AnomalyError, "anomaly: forward of '", entry->name,
                 "' produced NaN or Inf in its output of shape ", out->sizes(), " (inputs ",
                 entry->describe(), ")");
    out->entry = tape.append(std::move(entry));
    out->tape_epoch = tape.epoch();
    out->requires_grad = true;
    if (append_hook) append_hook->appended(tape);
}

}  // namespace detail

// ---- BackwardContext ---------------------------------------------------------------------

template <class T>
const Tensor<T>& BackwardContext<T>::saved(std::size_t i) const {
    TG_CHECK(i < entry_.saved.size(), ValueError, "backward of '", entry_.name,
             "' asked for saved tensor #", i, ", but the op saved ", entry_.saved.size(),
             "; pass every tensor the backward needs in record()'s saved list");
    const auto& s = entry_.saved[i];
    if (!s.tensor.defined() && entry_.recompute)
        entry_.recompute->refill(entry_, state_.create_graph);
    const std::uint64_t now = s.tensor.node()->version_counter();
    TG_CHECK(now == s.version, GraphError, "backward of '", entry_.name, "': saved tensor #", i,
             (s.tensor.node()->name ? " ('" + *s.tensor.node()->name + "')" : ""), " of shape ",
             s.tensor.value().shape(), " was changed in place after it was recorded (version ",
             s.version, " when saved, ", now,
             " now); change parameters only after backward, or recompute the forward pass");
    return s.tensor;
}

template <class T>
Tensor<T> BackwardContext<T>::reusable_grad() const {
    // Without create_graph every gradient is a plain (leaf) tensor, so a use count of one
    // means no entry, pending leaf gradient, capture or user handle can see the change,
    // unless the gradient is a view (reshape's backward) or has one: its storage is shared.
    if (!state_.create_graph && entry_.grad.node().use_count() == 1 &&
        !entry_.grad.node()->storage_shared())
        return entry_.grad;
    return Tensor<T>::uninitialized(entry_.grad.value().shape());
}

template <class T>
bool BackwardContext<T>::needs(std::size_t i) const {
    using Kind = typename detail::InputSlot<T>::Kind;
    const auto& slot = entry_.inputs[i];
    switch (slot.kind) {
        case Kind::on_tape: return true;
        case Kind::leaf:
            return !state_.gradient_mode ||
                   detail::leaves_of<T>(state_).find(slot.node.get()) != nullptr;
        case Kind::foreign: return detail::find_tape(slot.node->tape_epoch) == nullptr;
        case Kind::released: return true;  // add() says so
        default: return false;
    }
}

template <class T>
void BackwardContext<T>::add(std::size_t i, const Tensor<T>& g) {
    using Kind = typename detail::InputSlot<T>::Kind;
    TG_CHECK(i < entry_.inputs.size(), ValueError, "backward of '", entry_.name,
             "' gave a gradient to input #", i, ", but the op has ", entry_.inputs.size(),
             " inputs");
    auto& slot = entry_.inputs[i];
    if (slot.kind == Kind::none) return;
    // value() raises tg::Error for an undefined gradient; a defined one's sizes are read
    // without filling a strided view's copy.
    const auto& sizes = g.defined() ? g.node()->sizes() : g.value().shape();
    TG_CHECK(std::equal(sizes.begin(), sizes.end(), slot.shape.begin(), slot.shape.end()),
             ShapeError, "backward of '", entry_.name, "' produced a gradient of shape ", g.shape(),
             " for input #", i, " of shape ", slot.shape,
             " (an op's backward must reduce broadcast gradients with tg::sum_to)");
    if (state_.anomaly)
        TG_CHECK(all_finite(g.value()), AnomalyError, "anomaly: backward of '", entry_.name,
                 "' produced NaN or Inf in the gradient of its input #", i, " (",
                 detail::leaf_name(slot), "shape ", slot.shape, ")");
    switch (slot.kind) {
        case Kind::on_tape: {
            // Released since this entry was recorded: an earlier backward ran it.
            detail::EntryBase* target = tape_.find_entry(slot.index);
            TG_CHECK(target, GraphError,
                     released_message(
                         detail::message("backward of '", entry_.name, "' reached input #", i)));
            accumulate(static_cast<detail::Entry<T>*>(target)->grad, g, state_.create_graph);
            break;
        }
        case Kind::leaf: {
            auto& leaves = detail::leaves_of<T>(state_);
            auto* leaf =
                state_.gradient_mode ? leaves.find(slot.node.get()) : &leaves.insert(slot.node);
            if (leaf) accumulate(leaf->pending, g, state_.create_graph);
            break;
        }
        case Kind::foreign:
            TG_CHECK(detail::find_tape(slot.node->tape_epoch), GraphError,
                     released_message(
                         detail::message("backward of '", entry_.name, "' reached input #", i)));
            break;  // recorded by an outer tape: this tape does not follow it
        case Kind::released:
            throw GraphError(released_message(
                detail::message("backward of '", entry_.name, "' reached input #", i)));
        default: break;
    }
}

/// Input i's gradient so far when only this sweep can see a change made in place to it
/// (no create_graph, no anomaly mode, a plain unshared buffer of the input's shape); null
/// otherwise.
template <class T>
Tensor<T>* BackwardContext<T>::sum_in_place(std::size_t i) {
    using Kind = typename detail::InputSlot<T>::Kind;
    if (state_.create_graph || state_.anomaly || i >= entry_.inputs.size()) return nullptr;
    auto& slot = entry_.inputs[i];
    Tensor<T>* sum = nullptr;
    if (slot.kind == Kind::on_tape) {
        sum = &static_cast<detail::Entry<T>&>(tape_.entry(slot.index)).grad;
    } else if (slot.kind == Kind::leaf) {
        auto& leaves = detail::leaves_of<T>(state_);
        auto* leaf = leaves.find(slot.node.get());
        if (leaf) sum = &leaf->pending;
    }
    // The same condition as accumulate()'s in-place sum: nothing else can see the change.
    if (!sum || !sum->defined() || sum->node().use_count() != 1 || !sum->is_leaf() ||
        sum->node()->storage_shared() || !same_shape(sum->node()->value, slot.shape))
        return nullptr;
    return sum;
}

template <class T>
bool BackwardContext<T>::add_window_in_place(std::size_t i, const Tensor<T>& window_grad,
                                             const detail::Layout& window) {
    Tensor<T>* sum = sum_in_place(i);
    if (!sum || window_grad.shape() != window.shape) return false;
    detail::add_strided(sum->node()->value.data(), window, window_grad.value().data());
    return true;
}

template <class T>
bool BackwardContext<T>::add_rows_in_place(std::size_t i, const Tensor<T>& rows,
                                           const Indices& indices) {
    Tensor<T>* sum = sum_in_place(i);  // input i's gradient so far
    if (!sum) return false;
    const auto& slot = entry_.inputs[i];
    Array<T>& dst = sum->node()->value;
    const Array<T>& src = rows.value();
    if (slot.shape.empty() || src.dimension() == 0 || src.shape()[0] != indices.size())
        return false;
    const std::size_t width = dst.size() / slot.shape[0];
    if (src.size() != indices.size() * width) return false;
    for (std::size_t k = 0; k < indices.size(); ++k) {
        T* d = dst.data() + indices[k] * width;
        const T* r = src.data() + k * width;
        for (std::size_t j = 0; j < width; ++j) d[j] += r[j];
    }
    return true;
}

// ---- Tape --------------------------------------------------------------------------------

Tape::Tape() : Tape(TapeOptions{}) {}

Tape::Tape(TapeOptions options)
    : options_(options), epoch_(next_epoch++), owner_(std::this_thread::get_id()) {
    detail::apply_thread_policy();  // one OpenBLAS thread unless the user asked otherwise
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
    // A scan costs the tape's length and comes after the tape doubled: O(1) per entry.
    // The new entry's inputs are alive (its caller holds them), so it keeps them.
    if (entries_.size() >= next_collect_) collect();
    entries_.push_back(std::move(entry));
    return entries_.size() - 1;
}

void Tape::collect() {
    if (sweeping_ || holds_) return;
    // Entries are in topological order, so one scan from the end decides: an entry is
    // kept when a handle holds its output or a kept later entry takes it. A later entry
    // that saved this output holds it too, so it counts among the handles; the ones
    // released are gone before the scan reaches this entry.
    for (std::size_t i = entries_.size(); i-- > 0;) {
        auto& e = entries_[i];
        if (!e) continue;
        if (e->needed || e->output_held()) {
            e->needed = false;
            e->mark_inputs(entries_.data());
        } else {
            e.reset();
        }
    }
    const bool had_entries = !entries_.empty();
    while (!entries_.empty() && !entries_.back()) entries_.pop_back();
    // A new epoch once all is released, as clear() does: the results of this one then
    // say "released" wherever they are used.
    if (had_entries && entries_.empty()) epoch_ = next_epoch++;
    next_collect_ = std::max(min_collect, 2 * entries_.size());
}

void Tape::check_thread(const char* what) const {
    TG_CHECK(std::this_thread::get_id() == owner_, GraphError, what,
             ": this tg::Tape belongs to another thread; each thread records on its own tape "
             "(create a tg::Tape in this thread)");
}

void Tape::release() {
    while (!entries_.empty()) entries_.pop_back();
    epoch_ = next_epoch++;
    next_collect_ = min_collect;
}

void Tape::clear() {
    check_thread("clear");
    release();
}

std::size_t Tape::size() {
    collect();
    return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(),
                                                  [](const auto& e) { return e != nullptr; }));
}

std::size_t Tape::bytes() {
    collect();
    std::size_t total = 0;
    for (const auto& e : entries_)
        if (e) total += e->saved_bytes();
    return total;
}

std::string Tape::dump() {
    std::ostringstream out;
    out << "tape: " << size() << " entries, " << bytes() << " bytes saved\n";
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (!entries_[i]) continue;
        const auto& e = *entries_[i];
        out << "  #" << i << "  " << e.name << "  " << e.describe() << "  saved " << e.saved_bytes()
            << " B\n";
    }
    return out.str();
}

std::string Tape::to_dot() {
    collect();
    std::ostringstream out;
    out << "digraph tape {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n";
    std::unordered_map<std::string, bool> drawn;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (!entries_[i]) continue;
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

void Tape::discard_sweep(std::size_t keep) {
    for (auto& e : entries_)
        if (e) e->clear_grad();
    while (entries_.size() > keep) entries_.pop_back();
}

// ---- the reverse sweep -------------------------------------------------------------------

namespace detail {

/// One run of tape.backward or tape.gradient. Its scratch state (the leaves' gradients,
/// the targets) lives here, so that any number of threads may sweep through shared
/// leaves at once; the entries' gradients live on the tape, which is the thread's own.
template <class T>
class Sweep {
public:
    Sweep(Tape& tape, const std::vector<Tensor<T>>* xs, const BackwardOptions& options)
        : tape_(tape),
          xs_(xs),
          options_(options),
          what_(xs ? "gradient" : "backward"),
          release_(!options.retain_graph && !options.create_graph) {
        state_.gradient_mode = xs != nullptr;
        state_.create_graph = options.create_graph;
        state_.anomaly = tape.options_.detect_anomaly || is_anomaly_enabled();
        state_.leaves = &leaves_;
    }

    void run(const Tensor<T>& y, const Tensor<T>* seed, std::vector<Tensor<T>>* results) {
        tape_.check_thread(what_);
        const bool on_tape = check_root(y);
        const Tensor<T> seed_tensor = make_seed(y, seed, on_tape);
        if (xs_) enter_targets();
        // Without create_graph the backward ops record nothing; with it they record on
        // this tape, so the gradients can be differentiated again.
        std::optional<NoGradGuard> no_grad;
        std::optional<EnableGradGuard> enable_grad;
        std::optional<ActiveTapeGuard> active;
        if (options_.create_graph) {
            enable_grad.emplace();
            active.emplace(&tape_);
        } else {
            no_grad.emplace();
        }
        const std::size_t entries_before = tape_.entries_.size();
        try {
            SweepingGuard sweeping(tape_);
            if (on_tape)
                walk_entries(y.node()->entry, seed_tensor, results);
            else if (!xs_ || leaves_.find(y.node().get()))  // y is a leaf: d y / d y = seed
                leaves_.insert(y.node()).pending = seed_tensor;
        } catch (...) {
            // With retain_graph the tape is as before; without it, the entries that ran
            // are released (as PyTorch frees each node's saved tensors as it goes), and
            // what only they reached goes too.
            tape_.discard_sweep(entries_before);
            if (release_) tape_.collect();
            throw;
        }
        if (xs_)
            collect_results(*results);
        else
            add_to_leaf_grads();
        if (release_) tape_.collect();
    }

private:
    /// Marks the tape as sweeping while alive: Tape::collect must not release an entry
    /// whose gradient is pending (only released entries reach it by then).
    struct SweepingGuard {
        explicit SweepingGuard(Tape& tape) : tape(tape) { ++tape.sweeping_; }
        ~SweepingGuard() { --tape.sweeping_; }
        Tape& tape;
    };

    /// Whether y was recorded on this tape (else it is a leaf that requires a gradient;
    /// anything else is an error that says what to do).
    bool check_root(const Tensor<T>& y) const {
        TG_CHECK(y.defined(), ValueError, what_, ": the output tensor is undefined");
        const auto& n = *y.node();
        if (n.tape_epoch == tape_.epoch_) {
            if (entry_of(tape_, y.node())) return true;
            throw GraphError(released_message(what_));  // an earlier sweep ran its entry
        }
        if (!n.is_leaf()) {
            TG_CHECK(!find_tape(n.tape_epoch), GraphError, what_,
                     ": this tensor was recorded by a different tape; call backward on the tape "
                     "that recorded it");
            throw GraphError(released_message(what_));
        }
        TG_CHECK(n.requires_grad, GraphError, what_,
                 ": no active tape recorded this tensor: create a tg::Tape before the forward "
                 "pass, and make at least one input require a gradient (tg::parameter); to "
                 "differentiate a gradient again, compute it with create_graph = true");
        return false;
    }

    /// The user's seed, checked against y's shape, or 1 for a one-element y.
    Tensor<T> make_seed(const Tensor<T>& y, const Tensor<T>* seed, bool on_tape) const {
        auto op = [&] {  // for error messages only
            return on_tape ? std::string("'") + tape_.entries_[y.node()->entry]->name + "'"
                           : std::string("a leaf");
        };
        if (seed) {
            TG_CHECK(seed->defined(), ValueError, what_, ": the seed is undefined");
            TG_CHECK(same_shape(seed->value(), y.shape()), ShapeError, what_, ": seed of shape ",
                     seed->value().shape(), " does not match the shape ", y.value().shape(),
                     " of the output of ", op(), "; the seed must have the output's shape");
            return *seed;
        }
        TG_CHECK(y.size() == 1, GraphError, what_, ": the output of ", op(), " has shape ",
                 y.value().shape(), " (", y.size(),
                 " elements); backward needs a one-element loss, or pass a seed of the output's "
                 "shape: tape.backward(y, seed)");
        Tensor<T> one = Tensor<T>::uninitialized(y.value().shape());
        *one.node()->value.data() = T(1);
        return one;
    }

    /// tape.gradient's inputs: leaves are entered in the leaf table (only they receive
    /// leaf gradients); results recorded on this tape are captured when the walk reaches
    /// their entry (all their contributions come from later entries).
    void enter_targets() {
        for (std::size_t k = 0; k < xs_->size(); ++k)
            TG_CHECK((*xs_)[k].defined(), ValueError, "gradient: input #", k, " is undefined");
        for (std::size_t k = 0; k < xs_->size(); ++k) {
            const auto& n = (*xs_)[k].node();
            if (entry_of(tape_, n)) {
                captures_.push_back({n->entry, k});
            } else if (n->is_leaf()) {
                leaves_.insert(n);
                any_leaf_target_ = true;
            }
        }
        std::sort(captures_.begin(), captures_.end(), std::greater<>());
    }

    /// Runs the backward of every entry from the root down, in reverse recording order.
    /// tape.gradient with no leaf target stops at its lowest captured entry.
    void walk_entries(std::size_t root, const Tensor<T>& seed, std::vector<Tensor<T>>* results) {
        auto& entries = tape_.entries_;
        std::size_t lowest = 0;
        if (xs_ && !any_leaf_target_)
            lowest = captures_.empty() ? root + 1 : captures_.back().first;
        static_cast<Entry<T>&>(*entries[root]).grad = seed;
        auto next_capture = captures_.begin();
        while (next_capture != captures_.end() && next_capture->first > root) ++next_capture;
        for (std::size_t i = root + 1; i-- > lowest;) {
            EntryBase* base = entries[i].get();
            if (!base || base->is_double() != std::is_same_v<T, double>) continue;
            auto& entry = static_cast<Entry<T>&>(*base);
            for (; next_capture != captures_.end() && next_capture->first == i; ++next_capture)
                (*results)[next_capture->second] = entry.grad;
            if (!entry.grad.defined()) continue;
            BackwardContext<T> context(tape_, entry, state_);
            const detail::BackwardProfile profile(entry.name);
            entry.backward(context);
            // Without retain_graph the entry goes now, its saved tensors and closure with
            // it, so the memory a sweep holds falls as it goes.
            if (release_)
                entries[i].reset();
            else
                entry.grad = Tensor<T>();
        }
        // Stopping early leaves gradients on entries below `lowest`; the next sweep must
        // not find them.
        for (std::size_t i = lowest; i-- > 0;)
            if (entries[i]) entries[i]->clear_grad();
    }

    /// tape.gradient: the leaf targets' sums (a leaf may be listed twice), zeros for an
    /// input y does not depend on (left undefined with allow_unused).
    void collect_results(std::vector<Tensor<T>>& results) {
        for (std::size_t k = 0; k < xs_->size(); ++k) {
            const auto& n = (*xs_)[k].node();
            if (!n->is_leaf()) continue;
            if (auto* leaf = leaves_.find(n.get()); leaf && leaf->pending.defined())
                results[k] = leaf->pending;
        }
        if (options_.allow_unused) return;
        for (std::size_t k = 0; k < xs_->size(); ++k)
            if (!results[k].defined())
                results[k] = Tensor<T>(Array<T>(xt::zeros<T>((*xs_)[k].value().shape())));
    }

    /// tape.backward: adds each leaf's sum into its grad(), holding the leaf's lock, so
    /// that threads sweeping through a shared leaf at once each add their whole sum.
    void add_to_leaf_grads() {
        for (auto& leaf : leaves_) {
            GradLockGuard lock(leaf.node->grad_lock);
            if (options_.create_graph)
                add_recorded(*leaf.node, leaf.pending);
            else
                add_plain(*leaf.node, leaf.pending);
        }
    }

    /// create_graph: grad() becomes a recorded sum, so it can be differentiated again.
    static void add_recorded(Node<T>& node, const Tensor<T>& pending) {
        if (node.grad) {
            node.grad = accumulate_grad(Tensor<T>(node.grad), pending).node();
        } else {
            // A recorded gradient is never changed in place, so it may be shared; an
            // unrecorded one (a seed, a constant) is copied, as zero_grad and later
            // backward calls change a leaf gradient in place.
            node.grad =
                pending.is_leaf() ? Tensor<T>(Array<T>(pending.value())).node() : pending.node();
        }
    }

    /// Without create_graph: grad() += pending, in place when grad() is a plain tensor.
    static void add_plain(Node<T>& node, Tensor<T>& pending) {
        if (!node.grad) {
            // The first gradient is handed over when only the sweep holds it; one that is
            // shared (a seed, a saved tensor, a view of another gradient or one with a view)
            // is copied, as zero_grad and later backward calls change a leaf gradient in
            // place.
            node.grad = pending.node().use_count() == 1 && !pending.node()->storage_shared()
                            ? pending.node()
                            : Tensor<T>(Array<T>(pending.value())).node();
        } else if (!node.grad->is_leaf()) {
            node.grad = sum_of(node.grad->values(), pending.value()).node();
        } else {
            add_into(node.grad->value, pending.value());
            ++node.grad->version_counter();
        }
    }

    Tape& tape_;
    const std::vector<Tensor<T>>* xs_;
    BackwardOptions options_;
    const char* what_;
    bool release_;  ///< release each entry once it ran (no retain_graph, no create_graph)
    SweepState state_;
    LeafGradients<T> leaves_;
    std::vector<std::pair<std::size_t, std::size_t>> captures_;  ///< (entry, position in xs)
    bool any_leaf_target_ = false;
};

}  // namespace detail

template <class T>
void Tape::sweep(const Tensor<T>& y, const Tensor<T>* seed, const std::vector<Tensor<T>>* xs,
                 std::vector<Tensor<T>>* results, const BackwardOptions& options) {
    detail::Sweep<T>(*this, xs, options).run(y, seed, results);
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
