#include <tapegrad/check.hpp>
#include <tapegrad/nn/data.hpp>

#include <algorithm>
#include <numeric>

namespace tg::nn {
namespace {

/// The rows `indices` of `a`, copied (axis 0 is the row axis).
template <class T>
Array<T> gather_rows(const Array<T>& a, const std::size_t* indices, std::size_t count) {
    Shape shape(a.shape().begin(), a.shape().end());
    const std::size_t row = shape[0] ? a.size() / shape[0] : 0;
    shape[0] = count;
    Array<T> out(shape);
    for (std::size_t i = 0; i < count; ++i)
        std::copy_n(a.data() + indices[i] * row, row, out.data() + i * row);
    return out;
}

}  // namespace

template <class T, class Y>
DataLoader<T, Y>::DataLoader(Tensor<T> x, Tensor<Y> y, std::size_t batch_size,
                             DataLoaderOptions options)
    : x_(std::move(x)),
      y_(std::move(y)),
      rows_(0),
      batch_size_(batch_size),
      options_(options),
      rng_(options.seed) {
    TG_CHECK(x_.defined() && y_.defined() && x_.dim() > 0 && y_.dim() > 0, ShapeError,
             "DataLoader: x and y need at least one dimension (examples in rows)");
    TG_CHECK(y_.shape()[0] == x_.shape()[0] && x_.shape()[0] > 0, ShapeError,
             "DataLoader: x of shape ", x_.shape(), " and y of shape ", y_.shape(),
             " must have the same number of rows (axis 0), at least one");
    start(batch_size);
}

template <class T, class Y>
DataLoader<T, Y>::DataLoader(Tensor<T> x, std::size_t batch_size, DataLoaderOptions options)
    : x_(std::move(x)), rows_(0), batch_size_(batch_size), options_(options), rng_(options.seed) {
    TG_CHECK(x_.defined() && x_.dim() > 0 && x_.shape()[0] > 0, ShapeError,
             "DataLoader: x of shape ", x_.defined() ? shape_str(x_.shape()) : "(undefined)",
             " has no rows; pass examples in rows (axis 0), at least one");
    start(batch_size);
}

template <class T, class Y>
void DataLoader<T, Y>::start(std::size_t batch_size) {
    TG_CHECK(batch_size > 0, ValueError, "DataLoader: batch_size must be at least 1");
    rows_ = x_.shape()[0];
    order_.resize(rows_);
    std::iota(order_.begin(), order_.end(), std::size_t(0));
}

template <class T, class Y>
typename DataLoader<T, Y>::iterator DataLoader<T, Y>::begin() {
    if (resume_) {
        resume_ = false;
        return iterator(this, position_);
    }
    if (options_.shuffle) order_ = random_permutation(rows_, rng_);
    ++epoch_;
    position_ = 0;
    return iterator(this, 0);
}

template <class T, class Y>
DataLoaderState DataLoader<T, Y>::state() const {
    return {epoch_, position_, order_, rng_state(rng_)};
}

template <class T, class Y>
void DataLoader<T, Y>::load_state(const DataLoaderState& state) {
    TG_CHECK(state.order.size() == rows_, ValueError, "DataLoader::load_state: an order of ",
             state.order.size(), " rows for a loader of ", rows_);
    std::vector<bool> seen(rows_, false);
    for (const std::size_t row : state.order) {
        TG_CHECK(row < rows_ && !seen[row], ValueError,
                 "DataLoader::load_state: the order is not a permutation of the ", rows_,
                 " rows (row ", row, " is past the end or listed twice)");
        seen[row] = true;
    }
    TG_CHECK(state.position <= size(), ValueError, "DataLoader::load_state: position ",
             state.position, " is past the ", size(), " batches of an epoch");
    TG_CHECK(state.position == 0 || state.epoch > 0, ValueError,
             "DataLoader::load_state: position ", state.position, " in epoch 0 (no epoch begun)");
    Rng rng;
    set_rng_state(rng, state.rng);
    rng_ = rng;
    order_ = state.order;
    epoch_ = state.epoch;
    position_ = state.position;
    resume_ = position_ > 0 && position_ < size();
}

template <class T, class Y>
std::size_t DataLoader<T, Y>::size() const {
    return options_.drop_last ? rows_ / batch_size_ : (rows_ + batch_size_ - 1) / batch_size_;
}

template <class T, class Y>
Batch<T, Y> DataLoader<T, Y>::batch(std::size_t b) const {
    TG_CHECK(b < size(), ValueError, "DataLoader::batch(", b, "): an epoch has ", size(),
             " batches");
    const std::size_t first = b * batch_size_;
    const std::size_t count = std::min(batch_size_, rows_ - first);
    const std::size_t* indices = order_.data() + first;
    Batch<T, Y> out;
    out.x = Tensor<T>(gather_rows(x_.value(), indices, count));
    if (y_.defined()) out.y = Tensor<Y>(gather_rows(y_.value(), indices, count));
    out.indices.assign(indices, indices + count);
    return out;
}

template class DataLoader<float>;
template class DataLoader<double>;
template class DataLoader<float, std::int64_t>;
template class DataLoader<double, std::int64_t>;

}  // namespace tg::nn
