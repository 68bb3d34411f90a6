#include <tapegrad/check.hpp>
#include <tapegrad/nn/detail/forward_observer.hpp>
#include <tapegrad/nn/module.hpp>

#include <cxxabi.h>
#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace tg::nn {

template <class T>
Tensor<T> Module<T>::forward(const Tensor<T>&) {
    throw ValueError(class_name() + ": forward(x) of one tensor is not defined for " + describe() +
                     "; call the forward it declares with its own inputs (a module of one "
                     "tensor overrides Module::forward)");
}

template <class T>
Tensor<T> Module<T>::forward_indices(const Tensor<std::int64_t>&) {
    throw ValueError(describe() +
                     ": takes values, not int64 indices (a module of indices, such as an "
                     "Embedding, overrides forward_indices); convert them with "
                     "tg::to_floating<T>(indices), or put an Embedding first");
}

namespace detail {

template <class T>
ForwardObserver<T>*& forward_observer() {
    thread_local ForwardObserver<T>* observer = nullptr;
    return observer;
}

template ForwardObserver<float>*& forward_observer<float>();
template ForwardObserver<double>*& forward_observer<double>();

}  // namespace detail

template <class T>
Tensor<T> Module<T>::operator()(const Tensor<T>& x) {
    Tensor<T> y = forward(x);
    note_output(y);
    return y;
}

template <class T>
void Module<T>::note_output(const Tensor<T>& output) const {
    if (detail::ForwardObserver<T>* observer = detail::forward_observer<T>())
        (*observer)(*this, output);
}

template <class T>
std::string Module<T>::class_name() const {
    const char* mangled = typeid(*this).name();
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> demangled(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
    std::string name = status == 0 && demangled ? demangled.get() : mangled;
    name = name.substr(0, name.find('<'));  // "tg::nn::Dense<double>" -> "tg::nn::Dense"
    const std::size_t colon = name.rfind("::");
    return colon == std::string::npos ? name : name.substr(colon + 2);
}

template <class T>
std::string Module<T>::describe() const {
    std::string items;
    for (const auto& [name, p] : parameters_)
        items += (items.empty() ? "" : ", ") + name + " " + shape_str(p.shape());
    for (const auto& [name, child] : children_)
        items += (items.empty() ? "" : ", ") + name + "=" + child->describe();
    return items.empty() ? class_name() : class_name() + "(" + items + ")";
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::collect(
    std::vector<std::pair<std::string, Tensor<T>>> Module::*own) const {
    std::vector<std::pair<std::string, Tensor<T>>> out(this->*own);
    for (const auto& [child_name, child] : children_)
        for (auto& [name, p] : child->collect(own)) out.emplace_back(child_name + "." + name, p);
    return out;
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_parameters() const {
    return collect(&Module::parameters_);
}

template <class T>
std::vector<std::pair<std::string, Tensor<T>>> Module<T>::named_buffers() const {
    return collect(&Module::buffers_);
}

template <class T>
std::vector<Tensor<T>> Module<T>::buffers() const {
    std::vector<Tensor<T>> out;
    for (auto& named : named_buffers()) out.push_back(std::move(named.second));
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
    TG_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError, what, ": the name '",
             name,
             "' is empty or contains a '.'; dots separate submodule names in named_parameters(), "
             "so pick a name without one");
    for (const auto& p : parameters_)
        TG_CHECK(p.first != name, ValueError, what, ": this module already has a parameter named '",
                 name, "'; give each parameter and submodule its own name");
    for (const auto& b : buffers_)
        TG_CHECK(b.first != name, ValueError, what, ": this module already has a buffer named '",
                 name, "'; give each parameter, buffer and submodule its own name");
    for (const auto& c : children_)
        TG_CHECK(c.first != name, ValueError, what, ": this module already has a submodule named '",
                 name, "'; give each parameter and submodule its own name");
}

template <class T>
Tensor<T> Module<T>::register_parameter(const std::string& name, Tensor<T> parameter) {
    check_new_name("register_parameter", name);
    TG_CHECK(parameter.defined(), ValueError, "register_parameter: the tensor for '", name,
             "' is undefined; pass a tensor with values");
    TG_CHECK(parameter.is_leaf(), ValueError, "register_parameter: the tensor for '", name,
             "' was computed by a recorded op; parameters must be leaves (pass x.detach() or "
             "tg::parameter(values))");
    parameter.set_requires_grad(true);
    parameter.set_name(name);
    parameters_.emplace_back(name, parameter);
    return parameter;
}

template <class T>
Tensor<T> Module<T>::register_buffer(const std::string& name, Tensor<T> buffer) {
    check_new_name("register_buffer", name);
    TG_CHECK(buffer.defined(), ValueError, "register_buffer: the tensor for '", name,
             "' is undefined; pass a tensor with values");
    TG_CHECK(buffer.is_leaf(), ValueError, "register_buffer: the tensor for '", name,
             "' was computed by a recorded op; buffers must be leaves (pass x.detach())");
    buffer.set_requires_grad(false);
    buffer.set_name(name);
    buffers_.emplace_back(name, buffer);
    return buffer;
}

template <class T>
void Module<T>::register_child(const std::string& name, std::shared_ptr<Module<T>> module) {
    check_new_name("register_module", name);
    TG_CHECK(module, ValueError, "register_module: the submodule '", name, "' is a null pointer");
    TG_CHECK(module.get() != this, ValueError,
             "register_module: a module cannot be its own submodule ('", name, "')");
    // Each tensor's name is its dotted path from the module registered last, the root
    // when modules are built bottom-up: "weight" in a Dense, "1.weight" once that Dense
    // is child "1" of a Sequential.
    for (auto named : {module->named_parameters(), module->named_buffers()})
        for (auto& [path, tensor] : named) tensor.set_name(name + "." + path);
    children_.emplace_back(name, std::move(module));
}

template <class T>
std::shared_ptr<Module<T>> Module<T>::clone() const {
    throw ValueError(class_name() +
                     ": clone() is not available; derive the module from "
                     "tg::nn::Cloneable<" +
                     class_name() + "> and register its parameters in reset()");
}

template <class T>
void Module<T>::clear_registrations() {
    parameters_.clear();
    buffers_.clear();
    children_.clear();
}

namespace {

/// Copies the values of `from` into new leaves registered as `to` (same names and shapes).
template <class T>
void copy_values(const char* what, const std::string& module,
                 const std::vector<std::pair<std::string, Tensor<T>>>& from,
                 const std::vector<std::pair<std::string, Tensor<T>>>& to) {
    std::string mine, theirs;
    for (const auto& [name, t] : to) mine += " '" + name + "' " + shape_str(t.shape());
    for (const auto& [name, t] : from) theirs += " '" + name + "' " + shape_str(t.shape());
    TG_CHECK(mine == theirs, ValueError, "clone: ", module, "::reset() registered the ", what, "s",
             (mine.empty() ? " (none)" : mine), " but the original has",
             (theirs.empty() ? " none" : theirs),
             "; reset() must register what the constructor does");
    for (std::size_t i = 0; i < to.size(); ++i) {
        Tensor<T> target = to[i].second;
        target.mutable_value() = from[i].second.value();
    }
}

}  // namespace

template <class T>
void Module<T>::copy_state_from(const Module<T>& original) {
    copy_values("parameter", class_name(), original.named_parameters(), named_parameters());
    copy_values("buffer", class_name(), original.named_buffers(), named_buffers());
    copy_modes(original);
}

template <class T>
void Module<T>::copy_modes(const Module<T>& original) {
    training_ = original.training_;
    // Children pair up by position: the names matched in copy_state_from.
    for (std::size_t i = 0; i < children_.size() && i < original.children_.size(); ++i)
        children_[i].second->copy_modes(*original.children_[i].second);
}

template class Module<float>;
template class Module<double>;

}  // namespace tg::nn
