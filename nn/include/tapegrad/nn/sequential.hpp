#pragma once
// tg::nn::Sequential: modules applied one after another.
//
//     tg::nn::Sequential net{tg::nn::Dense(1, 32), tg::nn::Sigmoid(),
//                            tg::nn::Dense(32, 1), tg::nn::Tanh()};
//     net.add(tg::nn::Identity());                 // or grow it later
//     tg::Tensor<> y = net(x);                       // x (N, 1) -> y (N, 1)
//
// Children are named "0", "1", ... in order, so parameters are "0.weight", "0.bias",
// "2.weight", ... as in PyTorch. Any module of one tensor fits, including containers and
// your own; a module whose forward takes other inputs makes forward throw, naming it.
// Modules passed by value are moved into shared ownership; pass a std::shared_ptr to keep
// a handle on a child. A Sequential is a ModuleList (indexing, get<M>, iteration) whose
// forward chains the modules.

#include <tapegrad/nn/module_list.hpp>

#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace tg::nn {

/// Modules applied in order; parameters named "<index>.<name>".
template <class T = double>
class Sequential : public ModuleList<T> {
public:
    Sequential() = default;

    /// Sequential{Dense(1, 32), Sigmoid(), ...}: modules by value or by shared_ptr.
    template <class First, class... Rest,
              class = std::enable_if_t<
                  detail::is_module_of_v<T, First> && (detail::is_module_of_v<T, Rest> && ...) &&
                  !(sizeof...(Rest) == 0 && std::is_same_v<std::decay_t<First>, Sequential>)>>
    Sequential(First&& first, Rest&&... rest) {
        this->add(std::forward<First>(first));
        (this->add(std::forward<Rest>(rest)), ...);
    }

    /// From a list of shared modules.
    explicit Sequential(const std::vector<std::shared_ptr<Module<T>>>& modules)
        : ModuleList<T>(modules) {}

    /// Applies every module in order.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// Int64 indices into the first module (an Embedding: `Sequential{Embedding(...),
    /// Linear(...)}(tokens)`, as PyTorch's), then its output through the rest.
    /// tg::ValueError when the first module does not take indices, or there is none.
    Tensor<T> forward_indices(const Tensor<std::int64_t>& indices) override;
    /// "Sequential(Dense(in=1, out=32), Sigmoid, ...)".
    std::string describe() const override { return this->describe_children(); }
    /// A Sequential of clones of the modules.
    std::shared_ptr<Module<T>> clone() const override {
        return this->clone_into(std::make_shared<Sequential>());
    }
};

/// Sequential{Dense<float>(...), ...} is a Sequential<float>: the first module decides.
template <class First, class... Rest>
Sequential(First&&, Rest&&...) -> Sequential<typename detail::module_type_t<First>::value_type>;

extern template class Sequential<float>;
extern template class Sequential<double>;

}  // namespace tg::nn
