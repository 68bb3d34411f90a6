#include <tapegrad/check.hpp>
#include <tapegrad/nn/conv.hpp>
#include <tapegrad/nn/init.hpp>
#include <tapegrad/nn/repr.hpp>
#include <tapegrad/ops/conv.hpp>

#include <cmath>
#include <string>

namespace tg::nn {
namespace {

/// Registers "weight" of `shape` and, when wanted, "bias" (shape[0] or `bias_size`
/// values), both U(−1/√fan_in, 1/√fan_in) from *rng (PyTorch's rule; weight first, as
/// PyTorch draws them), or zeros when rng is null (reset()).
template <class T, class Register>
void make_conv_parameters(const Shape& shape, std::size_t fan_in, std::size_t bias_size, bool bias,
                          Rng* rng, Tensor<T>& weight, Tensor<T>& b, Register reg) {
    const double k = 1.0 / std::sqrt(static_cast<double>(fan_in));
    auto draw = [&](const Shape& s) {
        return Tensor<T>(rng ? uniform<T>(s, -k, k, *rng) : Array<T>(s, T(0)), true);
    };
    weight = reg("weight", draw(shape));
    b = bias ? reg("bias", draw({bias_size})) : Tensor<T>();
}

/// tg::ShapeError unless x has rank `rank` and `channels` channels on axis 1.
template <class T>
void check_channels(const Module<T>& layer, const Tensor<T>& x, std::size_t rank,
                    std::size_t channels) {
    TG_CHECK(x.dim() == rank && x.shape()[1] == channels, ShapeError, layer.describe(),
             " expects input (N, ", channels, (rank == 3 ? ", L" : ", H, W"), "); got ",
             x.value().shape());
}

/// "Conv2d(3, 16, k=3, stride=2, ...)": the arguments that differ from the defaults.
std::string conv_name(const char* kind, std::size_t in, std::size_t out, Size2 k,
                      const ConvOptions& o, bool transpose) {
    std::string s = std::string(kind) + "(" + std::to_string(in) + ", " + std::to_string(out) +
                    ", k=" + to_string(k);
    if (o.stride.h != 1 || o.stride.w != 1) s += ", stride=" + to_string(o.stride);
    if (!o.padding.mode.empty()) s += ", padding=" + o.padding.mode;
    if (o.padding.size.h || o.padding.size.w) s += ", padding=" + to_string(o.padding.size);
    if (o.dilation.h != 1 || o.dilation.w != 1) s += ", dilation=" + to_string(o.dilation);
    if (transpose && (o.output_padding.h || o.output_padding.w))
        s += ", output_padding=" + to_string(o.output_padding);
    if (o.groups != 1) s += ", groups=" + std::to_string(o.groups);
    if (!o.bias) s += ", bias=" + repr(false);
    if (o.padding_mode != PaddingMode::zeros) s += ", padding_mode=" + to_string(o.padding_mode);
    return s + ")";
}

void check_config(const std::string& layer, std::size_t in, std::size_t out, Size2 k,
                  const ConvOptions& o) {
    TG_CHECK(in > 0 && out > 0 && k.h > 0 && k.w > 0 && o.groups > 0 && in % o.groups == 0 &&
                 out % o.groups == 0,
             ValueError, layer,
             ": channels and kernel sizes must be at least 1, and both channel counts divisible "
             "by groups");
    const std::string& mode = o.padding.mode;
    TG_CHECK(mode.empty() || mode == "same" || mode == "valid", ValueError, layer,
             ": padding must be sizes, \"same\" or \"valid\", got \"", mode, "\"");
    TG_CHECK(mode != "same" || (o.stride.h == 1 && o.stride.w == 1), ValueError, layer,
             ": padding=\"same\" needs stride 1 (as in PyTorch); give the padding as sizes");
}

/// ConvTranspose2d takes neither a padding string nor a padding_mode, as in PyTorch.
void check_transpose_config(const std::string& layer, const ConvOptions& o) {
    TG_CHECK(o.padding.mode.empty(), ValueError, layer, ": padding=\"", o.padding.mode,
             "\" is not offered for a transposed convolution (nor by PyTorch); give sizes");
    TG_CHECK(o.padding_mode == PaddingMode::zeros, ValueError, layer, ": padding_mode=\"",
             to_string(o.padding_mode),
             "\": a transposed convolution pads with zeros only (as in PyTorch)");
}

}  // namespace

// ---- Conv2d ----------------------------------------------------------------------------

template <class T>
Conv2d<T>::Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size, Rng& rng,
                  ConvOptions options)
    : in_(in_channels), out_(out_channels), kernel_(kernel_size), options_(options) {
    check_config(describe(), in_, out_, kernel_, options_);
    build(&rng);
}

template <class T>
Conv2d<T>::Conv2d(std::size_t in_channels, std::size_t out_channels, Size2 kernel_size,
                  ConvOptions options)
    : Conv2d(in_channels, out_channels, kernel_size, default_rng(), options) {}

template <class T>
void Conv2d<T>::build(Rng* rng) {
    const std::size_t per_group = in_ / options_.groups;
    make_conv_parameters<T>({out_, per_group, kernel_.h, kernel_.w},
                            per_group * kernel_.h * kernel_.w, out_, options_.bias, rng, weight_,
                            bias_, [this](const std::string& n, Tensor<T> t) {
                                return this->register_parameter(n, std::move(t));
                            });
}

template <class T>
void Conv2d<T>::reset() {
    build(nullptr);
}

template <class T>
Tensor<T> Conv2d<T>::forward(const Tensor<T>& x) {
    check_channels(*this, x, 4, in_);
    return conv2d(x, weight_, bias_, options_.stride, options_.padding, options_.dilation,
                  options_.groups, options_.padding_mode);
}

template <class T>
std::string Conv2d<T>::describe() const {
    return conv_name("Conv2d", in_, out_, kernel_, options_, false);
}

// ---- Conv1d ----------------------------------------------------------------------------

template <class T>
Conv1d<T>::Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size,
                  Rng& rng, ConvOptions options)
    : in_(in_channels), out_(out_channels), kernel_(kernel_size), options_(options) {
    check_config(describe(), in_, out_, Size2(kernel_), options_);
    build(&rng);
}

template <class T>
Conv1d<T>::Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size,
                  ConvOptions options)
    : Conv1d(in_channels, out_channels, kernel_size, default_rng(), options) {}

template <class T>
void Conv1d<T>::build(Rng* rng) {
    const std::size_t per_group = in_ / options_.groups;
    make_conv_parameters<T>({out_, per_group, kernel_}, per_group * kernel_, out_, options_.bias,
                            rng, weight_, bias_, [this](const std::string& n, Tensor<T> t) {
                                return this->register_parameter(n, std::move(t));
                            });
}

template <class T>
void Conv1d<T>::reset() {
    build(nullptr);
}

template <class T>
Tensor<T> Conv1d<T>::forward(const Tensor<T>& x) {
    check_channels(*this, x, 3, in_);
    return conv1d(x, weight_, bias_, options_.stride.w, options_.padding, options_.dilation.w,
                  options_.groups, options_.padding_mode);
}

template <class T>
std::string Conv1d<T>::describe() const {
    return conv_name("Conv1d", in_, out_, Size2(kernel_), options_, false);
}

// ---- ConvTranspose2d -------------------------------------------------------------------

template <class T>
ConvTranspose2d<T>::ConvTranspose2d(std::size_t in_channels, std::size_t out_channels,
                                    Size2 kernel_size, Rng& rng, ConvOptions options)
    : in_(in_channels), out_(out_channels), kernel_(kernel_size), options_(options) {
    check_config(describe(), in_, out_, kernel_, options_);
    check_transpose_config(describe(), options_);
    build(&rng);
}

template <class T>
ConvTranspose2d<T>::ConvTranspose2d(std::size_t in_channels, std::size_t out_channels,
                                    Size2 kernel_size, ConvOptions options)
    : ConvTranspose2d(in_channels, out_channels, kernel_size, default_rng(), options) {}

template <class T>
void ConvTranspose2d<T>::build(Rng* rng) {
    // PyTorch's fan_in of a (in, out / groups, kH, kW) weight: its axis 1 times the kernel.
    const std::size_t per_group = out_ / options_.groups;
    make_conv_parameters<T>({in_, per_group, kernel_.h, kernel_.w},
                            per_group * kernel_.h * kernel_.w, out_, options_.bias, rng, weight_,
                            bias_, [this](const std::string& n, Tensor<T> t) {
                                return this->register_parameter(n, std::move(t));
                            });
}

template <class T>
void ConvTranspose2d<T>::reset() {
    build(nullptr);
}

template <class T>
Tensor<T> ConvTranspose2d<T>::forward(const Tensor<T>& x) {
    check_channels(*this, x, 4, in_);
    return conv_transpose2d(x, weight_, bias_, options_.stride, options_.padding.size,
                            options_.output_padding, options_.groups, options_.dilation);
}

template <class T>
std::string ConvTranspose2d<T>::describe() const {
    return conv_name("ConvTranspose2d", in_, out_, kernel_, options_, true);
}

template class Conv2d<float>;
template class Conv2d<double>;
template class Conv1d<float>;
template class Conv1d<double>;
template class ConvTranspose2d<float>;
template class ConvTranspose2d<double>;

}  // namespace tg::nn
