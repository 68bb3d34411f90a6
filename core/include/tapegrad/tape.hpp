#pragma once
// tg::Tape: the Wengert list that records operations and runs the reverse sweep.
//
//     tg::Tape tape;                       // the active tape of this thread while alive
//     auto w = tg::parameter<double>(...);
//     auto loss = tg::sum(tg::square(x * w));
//     tape.backward(loss);                 // or loss.backward(); fills w.grad()
//
// Entries are kept in recording order, which already is a topological order; the sweep
// is one loop from the output's entry down to entry 0. No recursion anywhere.

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

    /// Number of recorded entries.
    std::size_t size() const { return entries_.size(); }
    /// Bytes held by the tensors the entries saved for backward.
    std::size_t bytes() const;
    /// One line per entry: index, op, input and output shapes, saved bytes.
    std::string dump() const;
    /// The recorded graph in Graphviz dot syntax.
    std::string to_dot() const;
    /// Releases every entry (as backward does without retain_graph).
    void clear();

    /// Whether this tape checks every value and gradient for NaN and Inf.
    bool detect_anomaly() const { return options_.detect_anomaly; }

    /// The innermost tape alive on this thread, or nullptr.
    static Tape* active();

    // For the recording machinery (tg::record).
    /// For the recording machinery: the tape's current epoch (changes when its entries
    /// are released).
    std::uint64_t epoch() const { return epoch_; }
    /// For the recording machinery: appends an entry, returns its index.
    std::size_t append(std::unique_ptr<detail::EntryBase> entry);
    /// For the recording machinery: the entry at `index`.
    detail::EntryBase& entry(std::size_t index) { return *entries_[index]; }

private:
    template <class T>
    friend class detail::Sweep;

    template <class T>
    void sweep(const Tensor<T>& y, const Tensor<T>* seed, const std::vector<Tensor<T>>* xs,
               std::vector<Tensor<T>>* results, const BackwardOptions& options);
    void check_thread(const char* what) const;
    void release();
    /// After a failed sweep: drops the entries' gradients and the entries it recorded
    /// (those from index `keep` on), so the tape is as before the sweep.
    void discard_sweep(std::size_t keep);

    TapeOptions options_;
    std::vector<std::unique_ptr<detail::EntryBase>> entries_;
    std::uint64_t epoch_;
    std::thread::id owner_;
};

namespace detail {
/// The tape that records on this thread right now: the innermost live tape, or
/// nullptr when there is none or a NoGradGuard is alive.
Tape* recording_tape();
/// The live tape of this thread whose current epoch is `epoch`, or nullptr.
Tape* find_tape(std::uint64_t epoch);
}  // namespace detail

}  // namespace tg
