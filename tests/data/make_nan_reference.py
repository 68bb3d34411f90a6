#!/usr/bin/env python3
"""Writes nan_reference.txt: what PyTorch gives for NaN inputs to the step-function ops
(relu, leaky_relu, elu, clamp, abs, maximum, minimum, max, min, max_pool) and to the
smooth activations, value and gradient, for tests/ops/nan_propagation_test.cpp (1e-12,
NaN where PyTorch has NaN).

Needs Debian's python3-torch; run from this folder with /usr/bin/python3. The C++ test
reads only the text file.

Format (tests/reference_data.hpp), one case per op:

    case OP [OPTION=VALUE ...]
    x / a b      the inputs (NaNs among ordinary values, and ties for maximum/minimum)
    cotangent    c: the gradients are those of sum(c * OP(...))
    value        OP(...)
    grad_x / grad_a grad_b
    cotangent2   (unary ops that PyTorch differentiates twice) c2, and
    grad2_x      d sum(c2 * grad_x) / dx
    end

Numbers are Python's repr of a double ('nan' for NaN), which reads back exactly.
"""
import torch
import torch.nn.functional as F

D = torch.float64
nan = float("nan")


def line(name, t):
    t = t.detach().clone()
    dims = " ".join(str(d) for d in t.shape)
    values = " ".join(repr(float(v)) for v in t.flatten().tolist())
    return f"{name} {t.dim()} {dims} {values}".replace("  ", " ").rstrip()


def cotangent(shape):
    n = 1
    for s in shape:
        n *= s
    return torch.linspace(0.5, 1.5, n, dtype=D).reshape(shape)


def case(out, words, inputs, f, second_order=False):
    """inputs: name -> tensor; f takes them in order."""
    names = list(inputs)
    leaves = [inputs[n].clone().requires_grad_(True) for n in names]
    y = f(*leaves)
    c = cotangent(y.shape)
    grads = torch.autograd.grad((y * c).sum(), leaves, create_graph=second_order)
    out.append("case " + words)
    for n in names:
        out.append(line(n, inputs[n]))
    out.append(line("cotangent", c))
    out.append(line("value", y))
    for n, g in zip(names, grads):
        out.append(line("grad_" + n, g))
    if second_order and grads[0].requires_grad:
        c2 = cotangent(grads[0].shape).flip(0)
        (g2,) = torch.autograd.grad((grads[0] * c2).sum(), leaves[0])
        out.append(line("cotangent2", c2))
        out.append(line("grad2_x", g2))
    out.append("end")


def main():
    out = [f"# written by tests/data/make_nan_reference.py with torch {torch.__version__}; "
           "do not edit"]
    # NaN next to values on both sides of each kink (0 for relu and friends, the bounds
    # -0.5 and 0.5 for clamp), 64 + 6 elements so that vectorized paths run as well.
    base = torch.tensor([nan, -2.0, -0.5, 0.0, 0.25, 0.5, 3.0, nan], dtype=D)
    x = torch.cat([base, torch.linspace(-3, 3, 62, dtype=D)])
    x[20] = nan
    x[69] = nan
    unary = [
        ("relu", torch.relu),
        ("leaky_relu slope=0.1", lambda t: F.leaky_relu(t, 0.1)),
        ("elu alpha=1.5", lambda t: F.elu(t, 1.5)),
        ("clamp lo=-0.5 hi=0.5", lambda t: t.clamp(-0.5, 0.5)),
        ("abs", torch.abs),
        ("softplus", F.softplus),
        ("gelu", F.gelu),
        ("silu", F.silu),
        ("sigmoid", torch.sigmoid),
        ("tanh", torch.tanh),
        ("softsign", F.softsign),
    ]
    for words, f in unary:
        # elu's gradient at a NaN is NaN in PyTorch's vectorized kernel (blendv on x > 0)
        # but 1 in its scalar loop (x <= 0 ? α eˣ : 1), which handles the last n mod 8
        # (double; mod 16 in float) elements: 64 elements keep every NaN in the vectorized
        # part, whose answer tapegrad gives (docs/design.md, "Conventions").
        case(out, words, {"x": x[:64] if words.startswith("elu") else x}, f,
             second_order=not words.startswith("clamp"))

    # maximum / minimum: NaN in a, in b, in both, ties, and ordinary pairs.
    a = torch.tensor([nan, 0.5, nan, 1.0, 2.0, -1.0, 0.0, 3.0], dtype=D)
    b = torch.tensor([0.5, nan, nan, 1.0, -1.0, 2.0, 0.0, nan], dtype=D)
    case(out, "maximum", {"a": a, "b": b}, torch.maximum)
    case(out, "minimum", {"a": a, "b": b}, torch.minimum)
    # The same under broadcasting: a (4, 1) against b (1, 3).
    a2 = torch.tensor([[nan], [1.0], [2.0], [0.0]], dtype=D)
    b2 = torch.tensor([[1.0, nan, 2.0]], dtype=D)
    case(out, "maximum", {"a": a2, "b": b2}, torch.maximum)
    case(out, "minimum", {"a": a2, "b": b2}, torch.minimum)

    # max / min along an axis: the value is NaN where the axis holds one, the gradient goes
    # to the first NaN.
    m = torch.tensor([[1.0, nan, nan, 3.0],
                      [nan, 2.0, 5.0, nan],
                      [4.0, 4.0, 0.0, 1.0]], dtype=D)
    case(out, "max axis=1", {"x": m}, lambda t: t.max(1)[0])
    case(out, "max axis=0", {"x": m}, lambda t: t.max(0)[0])
    case(out, "min axis=1", {"x": m}, lambda t: t.min(1)[0])

    # Max pooling: a window with a NaN gives NaN, the gradient goes to its last NaN.
    p1 = torch.tensor([[[nan, 2.0, nan, 1.0, 5.0, nan, nan, 0.0, 1.0]]], dtype=D)
    case(out, "max_pool1d kernel=3 stride=2 padding=1", {"x": p1},
         lambda t: F.max_pool1d(t, 3, stride=2, padding=1))
    p2 = torch.tensor([[[[nan, 2.0, 1.0, 0.0],
                         [nan, 1.0, 3.0, nan],
                         [0.0, 0.5, nan, 4.0]]]], dtype=D)
    case(out, "max_pool2d kernel=2 stride=1", {"x": p2}, lambda t: F.max_pool2d(t, 2, stride=1))

    with open("nan_reference.txt", "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
