// LBFGS as PyTorch 1.13's torch/optim/lbfgs.py computes it, in the same order of
// operations (Python's min/max, which keep the first argument on ties and NaN, included),
// so that its iterates are PyTorch's to rounding.

#include <tapegrad/check.hpp>
#include <tapegrad/optim/lbfgs.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>

namespace tg::optim {
namespace {

/// Python's max(a, b) and min(a, b): the first argument unless the second is strictly
/// larger (smaller); NaN comparisons are false, so they too keep the first.
double py_max(double a, double b) { return b > a ? b : a; }
double py_min(double a, double b) { return b < a ? b : a; }

template <class T>
double dot(const std::vector<T>& a, const std::vector<T>& b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
    return sum;
}

/// max |v_i| (NaN when an element is NaN, as torch's max).
template <class T>
double max_abs(const std::vector<T>& v) {
    double m = 0;
    for (const T x : v) {
        const double a = std::fabs(static_cast<double>(x));
        if (std::isnan(a)) return a;
        m = std::max(m, a);
    }
    return m;
}

/// The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, kept
/// in `bounds` (by default [min(x1, x2), max(x1, x2)]); their midpoint when the cubic
/// has no real minimizer:
///     d1 = g1 + g2 − 3 (f1 − f2) / (x1 − x2),  d2 = √(d1² − g1 g2)
///     x  = x2 − (x2 − x1) (g2 + d2 − d1) / (g2 − g1 + 2 d2)   (x1 <= x2; else swapped)
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         const std::array<double, 2>* bounds = nullptr) {
    const double xmin_bound = bounds ? (*bounds)[0] : (x1 <= x2 ? x1 : x2);
    const double xmax_bound = bounds ? (*bounds)[1] : (x1 <= x2 ? x2 : x1);
    const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
    const double d2_square = d1 * d1 - g1 * g2;
    if (!(d2_square >= 0)) return (xmin_bound + xmax_bound) / 2.;
    const double d2 = std::sqrt(d2_square);
    const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return py_min(py_max(min_pos, xmin_bound), xmax_bound);
}

template <class T>
struct Evaluation {
    double loss;
    std::vector<T> grad;
};

template <class T>
struct LineSearchResult {
    double loss;
    std::vector<T> grad;
    double t;
    long evaluations;
};

/// PyTorch's _strong_wolfe (a port of minFunc's): a step t along d from the point x of
/// loss f, gradient g and slope gtd = g·d, satisfying the strong Wolfe conditions
///     f(x + t d) <= f + c1 t gtd   and   |∇f(x + t d)·d| <= −c2 gtd
/// first bracketing them (steps growing by cubic extrapolation, at most 10×), then
/// zooming into the bracket by cubic interpolation; at most max_ls evaluations after the
/// first, and stops when the bracket is shorter than tolerance_change / max |d|.
/// `evaluate(t)` gives the loss and gradient at x + t d.
template <class T, class Evaluate>
LineSearchResult<T> strong_wolfe(const Evaluate& evaluate, double t, const std::vector<T>& d,
                                 double f, const std::vector<T>& g, double gtd,
                                 double tolerance_change, double c1 = 1e-4, double c2 = 0.9,
                                 long max_ls = 25) {
    const double d_norm = max_abs(d);
    Evaluation<T> next = evaluate(t);
    long evaluations = 1;
    double gtd_new = dot(next.grad, d);

    // Bracket an interval holding a point that satisfies the conditions.
    double t_prev = 0, f_prev = f, gtd_prev = gtd;
    std::vector<T> g_prev = g;
    bool done = false;
    long ls_iter = 0;
    std::array<double, 2> bracket{}, bracket_f{}, bracket_gtd{};
    std::array<std::vector<T>, 2> bracket_g;
    const auto bracket_previous_and_new = [&] {
        bracket = {t_prev, t};
        bracket_f = {f_prev, next.loss};
        bracket_g = {g_prev, next.grad};
        bracket_gtd = {gtd_prev, gtd_new};
    };
    while (ls_iter < max_ls) {
        if (next.loss > (f + c1 * t * gtd) || (ls_iter > 1 && next.loss >= f_prev)) {
            bracket_previous_and_new();
            break;
        }
        if (std::fabs(gtd_new) <= -c2 * gtd) {
            // A one-point bracket: bracket_f[0] <= bracket_f[-1] makes it the low point.
            bracket[0] = t;
            bracket_f = {next.loss, next.loss};
            bracket_g[0] = next.grad;
            done = true;
            break;
        }
        if (gtd_new >= 0) {
            bracket_previous_and_new();
            break;
        }
        // Extrapolate, between 1.01 and 10 times the current step.
        const double min_step = t + 0.01 * (t - t_prev);
        const double max_step = t * 10;
        const double tmp = t;
        const std::array<double, 2> bounds{min_step, max_step};
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, next.loss, gtd_new, &bounds);
        t_prev = tmp;
        f_prev = next.loss;
        g_prev = next.grad;
        gtd_prev = gtd_new;
        next = evaluate(t);
        ++evaluations;
        gtd_new = dot(next.grad, d);
        ++ls_iter;
    }
    if (ls_iter == max_ls) {  // no bracket found (its slopes are not needed: no zoom)
        bracket = {0, t};
        bracket_f = {f, next.loss};
        bracket_g = {g, next.grad};
    }

    // Zoom: shrink the bracket until a point satisfies the conditions.
    bool insuf_progress = false;
    std::size_t low_pos = bracket_f[0] <= bracket_f[1] ? 0 : 1;
    std::size_t high_pos = 1 - low_pos;
    while (!done && ls_iter < max_ls) {
        if (std::fabs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                              bracket_gtd[1]);
        // A point within 10 % of the bracket's length from an end is moved to 10 % from it
        // when it is at or past the end, or when the previous point was also that close.
        const double b_max = py_max(bracket[0], bracket[1]);
        const double b_min = py_min(bracket[0], bracket[1]);
        const double eps = 0.1 * (b_max - b_min);
        if (py_min(b_max - t, t - b_min) < eps) {
            if (insuf_progress || t >= b_max || t <= b_min) {
                t = std::fabs(t - b_max) < std::fabs(t - b_min) ? b_max - eps : b_min + eps;
                insuf_progress = false;
            } else {
                insuf_progress = true;
            }
        } else {
            insuf_progress = false;
        }
        next = evaluate(t);
        ++evaluations;
        gtd_new = dot(next.grad, d);
        ++ls_iter;
        if (next.loss > (f + c1 * t * gtd) || next.loss >= bracket_f[low_pos]) {
            // Not sufficiently lower, or not below the low point: the new high point.
            bracket[high_pos] = t;
            bracket_f[high_pos] = next.loss;
            bracket_g[high_pos] = next.grad;
            bracket_gtd[high_pos] = gtd_new;
            low_pos = bracket_f[0] <= bracket_f[1] ? 0 : 1;
            high_pos = 1 - low_pos;
        } else {
            if (std::fabs(gtd_new) <= -c2 * gtd) {
                done = true;
            } else if (gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0) {
                // The old low point becomes the high one.
                bracket[high_pos] = bracket[low_pos];
                bracket_f[high_pos] = bracket_f[low_pos];
                bracket_g[high_pos] = bracket_g[low_pos];
                bracket_gtd[high_pos] = bracket_gtd[low_pos];
            }
            bracket[low_pos] = t;
            bracket_f[low_pos] = next.loss;
            bracket_g[low_pos] = next.grad;
            bracket_gtd[low_pos] = gtd_new;
        }
    }
    return {bracket_f[low_pos], std::move(bracket_g[low_pos]), bracket[low_pos], evaluations};
}

template <class T>
std::vector<ParamGroup<T>> checked(std::vector<ParamGroup<T>> groups, const LBFGSOptions& o) {
    TG_CHECK(groups.size() == 1, ValueError, "LBFGS: got ", groups.size(),
             " parameter groups; LBFGS takes one (as PyTorch's, it has no per-parameter "
             "options): pass all parameters in one list");
    TG_CHECK(!groups[0].parameters.empty(), ValueError,
             "LBFGS: the parameter list is empty; pass module.parameters()");
    TG_CHECK(!groups[0].weight_decay || *groups[0].weight_decay == 0, ValueError,
             "LBFGS: the parameter group has a weight_decay; LBFGS has none (add the "
             "penalty to the loss the closure returns)");
    TG_CHECK(o.max_iter >= 1, ValueError, "LBFGS: max_iter (", o.max_iter, ") must be >= 1");
    TG_CHECK(!o.max_eval || *o.max_eval >= 1, ValueError, "LBFGS: max_eval (",
             o.max_eval.value_or(0), ") must be >= 1");
    TG_CHECK(o.history_size >= 1, ValueError, "LBFGS: history_size (", o.history_size,
             ") must be >= 1");
    detail::check_non_negative(
        "LBFGS", {{"tolerance_grad", o.tolerance_grad}, {"tolerance_change", o.tolerance_change}});
    TG_CHECK(!o.line_search_fn || *o.line_search_fn == "strong_wolfe", ValueError,
             "LBFGS: line_search_fn '", o.line_search_fn.value_or(""),
             "' is not known; pass \"strong_wolfe\", or none (std::nullopt) for a fixed step");
    return groups;
}

/// The entries of global_state() by shape: scalars, flat vectors, histories (and "ro").
const char* const kScalars[] = {"func_evals", "n_iter", "t", "H_diag", "prev_loss"};
const char* const kFlat[] = {"d", "prev_flat_grad"};
const char* const kHistory[] = {"old_dirs", "old_stps"};

template <class Vector>
Array<double> to_array(const Vector& v) {
    Array<double> a(Shape{v.size()});
    std::copy(v.begin(), v.end(), a.data());
    return a;
}

Array<double> scalar_array(double x) {
    Array<double> a(Shape{});
    a() = x;
    return a;
}

template <class T>
std::vector<T> row(const Array<double>& a, std::size_t offset, std::size_t n) {
    std::vector<T> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(a.data()[offset + i]);
    return v;
}

LBFGSOptions filled(LBFGSOptions o) {
    if (!o.max_eval) o.max_eval = o.max_iter * 5 / 4;
    return o;
}

}  // namespace

template <class T>
LBFGS<T>::LBFGS(std::vector<Tensor<T>> parameters, T learning_rate, LBFGSOptions options)
    : LBFGS(std::vector<ParamGroup<T>>{{std::move(parameters)}}, learning_rate,
            std::move(options)) {}

template <class T>
LBFGS<T>::LBFGS(std::vector<ParamGroup<T>> groups, T learning_rate, LBFGSOptions options)
    : Optimizer<T>(checked(std::move(groups), options), learning_rate, 0.0),
      options_(filled(std::move(options))) {}

template <class T>
std::vector<std::pair<std::string, double>> LBFGS<T>::hyper_parameters() const {
    return {{"max_iter", static_cast<double>(options_.max_iter)},
            {"max_eval", static_cast<double>(*options_.max_eval)},
            {"tolerance_grad", options_.tolerance_grad},
            {"tolerance_change", options_.tolerance_change},
            {"history_size", static_cast<double>(options_.history_size)},
            {"line_search_fn", options_.line_search_fn ? 1.0 : 0.0}};
}

template <class T>
std::vector<std::string> LBFGS<T>::global_state_names() const {
    return {"func_evals", "n_iter",         "d",        "t", "old_dirs", "old_stps", "ro",
            "H_diag",     "prev_flat_grad", "prev_loss"};
}

template <class T>
std::vector<std::pair<std::string, Array<double>>> LBFGS<T>::global_state() const {
    const LBFGSState<T>& s = state_;
    std::vector<std::pair<std::string, Array<double>>> out;
    if (s.func_evals == 0) return out;
    out.emplace_back("func_evals", scalar_array(static_cast<double>(s.func_evals)));
    out.emplace_back("n_iter", scalar_array(static_cast<double>(s.n_iter)));
    if (s.n_iter == 0) return out;
    const std::size_t n = s.d.size(), m = s.old_dirs.size();
    Array<double> dirs(Shape{m, n}), stps(Shape{m, n});
    for (std::size_t i = 0; i < m; ++i) {
        std::copy(s.old_dirs[i].begin(), s.old_dirs[i].end(), dirs.data() + i * n);
        std::copy(s.old_stps[i].begin(), s.old_stps[i].end(), stps.data() + i * n);
    }
    out.emplace_back("d", to_array(s.d));
    out.emplace_back("t", scalar_array(s.t));
    out.emplace_back("old_dirs", std::move(dirs));
    out.emplace_back("old_stps", std::move(stps));
    out.emplace_back("ro", to_array(s.ro));
    out.emplace_back("H_diag", scalar_array(s.H_diag));
    out.emplace_back("prev_flat_grad", to_array(s.prev_flat_grad));
    out.emplace_back("prev_loss", scalar_array(s.prev_loss));
    return out;
}

template <class T>
bool LBFGS<T>::global_state_fits(const std::string& name, const Shape& shape) const {
    std::size_t n = 0;
    for (const Tensor<T>& p : this->parameters_) n += p.size();
    const auto history = static_cast<std::size_t>(options_.history_size);
    for (const char* scalar : kScalars)
        if (name == scalar) return shape.empty();
    for (const char* flat : kFlat)
        if (name == flat) return shape == Shape{n};
    for (const char* pairs : kHistory)
        if (name == pairs) return shape.size() == 2 && shape[0] <= history && shape[1] == n;
    return name == "ro" && shape.size() == 1 && shape[0] <= history;
}

template <class T>
void LBFGS<T>::check_global_state(
    const std::vector<std::pair<std::string, Array<double>>>& entries) const {
    (void)state_from(entries);
}

template <class T>
void LBFGS<T>::restore_global_state(
    const std::vector<std::pair<std::string, Array<double>>>& entries) {
    state_ = state_from(entries);
}

template <class T>
LBFGSState<T> LBFGS<T>::state_from(
    const std::vector<std::pair<std::string, Array<double>>>& entries) const {
    if (entries.empty()) return LBFGSState<T>{};
    std::map<std::string, const Array<double>*> by_name;
    for (const auto& [name, value] : entries) by_name[name] = &value;
    const auto count = [&](const char* name) -> std::uint64_t {
        const auto it = by_name.find(name);
        TG_CHECK(it != by_name.end(), ValueError, "LBFGS: the state has no ", name, " (state.0.",
                 name, ")");
        const double x = it->second->data()[0];
        TG_CHECK(x >= 0 && x <= 9007199254740992.0 && x == std::floor(x), ValueError,
                 "LBFGS: state.0.", name, " is not a count (a whole number >= 0)");
        return static_cast<std::uint64_t>(x);
    };
    LBFGSState<T> s;
    s.func_evals = count("func_evals");
    s.n_iter = count("n_iter");
    const std::size_t expected = s.n_iter == 0 ? 2 : global_state_names().size();
    TG_CHECK(by_name.size() == expected, ValueError, "LBFGS: the state holds ", by_name.size(),
             " of its entries; after n_iter = ", s.n_iter, " iterations it has ", expected, " (",
             s.n_iter == 0 ? "func_evals, n_iter"
                           : "func_evals, n_iter, d, t, old_dirs, "
                             "old_stps, ro, H_diag, prev_flat_grad, "
                             "prev_loss",
             ")");
    if (s.n_iter > 0) {
        const Array<double>& dirs = *by_name.at("old_dirs");
        const Array<double>& stps = *by_name.at("old_stps");
        const Array<double>& ro = *by_name.at("ro");
        const std::size_t m = dirs.shape()[0], n = dirs.shape()[1];
        TG_CHECK(stps.shape()[0] == m && ro.size() == m, ValueError,
                 "LBFGS: state.0.old_dirs, state.0.old_stps and state.0.ro hold histories of "
                 "different lengths (",
                 m, ", ", stps.shape()[0], ", ", ro.size(), ")");
        s.d = row<T>(*by_name.at("d"), 0, n);
        s.prev_flat_grad = row<T>(*by_name.at("prev_flat_grad"), 0, n);
        for (std::size_t i = 0; i < m; ++i) {
            s.old_dirs.push_back(row<T>(dirs, i * n, n));
            s.old_stps.push_back(row<T>(stps, i * n, n));
        }
        s.ro.assign(ro.begin(), ro.end());
        s.t = by_name.at("t")->data()[0];
        s.H_diag = by_name.at("H_diag")->data()[0];
        s.prev_loss = by_name.at("prev_loss")->data()[0];
    }
    return s;
}

template <class T>
void LBFGS<T>::step() {
    throw ValueError(
        "LBFGS: step() needs a closure: LBFGS evaluates the loss several times per step; "
        "call step(closure) with a closure that zeroes the gradients, computes the loss, "
        "calls backward and returns the loss");
}

template <class T>
std::vector<T> LBFGS<T>::flat_grad() const {
    std::vector<T> flat;
    for (const Tensor<T>& p : this->parameters_) {
        if (!p.has_grad()) {
            flat.insert(flat.end(), p.size(), T(0));
            continue;
        }
        const Tensor<T> g = p.grad();
        flat.insert(flat.end(), g.value().begin(), g.value().end());
    }
    return flat;
}

template <class T>
std::vector<T> LBFGS<T>::flat_params() const {
    std::vector<T> flat;
    for (const Tensor<T>& p : this->parameters_)
        flat.insert(flat.end(), p.value().begin(), p.value().end());
    return flat;
}

template <class T>
void LBFGS<T>::set_params(const std::vector<T>& x) {
    std::size_t offset = 0;
    for (Tensor<T>& p : this->parameters_) {
        T* v = p.mutable_value().data();
        for (std::size_t i = 0, n = p.size(); i < n; ++i) v[i] = x[offset + i];
        offset += p.size();
    }
}

template <class T>
void LBFGS<T>::add_step(T t, const std::vector<T>& d) {
    std::size_t offset = 0;
    for (Tensor<T>& p : this->parameters_) {
        T* v = p.mutable_value().data();
        for (std::size_t i = 0, n = p.size(); i < n; ++i) v[i] += t * d[offset + i];
        offset += p.size();
    }
}

template <class T>
Tensor<T> LBFGS<T>::evaluate(const Closure& closure, std::vector<T>& grad) const {
    Tensor<T> loss = closure();
    TG_CHECK(loss.defined(), ValueError,
             "LBFGS: step(closure): the closure returned an undefined tensor; it must return "
             "the loss (a one-element tensor) after calling backward on it");
    TG_CHECK(loss.size() == 1, ValueError,
             "LBFGS: step(closure): the closure returned a tensor of shape ", loss.shape(),
             "; it must return the loss, a one-element tensor (reduce it with tg::sum or "
             "tg::mean)");
    bool any_grad = false;
    for (const Tensor<T>& p : this->parameters_) any_grad = any_grad || p.has_grad();
    TG_CHECK(any_grad, ValueError,
             "LBFGS: step(closure): no parameter has a gradient after the closure ran; the "
             "closure must call backward on the loss (tape.backward(loss)) before returning "
             "it");
    grad = flat_grad();
    return loss;
}

template <class T>
Tensor<T> LBFGS<T>::step(const Closure& closure) {
    TG_CHECK(static_cast<bool>(closure), ValueError,
             "LBFGS: step(closure): the closure is empty; pass one that zeroes the gradients, "
             "computes the loss, calls backward and returns the loss");
    const LBFGSOptions& o = options_;
    const double lr = this->groups_.front().learning_rate;
    const auto history_size = static_cast<std::size_t>(o.history_size);
    LBFGSState<T>& s = state_;

    std::vector<T> g;
    const Tensor<T> orig_loss = evaluate(closure, g);
    double loss = static_cast<double>(orig_loss.item());
    long current_evals = 1;
    ++s.func_evals;
    bool opt_cond = max_abs(g) <= o.tolerance_grad;
    if (opt_cond) return orig_loss;

    long n_iter = 0;
    while (n_iter < o.max_iter) {
        ++n_iter;
        ++s.n_iter;

        // The direction d.
        if (s.n_iter == 1) {
            s.d.resize(g.size());
            for (std::size_t i = 0; i < g.size(); ++i) s.d[i] = -g[i];
            s.old_dirs.clear();
            s.old_stps.clear();
            s.ro.clear();
            s.H_diag = 1;
        } else {
            std::vector<T> y(g.size()), step(g.size());
            for (std::size_t i = 0; i < g.size(); ++i) {
                y[i] = g[i] - s.prev_flat_grad[i];
                step[i] = static_cast<T>(s.d[i] * static_cast<T>(s.t));
            }
            const double ys = dot(y, step);
            if (ys > 1e-10) {  // keep the pair only where the curvature is positive
                if (s.old_dirs.size() == history_size) {
                    s.old_dirs.erase(s.old_dirs.begin());
                    s.old_stps.erase(s.old_stps.begin());
                    s.ro.erase(s.ro.begin());
                }
                s.H_diag = ys / dot(y, y);
                s.old_dirs.push_back(std::move(y));
                s.old_stps.push_back(std::move(step));
                s.ro.push_back(1. / ys);
            }
            // The two-loop recursion: d = −H g.
            const std::size_t num_old = s.old_dirs.size();
            std::vector<double> al(num_old);
            std::vector<T> q(g.size());
            for (std::size_t i = 0; i < g.size(); ++i) q[i] = -g[i];
            for (std::size_t i = num_old; i-- > 0;) {
                al[i] = dot(s.old_stps[i], q) * s.ro[i];
                const T a = static_cast<T>(-al[i]);
                for (std::size_t j = 0; j < q.size(); ++j) q[j] += a * s.old_dirs[i][j];
            }
            const T h = static_cast<T>(s.H_diag);
            for (T& v : q) v *= h;
            for (std::size_t i = 0; i < num_old; ++i) {
                const double be_i = dot(s.old_dirs[i], q) * s.ro[i];
                const T a = static_cast<T>(al[i] - be_i);
                for (std::size_t j = 0; j < q.size(); ++j) q[j] += a * s.old_stps[i][j];
            }
            s.d = std::move(q);
        }
        s.prev_flat_grad = g;
        s.prev_loss = loss;

        // The step length.
        if (s.n_iter == 1) {
            double abs_sum = 0;
            for (const T v : g) abs_sum += std::fabs(static_cast<double>(v));
            s.t = py_min(1., 1. / abs_sum) * lr;
        } else {
            s.t = lr;
        }
        const double gtd = dot(g, s.d);
        if (gtd > -o.tolerance_change) break;  // not a descent direction

        long ls_func_evals = 0;
        if (o.line_search_fn) {
            const std::vector<T> x_init = flat_params();
            const auto at = [&](double t) {
                add_step(static_cast<T>(t), s.d);
                Evaluation<T> e;
                e.loss = static_cast<double>(evaluate(closure, e.grad).item());
                set_params(x_init);
                return e;
            };
            LineSearchResult<T> found =
                strong_wolfe(at, s.t, s.d, loss, g, gtd, o.tolerance_change);
            loss = found.loss;
            g = std::move(found.grad);
            s.t = found.t;
            ls_func_evals = found.evaluations;
            add_step(static_cast<T>(s.t), s.d);
            opt_cond = max_abs(g) <= o.tolerance_grad;
        } else {
            add_step(static_cast<T>(s.t), s.d);
            // The last iteration does not evaluate: its loss would not be used.
            if (n_iter != o.max_iter) {
                loss = static_cast<double>(evaluate(closure, g).item());
                opt_cond = max_abs(g) <= o.tolerance_grad;
                ls_func_evals = 1;
            }
        }
        current_evals += ls_func_evals;
        s.func_evals += static_cast<std::uint64_t>(ls_func_evals);

        if (n_iter == o.max_iter) break;
        if (current_evals >= *o.max_eval) break;
        if (opt_cond) break;
        // Lack of progress: max |t d| or the change of the loss below tolerance_change.
        std::vector<T> moved(s.d.size());
        for (std::size_t i = 0; i < moved.size(); ++i) moved[i] = s.d[i] * static_cast<T>(s.t);
        if (max_abs(moved) <= o.tolerance_change) break;
        if (std::fabs(loss - s.prev_loss) < o.tolerance_change) break;
    }
    return orig_loss;
}

template class LBFGS<float>;
template class LBFGS<double>;

}  // namespace tg::optim
