#include <tapegrad/nn/module.hpp>

namespace tg::nn {

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_parameters() const {
    std::vector<std::pair<std::string, Tensor<T>>> out(parameters_);
    for (const auto& [child_name, child] : children_)
        for (auto& [name, p] : child->named_parameters())
            out.emplace_back(child_name + "." + name, p);
    return out;
}

template <class T>
std::vector<Tensor<T>> Module<T>::parameters() const {
    std::vector<Tensor<T>> out;
    for (auto& named : named_parameters()) out.push_back(std::move(named.second));
    return out;
}

template <class T>
void Module<T>::zero_grad(bool set_to_none) {
    for (Tensor<T>& p : parameters()) set_to_none ? p.reset_grad() : p.zero_grad();
}

template <class T>
void Module<T>::train(bool on) {
    training_ = on;
    for (auto& child : children_) child.second->train(on);
}

template <class T>
void Module<T>::check_new_name(const char* what, const std::string& name) const {
    if (name.empty() || name.find('.') != std::string::npos)
        throw ValueError(std::string(what) + ": the name '" + name +
                         "' is empty or contains a '.'; dots separate submodule names in "
                         "named_parameters(), so pick a name without one");
    for (const auto& p : parameters_)
        if (p.first == name)
            throw ValueError(std::string(what) + ": this module already has a parameter named '" +
                             name + "'; give each parameter and submodule its own name");
    for (const auto& c : children_)
        if (c.first == name)
            throw ValueError(std::string(what) + ": this module already has a submodule named '" +
                             name + "'; give each parameter and submodule its own name");
}

template <class T>
Tensor<T> Module<T>::register_parameter(const std::string& name, Tensor<T> parameter) {
    check_new_name("register_parameter", name);
    if (!parameter.defined())
        throw ValueError("register_parameter: the tensor for '" + name +
                         "' is undefined; pass a tensor with values");
    if (!parameter.is_leaf())
        throw ValueError("register_parameter: the tensor for '" + name +
                         "' was computed by a recorded op; parameters must be leaves (pass "
                         "x.detach() or tg::parameter(values))");
    parameter.set_requires_grad(true);
    parameters_.emplace_back(name, parameter);
    return parameter;
}

template <class T>
void Module<T>::register_child(const std::string& name, std::shared_ptr<Module<T>> module) {
    check_new_name("register_module", name);
    if (!module)
        throw ValueError("register_module: the submodule '" + name + "' is a null pointer");
    if (module.get() == this)
        throw ValueError("register_module: a module cannot be its own submodule ('" + name + "')");
    children_.emplace_back(name, std::move(module));
}

template class Module<float>;
template class Module<double>;

}  // namespace tg::nn
