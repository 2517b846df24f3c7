"""ember.models' Hugging Face folders: from_pretrained on the committed tiny fixtures (made by
transformers, tests/fixtures/make_tiny_models.py) against transformers' outputs, save_pretrained
round trips, the loading report and bad input."""
import json
import pathlib
import shutil

import numpy as np
import pytest

import ember
import ember.models as M

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"


def tensor(spec, dtype=ember.int64):
    return ember.tensor(spec["data"], dtype=dtype).reshape(spec["shape"])


def close(got, spec, atol):
    np.testing.assert_allclose(np.asarray(got.detach().numpy()).reshape(-1), np.asarray(spec["data"]), atol=atol, rtol=0)
    assert list(got.shape) == spec["shape"]


def golden(name):
    return json.loads((FIXTURES / name).read_text())


def test_from_pretrained_picks_the_architecture():
    gpt = M.from_pretrained(FIXTURES / "tiny-gpt2")
    assert type(gpt) is M.GPT and not gpt.training
    clf = M.from_pretrained(FIXTURES / "tiny-bert-cls")
    assert type(clf) is M.BertForSequenceClassification and clf.config.num_labels == 2
    assert type(M.BertModel.from_pretrained(FIXTURES / "tiny-bert-cls")) is M.BertModel
    assert type(M.GPT2Model.from_pretrained(FIXTURES / "tiny-gpt2")) is M.GPT2Model


def test_tiny_gpt2_logits_and_greedy_tokens_equal_transformers():
    j = golden("tiny_gpt2.json")
    for folder in ("tiny-gpt2", "tiny-gpt2-fp16"):
        model = M.GPT.from_pretrained(FIXTURES / folder)
        cases = j["cases"] if folder == "tiny-gpt2" else [j["fp16"]]
        for case in cases:
            logits, loss = model(tensor(case["input_ids"]))
            assert loss is None
            close(logits, case["logits"], 1e-5)
    model = M.GPT.from_pretrained(FIXTURES / "tiny-gpt2")
    g = j["generate"]
    assert M.generate(model, g["prompt"], g["max_new_tokens"], temperature=0.0) == g["tokens"]
    hidden = M.GPT2Model.from_pretrained(FIXTURES / "tiny-gpt2")(tensor(j["cases"][0]["input_ids"]))
    assert list(hidden.shape) == j["cases"][0]["input_ids"]["shape"] + [model.config.n_embd]


def test_tiny_bert_classifier_logits_and_loss_equal_transformers():
    j = golden("tiny_bert_cls.json")
    for folder in ("tiny-bert-cls", "tiny-bert-cls-sharded"):
        model, info = M.BertForSequenceClassification.from_pretrained(FIXTURES / folder, output_loading_info=True)
        assert info["missing_keys"] == [] and info["unexpected_keys"] == []
        out = model(tensor(j["input_ids"]), tensor(j["attention_mask"]), tensor(j["token_type_ids"]),
                    labels=tensor(j["labels"]))
        close(out.logits, j["logits"], 1e-5)
        assert abs(out.loss.item() - j["loss"]) < 1e-5
        assert out[0] is out.loss and len(out) == 2
    assert model(tensor(j["input_ids"])).loss is None


def test_save_pretrained_round_trips(tmp_path):
    for folder, cls in (("tiny-gpt2", M.GPT), ("tiny-bert-cls", M.BertForSequenceClassification)):
        model = cls.from_pretrained(FIXTURES / folder)
        model.save_pretrained(tmp_path / folder)
        again = M.from_pretrained(tmp_path / folder, strict=True)
        assert type(again) is cls
        a, b = model.state_dict(), again.state_dict()
        assert list(a) == list(b)
        assert all(ember.equal(a[k], b[k]) for k in a)


def test_base_model_into_a_classifier_reports_the_new_head(tmp_path):
    # A BertModel folder (no classifier) loads for fine-tuning: the new head is reported missing.
    M.BertModel.from_pretrained(FIXTURES / "tiny-bert-cls").save_pretrained(tmp_path / "base")
    model, info = M.BertForSequenceClassification.from_pretrained(tmp_path / "base", num_labels=3,
                                                                   output_loading_info=True)
    assert model.config.num_labels == 3 and list(model.classifier.weight.shape)[0] == 3
    assert sorted(info["missing_keys"]) == ["classifier.bias", "classifier.weight"]
    with pytest.raises(ember.Error, match="classifier"):
        M.BertForSequenceClassification.from_pretrained(tmp_path / "base", num_labels=3, strict=True)
    with pytest.raises(ember.Error, match="classifier"):  # the checkpoint's head has 2 labels
        M.BertForSequenceClassification.from_pretrained(FIXTURES / "tiny-bert-cls", num_labels=3)


def test_bad_folders_name_the_file(tmp_path):
    with pytest.raises(ember.Error, match="config.json"):
        M.from_pretrained(tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(FIXTURES / "tiny-gpt2", bad)
    cfg = json.loads((bad / "config.json").read_text())
    cfg["model_type"], cfg["architectures"] = "llama", ["LlamaForCausalLM"]
    (bad / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ember.Error, match="llama|Llama"):
        M.from_pretrained(bad)
    trunc = tmp_path / "trunc"
    shutil.copytree(FIXTURES / "tiny-gpt2", trunc)
    data = (trunc / "model.safetensors").read_bytes()
    (trunc / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ember.Error, match="model.safetensors"):
        M.from_pretrained(trunc)
    with pytest.raises(TypeError, match="'path'"):
        M.from_pretrained(3)
    with pytest.raises(TypeError, match="'model'"):
        M.save_pretrained(ember.nn.Linear(2, 2), tmp_path / "x")
