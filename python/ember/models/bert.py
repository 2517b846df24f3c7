"""BERT (ember::models::BertModel) and BertForSequenceClassification with Hugging Face's names;
from_pretrained loads a Hugging Face folder (ember/models/pretrained.py), e.g. sentence-transformers'
all-MiniLM-L6-v2, and save_pretrained writes one."""
import os

from .. import _C
from ..nn.modules._cpp import CppModule
from ._util import check_generator, check_tensor, config_from
from .pretrained import PretrainedMixin

_M = _C.models
BertConfig = _M.BertConfig


class BertModel(PretrainedMixin, CppModule):
    """forward(input_ids, attention_mask=None, token_type_ids=None) -> (sequence_output (B, T, H),
    pooled_output (B, H)), as Hugging Face's last_hidden_state and pooler_output."""

    _cpp_class = _M.BertModel
    _cpp_attrs = ("config",)

    def __init__(self, config=None, generator=None, **kwargs):
        super().__init__()
        config = config_from("BertModel", BertConfig, config, kwargs)
        check_generator("BertModel", generator)
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


class SequenceClassifierOutput:
    """transformers' output of a sequence classifier: .loss (None without labels) and .logits;
    indexing and iteration give the fields that are set, loss first, as its ModelOutput does."""

    __slots__ = ("loss", "logits")

    def __init__(self, logits, loss=None):
        self.logits, self.loss = logits, loss

    def to_tuple(self):
        return tuple(v for v in (self.loss, self.logits) if v is not None)

    def __getitem__(self, i):
        return self.to_tuple()[i]

    def __iter__(self):
        return iter(self.to_tuple())

    def __len__(self):
        return len(self.to_tuple())

    def __repr__(self):
        return f"SequenceClassifierOutput(loss={self.loss!r}, logits={self.logits!r})"


class BertForSequenceClassification(PretrainedMixin, CppModule):
    """BERT with a classification head over the pooled output, with transformers' names (bert.*,
    classifier.*): forward(input_ids, attention_mask=None, token_type_ids=None, labels=None) ->
    SequenceClassifierOutput(logits (B, num_labels), loss). The loss follows config.problem_type as
    transformers: int64 labels give cross-entropy, float labels MSE (num_labels 1) or BCE."""

    _cpp_class = _M.BertForSequenceClassification
    _cpp_attrs = ("config",)

    def __init__(self, config=None, generator=None, **kwargs):
        super().__init__()
        config = config_from("BertForSequenceClassification", BertConfig, config, kwargs)
        check_generator("BertForSequenceClassification", generator)
        self._adopt(_M.BertForSequenceClassification(config, generator))

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        who = "BertForSequenceClassification.forward"
        check_tensor(who, "input_ids", input_ids)
        check_tensor(who, "attention_mask", attention_mask, optional=True)
        check_tensor(who, "token_type_ids", token_type_ids, optional=True)
        check_tensor(who, "labels", labels, optional=True)
        logits, loss = self._cpp.forward(input_ids, attention_mask, token_type_ids, labels)
        return SequenceClassifierOutput(logits, loss)


def mean_pooling(sequence_output, attention_mask):
    """The mean of the real tokens' hidden states (B, H): sentence-transformers' pooling."""
    check_tensor("mean_pooling", "sequence_output", sequence_output)
    check_tensor("mean_pooling", "attention_mask", attention_mask)
    m = attention_mask.unsqueeze(-1).to(sequence_output.dtype)
    return (sequence_output * m).sum(1) / m.sum(1).clamp(min=1e-9)
