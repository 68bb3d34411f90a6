#pragma once
// The optimizer the scheduler tests drive: an SGD of two groups of one parameter each,
// learning rates 0.1 and 0.05 (as tests/data/make_optim_reference.py builds it in PyTorch).

#include <tapegrad/optim.hpp>
#include <tapegrad/tensor.hpp>

#include <vector>

namespace tg::test {

struct TwoGroups {
    Tensor<double> w = parameter<double>(Array<double>{0.0});
    Tensor<double> v = parameter<double>(Array<double>{0.0});
    optim::SGD<double> sgd{std::vector<optim::ParamGroup<double>>{{{w}}, {{v}, 0.05}}, 0.1};

    /// Each group's learning rate.
    std::vector<double> lrs() const {
        return {sgd.param_groups()[0].learning_rate, sgd.param_groups()[1].learning_rate};
    }
    /// Each group's rate and momentum (-1 for none).
    std::vector<double> settings() const {
        std::vector<double> out;
        for (const auto& g : sgd.param_groups()) {
            out.push_back(g.learning_rate);
            out.push_back(g.momentum.value_or(-1));
        }
        return out;
    }
};

}  // namespace tg::test
