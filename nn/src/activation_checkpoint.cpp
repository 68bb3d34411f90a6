#include <tapegrad/activation_checkpoint.hpp>
#include <tapegrad/check.hpp>
#include <tapegrad/nn/activation_checkpoint.hpp>

namespace tg::nn {

template <class T>
Tensor<T> checkpoint_sequential(Sequential<T>& net, std::size_t segments, const Tensor<T>& x) {
    const std::size_t n = net.size();
    TG_CHECK(segments >= 1 && segments <= n, ValueError,
             "checkpoint_sequential: segments = ", segments, " for a Sequential of ", n,
             " modules; pass a number of segments from 1 to the number of modules");
    Tensor<T> y = x;
    std::size_t begin = 0;
    for (std::size_t s = 0; s < segments; ++s) {
        // Segment s holds n / segments modules, one more for the first n % segments.
        const std::size_t end = begin + n / segments + (s < n % segments ? 1 : 0);
        auto run = [&net, begin, end](const Tensor<T>& input) {
            Tensor<T> out = input;
            for (std::size_t i = begin; i < end; ++i) out = net[i](out);
            return out;
        };
        y = s + 1 < segments ? checkpoint<T>(run, y) : run(y);  // the last one is not
        begin = end;
    }
    return y;
}

template <class T>
CheckpointWrapper<T>::CheckpointWrapper(std::shared_ptr<Module<T>> module)
    : module_(std::move(module)) {
    TG_CHECK(module_ != nullptr, ValueError, "CheckpointWrapper: the module is null");
    this->register_module("module", module_);
}

template <class T>
Tensor<T> CheckpointWrapper<T>::forward(const Tensor<T>& x) {
    Module<T>& child = *module_;
    return checkpoint<T>([&child](const Tensor<T>& input) { return child(input); }, x);
}

template <class T>
std::string CheckpointWrapper<T>::describe() const {
    return "CheckpointWrapper(" + module_->describe() + ")";
}

template <class T>
std::shared_ptr<Module<T>> CheckpointWrapper<T>::clone() const {
    auto copy = std::make_shared<CheckpointWrapper>(module_->clone());
    copy->copy_modes(*this);
    return copy;
}

template class CheckpointWrapper<float>;
template class CheckpointWrapper<double>;
template Tensor<float> checkpoint_sequential(Sequential<float>&, std::size_t, const Tensor<float>&);
template Tensor<double> checkpoint_sequential(Sequential<double>&, std::size_t,
                                              const Tensor<double>&);

}  // namespace tg::nn
