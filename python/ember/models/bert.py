"""BERT (ember::models::BertModel) with Hugging Face's BertModel names; from_pretrained loads a
Hugging Face folder (config.json + model.safetensors), e.g. sentence-transformers' all-MiniLM-L6-v2."""
import json
import os

from .. import _C
from ..nn.modules._cpp import CppModule
from ._util import check_tensor, config_from

_M = _C.models
BertConfig = _M.BertConfig
_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
           "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size",
           "layer_norm_eps", "pad_token_id")


def _config_from_hf(hf):
    act = hf.get("hidden_act", "gelu")
    if act != "gelu":
        raise _C.Error(f"BertModel.from_pretrained: hidden_act '{act}' is not supported (ember's BERT uses gelu)")
    kind = hf.get("position_embedding_type", "absolute")
    if kind != "absolute":
        raise _C.Error(f"BertModel.from_pretrained: position_embedding_type '{kind}' is not supported")
    return BertConfig(**{k: hf[k] for k in _FIELDS if k in hf})


class BertModel(CppModule):
    """forward(input_ids, attention_mask=None, token_type_ids=None) -> (sequence_output (B, T, H),
    pooled_output (B, H)), as Hugging Face's last_hidden_state and pooler_output."""

    _cpp_class = _M.BertModel
    _cpp_attrs = ("config",)

    def __init__(self, config=None, generator=None, **kwargs):
        super().__init__()
        config = config_from("BertModel", BertConfig, config, kwargs)
        if generator is not None and not isinstance(generator, _C.Generator):
            raise TypeError(f"BertModel(): argument 'generator' must be ember.Generator or None, not "
                            f"{type(generator).__name__}")
        self._adopt(_M.BertModel(config, generator))

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        check_tensor("BertModel.forward", "input_ids", input_ids)
        check_tensor("BertModel.forward", "attention_mask", attention_mask, optional=True)
        check_tensor("BertModel.forward", "token_type_ids", token_type_ids, optional=True)
        return self._cpp.forward(input_ids, attention_mask, token_type_ids)

    def load_safetensors(self, path):
        """A Hugging Face BERT checkpoint ("bert." prefix or none; cls.* heads skipped)."""
        self._cpp.load_safetensors(os.fspath(path))
        return self

    @classmethod
    def from_pretrained(cls, path):
        """A Hugging Face model folder: config.json and model.safetensors; returned in eval mode."""
        path = os.fspath(path)
        try:
            with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
                hf = json.load(f)
        except OSError as e:
            raise _C.Error(f"BertModel.from_pretrained: cannot read {path}/config.json: {e.strerror}") from None
        model = cls(_config_from_hf(hf))
        model.load_safetensors(os.path.join(path, "model.safetensors"))
        return model.eval()


def mean_pooling(sequence_output, attention_mask):
    """The mean of the real tokens' hidden states (B, H): sentence-transformers' pooling."""
    check_tensor("mean_pooling", "sequence_output", sequence_output)
    check_tensor("mean_pooling", "attention_mask", attention_mask)
    m = attention_mask.unsqueeze(-1).to(sequence_output.dtype)
    return (sequence_output * m).sum(1) / m.sum(1).clamp(min=1e-9)
