#include <tapegrad/check.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/loss.hpp>
#include <tapegrad/record.hpp>

#include "kernels.hpp"

namespace tg {
namespace detail {

/// L = scale · Σ (p − t)²;   dL/dp = 2 · scale · (p − t) · g,   dL/dt = −dL/dp.
/// grad_pred runs on T (g the 0-d gradient's value) for the fused loop and on Tensor<T>
/// (g 0-d, broadcast) when the sweep records.
template <class T>
struct ScaledSquaredError {
    T scale;
    template <class G, class V>
    auto grad_pred(const G& g, const V& p, const V& t) const {
        return (p - t) * (g * (T(2) * scale));
    }
};

}  // namespace detail

template <class T>
Tensor<T> scaled_squared_error(const Tensor<T>& pred, const Tensor<T>& target,
                               detail::scalar_t<T> scale, const char* name) {
    TG_CHECK(pred.shape() == target.shape(), ShapeError, name, ": prediction of shape ",
             pred.shape(), " and target of shape ", target.shape(), " differ");
    const T* p = pred.value().data();
    const T* t = target.value().data();
    T total = 0;
    for (std::size_t i = 0, n = pred.size(); i < n; ++i) total += (p[i] - t[i]) * (p[i] - t[i]);
    Tensor<T> loss(scale * total);
    const detail::ScaledSquaredError<T> def{scale};
    record(name, {pred, target}, loss, {pred, target}, [def](BackwardContext<T>& c) {
        const Tensor<T>& p = c.saved(0);
        const Tensor<T>& t = c.saved(1);
        Tensor<T> dpred;
        if (c.create_graph()) {
            dpred = def.grad_pred(c.grad(), p, t);
        } else {
            const T g = c.grad().item();
            dpred = detail::map_into(Tensor<T>::uninitialized(p.value().shape()), p, t,
                                     [&](T u, T v) { return def.grad_pred(g, u, v); });
        }
        if (c.needs(0)) c.add(0, dpred);
        if (c.needs(1)) c.add(1, neg(dpred));
    });
    return loss;
}

#define TG_INSTANTIATE(T)                                                                     \
    template Tensor<T> scaled_squared_error(const Tensor<T>&, const Tensor<T>&,               \
                                            detail::scalar_t<T>, const char*);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)

}  // namespace tg
