#include <tapegrad/activation_checkpoint.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/record.hpp>

#include <algorithm>
#include <cstring>
#include <memory>

namespace tg {
namespace detail {
namespace {

/// A generator a checkpointed function drew from, and its state before the first draw.
struct NotedGenerator {
    std::mt19937_64* rng;
    std::mt19937_64 state;
};

/// Set while a checkpointed function runs (first or again) on this thread: the
/// generators it draws from are noted here, and a checkpoint inside it runs plainly (the
/// outer one already covers its entries).
thread_local std::vector<NotedGenerator>* noted_generators = nullptr;

/// While alive, this thread is inside a checkpointed function.
class InsideCheckpoint {
public:
    explicit InsideCheckpoint(std::vector<NotedGenerator>* log) : previous_(noted_generators) {
        noted_generators = log;
    }
    ~InsideCheckpoint() { noted_generators = previous_; }
    InsideCheckpoint(const InsideCheckpoint&) = delete;
    InsideCheckpoint& operator=(const InsideCheckpoint&) = delete;

private:
    std::vector<NotedGenerator>* previous_;
};

/// Thrown by a second run once it has recorded every entry backward needs (caught in
/// Region::recompute; not a std::exception, so that a checked function's handlers of
/// those let it through).
struct StopRecompute {};

/// One checkpointed call: what it needs to run again, and the entries it recorded.
template <class T>
class Region final : public Recompute<T>, public AppendHook {
public:
    using Function = std::function<std::vector<Tensor<T>>(const std::vector<Tensor<T>>&)>;

    Region(Function fn, std::vector<Tensor<T>> inputs)
        : fn_(std::move(fn)), inputs_(std::move(inputs)) {}

    /// The first run: records fn on `tape` and drops what its entries saved, except fn's
    /// inputs and outputs and the parameters (which stay alive anyway).
    std::vector<Tensor<T>> run(Tape& tape, const std::shared_ptr<Region>& self) {
        Tape::Hold hold(tape);  // every entry fn records stays, at its index
        const std::size_t first = tape.length();
        std::vector<Tensor<T>> outputs;
        {
            InsideCheckpoint inside(&generators_);
            outputs = fn_(inputs_);
        }
        std::size_t last = 0;  // the last member the second run must record
        for (std::size_t k = first; k < tape.length(); ++k) {
            EntryBase& base = tape.entry(k);
            if (base.is_double() != std::is_same_v<T, double>) continue;
            auto& entry = static_cast<Entry<T>&>(base);
            Member member{&entry,
                          entry.name,
                          std::vector<bool>(entry.saved.size(), false),
                          {},
                          false,
                          k - first,
                          std::vector<std::size_t>(entry.saved.size(), members_.size())};
            for (std::size_t i = 0; i < entry.saved.size(); ++i) {
                auto& s = entry.saved[i].tensor;
                // Parameters, inputs and outputs are alive anyway; anything else (results
                // and constants made inside fn: masks, attention weights) is dropped.
                const bool parameter = s.is_leaf() && s.requires_grad();
                if (parameter || among(s, inputs_) || among(s, outputs)) continue;
                // The output of an earlier member: the second run has it once that member
                // is recorded; anything else, once this one is.
                for (std::size_t m = 0; m < members_.size(); ++m)
                    if (members_[m].entry->is_output(s.node())) {
                        member.source[i] = m;
                        break;
                    }
                last = std::max(last, member.source[i]);
                if (entry.is_output(s.node())) --entry.self_saved;  // no longer held here
                s = Tensor<T>();
                member.dropped[i] = true;
            }
            entry.recompute = self;
            members_.push_back(std::move(member));
        }
        if (!members_.empty()) {
            last_needed_ = last;
            stop_length_ = members_[last].offset + 1;
        }
        return outputs;
    }

    /// Fills the dropped saved tensors of `asking` from a second run of fn (one run serves
    /// every entry of the region; each entry takes its tensors out of it). A slot filled
    /// by a sweep without create_graph holds a constant, so a create_graph sweep fills it
    /// again from a recorded run.
    void refill(Entry<T>& asking, bool create_graph) override {
        std::size_t j = 0;  // entries are compared by address only: some may be released
        while (j < members_.size() && members_[j].entry != &asking) ++j;
        if (j == members_.size()) return;  // not one of this region's entries
        Member& member = members_[j];
        bool missing = false;
        for (const auto& s : asking.saved) missing = missing || !s.tensor.defined();
        if (!missing && !(create_graph && member.filled_constant)) return;
        if (member.recomputed.empty() || (create_graph && !recomputed_recorded_))
            recompute(create_graph);
        for (std::size_t i = 0; i < asking.saved.size(); ++i)
            if (member.dropped[i]) asking.saved[i] = member.recomputed[i];
        member.recomputed.clear();
        member.filled_constant = !create_graph;
    }

private:
    /// An entry of the region, which of its saved tensors were dropped, and what the
    /// latest second run saved in their place (until the entry takes them).
    struct Member {
        Entry<T>* entry;
        const char* entry_name;  ///< the op's name (a literal), to check the second run
        std::vector<bool> dropped;
        std::vector<SavedTensor<T>> recomputed;
        bool filled_constant = false;
        std::size_t offset;  ///< its index on the tape from the region's first entry
        /// Per saved tensor dropped: the member whose output it is, or this member's own
        /// index when it is no member's output (made by this op, or a constant).
        std::vector<std::size_t> source;
    };

    static bool among(const Tensor<T>& t, const std::vector<Tensor<T>>& list) {
        for (const auto& x : list)
            if (t.same(x)) return true;
        return false;
    }

    /// Runs fn again and keeps, for every entry of the region, what the second run saved.
    /// Without create_graph: on detached inputs, recorded on a scratch tape that lives
    /// only for this (the saved tensors outlive it). With create_graph: on the inputs
    /// themselves, recorded on the sweep's tape (the active one), so the recomputed
    /// tensors hang on the graph and the gradients can be differentiated again.
    void recompute(bool create_graph) {
        if (create_graph) {
            Tape& tape = *recording_tape();
            Tape::Hold hold(tape);
            const std::size_t first = tape.length();
            rerun(inputs_);
            take_saved(tape, first);
        } else {
            std::vector<Tensor<T>> detached;
            for (const auto& x : inputs_) {
                Tensor<T> d = x.detach();
                if (x.requires_grad()) d.set_requires_grad(true);
                detached.push_back(d);
            }
            Tape scratch;
            Tape::Hold hold(scratch);   // the second run's outputs are dropped at once
            EnableGradGuard recording;  // the sweep runs under NoGradGuard
            // Stops fn once the last entry whose saved tensors backward needs is recorded
            // (PyTorch's early stop): the ops after it, such as a block's last Linear,
            // whose output only the next block uses, do not run again.
            struct Hook {
                AppendHook* previous;
                Hook(Region& r, Tape& t) : previous(set_append_hook(&r)) { r.scratch_ = &t; }
                ~Hook() { set_append_hook(previous); }
            };
            bool stopped = false;
            {
                Hook hook(*this, scratch);
                try {
                    rerun(detached);
                } catch (const StopRecompute&) {
                    stopped = true;
                }
            }
            scratch_ = nullptr;
            take_saved(scratch, 0, stopped);
        }
        recomputed_recorded_ = create_graph;
    }

    /// The second run has recorded stop_length_ entries on the scratch tape: keeps the
    /// outputs of earlier members that later members saved, and stops it (unless one of
    /// them is no longer held, when it runs to the end).
    void appended(Tape& tape) override {
        if (&tape != scratch_ || tape.length() != stop_length_) return;
        std::vector<Tensor<T>> outputs(members_.size());
        for (std::size_t j = last_needed_ + 1; j < members_.size(); ++j)
            for (std::size_t i = 0; i < members_[j].dropped.size(); ++i) {
                if (!members_[j].dropped[i]) continue;
                const std::size_t m = members_[j].source[i];
                if (outputs[m].defined()) continue;
                auto node =
                    std::static_pointer_cast<Node<T>>(tape.entry(members_[m].offset).output.lock());
                if (!node) return;
                outputs[m] = Tensor<T>(std::move(node));
            }
        stop_outputs_ = std::move(outputs);
        throw StopRecompute{};
    }

    /// fn again, with every generator it drew from set back to where the first run
    /// started it, and left afterwards where it was before this call.
    void rerun(const std::vector<Tensor<T>>& inputs) {
        std::vector<std::mt19937_64> now;
        for (auto& g : generators_) {
            now.push_back(*g.rng);
            *g.rng = g.state;
        }
        auto restore = [&] {
            for (std::size_t k = 0; k < generators_.size(); ++k) *generators_[k].rng = now[k];
        };
        std::vector<NotedGenerator> ignored;
        try {
            InsideCheckpoint inside(&ignored);
            fn_(inputs);
        } catch (...) {
            restore();
            throw;
        }
        restore();
    }

    /// Takes the saved tensors of the entries of type T that the second run recorded on
    /// `tape` from `first` on, checked against the first run's entries op by op; when it
    /// `stopped` early, the later members' from the outputs appended() kept.
    void take_saved(Tape& tape, std::size_t first, bool stopped = false) {
        std::vector<Entry<T>*> again;
        for (std::size_t k = first; k < tape.length(); ++k) {
            EntryBase& base = tape.entry(k);
            if (base.is_double() == std::is_same_v<T, double>)
                again.push_back(&static_cast<Entry<T>&>(base));
        }
        const std::size_t expected = stopped ? last_needed_ + 1 : members_.size();
        bool same = again.size() == expected;
        for (std::size_t j = 0; same && j < again.size(); ++j)
            same = std::strcmp(again[j]->name, members_[j].entry_name) == 0 &&
                   again[j]->saved.size() == members_[j].dropped.size();
        TG_CHECK(same, GraphError, "checkpoint: the checkpointed function recorded ",
                 members_.size(), " ops the first time and ", again.size(),
                 " different ones when run again for backward; it must record the same ops "
                 "for the same inputs (no control flow on values that change between the two "
                 "runs)");
        for (std::size_t j = 0; j < again.size(); ++j)
            members_[j].recomputed.assign(again[j]->saved.begin(), again[j]->saved.end());
        for (std::size_t j = expected; j < members_.size(); ++j) {
            Member& member = members_[j];
            member.recomputed.assign(member.dropped.size(), SavedTensor<T>{});
            for (std::size_t i = 0; i < member.dropped.size(); ++i)
                if (member.dropped[i]) {
                    const Tensor<T>& t = stop_outputs_[member.source[i]];
                    member.recomputed[i] = {t, t.version()};
                }
        }
        stop_outputs_.clear();
    }

    Function fn_;
    std::vector<Tensor<T>> inputs_;
    std::vector<NotedGenerator> generators_;
    std::vector<Member> members_;          ///< the region's entries, in recording order
    bool recomputed_recorded_ = false;     ///< whether the latest second run was recorded
    std::size_t last_needed_ = 0;          ///< the last member a second run must record
    std::size_t stop_length_ = 0;          ///< the scratch tape's length once it has
    Tape* scratch_ = nullptr;              ///< the tape of the second run under way
    std::vector<Tensor<T>> stop_outputs_;  ///< per member: its output, if kept at the stop
};

}  // namespace

void note_generator(std::mt19937_64& rng) {
    if (!noted_generators) return;
    for (const auto& g : *noted_generators)
        if (g.rng == &rng) return;
    noted_generators->push_back({&rng, rng});
}

}  // namespace detail

template <class T>
std::vector<Tensor<T>> checkpoint(
    const std::function<std::vector<Tensor<T>>(const std::vector<Tensor<T>>&)>& fn,
    const std::vector<Tensor<T>>& inputs) {
    for (std::size_t k = 0; k < inputs.size(); ++k)
        TG_CHECK(inputs[k].defined(), ValueError, "checkpoint: input #", k, " is undefined");
    Tape* tape = detail::recording_tape();
    // Nothing records, or an enclosing checkpoint covers this call: nothing to drop.
    if (!tape || detail::noted_generators) return fn(inputs);
    auto region = std::make_shared<detail::Region<T>>(fn, inputs);
    return region->run(*tape, region);
}

template std::vector<Tensor<float>> checkpoint<float>(
    const std::function<std::vector<Tensor<float>>(const std::vector<Tensor<float>>&)>&,
    const std::vector<Tensor<float>>&);
template std::vector<Tensor<double>> checkpoint<double>(
    const std::function<std::vector<Tensor<double>>(const std::vector<Tensor<double>>&)>&,
    const std::vector<Tensor<double>>&);

}  // namespace tg
