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
// register_module). A holder of a container forwards indexing and iteration, as
// libtorch's:
//
//     tg::nn::ModuleHolder<tg::nn::ModuleList<>> blocks;  // an empty list, as libtorch's
//     blocks->push_back(tg::nn::Linear<>(8, 8, rng));      // `torch::nn::ModuleList blocks;`
//     for (const auto& block : blocks) x = (*block)(x);   // shared_ptr<Module<>>
//     tg::Tensor<> y = blocks[0](x);                        // seq[0] in libtorch
//
// Default construction builds M when M has a default constructor (ModuleList,
// Sequential, ReLU: libtorch's `torch::nn::Sequential seq;`) and is otherwise the empty
// holder, assigned later (usually in reset(); libtorch's `Linear fc{nullptr}`).
//
// Why a wrapper of the classes as they are, not libtorch's pair of a holder `Linear`
// and an implementation `LinearImpl`: tapegrad's layers are already values
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

    /// A new M() when M has a default constructor (libtorch's `torch::nn::ModuleList
    /// list;`: an empty list); otherwise an empty holder (libtorch's `Linear fc{nullptr}`):
    /// assign it a module, usually register_module's result, before calling it.
    ModuleHolder() {
        if constexpr (std::is_default_constructible_v<M>) module_ = std::make_shared<M>();
    }
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

    /// The module's subscript operator: `seq[0]` of a holder of a Sequential or a
    /// ModuleList (module 0, a Module<T>&), `dict["fc"]` of a ModuleDict.
    template <class I>
    decltype(auto) operator[](I&& index) const {
        return get()[std::forward<I>(index)];
    }
    /// The module's begin(), so a holder of a container iterates over its modules:
    /// `for (const auto& block : blocks)`.
    template <class N = M>
    auto begin() const -> decltype(std::declval<N&>().begin()) {
        return get().begin();
    }
    /// The module's end().
    template <class N = M>
    auto end() const -> decltype(std::declval<N&>().end()) {
        return get().end();
    }

    /// The module (tg::ValueError for an empty holder).
    M& get() const {
        if (!module_)
            throw ValueError(
                "ModuleHolder: this holder is empty (nullptr, or default-constructed for a "
                "module without a default constructor); assign it a module first, e.g. "
                "register_module's result");
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
    /// Whether no module is held (libtorch's is_empty()).
    bool is_empty() const { return module_ == nullptr; }

private:
    std::shared_ptr<M> module_;
};

}  // namespace tg::nn
