#!/usr/bin/env python3
"""The sequence example's first training steps repeated in PyTorch (float64).

    sequence --side-by-side DIR [...]   # tapegrad: init.npz, x_k.npy, y_k.npy, losses.txt,
                                        # grad_norms.txt, config.txt
    side_by_side.py DIR                 # PyTorch: the same steps, compared

The model is torch.nn.LSTM(2, H, batch_first=True) followed by torch.nn.Linear(H, 1) on
the last step's hidden state; tapegrad's LSTM has PyTorch's gate order (i, f, g, o) and
parameter names, and the example registers its layers as "lstm" and "head", so init.npz
loads with load_state_dict(strict=True) and no name is mapped. There is no dropout in
this model. Each step: MSE loss, backward, clip_grad_norm_ (the same rule:
scale min(1, clip / (norm + 1e-6))), Adam step, zero_grad; CosineAnnealingLR steps once
per epoch of steps_per_epoch steps, as the example's does.

Prints step / tapegrad loss / PyTorch loss / |diff| (and the gradient norms before
clipping), and exits 1 unless every |diff| <= 1e-10, and unless the steps compared show
what the comparison is for: more steps than one epoch (the cosine schedule steps), and
at least one step whose gradient was clipped (clip_grad_norm_ scales it).

stdlib + numpy + torch only.
"""

import os
import sys

import numpy as np
import torch

TOLERANCE = 1e-10


class LstmRegressor(torch.nn.Module):
    """examples/sequence/model.hpp in PyTorch: LSTM, then Linear on the last hidden state."""

    def __init__(self, hidden):
        super().__init__()
        self.lstm = torch.nn.LSTM(2, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        _, (h, _) = self.lstm(x)  # h: (num_layers = 1, N, H)
        return self.head(h[0])


def read_config(path):
    config = {}
    with open(path) as f:
        for line in f:
            key, value = line.split()
            config[key] = float(value)
    return config


def read_column(path):
    with open(path) as f:
        return [float(line) for line in f if line.strip()]


def main():
    if len(sys.argv) != 2:
        print("usage: side_by_side.py DIR (written by `sequence --side-by-side DIR`)")
        return 2
    d = sys.argv[1]
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    c = read_config(os.path.join(d, "config.txt"))
    steps, steps_per_epoch = int(c["steps"]), int(c["steps_per_epoch"])

    model = LstmRegressor(int(c["hidden"])).double()
    with np.load(os.path.join(d, "init.npz")) as npz:
        model.load_state_dict({k: torch.from_numpy(npz[k]) for k in npz.files}, strict=True)
    opt = torch.optim.Adam(model.parameters(), lr=c["lr"], betas=(c["beta1"], c["beta2"]),
                           eps=c["eps"])
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=int(c["epochs"]))

    tg_losses = read_column(os.path.join(d, "losses.txt"))
    tg_norms = read_column(os.path.join(d, "grad_norms.txt"))
    if steps <= steps_per_epoch or len(tg_losses) != steps or len(tg_norms) != steps:
        print(f"FAIL: expected {steps} losses and gradient norms, more than one epoch of "
              f"{steps_per_epoch} steps, got {len(tg_losses)} and {len(tg_norms)}")
        return 1
    worst, clipped = 0.0, 0
    print("step  tapegrad loss         PyTorch loss          |diff|    "
          "grad norm (tapegrad)  |diff|")
    for k in range(steps):
        x = torch.from_numpy(np.load(os.path.join(d, f"x_{k}.npy")))
        y = torch.from_numpy(np.load(os.path.join(d, f"y_{k}.npy")))
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), c["clip"]))
        opt.step()
        opt.zero_grad()
        if (k + 1) % steps_per_epoch == 0:
            schedule.step()
        clipped += norm > c["clip"]
        dl, dn = abs(tg_losses[k] - loss.item()), abs(tg_norms[k] - norm)
        worst = max(worst, dl, dn)
        print(f"{k:4d}  {tg_losses[k]:.15f}  {loss.item():.15f}  {dl:.1e}   "
              f"{tg_norms[k]:.15f}  {dn:.1e}")
    print(f"gradient clipped to {c['clip']:g} in {clipped} of {steps} steps; "
          f"learning rate now {opt.param_groups[0]['lr']:.6g}")
    if not worst <= TOLERANCE:
        print(f"FAIL: largest |diff| {worst:.3e} > {TOLERANCE:g}")
        return 1
    if clipped == 0:
        print(f"FAIL: no gradient norm exceeded --clip {c['clip']:g}, so clipping was not "
              "compared; lower --clip")
        return 1
    print(f"OK: losses and gradient norms agree to {worst:.1e} (tolerance {TOLERANCE:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
