#!/usr/bin/env python3
"""Writes args_reference.txt: PyTorch 1.13's values and gradients for the arguments of
issue 24 item 5 that tapegrad takes as PyTorch names them (convolution padding="same" /
"valid" and padding_mode, pooling ceil_mode / divisor_override / return_indices with
max_unpool2d, cross_entropy with class-probability targets, maximize and dampening on the
optimizers, norm over axes with keepdim, gelu(approximate="tanh")). Read by
tests/ops/pytorch_args_test.cpp, tests/nn/pytorch_args_test.cpp and
tests/optim/pytorch_args_test.cpp, each checking the cases whose name starts with its
folder ("ops.", "nn.", "optim."), to 1e-12 (optimizer iterates 1e-13).

Needs Debian's python3-torch; run from this folder with /usr/bin/python3. The C++ tests
read only the text file.

Format (tests/reference_data.hpp), one case per call:

    case NAME
    INPUT ...     the inputs, by the names the C++ test passes them on
    cotangent     c: the gradients are those of sum(c * f(inputs))
    value         f(inputs) (and value_indices where the op returns indices too)
    grad_INPUT    d sum(c * f) / d INPUT, for each input that is differentiated
    end

An optimizer case lists the parameter after each step instead (`param_K`, K = 1, 2, ...).
Numbers are Python's repr of a double, which reads back exactly.
"""
import torch
import torch.nn.functional as F

torch.manual_seed(20261207)
D = torch.float64


def rand(*shape, lo=-1.0, hi=1.0):
    return torch.rand(*shape, dtype=D) * (hi - lo) + lo


def line(name, t):
    t = t.detach().to(D).contiguous()
    dims = " ".join(str(d) for d in t.shape)
    values = " ".join(repr(float(v)) for v in t.flatten().tolist())
    return " ".join(w for w in (name, str(t.dim()), dims, values) if w)


def cotangent(shape):
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(0.5, 1.5, n, dtype=D).reshape(shape)


OUT = []


def case(name, inputs, f, constants=()):
    """inputs: name -> tensor, in the order f takes them; those named in `constants` are
    not differentiated. f returns the value, or (value, indices)."""
    names = list(inputs)
    leaves = [inputs[n].clone().requires_grad_(n not in constants) for n in names]
    result = f(*leaves)
    y, extra = (result if isinstance(result, tuple) else (result, None))
    c = cotangent(y.shape)
    wanted = [leaf for n, leaf in zip(names, leaves) if n not in constants]
    grads = torch.autograd.grad((y * c).sum(), wanted) if wanted else []
    OUT.append("case " + name)
    for n in names:
        OUT.append(line(n, inputs[n]))
    OUT.append(line("cotangent", c))
    OUT.append(line("value", y))
    if extra is not None:
        OUT.append(line("value_indices", extra))
    for n, g in zip([n for n in names if n not in constants], grads):
        OUT.append(line("grad_" + n, g))
    OUT.append("end")


# ---- a. convolution: padding="same" / "valid", padding_mode -----------------------------

def conv_layer(cls, x, w, b, **kw):
    """The PyTorch layer itself (its padding_mode path is F.pad then conv), with w and b."""
    layer = cls(w.shape[1] * kw.get("groups", 1), w.shape[0], tuple(w.shape[2:]), dtype=D,
                bias=b is not None, **kw)
    return layer._conv_forward(x, w, b)


case("ops.conv2d_same_even_kernel", {"x": rand(2, 2, 5, 6), "weight": rand(3, 2, 2, 4),
                                     "bias": rand(3)},
     lambda x, w, b: F.conv2d(x, w, b, 1, "same", (2, 1)))
case("ops.conv2d_valid", {"x": rand(2, 2, 5, 6), "weight": rand(4, 1, 3, 2)},
     lambda x, w: F.conv2d(x, w, None, (2, 1), "valid", 1, 2))
case("ops.conv1d_same_even_kernel", {"x": rand(2, 2, 7), "weight": rand(4, 2, 4),
                                     "bias": rand(4)},
     lambda x, w, b: F.conv1d(x, w, b, 1, "same", 1))
case("ops.conv1d_valid", {"x": rand(2, 2, 7), "weight": rand(4, 2, 3)},
     lambda x, w: F.conv1d(x, w, None, 2, "valid"))
for mode in ("reflect", "replicate", "circular"):
    case(f"ops.conv2d_{mode}", {"x": rand(2, 4, 5, 6), "weight": rand(4, 2, 3, 2),
                                "bias": rand(4)},
         lambda x, w, b, mode=mode: conv_layer(torch.nn.Conv2d, x, w, b, stride=(2, 1),
                                               padding=(2, 1), groups=2, padding_mode=mode))
    case(f"ops.conv2d_same_{mode}", {"x": rand(1, 2, 5, 6), "weight": rand(2, 2, 2, 4)},
         lambda x, w, mode=mode: conv_layer(torch.nn.Conv2d, x, w, None, padding="same",
                                            dilation=(3, 1), padding_mode=mode))
    case(f"ops.conv1d_{mode}", {"x": rand(2, 2, 6), "weight": rand(3, 2, 3), "bias": rand(3)},
         lambda x, w, b, mode=mode: conv_layer(torch.nn.Conv1d, x, w, b, stride=2, padding=2,
                                               padding_mode=mode))
    case(f"ops.conv1d_same_{mode}", {"x": rand(2, 1, 5), "weight": rand(2, 1, 4)},
         lambda x, w, mode=mode: conv_layer(torch.nn.Conv1d, x, w, None, padding="same",
                                            padding_mode=mode))



# ---- b. pooling: ceil_mode, count_include_pad, divisor_override, indices, max_unpool ------

def distinct(*shape):
    """Values without ties (so that the maximum of a window is one entry)."""
    n = 1
    for d in shape:
        n *= d
    return (torch.randperm(n, dtype=D) / n - 0.5).reshape(shape) + rand(*shape) * 1e-3


case("ops.max_pool2d_ceil", {"x": distinct(2, 2, 6, 7)},
     lambda x: F.max_pool2d(x, (3, 2), 2, (1, 0), ceil_mode=True, return_indices=True))
case("ops.max_pool2d_ceil_dilation", {"x": distinct(1, 2, 7, 6)},
     lambda x: F.max_pool2d(x, 2, 2, 0, 2, ceil_mode=True, return_indices=True))
case("ops.max_pool1d_ceil", {"x": distinct(2, 2, 8)},
     lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True, return_indices=True))
case("ops.avg_pool2d_ceil", {"x": rand(2, 2, 6, 7)},
     lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True))
case("ops.avg_pool2d_ceil_exclude_pad", {"x": rand(2, 2, 6, 7)},
     lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False))
case("ops.avg_pool2d_divisor_override", {"x": rand(2, 2, 5, 6)},
     lambda x: F.avg_pool2d(x, (3, 2), 2, 1, ceil_mode=True, divisor_override=5))
case("ops.avg_pool1d_ceil", {"x": rand(2, 2, 8)},
     lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True))
case("ops.avg_pool1d_ceil_exclude_pad", {"x": rand(2, 2, 8)},
     lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False))
_, i2 = F.max_pool2d(distinct(2, 2, 4, 6), 2, return_indices=True)
case("ops.max_unpool2d", {"x": rand(*i2.shape), "indices": i2.to(D)},
     lambda x, i: F.max_unpool2d(x, i.long(), 2), constants=("indices",))
_, i2 = F.max_pool2d(distinct(2, 2, 5, 7), 2, return_indices=True)
case("ops.max_unpool2d_output_size", {"x": rand(*i2.shape), "indices": i2.to(D)},
     lambda x, i: F.max_unpool2d(x, i.long(), 2, output_size=(5, 7)), constants=("indices",))
# Windows that do not overlap: where they do, an entry can be the maximum of two windows,
# and PyTorch keeps one of the two unpooled values, unspecified which (docs/design.md).
_, i1 = F.max_pool1d(distinct(2, 3, 10), 3, 3, 1, return_indices=True)
case("ops.max_unpool1d", {"x": rand(*i1.shape), "indices": i1.to(D)},
     lambda x, i: F.max_unpool1d(x, i.long(), 3, 3, 1, output_size=[10]), constants=("indices",))


# ---- c. cross_entropy with class-probability targets -------------------------------------

def probabilities(*shape, dim=1):
    return torch.softmax(rand(*shape, lo=-2, hi=2), dim)


W = rand(5, lo=0.2, hi=2.0)
case("nn.cross_entropy_probabilities", {"logits": rand(4, 5, lo=-3, hi=3),
                                        "target": probabilities(4, 5)},
     lambda x, t: F.cross_entropy(x, t))
case("nn.cross_entropy_probabilities_smoothing_weight",
     {"logits": rand(4, 5, lo=-3, hi=3), "target": probabilities(4, 5), "weight": W},
     lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.2), constants=("weight",))
case("nn.cross_entropy_probabilities_spatial_none",
     {"logits": rand(2, 5, 3, lo=-3, hi=3), "target": probabilities(2, 5, 3), "weight": W},
     lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.1, reduction="none"),
     constants=("weight",))
case("nn.cross_entropy_probabilities_sum",
     {"logits": rand(3, 5, lo=-3, hi=3), "target": probabilities(3, 5)},
     lambda x, t: F.cross_entropy(x, t, reduction="sum", label_smoothing=0.3))
case("nn.cross_entropy_probabilities_unbatched",
     {"logits": rand(5, lo=-3, hi=3), "target": probabilities(5, dim=0), "weight": W},
     lambda x, t, w: F.cross_entropy(x, t, weight=w), constants=("weight",))


# ---- d. maximize on every optimizer, SGD's dampening --------------------------------------

def optimizer_case(name, make, steps=6):
    """The iterates of `make([p])` on the gradient g = a p + b (set by hand, exactly as the
    C++ test sets it: the gradient of sum(p * (a p + b)) with the factor held constant)."""
    a, b = rand(2, 3, lo=0.5, hi=2.0), rand(2, 3)
    p = rand(2, 3).requires_grad_(True)
    OUT.append("case " + name)
    OUT.append(line("a", a))
    OUT.append(line("b", b))
    OUT.append(line("param_0", p))
    optimizer = make([p])
    for k in range(1, steps + 1):
        p.grad = (a * p + b).detach()
        optimizer.step()
        OUT.append(line(f"param_{k}", p))
    OUT.append("end")


optim = torch.optim
optimizer_case("optim.sgd_maximize", lambda ps: optim.SGD(ps, 0.1, maximize=True))
optimizer_case("optim.sgd_dampening", lambda ps: optim.SGD(ps, 0.1, momentum=0.8, dampening=0.5))
optimizer_case("optim.sgd_dampening_maximize_decay",
               lambda ps: optim.SGD(ps, 0.05, momentum=0.9, dampening=0.3, weight_decay=0.1,
                                    maximize=True))
optimizer_case("optim.sgd_nesterov_maximize",
               lambda ps: optim.SGD(ps, 0.05, momentum=0.9, nesterov=True, weight_decay=0.1,
                                    maximize=True))
optimizer_case("optim.adam_maximize",
               lambda ps: optim.Adam(ps, 0.05, weight_decay=0.1, amsgrad=True, maximize=True))
optimizer_case("optim.adamw_maximize", lambda ps: optim.AdamW(ps, 0.05, maximize=True))
optimizer_case("optim.rmsprop_maximize",
               lambda ps: optim.RMSprop(ps, 0.01, momentum=0.5, centered=True, weight_decay=0.1,
                                        maximize=True))
optimizer_case("optim.adagrad_maximize",
               lambda ps: optim.Adagrad(ps, 0.1, lr_decay=0.1, weight_decay=0.1, maximize=True))


# ---- e. norm / linalg.vector_norm over axes with keepdim ----------------------------------

LA = torch.linalg
case("ops.vector_norm_2_axes_keepdim", {"x": rand(2, 3, 4)},
     lambda x: LA.vector_norm(x, 2, dim=(0, 2), keepdim=True))
case("ops.vector_norm_1_axis", {"x": rand(2, 3, 4)}, lambda x: LA.vector_norm(x, 1, dim=1))
case("ops.vector_norm_inf_axes", {"x": rand(2, 3, 4)},
     lambda x: LA.vector_norm(x, float("inf"), dim=(-1, 0)))
# Ties: the gradient is shared equally among the entries at the maximum (or minimum).
TIES = torch.tensor([[0.5, -0.5, 0.25], [0.75, -0.75, 0.75], [-0.1, 0.2, 0.3]], dtype=D)
case("ops.vector_norm_inf_ties_keepdim", {"x": TIES},
     lambda x: LA.vector_norm(x, float("inf"), dim=1, keepdim=True))
case("ops.vector_norm_minus_inf_ties", {"x": TIES},
     lambda x: LA.vector_norm(x, float("-inf"), dim=0))
case("ops.vector_norm_3_all", {"x": rand(3, 4)}, lambda x: LA.vector_norm(x, 3))
case("ops.vector_norm_half_axis", {"x": rand(3, 4, lo=0.2, hi=1.0) * torch.tensor(
    [1.0, -1.0, 1.0, -1.0], dtype=D)}, lambda x: LA.vector_norm(x, 0.5, dim=-1))
case("ops.vector_norm_0_axis", {"x": torch.tensor([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]],
                                                 dtype=D)},
     lambda x: LA.vector_norm(x, 0, dim=1), constants=("x",))  # no gradient
# A slice of zeros: the gradient there is 0 (PyTorch masks its 0 / 0); and a zero entry.
ZEROS = torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.5, -2.0], [0.5, -0.25, 1.0]], dtype=D)
case("ops.vector_norm_2_zero_row", {"x": ZEROS}, lambda x: LA.vector_norm(x, 2, dim=1))
case("ops.vector_norm_3_zero_row", {"x": ZEROS}, lambda x: LA.vector_norm(x, 3, dim=-1))
case("ops.vector_norm_1_5_zero_row", {"x": ZEROS},
     lambda x: LA.vector_norm(x, 1.5, dim=1, keepdim=True))
case("ops.vector_norm_half_zero_entry", {"x": ZEROS[1:]}, lambda x: LA.vector_norm(x, 0.5, dim=1))
case("ops.norm_2_axes_keepdim", {"x": rand(2, 3, 4)},
     lambda x: torch.norm(x, 2, dim=(1, 2), keepdim=True))
case("ops.norm_1_axis", {"x": rand(2, 3, 4)}, lambda x: torch.norm(x, 1, dim=0))


# ---- f. gelu(approximate="tanh") -----------------------------------------------------------

case("ops.gelu_tanh", {"x": rand(3, 5, lo=-5, hi=5)}, lambda x: F.gelu(x, approximate="tanh"))
case("ops.gelu_tanh_large", {"x": torch.tensor([-30.0, -12.0, -4.0, 0.0, 4.0, 12.0, 30.0],
                                               dtype=D)},
     lambda x: F.gelu(x, approximate="tanh"))
# ---- softplus(beta, threshold): x itself where beta·x > threshold -------------------------

case("ops.softplus_beta_threshold",
     {"x": torch.tensor([-3.0, -1.0, 0.0, 0.5, 2.0, 2.4, 2.6, 3.0, 7.0], dtype=D)},
     lambda x: F.softplus(x, beta=2, threshold=5))
case("ops.softplus_default_large",
     {"x": torch.tensor([-40.0, -25.0, -20.0, 0.0, 19.5, 20.5, 25.0, 40.0], dtype=D)},
     lambda x: F.softplus(x))

# Second order (value: the first gradient; grad2_x: d/dx of sum(c2 · it), c2 the
# cotangent reversed), with the first gradient recorded.
x2 = rand(11, lo=-4, hi=4).requires_grad_(True)
(g1,) = torch.autograd.grad((F.gelu(x2, approximate="tanh") * cotangent((11,))).sum(), x2,
                            create_graph=True)
(g2,) = torch.autograd.grad((g1 * cotangent((11,)).flip(0)).sum(), x2)
OUT += ["case ops.second_order.gelu_tanh", line("x", x2), line("cotangent", cotangent((11,))),
        line("value", g1), line("grad2_x", g2), "end"]

if __name__ == "__main__":
    with open("args_reference.txt", "w") as f:
        f.write("# Written by make_args_reference.py with torch " + torch.__version__ + "\n")
        f.write("\n".join(OUT) + "\n")
