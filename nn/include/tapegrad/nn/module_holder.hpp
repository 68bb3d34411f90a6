#pragma once
// tg::nn::ModuleHolder<M>: a shared module called as `fc(x)` rather than `(*fc)(x)`, as
// libtorch's holders are (TORCH_MODULE makes torch::nn::Linear hold a LinearImpl):
//
//     class Net : public tg::nn::Cloneable<Net> {
//     public:
//         explicit Net(tg::nn::Rng& rng) : rng_(&rng) { reset(); }
//         void reset() override {
//             fc_ = register_module("fc", tg::nn::ModuleHolder<tg::nn::Linear<>>(4, 8, *rng_));
//             lstm_ = register_module("lstm", std::make_shared<tg::nn::LSTM<>>(8, 16, *rng_));
//         }
//         tg::Tensor<> forward(const tg::Tensor<>& x) override {
//             auto [out, state] = lstm_(fc_(x).relu());  // lstm_'s own call operator
//             return out;
//         }
//     private:
//         tg::nn::Rng* rng_;
//         tg::nn::ModuleHolder<tg::nn::Linear<>> fc_;
//         tg::nn::ModuleHolder<tg::nn::LSTM<>> lstm_;
//     };
//
// A holder is a std::shared_ptr<M> with M's call operator: copies share the module, `->`
// reaches its members (fc_->weight()), and it converts to std::shared_ptr<M> and to a
// pointer of M's bases (so it goes wherever a module pointer goes: Sequential::add,
// register_module). Why a wrapper of the classes as they are, not libtorch's pair of a
// holder `Linear` and an implementation `LinearImpl`: tapegrad's layers are already values
// (`Dense<double> d(1, 32, rng); d(x)` works), so only the shared submodule needed a call
// syntax, and renaming every layer would break every program written so far.

#include <tapegrad/error.hpp>

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace tg::nn {

/// A shared module M with M's call operator (see the top of this file).
template <class M>
class ModuleHolder {
public:
    /// The module type held.
    using element_type = M;

    /// An empty holder (libtorch's `Linear fc{nullptr}`): assign it a module, usually
    /// register_module's result, before calling it.
    ModuleHolder() = default;
    /// An empty holder.
    ModuleHolder(std::nullptr_t) {}  // NOLINT: converts, as a shared_ptr does
    /// Holds `module`: `fc_ = register_module("fc", std::make_shared<Linear<>>(...))`.
    ModuleHolder(std::shared_ptr<M> module) : module_(std::move(module)) {}  // NOLINT
    /// Builds an M from M's constructor arguments: `ModuleHolder<Linear<>> fc(4, 8, rng);`.
    template <class A0, class... As,
              class = std::enable_if_t<!std::is_same_v<std::decay_t<A0>, ModuleHolder> &&
                                       !std::is_same_v<std::decay_t<A0>, std::nullptr_t> &&
                                       std::is_constructible_v<M, A0&&, As&&...>>>
    explicit ModuleHolder(A0&& first, As&&... rest)
        : module_(std::make_shared<M>(std::forward<A0>(first), std::forward<As>(rest)...)) {}

    /// The module's call operator with these arguments: `fc(x)`, `lstm(x)` (outputs and
    /// state), `attn(q, k, v)`. tg::ValueError for an empty holder.
    template <class... A>
    decltype(auto) operator()(A&&... args) const {
        return get()(std::forward<A>(args)...);
    }

    /// The module (tg::ValueError for an empty holder).
    M& get() const {
        if (!module_)
            throw ValueError(
                "ModuleHolder: this holder is empty (default-constructed or nullptr); assign "
                "it a module first, e.g. register_module's result");
        return *module_;
    }
    /// The module's members: `fc->weight()`.
    M* operator->() const { return &get(); }
    /// The module.
    M& operator*() const { return get(); }
    /// The shared pointer held (null when empty).
    const std::shared_ptr<M>& ptr() const { return module_; }
    /// As a pointer to M or to one of its bases (Module<T>): `net.add(holder)`.
    template <class B, class = std::enable_if_t<std::is_base_of_v<B, M>>>
    operator std::shared_ptr<B>() const {  // NOLINT: a holder goes where a pointer goes
        return module_;
    }
    /// Whether a module is held.
    explicit operator bool() const { return module_ != nullptr; }

private:
    std::shared_ptr<M> module_;
};

}  // namespace tg::nn
