#include <tapegrad/activation_checkpoint.hpp>
#include <tapegrad/detail/team.hpp>
#include <tapegrad/detail/uniform01.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/dropout.hpp>

#include <sstream>

namespace tg {

template <class T>
Tensor<T> dropout(const Tensor<T>& x, double p, std::mt19937_64& rng, bool training) {
    if (!(p >= 0 && p <= 1)) {
        std::ostringstream got;  // 0.5, not std::to_string's 0.500000
        got << p;
        throw ValueError(
            "dropout: p, the probability of zeroing an element, must be in [0, 1]; "
            "got " +
            got.str());
    }
    if (!training || p == 0) return x;
    // In a DataParallel step split between workers, x holds this worker's rows of the
    // batch: it draws from its own copy of the generator, skipping the draws of the rows
    // before and after its own, so that each element gets the draw it would get on one
    // thread and the copies end where one thread's generator would (docs/threads.md).
    detail::TeamMember* member = detail::team_member();
    std::size_t before = 0, after = 0;  // draws of the other workers' rows
    std::mt19937_64& source = member ? member->stream(rng) : rng;
    detail::note_generator(source);  // a checkpointed function draws the same again
    if (member && p < 1) {
        if (x.dim() == 0 || x.shape()[0] % member->rows != 0)
            throw ValueError("dropout under DataParallel: this worker has " +
                             std::to_string(member->rows) + " rows of the batch, but the input " +
                             "has shape " + shape_str(x.value().shape()) +
                             "; masks follow the batch rows, so axis 0 must be the batch (or a "
                             "multiple of it, batch-major); drop out only tensors that come "
                             "from the batch, or train on one worker");
        const std::size_t per_row = x.size() / member->rows;
        before = member->first_row * per_row;
        after = (member->batch_rows - member->first_row - member->rows) * per_row;
    }
    // The mask: kept elements scaled by 1 / (1 − p); at p = 1 every element is zeroed and
    // nothing is drawn (the scale would be infinite).
    Tensor<T> mask = Tensor<T>::uninitialized(x.value().shape());
    T* m = mask.node()->value.data();
    const double keep = 1 - p;
    const T scale = p < 1 ? static_cast<T>(1 / keep) : T(0);
    source.discard(before);
    for (std::size_t i = 0, n = mask.size(); i < n; ++i)
        m[i] = p < 1 && detail::uniform01(source) < keep ? scale : T(0);
    source.discard(after);
    return mul(x, mask);
}

template Tensor<float> dropout(const Tensor<float>&, double, std::mt19937_64&, bool);
template Tensor<double> dropout(const Tensor<double>&, double, std::mt19937_64&, bool);

}  // namespace tg
