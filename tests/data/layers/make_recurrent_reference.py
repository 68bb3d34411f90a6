#!/usr/bin/python3
"""Writes recurrent_reference.txt: PyTorch's LSTM, GRU, LSTMCell and GRUCell on fixed
inputs in float64, for tests/nn/recurrent_test.cpp (run with Debian's /usr/bin/python3
from this folder; the C++ test reads the file checked in and needs no Python).

Each case is the line `case <name> <module> <input_size> <hidden_size> <num_layers>
<bias 0|1>`, then one line per tensor, `<key> <rank> <sizes...> <values...>` (row-major,
%.17g), then `end`. Keys: the module's parameters under PyTorch's state_dict names, the
input `x`, the initial state `h0` (and `c0`) when given, the outputs `output`, `h_n`
(and `c_n`), the cotangents `cot_*` that define the scalar loss
L = sum(cot_output * output) + sum(cot_h * h_n) (+ sum(cot_c * c_n)), and the gradients
`grad_<parameter>` and `grad_x` of L.
"""
import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
lines = ["# Written by make_recurrent_reference.py (PyTorch %s); do not edit." % torch.__version__]


def emit(key, t):
    t = t.detach().reshape(t.shape)
    values = " ".join("%.17g" % v for v in t.flatten().tolist())
    lines.append(" ".join([key, str(t.dim())] + [str(s) for s in t.shape]) + " " + values)


def case(name, module, kind, n, steps, with_state):
    is_cell = kind.endswith("Cell")
    layers = 1 if is_cell else module.num_layers
    lines.append("case %s %s %d %d %d %d" % (name, kind, module.input_size, module.hidden_size,
                                           layers, 1 if module.bias else 0))
    for key, p in module.state_dict().items():
        emit(key, p)
    x = torch.randn((n, module.input_size) if is_cell else (n, steps, module.input_size),
                    requires_grad=True)
    emit("x", x)
    shape = (n, module.hidden_size) if is_cell else (layers, n, module.hidden_size)
    lstm = kind.startswith("LSTM")
    h0 = torch.randn(shape) if with_state else None
    c0 = torch.randn(shape) if with_state and lstm else None
    if with_state:
        emit("h0", h0)
        if lstm:
            emit("c0", c0)
    if is_cell:
        state = ((h0, c0) if lstm else h0) if with_state else None
        out = module(x, state)
        h_n, c_n = (out if lstm else (out, None))
        output = None
    else:
        state = ((h0, c0) if lstm else h0) if with_state else None
        output, hn = module(x, state)
        h_n, c_n = (hn if lstm else (hn, None))
    loss = 0
    if output is not None:
        cot = torch.randn(output.shape)
        emit("output", output)
        emit("cot_output", cot)
        loss = loss + (cot * output).sum()
    cot_h = torch.randn(h_n.shape)
    emit("h_n", h_n)
    emit("cot_h", cot_h)
    loss = loss + (cot_h * h_n).sum()
    if c_n is not None:
        cot_c = torch.randn(c_n.shape)
        emit("c_n", c_n)
        emit("cot_c", cot_c)
        loss = loss + (cot_c * c_n).sum()
    loss.backward()
    for key, p in module.named_parameters():
        emit("grad_" + key, p.grad)
    emit("grad_x", x.grad)
    lines.append("end")


case("lstm_2_layers_state", torch.nn.LSTM(5, 6, num_layers=2, batch_first=True), "LSTM", 3, 4, True)
case("lstm_no_bias", torch.nn.LSTM(4, 3, bias=False, batch_first=True), "LSTM", 2, 5, False)
case("gru_2_layers_state", torch.nn.GRU(5, 6, num_layers=2, batch_first=True), "GRU", 3, 4, True)
case("gru_no_state", torch.nn.GRU(4, 3, batch_first=True), "GRU", 2, 5, False)
case("lstm_cell", torch.nn.LSTMCell(5, 4), "LSTMCell", 3, 1, True)
case("gru_cell", torch.nn.GRUCell(5, 4), "GRUCell", 3, 1, True)

with open("recurrent_reference.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
