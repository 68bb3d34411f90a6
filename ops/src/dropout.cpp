#include <tapegrad/detail/uniform01.hpp>
#include <tapegrad/ops/arithmetic.hpp>
#include <tapegrad/ops/dropout.hpp>

#include <sstream>

namespace tg {

template <class T>
Tensor<T> dropout(const Tensor<T>& x, double p, std::mt19937_64& rng, bool training) {
    if (!(p >= 0 && p <= 1)) {
        std::ostringstream got;  // 0.5, not std::to_string's 0.500000
        got << p;
        throw ValueError("dropout: p, the probability of zeroing an element, must be in [0, 1]; "
                         "got " +
                         got.str());
    }
    if (!training || p == 0) return x;
    // The mask: kept elements scaled by 1 / (1 − p); at p = 1 every element is zeroed and
    // nothing is drawn (the scale would be infinite).
    Tensor<T> mask = Tensor<T>::uninitialized(x.value().shape());
    T* m = mask.node()->value.data();
    const double keep = 1 - p;
    const T scale = p < 1 ? static_cast<T>(1 / keep) : T(0);
    for (std::size_t i = 0, n = mask.size(); i < n; ++i)
        m[i] = p < 1 && detail::uniform01(rng) < keep ? scale : T(0);
    return mul(x, mask);
}

template Tensor<float> dropout(const Tensor<float>&, double, std::mt19937_64&, bool);
template Tensor<double> dropout(const Tensor<double>&, double, std::mt19937_64&, bool);

}  // namespace tg
