#include <tapegrad/nn/module_dict.hpp>

namespace tg::nn {

template <class T>
ModuleDict<T>& ModuleDict<T>::insert(const std::string& name, std::shared_ptr<Module<T>> module) {
    this->register_module(name, std::move(module));
    return *this;
}

template <class T>
std::string ModuleDict<T>::describe() const {
    std::string items;
    for (const auto& [name, m] : this->children())
        items += (items.empty() ? "" : ", ") + name + "=" + m->describe();
    return "ModuleDict(" + items + ")";
}

template <class T>
std::shared_ptr<Module<T>> ModuleDict<T>::clone() const {
    auto copy = std::make_shared<ModuleDict>();
    for (const auto& [name, m] : this->children()) copy->insert(name, m->clone());
    copy->copy_modes(*this);
    return copy;
}

template <class T>
bool ModuleDict<T>::contains(const std::string& name) const {
    for (const auto& child : this->children())
        if (child.first == name) return true;
    return false;
}

template <class T>
std::vector<std::string> ModuleDict<T>::keys() const {
    std::vector<std::string> out;
    for (const auto& child : this->children()) out.push_back(child.first);
    return out;
}

template <class T>
const std::shared_ptr<Module<T>>& ModuleDict<T>::module_ptr(const std::string& name) const {
    for (const auto& child : this->children())
        if (child.first == name) return child.second;
    std::string names;
    for (const auto& child : this->children())
        names += (names.empty() ? "'" : ", '") + child.first + "'";
    throw ValueError("ModuleDict: no module named '" + name + "'; it holds " +
                     (names.empty() ? "none" : names));
}

template <class T>
void ModuleDict<T>::throw_wrong_type(const std::string& name) const {
    throw ValueError("ModuleDict::get<M>('" + name + "'): the module is " +
                     module_ptr(name)->describe() + ", not the requested type");
}

template class ModuleDict<float>;
template class ModuleDict<double>;

}  // namespace tg::nn
