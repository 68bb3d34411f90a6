#pragma once
// tg::nn::ModuleDict: modules held by name, in insertion order, with no forward of its
// own (torch.nn.ModuleDict).
//
//     tg::nn::ModuleDict<double> heads;
//     heads.insert("class", Dense<double>(64, 10, rng));
//     heads.insert("box", Dense<double>(64, 4, rng));    // parameters "class.weight", ...
//     tg::Tensor<> scores = heads["class"](features);
//
// Names follow register_module's rules: unique, not empty, without a dot.

#include <tapegrad/nn/module_list.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tg::nn {

/// Modules by name, in insertion order; parameters named "<name>.<parameter>".
template <class T = double>
class ModuleDict : public Module<T> {
public:
    ModuleDict() = default;

    /// Adds `module` (by value, moved or copied into shared ownership, or a shared_ptr)
    /// under `name`; tg::ValueError for a name taken or with a dot.
    template <class M, class = std::enable_if_t<
                           detail::is_module_of_v<T, M> &&
                           !std::is_same_v<std::decay_t<M>, std::shared_ptr<Module<T>>>>>
    ModuleDict& insert(const std::string& name, M&& module) {
        return insert(name, detail::share_module<T>(std::forward<M>(module)));
    }
    /// Adds a shared module under `name`.
    ModuleDict& insert(const std::string& name, std::shared_ptr<Module<T>> module);

    /// "ModuleDict(name=Dense(in=1, out=32), ...)".
    std::string describe() const override;
    /// A ModuleDict of clones of the modules, under the same names.
    std::shared_ptr<Module<T>> clone() const override;

    /// Number of modules.
    std::size_t size() const { return this->children().size(); }
    /// Whether a module is registered under `name`.
    bool contains(const std::string& name) const;
    /// The names, in insertion order.
    std::vector<std::string> keys() const;
    /// The module named `name` (tg::ValueError listing the names when there is none).
    Module<T>& operator[](const std::string& name) const { return *module_ptr(name); }
    /// The shared pointer to the module named `name`.
    const std::shared_ptr<Module<T>>& module_ptr(const std::string& name) const;
    /// The module named `name` as an M (tg::ValueError when it is not one).
    template <class M>
    M& get(const std::string& name) const {
        auto* m = dynamic_cast<M*>(module_ptr(name).get());
        if (!m) throw_wrong_type(name);
        return *m;
    }

private:
    [[noreturn]] void throw_wrong_type(const std::string& name) const;
};

extern template class ModuleDict<float>;
extern template class ModuleDict<double>;

}  // namespace tg::nn
