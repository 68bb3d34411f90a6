#pragma once
// Where a step's time and memory go, per recorded op name, forward and backward apart,
// as torch.profiler's key_averages() table:
//
//     tg::Profiler prof;
//     {
//         tg::ProfileGuard guard(prof);   // this thread, until the guard ends
//         ...one training step...
//     }
//     std::cout << prof.table();
//
// What a row counts (docs/design.md, "The profiler"):
// - forward "op": each time an op calls tg::record (recording or not: under NoGradGuard
//   and without a tape too), the wall time and the pool bytes this thread allocated since
//   the previous profiler event on the thread. An op computes its value before it calls
//   record, so that interval is the op's work, plus whatever ran between the two ops
//   that no op records (user code, a layer_norm or attention fast path taken when nothing
//   records, an optimizer's raw loops): wrap such code in a tg::ProfileRange to give it a
//   row of its own.
// - backward "op": the time and bytes of that entry's backward in a sweep (the ops it
//   runs, recorded under create_graph or not, are part of it and get no rows).
// - range "name": the time and bytes inside a tg::ProfileRange.
// - "(other)": the intervals that end at no op: before a backward entry (the sweep's
//   bookkeeping, the gap from the last forward op), at a range's start and end (so a
//   range's unrecorded work is here as well as in its range row) and at the guard's end.
//   The rows other than ranges add up to the profiled wall time.
// Profiling is per thread: a guard profiles the thread that made it, so two threads
// profile independently (DataParallel's workers are not in their caller's profile).
// When no guard is active the cost is one thread-local test per op and per backward.

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace tg {

namespace detail {
struct ProfileState;
}

/// One line of Profiler::table().
struct ProfileRow {
    /// What the row counts: an op's forward or backward, a ProfileRange, or the rest.
    enum class Kind : unsigned char { forward, backward, range, other };
    std::string name;              ///< the op's recorded name, the range's, or "(other)"
    Kind kind = Kind::forward;     ///< forward, backward, range or other
    std::size_t calls = 0;         ///< events summed into the row
    std::int64_t nanoseconds = 0;  ///< wall time, summed over calls
    std::size_t bytes = 0;         ///< pool bytes handed out (tg::memory_stats' blocks)
};

/// The per-op totals of everything profiled into it (any number of guarded regions, one
/// after another, on one thread at a time).
class Profiler {
public:
    /// One row per name and kind, by total time, longest first.
    std::vector<ProfileRow> rows() const;
    /// rows() as a table: name, pass, calls, total and mean time, share of the profiled
    /// time, bytes allocated; the last line gives the profiled wall time.
    std::string table() const;
    /// Wall time inside guards, summed.
    std::int64_t profiled_nanoseconds() const { return wall_ns_; }
    /// Forgets every row.
    void clear();

private:
    friend struct detail::ProfileState;
    friend class ProfileGuard;
    struct Totals {
        std::size_t calls = 0;
        std::int64_t nanoseconds = 0;
        std::size_t bytes = 0;
    };
    // Keyed by the name's pointer (a string literal per op; equal names at different
    // addresses are merged by rows()) and the kind.
    struct Key {
        const char* name;
        ProfileRow::Kind kind;
        bool operator==(const Key& o) const { return name == o.name && kind == o.kind; }
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            return std::hash<const void*>()(k.name) ^ static_cast<std::size_t>(k.kind);
        }
    };
    std::unordered_map<Key, Totals, KeyHash> totals_;
    std::int64_t wall_ns_ = 0;
    const void* owner_ = nullptr;  ///< the guard profiling into it now, if any
};

/// Profiles the calling thread into `profiler` until the guard ends. Guards nest: the
/// inner one's profiler gets the events until it ends, and the outer profile charges
/// that time to its next row. tg::ValueError when `profiler`
/// is being filled by another guard that is still active.
class ProfileGuard {
public:
    /// Starts profiling this thread into `profiler`.
    explicit ProfileGuard(Profiler& profiler);
    ~ProfileGuard();
    ProfileGuard(const ProfileGuard&) = delete;
    ProfileGuard& operator=(const ProfileGuard&) = delete;

private:
    void* state_;     // the thread's profiling state while this guard is active
    void* previous_;  // the enclosing guard's, restored at the end
};

/// Gives the code in its scope a row "name" (kind range) in the active profile, for work
/// no op records (an optimizer step, data loading). Does nothing when nothing profiles.
/// `name` must outlive the profiler's rows() call (a string literal).
class ProfileRange {
public:
    /// Opens the row `name` (a string literal) until the end of the scope.
    explicit ProfileRange(const char* name);
    ~ProfileRange();
    ProfileRange(const ProfileRange&) = delete;
    ProfileRange& operator=(const ProfileRange&) = delete;

private:
    const char* name_;
    std::int64_t start_ns_ = 0;
    std::size_t start_bytes_ = 0;
};

namespace detail {

/// The calling thread's active profile, or null (the one test ops pay when off).
extern thread_local ProfileState* active_profile;

void profile_forward_event(const char* name);
/// A backward entry's start, as the sweep sees it.
struct BackwardMark {
    std::int64_t ns = 0;
    std::size_t bytes = 0;
};
BackwardMark profile_backward_start();
void profile_backward_end(const BackwardMark& mark, const char* name);

/// Called by tg::record: the op `name` has computed its value.
inline void profile_forward(const char* name) {
    if (active_profile) profile_forward_event(name);
}

/// Made by the sweep around each entry's backward (core/src/tape.cpp): the entry's row.
/// Also when the backward throws, so that a failed sweep leaves the profile counting.
class BackwardProfile {
public:
    explicit BackwardProfile(const char* name) : name_(name) {
        if (active_profile) {
            mark_ = profile_backward_start();
            active_ = true;
        }
    }
    ~BackwardProfile() {
        if (active_) profile_backward_end(mark_, name_);
    }
    BackwardProfile(const BackwardProfile&) = delete;
    BackwardProfile& operator=(const BackwardProfile&) = delete;

private:
    const char* name_;
    BackwardMark mark_;
    bool active_ = false;
};

}  // namespace detail
}  // namespace tg
