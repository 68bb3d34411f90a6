#!/usr/bin/env python3
"""Writes attention_reference.txt: PyTorch 1.13's attention under every kind of mask, for
tests/ops/attention_test.cpp (tg::scaled_dot_product_attention and its _heads form) and
tests/nn/attention_masks_test.cpp (tg::nn::MultiheadAttention), values and gradients in
float64, compared to 1e-12 (NaN where PyTorch has NaN).

Needs Debian's python3-torch; run from this folder with /usr/bin/python3. The C++ tests
read only the text file.

The two conventions of a boolean mask are PyTorch's own: torch.nn.MultiheadAttention
reads True as "may not attend" (tapegrad's MaskKind::block), the scaled-dot-product
function (torch 1.13's private torch.nn.functional._scaled_dot_product_attention, PyTorch
2's public one) reads True as "may attend" (MaskKind::allow). A float mask is added to the
scores in both. Boolean masks are written as 0/1.

Cases (tests/reference_data.hpp's format):

    case sdpa NAME mask=KIND causal=0|1 heads=H      H = 0: the plain op; else the _heads form
        query key value [attn_mask] cotangent output grad_query grad_key grad_value
    case mha NAME attn=KIND padding=KIND causal=0|1  KIND: none, additive, allow or block
        in_proj_weight in_proj_bias out_proj.weight out_proj.bias (state_dict names)
        query key value [attn_mask] [key_padding_mask] cotangent output weights
        grad_<parameter> grad_query grad_key grad_value

The gradients are those of sum(cotangent * output). PyTorch 1.13's MultiheadAttention has
no is_causal: the causal cases give it the causal mask (True above the diagonal) merged
into attn_mask, as tapegrad's is_causal adds it. Nor does 1.13 add a float
key_padding_mask to a float attn_mask (it reads the padding as boolean then, or raises):
that case gives PyTorch their sum as a 3-D attn_mask, which is what PyTorch 2 computes.
"""
import math

import torch
import torch.nn.functional as F

torch.manual_seed(24)
D = torch.float64
torch.set_default_dtype(D)
inf = float("inf")
lines = [f"# written by tests/data/make_attention_reference.py with torch {torch.__version__}; "
         "do not edit"]


def emit(key, t):
    t = t.detach().clone()
    dims = " ".join(str(d) for d in t.shape)
    values = " ".join(repr(float(v)) for v in t.flatten().tolist())
    lines.append(f"{key} {t.dim()} {dims} {values}".replace("  ", " ").rstrip())


def as_01(mask):
    return mask.to(D)


def causal_block(l, s):
    """True above the diagonal: the keys a causal query may not see."""
    return torch.triu(torch.ones(l, s, dtype=torch.bool), 1)


# ---- scaled_dot_product_attention -----------------------------------------------------------


def sdpa_torch(q, k, v, mask, kind, causal):
    """PyTorch's attention of (..., L, E) inputs: the 1.13 function where it takes the
    arguments, the same formula written out where it does not (a mask with is_causal)."""
    if not causal or mask is None:
        m = mask if kind != "block" else ~mask
        return F._scaled_dot_product_attention(q, k, v, m, 0.0, False, causal)[0]
    if kind == "additive":
        add = mask
    else:
        allowed = mask if kind == "allow" else ~mask
        add = torch.zeros(allowed.shape).masked_fill(~allowed, -inf)
    l, s = q.shape[-2], k.shape[-2]
    add = add + torch.zeros(l, s).masked_fill(causal_block(l, s), -inf)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + add
    return torch.softmax(scores, -1) @ v


def split(x, h):
    n, r, e = x.shape
    return x.reshape(n, r, h, e // h).permute(0, 2, 1, 3)


def merge(y):
    n, h, r, w = y.shape
    return y.permute(0, 2, 1, 3).reshape(n, r, h * w)


def sdpa_case(name, shapes, mask, kind, causal=False, heads=0):
    q, k, v = (torch.randn(*s, requires_grad=True) for s in shapes)
    if heads:
        out = merge(sdpa_torch(split(q, heads), split(k, heads), split(v, heads), mask, kind,
                               causal))
    else:
        out = sdpa_torch(q, k, v, mask, kind, causal)
    cot = torch.randn(out.shape)
    gq, gk, gv = torch.autograd.grad((out * cot).sum(), [q, k, v])
    lines.append(f"case sdpa {name} mask={kind if mask is not None else 'none'} "
                 f"causal={int(causal)} heads={heads}")
    for key, t in [("query", q), ("key", k), ("value", v)]:
        emit(key, t)
    if mask is not None:
        emit("attn_mask", mask if kind == "additive" else as_01(mask))
    for key, t in [("cotangent", cot), ("output", out), ("grad_query", gq), ("grad_key", gk),
                   ("grad_value", gv)]:
        emit(key, t)
    lines.append("end")


def alibi(l, s, slope):
    """ALiBi's bias: −slope · (distance from the query to the key)."""
    return -slope * (torch.arange(l)[:, None] - torch.arange(s)[None, :]).abs().to(D)


shapes4 = [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)]
bias = alibi(3, 5, 0.5) + 0.3 * torch.randn(3, 5)
bias[0, 4] = -inf
bias[2, 1] = -inf
sdpa_case("additive_bias", shapes4, bias, "additive")
sdpa_case("additive_bias_causal", shapes4, bias, "additive", causal=True)
allowed = torch.rand(2, 1, 3, 5) > 0.3
allowed[..., 0] = True  # no row without a key
sdpa_case("allow", shapes4, allowed, "allow")
sdpa_case("allow_causal", shapes4, allowed, "allow", causal=True)
sdpa_case("block", shapes4, ~allowed, "block")
sdpa_case("causal_only", [(2, 4, 4), (2, 4, 4), (2, 4, 2)], None, "none", causal=True)
# The heads side by side: (N, L, h·d) with h = 2; the mask broadcasts over (N, h, L, S).
per_head = torch.stack([alibi(4, 6, 0.25), alibi(4, 6, 1.0)])[None]  # (1, 2, 4, 6)
sdpa_case("heads_alibi", [(2, 4, 6), (2, 6, 6), (2, 6, 4)], per_head, "additive", heads=2)
sdpa_case("heads_block_causal", [(2, 5, 4), (2, 5, 4), (2, 5, 4)],
          torch.rand(2, 1, 1, 5) > 0.7, "block", causal=True, heads=2)
# A query whose every key is masked: NaN, as PyTorch gives.
row = torch.ones(3, 5, dtype=torch.bool)
row[1] = False
sdpa_case("allow_row_masked", shapes4, row, "allow")

# ---- MultiheadAttention ---------------------------------------------------------------------

E, H, N = 8, 2, 2


def mha_case(name, l, s, attn=None, attn_kind="none", pad=None, pad_kind="none", causal=False,
             torch_attn=None, torch_pad=None):
    """attn / pad: the masks as tapegrad gets them (kind as said); torch_attn / torch_pad:
    what PyTorch 1.13's MultiheadAttention gets (bool = True masked)."""
    mha = torch.nn.MultiheadAttention(E, H, batch_first=True)
    with torch.no_grad():
        mha.in_proj_bias.copy_(0.1 * torch.randn(3 * E))
        mha.out_proj.bias.copy_(0.1 * torch.randn(E))
    q = torch.randn(N, l, E, requires_grad=True)
    k = torch.randn(N, s, E, requires_grad=True)
    v = torch.randn(N, s, E, requires_grad=True)
    out, weights = mha(q, k, v, attn_mask=torch_attn, key_padding_mask=torch_pad)
    cot = torch.randn(out.shape)
    params = list(mha.named_parameters())
    grads = torch.autograd.grad((out * cot).sum(), [p for _, p in params] + [q, k, v])
    lines.append(f"case mha {name} attn={attn_kind} padding={pad_kind} causal={int(causal)}")
    for key, p in mha.state_dict().items():
        emit(key, p)
    for key, t in [("query", q), ("key", k), ("value", v)]:
        emit(key, t)
    if attn is not None:
        emit("attn_mask", attn if attn_kind == "additive" else as_01(attn))
    if pad is not None:
        emit("key_padding_mask", pad if pad_kind == "additive" else as_01(pad))
    emit("cotangent", cot)
    emit("output", out)
    emit("weights", weights)
    for (key, _), g in zip(params, grads):
        emit("grad_" + key, g)
    for key, g in zip(["query", "key", "value"], grads[len(params):]):
        emit("grad_" + key, g)
    lines.append("end")


L, S = 4, 5
blocked = torch.zeros(L, S, dtype=torch.bool)
blocked[0, 4] = blocked[2, 1] = blocked[3, 0] = True
padding = torch.zeros(N, S, dtype=torch.bool)
padding[1, 3:] = True
float_attn = alibi(L, S, 0.5) + 0.2 * torch.randn(L, S)
float_attn[1, 2] = -inf
float_pad = torch.tensor([[0.0, -0.5, 0.25, 1.0, -inf], [0.3, 0.0, -inf, -2.0, 0.1]])

mha_case("bool_attn_bool_padding", L, S, blocked, "block", padding, "block",
         torch_attn=blocked, torch_pad=padding)
mha_case("float_attn_bool_padding", L, S, float_attn, "additive", padding, "block",
         torch_attn=float_attn, torch_pad=padding)
both = (float_attn[None, None] + float_pad[:, None, None, :]).expand(N, H, L, S)
mha_case("float_attn_float_padding", L, S, float_attn, "additive", float_pad, "additive",
         torch_attn=both.reshape(N * H, L, S))
mha_case("float_padding", L, S, pad=float_pad, pad_kind="additive", torch_pad=float_pad)
mha_case("allow_attn", L, S, ~blocked, "allow", torch_attn=blocked)
# is_causal (L = S), on top of a boolean or a float attn_mask and the padding.
C = 4
causal_blocked = torch.zeros(C, C, dtype=torch.bool)
causal_blocked[2, 0] = True
causal_pad = torch.zeros(N, C, dtype=torch.bool)
causal_pad[0, 3] = True
mha_case("causal_bool_attn_bool_padding", C, C, causal_blocked, "block", causal_pad, "block",
         causal=True, torch_attn=causal_blocked | causal_block(C, C), torch_pad=causal_pad)
causal_float = alibi(C, C, 0.75) + 0.2 * torch.randn(C, C)
mha_case("causal_float_attn", C, C, causal_float, "additive", causal=True,
         torch_attn=causal_float.masked_fill(causal_block(C, C), -inf))
mha_case("causal_only_bool_padding", C, C, pad=causal_pad, pad_kind="block", causal=True,
         torch_attn=causal_block(C, C), torch_pad=causal_pad)
# A 3-D attn_mask (N·num_heads, L, S): ALiBi's per-head slopes.
per_head_bias = torch.stack([alibi(L, S, m) for m in (0.5, 0.125)] * N)
mha_case("attn_3d_float_bool_padding", L, S, per_head_bias, "additive", padding, "block",
         torch_attn=per_head_bias, torch_pad=padding)
# Query 2 of item 0, head 1, has every key masked: NaN in its row, and in every gradient
# it reaches, as PyTorch gives.
row = torch.zeros(N * H, L, S, dtype=torch.bool)
row[1, 2, :] = True
mha_case("masked_row", L, S, row, "block", torch_attn=row)

with open("attention_reference.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
