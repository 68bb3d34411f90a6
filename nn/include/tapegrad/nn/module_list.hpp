#pragma once
// tg::nn::ModuleList: modules held in order, named "0", "1", ..., with no forward of its
// own (torch.nn.ModuleList): the owner decides how to call them.
//
//     tg::nn::ModuleList<double> blocks;
//     for (int i = 0; i < 3; ++i) blocks.add(Dense<double>(8, 8, rng));
//     for (auto& block : blocks) x = (*block)(x) + x;        // parameters "0.weight", ...
//     Dense<double>& first = blocks.get<Dense<double>>(0);
//
// Modules passed by value are moved into shared ownership; pass a std::shared_ptr to keep
// a handle on a child.

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
template <class M>
struct module_traits<ModuleHolder<M>> {
    using type = M;
};
/// The module type behind M, whether M is a module, a shared_ptr to one or a holder.
template <class M>
using module_type_t = typename module_traits<std::decay_t<M>>::type;

/// Whether M (a module or a shared_ptr to one) can be a child of a Module<T>.
template <class T, class M>
inline constexpr bool is_module_of_v = std::is_base_of_v<Module<T>, module_type_t<M>>;

/// `module` (a module by value, a shared_ptr to one or a holder) as a
/// shared_ptr<Module<T>>: a value is moved or copied into shared ownership, a pointer or a
/// holder's module shared.
template <class T, class M>
std::shared_ptr<Module<T>> share_module(M&& module) {
    using Type = module_type_t<M>;
    if constexpr (std::is_same_v<std::decay_t<M>, std::shared_ptr<Type>>)
        return std::shared_ptr<Module<T>>(std::forward<M>(module));
    else if constexpr (std::is_same_v<std::decay_t<M>, ModuleHolder<Type>>)
        return std::shared_ptr<Module<T>>(module.ptr());
    else
        return std::make_shared<Type>(std::forward<M>(module));
}

}  // namespace detail

/// Modules in order, named by position; no forward (Sequential adds the chaining one).
template <class T = double>
class ModuleList : public Module<T> {
public:
    ModuleList() = default;

    /// ModuleList{Dense(1, 32), Sigmoid(), ...}: modules by value or by shared_ptr.
    template <class First, class... Rest,
              class = std::enable_if_t<
                  detail::is_module_of_v<T, First> && (detail::is_module_of_v<T, Rest> && ...) &&
                  !(sizeof...(Rest) == 0 && std::is_same_v<std::decay_t<First>, ModuleList>)>>
    ModuleList(First&& first, Rest&&... rest) {
        add(std::forward<First>(first));
        (add(std::forward<Rest>(rest)), ...);
    }

    /// From a list of shared modules.
    explicit ModuleList(const std::vector<std::shared_ptr<Module<T>>>& modules) {
        for (const auto& m : modules) add(m);
    }

    /// Appends a module (moved or copied into shared ownership); named by its position.
    template <class M, class = std::enable_if_t<
                           detail::is_module_of_v<T, M> &&
                           !std::is_same_v<std::decay_t<M>, std::shared_ptr<Module<T>>>>>
    ModuleList& add(M&& module) {
        return add(detail::share_module<T>(std::forward<M>(module)));
    }
    /// Appends a shared module; named by its position.
    ModuleList& add(std::shared_ptr<Module<T>> module);
    /// add(module) under libtorch's name (torch::nn::ModuleList::push_back).
    template <class M, class = std::enable_if_t<detail::is_module_of_v<T, M>>>
    ModuleList& push_back(M&& module) {
        return add(std::forward<M>(module));
    }

    /// "ModuleList(Dense(in=1, out=32), Sigmoid, ...)".
    std::string describe() const override;
    /// A ModuleList of clones of the modules.
    std::shared_ptr<Module<T>> clone() const override;

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
    /// The first shared module pointer, for range-for.
    auto begin() const { return modules_.begin(); }
    /// Past the last shared module pointer.
    auto end() const { return modules_.end(); }

protected:
    /// For the clone() of a derived container: clones of the modules added to `copy`,
    /// which is returned with this one's training mode.
    template <class Container>
    std::shared_ptr<Module<T>> clone_into(std::shared_ptr<Container> copy) const {
        for (const auto& m : modules_) copy->add(m->clone());
        copy->copy_modes(*this);
        return copy;
    }
    /// "Name(child, child, ...)" with this class's name.
    std::string describe_children() const;

private:
    [[noreturn]] void throw_wrong_type(std::size_t i) const;
    std::vector<std::shared_ptr<Module<T>>> modules_;
};

/// ModuleList{Dense<float>(...), ...} is a ModuleList<float>: the first module decides.
template <class First, class... Rest>
ModuleList(First&&, Rest&&...) -> ModuleList<typename detail::module_type_t<First>::value_type>;

extern template class ModuleList<float>;
extern template class ModuleList<double>;

}  // namespace tg::nn
