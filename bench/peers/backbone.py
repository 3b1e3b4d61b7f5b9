"""PyTorch peer for bench/backbone.ts: the same MobileNetV2 program (architecture and folded weights, exported
by the converter as program.json + weights.bin) run by Debian's PyTorch on the CPU.

Usage: python3 backbone.py <program-dir> <input.bin> <batch> <threads> <mode> <out-features.bin>
mode: eager (NCHW), channels_last, or jit (torch.jit.trace + freeze + optimize_for_inference).
Writes the features of the whole batch to <out-features.bin>, warms up, and prints one JSON line saying what
runs. Then it serves timing windows: for every line "<batch> <seconds>" read from stdin (batch 1 or <batch>)
it runs that batch for about that long and prints one JSON line {"images_per_s": ...}. The bench alternates
these windows with its own, so both sides see the same machine load.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


class Program(torch.nn.Module):
    def __init__(self, spec, blob):
        super().__init__()
        self.ops = spec["ops"]
        self.outputs = spec["outputs"]
        self.input_name = spec["input"]["name"]
        self.convs = torch.nn.ModuleDict()
        for op in self.ops:
            if op["op"] != "conv":
                continue
            cout, cin_g, kh, kw = op["weightShape"]
            t, l, b, r = op["pads"]
            symmetric = t == b and l == r
            conv = torch.nn.Conv2d(cin_g * op["group"], cout, (kh, kw), stride=tuple(op["stride"]),
                                   padding=(t, l) if symmetric else 0, groups=op["group"], bias=True)
            w = np.frombuffer(blob, dtype="<f4", count=cout * cin_g * kh * kw, offset=op["weightOffset"])
            bias = np.frombuffer(blob, dtype="<f4", count=cout, offset=op["biasOffset"])
            conv.weight.data = torch.from_numpy(w.copy()).reshape(cout, cin_g, kh, kw)
            conv.bias.data = torch.from_numpy(bias.copy())
            self.convs[op["name"]] = conv

    def forward(self, image):
        values = {self.input_name: image}
        for op in self.ops:
            if op["op"] == "conv":
                x = values[op["input"]]
                t, l, b, r = op["pads"]
                if not (t == b and l == r):
                    x = F.pad(x, (l, r, t, b))
                y = self.convs[op["name"]](x)
                if op["activation"] == "relu6":
                    y = F.relu6(y)
                elif op["activation"] == "relu":
                    y = F.relu(y)
                values[op["output"]] = y
            elif op["op"] == "add":
                values[op["output"]] = values[op["inputs"][0]] + values[op["inputs"][1]]
            elif op["op"] == "globalavgpool":
                values[op["output"]] = values[op["input"]].mean(dim=(2, 3))
        return tuple(values[o["tensor"]] for o in self.outputs)


def window(fn, x, seconds):
    """Images per second over one timed window of about `seconds` (at least one run)."""
    start = time.perf_counter()
    n = 0
    while True:
        fn(x)
        n += x.shape[0]
        if time.perf_counter() - start >= seconds:
            break
    return n / (time.perf_counter() - start)


def main():
    program_dir, input_file, batch, threads, mode, out_file = sys.argv[1:7]
    batch, threads = int(batch), int(threads)
    torch.set_num_threads(threads)
    spec = json.load(open(f"{program_dir}/program.json"))
    blob = open(f"{program_dir}/weights.bin", "rb").read()
    model = Program(spec, blob).eval()
    shape = spec["input"]
    x = torch.from_numpy(np.fromfile(input_file, dtype="<f4").copy()).reshape(batch, shape["channels"], shape["height"], shape["width"])
    names = [o["name"] for o in spec["outputs"]]
    wanted = [names.index(n) for n in spec["fetch"]]

    with torch.inference_mode():
        if mode == "channels_last":
            model = model.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
            run = model
        elif mode == "jit":
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x[:1])))
            run = frozen
        else:
            run = model

        def fetch(inp):
            out = run(inp)
            return [out[i] for i in wanted]

        features = fetch(x)
        with open(out_file, "wb") as f:
            for t in features:
                f.write(t.contiguous().float().numpy().astype("<f4").tobytes())
        inputs = {batch: x, 1: x[:1].contiguous(memory_format=torch.channels_last) if mode == "channels_last" else x[:1].contiguous()}
        # Warm-up: TorchScript's profiling executor optimises during the first calls at each shape.
        for b in inputs.values():
            for _ in range(3):
                fetch(b)
        print(json.dumps({
            "batch": batch,
            "threads": torch.get_num_threads(),
            "torch": torch.__version__,
            "mkldnn": torch.backends.mkldnn.is_available(),
            "mode": mode,
        }), flush=True)
        for line in sys.stdin:
            b, seconds = line.split()
            print(json.dumps({"images_per_s": window(fetch, inputs[int(b)], float(seconds))}), flush=True)


if __name__ == "__main__":
    main()
