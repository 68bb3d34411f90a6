#!/usr/bin/env python3
"""llm.c's step driver (../shared/peers/llmc/driver.c) in PyTorch, for
benchmarks/gpt2_vs_peers.sh:

    gpt2_torch_step.py CHECKPOINT.npz HEADS B T STEPS THREADS

CHECKPOINT.npz is what the peer's make_checkpoint.py writes beside its .bin (float32,
llm.c's names, each layer's tensors stacked). The model is GPT-2 as llm.c computes it
(pre-LayerNorm, eps 1e-5, q k v from one projection, causal attention, tanh GELU, logits
= x @ wteᵀ, mean cross-entropy), float32; the tokens are B·T + 1 draws of llm.c's
random_u32 from state 1234 modulo the vocabulary; AdamW at lr 1e-4, betas 0.9/0.999, eps
1e-8, no weight decay. One JSON line per step, as the peer prints.
"""
import json
import math
import sys
import time

import numpy as np
import torch
from torch.nn import functional as F


def random_u32(state):
    state ^= state >> 12
    state ^= (state << 25) & 0xFFFFFFFFFFFFFFFF
    state ^= state >> 27
    return state, ((state * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF) >> 32


def main():
    path, heads, b, t, steps, threads = sys.argv[1], *map(int, sys.argv[2:7])
    torch.set_num_threads(threads)
    with np.load(path) as f:
        p = {k: torch.from_numpy(f[k]).requires_grad_() for k in f.files}
    v, c = p["wte"].shape
    layers = p["qkvw"].shape[0]
    state, tokens = 1234, []
    for _ in range(b * t + 1):
        state, r = random_u32(state)
        tokens.append(r % v)
    tokens = torch.tensor(tokens)
    x, y = tokens[:-1].view(b, t), tokens[1:].view(b, t)
    causal = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
    optimizer = torch.optim.AdamW(p.values(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=0.0)

    def forward():
        h = p["wte"][x] + p["wpe"][:t]
        d = c // heads
        for l in range(layers):
            a = F.layer_norm(h, (c,), p["ln1w"][l], p["ln1b"][l], 1e-5)
            q, k, vv = F.linear(a, p["qkvw"][l], p["qkvb"][l]).split(c, dim=2)
            q, k, vv = (z.view(b, t, heads, d).transpose(1, 2) for z in (q, k, vv))
            s = (q @ k.transpose(-2, -1) / math.sqrt(d)).masked_fill(causal, -math.inf)
            o = (torch.softmax(s, -1) @ vv).transpose(1, 2).reshape(b, t, c)
            h = h + F.linear(o, p["attprojw"][l], p["attprojb"][l])
            m = F.layer_norm(h, (c,), p["ln2w"][l], p["ln2b"][l], 1e-5)
            m = F.gelu(F.linear(m, p["fcw"][l], p["fcb"][l]), approximate="tanh")
            h = h + F.linear(m, p["fcprojw"][l], p["fcprojb"][l])
        h = F.layer_norm(h, (c,), p["lnfw"], p["lnfb"], 1e-5)
        return F.cross_entropy((h @ p["wte"].T).view(-1, v), y.reshape(-1))

    for step in range(steps):
        start = time.perf_counter()
        loss = forward()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ms = (time.perf_counter() - start) * 1e3
        print(json.dumps({"peer": "pytorch", "B": b, "T": t, "threads": threads, "step": step,
                          "ms": round(ms, 3), "loss": round(loss.item(), 6)}, separators=(",", ":")),
              flush=True)


if __name__ == "__main__":
    main()
