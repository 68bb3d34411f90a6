#!/usr/bin/env python3
"""Writes loss_reference.txt: PyTorch's values and input gradients of the losses that
tests/nn/losses_test.cpp checks tapegrad's against (to 1e-12, in double).

Needs Debian's python3-torch (apt-get install python3-torch); run from this folder with
/usr/bin/python3. The C++ test reads only the text file, so it needs no Python.

Format, one case per block:

    case LOSS reduction=R [OPTION=VALUE ...]
    NAME RANK D1 ... DRANK V1 V2 ...      (one line per tensor, values in C order)
    end

The tensors are the inputs (input, target, and weight / pos_weight when given), the
cotangent c the loss is multiplied by before backward (d Σ c·loss / d input), the
value and grad_input (the gradient with respect to input). Numbers are Python's repr
of a double, which reads back exactly.
"""
import torch
import torch.nn.functional as F

torch.manual_seed(20261202)
D = torch.float64


def rand(*shape, lo=-1.0, hi=1.0):
    return torch.rand(*shape, dtype=D) * (hi - lo) + lo


def labels(values):
    return torch.tensor(values, dtype=D)


def call(loss, tensors, reduction, options):
    x = tensors["input"]
    t = tensors["target"]
    w = tensors.get("weight")
    if loss == "nll_loss":
        return F.nll_loss(x, t.long(), weight=w, reduction=reduction, **options)
    if loss == "cross_entropy":
        return F.cross_entropy(x, t.long(), weight=w, reduction=reduction, **options)
    if loss == "binary_cross_entropy":
        return F.binary_cross_entropy(x, t, weight=w, reduction=reduction)
    if loss == "binary_cross_entropy_with_logits":
        return F.binary_cross_entropy_with_logits(
            x, t, weight=w, pos_weight=tensors.get("pos_weight"), reduction=reduction)
    if loss == "l1_loss":
        return F.l1_loss(x, t, reduction=reduction)
    if loss == "huber_loss":
        return F.huber_loss(x, t, reduction=reduction, **options)
    if loss == "smooth_l1_loss":
        return F.smooth_l1_loss(x, t, reduction=reduction, **options)
    if loss == "kl_div":
        return F.kl_div(x, t, reduction=reduction, **options)
    raise ValueError(loss)


def line(name, t):
    t = t.detach().reshape(t.shape)
    dims = " ".join(str(d) for d in t.shape)
    values = " ".join(repr(float(v)) for v in t.flatten().tolist())
    return f"{name} {t.dim()} {dims} {values}".replace("  ", " ").rstrip()


def case(out, loss, tensors, reductions=("mean", "sum", "none"), **options):
    for reduction in reductions:
        x = tensors["input"].clone().requires_grad_(True)
        inputs = dict(tensors, input=x)
        value = call(loss, inputs, reduction, options)
        cotangent = torch.linspace(0.5, 1.5, value.numel(), dtype=D).reshape(value.shape)
        (value * cotangent).sum().backward()
        opts = " ".join(f"{k}={v}" for k, v in options.items())
        out.append(f"case {loss} reduction={reduction} {opts}".rstrip())
        for name, t in tensors.items():
            out.append(line(name, t))
        out.append(line("cotangent", cotangent))
        out.append(line("value", value))
        out.append(line("grad_input", x.grad))
        out.append("end")


def clamp_case(out, tensors, reductions=("mean", "sum", "none")):
    """binary_cross_entropy where PyTorch clamps (x(1 − x) < 1e-12, x = 0 or 1), written
    as loss binary_cross_entropy_at_clamp (finite differences cannot check these points).
    Besides grad_input: grad_target, and the second derivatives of PyTorch's double
    backward, those of sum(cotangent2 * grad_input) with respect to the input
    (grad2_input), the target (grad2_target) and the cotangent (grad2_cotangent)."""
    for reduction in reductions:
        x = tensors["input"].clone().requires_grad_(True)
        t = tensors["target"].clone().requires_grad_(True)
        value = F.binary_cross_entropy(x, t, weight=tensors.get("weight"), reduction=reduction)
        cotangent = torch.linspace(0.5, 1.5, value.numel(), dtype=D).reshape(value.shape)
        c = cotangent.clone().requires_grad_(True)
        gx, gt = torch.autograd.grad((value * c).sum(), [x, t], create_graph=True)
        c2 = torch.linspace(1.5, 0.5, gx.numel(), dtype=D).reshape(gx.shape)
        g2x, g2t, g2c = torch.autograd.grad((gx * c2).sum(), [x, t, c])
        out.append(f"case binary_cross_entropy_at_clamp reduction={reduction}")
        for name, v in tensors.items():
            out.append(line(name, v))
        for name, v in [("cotangent", cotangent), ("value", value), ("grad_input", gx),
                        ("grad_target", gt), ("cotangent2", c2), ("grad2_input", g2x),
                        ("grad2_target", g2t), ("grad2_cotangent", g2c)]:
            out.append(line(name, v))
        out.append("end")


def main():
    out = [f"# written by tests/data/make_loss_reference.py with torch {torch.__version__}; "
           "do not edit"]
    logits = rand(5, 4, lo=-2, hi=2)
    y = labels([0, 3, 1, 3, 2])
    w = torch.tensor([0.5, 2.0, 1.0, 0.25], dtype=D)
    y_ignored = labels([0, -100, 1, 3, -100])
    log_p = F.log_softmax(rand(5, 4, lo=-2, hi=2), dim=1)

    case(out, "nll_loss", {"input": log_p, "target": y})
    case(out, "nll_loss", {"input": log_p, "target": y, "weight": w})
    case(out, "nll_loss", {"input": log_p, "target": y_ignored, "weight": w})
    case(out, "nll_loss", {"input": log_p, "target": y}, ignore_index=3)

    case(out, "cross_entropy", {"input": logits, "target": y})
    case(out, "cross_entropy", {"input": logits, "target": y, "weight": w})
    case(out, "cross_entropy", {"input": logits, "target": y_ignored})
    case(out, "cross_entropy", {"input": logits, "target": y}, label_smoothing=0.1)
    case(out, "cross_entropy", {"input": logits, "target": y, "weight": w}, label_smoothing=0.2)
    case(out, "cross_entropy", {"input": logits, "target": y_ignored, "weight": w},
         label_smoothing=0.3)
    case(out, "cross_entropy", {"input": logits, "target": y}, ignore_index=3,
         label_smoothing=0.15)
    # K-dimensional: (N, C, d) logits with (N, d) targets; and one example (C) with a 0-d target.
    case(out, "cross_entropy",
         {"input": rand(2, 3, 4, lo=-2, hi=2), "target": labels([[0, 2, 1, 2], [1, 1, 0, 2]]),
          "weight": torch.tensor([1.5, 0.5, 1.0], dtype=D)}, label_smoothing=0.1)
    case(out, "cross_entropy", {"input": rand(4, lo=-2, hi=2), "target": labels(2)})

    p = rand(3, 4, lo=0.05, hi=0.95)
    soft = rand(3, 4, lo=0.0, hi=1.0)
    hard = (rand(3, 4) > 0).to(D)
    case(out, "binary_cross_entropy", {"input": p, "target": soft})
    case(out, "binary_cross_entropy",
         {"input": p, "target": hard, "weight": rand(4, lo=0.5, hi=2.0)})

    # Appended (issue 24): the clamps of the derivatives, x(1 − x) below 1e-12f (x = 0,
    # 1e-13, 1 − 1e-13, 1) against hard and soft targets, and ordinary points beside them.
    edge_x = torch.tensor([[0.0, 0.0, 1e-13, 1e-13, 0.3],
                           [1.0, 1.0, 1 - 1e-13, 0.5, 0.9]], dtype=D)
    edge_y = torch.tensor([[1.0, 0.0, 1.0, 0.25, 0.7],
                           [0.0, 1.0, 0.0, 0.5, 1.0]], dtype=D)
    clamp_case(out, {"input": edge_x, "target": edge_y})
    clamp_case(out, {"input": edge_x, "target": edge_y,
                     "weight": torch.tensor([0.5, 2.0, 1.0, 1.5, 1.0], dtype=D)}, ("mean",))

    z = rand(3, 4, lo=-3, hi=3)
    case(out, "binary_cross_entropy_with_logits", {"input": z, "target": soft})
    case(out, "binary_cross_entropy_with_logits",
         {"input": z, "target": hard, "weight": rand(3, 1, lo=0.5, hi=2.0),
          "pos_weight": rand(4, lo=0.5, hi=3.0)})

    a = rand(3, 4, lo=-2, hi=2)
    b = rand(3, 4, lo=-2, hi=2)
    case(out, "l1_loss", {"input": a, "target": b})
    case(out, "huber_loss", {"input": a, "target": b}, delta=1.0)
    case(out, "huber_loss", {"input": a, "target": b}, delta=0.6)
    case(out, "smooth_l1_loss", {"input": a, "target": b}, beta=1.0)
    case(out, "smooth_l1_loss", {"input": a, "target": b}, beta=0.4)
    case(out, "smooth_l1_loss", {"input": a, "target": b}, beta=0.0)

    q = F.log_softmax(rand(3, 4, lo=-2, hi=2), dim=1)
    t = F.softmax(rand(3, 4, lo=-2, hi=2), dim=1)
    t[1, 2] = 0.0  # 0 log 0 = 0
    kl_reductions = ("mean", "sum", "none", "batchmean")
    case(out, "kl_div", {"input": q, "target": t}, kl_reductions)
    case(out, "kl_div", {"input": q, "target": F.log_softmax(rand(3, 4), dim=1)}, kl_reductions,
         log_target=True)

    with open("loss_reference.txt", "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
