"""PyTorch peer for bench/backbone.ts: the same MobileNetV2 program (architecture and folded weights, exported
by the converter as program.json + weights.bin) run by Debian's PyTorch on the CPU.

Usage: python3 backbone.py <program-dir> <input.bin> <batch> <threads> <seconds> <mode> <out-features.bin>
mode: eager (NCHW), channels_last, or jit (torch.jit.trace + freeze + optimize_for_inference).
Prints one JSON object: images per second at batch 1 and at <batch>, and what was measured.
"""
import json
import statistics
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


def images_per_second(fn, x, seconds):
    """Median over timed rounds of about 0.5 s each, after a warm-up."""
    for _ in range(3):
        fn(x)
    rates = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        start = time.perf_counter()
        n = 0
        while True:
            fn(x)
            n += x.shape[0]
            if time.perf_counter() - start > 0.5:
                break
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    program_dir, input_file, batch, threads, seconds, mode, out_file = sys.argv[1:8]
    batch, threads, seconds = int(batch), int(threads), float(seconds)
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
        one = images_per_second(fetch, x[:1].contiguous(memory_format=torch.channels_last) if mode == "channels_last" else x[:1].contiguous(), seconds)
        many = images_per_second(fetch, x, seconds)
    print(json.dumps({
        "batch1_images_per_s": one,
        "batch_images_per_s": many,
        "batch": batch,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "mode": mode,
    }))


if __name__ == "__main__":
    main()
