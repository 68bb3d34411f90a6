#!/usr/bin/python3
"""Writes layer_reference.txt: PyTorch's Conv1d, Conv2d, ConvTranspose2d, LayerNorm,
BatchNorm1d/2d, Embedding and MultiheadAttention on fixed inputs in float64, for
tests/nn/layers_test.cpp (run with Debian's /usr/bin/python3 from this folder; the C++
test reads the file checked in and needs no Python).

Each case is `case <name> <layer> <arguments...>`, then `<key> <rank> <sizes...>
<values...>` lines (row-major, %.17g), then `end`. Keys: the parameters and buffers
under PyTorch's state_dict names (num_batches_tracked as float64), `x` (and `key`,
`value`, `attn_mask`, `key_padding_mask` for attention), `output`, the cotangent
`cot` defining L = sum(cot * output), and the gradients `grad_<parameter>` and
`grad_x` of L. BatchNorm cases run in training mode and add the buffers after the step
as `after_running_mean` / `after_running_var` / `after_num_batches_tracked`, then
`eval_output` of the same x in eval mode. New cases are appended at the end, so the
random numbers of the earlier ones stay as they were.
"""
import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
lines = ["# Written by make_layer_reference.py (PyTorch %s); do not edit." % torch.__version__]


def emit(key, t):
    t = t.detach()
    lines.append(" ".join([key, str(t.dim())] + [str(s) for s in t.shape] +
                          ["%.17g" % v for v in t.flatten().tolist()]))


def state(module):
    for key, p in module.state_dict().items():
        emit(key, p.to(torch.float64))


def finish(module, x, output):
    cot = torch.randn(output.shape)
    emit("output", output)
    emit("cot", cot)
    (cot * output).sum().backward()
    for key, p in module.named_parameters():
        emit("grad_" + key, p.grad)
    if x.requires_grad:
        emit("grad_x", x.grad)
    lines.append("end")


def simple(name, words, module, x_shape, randomize=False):
    lines.append("case %s %s" % (name, words))
    if randomize:  # norm layers start at 1 and 0: move them so the test sees them
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(torch.randn(p.shape))
    state(module)
    x = torch.randn(x_shape, requires_grad=True)
    emit("x", x)
    finish(module, x, module(x))


simple("conv2d_groups", "Conv2d 4 6 3 2 stride=2 padding=1 dilation=1 groups=2",
       torch.nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2), (2, 4, 7, 6))
simple("conv2d_dilation", "Conv2d 3 2 3 3 stride=1 padding=2 dilation=2 groups=1",
       torch.nn.Conv2d(3, 2, 3, padding=2, dilation=2), (1, 3, 5, 6))
simple("conv1d", "Conv1d 3 4 3 stride=2 padding=1", torch.nn.Conv1d(3, 4, 3, stride=2, padding=1),
       (2, 3, 9))
simple("conv_transpose2d", "ConvTranspose2d 4 2 3 3 stride=2 padding=1 output_padding=1 groups=2",
       torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2),
       (2, 4, 3, 4))
simple("layer_norm", "LayerNorm 3 5", torch.nn.LayerNorm((3, 5)), (2, 4, 3, 5), randomize=True)


def batch_norm(name, words, module, x_shape, batches_before=0):
    lines.append("case %s %s" % (name, words))
    module.num_batches_tracked.fill_(batches_before)
    with torch.no_grad():
        module.weight.copy_(torch.randn(module.weight.shape))
        module.bias.copy_(torch.randn(module.bias.shape))
        module.running_mean.copy_(torch.randn(module.running_mean.shape))
        module.running_var.copy_(torch.rand(module.running_var.shape) + 0.5)
    state(module)
    x = torch.randn(x_shape, requires_grad=True)
    emit("x", x)
    module.train()
    output = module(x)
    emit("after_running_mean", module.running_mean)
    emit("after_running_var", module.running_var)
    emit("after_num_batches_tracked", module.num_batches_tracked.to(torch.float64))
    module.eval()
    emit("eval_output", module(x))
    finish(module, x, output)


batch_norm("batch_norm1d", "BatchNorm1d 3 momentum=0.2", torch.nn.BatchNorm1d(3, momentum=0.2), (5, 3, 4))
batch_norm("batch_norm1d_2d_input", "BatchNorm1d 4", torch.nn.BatchNorm1d(4), (6, 4))
batch_norm("batch_norm2d", "BatchNorm2d 3", torch.nn.BatchNorm2d(3), (4, 3, 2, 3))

lines.append("case embedding Embedding 7 3 padding_idx=2")
emb = torch.nn.Embedding(7, 3, padding_idx=2)
state(emb)
idx = torch.tensor([[0, 2, 6], [2, 5, 0]])
emit("x", idx.to(torch.float64))
finish(emb, torch.zeros(1), emb(idx))

def attention(name, words, mha, key_length, attn_mask, pad):
    """Query (2, 4, 8), key and value (2, key_length, 8), under the two masks."""
    lines.append("case %s %s" % (name, words))
    state(mha)
    q = torch.randn(2, 4, 8, requires_grad=True)
    k = torch.randn(2, key_length, 8)
    v = torch.randn(2, key_length, 8)
    emit("x", q)
    emit("key", k)
    emit("value", v)
    emit("attn_mask", attn_mask.to(torch.float64))
    emit("key_padding_mask", pad.to(torch.float64))
    out, weights = mha(q, k, v, attn_mask=attn_mask, key_padding_mask=pad)
    emit("weights", weights)
    finish(mha, q, out)


mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
with torch.no_grad():
    mha.in_proj_bias.copy_(0.1 * torch.randn(24))
    mha.out_proj.bias.copy_(0.1 * torch.randn(8))
attn_mask = torch.zeros(4, 5, dtype=torch.bool)
attn_mask[0, 4] = True
attn_mask[2, 1] = True
pad = torch.zeros(2, 5, dtype=torch.bool)
pad[1, 3:] = True
attention("attention", "MultiheadAttention 8 2", mha, 5, attn_mask, pad)

# Appended (session 6): Linear with and without bias, attention without biases under a
# causal mask, and BatchNorm's cumulative average (momentum=None) after 3 earlier batches.
simple("linear", "Linear 5 3", torch.nn.Linear(5, 3), (4, 5))
simple("linear_no_bias", "Linear 5 3 bias=False", torch.nn.Linear(5, 3, bias=False), (4, 5))

attention("attention_no_bias", "MultiheadAttention 8 2 bias=False",
          torch.nn.MultiheadAttention(8, 2, batch_first=True, bias=False), 4,
          torch.triu(torch.ones(4, 4, dtype=torch.bool), 1), torch.zeros(2, 4, dtype=torch.bool))

batch_norm("batch_norm1d_cumulative", "BatchNorm1d 3 momentum=None",
           torch.nn.BatchNorm1d(3, momentum=None), (5, 3, 4), batches_before=3)

with open("layer_reference.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
