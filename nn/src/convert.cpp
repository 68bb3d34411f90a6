#include <tapegrad/nn/convert.hpp>

#include <xtensor/xarray.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace tg::nn {
namespace {

template <class T>
using Named = std::vector<std::pair<std::string, Tensor<T>>>;

/// Appends to `problems` every way in which `to` does not pair up with `from` by position.
template <class From, class To>
void compare(const char* what, const Named<From>& from, const Named<To>& to,
             std::vector<std::string>& problems) {
    const std::size_t n = std::max(from.size(), to.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (i >= to.size()) {
            problems.push_back(std::string(what) + " '" + from[i].first + "' " +
                               shape_str(from[i].second.shape()) + " has no counterpart");
        } else if (i >= from.size()) {
            problems.push_back(std::string(what) + " '" + to[i].first + "' " +
                               shape_str(to[i].second.shape()) + " is not in the source");
        } else if (from[i].first != to[i].first) {
            problems.push_back(std::string(what) + " " + std::to_string(i) + " is '" +
                               from[i].first + "' in the source and '" + to[i].first +
                               "' in the target");
        } else if (from[i].second.shape() != to[i].second.shape()) {
            problems.push_back(std::string(what) + " '" + from[i].first + "' has shape " +
                               shape_str(from[i].second.shape()) + " in the source and " +
                               shape_str(to[i].second.shape()) + " in the target");
        }
    }
}

template <class From, class To>
void copy_values(const Named<From>& from, const Named<To>& to) {
    for (std::size_t i = 0; i < to.size(); ++i) {
        Tensor<To> target = to[i].second;
        target.assign(Array<To>(xt::cast<To>(from[i].second.value())));
    }
}

}  // namespace

template <class From, class To>
void copy_state(const Module<From>& from, Module<To>& to) {
    const Named<From> from_params = from.named_parameters(), from_buffers = from.named_buffers();
    const Named<To> to_params = to.named_parameters(), to_buffers = to.named_buffers();
    std::vector<std::string> problems;
    compare("parameter", from_params, to_params, problems);
    compare("buffer", from_buffers, to_buffers, problems);
    if (!problems.empty()) {
        std::string message = "copy_state: " + from.describe() + " and " + to.describe() +
                              " are not the same architecture, so nothing was copied:";
        for (const std::string& p : problems) message += "\n  " + p;
        throw ShapeError(message + "\nBuild the target exactly as the source was built.");
    }
    copy_values(from_params, to_params);
    copy_values(from_buffers, to_buffers);
}

#define TG_NN_CONVERT_INSTANTIATE(From, To) \
    template void copy_state<From, To>(const Module<From>&, Module<To>&);
TG_NN_CONVERT_INSTANTIATE(double, float)
TG_NN_CONVERT_INSTANTIATE(float, double)
TG_NN_CONVERT_INSTANTIATE(float, float)
TG_NN_CONVERT_INSTANTIATE(double, double)
#undef TG_NN_CONVERT_INSTANTIATE

}  // namespace tg::nn
