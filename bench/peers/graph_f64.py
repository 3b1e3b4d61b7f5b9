"""Double-precision referee for bench/train.ts (bench only: never used by the app or the tests).

Runs Lightbox's own training graph (the ONNX that main/ml/train writes: forward pass, autodiff backward
pass, optimizer update) in float64, node by node on PyTorch's double kernels (onnxruntime has no double
Conv kernel), next to PyTorch's own autograd training in float64, from the same initial weights on the same
batches. Identical maths then agree to ~1e-12; a real difference (a wrong formula, a different convention)
shows as a large gap.

usage: python3 graph_f64.py <scenario-dir> <steps> [threads]
Reads graph.json / graph.bin written by the bench next to the scenario; prints one JSON line.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from torch_train import build

DTYPES = {1: np.float32, 2: np.uint8, 6: np.int32, 7: np.int64, 9: np.bool_, 11: np.float64}


def ints(v):
    return [int(i) for i in v]


def conv_pads(pads):
    top, left, bottom, right = pads
    return top, left, bottom, right


def run_conv(x, w, b, a):
    stride = ints(a.get("strides", [1, 1]))
    dil = ints(a.get("dilations", [1, 1]))
    top, left, bottom, right = ints(a.get("pads", [0, 0, 0, 0]))
    x = F.pad(x, (left, right, top, bottom))
    return F.conv2d(x, w, b, stride=stride, dilation=dil, groups=int(a.get("group", 1)))


def run_conv_transpose(x, w, a):
    stride = ints(a.get("strides", [1, 1]))
    dil = ints(a.get("dilations", [1, 1]))
    top, left, bottom, right = ints(a.get("pads", [0, 0, 0, 0]))
    oph, opw = ints(a.get("output_padding", [0, 0]))
    full = F.conv_transpose2d(x, w, stride=stride, dilation=dil, groups=int(a.get("group", 1)))
    full = F.pad(full, (0, opw, 0, oph))  # output padding: extra cells the input never reaches
    return full[:, :, top:full.shape[2] - bottom, left:full.shape[3] - right]


def reduce_axes(x, a, axes_input=None):
    if axes_input is not None:
        axes = ints(axes_input.tolist())
    else:
        axes = ints(a.get("axes", []))
    if not axes:
        axes = list(range(x.dim()))
    return [ax % x.dim() for ax in axes], bool(a.get("keepdims", 1))


def reshape_to(x, shape):
    shape = ints(shape.tolist())
    shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return x.reshape(shape)


def run_node(op, ins, a, float_type):
    """One ONNX node on torch tensors; returns the list of outputs."""
    x = ins[0] if ins else None
    if op in ("Add", "Sub", "Mul", "Div", "Equal", "Greater", "Pow", "Min", "Max"):
        fn = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div, "Equal": torch.eq,
              "Greater": torch.gt, "Pow": torch.pow, "Min": torch.minimum, "Max": torch.maximum}[op]
        return [fn(ins[0], ins[1])]
    if op == "Sum":
        out = ins[0]
        for t in ins[1:]:
            out = out + t
        return [out]
    unary = {"Relu": torch.relu, "Neg": torch.neg, "Exp": torch.exp, "Log": torch.log, "Sqrt": torch.sqrt,
             "Reciprocal": torch.reciprocal, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "Sign": torch.sign,
             "Softplus": F.softplus, "Identity": lambda t: t}
    if op in unary:
        return [unary[op](x)]
    if op == "LeakyRelu":
        return [F.leaky_relu(x, float(a.get("alpha", 0.01)))]
    if op in ("Softmax", "LogSoftmax"):
        fn = torch.softmax if op == "Softmax" else torch.log_softmax
        return [fn(x, int(a.get("axis", -1)))]
    if op == "Cast":
        to = int(a["to"])
        # float32 is the engine's working precision: here it stays double.
        return [x.to(float_type if to in (1, 11) else {7: torch.int64, 6: torch.int32, 9: torch.bool, 2: torch.uint8}[to])]
    if op == "Where":
        return [torch.where(ins[0], ins[1], ins[2])]
    if op in ("ReduceSum", "ReduceMean", "ReduceSumSquare", "ReduceMax"):
        axes, keep = reduce_axes(x, a, ins[1] if op == "ReduceSum" and len(ins) > 1 else None)
        if op == "ReduceSum":
            return [x.sum(dim=axes, keepdim=keep)]
        if op == "ReduceMean":
            return [x.mean(dim=axes, keepdim=keep)]
        if op == "ReduceSumSquare":
            return [(x * x).sum(dim=axes, keepdim=keep)]
        return [x.amax(dim=axes, keepdim=keep)]
    if op == "Reshape":
        return [reshape_to(x, ins[1])]
    if op == "Flatten":
        axis = int(a.get("axis", 1))
        return [x.reshape(int(np.prod(x.shape[:axis])), -1)]
    if op == "Transpose":
        return [x.permute(ints(a["perm"]))]
    if op == "Unsqueeze":
        out = x
        for ax in sorted(ints(ins[1].tolist())):
            out = out.unsqueeze(ax)
        return [out]
    if op == "Expand":
        return [x.expand(ints(ins[1].tolist()))]
    if op == "Concat":
        return [torch.cat(ins, int(a["axis"]))]
    if op == "Split":
        return list(torch.split(x, ints(ins[1].tolist()), int(a.get("axis", 0))))
    if op == "Slice":
        starts, ends = ints(ins[1].tolist()), ints(ins[2].tolist())
        axes = ints(ins[3].tolist()) if len(ins) > 3 else list(range(len(starts)))
        index = [slice(None)] * x.dim()
        for s, e, ax in zip(starts, ends, axes):
            index[ax] = slice(s, e)
        return [x[tuple(index)]]
    if op == "Pad":
        pads = ints(ins[1].tolist())
        r = x.dim()
        torch_pads = []
        for d in reversed(range(r)):
            torch_pads += [pads[d], pads[d + r]]
        return [F.pad(x, torch_pads)]
    if op == "MatMul":
        return [torch.matmul(ins[0], ins[1])]
    if op == "FusedMatMul":
        left = ins[0].transpose(-1, -2) if int(a.get("transA", 0)) else ins[0]
        right = ins[1].transpose(-1, -2) if int(a.get("transB", 0)) else ins[1]
        return [torch.matmul(left, right) * float(a.get("alpha", 1.0))]
    if op == "Gemm":
        left = ins[0].t() if int(a.get("transA", 0)) else ins[0]
        right = ins[1].t() if int(a.get("transB", 0)) else ins[1]
        out = float(a.get("alpha", 1.0)) * (left @ right)
        if len(ins) > 2 and ins[2] is not None:
            out = out + float(a.get("beta", 1.0)) * ins[2]
        return [out]
    if op == "Conv":
        return [run_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op == "ConvTranspose":
        return [run_conv_transpose(ins[0], ins[1], a)]
    if op == "BatchNormalization":
        scale, bias, mean, var = ins[1:5]
        shape = [1, -1] + [1] * (x.dim() - 2)
        eps = float(a.get("epsilon", 1e-5))
        inv = 1 / torch.sqrt(var + eps)
        return [(x - mean.reshape(shape)) * (scale * inv).reshape(shape) + bias.reshape(shape)]
    if op in ("MaxPool", "AveragePool"):
        top, left, bottom, right = ints(a.get("pads", [0, 0, 0, 0]))
        if (top, left) != (bottom, right):
            raise ValueError(op + ": asymmetric pads")
        kernel, stride = ints(a["kernel_shape"]), ints(a.get("strides", a["kernel_shape"]))
        if op == "AveragePool":
            return [F.avg_pool2d(x, kernel, stride, (top, left), count_include_pad=bool(a.get("count_include_pad", 0)))]
        y, idx = F.max_pool2d(x, kernel, stride, (top, left), return_indices=True)
        n, c, h, w = x.shape
        base = (torch.arange(n * c).reshape(n, c, 1, 1) * (h * w))
        return [y, idx + base]  # ONNX indices count over the whole tensor
    if op == "GlobalAveragePool":
        return [x.mean(dim=list(range(2, x.dim())), keepdim=True)]
    if op == "ConstantOfShape":
        return [torch.zeros(ints(x.tolist()), dtype=float_type)]
    raise ValueError("graph_f64: no double-precision implementation of ONNX op " + op)


class GraphRunner:
    def __init__(self, folder, float_type):
        with open(os.path.join(folder, "graph.json")) as f:
            self.spec = json.load(f)
        raw = np.fromfile(os.path.join(folder, "graph.bin"), dtype=np.uint8)
        self.float_type = float_type
        self.initializers = {}
        for t in self.spec["initializers"]:
            arr = np.frombuffer(raw[t["offset"]:t["offset"] + t["bytes"]].tobytes(), dtype=DTYPES[t["dtype"]]).reshape(t["dims"])
            tensor = torch.from_numpy(arr.copy())
            self.initializers[t["name"]] = tensor.to(float_type) if t["dtype"] in (1, 11) else tensor

    def run(self, feeds, fetch):
        env = dict(self.initializers)
        env.update(feeds)
        for node in self.spec["nodes"]:
            ins = [env[name] if name else None for name in node["inputs"]]
            outs = run_node(node["op"], ins, node["attrs"], self.float_type)
            for name, value in zip(node["outputs"], outs):
                if name:
                    env[name] = value
        return {name: env[name] for name in fetch}


def main():
    folder, steps = sys.argv[1], int(sys.argv[2])
    with open(os.path.join(folder, "scenario.json")) as f:
        sc = json.load(f)
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else sc["threads"])
    dt = torch.float64
    runner = GraphRunner(folder, dt)
    spec = runner.spec
    blob = np.fromfile(os.path.join(folder, "weights.f32"), dtype=np.float32)
    initial = {name: torch.from_numpy(blob[e["offset"]:e["offset"] + e["size"]].copy()).reshape(e["shape"]).to(dt)
               for name, e in sc["weights"].items()}
    x_all = torch.from_numpy(np.fromfile(os.path.join(folder, "x.f32"), dtype=np.float32).reshape([sc["count"]] + sc["input_shape"])).to(dt)
    y_all = torch.from_numpy(np.fromfile(os.path.join(folder, "y.i64"), dtype=np.int64))
    order = torch.from_numpy(np.fromfile(os.path.join(folder, "order.i64"), dtype=np.int64).reshape(-1, sc["batch"]))

    # Our graph: state in, updated state out, fed back.
    state = {}
    for s in spec["state"]:
        state[s["input"]] = initial[s["torch"]].clone() if s["kind"] == "param" else torch.zeros(s["shape"], dtype=dt)
    classes = spec["classes"]
    graph_losses = []
    for k in range(steps):
        idx = order[k % order.shape[0]]
        target = F.one_hot(y_all.index_select(0, idx), classes).to(dt) / sc["batch"]
        feeds = dict(state)
        feeds[spec["data_input"]] = x_all.index_select(0, idx)
        feeds[spec["target_input"]] = target
        for name, value in spec["scalars"][k].items():
            feeds[name] = torch.tensor(value, dtype=dt)
        out = runner.run(feeds, [spec["loss_output"]] + [s["output"] for s in spec["state"]])
        graph_losses.append(float(out[spec["loss_output"]]))
        state = {s["input"]: out[s["output"]] for s in spec["state"]}

    # PyTorch's own float64 training, as torch_train.py does it.
    model = build(sc["layers"]).to(dt)
    model.load_state_dict({**model.state_dict(), **initial})
    opt = sc["optimizer"]
    if opt["type"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=opt["lr"], momentum=opt["momentum"])
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"],
                                      weight_decay=opt["weight_decay"], foreach=False)
    model.train()
    torch_losses = []
    for k in range(steps):
        idx = order[k % order.shape[0]]
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x_all.index_select(0, idx)), y_all.index_select(0, idx))
        loss.backward()
        optimizer.step()
        torch_losses.append(float(loss))

    # Largest relative difference of any parameter or running statistic after the last step.
    final = model.state_dict()
    state_diff = 0.0
    for s in spec["state"]:
        if s["kind"] == "param":
            ours, theirs = state[s["input"]], final[s["torch"]]
            state_diff = max(state_diff, float((ours - theirs).norm() / theirs.norm()))
    rel = [abs(a - b) / abs(b) for a, b in zip(graph_losses, torch_losses)]
    print(json.dumps({"steps": steps, "max_rel_loss_diff": max(rel), "max_rel_state_diff": state_diff,
                      "graph_losses": graph_losses, "torch_losses": torch_losses}), flush=True)


if __name__ == "__main__":
    main()
