#include <tapegrad/distributed.hpp>

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <typeinfo>
#include <vector>
#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#endif

namespace tg::distributed {
namespace {

// ---- the job's state: how each rank learns that another one has ended ------------------
//
// Every rank's Environment, when it closes, sends each other rank a notice on a
// communicator of its own (`control`): how many collective calls it made, and how it
// ended. A rank inside a collective call numbered n that reads a notice with fewer calls
// knows that the other rank will never join, and ends the job (MPI_Abort) with a message
// naming both. A watchdog thread reads the notices while the main thread sits in MPI
// (MPI_THREAD_MULTIPLE; without it the notices are read at the start of each call only).
// Exceptions that nobody catches end the job through a terminate handler; a killed rank,
// or one that exits without finalizing, is ended by mpirun itself.

constexpr int kEndTag = 1;
enum class Ending : std::uint64_t { returned = 1, exception = 2 };

struct Ended {
    std::uint64_t calls = 0;
    Ending how = Ending::returned;
};

struct State {
    MPI_Comm control = MPI_COMM_NULL;
    int rank = 0, size = 1;
    bool owns_mpi = false;
    std::atomic<std::uint64_t> calls{0};   ///< collective calls entered so far
    std::atomic<std::uint64_t> inside{0};  ///< the call in progress; 0: none
    std::atomic<const char*> inside_name{nullptr};
    int depth = 0;  ///< nested collective calls (main thread)
    std::mutex mutex;
    std::vector<std::optional<Ended>> ended;  ///< per rank, once its notice has arrived
    std::thread watchdog;
    std::atomic<bool> stop{false};
    std::terminate_handler previous_terminate = nullptr;
};

State* state = nullptr;

std::string rank_of(int r, int n) {
    return "rank " + std::to_string(r) + " of " + std::to_string(n);
}

[[noreturn]] void abort_job(const std::string& message) {
    std::fprintf(stderr, "tg::distributed: %s; aborting every rank (MPI_Abort)\n", message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::abort();  // MPI_Abort does not return; in case it does
}

/// Reads the notices that have arrived (without waiting).
void read_notices(State& s) {
    for (;;) {
        int arrived = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, kEndTag, s.control, &arrived, &status);
        if (!arrived) return;
        std::uint64_t notice[2];
        MPI_Recv(notice, 2, MPI_UINT64_T, status.MPI_SOURCE, kEndTag, s.control, MPI_STATUS_IGNORE);
        std::lock_guard<std::mutex> lock(s.mutex);
        s.ended[status.MPI_SOURCE] = Ended{notice[0], static_cast<Ending>(notice[1])};
    }
}

/// Ends the job when a rank has ended before collective call `call` (which needs it).
void check_ended(State& s, std::uint64_t call, const char* name) {
    std::lock_guard<std::mutex> lock(s.mutex);
    for (int r = 0; r < s.size; ++r) {
        const std::optional<Ended>& e = s.ended[r];
        if (!e || e->calls >= call) continue;
        abort_job(rank_of(r, s.size) + " has ended (" +
                  (e->how == Ending::exception
                       ? "an exception left the scope of its tg::distributed::Environment"
                       : "its tg::distributed::Environment closed: main returned or exit() "
                         "was called") +
                  ") after " + std::to_string(e->calls) + " collective calls, while rank " +
                  std::to_string(s.rank) + " is in " + name + " (collective call #" +
                  std::to_string(call) + "), which needs every rank");
    }
}

void watch(State& s) {
    while (!s.stop.load()) {
        read_notices(s);
        if (const std::uint64_t call = s.inside.load()) check_ended(s, call, s.inside_name.load());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

/// The name of the exception in flight in a terminate handler, and its message.
std::string describe_current_exception() {
    const std::exception_ptr error = std::current_exception();
    if (!error) return "std::terminate was called without an exception";
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        std::string type = typeid(e).name();
#if __has_include(<cxxabi.h>)
        int status = 0;
        if (char* readable = abi::__cxa_demangle(type.c_str(), nullptr, nullptr, &status)) {
            type = readable;
            std::free(readable);
        }
#endif
        return "uncaught " + type + ": " + e.what();
    } catch (...) {
        return "an uncaught exception not derived from std::exception";
    }
}

void on_terminate() {
    abort_job(rank_of(rank(), size()) + " failed: " + describe_current_exception());
}

/// Tells every other rank that this one has ended, after `calls` collective calls.
void send_notices(State& s, Ending how) {
    const std::uint64_t notice[2] = {s.calls.load(), static_cast<std::uint64_t>(how)};
    for (int r = 0; r < s.size; ++r)
        if (r != s.rank) MPI_Send(notice, 2, MPI_UINT64_T, r, kEndTag, s.control);
}

/// Closes the job on this rank. A normal end waits for every rank's notice (so that no
/// rank finalizes while another still expects it in a collective call, which would hang
/// both) and finalizes; an end by an exception sends its notices and returns at once,
/// leaving MPI unfinalized: the exception reaches its handler, which can report it, and
/// mpirun ends the job when the process exits.
void close(Ending how) {
    State* s = state;
    if (!s) return;
    s->stop = true;
    if (s->watchdog.joinable()) s->watchdog.join();
    state = nullptr;
    std::set_terminate(s->previous_terminate);
    send_notices(*s, how);
    if (how == Ending::exception) {
        delete s;  // (its communicator is not freed: that is a collective call)
        return;
    }
    for (int r = 0; r < s->size; ++r) {
        if (r == s->rank || s->ended[r]) continue;
        std::uint64_t notice[2];
        MPI_Recv(notice, 2, MPI_UINT64_T, r, kEndTag, s->control, MPI_STATUS_IGNORE);
        s->ended[r] = Ended{notice[0], static_cast<Ending>(notice[1])};
    }
    MPI_Comm_free(&s->control);
    const bool owns = s->owns_mpi;
    delete s;
    if (owns) MPI_Finalize();
}

void close_at_exit() { close(Ending::returned); }

/// One collective call of this file's public functions, counted once however they nest:
/// checked against the ranks that have ended, and visible to the watchdog while it runs.
class CollectiveCall {
public:
    explicit CollectiveCall(const char* name) {
        if (!state || state->depth++ > 0) return;
        const std::uint64_t call = ++state->calls;
        state->inside_name = name;
        state->inside = call;  // before the check: the watchdog sees one or the other
        if (!state->watchdog.joinable()) read_notices(*state);
        check_ended(*state, call, name);
    }
    ~CollectiveCall() {
        if (state && --state->depth == 0) state->inside = 0;
    }
    CollectiveCall(const CollectiveCall&) = delete;
    CollectiveCall& operator=(const CollectiveCall&) = delete;
};

// ---- the model's signature ------------------------------------------------------------

template <class T>
MPI_Datatype mpi_type() {
    return std::is_same_v<T, double> ? MPI_DOUBLE : MPI_FLOAT;
}

/// "'name' float64 (8, 4)" for each parameter, in order.
template <class T>
std::vector<std::string> signature(const nn::Module<T>& model) {
    const char* dtype = std::is_same_v<T, double> ? "float64" : "float32";
    std::vector<std::string> out;
    for (const auto& [name, p] : model.named_parameters())
        out.push_back("'" + name + "' " + dtype + " " + shape_str(p.value().shape()));
    return out;
}

/// FNV-1a of the whole signature.
std::uint64_t fingerprint(const std::vector<std::string>& entries) {
    std::uint64_t h = 1469598103934665603ull;
    for (const std::string& s : entries) {
        for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
        h = (h ^ '\n') * 1099511628211ull;
    }
    return h;
}

/// Every rank's signature, on every rank (one string per rank, entries joined by '\n').
std::vector<std::vector<std::string>> gather(const std::vector<std::string>& mine) {
    std::string joined;
    for (const std::string& s : mine) joined += s + '\n';
    const int n = size();
    int length = static_cast<int>(joined.size());
    std::vector<int> lengths(n), offsets(n);
    MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
    int total = 0;
    for (int r = 0; r < n; ++r) {
        offsets[r] = total;
        total += lengths[r];
    }
    std::string all(static_cast<std::size_t>(total), '\0');
    MPI_Allgatherv(joined.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                   MPI_CHAR, MPI_COMM_WORLD);
    std::vector<std::vector<std::string>> out(n);
    for (int r = 0; r < n; ++r) {
        std::istringstream in(all.substr(offsets[r], lengths[r]));
        for (std::string line; std::getline(in, line);) out[r].push_back(line);
    }
    return out;
}

/// The first parameter at which some rank differs from rank 0, and the lowest such rank,
/// as the text of a MismatchError (the same on every rank).
std::string first_difference(const std::vector<std::vector<std::string>>& all) {
    const std::vector<std::string>& zero = all[0];
    std::size_t first = SIZE_MAX;
    int other = 0;
    for (int r = 1; r < static_cast<int>(all.size()); ++r) {
        std::size_t i = 0;
        while (i < zero.size() && i < all[r].size() && zero[i] == all[r][i]) ++i;
        if ((i < zero.size() || i < all[r].size()) && i < first) {
            first = i;
            other = r;
        }
    }
    auto has = [&](int r) {
        return first < all[r].size() ? all[r][first]
                                     : "no parameter #" + std::to_string(first) + " (" +
                                           std::to_string(all[r].size()) + " in all)";
    };
    return "tg::distributed: the ranks' models differ at parameter #" + std::to_string(first) +
           ": rank 0 has " + has(0) + ", rank " + std::to_string(other) + " has " + has(other) +
           "; build the same model on every rank (names, shapes and dtypes as in "
           "named_parameters())";
}

template <class T>
void check_signature(const nn::Module<T>& model) {
    const std::vector<std::string> mine = signature(model);
    // Max of h and of ~h over the ranks: h everywhere exactly when every rank has h.
    const std::uint64_t h = fingerprint(mine);
    std::uint64_t prints[2] = {h, ~h}, reduced[2];
    MPI_Allreduce(prints, reduced, 2, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    if (reduced[0] == ~reduced[1]) return;
    throw MismatchError(first_difference(gather(mine)));
}

}  // namespace

Environment::Environment(int& argc, char**& argv) {
    int initialized = 0, provided = MPI_THREAD_SINGLE;
    MPI_Initialized(&initialized);
    if (!initialized) {
        MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
        owns_ = true;
    } else {
        MPI_Query_thread(&provided);
    }
    if (state) return;  // an outer Environment watches the job already
    auto* s = new State;
    s->owns_mpi = owns_;
    owns_ = true;  // from here: this object closes the job
    MPI_Comm_rank(MPI_COMM_WORLD, &s->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &s->size);
    MPI_Comm_dup(MPI_COMM_WORLD, &s->control);
    s->ended.resize(static_cast<std::size_t>(s->size));
    state = s;
    s->previous_terminate = std::set_terminate(on_terminate);
    static const bool registered = [] {
        std::atexit(close_at_exit);
        std::at_quick_exit(close_at_exit);
        return true;
    }();
    (void)registered;
    if (provided >= MPI_THREAD_MULTIPLE && s->size > 1)
        s->watchdog = std::thread(watch, std::ref(*s));
}

Environment::~Environment() {
    if (owns_) close(std::uncaught_exceptions() > 0 ? Ending::exception : Ending::returned);
}

void abort(const std::string& reason) { abort_job(rank_of(rank(), size()) + ": " + reason); }

int rank() {
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int size() {
    int n = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

template <class T>
void check_same_parameters(const nn::Module<T>& model) {
    const CollectiveCall call("check_same_parameters");
    check_signature(model);
}

template <class T>
void broadcast_parameters(const nn::Module<T>& model) {
    const CollectiveCall call("broadcast_parameters");
    check_signature(model);
    const std::vector<Tensor<T>> params = model.parameters();
    std::size_t total = 0;
    for (const auto& p : params) total += p.size();
    std::vector<T> flat(total);
    std::size_t at = 0;
    for (const auto& p : params) {
        std::copy_n(p.value().data(), p.size(), flat.data() + at);
        at += p.size();
    }
    MPI_Bcast(flat.data(), static_cast<int>(total), mpi_type<T>(), 0, MPI_COMM_WORLD);
    at = 0;
    for (auto p : params) {
        std::copy_n(flat.data() + at, p.size(), p.mutable_value().data());
        at += p.size();
    }
}

template <class T>
void allreduce_gradients(const nn::Module<T>& model, Reduce op) {
    const CollectiveCall call("allreduce_gradients");
    check_signature(model);
    std::vector<Tensor<T>> params = model.parameters();
    std::size_t total = 0;
    for (const auto& p : params) total += p.size();
    // The gradients, then one value per parameter: 1 where this rank has a gradient (sums
    // of small whole numbers are exact in float and double).
    std::vector<T> flat(total + params.size(), T(0));
    std::size_t at = 0;
    for (std::size_t j = 0; j < params.size(); ++j) {
        const auto& p = params[j];
        if (p.has_grad()) {
            std::copy_n(p.grad().value().data(), p.size(), flat.data() + at);
            flat[total + j] = T(1);
        }
        at += p.size();
    }
    MPI_Allreduce(MPI_IN_PLACE, flat.data(), static_cast<int>(flat.size()), mpi_type<T>(), MPI_SUM,
                  MPI_COMM_WORLD);
    if (op == Reduce::average) {
        const T scale = T(1) / static_cast<T>(size());
        for (std::size_t i = 0; i < total; ++i) flat[i] *= scale;
    }
    at = 0;
    for (std::size_t j = 0; j < params.size(); ++j) {
        auto& p = params[j];
        const std::size_t begin = at;
        at += p.size();
        if (flat[total + j] == T(0)) continue;  // no rank has one: it keeps none
        Array<T> g = Array<T>::from_shape(p.value().shape());
        std::copy_n(flat.data() + begin, p.size(), g.data());
        auto& node = *p.node();
        detail::GradLockGuard lock(node.grad_lock);
        node.grad = Tensor<T>(std::move(g)).node();
    }
}

template void check_same_parameters<float>(const nn::Module<float>&);
template void check_same_parameters<double>(const nn::Module<double>&);
template void broadcast_parameters<float>(const nn::Module<float>&);
template void broadcast_parameters<double>(const nn::Module<double>&);
template void allreduce_gradients<float>(const nn::Module<float>&, Reduce);
template void allreduce_gradients<double>(const nn::Module<double>&, Reduce);

}  // namespace tg::distributed
