#pragma once
// The cases of tests/data/args_reference.txt (written by tests/data/make_args_reference.py
// with PyTorch 1.13): arguments PyTorch users pass, checked value and gradient. Each test
// folder checks the cases whose name starts with its own prefix ("ops.", "nn.", "optim.")
// and names the function each case calls; a case without one fails.

#include "reference_data.hpp"

#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tg::test {

/// A case's inputs by name: those with a grad_ entry require a gradient.
using NamedInputs = std::map<std::string, Tensor<double>>;
/// What a case computes: its value, and the indices where the op returns them.
using ArgsFunction = std::function<std::vector<Tensor<double>>(const NamedInputs&)>;

/// The cases whose name starts with `prefix`.
inline std::vector<ReferenceCase> args_cases(const std::string& prefix) {
    static const std::vector<ReferenceCase> all =
        read_reference(std::string(TAPEGRAD_TEST_DATA_DIR) + "/args_reference.txt");
    std::vector<ReferenceCase> picked;
    for (const ReferenceCase& c : all)
        if (c.words.at(0).rfind(prefix, 0) == 0) picked.push_back(c);
    return picked;
}

/// Checks one case: value (and indices) to `tol`, and the gradient of sum(c · value) with
/// respect to each input that has a grad_ entry, from the fused and the recorded backward.
inline void check_args_case(const ReferenceCase& c, const ArgsFunction& f, double tol) {
    SCOPED_TRACE(c.words.at(0));
    NamedInputs in;
    std::vector<std::string> differentiated;
    for (const auto& [key, value] : c.tensors) {
        if (key == "cotangent" || key == "value" || key == "value_indices" ||
            key.rfind("grad_", 0) == 0)
            continue;
        const bool wanted = c.has("grad_" + key);
        in.emplace(key, wanted ? parameter<double>(value) : Tensor<double>(value));
        if (wanted) differentiated.push_back(key);
    }
    for (bool create_graph : {false, true}) {
        SCOPED_TRACE(create_graph ? "recorded backward" : "fused backward");
        Tape tape;
        const std::vector<Tensor<double>> out = f(in);
        EXPECT_TRUE(matches_reference(out.at(0).value(), c.at("value"), tol)) << "value";
        if (c.has("value_indices")) {
            ASSERT_EQ(out.size(), 2u) << "the case has indices; the function returned none";
            EXPECT_TRUE(matches_reference(out[1].value(), c.at("value_indices"), 0)) << "indices";
        }
        if (differentiated.empty()) continue;  // a value without gradient
        std::vector<Tensor<double>> leaves;
        for (const std::string& k : differentiated) leaves.push_back(in.at(k));
        BackwardOptions options;
        options.create_graph = create_graph;
        const std::vector<Tensor<double>> g =
            tape.gradient(sum(out[0] * Tensor<double>(c.at("cotangent"))), leaves, options);
        for (std::size_t i = 0; i < leaves.size(); ++i)
            EXPECT_TRUE(matches_reference(g[i].value(), c.at("grad_" + differentiated[i]), tol))
                << "grad_" << differentiated[i];
    }
}

/// Checks every case with `prefix` against `functions` (case name -> function); a case
/// without a function fails, and so does a function named with `prefix` without a case.
inline void check_args_cases(const std::string& prefix,
                             const std::map<std::string, ArgsFunction>& functions, double tol) {
    const std::vector<ReferenceCase> cases = args_cases(prefix);
    std::map<std::string, int> seen;
    for (const ReferenceCase& c : cases) {
        const std::string& name = c.words.at(0);
        const auto it = functions.find(name);
        if (it == functions.end()) {
            ADD_FAILURE() << "args_reference.txt: no function for case " << name;
            continue;
        }
        ++seen[name];
        check_args_case(c, it->second, tol);
    }
    for (const auto& [name, f] : functions)
        EXPECT_TRUE(name.rfind(prefix, 0) != 0 || seen.count(name))
            << "args_reference.txt has no case " << name;
}

}  // namespace tg::test
