#include <tapegrad/distributed.hpp>

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tg::distributed {
namespace {

template <class T>
MPI_Datatype mpi_type() {
    return std::is_same_v<T, double> ? MPI_DOUBLE : MPI_FLOAT;
}

/// "name (shape)" of each parameter, as the mismatch message shows it.
template <class T>
std::vector<std::string> describe(const nn::Module<T>& model) {
    std::vector<std::string> out;
    for (const auto& [name, p] : model.named_parameters())
        out.push_back("'" + name + "' of shape " + shape_str(p.value().shape()));
    return out;
}

/// FNV-1a of a parameter's description, never 0 (0 stands for "no such parameter").
std::uint64_t fingerprint(const std::string& s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h ? h : 1;
}

/// Rank 0's string `s` on every rank (an empty string when rank 0 passes none).
std::string broadcast_string(std::string s) {
    int length = static_cast<int>(s.size());
    MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD);
    s.resize(static_cast<std::size_t>(length));
    MPI_Bcast(s.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD);
    return s;
}

}  // namespace

Environment::Environment(int& argc, char**& argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
        MPI_Init(&argc, &argv);
        owns_ = true;
    }
}

Environment::~Environment() {
    if (owns_) MPI_Finalize();
}

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
    const std::vector<std::string> mine = describe(model);
    // Every rank pads to the largest count, then min and max of each fingerprint in one
    // call (max of h and of ~h): equal everywhere exactly when all ranks agree.
    long count = static_cast<long>(mine.size()), most = 0;
    MPI_Allreduce(&count, &most, 1, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
    const auto n = static_cast<std::size_t>(most);
    std::vector<std::uint64_t> prints(2 * n, 0), reduced(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        prints[i] = i < mine.size() ? fingerprint(mine[i]) : 0;
        prints[n + i] = ~prints[i];
    }
    MPI_Allreduce(prints.data(), reduced.data(), static_cast<int>(2 * n), MPI_UINT64_T, MPI_MAX,
                  MPI_COMM_WORLD);
    std::size_t first = n;
    for (std::size_t i = 0; i < n && first == n; ++i)
        if (reduced[i] != ~reduced[n + i]) first = i;
    if (first == n) return;
    // The same decision on every rank; rank 0's view of the parameter, for the message.
    const std::string at_zero = broadcast_string(
        rank() == 0 ? (first < mine.size() ? mine[first] : std::string("(none)")) : "");
    const std::string here = first < mine.size() ? mine[first] : std::string("(none)");
    throw MismatchError("tg::distributed: the ranks' models differ at parameter #" +
                        std::to_string(first) + ": rank 0 has " + at_zero + ", rank " +
                        std::to_string(rank()) + " has " + here +
                        " (parameter counts up to " + std::to_string(n) +
                        "); build the same model on every rank");
}

template <class T>
void broadcast_parameters(const nn::Module<T>& model) {
    check_same_parameters(model);
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
    std::vector<Tensor<T>> params = model.parameters();
    std::size_t total = 0;
    for (const auto& p : params) total += p.size();
    std::vector<T> flat(total, T(0));
    std::size_t at = 0;
    for (const auto& p : params) {
        if (p.has_grad()) std::copy_n(p.grad().value().data(), p.size(), flat.data() + at);
        at += p.size();
    }
    MPI_Allreduce(MPI_IN_PLACE, flat.data(), static_cast<int>(total), mpi_type<T>(), MPI_SUM,
                  MPI_COMM_WORLD);
    if (op == Reduce::average) {
        const T scale = T(1) / static_cast<T>(size());
        for (T& v : flat) v *= scale;
    }
    at = 0;
    for (auto& p : params) {
        Array<T> g = Array<T>::from_shape(p.value().shape());
        std::copy_n(flat.data() + at, p.size(), g.data());
        auto& node = *p.node();
        detail::GradLockGuard lock(node.grad_lock);
        node.grad = Tensor<T>(std::move(g)).node();
        at += p.size();
    }
}

template void check_same_parameters<float>(const nn::Module<float>&);
template void check_same_parameters<double>(const nn::Module<double>&);
template void broadcast_parameters<float>(const nn::Module<float>&);
template void broadcast_parameters<double>(const nn::Module<double>&);
template void allreduce_gradients<float>(const nn::Module<float>&, Reduce);
template void allreduce_gradients<double>(const nn::Module<double>&, Reduce);

}  // namespace tg::distributed
