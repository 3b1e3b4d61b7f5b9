"""PyTorch peer for bench/train.ts (bench only: never used by the app or the tests).

Reads a scenario written by the bench (model layers, initial weights, data, batch order) and trains the
same network from the same weights on the same batches. Prints one JSON line with the loss of each of
the first `parity_steps` steps, then serves timing windows: for every line "<steps>" read from stdin it
runs that many further steps and prints one JSON line {"steps_per_s": ...}. The bench alternates these
windows with its own, so both sides see the same machine load.

usage: python3 torch_train.py <scenario-dir> [threads] [foreach] [float32|float64]   (override the scenario's settings)

With float64 the same network, initial weights and batches run in double precision: the referee that shows
how far each float32 implementation's loss curve lies from the exact one.
"""
import json
import os
import sys
import time

import numpy as np
import torch


def build(layers):
    modules = []
    for layer in layers:
        kind = layer["type"]
        if kind == "linear":
            modules.append(torch.nn.Linear(layer["in"], layer["out"], bias=layer["bias"]))
        elif kind == "conv":
            modules.append(torch.nn.Conv2d(layer["in"], layer["out"], layer["kernel"], stride=layer["stride"],
                                           padding=layer["padding"], groups=layer["groups"], bias=layer["bias"]))
        elif kind == "bn":
            modules.append(torch.nn.BatchNorm2d(layer["channels"], eps=layer["eps"], momentum=layer["momentum"])
                           if layer["spatial"] else
                           torch.nn.BatchNorm1d(layer["channels"], eps=layer["eps"], momentum=layer["momentum"]))
        elif kind == "relu":
            modules.append(torch.nn.ReLU())
        elif kind == "maxpool":
            modules.append(torch.nn.MaxPool2d(layer["kernel"], stride=layer["stride"]))
        elif kind == "gap":
            modules.append(torch.nn.AdaptiveAvgPool2d(1))
        elif kind == "flatten":
            modules.append(torch.nn.Flatten())
        else:
            raise ValueError("unknown layer " + kind)
    return torch.nn.Sequential(*modules)


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, "scenario.json")) as f:
        sc = json.load(f)
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 and int(sys.argv[2]) > 0 else sc["threads"])
    dtype = torch.float64 if len(sys.argv) > 4 and sys.argv[4] == "float64" else torch.float32
    model = build(sc["layers"]).to(dtype)
    blob = np.fromfile(os.path.join(folder, "weights.f32"), dtype=np.float32)
    state = model.state_dict()
    for name, entry in sc["weights"].items():
        tensor = torch.from_numpy(blob[entry["offset"]:entry["offset"] + entry["size"]].copy()).reshape(entry["shape"])
        state[name].copy_(tensor.to(dtype))
    x_all = torch.from_numpy(np.fromfile(os.path.join(folder, "x.f32"), dtype=np.float32).reshape([sc["count"]] + sc["input_shape"])).to(dtype)
    y_all = torch.from_numpy(np.fromfile(os.path.join(folder, "y.i64"), dtype=np.int64))
    order = torch.from_numpy(np.fromfile(os.path.join(folder, "order.i64"), dtype=np.int64).reshape(-1, sc["batch"]))
    opt = sc["optimizer"]
    if opt.get("type") == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=opt["lr"], momentum=opt["momentum"])
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"],
                                      weight_decay=opt["weight_decay"],
                                      foreach=(sys.argv[3] == "1") if len(sys.argv) > 3 else sc.get("foreach"))
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()

    def step(k):
        idx = order[k % order.shape[0]]
        xb = x_all.index_select(0, idx)
        yb = y_all.index_select(0, idx)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss

    losses = [float(step(k)) for k in range(sc["parity_steps"])]
    k = sc["parity_steps"]
    for _ in range(sc["warmup_steps"] if dtype == torch.float32 else 0):
        step(k)
        k += 1
    print(json.dumps({"losses": losses, "torch": torch.__version__, "threads": torch.get_num_threads(), "dtype": str(dtype)}), flush=True)
    for line in sys.stdin:
        steps = int(line)
        start = time.perf_counter()
        for _ in range(steps):
            step(k)
            k += 1
        print(json.dumps({"steps_per_s": steps / (time.perf_counter() - start)}), flush=True)


if __name__ == "__main__":
    main()
