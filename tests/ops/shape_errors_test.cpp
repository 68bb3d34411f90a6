// Bad input to every op family raises the right tg::Error subclass, with a message that
// names the op and the offending shapes (or axis), and records nothing on the tape.

#include "op_test_util.hpp"

#include <functional>
#include <ostream>
#include <string>
#include <typeinfo>
#include <vector>
#include <xtensor/xbuilder.hpp>

namespace {

using tg::Shape;
using tg::Tensor;

enum class Kind { shape_error, value_error };

struct ErrorCase {
    std::string name;
    Kind kind;
    std::function<void()> op;               ///< runs the op under an active tape
    std::vector<std::string> must_contain;  ///< substrings of the message
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

/// A leaf that requires a gradient, so that a successful op would be recorded.
Tensor<double> P(const Shape& shape) { return tg::parameter<double>(xt::ones<double>(shape)); }

std::vector<ErrorCase> error_cases() {
    const Kind S = Kind::shape_error, V = Kind::value_error;
    std::vector<ErrorCase> rows = {
        // Elementwise arithmetic and selection: broadcast mismatch.
        {"add",
         S,
         [] {
             tg::add(P({3, 4}), P({2, 4}));
         },
         {"add: shapes (3, 4) and (2, 4) cannot be broadcast together (dimension 0: 3 vs 2; "
          "sizes must be equal or 1, aligned from the right)"}},
        {"add_1d", S, [] { tg::add(P({3}), P({4})); }, {"add", "(3)", "(4)"}},
        {"operator_plus",
         S,
         [] {
             P({2, 3}) + P({3, 2});
         },
         {"add", "(2, 3)", "(3, 2)"}},
        {"sub",
         S,
         [] {
             tg::sub(P({3, 4}), P({2, 4}));
         },
         {"sub", "(3, 4)", "(2, 4)"}},
        {"operator_minus",
         S,
         [] {
             P({2, 3}) - P({3, 2});
         },
         {"sub", "(2, 3)", "(3, 2)"}},
        {"mul",
         S,
         [] {
             tg::mul(P({3, 4}), P({2, 4}));
         },
         {"mul", "(3, 4)", "(2, 4)"}},
        {"operator_times",
         S,
         [] {
             P({2, 3}) * P({3, 2});
         },
         {"mul", "(2, 3)", "(3, 2)"}},
        {"div",
         S,
         [] {
             tg::div(P({3, 4}), P({2, 4}));
         },
         {"div", "(3, 4)", "(2, 4)"}},
        {"operator_divide",
         S,
         [] {
             P({2, 3}) / P({3, 2});
         },
         {"div", "(2, 3)", "(3, 2)"}},
        {"maximum",
         S,
         [] {
             tg::maximum(P({3, 4}), P({2, 4}));
         },
         {"maximum", "(3, 4)", "(2, 4)"}},
        {"minimum",
         S,
         [] {
             tg::minimum(P({3, 4}), P({2, 4}));
         },
         {"minimum", "(3, 4)", "(2, 4)"}},

        // Matrix products.
        {"matmul_inner_dim",
         S,
         [] {
             tg::matmul(P({3, 4}), P({5, 2}));
         },
         {"matmul: inner dimensions differ: (3, 4) @ (5, 2) (4 vs 5)"}},
        {"matmul_batched_inner_dim",
         S,
         [] {
             tg::matmul(P({2, 3, 4}), P({5, 2}));
         },
         {"matmul", "(2, 3, 4)", "(5, 2)"}},
        {"matmul_0d_operand",
         S,
         [] {
             tg::matmul(P({}), P({3}));
         },
         {"matmul", "at least 1 dimension", "()", "(3)"}},
        {"matmul_1d_inner_dim",
         S,
         [] {
             tg::matmul(P({4}), P({5, 2}));
         },
         {"matmul", "(4)", "(5, 2)", "second-to-last"}},
        {"matmul_batch_broadcast",
         S,
         [] {
             tg::matmul(P({2, 3, 4}), P({5, 4, 2}));
         },
         {"matmul", "batch dimensions", "(2, 3, 4)", "(5, 4, 2)"}},
        {"matmul_4d_inner_dim",
         S,
         [] {
             tg::matmul(P({1, 2, 3, 4}), P({5, 5}));
         },
         {"matmul", "(1, 2, 3, 4)", "(5, 5)"}},
        {"gemm_inner_dim_with_flags",
         S,
         [] {
             tg::gemm(P({3, 4}), P({4, 2}), true, false);
         },
         {"gemm", "(3, 4)", "(4, 2)"}},
        {"gemm_rank",
         S,
         [] {
             tg::gemm(P({4}), P({4, 2}), false, false);
         },
         {"gemm", "(4)", "(4, 2)"}},
        {"linear_in_features",
         S,
         [] {
             tg::linear(P({3, 4}), P({2, 5}), P({2}));
         },
         {"linear: needs x (..., in), weight (out, in) and bias (out) or none; got x (3, 4)",
          "(2, 5)", "(2)"}},
        {"linear_bias",
         S,
         [] {
             tg::linear(P({3, 4}), P({2, 4}), P({3}));
         },
         {"linear", "(3, 4)", "(2, 4)", "(3)"}},
        {"linear_x_rank",
         S,
         [] {
             tg::linear(P({}), P({2, 4}), P({2}));
         },
         {"linear", "()", "(2, 4)", "(2)"}},

        // Shape ops.
        {"reshape_size",
         S,
         [] {
             tg::reshape(P({3, 4}), {5, 2});
         },
         {"reshape: cannot reshape a tensor of shape (3, 4) (12 elements) to (5, 2) "
          "(10 elements)"}},
        {"reshape_0d", S, [] { tg::reshape(P({}), {2}); }, {"reshape", "()", "(2)"}},
        {"concat_size_mismatch",
         S,
         [] {
             tg::concat(std::vector<Tensor<double>>{P({2, 4}), P({2, 5})}, 0);
         },
         {"concat: tensor #1 has shape (2, 5) but tensor #0 has shape (2, 4)"}},
        {"concat_rank_mismatch",
         S,
         [] {
             tg::concat(std::vector<Tensor<double>>{P({2, 4}), P({4})}, 0);
         },
         {"concat", "(2, 4)", "(4)"}},
        {"concat_axis_out_of_range",
         V,
         [] {
             tg::concat(std::vector<Tensor<double>>{P({2, 4}), P({2, 4})}, 2);
         },
         {"concat", "axis 2"}},
        {"concat_empty_list",
         V,
         [] { tg::concat(std::vector<Tensor<double>>{}, 0); },
         {"concat: needs at least one tensor"}},
        {"permute_repeated_axis",
         S,
         [] {
             tg::permute(P({2, 3, 4}), {0, 0, 1});
         },
         {"permute: (0, 0, 1) is not a permutation of the 3 axes of a tensor of shape "
          "(2, 3, 4)"}},
        {"permute_too_short",
         S,
         [] {
             tg::permute(P({2, 3, 4}), {1, 0});
         },
         {"permute", "(1, 0)", "(2, 3, 4)"}},
        {"permute_axis_out_of_range",
         S,
         [] {
             tg::permute(P({2, 3, 4}), {0, 1, 3});
         },
         {"permute", "(0, 1, 3)", "(2, 3, 4)"}},
        {"broadcast_to_incompatible",
         S,
         [] {
             tg::broadcast_to(P({3, 4}), {4, 3});
         },
         {"broadcast_to", "(3, 4)", "(4, 3)"}},
        {"broadcast_to_fewer_dims",
         S,
         [] {
             tg::broadcast_to(P({3, 4}), {4});
         },
         {"broadcast_to", "(3, 4)", "(4)"}},
        {"sum_to_incompatible",
         S,
         [] {
             tg::sum_to(P({3, 4}), {2, 4});
         },
         {"sum_to: cannot sum shape (3, 4) to (2, 4)"}},
        {"sum_to_larger_target",
         S,
         [] {
             tg::sum_to(P({4}), {3, 4});
         },
         {"sum_to", "(4)", "(3, 4)"}},
        {"narrow_past_end",
         V,
         [] {
             tg::narrow(P({3, 4}), 1, 2, 3);
         },
         {"narrow: slice [2, 5) is past the end of axis 1 of a tensor of shape (3, 4)"}},
        {"narrow_axis_out_of_range",
         V,
         [] {
             tg::narrow(P({3, 4}), 2, 0, 1);
         },
         {"narrow", "axis 2"}},
        {"rows_index_out_of_range",
         V,
         [] {
             tg::rows(P({3, 2}), {0, 3});
         },
         {"rows: index 3 (position 1) is out of range for a tensor with 3 rows"}},
        {"rows_0d", S, [] { tg::rows(P({}), {0}); }, {"rows", "0-d"}},
        {"index_add_rows_index_out_of_range",
         V,
         [] {
             tg::index_add_rows(P({2, 3}), {0, 4}, 4);
         },
         {"index_add_rows", "index 4", "4 rows"}},
        {"index_add_rows_count_mismatch",
         S,
         [] {
             tg::index_add_rows(P({2, 3}), {0, 1, 2}, 4);
         },
         {"index_add_rows", "(2, 3)", "3 indices"}},

        // Reductions and softmax: axis out of range (the message gives the axis and rank).
        {"sum_axis_out_of_range",
         V,
         [] {
             tg::sum(P({3, 4}), {2});
         },
         {"sum: axis 2 is out of range for a tensor of rank 2 (valid: -2 to 1)"}},
        {"sum_negative_axis_out_of_range",
         V,
         [] {
             tg::sum(P({3, 4}), {-3});
         },
         {"sum", "axis -3", "rank 2"}},
        {"sum_axis_listed_twice",
         V,
         [] {
             tg::sum(P({3, 4}), {1, -1});
         },
         {"sum: axis listed twice in (1, -1)"}},
        {"mean_axis_out_of_range",
         V,
         [] {
             tg::mean(P({3, 4}), {2});
         },
         {"mean", "axis 2", "rank 2"}},
        {"max_axis_out_of_range",
         V,
         [] {
             tg::max(P({3, 4}), 2);
         },
         {"max", "axis 2", "rank 2"}},
        {"max_0d", S, [] { tg::max(P({}), 0); }, {"max", "0-d"}},
        {"softmax_axis_out_of_range",
         V,
         [] {
             tg::softmax(P({3, 4}), 2);
         },
         {"softmax", "axis 2", "rank 2"}},
        {"log_softmax_axis_out_of_range",
         V,
         [] {
             tg::log_softmax(P({3, 4}), -3);
         },
         {"log_softmax", "axis -3", "rank 2"}},
        {"softmax_0d", S, [] { tg::softmax(P({}), 0); }, {"softmax", "0-d"}},

        // Arguments out of their domain.
        {"clamp_bounds_reversed", V, [] { tg::clamp(P({3}), 1.0, -1.0); }, {"clamp"}},
    };
    return rows;
}

class OpShapeError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(OpShapeError, RaisesNamedErrorAndRecordsNothing) {
    const ErrorCase& c = GetParam();
    tg::Tape tape;
    try {
        c.op();
        FAIL() << c.name << ": no exception";
    } catch (const tg::Error& e) {
        const std::string what = e.what();
        if (c.kind == Kind::shape_error)
            EXPECT_NE(dynamic_cast<const tg::ShapeError*>(&e), nullptr)
                << "expected tg::ShapeError, got " << typeid(e).name() << ": " << what;
        else
            EXPECT_NE(dynamic_cast<const tg::ValueError*>(&e), nullptr)
                << "expected tg::ValueError, got " << typeid(e).name() << ": " << what;
        for (const std::string& part : c.must_contain)
            EXPECT_NE(what.find(part), std::string::npos)
                << "message lacks \"" << part << "\": " << what;
    } catch (const std::exception& e) {
        FAIL() << c.name << ": threw a non-tg::Error " << typeid(e).name() << ": " << e.what();
    }
    // Nothing is left half-done: a failed op leaves no entry behind.
    EXPECT_EQ(tape.size(), 0u) << tape.dump();
}

std::string case_name(const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(AllOps, OpShapeError, ::testing::ValuesIn(error_cases()), case_name);

}  // namespace
