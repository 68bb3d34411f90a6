#include <tapegrad/check.hpp>
#include <tapegrad/detail/pool.hpp>
#include <tapegrad/profiler.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <utility>

namespace tg {
namespace detail {

thread_local ProfileState* active_profile = nullptr;

namespace {
std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
std::size_t allocated_so_far() { return pool_stats().allocated_total; }
}  // namespace

/// One thread's active profile: where its events go and when the last one was.
struct ProfileState {
    Profiler* profiler = nullptr;
    std::int64_t start_ns = 0;
    std::int64_t last_ns = 0;    ///< the previous event
    std::size_t last_bytes = 0;  ///< the thread's pool bytes handed out at that event
    int in_backward = 0;         ///< >0 inside an entry's backward: its ops get no rows

    void add(const char* name, ProfileRow::Kind kind, std::int64_t ns, std::size_t bytes) {
        Profiler::Totals& t = profiler->totals_[{name, kind}];
        ++t.calls;
        t.nanoseconds += ns;
        t.bytes += bytes;
    }
    /// Charges the interval since the previous event to (name, kind) and starts the next.
    void close_interval(const char* name, ProfileRow::Kind kind) {
        const std::int64_t ns = now_ns();
        const std::size_t bytes = allocated_so_far();
        add(name, kind, ns - last_ns, bytes - last_bytes);
        last_ns = ns;
        last_bytes = bytes;
    }
};

namespace {
constexpr const char* kOther = "(other)";
}

void profile_forward_event(const char* name) {
    ProfileState& s = *active_profile;
    if (s.in_backward == 0) s.close_interval(name, ProfileRow::Kind::forward);
}

BackwardMark profile_backward_start() {
    ProfileState& s = *active_profile;
    if (s.in_backward++ > 0) return {now_ns(), allocated_so_far()};  // a sweep in a backward
    // The row starts where "(other)" ends, so that the rows tile the profiled time.
    s.close_interval(kOther, ProfileRow::Kind::other);
    return {s.last_ns, s.last_bytes};
}

void profile_backward_end(const BackwardMark& mark, const char* name) {
    if (!active_profile) return;  // the guard ended inside this backward
    ProfileState& s = *active_profile;
    const std::int64_t ns = now_ns();
    const std::size_t bytes = allocated_so_far();
    s.add(name, ProfileRow::Kind::backward, ns - mark.ns, bytes - mark.bytes);
    if (--s.in_backward == 0) {
        s.last_ns = ns;
        s.last_bytes = bytes;
    }
}

}  // namespace detail

ProfileGuard::ProfileGuard(Profiler& profiler)
    : state_(nullptr), previous_(detail::active_profile) {
    TG_CHECK(profiler.owner_ == nullptr, ValueError,
             "ProfileGuard: this Profiler is already filled by an active guard (on this "
             "thread or another); give each thread, and each nested guard, its own Profiler");
    auto* s = new detail::ProfileState;
    s->profiler = &profiler;
    s->start_ns = s->last_ns = detail::now_ns();
    s->last_bytes = detail::allocated_so_far();
    profiler.owner_ = this;
    state_ = s;
    detail::active_profile = s;
}

ProfileGuard::~ProfileGuard() {
    auto* s = static_cast<detail::ProfileState*>(state_);
    s->close_interval(detail::kOther, ProfileRow::Kind::other);
    s->profiler->wall_ns_ += s->last_ns - s->start_ns;
    s->profiler->owner_ = nullptr;
    detail::active_profile = static_cast<detail::ProfileState*>(previous_);
    delete s;
}

ProfileRange::ProfileRange(const char* name) : name_(name) {
    detail::ProfileState* s = detail::active_profile;
    if (!s || s->in_backward) return;
    s->close_interval(detail::kOther, ProfileRow::Kind::other);
    start_ns_ = s->last_ns;
    start_bytes_ = s->last_bytes;
}

ProfileRange::~ProfileRange() {
    detail::ProfileState* s = detail::active_profile;
    if (!s || start_ns_ == 0) return;
    // The range's whole time, ops inside included; the ops keep their own rows too, so
    // the next interval starts now.
    const std::int64_t ns = detail::now_ns();
    const std::size_t bytes = detail::allocated_so_far();
    s->close_interval(detail::kOther, ProfileRow::Kind::other);
    s->add(name_, ProfileRow::Kind::range, ns - start_ns_, bytes - start_bytes_);
}

std::vector<ProfileRow> Profiler::rows() const {
    std::map<std::pair<std::string, ProfileRow::Kind>, Totals> merged;
    for (const auto& [key, t] : totals_) {
        Totals& m = merged[{key.name, key.kind}];
        m.calls += t.calls;
        m.nanoseconds += t.nanoseconds;
        m.bytes += t.bytes;
    }
    std::vector<ProfileRow> rows;
    for (const auto& [key, t] : merged)
        rows.push_back({key.first, key.second, t.calls, t.nanoseconds, t.bytes});
    std::stable_sort(rows.begin(), rows.end(), [](const ProfileRow& a, const ProfileRow& b) {
        return a.nanoseconds > b.nanoseconds;
    });
    return rows;
}

std::string Profiler::table() const {
    static const char* const kinds[] = {"forward", "backward", "range", ""};
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "%-28s %-8s %8s %12s %12s %7s %12s\n", "name", "pass", "calls",
                  "total ms", "mean us", "% time", "alloc MiB");
    out += line;
    const double wall = wall_ns_ > 0 ? static_cast<double>(wall_ns_) : 1.0;
    for (const ProfileRow& r : rows()) {
        std::snprintf(line, sizeof line, "%-28s %-8s %8zu %12.3f %12.2f %6.1f%% %12.2f\n",
                      r.name.c_str(), kinds[static_cast<int>(r.kind)], r.calls,
                      static_cast<double>(r.nanoseconds) * 1e-6,
                      static_cast<double>(r.nanoseconds) * 1e-3 / static_cast<double>(r.calls),
                      100.0 * static_cast<double>(r.nanoseconds) / wall,
                      static_cast<double>(r.bytes) / (1 << 20));
        out += line;
    }
    std::snprintf(line, sizeof line,
                  "profiled wall time %.3f ms (ranges overlap the op rows inside them)\n",
                  static_cast<double>(wall_ns_) * 1e-6);
    out += line;
    return out;
}

void Profiler::clear() {
    totals_.clear();
    wall_ns_ = 0;
}

}  // namespace tg
