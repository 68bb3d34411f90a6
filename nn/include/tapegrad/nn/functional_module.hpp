#pragma once
// tg::nn::Functional: any function of one tensor as a module (libtorch's
// torch::nn::Functional), so that a Sequential can hold an op that has no module:
//
//     tg::nn::Sequential<double> net{
//         tg::nn::Dense<double>(4, 8, rng),
//         tg::nn::Functional<double>([](const tg::Tensor<>& x) { return tg::clamp(x, -1.0, 1.0); },
//                                    "Clamp(-1, 1)"),
//         tg::nn::Dense<double>(8, 1, rng)};

#include <tapegrad/check.hpp>
#include <tapegrad/nn/module.hpp>

#include <functional>
#include <string>
#include <utility>

namespace tg::nn {

/// A module without parameters whose forward is a given function of one tensor.
template <class T = double>
class Functional : public Cloneable<Functional<T>, T> {
public:
    /// The function type.
    using Function = std::function<Tensor<T>(const Tensor<T>&)>;

    /// forward(x) = f(x); `name` is what describe() says. tg::ValueError for an empty f.
    explicit Functional(Function f, std::string name = "Functional")
        : f_(std::move(f)), name_(std::move(name)) {
        TG_CHECK(f_, ValueError, "Functional '", name_, "': the function is empty");
    }
    /// f(x).
    Tensor<T> forward(const Tensor<T>& x) override { return f_(x); }
    /// The name given at construction.
    std::string describe() const override { return name_; }

private:
    Function f_;
    std::string name_;
};

}  // namespace tg::nn
