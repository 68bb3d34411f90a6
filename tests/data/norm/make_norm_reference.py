#!/usr/bin/env python3
"""Writes norm_reference.txt: PyTorch's layer_norm and batch_norm on fixed inputs, in
float64, for tests/ops/normalization_test.cpp (run with /usr/bin/python3 from this
folder; the C++ test reads the file checked in, so it needs no Python).

Each case is the line `case <name> <op>`, then one line per tensor:
`<key> <rank> <sizes...> <values...>` (row-major, %.17g). Scalars are 0-d tensors:
eps, momentum, training (0 or 1) and, for layer_norm, normalized_ndim (the number of
trailing axes of x normalized). A case without weight or bias leaves them out. The
gradients are those of sum(y * g) for the random g given, and running_mean_after /
running_var_after are the running statistics after a training call.
"""
import torch
import torch.nn.functional as F

torch.manual_seed(20260215)
out = []


def emit(key, t):
    t = torch.as_tensor(t, dtype=torch.float64).detach()
    sizes = list(t.shape)
    values = t.reshape(-1).tolist()
    out.append(" ".join([key, str(len(sizes))] + [str(s) for s in sizes] +
                        ["%.17g" % v for v in values]))


def leaf(*shape, lo=-2.0, hi=2.0):
    return (torch.rand(*shape, dtype=torch.float64) * (hi - lo) + lo).requires_grad_()


def layer_norm_case(name, shape, ndim, affine, eps):
    out.append("case %s layer_norm" % name)
    x = leaf(*shape)
    normalized = shape[len(shape) - ndim:]
    w = leaf(*normalized) if affine else None
    b = leaf(*normalized) if affine else None
    y = F.layer_norm(x, normalized, w, b, eps)
    g = torch.rand(*shape, dtype=torch.float64) * 2 - 1
    inputs = [x] + ([w, b] if affine else [])
    grads = torch.autograd.grad((y * g).sum(), inputs)
    emit("x", x)
    if affine:
        emit("weight", w)
        emit("bias", b)
    emit("normalized_ndim", ndim)
    emit("eps", eps)
    emit("g", g)
    emit("y", y)
    emit("grad_x", grads[0])
    if affine:
        emit("grad_weight", grads[1])
        emit("grad_bias", grads[2])


def batch_norm_case(name, shape, training, affine, momentum, eps):
    out.append("case %s batch_norm" % name)
    c = shape[1]
    x = leaf(*shape)
    w = leaf(c) if affine else None
    b = leaf(c) if affine else None
    running_mean = torch.rand(c, dtype=torch.float64) - 0.5
    running_var = torch.rand(c, dtype=torch.float64) + 0.5
    emit("x", x)
    if affine:
        emit("weight", w)
        emit("bias", b)
    emit("running_mean", running_mean)
    emit("running_var", running_var)
    emit("training", 1 if training else 0)
    emit("momentum", momentum)
    emit("eps", eps)
    y = F.batch_norm(x, running_mean, running_var, w, b, training, momentum, eps)
    g = torch.rand(*shape, dtype=torch.float64) * 2 - 1
    inputs = [x] + ([w, b] if affine else [])
    grads = torch.autograd.grad((y * g).sum(), inputs)
    emit("g", g)
    emit("y", y)
    emit("grad_x", grads[0])
    if affine:
        emit("grad_weight", grads[1])
        emit("grad_bias", grads[2])
    emit("running_mean_after", running_mean)
    emit("running_var_after", running_var)


layer_norm_case("layer_norm_2d_affine", [4, 6], 1, True, 1e-5)
layer_norm_case("layer_norm_3d_two_axes", [2, 3, 4], 2, False, 1e-3)
layer_norm_case("layer_norm_4d_affine", [2, 3, 2, 5], 3, True, 1e-5)
batch_norm_case("batch_norm_nc_train", [8, 3], True, True, 0.1, 1e-5)
batch_norm_case("batch_norm_ncl_train", [4, 3, 5], True, False, 0.25, 1e-5)
batch_norm_case("batch_norm_nchw_train", [2, 3, 4, 5], True, True, 0.1, 1e-3)
batch_norm_case("batch_norm_nchw_eval", [2, 3, 4, 5], False, True, 0.1, 1e-5)
batch_norm_case("batch_norm_nc_eval", [5, 4], False, False, 0.1, 1e-5)

with open("norm_reference.txt", "w") as f:
    f.write("# Written by make_norm_reference.py (PyTorch %s); do not edit.\n" % torch.__version__)
    f.write("\n".join(out) + "\n")
