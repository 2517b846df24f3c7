"""Makes the golden files the ember.nn tests compare with, using PyTorch (run by hand, not by the tests):

    /opt/torch/bin/python tests/python/golden/make_golden.py   # needs torch and safetensors

Per model NAME: NAME.safetensors is its state_dict as PyTorch users save it (safetensors.torch.save_file),
NAME_io.safetensors its fixed inputs and PyTorch's outputs. functional.safetensors + functional.json hold
F-op cases (inputs, kwargs, PyTorch's output); torch_meta.json state_dict key names/shapes and reprs."""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
torch.backends.mha.set_fastpath_enabled(False)  # the reference math path, not the fused inference kernels


def save(name, sd):
    save_file({k: v.detach().contiguous().clone() for k, v in sd.items()}, os.path.join(HERE, name + ".safetensors"))


class Net(nn.Module):
    """The seed network, scaled down (c1, c2, hidden, image size) so its golden file stays small."""

    def __init__(self, c1=32, c2=64, hidden=128, flat=64 * 12 * 12):
        super().__init__()
        self.flat = flat
        self.conv1 = nn.Conv2d(1, c1, 3, 1)
        self.conv2 = nn.Conv2d(c1, c2, 3, 1)
        self.fc1 = nn.Linear(flat, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = x.view(-1, self.flat)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def models():
    with torch.no_grad():
        m = Net(4, 8, 16, 8 * 4 * 4).eval()
        x = torch.randn(3, 1, 12, 12)
        save("cnn", m.state_dict())
        save("cnn_io", {"x": x, "out": m(x)})

        m = nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=True).eval()
        x, h0, c0 = torch.randn(2, 4, 5), torch.randn(4, 2, 6), torch.randn(4, 2, 6)
        out, (h, c) = m(x, (h0, c0))
        packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor([2, 4]), batch_first=True, enforce_sorted=False)
        pout, (ph, pc) = m(packed)
        pout, plen = nn.utils.rnn.pad_packed_sequence(pout, batch_first=True)
        save("lstm", m.state_dict())
        save("lstm_io", {"x": x, "h0": h0, "c0": c0, "out": out, "h": h, "c": c, "packed_out": pout,
                         "packed_h": ph, "packed_c": pc})

        m = nn.GRU(5, 6).eval()
        x, h0 = torch.randn(4, 2, 5), torch.randn(1, 2, 6)
        out, h = m(x, h0)
        save("gru", m.state_dict())
        save("gru_io", {"x": x, "h0": h0, "out": out, "h": h})

        m = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True).eval()
        x = torch.randn(2, 5, 8)
        kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])
        save("tenc", m.state_dict())
        save("tenc_io", {"x": x, "kpm": kpm, "out": m(x), "out_kpm": m(x, src_key_padding_mask=kpm)})

        layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation="gelu", norm_first=True)
        m = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False).eval()
        x = torch.randn(5, 2, 8)
        mask = nn.Transformer.generate_square_subsequent_mask(5)
        save("tencs", m.state_dict())
        save("tencs_io", {"x": x, "mask": mask, "out": m(x, mask=mask)})

        m = nn.TransformerDecoderLayer(8, 2, 16, 0.0).eval()
        tgt, mem = torch.randn(4, 2, 8), torch.randn(5, 2, 8)
        save("tdec", m.state_dict())
        save("tdec_io", {"tgt": tgt, "mem": mem, "tgt_mask": nn.Transformer.generate_square_subsequent_mask(4),
                         "out": m(tgt, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4))})

        m = nn.MultiheadAttention(8, 2, kdim=6, vdim=4).eval()
        q, k, v = torch.randn(3, 2, 8), torch.randn(5, 2, 6), torch.randn(5, 2, 4)
        out, w = m(q, k, v)
        save("mha", m.state_dict())
        save("mha_io", {"q": q, "k": k, "v": v, "out": out, "w": w})

        m = nn.BatchNorm2d(3)
        m.weight.uniform_(0.5, 1.5)
        m.bias.uniform_(-0.5, 0.5)
        x = torch.randn(4, 3, 2, 2)
        save("bn", m.state_dict())
        out_train = m(x)
        after = {"after." + k: v for k, v in m.state_dict().items()}
        m.eval()
        save("bn_io", {"x": x, "out_train": out_train, "out_eval": m(x), **after})

        m = nn.Embedding(10, 4, padding_idx=0)
        idx = torch.tensor([[0, 3, 9], [1, 0, 2]])
        save("emb", m.state_dict())
        save("emb_io", {"idx": idx, "out": m(idx)})


def functional_cases():
    """(name, op, [input names], kwargs); inputs drawn here and saved, so both sides use the same values."""
    r = torch.randn
    ins = {"x": r(2, 3, 6, 6), "x4": r(4, 5), "w": r(4, 3, 3, 3), "b": r(4), "wg": r(6, 1, 3, 3),
           "x6": r(2, 6, 5, 5), "bg": r(6), "x1": r(2, 3, 9), "w1": r(4, 3, 3), "wt": r(6, 2, 3, 3), "bt": r(2),
           "lw": r(7, 5), "lb": r(7), "idx": torch.tensor([[1, 0, 3], [2, 2, 4]]), "emb": r(5, 3),
           "lnw": r(5), "lnb": r(5), "rm": r(3), "rv": r(3).abs() + 0.5, "bnw": r(3), "bnb": r(3),
           "q": r(2, 2, 4, 8), "k": r(2, 2, 6, 8), "v": r(2, 2, 6, 8), "amask": r(4, 6),
           "bmask": torch.rand(4, 6) > 0.3, "logits": r(5, 4), "target": torch.tensor([0, 3, 1, 1, 2]),
           "target_ign": torch.tensor([0, -100, 1, 3, 2]), "cw": torch.rand(4) + 0.5, "y": r(4, 5),
           "p": torch.rand(4, 5).clamp(0.05, 0.95), "t01": torch.rand(4, 5), "pw": torch.rand(5) + 0.5,
           "logits3": r(2, 4, 3), "target3": torch.tensor([[0, 1, 3], [2, 2, 0]]),
           "lp": F.log_softmax(r(3, 4), 1), "tp": F.softmax(r(3, 4), 1), "onehot_idx": torch.tensor([0, 2, 1, 4])}
    ins["bmask"][:, 0] = True  # every query row attends somewhere
    cases = [
        ("relu", "relu", ["x4"], {}), ("gelu", "gelu", ["x4"], {}), ("gelu_tanh", "gelu", ["x4"], {"approximate": "tanh"}),
        ("silu", "silu", ["x4"], {}), ("leaky_relu", "leaky_relu", ["x4"], {"negative_slope": 0.2}),
        ("sigmoid", "sigmoid", ["x4"], {}), ("tanh", "tanh", ["x4"], {}), ("relu6", "relu6", ["x4"], {}),
        ("hardtanh", "hardtanh", ["x4"], {"min_val": -0.5, "max_val": 0.5}),
        ("softmax", "softmax", ["x4"], {"dim": 1}), ("softmax0", "softmax", ["x4"], {"dim": 0}),
        ("log_softmax", "log_softmax", ["x4"], {"dim": -1}),
        ("linear", "linear", ["x4", "lw", "lb"], {}), ("linear_nobias", "linear", ["x4", "lw"], {}),
        ("conv2d", "conv2d", ["x", "w", "b"], {}),
        ("conv2d_s2p1", "conv2d", ["x", "w", "b"], {"stride": 2, "padding": 1}),
        ("conv2d_tuple", "conv2d", ["x", "w"], {"stride": (1, 2), "padding": (2, 1), "dilation": (2, 1)}),
        ("conv2d_same", "conv2d", ["x", "w", "b"], {"padding": "same"}),
        ("conv2d_groups", "conv2d", ["x6", "wg", "bg"], {"groups": 6, "padding": 1}),
        ("conv1d", "conv1d", ["x1", "w1"], {"stride": 2, "padding": 1}),
        ("conv_transpose2d", "conv_transpose2d", ["x6", "wt", "bt"], {"stride": 2, "padding": 1, "output_padding": 1}),
        ("max_pool2d", "max_pool2d", ["x"], {"kernel_size": 2}),
        ("max_pool2d_s1p1", "max_pool2d", ["x"], {"kernel_size": 3, "stride": 1, "padding": 1}),
        ("max_pool2d_ceil", "max_pool2d", ["x"], {"kernel_size": (2, 3), "stride": 2, "ceil_mode": True}),
        ("avg_pool2d", "avg_pool2d", ["x"], {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("avg_pool2d_nopad", "avg_pool2d", ["x"], {"kernel_size": 3, "stride": 2, "padding": 1,
                                                   "count_include_pad": False}),
        ("adaptive_avg_pool2d", "adaptive_avg_pool2d", ["x"], {"output_size": (4, 3)}),
        ("pad", "pad", ["x4"], {"pad": (1, 2, 0, 1), "value": 0.5}),
        ("embedding", "embedding", ["idx", "emb"], {}), ("one_hot", "one_hot", ["onehot_idx"], {"num_classes": 6}),
        ("layer_norm", "layer_norm", ["x6"], {"normalized_shape": (5,), "weight": "lnw", "bias": "lnb"}),
        ("layer_norm2", "layer_norm", ["x6"], {"normalized_shape": (5, 5), "eps": 1e-3}),
        ("batch_norm_eval", "batch_norm", ["x", "rm", "rv", "bnw", "bnb"], {}),
        ("sdpa", "scaled_dot_product_attention", ["q", "k", "v"], {}),
        ("sdpa_float_mask", "scaled_dot_product_attention", ["q", "k", "v", "amask"], {}),
        ("sdpa_bool_mask", "scaled_dot_product_attention", ["q", "k", "v", "bmask"], {}),
        ("sdpa_causal", "scaled_dot_product_attention", ["q", "k", "v"], {"is_causal": True, "scale": 0.3}),
        ("cross_entropy", "cross_entropy", ["logits", "target"], {}),
        ("cross_entropy_w", "cross_entropy", ["logits", "target"], {"weight": "cw", "reduction": "sum"}),
        ("cross_entropy_ign", "cross_entropy", ["logits", "target_ign"], {"label_smoothing": 0.1}),
        ("cross_entropy_none", "cross_entropy", ["logits", "target"], {"reduction": "none"}),
        ("cross_entropy_3d", "cross_entropy", ["logits3", "target3"], {}),
        ("nll_loss", "nll_loss", ["logits", "target"], {}),
        ("nll_loss_w", "nll_loss", ["logits", "target_ign"], {"weight": "cw"}),
        ("mse_loss", "mse_loss", ["x4", "y"], {}), ("mse_loss_sum", "mse_loss", ["x4", "y"], {"reduction": "sum"}),
        ("l1_loss", "l1_loss", ["x4", "y"], {}), ("l1_loss_none", "l1_loss", ["x4", "y"], {"reduction": "none"}),
        ("bce", "binary_cross_entropy", ["p", "t01"], {}),
        ("bce_logits", "binary_cross_entropy_with_logits", ["x4", "t01"], {"pos_weight": "pw"}),
        ("kl_div", "kl_div", ["lp", "tp"], {"reduction": "batchmean"}),
        ("kl_div_log", "kl_div", ["lp", "lp"], {"reduction": "sum", "log_target": True}),
    ]
    out = {}
    spec = []
    for name, op, args, kwargs in cases:
        kw = {k: ins[v] if isinstance(v, str) and v in ins else v for k, v in kwargs.items()}
        out["out." + name] = getattr(F, op)(*[ins[a] for a in args], **kw)
        spec.append({"name": name, "op": op, "args": args,
                     "kwargs": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}})
    save("functional", {**{"in." + k: v for k, v in ins.items()}, **out})
    with open(os.path.join(HERE, "functional.json"), "w") as f:
        json.dump(spec, f, indent=1)


def meta():
    """PyTorch's state_dict keys, shapes and reprs of full-size modules (no weights saved)."""
    mods = {
        "seed_net": Net(),
        "lstm": nn.LSTM(10, 20, num_layers=2, bidirectional=True),
        "gru_cell": nn.GRUCell(3, 4),
        "tenc_layer": nn.TransformerEncoderLayer(16, 4, 32),
        "tenc": nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 32), 2, nn.LayerNorm(16),
                                      enable_nested_tensor=False),
        "tdec": nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 4, 32), 2),
        "transformer": nn.Transformer(16, 2, 1, 1, 32),
        "mha_kdim": nn.MultiheadAttention(8, 2, kdim=6, vdim=4),
        "bn": nn.BatchNorm1d(5),
        "bn_noaffine": nn.BatchNorm2d(5, affine=False, track_running_stats=False),
        "ce_weight": nn.CrossEntropyLoss(weight=torch.ones(3)),
        "seq": nn.Sequential(nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(8, 4), nn.GELU(),
                             nn.LeakyReLU(0.2), nn.LayerNorm(4), nn.Embedding(5, 4, padding_idx=1),
                             nn.ConvTranspose2d(2, 3, 3, stride=2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d((2, 3)),
                             nn.Unflatten(1, (2, 2)), nn.Tanh(), nn.Sigmoid(), nn.SiLU(), nn.Softmax(dim=1),
                             nn.Identity(), nn.Conv1d(2, 4, 3, padding=1), nn.RNN(3, 4, batch_first=True),
                             nn.GRU(3, 4, num_layers=2, dropout=0.5), nn.LSTMCell(3, 4), nn.RNNCell(3, 4, bias=False)),
    }
    out = {name: {"keys": [[k, list(v.shape)] for k, v in m.state_dict().items()], "repr": repr(m),
                  "n_params": len(list(m.parameters()))} for name, m in mods.items()}
    with open(os.path.join(HERE, "torch_meta.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    models()
    functional_cases()
    meta()
    print("wrote", sorted(os.listdir(HERE)))
