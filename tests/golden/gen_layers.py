"""Golden cases for nn layers (modules, not functions). Regenerate: /usr/bin/python3 tests/golden/gen_layers.py

Writes tests/golden/layers/layers.json (a subfolder: the op harness replays only the top-level
*.json files). Each case builds a torch.nn module from a spec that the C++ side
(tests/test_layers_golden.cpp) rebuilds with Ember's constructors, and records:
  keys      torch's state_dict key names and shapes of the freshly built module,
  state     the state_dict Ember loads (parameters randomized where torch starts them constant),
  steps     one or more forward passes: input, output, an upstream gradient, the input's gradient
            and every parameter's gradient (accumulated over the steps, as .grad would be),
  after     the state_dict after the steps (BatchNorm's running statistics and batch count).
The "init" section records the distribution torch's default initialization draws each parameter
from (derived from torch's own formulas and checked against torch's sample here).
Shapes stay tiny: the C++ test also checks every gradient by float64 finite differences.
"""
import json
import math
import os

import torch
import torch.nn as nn

from golden_lib import _tensor_json as _full_json


def _tensor_json(t):
    """float32 values with 9 significant digits: exactly the float32, and half the JSON of 17."""
    j = _full_json(t)
    if j["dtype"] == "float32":
        j["data"] = [float("%.9g" % v) for v in j["data"]]
    return j

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))

# spec: {"type": name, "args": {...}} with torch's constructor argument names; Sequential has "children".
CTORS = {
    "Linear": nn.Linear, "Conv1d": nn.Conv1d, "Conv2d": nn.Conv2d, "ConvTranspose2d": nn.ConvTranspose2d,
    "MaxPool2d": nn.MaxPool2d, "AvgPool2d": nn.AvgPool2d, "AdaptiveAvgPool2d": nn.AdaptiveAvgPool2d,
    "BatchNorm1d": nn.BatchNorm1d, "BatchNorm2d": nn.BatchNorm2d, "LayerNorm": nn.LayerNorm,
    "Embedding": nn.Embedding, "Dropout": nn.Dropout, "Flatten": nn.Flatten, "Unflatten": nn.Unflatten, "Identity": nn.Identity,
    "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU, "GELU": nn.GELU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid,
    "SiLU": nn.SiLU, "Softmax": nn.Softmax, "LogSoftmax": nn.LogSoftmax,
}


def build(spec):
    if spec["type"] == "Sequential":
        return nn.Sequential(*[build(c) for c in spec["children"]])
    return CTORS[spec["type"]](**spec.get("args", {}))


def M(type_, **args):
    return {"type": type_, "args": args}


def Seq(*children):
    return {"type": "Sequential", "children": list(children)}


def randomize_constants(m):
    """Norm layers start at weight 1, bias 0, mean 0, var 1: give them values that would expose a
    swapped or ignored tensor."""
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
                if getattr(mod, "weight", None) is not None:
                    mod.weight.uniform_(0.5, 1.5)
                    mod.bias.uniform_(-0.5, 0.5)
                if getattr(mod, "running_mean", None) is not None:
                    mod.running_mean.uniform_(-0.5, 0.5)
                    mod.running_var.uniform_(0.5, 2.0)
                    mod.num_batches_tracked.fill_(3)


cases = []


def case(name, spec, inputs, train=True, rtol=1e-5, atol=1e-6, randomize=True):
    """inputs: one tensor per forward pass (float inputs get gradients; int64 ones are indices)."""
    m = build(spec)
    keys = [[k, list(v.shape)] for k, v in m.state_dict().items()]
    if randomize:
        randomize_constants(m)
    m.train(train)
    state = {k: _tensor_json(v) for k, v in m.state_dict().items()}
    order = [k for k, _ in m.state_dict().items()]
    steps = []
    for x in inputs:
        x = x.clone()
        if x.is_floating_point():
            x.requires_grad_(True)
        out = m(x)
        g = torch.randn(out.shape, dtype=out.dtype)
        out.backward(g)
        steps.append({"input": _tensor_json(x), "output": _tensor_json(out), "grad_output": _tensor_json(g),
                      "input_grad": _tensor_json(x.grad) if x.is_floating_point() else None})
    # Gradients accumulate over the steps into .grad, as they would in Ember.
    grads = {k: _tensor_json(p.grad if p.grad is not None else torch.zeros_like(p)) for k, p in m.named_parameters()}
    after = {k: _tensor_json(v) for k, v in m.state_dict().items()}
    cases.append({"name": name, "spec": spec, "train": train, "rtol": rtol, "atol": atol, "keys": keys,
                  "state_order": order, "state": state, "steps": steps, "param_grads": grads, "after": after})


r = lambda *s: torch.randn(*s)
# Convolutions sum a few dozen float32 products of N(0,1)-scale values; PyTorch (oneDNN) and
# Ember (im2col + BLAS) add them in different orders, which moves the last bits (~1e-6 absolute).
CONV = {"rtol": 1e-5, "atol": 1e-5}

# ---- Linear ----
case("linear", M("Linear", in_features=4, out_features=3), [r(2, 4)])
case("linear_no_bias", M("Linear", in_features=3, out_features=2, bias=False), [r(2, 3)])
case("linear_3d_input", M("Linear", in_features=3, out_features=2), [r(2, 2, 3)])

# ---- Convolutions ----
case("conv1d", M("Conv1d", in_channels=2, out_channels=3, kernel_size=3), [r(2, 2, 6)], **CONV)
case("conv1d_stride_pad_dilation_groups",
     M("Conv1d", in_channels=4, out_channels=2, kernel_size=2, stride=2, padding=1, dilation=2, groups=2),
     [r(1, 4, 7)], **CONV)
case("conv2d", M("Conv2d", in_channels=2, out_channels=3, kernel_size=3), [r(2, 2, 5, 5)], **CONV)
case("conv2d_stride2_pad1", M("Conv2d", in_channels=2, out_channels=2, kernel_size=3, stride=2, padding=1),
     [r(1, 2, 6, 6)], **CONV)
case("conv2d_dilation2", M("Conv2d", in_channels=1, out_channels=2, kernel_size=3, dilation=2, padding=1),
     [r(1, 1, 6, 6)], **CONV)
case("conv2d_groups2_no_bias", M("Conv2d", in_channels=4, out_channels=2, kernel_size=2, groups=2, bias=False),
     [r(1, 4, 4, 4)], **CONV)
case("conv2d_rect", M("Conv2d", in_channels=2, out_channels=2, kernel_size=[2, 3], stride=[2, 1], padding=[1, 0],
                      dilation=[1, 2]), [r(1, 2, 5, 7)], **CONV)
case("conv_transpose2d", M("ConvTranspose2d", in_channels=2, out_channels=3, kernel_size=3), [r(1, 2, 3, 3)], **CONV)
case("conv_transpose2d_stride2_pad1_outpad1",
     M("ConvTranspose2d", in_channels=2, out_channels=2, kernel_size=3, stride=2, padding=1, output_padding=1),
     [r(2, 2, 3, 3)], **CONV)
case("conv_transpose2d_groups_dilation",
     M("ConvTranspose2d", in_channels=4, out_channels=2, kernel_size=2, groups=2, dilation=2, bias=False),
     [r(1, 4, 3, 3)], **CONV)

# ---- Pooling ----
case("max_pool2d", M("MaxPool2d", kernel_size=2), [r(2, 2, 4, 4)])
case("max_pool2d_k3_s2_p1_ceil", M("MaxPool2d", kernel_size=3, stride=2, padding=1, ceil_mode=True), [r(1, 2, 6, 6)])
case("max_pool2d_dilation", M("MaxPool2d", kernel_size=2, stride=1, dilation=2), [r(1, 1, 5, 5)])
case("avg_pool2d", M("AvgPool2d", kernel_size=2), [r(1, 2, 4, 4)])
case("avg_pool2d_pad_exclude", M("AvgPool2d", kernel_size=3, stride=2, padding=1, count_include_pad=False),
     [r(1, 2, 5, 5)])
case("avg_pool2d_ceil", M("AvgPool2d", kernel_size=2, stride=2, ceil_mode=True), [r(1, 1, 5, 5)])
case("adaptive_avg_pool2d", M("AdaptiveAvgPool2d", output_size=[2, 3]), [r(1, 2, 5, 7)])
case("adaptive_avg_pool2d_1x1", M("AdaptiveAvgPool2d", output_size=1), [r(2, 3, 4, 4)])

# ---- Normalization ----
# Train mode: batch statistics, running mean/var updated (unbiased var) and the batch counter;
# two passes so that the second update starts from the first one's statistics.
case("batch_norm2d_train", M("BatchNorm2d", num_features=3), [r(2, 3, 3, 3), r(2, 3, 3, 3) * 2 + 1])
case("batch_norm2d_eval", M("BatchNorm2d", num_features=3), [r(2, 3, 2, 2)], train=False)
case("batch_norm2d_momentum_eps", M("BatchNorm2d", num_features=2, eps=1e-3, momentum=0.3), [r(3, 2, 2, 2)])
case("batch_norm2d_no_affine", M("BatchNorm2d", num_features=2, affine=False), [r(2, 2, 3, 3)])
case("batch_norm2d_untracked_eval", M("BatchNorm2d", num_features=2, track_running_stats=False), [r(2, 2, 2, 3)],
     train=False)
case("batch_norm1d_train_2d", M("BatchNorm1d", num_features=4), [r(5, 4), r(5, 4)])
case("batch_norm1d_train_3d", M("BatchNorm1d", num_features=3), [r(2, 3, 4)])
case("batch_norm1d_eval", M("BatchNorm1d", num_features=4), [r(3, 4)], train=False)
case("layer_norm", M("LayerNorm", normalized_shape=5), [r(2, 3, 5)])
case("layer_norm_2d_shape_eps", M("LayerNorm", normalized_shape=[3, 4], eps=1e-3), [r(2, 3, 4)])
case("layer_norm_no_affine", M("LayerNorm", normalized_shape=4, elementwise_affine=False), [r(3, 4)])

# ---- Embedding, Dropout, Flatten, Identity ----
case("embedding", M("Embedding", num_embeddings=6, embedding_dim=3), [torch.tensor([[0, 2, 5], [2, 2, 1]])])
case("embedding_padding_idx", M("Embedding", num_embeddings=5, embedding_dim=3, padding_idx=1),
     [torch.tensor([1, 3, 1, 0, 4])])
case("embedding_negative_padding_idx", M("Embedding", num_embeddings=5, embedding_dim=2, padding_idx=-1),
     [torch.tensor([[4, 0], [4, 2]])])
case("dropout_p0_train", M("Dropout", p=0.0), [r(2, 5)])
case("dropout_eval", M("Dropout", p=0.5), [r(2, 5)], train=False)
case("flatten", M("Flatten"), [r(2, 3, 2, 2)])
case("flatten_dims", M("Flatten", start_dim=0, end_dim=1), [r(2, 3, 2)])
case("unflatten", M("Unflatten", dim=1, unflattened_size=[2, 3]), [r(2, 6, 2)])
case("unflatten_negative_dim_inferred", M("Unflatten", dim=-1, unflattened_size=[-1, 2]), [r(3, 4)])
case("identity", M("Identity"), [r(2, 3)])

# ---- Activations ----
case("relu", M("ReLU"), [r(3, 4)])
case("leaky_relu", M("LeakyReLU", negative_slope=0.2), [r(3, 4)])
case("leaky_relu_default", M("LeakyReLU"), [r(3, 4)])
case("gelu", M("GELU"), [r(3, 4)])
case("gelu_tanh", M("GELU", approximate="tanh"), [r(3, 4)])
case("tanh", M("Tanh"), [r(3, 4)])
case("sigmoid", M("Sigmoid"), [r(3, 4)])
case("silu", M("SiLU"), [r(3, 4)])
case("softmax_dim1", M("Softmax", dim=1), [r(2, 4, 3)])
case("softmax_dim_last", M("Softmax", dim=-1), [r(3, 4)])
case("log_softmax", M("LogSoftmax", dim=1), [r(3, 5)])

# ---- Sequential ----
case("sequential_cnn", Seq(M("Conv2d", in_channels=1, out_channels=2, kernel_size=3, padding=1),
                           M("BatchNorm2d", num_features=2), M("ReLU"), M("MaxPool2d", kernel_size=2),
                           M("Flatten"), M("Linear", in_features=8, out_features=3), M("LogSoftmax", dim=1)),
     [r(2, 1, 4, 4)], **CONV)
case("sequential_nested_mlp", Seq(Seq(M("Linear", in_features=4, out_features=5), M("GELU")),
                                  M("LayerNorm", normalized_shape=5), M("Dropout", p=0.0),
                                  Seq(M("Linear", in_features=5, out_features=2), M("Tanh"))),
     [r(3, 4)])
case("sequential_decoder", Seq(M("ConvTranspose2d", in_channels=2, out_channels=2, kernel_size=3, stride=2, padding=1,
                                 output_padding=1), M("SiLU"),
                               M("Conv2d", in_channels=2, out_channels=1, kernel_size=3, padding=1), M("Sigmoid")),
     [r(1, 2, 2, 2)], **CONV)


# ---- Default initializations ----
def init_case(name, spec):
    """Each parameter/buffer: uniform(-bound, bound), normal(mean, std) or a constant, as torch's
    reset_parameters draws it; torch's own sample is checked against the same description."""
    m = build(spec)
    params = {}
    for mod_name, mod in m.named_modules():
        prefix = mod_name + "." if mod_name else ""
        if isinstance(mod, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)):
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(mod.weight)
            # kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in)
            gain = math.sqrt(2.0 / (1 + 5))
            params[prefix + "weight"] = {"dist": "uniform", "bound": gain * math.sqrt(3.0 / fan_in)}
            if mod.bias is not None:
                params[prefix + "bias"] = {"dist": "uniform", "bound": 1.0 / math.sqrt(fan_in)}
        elif isinstance(mod, nn.Embedding):
            params[prefix + "weight"] = {"dist": "normal", "mean": 0.0, "std": 1.0,
                                         "zero_row": mod.padding_idx}
        elif isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
            for k, v in [("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0),
                         ("num_batches_tracked", 0)]:
                if getattr(mod, k, None) is not None:
                    params[prefix + k] = {"dist": "constant", "value": v}
    sd = m.state_dict()
    assert set(params) == set(sd), (name, set(params) ^ set(sd))
    for k, d in params.items():
        v = sd[k].double()
        if d["dist"] == "uniform":
            assert v.abs().max() <= d["bound"], (name, k)
            assert abs(v.pow(2).mean() - d["bound"] ** 2 / 3) < 5 * d["bound"] ** 2 * math.sqrt(4 / 45 / v.numel())
        elif d["dist"] == "normal":
            rows = v if d["zero_row"] is None else torch.cat([v[:d["zero_row"]], v[d["zero_row"] + 1:]])
            assert abs(rows.std() - 1) < 5 / math.sqrt(2 * rows.numel()), (name, k)
            if d["zero_row"] is not None:
                assert v[d["zero_row"]].abs().max() == 0
        else:
            assert (v == d["value"]).all(), (name, k)
    keys = [[k, list(v.shape)] for k, v in sd.items()]
    return {"name": name, "spec": spec, "keys": keys, "params": params}


inits = [
    init_case("linear", M("Linear", in_features=200, out_features=100)),
    init_case("conv1d", M("Conv1d", in_channels=8, out_channels=64, kernel_size=5)),
    init_case("conv2d", M("Conv2d", in_channels=16, out_channels=32, kernel_size=3)),
    init_case("conv2d_groups", M("Conv2d", in_channels=16, out_channels=64, kernel_size=[3, 2], groups=4)),
    init_case("conv_transpose2d", M("ConvTranspose2d", in_channels=32, out_channels=16, kernel_size=4, groups=2)),
    init_case("embedding", M("Embedding", num_embeddings=500, embedding_dim=16, padding_idx=3)),
    init_case("batch_norm2d", M("BatchNorm2d", num_features=8)),
    init_case("batch_norm1d", M("BatchNorm1d", num_features=8)),
    init_case("layer_norm", M("LayerNorm", normalized_shape=[4, 6])),
    init_case("sequential", Seq(M("Conv2d", in_channels=3, out_channels=32, kernel_size=3), M("ReLU"),
                                Seq(M("Linear", in_features=64, out_features=300), M("BatchNorm1d", num_features=300)),
                                M("ConvTranspose2d", in_channels=32, out_channels=8, kernel_size=3, stride=2,
                                  bias=False))),
]

path = os.path.join(HERE, "layers", "layers.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path + ".tmp", "w") as f:
    json.dump({"family": "layers", "torch": torch.__version__, "cases": cases, "init": inits}, f)
os.replace(path + ".tmp", path)
print(f"wrote {len(cases)} cases and {len(inits)} init descriptions to {path} ({os.path.getsize(path)} bytes)")
