#include <tapegrad/check.hpp>
#include <tapegrad/grad_mode.hpp>
#include <tapegrad/nn/embedding.hpp>
#include <tapegrad/nn/init.hpp>
#include <tapegrad/ops/index.hpp>
#include <tapegrad/ops/mask.hpp>
#include <tapegrad/ops/shape.hpp>

#include <cmath>
#include <string>

namespace tg::nn {

template <class T>
Embedding<T>::Embedding(std::size_t num_embeddings, std::size_t embedding_dim, Rng& rng,
                        std::optional<std::size_t> padding_idx)
    : num_(num_embeddings), dim_(embedding_dim), padding_idx_(padding_idx) {
    TG_CHECK(num_ > 0 && dim_ > 0 && (!padding_idx_ || *padding_idx_ < num_), ValueError,
             describe(), ": sizes must be at least 1 and padding_idx below num_embeddings");
    Array<T> table = normal<T>({num_, dim_}, 0.0, 1.0, rng);
    if (padding_idx_)
        for (std::size_t j = 0; j < dim_; ++j) table(*padding_idx_, j) = T(0);
    weight_ = this->register_parameter("weight", Tensor<T>(std::move(table), true));
}

template <class T>
Embedding<T>::Embedding(std::size_t num_embeddings, std::size_t embedding_dim,
                        std::optional<std::size_t> padding_idx)
    : Embedding(num_embeddings, embedding_dim, default_rng(), padding_idx) {}

template <class T>
void Embedding<T>::reset() {
    weight_ = this->register_parameter("weight", Tensor<T>(Array<T>({num_, dim_}, T(0)), true));
}

template <class T>
Tensor<T> Embedding<T>::forward(const Tensor<T>& indices) {
    Indices rows;
    rows.reserve(indices.size());
    for (const T v : indices.value()) {
        TG_CHECK(v >= 0 && v < T(num_) && v == std::floor(v), ValueError, describe(), ": index ",
                 std::to_string(v), " is not a whole number in [0, ", num_, ")");
        rows.push_back(static_cast<std::size_t>(v));
    }
    return lookup(rows, indices.shape());
}

template <class T>
Tensor<T> Embedding<T>::forward(const Tensor<std::int64_t>& indices) {
    Indices rows;
    rows.reserve(indices.size());
    for (const std::int64_t i : indices.value()) {
        TG_CHECK(i >= 0 && static_cast<std::uint64_t>(i) < num_, ValueError, describe(), ": index ",
                 i, " is out of range; indices lie in [0, ", num_, ")");
        rows.push_back(static_cast<std::size_t>(i));
    }
    return lookup(rows, indices.shape());
}

template <class T>
Tensor<T> Embedding<T>::forward_indices(const Tensor<std::int64_t>& indices) {
    return forward(indices);
}

template <class T>
Tensor<T> Embedding<T>::lookup(const Indices& rows, Shape shape) const {
    shape.push_back(dim_);
    Tensor<T> out = index_select(weight_, 0, rows);
    if (padding_idx_) {
        // Rows looked up at padding_idx take the table's values without a gradient.
        Array<T> is_pad = Array<T>::from_shape({rows.size(), 1});
        for (std::size_t i = 0; i < rows.size(); ++i) is_pad(i, 0) = rows[i] == *padding_idx_;
        out = where(Tensor<T>(std::move(is_pad)), out.detach(), out);
    }
    return reshape(out, shape);
}

template <class T>
std::string Embedding<T>::describe() const {
    return "Embedding(" + std::to_string(num_) + ", " + std::to_string(dim_) +
           (padding_idx_ ? ", padding_idx=" + std::to_string(*padding_idx_) : "") + ")";
}

template class Embedding<float>;
template class Embedding<double>;

}  // namespace tg::nn
