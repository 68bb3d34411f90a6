#pragma once
// The numbers PyTorch gives on fixed cases, written by a generator under tests/data/ into a
// text file of tests/data/optim/ (one line per vector: a key, then the numbers; lines
// starting with '#' are comments): torch_reference.txt (make_optim_reference.py) for the
// optimizers and schedules, lbfgs_reference.txt (make_lbfgs_reference.py) for L-BFGS.

#include <tapegrad/array.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace tg::test {

/// A reference file of tests/data/optim/ and the generator that writes it.
struct ReferenceFile {
    const char* name = "torch_reference.txt";
    const char* generator = "make_optim_reference.py";
};

/// The L-BFGS reference.
inline constexpr ReferenceFile kLbfgsReference{"lbfgs_reference.txt", "make_lbfgs_reference.py"};

/// The vectors of `file` by key, read once per file.
inline const std::map<std::string, std::vector<double>>& reference_vectors(ReferenceFile file) {
    static std::map<std::string, std::map<std::string, std::vector<double>>> files;
    auto [it, added] = files.try_emplace(file.name);
    if (added) {
        std::ifstream in(std::string(TAPEGRAD_TEST_DATA_DIR "/optim/") + file.name);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream words(line);
            std::string key, number;
            words >> key;
            std::vector<double>& values = it->second[key];
            // strtod reads Python's repr back to the same double.
            while (words >> number) values.push_back(std::strtod(number.c_str(), nullptr));
        }
    }
    return it->second;
}

/// The vector under `key`; fails the test (and returns an empty vector) when missing.
inline std::vector<double> reference_vector(const std::string& key, ReferenceFile file = {}) {
    const auto& vectors = reference_vectors(file);
    const auto it = vectors.find(key);
    if (it == vectors.end()) {
        ADD_FAILURE() << "no vector " << key << " in tests/data/optim/" << file.name
                      << " (run tests/data/" << file.generator << ")";
        return {};
    }
    return it->second;
}

/// The vector under `key` as an array of `shape`; fails the test when the sizes differ.
inline Array<double> reference_array(const std::string& key, const Shape& shape,
                                     ReferenceFile file = {}) {
    const std::vector<double> values = reference_vector(key, file);
    Array<double> out(shape);
    if (values.size() != out.size()) {
        ADD_FAILURE() << key << " holds " << values.size() << " values, expected " << out.size();
        return out;
    }
    std::copy(values.begin(), values.end(), out.begin());
    return out;
}

}  // namespace tg::test
