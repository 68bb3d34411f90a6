#pragma once
// tg::nn::Sequential: modules applied one after another.
//
//     tg::nn::Sequential net{tg::nn::Dense(1, 32), tg::nn::Sigmoid(),
//                            tg::nn::Dense(32, 1), tg::nn::Tanh()};
//     net.add(tg::nn::Identity());                 // or grow it later
//     tg::Tensor<> y = net(x);                       // x (N, 1) -> y (N, 1)
//
// Children are named "0", "1", ... in order, so parameters are "0.weight", "0.bias",
// "2.weight", ... as in PyTorch. Modules passed by value are moved into shared
// ownership; pass a std::shared_ptr to keep a handle on a child.

#include <tapegrad/nn/module.hpp>

#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace tg::nn {

namespace detail {

template <class M>
struct module_traits {
    using type = std::decay_t<M>;
};
template <class M>
struct module_traits<std::shared_ptr<M>> {
    using type = M;
};
/// The module type behind M, whether M is a module or a shared_ptr to one.
template <class M>
using module_type_t = typename module_traits<std::decay_t<M>>::type;

/// Whether M (a module or a shared_ptr to one) can be a child of a Module<T>.
template <class T, class M>
inline constexpr bool is_module_of_v = std::is_base_of_v<Module<T>, module_type_t<M>>;

}  // namespace detail

/// Modules applied in order; parameters named "<index>.<name>".
template <class T = double>
class Sequential : public Module<T> {
public:
    Sequential() = default;

    /// Sequential{Dense(1, 32), Sigmoid(), ...}: modules by value or by shared_ptr.
    template <class First, class... Rest,
              class = std::enable_if_t<
                  detail::is_module_of_v<T, First> && (detail::is_module_of_v<T, Rest> && ...) &&
                  !(sizeof...(Rest) == 0 && std::is_same_v<std::decay_t<First>, Sequential>)>>
    Sequential(First&& first, Rest&&... rest) {
        add(std::forward<First>(first));
        (add(std::forward<Rest>(rest)), ...);
    }

    /// From a list of shared modules.
    explicit Sequential(const std::vector<std::shared_ptr<Module<T>>>& modules) {
        for (const auto& m : modules) add(m);
    }

    /// Appends a module (moved or copied into shared ownership); named by its position.
    template <class M, class = std::enable_if_t<
                           detail::is_module_of_v<T, M> &&
                           !std::is_same_v<std::decay_t<M>, std::shared_ptr<Module<T>>>>>
    Sequential& add(M&& module) {
        using Type = detail::module_type_t<M>;
        if constexpr (std::is_same_v<std::decay_t<M>, std::shared_ptr<Type>>)
            return add(std::shared_ptr<Module<T>>(std::forward<M>(module)));
        else
            return add(std::shared_ptr<Module<T>>(std::make_shared<Type>(std::forward<M>(module))));
    }
    /// Appends a shared module; named by its position.
    Sequential& add(std::shared_ptr<Module<T>> module);

    /// Applies every module in order.
    Tensor<T> forward(const Tensor<T>& x) override;
    /// "Sequential(Dense(in=1, out=32), Sigmoid, ...)".
    std::string describe() const override;

    /// Number of modules.
    std::size_t size() const { return modules_.size(); }
    /// Whether there are no modules.
    bool empty() const { return modules_.empty(); }
    /// The i-th module (tg::ValueError when out of range).
    Module<T>& operator[](std::size_t i) const { return *module_ptr(i); }
    /// The shared pointer to module i.
    const std::shared_ptr<Module<T>>& module_ptr(std::size_t i) const;
    /// The i-th module as an M (tg::ValueError when it is not one).
    template <class M>
    M& get(std::size_t i) const {
        auto* m = dynamic_cast<M*>(module_ptr(i).get());
        if (!m) throw_wrong_type(i);
        return *m;
    }

private:
    [[noreturn]] void throw_wrong_type(std::size_t i) const;
    std::vector<std::shared_ptr<Module<T>>> modules_;
};

/// Sequential{Dense<float>(...), ...} is a Sequential<float>: the first module decides.
template <class First, class... Rest>
Sequential(First&&, Rest&&...) -> Sequential<typename detail::module_type_t<First>::value_type>;

extern template class Sequential<float>;
extern template class Sequential<double>;

}  // namespace tg::nn
