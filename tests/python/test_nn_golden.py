"""Layers and functional ops against PyTorch's values: the golden files were made by PyTorch
(golden/make_golden.py); each model's state_dict, saved by safetensors.torch.save_file, loads into the
same ember.nn module with the same names and gives PyTorch's outputs."""
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from nn_helpers import assert_close, golden, golden_json
from test_nn_module import Net


def load(module, name):
    result = module.load_state_dict(golden(name))  # strict: the key names are PyTorch's
    assert not result.missing_keys and not result.unexpected_keys
    return module.eval()


def test_seed_cnn_matches_pytorch():
    m = load(Net(4, 8, 16, 8 * 4 * 4), "cnn")
    io = golden("cnn_io")
    assert_close(m(io["x"]), io["out"], what="cnn")


def test_lstm_matches_pytorch_padded_and_packed():
    m = load(nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=True), "lstm")
    io = golden("lstm_io")
    out, (h, c) = m(io["x"], (io["h0"], io["c0"]))
    assert_close(out, io["out"], what="out")
    assert_close(h, io["h"], what="h_n")
    assert_close(c, io["c"], what="c_n")
    packed = nn.utils.rnn.pack_padded_sequence(io["x"], ember.tensor([2, 4]), batch_first=True, enforce_sorted=False)
    pout, (ph, pc) = m(packed)
    assert isinstance(pout, nn.utils.rnn.PackedSequence)
    padded, lengths = nn.utils.rnn.pad_packed_sequence(pout, batch_first=True)
    assert_close(padded, io["packed_out"], what="packed out")
    assert_close(ph, io["packed_h"], what="packed h")
    assert_close(pc, io["packed_c"], what="packed c")


def test_gru_matches_pytorch():
    m = load(nn.GRU(5, 6), "gru")
    io = golden("gru_io")
    out, h = m(io["x"], io["h0"])
    assert_close(out, io["out"])
    assert_close(h, io["h"])


def test_transformer_encoder_layer_matches_pytorch():
    m = load(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True), "tenc")
    io = golden("tenc_io")
    assert_close(m(io["x"]), io["out"], what="no mask")
    assert_close(m(io["x"], src_key_padding_mask=io["kpm"]), io["out_kpm"], what="key padding mask")


def test_transformer_encoder_stack_matches_pytorch():
    layer = nn.TransformerEncoderLayer(8, 2, 16, 0.0, activation=F.gelu, norm_first=True)
    m = load(nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8)), "tencs")
    io = golden("tencs_io")
    assert_close(m(io["x"], mask=io["mask"]), io["out"])


def test_transformer_decoder_layer_matches_pytorch():
    m = load(nn.TransformerDecoderLayer(8, 2, 16, 0.0), "tdec")
    io = golden("tdec_io")
    assert_close(m(io["tgt"], io["mem"], tgt_mask=io["tgt_mask"]), io["out"])


def test_multihead_attention_with_kdim_vdim_matches_pytorch():
    m = load(nn.MultiheadAttention(8, 2, kdim=6, vdim=4), "mha")
    io = golden("mha_io")
    out, w = m(io["q"], io["k"], io["v"])
    assert_close(out, io["out"])
    assert_close(w, io["w"])
    assert m(io["q"], io["k"], io["v"], need_weights=False)[1] is None


def test_batchnorm_train_updates_running_stats_as_pytorch():
    m = nn.BatchNorm2d(3)
    m.load_state_dict(golden("bn"))
    io = golden("bn_io")
    m.train()
    assert_close(m(io["x"]), io["out_train"], what="train")
    for k in ("running_mean", "running_var", "num_batches_tracked"):
        assert_close(getattr(m, k), io["after." + k], what=k)
    m.eval()
    assert_close(m(io["x"]), io["out_eval"], what="eval")


def test_embedding_matches_pytorch():
    m = load(nn.Embedding(10, 4, padding_idx=0), "emb")
    io = golden("emb_io")
    assert_close(m(io["idx"]), io["out"])


CASES = golden_json("functional.json")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_functional_matches_pytorch(case):
    data = golden("functional")
    ins = {k[3:]: v for k, v in data.items() if k.startswith("in.")}
    kwargs = {k: ins[v] if isinstance(v, str) and v in ins else (tuple(v) if isinstance(v, list) else v)
              for k, v in case["kwargs"].items()}
    out = getattr(F, case["op"])(*[ins[a] for a in case["args"]], **kwargs)
    expected = data["out." + case["name"]]
    assert out.dtype == expected.dtype, case["name"]
    assert_close(out, expected, atol=1e-5, rtol=1e-4, what=case["name"])


def test_functional_bad_inputs_name_the_argument():
    x = ember.randn(2, 3, 6, 6)
    with pytest.raises(TypeError, match=r"conv2d\(\): argument 'weight' must be Tensor, not list"):
        F.conv2d(x, [1, 2])
    with pytest.raises(TypeError, match=r"relu\(\): argument 'input' must be Tensor, not str"):
        F.relu("x")
    with pytest.raises(TypeError, match=r"cross_entropy\(\): argument 'target' must be Tensor, not int"):
        F.cross_entropy(ember.randn(2, 3), 1)
    with pytest.raises(TypeError, match=r"linear\(\): argument 'bias' must be Tensor or None, not float"):
        F.linear(ember.randn(2, 3), ember.randn(4, 3), 1.0)
    with pytest.raises(TypeError, match=r"max_pool2d\(\): argument 'kernel_size'"):
        F.max_pool2d(x, "2")
    with pytest.raises(ember.Error, match="conv2d"):
        F.conv2d(x, ember.randn(4, 5, 3, 3))
    with pytest.raises(ValueError, match="padding='same'"):
        F.conv2d(x, ember.randn(4, 3, 2, 2), padding="same")


def test_init_functions_in_place():
    w = ember.empty(64, 32)
    assert nn.init.kaiming_uniform_(w, a=5 ** 0.5) is w
    bound = 1 / 32 ** 0.5
    assert ember.sum((abs(w) > bound + 1e-6).to(ember.float32)).item() == 0
    p = nn.Parameter(ember.empty(3, 3))
    assert nn.init.zeros_(p) is p and p.requires_grad and ember.sum(abs(p)).item() == 0
    nn.init.constant_(p, 0.5)
    assert ember.sum(p).item() == pytest.approx(4.5)
    assert nn.init.calculate_gain("relu") == pytest.approx(2 ** 0.5)
    assert nn.init._calculate_fan_in_and_fan_out(ember.empty(4, 3, 5, 5)) == (75, 100)
    for f in (nn.init.xavier_uniform_, nn.init.xavier_normal_, nn.init.kaiming_normal_, nn.init.normal_,
              nn.init.trunc_normal_, nn.init.uniform_, nn.init.ones_):
        assert f(w) is w
    with pytest.raises(TypeError, match="argument 'tensor'"):
        nn.init.zeros_([1.0])


def test_clip_grad_and_vector_utils():
    a, b = nn.Parameter(ember.ones(3)), nn.Parameter(ember.ones(4))
    a.grad, b.grad = ember.ones(3) * 3, ember.ones(4) * 4
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx((27 + 64) ** 0.5, rel=1e-5)
    assert ember.sum(a.grad * a.grad + 0).item() + ember.sum(b.grad * b.grad).item() == pytest.approx(1.0, rel=1e-4)
    nn.utils.clip_grad_value_(a, 0.1)
    assert ember.sum(a.grad).item() == pytest.approx(0.3, rel=1e-5)
    v = nn.utils.parameters_to_vector([a, b])
    assert tuple(v.shape) == (7,)
    nn.utils.vector_to_parameters(v * 2, [a, b])
    assert ember.sum(a).item() == pytest.approx(6.0)


def test_pad_sequence_and_pack_sequence():
    seqs = [ember.ones(3, 2), ember.ones(1, 2) * 2]
    padded = nn.utils.rnn.pad_sequence(seqs, batch_first=True)
    assert tuple(padded.shape) == (2, 3, 2)
    packed = nn.utils.rnn.pack_sequence(seqs)
    data, batch_sizes, _, _ = packed
    assert tuple(data.shape) == (4, 2)
    out, (h, c) = nn.LSTM(2, 3)(packed)
    assert tuple(h.shape) == (1, 2, 3)
