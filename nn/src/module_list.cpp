#include <tapegrad/check.hpp>
#include <tapegrad/nn/module_list.hpp>

namespace tg::nn {

template <class T>
ModuleList<T>& ModuleList<T>::add(std::shared_ptr<Module<T>> module) {
    const std::string name = std::to_string(modules_.size());
    this->register_module(name, module);
    modules_.push_back(std::move(module));
    return *this;
}

template <class T>
std::string ModuleList<T>::describe_children() const {
    std::string s = this->class_name() + "(";
    for (std::size_t i = 0; i < modules_.size(); ++i)
        s += (i ? ", " : "") + modules_[i]->describe();
    return s + ")";
}

template <class T>
std::string ModuleList<T>::describe() const {
    return describe_children();
}

template <class T>
std::shared_ptr<Module<T>> ModuleList<T>::clone() const {
    return clone_into(std::make_shared<ModuleList>());
}

template <class T>
const std::shared_ptr<Module<T>>& ModuleList<T>::module_ptr(std::size_t i) const {
    TG_CHECK(i < modules_.size(), ValueError, this->class_name(), ": index ", i,
             " is out of range; it holds ", modules_.size(), " modules");
    return modules_[i];
}

template <class T>
void ModuleList<T>::throw_wrong_type(std::size_t i) const {
    throw ValueError(this->class_name() + "::get<M>(" + std::to_string(i) + "): module " +
                     std::to_string(i) + " is " + modules_[i]->describe() +
                     ", not the requested type");
}

template class ModuleList<float>;
template class ModuleList<double>;

}  // namespace tg::nn
