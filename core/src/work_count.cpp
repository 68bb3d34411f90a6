#include <tapegrad/detail/work_count.hpp>
#include <tapegrad/record.hpp>
#include <tapegrad/tape.hpp>

#include <cstring>

namespace tg::detail {
namespace {

double numel(const Shape& shape) {
    double n = 1;
    for (std::size_t d : shape) n *= double(d);
    return n;
}

bool named(const EntryBase& entry, const char* name) { return std::strcmp(entry.name, name) == 0; }

/// One entry's forward work. A product out (…, m, n) = a · b with a (…, m, k), or its
/// transpose (gemm's flags): numel(out) · k multiply-adds, k = numel(a) · n / numel(out);
/// one GEMM of m·n·k when b is a matrix (a weight: the leading axes of a fold into m),
/// else one per leading index (batched products). Attention: q·kᵀ and weights·v, each
/// numel(q) · S multiply-adds for S key positions.
template <class T>
WorkCount count_entry(const Entry<T>& entry) {
    WorkCount work;
    work.entries = 1;
    const Shape& out = entry.output_shape;
    const bool product = named(entry, "matmul") || named(entry, "linear") || named(entry, "gemm");
    const bool attention = named(entry, "scaled_dot_product_attention") ||
                           named(entry, "scaled_dot_product_attention_heads");
    if (product && entry.inputs.size() >= 2 && !out.empty() && numel(out) > 0) {
        const Shape& a = entry.inputs[0].shape;
        const Shape& b = entry.inputs[1].shape;
        const double k = numel(a) * double(out.back()) / numel(out);
        const double mads = numel(out) * k;
        // One GEMM when b is a matrix (a weight); a batch of (m × k)(k × n) otherwise.
        const double per_gemm =
            b.size() <= 2 ? mads : double(out[out.size() - 2]) * double(out.back()) * k;
        work.gemm_mads = mads;
        if (per_gemm >= blas_threads_from) {
            work.threaded_gemm_mads = mads;
            work.threaded_gemm_calls = mads / per_gemm;
        }
        return work;
    }
    if (attention && entry.inputs.size() >= 2 && entry.inputs[1].shape.size() >= 2) {
        const Shape& q = entry.inputs[0].shape;
        const Shape& k = entry.inputs[1].shape;
        const double positions = double(k[k.size() - 2]);
        work.gemm_mads = 2 * numel(q) * positions;
        return work;  // its own loops, one thread
    }
    work.elements = numel(out);
    for (const InputSlot<T>& input : entry.inputs) work.elements += numel(input.shape);
    return work;
}

}  // namespace

WorkCount& WorkCount::operator+=(const WorkCount& other) {
    gemm_mads += other.gemm_mads;
    threaded_gemm_mads += other.threaded_gemm_mads;
    threaded_gemm_calls += other.threaded_gemm_calls;
    elements += other.elements;
    entries += other.entries;
    return *this;
}

WorkCount WorkCount::scaled(double factor) const {
    WorkCount work = *this;
    work.gemm_mads *= factor;
    work.threaded_gemm_mads *= factor;
    work.elements *= factor;
    return work;
}

WorkCount count_work(Tape& tape) {
    WorkCount total;
    for (std::size_t i = 0, n = tape.length(); i < n; ++i) {
        const EntryBase* entry = tape.find_entry(i);
        if (!entry) continue;
        total += entry->is_double() ? count_entry(static_cast<const Entry<double>&>(*entry))
                                    : count_entry(static_cast<const Entry<float>&>(*entry));
    }
    return total;
}

}  // namespace tg::detail
