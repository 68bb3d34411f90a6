#!/usr/bin/env python3
"""Writes init.npz and steps.npz: a small GPT-2 trained 10 steps by PyTorch 1.13 in float64,
for examples/gpt2/vs_pytorch_test.cpp (the example's model.cpp and train.cpp must give the
same losses to 1e-10); and the same initial weights in the two other layouts the example
reads, which the test must read back to init.npz's values: init_hf.npz as Hugging Face
stores GPT-2 (a "transformer." prefix, Conv1D's (in, out) weights, lm_head.weight and the
attention-mask buffers attn.bias and attn.masked_bias) and init_llmc.bin in llm.c's
checkpoint format (train_gpt2.c: a 256-int32 header, then float32 tensors in its order,
each layer's stacked, wte padded to a multiple of 128 rows).

Needs Debian's python3-torch; run from this folder with /usr/bin/python3. The C++ test
reads only the two files.

The model is GPT-2's (examples/gpt2/model.hpp), written here with torch.nn modules under
the same names, so init.npz (the initial state_dict: "wte.weight", "wpe.weight",
"h.0.ln_1.weight", "h.0.attn.c_attn.weight", ..., "ln_f.bias") loads as it is:
pre-LayerNorm blocks (eps 1e-5), causal attention with q, k, v from one c_attn, the tanh
GELU, logits = ln_f(h) @ wte.weightᵀ (weight tying), mean cross-entropy. GPT-2's
initialization: N(0, 0.02²), the c_proj weights N(0, (0.02/√(2L))²), biases 0, LayerNorm 1.

Training: AdamW (betas 0.9, 0.999, eps 1e-8), LinearLR from lr/100 over `warmup` steps then
CosineAnnealingLR to min_lr (SequentialLR), clip_grad_norm_ at `clip` (active at every step:
the norms are printed), 10 random batches of token ids.

steps.npz holds the settings (one-element arrays: vocab, context, layers, heads, channels,
lr, min_lr, warmup, steps, weight_decay, clip), x and y (10, B, T) and losses (10).
"""
import math
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
torch.manual_seed(29)
# SequentialLR calls step(0) on the cosine at the milestone: a deprecation warning only.
warnings.filterwarnings("ignore", message="The epoch parameter")

S = dict(vocab=64, context=8, layers=2, heads=2, channels=16, lr=1e-2, min_lr=1e-3, warmup=3,
         steps=10, weight_decay=0.1, clip=0.5)
B, T = 3, 8


class Attention(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(c // self.heads)
        scores = scores.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), -math.inf)
        y = torch.softmax(scores, -1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(b, t, c))


class Mlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c, 4 * c)
        self.c_proj = nn.Linear(4 * c, c)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c)
        self.attn = Attention(c, heads)
        self.ln_2 = nn.LayerNorm(c)
        self.mlp = Mlp(c)

    def forward(self, h):
        x = h + self.attn(self.ln_1(h))
        return x + self.mlp(self.ln_2(x))


class GPT2(nn.Module):
    def __init__(self, s):
        super().__init__()
        c = s["channels"]
        self.wte = nn.Embedding(s["vocab"], c)
        self.wpe = nn.Embedding(s["context"], c)
        self.h = nn.ModuleList(Block(c, s["heads"]) for _ in range(s["layers"]))
        self.ln_f = nn.LayerNorm(c)
        for name, p in self.named_parameters():
            if name.endswith(".bias"):
                nn.init.zeros_(p)
            elif "ln_" in name:
                nn.init.ones_(p)
            else:
                std = 0.02 / math.sqrt(2 * s["layers"]) if name.endswith("c_proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, x):
        h = self.wte(x) + self.wpe(torch.arange(x.shape[1]))
        for block in self.h:
            h = block(h)
        return self.ln_f(h) @ self.wte.weight.T


model = GPT2(S)
state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
np.savez("init.npz", **state)

hf = {}
for k, v in state.items():
    conv1d = k.startswith("h.") and k.endswith(".weight") and v.ndim == 2
    hf["transformer." + k] = v.T.copy() if conv1d else v
hf["lm_head.weight"] = state["wte.weight"]
for l in range(S["layers"]):
    hf[f"transformer.h.{l}.attn.bias"] = np.tril(np.ones((1, 1, S["context"], S["context"])))
    hf[f"transformer.h.{l}.attn.masked_bias"] = np.array(-1e4)
np.savez("init_hf.npz", **hf)

L, C, V = S["layers"], S["channels"], S["vocab"]
Vp = (V + 127) // 128 * 128
header = np.zeros(256, np.int32)
header[:8] = [20240326, 3, S["context"], V, L, S["heads"], C, Vp]
wte = np.zeros((Vp, C))
wte[:V] = state["wte.weight"]
stack = lambda name: np.stack([state[f"h.{l}.{name}"] for l in range(L)])
with open("init_llmc.bin", "wb") as f:
    f.write(header.tobytes())
    for a in [wte, state["wpe.weight"]] + [stack(n) for n in [
            "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
            "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
            "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"]] + [
            state["ln_f.weight"], state["ln_f.bias"]]:
        f.write(np.ascontiguousarray(a, np.float32).tobytes())
optimizer = torch.optim.AdamW(model.parameters(), lr=S["lr"], betas=(0.9, 0.999), eps=1e-8,
                              weight_decay=S["weight_decay"])
schedule = torch.optim.lr_scheduler.SequentialLR(
    optimizer,
    [torch.optim.lr_scheduler.LinearLR(optimizer, 0.01, 1.0, S["warmup"]),
     torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, S["steps"] - S["warmup"], S["min_lr"])],
    milestones=[S["warmup"]])
xs = torch.randint(0, S["vocab"], (S["steps"], B, T + 1))
losses = []
for k in range(S["steps"]):
    x, y = xs[k, :, :-1], xs[k, :, 1:]
    loss = F.cross_entropy(model(x).reshape(-1, S["vocab"]), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    norm = float(nn.utils.clip_grad_norm_(model.parameters(), S["clip"]))
    optimizer.step()
    schedule.step()
    losses.append(loss.item())
    print(f"step {k}: loss {loss.item():.17g}, gradient norm {norm:.4f} (clip {S['clip']})")
np.savez("steps.npz", x=xs[:, :, :-1].double().numpy(), y=xs[:, :, 1:].double().numpy(),
         losses=np.array(losses), **{k: np.array([float(v)]) for k, v in S.items()})
print(f"wrote init.npz, init_hf.npz, init_llmc.bin and steps.npz (torch {torch.__version__})")
