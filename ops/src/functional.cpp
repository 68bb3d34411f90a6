#include <tapegrad/check.hpp>
#include <tapegrad/functional.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/reduce.hpp>
#include <tapegrad/tape.hpp>

#include <xtensor/xbuilder.hpp>

namespace tg {
namespace {

template <class T>
Tensor<T> leaf_copy(const Tensor<T>& x, const char* who) {
    TG_CHECK(x.defined(), ValueError, who, ": the input is undefined");
    return Tensor<T>(Array<T>(x.value()), true);
}

template <class T>
void check_same_shape(const char* who, const char* what, const Tensor<T>& v, const Shape& expected,
                      const char* of) {
    TG_CHECK(v.defined(), ValueError, who, ": the ", what, " is undefined");
    TG_CHECK(v.shape() == expected, ShapeError, who, ": ", what, " of shape ", v.shape(),
             " does not match the shape ", expected, " of ", of, "; pass one of that shape");
}

template <class T>
Tensor<T> evaluate(const Function<T>& f, const Tensor<T>& x, const char* who) {
    Tensor<T> y = f(x);
    TG_CHECK(y.defined(), ValueError, who, ": the function returned an undefined tensor");
    return y;
}

BackwardOptions keep(bool create_graph) {
    BackwardOptions o;
    o.retain_graph = true;
    o.create_graph = create_graph;
    return o;
}

/// A one-hot tensor of `shape` with a 1 at flat index i.
template <class T>
Tensor<T> one_hot(const Shape& shape, std::size_t i) {
    Array<T> e = xt::zeros<T>(shape);
    e.data()[i] = T(1);
    return Tensor<T>(std::move(e));
}

/// Stacks gradients (each of shape `inner`) into one tensor of shape outer + inner.
template <class T>
Tensor<T> stack_rows(const std::vector<Tensor<T>>& parts, const Shape& outer, const Shape& inner) {
    Shape shape = outer;
    shape.insert(shape.end(), inner.begin(), inner.end());
    Array<T> out = Array<T>::from_shape(shape);
    std::size_t width = 1;
    for (std::size_t d : inner) width *= d;
    for (std::size_t r = 0; r < parts.size(); ++r)
        std::copy_n(parts[r].value().data(), width, out.data() + r * width);
    return Tensor<T>(std::move(out));
}

/// A ShapeError naming `who` unless y holds one element.
template <class T>
void check_scalar(const Tensor<T>& y, const char* who) {
    TG_CHECK(y.size() == 1, ShapeError, who, ": the function returned shape ", y.shape(),
             "; a gradient needs a scalar (one-element) function: reduce it, e.g. with tg::sum, "
             "or use vjp or jacobian");
}

}  // namespace

template <class T>
std::pair<Tensor<T>, Tensor<T>> vjp(const Function<T>& f, const Tensor<T>& x, const Tensor<T>& v) {
    Tape tape;
    Tensor<T> xp = leaf_copy(x, "vjp");
    Tensor<T> y = evaluate(f, xp, "vjp");
    check_same_shape("vjp", "cotangent v", v, y.shape(), "the function's output");
    if (!y.requires_grad())
        return {y.detach(), Tensor<T>(Array<T>(xt::zeros<T>(x.value().shape())))};
    Tensor<T> g = tape.gradient(y, {xp}, v)[0];
    return {y.detach(), g};
}

template <class T>
std::pair<Tensor<T>, Tensor<T>> jvp(const Function<T>& f, const Tensor<T>& x, const Tensor<T>& t) {
    check_same_shape("jvp", "tangent", t, x.defined() ? x.shape() : Shape{}, "the input");
    Tape tape;
    Tensor<T> xp = leaf_copy(x, "jvp");
    Tensor<T> y = evaluate(f, xp, "jvp");
    if (!y.requires_grad())
        return {y.detach(), Tensor<T>(Array<T>(xt::zeros<T>(y.value().shape())))};
    // g(u) = Jᵀ u is recorded (create_graph) as a function of the dummy cotangent u.
    Tensor<T> u(Array<T>(xt::zeros<T>(y.value().shape())), true);
    Tensor<T> g = tape.gradient(y, {xp}, u, keep(true))[0];
    Tensor<T> inner = sum(g * t);
    if (!inner.requires_grad())
        return {y.detach(), Tensor<T>(Array<T>(xt::zeros<T>(y.value().shape())))};
    return {y.detach(), tape.gradient(inner, {u})[0]};
}

template <class T>
Tensor<T> jacobian(const Function<T>& f, const Tensor<T>& x) {
    Tape tape;
    Tensor<T> xp = leaf_copy(x, "jacobian");
    Tensor<T> y = evaluate(f, xp, "jacobian");
    std::vector<Tensor<T>> rows;
    for (std::size_t i = 0; i < y.size(); ++i)
        rows.push_back(y.requires_grad()
                           ? tape.gradient(y, {xp}, one_hot<T>(y.shape(), i), keep(false))[0]
                           : Tensor<T>(Array<T>(xt::zeros<T>(x.value().shape()))));
    return stack_rows(rows, y.shape(), x.shape());
}

template <class T>
Tensor<T> hessian(const Function<T>& f, const Tensor<T>& x) {
    Tape tape;
    Tensor<T> xp = leaf_copy(x, "hessian");
    Tensor<T> y = evaluate(f, xp, "hessian");
    TG_CHECK(y.size() == 1, ShapeError, "hessian: the function returned shape ", y.shape(),
             "; a Hessian needs a scalar (one-element) function: reduce it, e.g. with tg::sum, "
             "or use jacobian");
    std::vector<Tensor<T>> rows;
    const Tensor<T> zeros(Array<T>(xt::zeros<T>(x.value().shape())));
    Tensor<T> g = y.requires_grad() ? tape.gradient(y, {xp}, keep(true))[0] : zeros;
    for (std::size_t i = 0; i < x.size(); ++i)
        rows.push_back(g.requires_grad()
                           ? tape.gradient(g, {xp}, one_hot<T>(x.shape(), i), keep(false))[0]
                           : zeros);
    return stack_rows(rows, x.shape(), x.shape());
}

template <class T>
Tensor<T> hvp(const Function<T>& f, const Tensor<T>& x, const Tensor<T>& v) {
    check_same_shape("hvp", "vector v", v, x.defined() ? x.shape() : Shape{}, "the input");
    Tape tape;
    Tensor<T> xp = leaf_copy(x, "hvp");
    Tensor<T> y = evaluate(f, xp, "hvp");
    TG_CHECK(y.size() == 1, ShapeError, "hvp: the function returned shape ", y.shape(),
             "; a Hessian-vector product needs a scalar (one-element) function");
    const Tensor<T> zeros(Array<T>(xt::zeros<T>(x.value().shape())));
    if (!y.requires_grad()) return zeros;
    Tensor<T> g = tape.gradient(y, {xp}, keep(true))[0];
    Tensor<T> inner = sum(g * v);
    return inner.requires_grad() ? tape.gradient(inner, {xp})[0] : zeros;
}

template <class T>
Tensor<T> grad(const Function<T>& f, const Tensor<T>& x) {
    Tape tape;
    Tensor<T> xp = leaf_copy(x, "grad");
    Tensor<T> y = evaluate(f, xp, "grad");
    check_scalar(y, "grad");
    if (!y.requires_grad()) return Tensor<T>(Array<T>(xt::zeros<T>(x.value().shape())));
    return tape.gradient(y, {xp})[0];
}

template <class T>
std::pair<Tensor<T>, std::vector<Tensor<T>>> value_and_grad(
    const detail::NoDeduce<ListFunction<T>>& f, const std::vector<Tensor<T>>& xs) {
    Tape tape;
    std::vector<Tensor<T>> leaves;
    for (const Tensor<T>& x : xs) leaves.push_back(leaf_copy(x, "value_and_grad"));
    Tensor<T> y = f(leaves);
    TG_CHECK(y.defined(), ValueError, "value_and_grad: the function returned an undefined tensor");
    check_scalar(y, "value_and_grad");
    if (!y.requires_grad()) {
        std::vector<Tensor<T>> zeros;
        for (const Tensor<T>& x : xs) zeros.emplace_back(Array<T>(xt::zeros<T>(x.value().shape())));
        return {y.detach(), zeros};
    }
    return {y.detach(), tape.gradient(y, leaves)};
}

#define TG_INSTANTIATE(T)                                                                 \
    template std::pair<Tensor<T>, Tensor<T>> vjp<T>(const Function<T>&, const Tensor<T>&, \
                                                    const Tensor<T>&);                    \
    template std::pair<Tensor<T>, Tensor<T>> jvp<T>(const Function<T>&, const Tensor<T>&, \
                                                    const Tensor<T>&);                    \
    template Tensor<T> jacobian<T>(const Function<T>&, const Tensor<T>&);                 \
    template Tensor<T> hessian<T>(const Function<T>&, const Tensor<T>&);                  \
    template Tensor<T> hvp<T>(const Function<T>&, const Tensor<T>&, const Tensor<T>&);    \
    template Tensor<T> grad<T>(const Function<T>&, const Tensor<T>&);                     \
    template std::pair<Tensor<T>, std::vector<Tensor<T>>> value_and_grad<T>(              \
        const detail::NoDeduce<ListFunction<T>>&, const std::vector<Tensor<T>>&);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
