#pragma once
// tg::nn::Embedding, as PyTorch's torch.nn.Embedding: a table of num_embeddings vectors of
// embedding_dim values ("weight", initialized N(0, 1) as PyTorch), looked up by index.

#include <tapegrad/nn/module.hpp>
#include <tapegrad/nn/random.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tg::nn {

/// forward(indices) = weight[indices]: indices of any shape in a Tensor<std::int64_t>
/// (PyTorch's type), or whole numbers in a float/double tensor, -> indices.shape + (dim).
/// With padding_idx, that row starts at zeros and gets no gradient (it is never
/// trained), as PyTorch.
template <class T = double>
class Embedding : public Cloneable<Embedding<T>, T> {
public:
    /// Draws the table from `rng`.
    Embedding(std::size_t num_embeddings, std::size_t embedding_dim, Rng& rng,
              std::optional<std::size_t> padding_idx = std::nullopt);
    /// The same from tg::nn::default_rng().
    Embedding(std::size_t num_embeddings, std::size_t embedding_dim,
              std::optional<std::size_t> padding_idx = std::nullopt);
    /// The rows of the table at `indices`. tg::ValueError for an index that is not a
    /// whole number in [0, num_embeddings).
    Tensor<T> forward(const Tensor<T>& indices) override;
    /// The rows of the table at int64 `indices`. tg::ValueError for an index outside
    /// [0, num_embeddings) (negative ones too: PyTorch's "index out of range").
    Tensor<T> forward(const Tensor<std::int64_t>& indices);
    /// forward(indices) of int64 indices: what `embedding(indices)` (Module's call
    /// operator) and a Sequential that starts with this layer call.
    Tensor<T> forward_indices(const Tensor<std::int64_t>& indices) override;
    /// The layer and its arguments, as PyTorch prints it ("Conv2d(3, 16, k=3)").
    std::string describe() const override;
    /// Registers a zero table (clone() copies values in).
    void reset() override;
    /// The table, (num_embeddings, embedding_dim).
    const Tensor<T>& weight() const { return weight_; }

private:
    /// The rows `rows` of the table (padding_idx's without a gradient), as `shape` + (dim).
    Tensor<T> lookup(const Indices& rows, Shape shape) const;

    std::size_t num_, dim_;
    std::optional<std::size_t> padding_idx_;
    Tensor<T> weight_;
};

extern template class Embedding<float>;
extern template class Embedding<double>;

}  // namespace tg::nn
