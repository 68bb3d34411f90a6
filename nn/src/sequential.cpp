#include <tapegrad/nn/sequential.hpp>

namespace tg::nn {

template <class T>
Sequential<T>& Sequential<T>::add(std::shared_ptr<Module<T>> module) {
    const std::string name = std::to_string(modules_.size());
    this->register_module(name, module);
    modules_.push_back(std::move(module));
    return *this;
}

template <class T>
Tensor<T> Sequential<T>::forward(const Tensor<T>& x) {
    Tensor<T> y = x;
    for (auto& m : modules_) y = m->forward(y);
    return y;
}

template <class T>
std::string Sequential<T>::describe() const {
    std::string s = "Sequential(";
    for (std::size_t i = 0; i < modules_.size(); ++i)
        s += (i ? ", " : "") + modules_[i]->describe();
    return s + ")";
}

template <class T>
const std::shared_ptr<Module<T>>& Sequential<T>::module_ptr(std::size_t i) const {
    if (i >= modules_.size())
        throw ValueError("Sequential: index " + std::to_string(i) + " is out of range; it holds " +
                         std::to_string(modules_.size()) + " modules");
    return modules_[i];
}

template <class T>
void Sequential<T>::throw_wrong_type(std::size_t i) const {
    throw ValueError("Sequential::get<M>(" + std::to_string(i) + "): module " + std::to_string(i) +
                     " is " + modules_[i]->describe() + ", not the requested type");
}

template class Sequential<float>;
template class Sequential<double>;

}  // namespace tg::nn
