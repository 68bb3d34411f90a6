#pragma once
// tg::Tape: the Wengert list that records operations and runs the reverse sweep.
//
//     tg::Tape tape;                       // the active tape of this thread while alive
//     auto w = tg::parameter<double>(...);
//     auto loss = tg::sum(tg::square(x * w));
//     tape.backward(loss);                 // or loss.backward(); fills w.grad()
//
// Entries are kept in recording order, which already is a topological order; the sweep
// is one loop from the output's entry down to entry 0. No recursion anywhere. An entry
// that no tensor handle, saved tensor or later entry can reach is released, and backward
// releases the entries it ran (docs/design.md, "The tape and the sweep").

#include <tapegrad/tensor.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace tg {

/// Options of tape.backward and tape.gradient (an aggregate: C++20 users may write
/// `{.create_graph = true}`).
struct BackwardOptions {
    /// Keep the entries after the sweep, so that backward can run again over them.
    /// Without it, each entry the sweep runs is released as soon as its backward is done
    /// (entries the sweep does not reach stay).
    bool retain_graph = false;
    /// Record the backward computation itself, so that the gradients can be
    /// differentiated again (gradients of gradients). Implies retain_graph.
    bool create_graph = false;
    /// tape.gradient only: an undefined tensor, not zeros, for an input the sweep did not
    /// reach (PyTorch's allow_unused), so that a caller can tell "no gradient" from a
    /// zero one (tg::nn::DataParallel leaves such a parameter's grad() empty).
    bool allow_unused = false;
};

/// Options of a tape (an aggregate).
struct TapeOptions {
    /// Check every forward value and gradient for NaN/Inf (as tg::DetectAnomalyGuard).
    bool detect_anomaly = false;
};

namespace detail {
struct EntryBase;
template <class T>
class Sweep;
}  // namespace detail

/// A tape of recorded operations (a Wengert list); while alive, the active tape of its
/// thread. See docs/design.md, "The tape and the sweep".
class Tape {
public:
    Tape();
    /// A tape with options (anomaly detection).
    explicit Tape(TapeOptions options);
    ~Tape();
    Tape(const Tape&) = delete;
    Tape& operator=(const Tape&) = delete;

    /// Accumulates d loss / d leaf into grad() of every leaf that requires a gradient.
    /// `loss` must hold one element; otherwise pass a seed of its shape.
    template <class T>
    void backward(const Tensor<T>& loss, const BackwardOptions& options = {}) {
        sweep<T>(loss, nullptr, nullptr, nullptr, options);
    }
    /// The same, seeded with d L / d y = seed (of y's shape). (`Seed` is Tensor<T>; the
    /// template keeps `tape.backward(y, {.retain_graph = true})` unambiguous.)
    template <class T, class Seed, class = std::enable_if_t<std::is_same_v<Seed, Tensor<T>>>>
    void backward(const Tensor<T>& y, const Seed& seed, const BackwardOptions& options = {}) {
        sweep<T>(y, &seed, nullptr, nullptr, options);
    }

    /// Returns d y / d x for each x in xs (zeros for an x that y does not depend on, or
    /// an undefined tensor with options.allow_unused), leaving grad() untouched. xs may
    /// be leaves or results recorded on this tape.
    template <class T>
    std::vector<Tensor<T>> gradient(const Tensor<T>& y, const std::vector<Tensor<T>>& xs,
                                    const BackwardOptions& options = {}) {
        std::vector<Tensor<T>> results(xs.size());
        sweep<T>(y, nullptr, &xs, &results, options);
        return results;
    }
    /// The same, seeded: returns seedᵀ (d y / d x), a vector-Jacobian product.
    template <class T, class Seed, class = std::enable_if_t<std::is_same_v<Seed, Tensor<T>>>>
    std::vector<Tensor<T>> gradient(const Tensor<T>& y, const std::vector<Tensor<T>>& xs,
                                    const Seed& seed, const BackwardOptions& options = {}) {
        std::vector<Tensor<T>> results(xs.size());
        sweep<T>(y, &seed, &xs, &results, options);
        return results;
    }

    /// Number of entries the tape keeps. It first releases the entries nothing can reach
    /// any more (no handle on their output, no later entry that is kept), so a pass whose
    /// outputs were all dropped leaves the count as it was. One scan of the tape.
    std::size_t size();
    /// Bytes held by the tensors the kept entries saved for backward (after the same
    /// release as size()). During a sweep without retain_graph it falls as entries run.
    std::size_t bytes();
    /// One line per kept entry: index, op, input and output shapes, saved bytes.
    std::string dump();
    /// The kept graph in Graphviz dot syntax.
    std::string to_dot();
    /// Releases every entry.
    void clear();

    /// Whether this tape checks every value and gradient for NaN and Inf.
    bool detect_anomaly() const { return options_.detect_anomaly; }

    /// The innermost tape alive on this thread, or nullptr.
    static Tape* active();

    // For the recording machinery (tg::record).
    /// For the recording machinery: the tape's current epoch (changes when its entries
    /// are released).
    std::uint64_t epoch() const { return epoch_; }
    /// For the recording machinery: appends an entry, returns its index. Every time the
    /// tape has doubled since the last scan, first releases what nothing can reach (so
    /// recording stays O(1) per entry, amortized).
    std::size_t append(std::unique_ptr<detail::EntryBase> entry);
    /// For the recording machinery: the entry at `index` (it must not be released).
    detail::EntryBase& entry(std::size_t index) { return *entries_[index]; }
    /// For the recording machinery: the entry at `index`, or nullptr once released.
    detail::EntryBase* find_entry(std::size_t index) {
        return index < entries_.size() ? entries_[index].get() : nullptr;
    }
    /// For the recording machinery: the index the next entry gets (one past the last
    /// slot, released slots included; size() counts only kept entries).
    std::size_t length() const { return entries_.size(); }

    /// For the recording machinery (tg::checkpoint): while alive, the tape releases
    /// nothing, so the entries recorded meanwhile all stay, at the indices they got.
    class Hold {
    public:
        /// Holds `tape`'s entries.
        explicit Hold(Tape& tape) : tape_(tape) { ++tape_.holds_; }
        ~Hold() { --tape_.holds_; }
        Hold(const Hold&) = delete;
        Hold& operator=(const Hold&) = delete;

    private:
        Tape& tape_;
    };

private:
    template <class T>
    friend class detail::Sweep;

    template <class T>
    void sweep(const Tensor<T>& y, const Tensor<T>* seed, const std::vector<Tensor<T>>* xs,
               std::vector<Tensor<T>>* results, const BackwardOptions& options);
    void check_thread(const char* what) const;
    void release();
    /// Releases every entry that neither a handle on its output nor a later kept entry
    /// reaches (one scan from the last entry down), then drops released entries from the
    /// end. Does nothing during a sweep, whose pending gradients it cannot see.
    void collect();
    /// After a failed sweep: drops the entries' gradients and the entries it recorded
    /// (those from index `keep` on). A sweep with retain_graph leaves the tape as before;
    /// one without it has released the entries whose backward already ran.
    void discard_sweep(std::size_t keep);

    /// The tape's length at which append() scans again: twice the length the last scan
    /// left, and at least this.
    static constexpr std::size_t min_collect = 64;

    TapeOptions options_;
    /// In recording order; a released entry is an empty slot until the entries after it
    /// are released too (results know their entry by index).
    std::vector<std::unique_ptr<detail::EntryBase>> entries_;
    std::uint64_t epoch_;
    std::thread::id owner_;
    std::size_t next_collect_ = min_collect;
    int sweeping_ = 0;  ///< sweeps running on this tape (a backward may call another)
    int holds_ = 0;     ///< live Hold objects
};

namespace detail {
/// The tape that records on this thread right now: the innermost live tape, or
/// nullptr when there is none or a NoGradGuard is alive.
Tape* recording_tape();
/// The live tape of this thread whose current epoch is `epoch`, or nullptr.
Tape* find_tape(std::uint64_t epoch);
}  // namespace detail

}  // namespace tg
