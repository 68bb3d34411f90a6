// What a tape holds: record one forward pass of a small model, print the tape's entries
// and the bytes its saved tensors take, export the graph to Graphviz, then run backward
// and watch the tape release everything.
//
// Usage: tape_graph [--out DIR]
// Writes DIR/tape.dot, and DIR/tape.png when Graphviz's `dot` is installed.

#include <tapegrad/grad_mode.hpp>
#include <tapegrad/ops.hpp>
#include <tapegrad/tape.hpp>

#include "../common/cli.hpp"
#include "../common/tools.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <xtensor/xarray.hpp>

namespace {

using Tensor = tg::Tensor<double>;

/// An array of small deterministic values, so the example needs no RNG.
xt::xarray<double> ramp(const tg::Shape& shape, double scale) {
    xt::xarray<double> a = xt::xarray<double>::from_shape(shape);
    for (std::size_t i = 0; i < a.size(); ++i)
        a.flat(i) = scale * (static_cast<double>(i % 7) - 3.0);
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    std::string out = "tape_graph-out";
    CLI::App app(
        "Records a small network on a tape and shows what the tape holds: "
        "tape.dump(), tape.bytes() and a Graphviz picture of the graph.",
        "tape_graph");
    app.option_defaults()->always_capture_default();
    app.add_option("--out", out, "where tape.dot (and tape.png, with Graphviz) go");
    if (const auto status = examples::parse_command_line(app, argc, argv)) return *status;

    // A batch of 8 examples with 3 features, and a 3 -> 4 -> 1 network:
    //     loss = mean((tanh(x W1ᵀ + b1) W2ᵀ + b2 − y)²)
    const Tensor x(ramp({8, 3}, 0.25)), y(ramp({8, 1}, 0.1));
    Tensor w1 = tg::parameter(ramp({4, 3}, 0.2)), b1 = tg::parameter(ramp({4}, 0.05));
    Tensor w2 = tg::parameter(ramp({1, 4}, 0.3)), b2 = tg::parameter(ramp({1}, 0.1));

    tg::Tape tape;
    Tensor hidden = tg::linear(x, w1, b1).tanh();
    Tensor pred = tg::linear(hidden, w2, b2);
    Tensor loss = (pred - y).square().mean();

    // One entry per recorded op, in recording order (already a topological order).
    std::printf("%s", tape.dump().c_str());
    std::printf("tape.size() = %zu entries, tape.bytes() = %zu bytes saved for backward\n",
                tape.size(), tape.bytes());

    if (!examples::make_output_dir(out)) return 1;
    const std::filesystem::path dot_file = std::filesystem::path(out) / "tape.dot";
    if (!examples::write_text(dot_file, tape.to_dot())) return 1;
    std::printf("wrote %s\n", dot_file.string().c_str());
    if (examples::program_available("dot")) {
        const std::filesystem::path png = std::filesystem::path(out) / "tape.png";
        if (examples::run_command("dot -Tpng " + examples::shell_quote(dot_file.string()) + " -o " +
                                  examples::shell_quote(png.string())))
            std::printf("wrote %s\n", png.string().c_str());
        else
            std::fprintf(stderr, "dot failed on %s\n", dot_file.string().c_str());
    } else {
        std::printf(
            "Graphviz is not installed (apt-get install graphviz): render it with "
            "`dot -Tpng tape.dot -o tape.png`\n");
    }

    // The sweep fills grad() of the parameters and releases the entries (their pools stay).
    loss.backward();  // on the tape that recorded it
    std::printf("after backward: %zu entries, %zu bytes; d loss / d b2 = %.6f\n", tape.size(),
                tape.bytes(), b2.grad().value()(0));

    // Inside a NoGradGuard nothing is recorded, even with the tape alive: inference is free.
    {
        tg::NoGradGuard no_grad;
        Tensor again = tg::linear(tg::linear(x, w1, b1).tanh(), w2, b2);
        std::printf("a forward pass under NoGradGuard (output %s) recorded %zu entries\n",
                    tg::shape_str(again.shape()).c_str(), tape.size());
    }
    return 0;
}
