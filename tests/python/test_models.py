"""ember.models: GPT, BERT and the autoencoders against the PyTorch values the C++ tests use
(tests/golden/models), training on TinyShakespeare, seeded decoding, names and errors."""
import json
import os
import pathlib

import numpy as np
import pytest

import ember
import ember.models as M
import ember.nn.functional as F

MODELS = pathlib.Path(__file__).resolve().parents[1] / "golden" / "models"
DATA = pathlib.Path(os.environ.get("EMBER_DATA") or pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # These models are tiny: one thread is fastest, and spinning workers on a loaded machine made
    # the TinyShakespeare run 30x slower.
    n = ember.get_num_threads()
    ember.set_num_threads(1)
    yield
    ember.set_num_threads(n)


def golden(name):
    with open(MODELS / name) as f:
        return json.load(f)


def tensor(spec, dtype=ember.float32):
    return ember.tensor(spec["data"], dtype=ember.float64).reshape(tuple(spec["shape"])).to(dtype)


def close(actual, expected, rtol, atol, what):
    np.testing.assert_allclose(np.array(actual.detach().double().numpy()), np.array(expected.detach().double().numpy()),
                               rtol=rtol, atol=atol, err_msg=what)


def golden_gpt():
    c = golden("gpt.json")["config"]
    return M.GPT(M.GPTConfig(**c)).load_safetensors(MODELS / "gpt_hf.safetensors")


def test_gpt_matches_pytorch_logits_loss_and_grads():
    j = golden("gpt.json")
    model = golden_gpt()
    idx, targets = tensor(j["idx"], ember.int64), tensor(j["targets"], ember.int64)
    logits, loss = model(idx, targets)
    assert tuple(logits.shape) == (2, 10, 50) and loss.dim() == 0
    close(logits, tensor(j["logits"], ember.float64), 1e-5, 1e-5, "logits")
    assert loss.item() == pytest.approx(j["loss"], rel=1e-5)
    assert model.loss(idx, targets).item() == pytest.approx(j["loss"], rel=1e-5)  # fused, no logits
    loss.backward()
    grads = ember.load(MODELS / "gpt_grads.safetensors")
    params = dict(model.named_parameters())
    assert sorted(params) == sorted(grads)
    for name, p in params.items():
        close(p.grad, grads[name], 1e-4, 1e-6, "grad of " + name)
    _, none = model(idx)
    assert none is None


def test_gpt_state_dict_names_and_round_trip(tmp_path):
    ember.manual_seed(0)
    model = M.GPT(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8)
    keys = list(model.state_dict())
    assert keys[:4] == ["wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias"]
    assert "h.1.attn.c_attn.weight" in keys and "h.1.mlp.c_proj.bias" in keys and keys[-1] == "ln_f.bias"
    assert "lm_head.weight" not in keys  # tied to wte
    assert tuple(model.h[0].attn.c_attn.weight.shape) == (8, 24)  # Conv1D: (in, out)
    assert model.config.n_layer == 2
    ember.save(model.state_dict(), tmp_path / "gpt.safetensors")
    other = M.GPT(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=8)
    other.load_state_dict(ember.load(tmp_path / "gpt.safetensors"))
    idx = ember.tensor([[1, 2, 3]])
    assert ember.equal(other(idx)[0], model(idx)[0])
    # A parameter written from Python is what the C++ forward reads.
    with ember.no_grad():
        model.ln_f.weight.zero_()
        model.ln_f.bias.zero_()
    assert model(idx)[0].abs().max().item() == 0.0


def test_gpt_trains_on_tinyshakespeare():
    path = DATA / "tinyshakespeare" / "input.txt"
    if not path.exists():
        pytest.skip(f"{path} not found")
    ds = ember.datasets.CharLMDataset(path=path, block_size=32)
    ember.manual_seed(1)
    model = M.GPT(vocab_size=ds.vocab_size, block_size=32, n_layer=2, n_head=2, n_embd=32)
    opt = ember.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    gen = ember.Generator().manual_seed(5)
    losses = []
    for _ in range(30):
        x, y = ds.sample_batch(16, generator=gen)
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 3.8  # ~ln(65) at the start
    assert np.mean(losses[-5:]) < 3.4, losses  # below the characters' unigram entropy (~3.3 + noise)


def test_generate_is_deterministic_with_a_seed():
    ember.manual_seed(3)
    model = M.GPT(vocab_size=20, block_size=8, n_layer=1, n_head=2, n_embd=8)
    a = model.generate([1, 2, 3], max_new_tokens=12, top_k=5, generator=7)
    assert a == model.generate([1, 2, 3], max_new_tokens=12, top_k=5, generator=7)
    assert a == M.generate(model, ember.tensor([1, 2, 3]), 12, top_k=5, generator=ember.Generator().manual_seed(7))
    assert len(a) == 12 and all(0 <= t < 20 for t in a)
    assert a != model.generate([1, 2, 3], max_new_tokens=12, top_k=5, generator=8)
    # Greedy: the argmax of a full forward at each step; with or without the cache (past block_size too).
    greedy = model.generate([4], max_new_tokens=10, temperature=0)
    assert greedy == model.generate([4], max_new_tokens=10, temperature=0, use_cache=False)
    seq = [4]
    for t in greedy[:6]:
        logits, _ = model(ember.tensor([seq]))
        assert logits[0, -1].argmax().item() == t
        seq.append(t)
    out = model.generate(ember.tensor([[1, 2], [3, 4]]), 5, generator=1)  # nanoGPT's form
    assert tuple(out.shape) == (2, 7) and out[:, :2].tolist() == [[1, 2], [3, 4]]
    assert model.training  # restored
    assert model.generate([4], 20, temperature=0, stop_token=greedy[0]) == greedy[:1]


def test_gpt_kv_cache_matches_full_forward():
    ember.manual_seed(2)
    model = M.GPT(vocab_size=13, block_size=10, n_layer=2, n_head=2, n_embd=8).eval()
    idx = ember.randint(0, 13, (2, 7))
    full, _ = model(idx)
    cache = M.KVCache()
    a, _ = model(idx[:, :4], cache=cache)
    b, _ = model(idx[:, 4:], cache=cache)
    assert len(cache) == 7
    close(ember.cat([a, b], 1), full, 1e-5, 1e-5, "cached logits")
    close(model.next_token_logits(idx), full[:, -1], 1e-5, 1e-5, "next_token_logits")


def test_bert_matches_pytorch_outputs_and_grads():
    j = golden("bert.json")
    c = j["config"]
    model = M.BertModel(M.BertConfig(**c, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
    model.load_safetensors(MODELS / "bert_hf.safetensors")  # "bert." prefix, position_ids, cls.*
    seq, pooled = model(tensor(j["input_ids"], ember.int64), tensor(j["attention_mask"], ember.int64),
                        tensor(j["token_type_ids"], ember.int64))
    close(seq, tensor(j["sequence_output"], ember.float64), 1e-5, 2e-5, "sequence_output")
    close(pooled, tensor(j["pooled_output"], ember.float64), 1e-5, 2e-5, "pooled_output")
    ((seq * tensor(j["g_seq"])).sum() + (pooled * tensor(j["g_pooled"])).sum()).backward()
    grads = ember.load(MODELS / "bert_grads.safetensors")
    params = dict(model.named_parameters())
    assert sorted(params) == sorted(grads)
    assert "encoder.layer.1.attention.self.query.weight" in params and "pooler.dense.bias" in params
    for name, p in params.items():
        close(p.grad, grads[name], 1e-4, 1e-5, "grad of " + name)


def test_minilm_sentence_embeddings():
    folder = DATA / "models" / "all-MiniLM-L6-v2"
    if not (folder / "model.safetensors").exists():
        pytest.skip(f"{folder} not found")
    model = M.BertModel.from_pretrained(folder)
    assert not model.training and model.config.hidden_size == 384
    # "the cat sat on the mat" and "hello world" in its WordPiece ids, the second padded.
    ids = ember.tensor([[101, 1996, 4937, 2938, 2006, 1996, 13523, 102], [101, 7592, 2088, 102, 0, 0, 0, 0]])
    mask = (ids != 0).long()
    seq, pooled = model(ids, mask)
    e = M.mean_pooling(seq, mask)
    e = e / e.norm(dim=1, keepdim=True)
    # From an independent float64 BERT written in PyTorch over the same file (sentence-transformers'
    # mean pooling and normalization; "hello world" gives its published embedding).
    ref0 = [0.1304018469027706, -0.011870149959548505, -0.028117018247687215, 0.05123866310468916]
    ref1 = [-0.034477272958293594, 0.031023190787332035, 0.006734966626554199, 0.026109004464219897]
    np.testing.assert_allclose(e[0, :4].tolist(), ref0, atol=2e-6)
    np.testing.assert_allclose(e[1, :4].tolist(), ref1, atol=2e-6)
    np.testing.assert_allclose(pooled[1, :4].tolist(), [-0.039659388304475886, 0.0221675101275095,
                                                        -0.011310320083448669, 0.027762603252279843], atol=2e-6)


def test_autoencoders_match_pytorch():
    j = golden("autoencoder.json")
    ae = M.ConvAutoencoder(4, 2)
    assert [[k, list(v.shape)] for k, v in M.ConvAutoencoder().state_dict().items()] == j["conv_autoencoder_keys"]
    cj = j["conv_autoencoder"]
    ae.load_state_dict({k: tensor(v) for k, v in cj["state"]["tensors"].items()})
    close(ae(tensor(cj["input"])), tensor(cj["output"], ember.float64), 1e-5, 1e-6, "ConvAutoencoder")
    assert tuple(ae.encode(tensor(cj["input"])).shape) == (cj["input"]["shape"][0], 4)

    vj = j["vae"]
    vae = M.VAE(vj["latent_dim"], vj["hidden"], vj["input"])
    assert [[k, list(v.shape)] for k, v in M.VAE().state_dict().items()] == j["vae_keys"]
    vae.load_state_dict({k: tensor(v) for k, v in vj["state"]["tensors"].items()})
    x = tensor(vj["x"])
    mu, logvar = vae.encode(x)
    close(mu, tensor(vj["mu"], ember.float64), 1e-5, 1e-6, "mu")
    recon = vae.decode(M.VAE.reparameterize(mu, logvar, tensor(vj["eps"])))
    close(recon, tensor(vj["recon"], ember.float64), 1e-5, 1e-6, "recon")
    assert M.vae_loss(recon, x, mu, logvar).item() == pytest.approx(vj["loss"], rel=1e-5)
    assert M.vae_kl_divergence(mu, logvar).item() == pytest.approx(vj["kl"], rel=1e-5)
    r1 = vae(x, ember.Generator().manual_seed(4))
    r2 = vae(x, ember.Generator().manual_seed(4))
    assert len(r1) == 3 and ember.equal(r1[0], r2[0])


def test_mnist_cnn():
    net = M.MnistCNN()
    assert list(net.state_dict()) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                                      "fc1.bias", "fc2.weight", "fc2.bias"]
    out = net(ember.zeros(2, 1, 28, 28))
    assert tuple(out.shape) == (2, 10)
    close(out.exp().sum(1), ember.ones(2), 1e-5, 1e-6, "log-probabilities")


def test_errors():
    model = M.GPT(vocab_size=10, block_size=4, n_layer=1, n_head=1, n_embd=4)
    with pytest.raises(TypeError, match="'idx'"):
        model("abc")
    with pytest.raises(TypeError, match="'targets'"):
        model(ember.tensor([[1]]), [1])
    with pytest.raises(ember.Error):
        model(ember.tensor([[12]]))  # token id out of range
    with pytest.raises(ember.Error):
        model(ember.tensor([[1, 2, 3, 4, 5]]))  # longer than block_size
    with pytest.raises(ember.Error, match="n_head"):
        M.GPT(vocab_size=10, n_embd=10, n_head=3, n_layer=1)
    with pytest.raises(TypeError, match="'config'"):
        M.GPT(3)
    with pytest.raises(TypeError, match="'top_k'"):
        model.generate([1], 3, top_k=2.5)
    with pytest.raises(TypeError, match="'prompt'"):
        M.generate(model, "hi")
    with pytest.raises(TypeError, match="'generator'"):
        model.generate([1], 3, generator="seed")
    with pytest.raises(ember.Error):
        model.generate([1], 3, temperature=-1.0)
    with pytest.raises(ember.Error):
        model.load_safetensors("/nonexistent/gpt.safetensors")
    with pytest.raises(ember.Error):  # the golden BERT's names are not GPT's
        model.load_safetensors(MODELS / "bert_hf.safetensors")
    with pytest.raises(TypeError, match="'input_ids'"):
        M.BertModel(vocab_size=10, hidden_size=4, num_hidden_layers=1, num_attention_heads=1,
                    intermediate_size=4)(None)
    with pytest.raises(ember.Error):
        M.BertModel.from_pretrained("/nonexistent")
    with pytest.raises(TypeError, match="'x'"):
        M.VAE(2, 4, 8)(3)
