#pragma once
// Reads the reference files that the tests' Python scripts write with PyTorch
// (tests/data/layers/make_*_reference.py, tests/data/norm/make_norm_reference.py,
// tests/data/make_loss_reference.py): cases of named float64 tensors, so the C++ tests
// compare with PyTorch without running Python.
//
// Format, one item per line:
//     # a comment
//     case <words...>                       starts a case; the words describe it
//     <key> <rank> <sizes...> <values...>   a tensor, row-major
//     end                                   ends the case

#include <tapegrad/tensor.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tg::test {

/// One case: the words after `case`, and its tensors by key.
struct ReferenceCase {
    std::vector<std::string> words;
    std::map<std::string, Array<double>> tensors;

    bool has(const std::string& key) const { return tensors.count(key) > 0; }
    const Array<double>& at(const std::string& key) const {
        const auto it = tensors.find(key);
        if (it == tensors.end())
            throw std::runtime_error("reference case '" + words.at(0) + "' has no tensor '" + key +
                                     "'");
        return it->second;
    }
};

/// Every case of the file at `path` (std::runtime_error naming the line if malformed).
inline std::vector<ReferenceCase> read_reference(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::vector<ReferenceCase> cases;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        std::istringstream words(line);
        std::string key;
        if (!(words >> key) || key[0] == '#') continue;
        if (key == "case") {
            cases.emplace_back();
            for (std::string w; words >> w;) cases.back().words.push_back(w);
            continue;
        }
        if (key == "end") continue;
        std::size_t rank = 0;
        words >> rank;
        Shape shape(rank);
        for (auto& s : shape) words >> s;
        Array<double> a = Array<double>::from_shape(shape);
        for (double& v : a) {  // strtod: correctly rounded, and reads inf and nan
            std::string text;
            words >> text;
            v = std::strtod(text.c_str(), nullptr);
        }
        if (!words || cases.empty())
            throw std::runtime_error(path + ":" + std::to_string(number) +
                                     ": malformed tensor line");
        cases.back().tensors.emplace(key, std::move(a));
    }
    return cases;
}

/// Same shape, NaN exactly where `want` has NaN, the same infinities, and every other
/// element within tol · max(1, |want|) (an absolute tolerance near 0, relative above 1).
inline ::testing::AssertionResult matches_reference(const Array<double>& got,
                                                    const Array<double>& want, double tol) {
    if (Shape(got.shape()) != Shape(want.shape()))
        return ::testing::AssertionFailure() << "shape " << shape_str(Shape(got.shape()))
                                             << ", expected " << shape_str(Shape(want.shape()));
    for (std::size_t i = 0; i < want.size(); ++i) {
        const double g = got.data()[i], w = want.data()[i];
        const bool ok = std::isnan(w)   ? std::isnan(g)
                        : std::isinf(w) ? g == w
                                        : std::abs(g - w) <= tol * std::max(1.0, std::abs(w));
        if (!ok)
            return ::testing::AssertionFailure()
                   << "element " << i << ": got " << g << ", expected " << w;
    }
    return ::testing::AssertionSuccess();
}

}  // namespace tg::test
