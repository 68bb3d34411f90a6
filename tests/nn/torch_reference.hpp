#pragma once
// The numbers PyTorch gives on the fixed cases of tests/data/make_optim_reference.py,
// read from tests/data/optim/torch_reference.txt (one line per vector: a key, then the
// numbers; lines starting with '#' are comments).

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace tg::test {

/// The vectors of torch_reference.txt by key, read once.
inline const std::map<std::string, std::vector<double>>& torch_reference() {
    static const std::map<std::string, std::vector<double>> vectors = [] {
        std::map<std::string, std::vector<double>> out;
        std::ifstream in(TAPEGRAD_TEST_DATA_DIR "/optim/torch_reference.txt");
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream words(line);
            std::string key, number;
            words >> key;
            std::vector<double>& values = out[key];
            // strtod reads Python's repr back to the same double.
            while (words >> number) values.push_back(std::strtod(number.c_str(), nullptr));
        }
        return out;
    }();
    return vectors;
}

/// The vector under `key`; fails the test (and returns an empty vector) when missing.
inline std::vector<double> reference_vector(const std::string& key) {
    const auto& vectors = torch_reference();
    const auto it = vectors.find(key);
    if (it == vectors.end()) {
        ADD_FAILURE() << "no vector " << key << " in tests/data/optim/torch_reference.txt "
                      << "(run tests/data/make_optim_reference.py)";
        return {};
    }
    return it->second;
}

}  // namespace tg::test
