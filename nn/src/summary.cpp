#include <tapegrad/grad_mode.hpp>
#include <tapegrad/nn/detail/forward_observer.hpp>
#include <tapegrad/nn/summary.hpp>
#include <tapegrad/ops/factory.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace tg::nn {
namespace {

/// 1409 -> "1,409" (torchinfo's thousands separators).
std::string with_commas(std::size_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

/// (2, 3) -> "[2, 3]", as torchinfo prints a size.
std::string bracketed(const Shape& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

/// The number of values of the module's own parameters (those without a dot: not a
/// submodule's).
template <class T>
std::size_t own_parameters(const Module<T>& m) {
    std::size_t n = 0;
    for (const auto& [name, p] : m.named_parameters())
        if (name.find('.') == std::string::npos) n += p.size();
    return n;
}

struct Row {
    std::string layer, output, params;
};

/// One row per module, preorder; `index` is torchinfo's running index per depth.
template <class T>
void collect_rows(const Module<T>& m, const std::string& name, std::size_t depth,
                  std::vector<std::size_t>& index, const std::map<const Module<T>*, Shape>& outputs,
                  std::vector<Row>& rows) {
    std::string layer;
    if (depth == 0) {
        layer = m.class_name() + " (" + m.class_name() + ")";  // torchinfo's root row
    } else {
        if (index.size() < depth) index.resize(depth, 0);
        ++index[depth - 1];
        // torchinfo's tree: "├─" at depth 1, "│    " per level above and "└─" below it.
        for (std::size_t d = 1; d < depth; ++d) layer += "│    ";
        layer += depth == 1 ? "├─" : "└─";
        layer += m.class_name() + " (" + name + "): " + std::to_string(depth) + "-" +
                 std::to_string(index[depth - 1]);
    }
    const auto out = outputs.find(&m);
    const std::size_t own = own_parameters(m);
    rows.push_back({layer, out == outputs.end() ? "--" : bracketed(out->second),
                    own ? with_commas(own) : "--"});
    for (const auto& [child_name, child] : m.children())
        collect_rows(*child, child_name, depth + 1, index, outputs, rows);
}

/// Characters as a terminal counts them: the tree's box-drawing characters are one
/// column each but three bytes in UTF-8.
std::size_t columns(const std::string& s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

template <class T>
std::string table(const Module<T>& model, const std::map<const Module<T>*, Shape>& outputs) {
    std::vector<Row> rows;
    std::vector<std::size_t> index;
    collect_rows(model, "", 0, index, outputs, rows);
    // torchinfo's FormattingOptions.format_row: each cell left-aligned in its width (the
    // layer 40, the others 25; a longer one runs over), a blank after each, trailing blanks
    // stripped; the rules are 40 + 2 · 25 wide.
    const std::size_t layer_w = 40, column_w = 25;
    const std::string rule(layer_w + 2 * column_w, '=');
    const auto cell = [](const std::string& s, std::size_t width) {
        return s + std::string(width > columns(s) ? width - columns(s) : 0, ' ') + " ";
    };
    const auto line = [&](const std::string& a, const std::string& b, const std::string& c) {
        std::string row = cell(a, layer_w) + cell(b, column_w) + c;
        return row + "\n";
    };
    std::string s = rule + "\n" +
                    line("Layer (type (var_name):depth-idx)", "Output Shape", "Param #") + rule +
                    "\n";
    for (const Row& r : rows) s += line(r.layer, r.output, r.params);
    const std::size_t total = num_parameters(model), trainable = num_parameters(model, true);
    s += rule + "\n";
    s += "Total params: " + with_commas(total) + "\n";
    s += "Trainable params: " + with_commas(trainable) + "\n";
    s += "Non-trainable params: " + with_commas(total - trainable) + "\n";
    return s + rule + "\n";
}

/// Sets this thread's forward observer and puts every module in eval mode; the
/// destructor restores both, on an exception too.
template <class T>
class SummaryScope {
public:
    SummaryScope(Module<T>& model, detail::ForwardObserver<T>* observer)
        : previous_(detail::forward_observer<T>()) {
        remember(model);
        detail::forward_observer<T>() = observer;
        model.eval();
    }
    ~SummaryScope() {
        detail::forward_observer<T>() = previous_;
        // Preorder: each train() sets a module and its children, and the children's own
        // entries come after.
        for (auto& [m, training] : modes_) m->train(training);
    }
    SummaryScope(const SummaryScope&) = delete;
    SummaryScope& operator=(const SummaryScope&) = delete;

private:
    void remember(Module<T>& m) {
        modes_.emplace_back(&m, m.is_training());
        for (const auto& child : m.children()) remember(*child.second);
    }
    detail::ForwardObserver<T>* previous_;
    std::vector<std::pair<Module<T>*, bool>> modes_;
};

}  // namespace

template <class T>
std::size_t num_parameters(const Module<T>& model, bool trainable_only) {
    std::set<const void*> seen;
    std::size_t n = 0;
    for (const Tensor<T>& p : model.parameters())
        if (seen.insert(p.node().get()).second && (!trainable_only || p.requires_grad()))
            n += p.size();
    return n;
}

template <class T>
std::string summary(Module<T>& model, const Shape& input_shape) {
    std::map<const Module<T>*, Shape> outputs;
    detail::ForwardObserver<T> observe = [&outputs](const Module<T>& m, const Tensor<T>& y) {
        outputs.emplace(&m, y.shape());  // the first call's
    };
    {
        SummaryScope<T> scope(model, &observe);
        NoGradGuard no_grad;
        model(zeros<T>(input_shape));
    }
    return table<T>(model, outputs);
}

template <class T>
std::string summary(const Module<T>& model) {
    return table<T>(model, {});
}

#define TG_NN_SUMMARY_INSTANTIATE(T)                                \
    template std::size_t num_parameters<T>(const Module<T>&, bool); \
    template std::string summary<T>(Module<T>&, const Shape&);      \
    template std::string summary<T>(const Module<T>&);
TG_NN_SUMMARY_INSTANTIATE(float)
TG_NN_SUMMARY_INSTANTIATE(double)

}  // namespace tg::nn
