#!/usr/bin/env python3
"""Trains the tiny transformer in PyTorch on the batches tapegrad wrote, and compares.

    tiny_transformer --side-by-side DIR [--batch-size 4 --context 16 ...]
    /usr/bin/python3 examples/tiny_transformer/side_by_side.py DIR

DIR holds init.npz (tapegrad's initial parameters, PyTorch state_dict names), x_k.npy
and y_k.npy (the first batches: character ids and the next characters), losses.txt
(tapegrad's loss at each of those steps, double) and config.txt (sizes and optimizer
settings). This script builds the same model from torch.nn modules -- Embedding,
MultiheadAttention(batch_first=True) with a causal attn_mask, LayerNorm, Linear,
GELU(approximate='none') -- loads init.npz with strict=True (the names match as they
are: no mapping is needed), trains the same steps with AdamW, LinearLR warmup then
CosineAnnealingLR (SequentialLR) and clip_grad_norm_, in float64 on one thread, prints
step / tapegrad / PyTorch / |diff| and exits 1 unless every step config.txt announces
(`batches`) has a loss, the steps reach past the warmup into the cosine (both parts of
the schedule are compared), and every |diff| <= 1e-10.

The model has no dropout (MultiheadAttention's dropout is 0), so both runs are
deterministic. Only the standard library, numpy and torch are used.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

TOLERANCE = 1e-10


def read_config(path):
    config = {}
    for line in path.read_text().splitlines():
        if line.strip():
            key, value = line.split()
            config[key] = float(value)
    return config


class Block(nn.Module):
    """Pre-LayerNorm block: h + attn(ln_1(h)), then + mlp(ln_2(h))."""

    def __init__(self, d_model, heads, mlp, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model, eps=eps)
        self.attn = nn.MultiheadAttention(d_model, heads, dropout=0.0, batch_first=True)
        self.ln_2 = nn.LayerNorm(d_model, eps=eps)
        self.mlp = nn.Sequential(nn.Linear(d_model, mlp), nn.GELU(approximate="none"),
                                 nn.Linear(mlp, d_model))

    def forward(self, h, causal):
        a = self.ln_1(h)
        x = h + self.attn(a, a, a, attn_mask=causal, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class TinyTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        vocab, context, d_model = int(c["vocab"]), int(c["context"]), int(c["d_model"])
        eps = c["layer_norm_eps"]
        self.tok_emb = nn.Embedding(vocab, d_model)
        self.pos_emb = nn.Embedding(context, d_model)
        self.blocks = nn.ModuleList(
            Block(d_model, int(c["heads"]), int(c["mlp"]), eps) for _ in range(int(c["layers"])))
        self.ln_f = nn.LayerNorm(d_model, eps=eps)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, x):
        length = x.shape[1]
        # True above the diagonal: position i may not look at j > i.
        causal = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
        h = self.tok_emb(x) + self.pos_emb(torch.arange(length))
        for block in self.blocks:
            h = block(h, causal)
        return self.head(self.ln_f(h))


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} DIR", file=sys.stderr)
        return 2
    directory = Path(sys.argv[1])
    torch.set_num_threads(1)
    # SequentialLR itself calls step(0) on the cosine at the milestone, which makes
    # PyTorch 1.13 warn about the deprecated epoch argument; nothing is wrong.
    warnings.filterwarnings("ignore", message="The epoch parameter")
    torch.set_default_dtype(torch.float64)
    c = read_config(directory / "config.txt")
    model = TinyTransformer(c)
    with np.load(directory / "init.npz") as init:
        state = {name: torch.from_numpy(init[name]) for name in init.files}
    model.load_state_dict(state, strict=True)

    optimizer = torch.optim.AdamW(model.parameters(), lr=c["lr"], betas=(c["beta1"], c["beta2"]),
                                  eps=c["eps"], weight_decay=c["weight_decay"])
    warmup, steps = int(c["warmup"]), int(c["steps"])
    schedule = torch.optim.lr_scheduler.SequentialLR(
        optimizer,
        [torch.optim.lr_scheduler.LinearLR(optimizer, c["warmup_start_factor"], 1.0, warmup),
         torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps - warmup, c["min_lr"])],
        milestones=[warmup])

    ours = [float(v) for v in (directory / "losses.txt").read_text().split()]
    if len(ours) != int(c["batches"]) or not 0 < warmup < len(ours):
        print(f"FAIL: {len(ours)} losses for the {int(c['batches'])} steps config.txt announces, "
              f"with a warmup of {warmup} steps: both the warmup and the cosine must be compared")
        return 1
    vocab = int(c["vocab"])
    worst = 0.0
    print(f"{'step':>4}  {'tapegrad':>22}  {'PyTorch':>22}  {'|diff|':>9}")
    for k, tapegrad_loss in enumerate(ours):
        x = torch.from_numpy(np.load(directory / f"x_{k}.npy")).long()
        y = torch.from_numpy(np.load(directory / f"y_{k}.npy")).long()
        loss = nn.functional.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), c["clip"])
        optimizer.step()
        schedule.step()
        diff = abs(loss.item() - tapegrad_loss)
        worst = max(worst, diff)
        print(f"{k:>4}  {tapegrad_loss:22.17f}  {loss.item():22.17f}  {diff:9.2e}")
    if not worst <= TOLERANCE:
        print(f"FAIL: largest |diff| {worst:.2e} > {TOLERANCE:g}")
        return 1
    print(f"the losses agree: largest |diff| {worst:.2e} <= {TOLERANCE:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
