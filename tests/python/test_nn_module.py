"""ember.nn.Module semantics: registration, nesting of Python modules and C++ layers, state_dict,
load_state_dict errors, hooks, train/eval, to(dtype), parameter replacement, seeds."""
from collections import OrderedDict

import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from nn_helpers import assert_close, assert_equal, golden_json


class Net(nn.Module):
    def __init__(self, c1=32, c2=64, hidden=128, flat=64 * 12 * 12):
        super(Net, self).__init__()
        self.flat = flat
        self.conv1 = nn.Conv2d(1, c1, 3, 1)
        self.conv2 = nn.Conv2d(c1, c2, 3, 1)
        self.fc1 = nn.Linear(flat, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = nn.functional.relu(self.conv1(x))
        x = nn.functional.relu(self.conv2(x))
        x = nn.functional.max_pool2d(x, 2, 2)
        x = x.view(-1, self.flat)
        x = nn.functional.relu(self.fc1(x))
        x = self.fc2(x)
        return nn.functional.log_softmax(x, dim=1)


class Scale(nn.Module):  # a pure-Python module with a parameter and a buffer
    def __init__(self, n):
        super().__init__()
        self.scale = nn.Parameter(ember.ones(n))
        self.register_buffer("calls", ember.zeros(1))
        self.register_buffer("scratch", ember.zeros(1), persistent=False)

    def forward(self, x):
        return x * self.scale


class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 6), Scale(6), nn.Sequential(nn.ReLU(), nn.Linear(6, 3)))
        self.head = nn.ModuleDict({"out": Scale(3)})
        self.extra = nn.ParameterList([nn.Parameter(ember.zeros(2))])

    def forward(self, x):
        return self.head["out"](self.body(x))


def test_seed_net_keys_and_repr_match_pytorch():
    meta = golden_json("torch_meta.json")["seed_net"]
    net = Net()
    assert [[k, list(v.shape)] for k, v in net.state_dict().items()] == meta["keys"]
    assert repr(net) == meta["repr"]
    assert len(list(net.parameters())) == meta["n_params"]
    assert isinstance(net.state_dict(), OrderedDict)


def test_seed_net_draws_the_cpp_models_initial_weights():
    ember.manual_seed(7)
    net = Net()
    ember.manual_seed(7)
    cpp = nn.modules._cpp.wrap_cpp(ember._C._nn._MnistCNN())
    ref = cpp.state_dict()
    for k, v in net.state_dict().items():
        assert_equal(v, ref[k], k)


def test_seed_net_trains_a_step():
    ember.manual_seed(0)
    net = Net()
    criterion = nn.CrossEntropyLoss()
    x, y = ember.randn(4, 1, 28, 28), ember.tensor([1, 2, 3, 4])
    loss = criterion(net(x), y)
    loss.backward()
    assert all(p.grad is not None and tuple(p.grad.shape) == tuple(p.shape) for p in net.parameters())
    before = net.fc2.weight.detach().clone()
    with ember.no_grad():
        for p in net.parameters():
            p.sub_(p.grad, alpha=0.1)
    assert criterion(net(x), y).item() < loss.item()
    assert ember.sum(abs(net.fc2.weight - before)).item() > 0
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_registration_and_nested_mixing():
    m = Mixed()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["body.0.weight", "body.0.bias", "body.1.scale", "body.2.1.weight", "body.2.1.bias",
                     "head.out.scale", "extra.0"]
    assert list(m.state_dict()) == ["body.0.weight", "body.0.bias", "body.1.scale", "body.1.calls",
                                    "body.2.1.weight", "body.2.1.bias", "head.out.scale", "head.out.calls", "extra.0"]
    assert [n for n, _ in m.named_buffers()] == ["body.1.calls", "body.1.scratch", "head.out.calls",
                                                    "head.out.scratch"]
    assert [n for n, _ in m.named_modules()][:4] == ["", "body", "body.0", "body.1"]
    assert isinstance(m.body[0].weight, nn.Parameter) and isinstance(m.body[0].weight, ember.Tensor)
    assert tuple(m(ember.randn(5, 4)).shape) == (5, 3)
    assert "scale" in dir(m.body[1]) and "body" in dir(m)
    del m.body[1].scale
    assert "scale" not in m.body[1]._parameters
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        m.nothing
    with pytest.raises(TypeError, match="cannot assign 'int' as parameter 'weight'"):
        m.body[0].weight = 3


def test_shared_parameter_listed_once():
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    seq = nn.Sequential(a, b)
    assert len(list(seq.parameters())) == 3
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_parameter_aliases_data_and_is_a_leaf():
    t = ember.ones(3)
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert p.data_ptr() == t.data_ptr()
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:")


def test_replacing_a_parameter_reaches_the_cpp_layer():
    lin = nn.Linear(3, 2)
    lin.weight = nn.Parameter(ember.ones(2, 3))
    lin.bias = None
    assert lin.bias is None and list(lin.state_dict()) == ["weight"]
    x = ember.randn(4, 3)
    assert_close(lin(x), ember.matmul(x, ember.ones(3, 2)))
    lin(x).sum().backward() if hasattr(ember.Tensor, "sum") else ember.sum(lin(x)).backward()
    assert lin.weight.grad is not None  # the C++ forward used the new Parameter


def test_optimizer_style_update_and_load_state_dict_are_shared_with_cpp():
    lin = nn.Linear(2, 2)
    with ember.no_grad():
        lin.weight.zero_()
        lin.bias.fill_(1.0)
    assert_close(lin(ember.randn(3, 2)), ember.ones(3, 2))
    lin.load_state_dict({"weight": ember.zeros(2, 2), "bias": ember.zeros(2) + 2})
    assert_close(lin(ember.randn(3, 2)), ember.ones(3, 2) * 2)


def test_load_state_dict_errors():
    net = Net(4, 8, 16, 8 * 4 * 4)
    sd = net.state_dict()
    bad = OrderedDict(sd)
    del bad["fc2.bias"]
    bad["extra.weight"] = ember.zeros(1)
    with pytest.raises(ember.Error) as e:
        net.load_state_dict(bad)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "fc2.bias"' in msg and 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    result = net.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["fc2.bias"] and result.unexpected_keys == ["extra.weight"]
    wrong = OrderedDict(sd)
    wrong["fc1.weight"] = ember.zeros(3, 3)
    before = net.fc1.weight.detach().clone()
    with pytest.raises(ember.Error, match=r"size mismatch for fc1.weight: copying a param with shape"):
        net.load_state_dict(wrong, strict=False)
    assert_equal(net.fc1.weight, before)  # nothing changed
    assert isinstance(ember.Error("x"), RuntimeError)


def test_forward_hooks_and_pre_hooks():
    lin = nn.Linear(2, 2)
    seen = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: seen.append(out) or out + 1)
    out = lin(ember.randn(1, 2))
    assert_close(out, ember.tensor([[1.0, 1.0]]) + lin.bias)
    assert len(seen) == 1
    h1.remove()
    h2.remove()
    x = ember.randn(1, 2)
    assert_close(lin(x), F.linear(x, lin.weight, lin.bias))
    with lin.register_forward_hook(lambda m, a, k, o: o * 0, with_kwargs=True):
        assert_close(lin(x), ember.zeros(1, 2))
    assert not lin._forward_hooks


def test_train_eval_reaches_cpp_dropout():
    m = nn.Sequential(nn.Linear(50, 50), nn.Dropout(0.5))
    x = ember.ones(4, 50)
    m.eval()
    assert not m[1].training and not m[1]._cpp.training
    assert_equal(m(x), m(x))
    m.train()
    assert m[1]._cpp.training
    zeros = ember.sum((m(x) == 0).to(ember.float32)).item()
    assert zeros > 20  # about half of 200 outputs dropped
    enc = nn.TransformerEncoderLayer(8, 2, 16)
    enc.eval()
    assert not enc.self_attn.out_proj._cpp.training and not enc.dropout1._cpp.training


def test_to_float64_converts_in_place():
    m = Mixed()
    w = m.body[0].weight
    m.double()
    assert w is m.body[0].weight and w.dtype == ember.float64 and m.head["out"].calls.dtype == ember.float64
    out = m(ember.randn(2, 4, dtype=ember.float64))
    assert out.dtype == ember.float64
    m.to(ember.float32)
    assert m.body[0].weight.dtype == ember.float32
    with pytest.raises(TypeError, match="floating point"):
        m.to(ember.int64)


def test_apply_requires_grad_and_children():
    m = Mixed()
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Mixed" and "Linear" in seen
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    assert [type(c).__name__ for c in m.children()] == ["Sequential", "ModuleDict", "ParameterList"]


def test_reprs_match_pytorch():
    meta = golden_json("torch_meta.json")
    seq = nn.Sequential(nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(8, 4), nn.GELU(),
                        nn.LeakyReLU(0.2), nn.LayerNorm(4), nn.Embedding(5, 4, padding_idx=1),
                        nn.ConvTranspose2d(2, 3, 3, stride=2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d((2, 3)),
                        nn.Unflatten(1, (2, 2)), nn.Tanh(), nn.Sigmoid(), nn.SiLU(), nn.Softmax(dim=1),
                        nn.Identity(), nn.Conv1d(2, 4, 3, padding=1), nn.RNN(3, 4, batch_first=True),
                        nn.GRU(3, 4, num_layers=2, dropout=0.5), nn.LSTMCell(3, 4), nn.RNNCell(3, 4, bias=False))
    assert repr(seq) == meta["seq"]["repr"]
    assert [[k, list(v.shape)] for k, v in seq.state_dict().items()] == meta["seq"]["keys"]


@pytest.mark.parametrize("name", ["lstm", "gru_cell", "tenc_layer", "tenc", "tdec", "transformer", "mha_kdim", "bn",
                                  "bn_noaffine", "ce_weight"])
def test_state_dict_keys_match_pytorch(name):
    build = {
        "lstm": lambda: nn.LSTM(10, 20, num_layers=2, bidirectional=True),
        "gru_cell": lambda: nn.GRUCell(3, 4),
        "tenc_layer": lambda: nn.TransformerEncoderLayer(16, 4, 32),
        "tenc": lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 32), 2, nn.LayerNorm(16)),
        "tdec": lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 4, 32), 2),
        "transformer": lambda: nn.Transformer(16, 2, 1, 1, 32),
        "mha_kdim": lambda: nn.MultiheadAttention(8, 2, kdim=6, vdim=4),
        "bn": lambda: nn.BatchNorm1d(5),
        "bn_noaffine": lambda: nn.BatchNorm2d(5, affine=False, track_running_stats=False),
        "ce_weight": lambda: nn.CrossEntropyLoss(weight=ember.ones(3)),
    }
    meta = golden_json("torch_meta.json")[name]
    m = build[name]()
    assert [[k, list(v.shape)] for k, v in m.state_dict().items()] == meta["keys"]
    assert len(list(m.parameters())) == meta["n_params"]


def test_cpp_children_are_wrapped_with_attribute_access():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    assert isinstance(layer.self_attn, nn.MultiheadAttention)
    assert type(layer.self_attn.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert tuple(layer.self_attn.out_proj.weight.shape) == (8, 8) and layer.linear1.out_features == 16
    enc = nn.TransformerEncoder(layer, 2)
    assert isinstance(enc.layers, nn.ModuleList) and len(enc.layers) == 2 and enc.norm is None
    with pytest.raises(TypeError, match="C\\+\\+ layer's submodule"):
        layer.linear1 = nn.Linear(8, 16)


def test_bad_inputs():
    with pytest.raises(TypeError, match="argument 'kernel_size'"):
        nn.Conv2d(1, 2, "3")
    with pytest.raises(TypeError, match="argument 'input' must be Tensor, not list"):
        nn.Linear(2, 2)([1.0, 2.0])
    with pytest.raises(ember.Error, match="Linear"):
        nn.Linear(3, 2)(ember.randn(4, 5))
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.5)
    with pytest.raises(AttributeError, match="before Module.__init__"):
        class Bad(nn.Module):
            def __init__(self):
                self.lin = nn.Linear(1, 1)
        Bad()


def test_finite_difference_gradients_of_a_python_module():
    class Small(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 4)
            self.gain = nn.Parameter(ember.randn(4))

        def forward(self, x):
            return ember.sum(F.tanh(self.lin(x)) * self.gain + F.gelu(self.lin(x)))

    ember.manual_seed(3)
    m = Small().double()
    x = ember.randn(2, 3, dtype=ember.float64)
    m(x).backward()
    eps = 1e-6
    for name, p in m.named_parameters():
        flat = p.detach().view(-1)
        g = p.grad.view(-1)
        for i in range(flat.numel()):
            with ember.no_grad():
                flat.narrow(0, i, 1).add_(eps)
                up = m(x).item()
                flat.narrow(0, i, 1).sub_(2 * eps)
                down = m(x).item()
                flat.narrow(0, i, 1).add_(eps)
            assert abs((up - down) / (2 * eps) - g.narrow(0, i, 1).item()) < 1e-6, (name, i)
