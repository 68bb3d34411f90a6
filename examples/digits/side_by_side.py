#!/usr/bin/env python3
"""The digits CNN's first training steps in PyTorch, side by side with tapegrad's.

    digits --side-by-side DIR [--batch-size 256 --epochs 3]
    /usr/bin/python3 examples/digits/side_by_side.py DIR

`digits --side-by-side DIR` builds the example's model in double with dropout off
(p = 0: PyTorch cannot draw tapegrad's dropout masks), saves its initial weights
(init.npz), and trains its first 10 steps with the example's own AdamW and cosine
schedule, writing each step's batch (x_k.npy, y_k.npy, in the DataLoader's shuffled
order), loss (losses.txt) and learning rate (lrs.txt), and the settings (config.txt).

This script builds the same network as a torch.nn.Sequential, whose state_dict names
(0.weight, 0.bias, 3.weight, 3.bias, 8.weight, 8.bias) are those tapegrad's Sequential
gives, so init.npz loads with strict=True and no renaming. It trains the same batches
with torch.optim.AdamW and CosineAnnealingLR (stepped once per epoch, after
batches_per_epoch optimizer steps, as the example does), prints step / tapegrad loss /
PyTorch loss / |diff|, and exits 1 unless there are 10 steps (the example's
kSideBySideSteps), the learning rate changes among them (the cosine schedule is compared,
not only its first value), every |diff| <= 1e-10 and every step's learning rate is
tapegrad's to 1e-15 (relative).

--full trains the whole run in PyTorch instead (float32, dropout on, the example's
epochs and batch size from config.txt, torch's own shuffling) on the same split
(x_train.npy ... written by --side-by-side too) from the same initial weights, and
prints its test accuracy; run `digits --side-by-side DIR` with the example's default
settings first.

stdlib + numpy + torch only.
"""

import argparse
import os
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

TOLERANCE = 1e-10
LR_TOLERANCE = 1e-15
STEPS = 10  # what `digits --side-by-side` records (kSideBySideSteps in main.cpp)


def read_config(folder):
    """config.txt's "key value" lines as a dict of floats."""
    config = {}
    with open(os.path.join(folder, "config.txt")) as f:
        for line in f:
            if line.strip():
                key, value = line.split()
                config[key] = float(value)
    return config


def read_column(path):
    with open(path) as f:
        return [float(line) for line in f if line.strip()]


def make_model(dropout):
    """The example's CNN (examples/digits/model.hpp); indices = state_dict names."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),   # 0
        nn.ReLU(),                        # 1
        nn.MaxPool2d(2),                  # 2
        nn.Conv2d(16, 32, 3, padding=1),  # 3
        nn.ReLU(),                        # 4
        nn.MaxPool2d(2),                  # 5
        nn.Flatten(),                     # 6
        nn.Dropout(dropout),              # 7
        nn.Linear(128, 10),               # 8
    )


def load_init(model, folder, dtype):
    init = np.load(os.path.join(folder, "init.npz"))
    state = {name: torch.from_numpy(init[name]).to(dtype) for name in init.files}
    model.load_state_dict(state, strict=True)


def make_optimizer(model, config):
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config["lr"], betas=(config["beta1"], config["beta2"]),
        eps=config["eps"], weight_decay=config["weight_decay"], amsgrad=bool(config["amsgrad"]))
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=int(config["t_max"]), eta_min=config["eta_min"])
    return optimizer, schedule


def side_by_side(folder):
    torch.set_default_dtype(torch.float64)
    config = read_config(folder)
    tg_losses = read_column(os.path.join(folder, "losses.txt"))
    tg_lrs = read_column(os.path.join(folder, "lrs.txt"))
    if len(tg_losses) != STEPS or len(tg_lrs) != STEPS:
        print(f"FAIL: expected {STEPS} steps, got {len(tg_losses)} losses (losses.txt) and "
              f"{len(tg_lrs)} learning rates (lrs.txt): nothing or too little to compare")
        return 1
    if len(set(tg_lrs)) < 2:
        print(f"FAIL: the learning rate is {tg_lrs[0]:g} at every one of the {STEPS} steps: the "
              "cosine schedule was not compared; pick a batch size that makes an epoch shorter")
        return 1
    model = make_model(config["dropout"])
    load_init(model, folder, torch.float64)
    model.train()
    optimizer, schedule = make_optimizer(model, config)
    batches_per_epoch = int(config["batches_per_epoch"])

    print(f"digits side by side: {len(tg_losses)} steps, batch {int(config['batch_size'])}, "
          f"{batches_per_epoch} batches per epoch, double, dropout off (p = 0)")
    print(f"{'step':>4}  {'lr':>10}  {'tapegrad loss':>22}  {'PyTorch loss':>22}  {'|diff|':>9}")
    worst, ok = 0.0, True
    for k, tg_loss in enumerate(tg_losses):
        x = torch.from_numpy(np.load(os.path.join(folder, f"x_{k}.npy")))
        y = torch.from_numpy(np.load(os.path.join(folder, f"y_{k}.npy"))).long()
        lr = optimizer.param_groups[0]["lr"]
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (k + 1) % batches_per_epoch == 0:
            schedule.step()  # the example steps its schedule after each epoch
        diff = abs(loss.item() - tg_loss)
        worst = max(worst, diff)
        lr_ok = abs(lr - tg_lrs[k]) <= LR_TOLERANCE * tg_lrs[k]
        ok = ok and diff <= TOLERANCE and lr_ok
        note = "" if lr_ok else f"  (tapegrad's lr {tg_lrs[k]:.17g})"
        print(f"{k:>4}  {lr:>10.3e}  {tg_loss:>22.17g}  {loss.item():>22.17g}  {diff:>9.2e}{note}")
    print(f"largest |diff| {worst:.2e} (tolerance {TOLERANCE:g}): "
          f"{'the losses agree' if ok else 'MISMATCH'}")
    return 0 if ok else 1


def full_run(folder, seed):
    torch.manual_seed(seed)
    config = read_config(folder)
    data = {name: np.load(os.path.join(folder, name + ".npy"))
            for name in ("x_train", "y_train", "x_test", "y_test")}
    x_train = torch.from_numpy(data["x_train"]).float()
    y_train = torch.from_numpy(data["y_train"]).long()
    x_test = torch.from_numpy(data["x_test"]).float()
    y_test = torch.from_numpy(data["y_test"]).long()
    model = make_model(config["train_dropout"])
    load_init(model, folder, torch.float32)
    optimizer, schedule = make_optimizer(model, config)
    epochs, batch = int(config["t_max"]), int(config["batch_size"])
    print(f"digits in PyTorch: {len(y_train)} training and {len(y_test)} test images, "
          f"{epochs} epochs, batch {batch}, float32, dropout {config['train_dropout']:g}")
    began = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(y_train))
        for start in range(0, len(y_train), batch):
            rows = order[start:start + batch]
            loss = nn.functional.cross_entropy(model(x_train[rows]), y_train[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        schedule.step()
    seconds = time.perf_counter() - began
    model.eval()
    with torch.no_grad():
        right = (model(x_test).argmax(1) == y_test).sum().item()
    print(f"PyTorch final test accuracy {100 * right / len(y_test):.2f} % "
          f"({right} of {len(y_test)}) after {epochs} epochs, {seconds:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory {peak:.1f} MiB (getrusage ru_maxrss)")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="the folder `digits --side-by-side DIR` wrote")
    parser.add_argument("--full", action="store_true",
                        help="train the whole run in PyTorch (float32, dropout on) instead")
    parser.add_argument("--seed", type=int, default=1, help="torch's seed for --full")
    args = parser.parse_args()
    torch.set_num_threads(1)
    try:
        return full_run(args.dir, args.seed) if args.full else side_by_side(args.dir)
    except (OSError, KeyError) as e:
        print(f"side_by_side.py: {e} (run `digits --side-by-side {args.dir}` first)",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
