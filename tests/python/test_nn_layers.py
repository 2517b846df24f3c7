"""Layer behaviours beyond the golden values: signatures and return forms, dtype conversion, tied weights,
PyTorch's constructor variants."""
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from nn_helpers import assert_close, assert_equal


def test_rnn_family_return_forms_and_float64():
    x = ember.randn(4, 2, 3)
    out, h = nn.RNN(3, 5, nonlinearity="relu")(x)
    assert tuple(out.shape) == (4, 2, 5) and tuple(h.shape) == (1, 2, 5)
    lstm = nn.LSTM(3, 5, num_layers=2, dropout=0.3).double()
    out, (h, c) = lstm(x.to(ember.float64))
    assert out.dtype == ember.float64 and tuple(c.shape) == (2, 2, 5)
    assert [n for n, _ in lstm.named_parameters()][:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert len(lstm.all_weights) == 2
    h1, c1 = nn.LSTMCell(3, 5)(x[0] if hasattr(ember.Tensor, "__getitem__") else x.select(0, 0))
    assert tuple(h1.shape) == (2, 5)
    assert tuple(nn.GRUCell(3, 5)(x.select(0, 0)).shape) == (2, 5)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 5, proj_size=2)


def test_tied_embedding_and_output_weights():
    emb, head = nn.Embedding(7, 4), nn.Linear(4, 7, bias=False)
    head.weight = emb.weight
    model = nn.Sequential(emb, head)
    assert len(list(model.parameters())) == 1 and list(model.state_dict()) == ["0.weight", "1.weight"]
    ember.sum(model(ember.tensor([[1, 2, 3]]))).backward()
    assert emb.weight.grad is not None  # both uses accumulate into the one tensor


def test_embedding_variants():
    w = ember.randn(5, 3)
    e = nn.Embedding.from_pretrained(w, padding_idx=-1)
    assert e.padding_idx == 4 and not e.weight.requires_grad
    assert_equal(e(ember.tensor([2])), w.narrow(0, 2, 1))
    assert_equal(F.embedding(ember.tensor([1]), w), w.narrow(0, 1, 1))


def test_attention_and_transformer_shapes():
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    q = ember.randn(2, 3, 8)
    out, w = mha(q, q, q, average_attn_weights=False)
    assert tuple(out.shape) == (2, 3, 8) and tuple(w.shape) == (2, 2, 3, 3)
    assert mha.q_proj_weight is None and mha._qkv_same_embed_dim
    t = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    y = t(ember.randn(5, 2, 8), ember.randn(4, 2, 8), tgt_mask=mask)
    assert tuple(y.shape) == (4, 2, 8)
    assert tuple(nn.sinusoidal_positional_encoding(10, 8).shape) == (10, 8)


def test_norm_variants():
    ln = nn.LayerNorm([2, 3], elementwise_affine=False)
    assert ln.weight is None and list(ln.state_dict()) == []
    y = ln(ember.randn(4, 2, 3))
    assert tuple(y.shape) == (4, 2, 3)
    ln2 = nn.LayerNorm(3, bias=False)
    assert ln2.bias is None and list(ln2.state_dict()) == ["weight"]
    assert tuple(ln2(ember.randn(2, 3)).shape) == (2, 3)
    bn = nn.BatchNorm1d(4, affine=False)
    assert bn.weight is None and list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    bn(ember.randn(8, 4))
    assert bn.num_batches_tracked.item() == 1


def test_conv_padding_forms():
    x = ember.randn(1, 2, 7, 7)
    same = nn.Conv2d(2, 3, 3, padding="same")
    assert tuple(same(x).shape) == (1, 3, 7, 7) and same.padding == "same"
    assert tuple(nn.Conv2d(2, 3, (3, 1), stride=(2, 1), padding=(1, 0))(x).shape) == (1, 3, 4, 7)
    assert tuple(nn.Conv1d(2, 3, 3, padding="valid")(ember.randn(1, 2, 7)).shape) == (1, 3, 5)
    conv = nn.Conv2d(2, 3, 3, dtype=ember.float64)
    assert conv.weight.dtype == ember.float64


def test_losses_as_modules():
    logits, target = ember.randn(4, 3), ember.tensor([0, 2, 1, 2])
    w = ember.tensor([1.0, 2.0, 0.5])
    assert_close(nn.CrossEntropyLoss(weight=w, label_smoothing=0.1)(logits, target),
                 F.cross_entropy(logits, target, weight=w, label_smoothing=0.1))
    assert_close(nn.NLLLoss(reduction="sum")(F.log_softmax(logits, 1), target),
                 F.cross_entropy(logits, target, reduction="sum"))
    assert nn.MSELoss(reduction="none")(logits, logits).shape == (4, 3)
    assert nn.L1Loss()(logits, logits).item() == 0
    p = F.sigmoid(logits)
    assert_close(nn.BCELoss()(p, p.detach() * 0 + 1), nn.BCEWithLogitsLoss()(logits, p.detach() * 0 + 1))
    assert nn.KLDivLoss(reduction="batchmean", log_target=True)(logits, logits).item() == pytest.approx(0, abs=1e-6)
    assert nn.MSELoss(size_average=False).reduction == "sum"


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and len(seq[:2]) == 2
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert repr(ml).startswith("ModuleList(\n  (0-2): 3 x Linear(")
    pd = nn.ParameterDict({"a": nn.Parameter(ember.ones(2))})
    assert list(pd.state_dict()) == ["a"]
    assert tuple(nn.Flatten()(ember.randn(2, 3, 4)).shape) == (2, 12)
    assert tuple(nn.Unflatten(1, (3, 4))(ember.randn(2, 12)).shape) == (2, 3, 4)
    assert tuple(nn.Identity(54, unused=1)(ember.ones(2)).shape) == (2,)
