#pragma once
// tg::nn::DataLoader: minibatches of (x, y) rows, or of x rows alone, in a seeded random
// order.
//
//     tg::nn::DataLoader<> batches(x, y, 32, {.seed = 7});     // C++20; or set fields
//     for (int epoch = 0; epoch < 10; ++epoch)
//         for (const tg::nn::Batch<>& b : batches) { ... b.x ... b.y ... }
//
//     tg::Tensor<std::int64_t> labels = ...;              // class indices, as torch.long
//     tg::nn::DataLoader classes(x, labels, 32);          // DataLoader<double, std::int64_t>
//     for (const auto& b : classes) loss = tg::nn::cross_entropy(net(b.x), b.y);  // b.y int64
//
//     tg::nn::DataLoader<> inputs(x, 32);   // no targets (an autoencoder, inference):
//     for (const tg::nn::Batch<>& b : inputs) { ... b.x ... }   // b.y is undefined
//
// Every begin() starts a new epoch with a new permutation drawn from the loader's own
// Rng, so the sequence of epochs is fixed by the seed. Batches are plain copies of the
// selected rows (constants: they require no gradient).
//
// Resuming: state() is the epoch, the batches of it taken so far, its order and the
// generator; a loader built the same way and given it with load_state() yields the
// batches the first would have: the next begin() goes on with the rest of a half-taken
// epoch (a batch counts as taken once the iterator hands it out), or starts the next.
// tg::nn::TrainingCheckpoint saves it with the model.

#include <tapegrad/nn/random.hpp>
#include <tapegrad/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <vector>

namespace tg::nn {

/// Options of a DataLoader (an aggregate).
struct DataLoaderOptions {
    bool shuffle = true;     ///< a new random order every epoch; false: rows in order
    bool drop_last = false;  ///< drop a last batch smaller than batch_size
    std::uint64_t seed = 0;  ///< seed of the loader's Rng
};

/// Where a DataLoader is: what state() returns and load_state() takes.
struct DataLoaderState {
    std::uint64_t epoch = 0;         ///< epochs begun (begin() calls that drew an order)
    std::uint64_t position = 0;      ///< batches of the current epoch handed out
    std::vector<std::size_t> order;  ///< the current epoch's order of the rows
    std::vector<std::uint64_t> rng;  ///< the loader's generator (tg::nn::rng_state)
};

/// One minibatch: rows of x and the same rows of y. Y, the targets' element type, is T
/// or std::int64_t (class indices, PyTorch's LongTensor targets).
template <class T = double, class Y = T>
struct Batch {
    /// Inputs of the batch, (batch, ...).
    Tensor<T> x;
    /// Targets of the batch, (batch, ...); undefined (y.defined() is false) from a loader
    /// built without targets.
    Tensor<Y> y;
    std::vector<std::size_t> indices;  ///< which rows of the full x and y these are
};

/// Minibatches of (x, y) rows, in a new seeded random order every epoch (unless
/// `shuffle` is off); each begin() starts an epoch. The targets' element type Y is T, or
/// std::int64_t for class indices (PyTorch's TensorDataset(x, labels) with int64 labels):
/// `DataLoader loader(x, labels, 32)` deduces both types from the tensors (C++17 class
/// template argument deduction), or name them, `DataLoader<double, std::int64_t>`.
template <class T = double, class Y = T>
class DataLoader {
    static_assert(std::is_same_v<Y, T> || std::is_same_v<Y, std::int64_t>,
                  "DataLoader<T, Y>: the targets are of the inputs' type T or int64 indices");

public:
    /// x and y have the same number of rows (axis 0), at least one; batch_size >= 1.
    DataLoader(Tensor<T> x, Tensor<Y> y, std::size_t batch_size, DataLoaderOptions options = {});
    /// Batches of the rows of x alone (PyTorch's DataLoader over a TensorDataset of one
    /// tensor): each Batch's y is undefined. x has at least one row; batch_size >= 1.
    /// Order, epochs and state() are as with targets, so the same seed gives the same rows.
    DataLoader(Tensor<T> x, std::size_t batch_size, DataLoaderOptions options = {});

    /// An input iterator over one epoch's batches.
    class iterator {
    public:
        /// Input iterator.
        using iterator_category = std::input_iterator_tag;
        /// A batch.
        using value_type = Batch<T, Y>;
        /// Distance between iterators.
        using difference_type = std::ptrdiff_t;
        /// Pointer to a batch.
        using pointer = const Batch<T, Y>*;
        /// Reference to a batch.
        using reference = const Batch<T, Y>&;

        iterator() = default;
        /// The current batch.
        reference operator*() const { return current_; }
        /// The current batch.
        pointer operator->() const { return &current_; }
        /// The next batch.
        iterator& operator++() {
            ++index_;
            load();
            return *this;
        }
        /// Same position.
        bool operator==(const iterator& other) const { return index_ == other.index_; }
        /// Different positions.
        bool operator!=(const iterator& other) const { return index_ != other.index_; }

    private:
        friend class DataLoader;
        iterator(DataLoader* loader, std::size_t index) : loader_(loader), index_(index) { load(); }
        void load() {
            if (!loader_ || index_ >= loader_->size()) return;
            current_ = loader_->batch(index_);
            loader_->position_ = index_ + 1;
        }
        DataLoader* loader_ = nullptr;
        std::size_t index_ = 0;
        Batch<T, Y> current_;
    };

    /// Starts a new epoch (draws a new order when shuffling) and returns its first batch;
    /// right after a load_state() of a half-taken epoch, its next batch instead.
    iterator begin();
    /// Past the last batch of the epoch.
    iterator end() const { return iterator(nullptr, size()); }

    /// Batches per epoch: ⌈rows / batch_size⌉, or ⌊rows / batch_size⌋ with drop_last.
    std::size_t size() const;
    /// Whether the batches carry targets (the loader was given y).
    bool has_targets() const { return y_.defined(); }
    /// Number of rows (examples).
    std::size_t rows() const { return rows_; }
    /// Rows per batch (the last batch may have fewer).
    std::size_t batch_size() const { return batch_size_; }
    /// Batch b of the current epoch (the epoch begun by the last begin()).
    Batch<T, Y> batch(std::size_t b) const;
    /// The order of rows in the current epoch.
    const std::vector<std::size_t>& order() const { return order_; }
    /// Epochs begun.
    std::uint64_t epoch() const { return epoch_; }
    /// Batches of the current epoch handed out.
    std::uint64_t position() const { return position_; }

    /// Where the loader is (epoch, position, order, generator).
    DataLoaderState state() const;
    /// Restores a state() of a loader of as many rows and batches. tg::ValueError when
    /// the order is not a permutation of the rows, the position is past the epoch's
    /// batches or the generator's state is malformed; then nothing changes.
    void load_state(const DataLoaderState& state);

private:
    void start(std::size_t batch_size);

    Tensor<T> x_;
    Tensor<Y> y_;  ///< undefined without targets
    std::size_t rows_;
    std::size_t batch_size_;
    DataLoaderOptions options_;
    Rng rng_;
    std::vector<std::size_t> order_;
    std::uint64_t epoch_ = 0;
    std::uint64_t position_ = 0;
    bool resume_ = false;  ///< begin() goes on with the current epoch (after load_state)
};

extern template class DataLoader<float>;
extern template class DataLoader<double>;
extern template class DataLoader<float, std::int64_t>;
extern template class DataLoader<double, std::int64_t>;

}  // namespace tg::nn
