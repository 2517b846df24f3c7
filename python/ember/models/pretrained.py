"""Hugging Face model folders (ember::models::from_pretrained / save_pretrained): config.json
picks the architecture, model.safetensors (or its shards) the weights; save_pretrained writes a
folder transformers' AutoModel.from_pretrained loads.

    model = ember.models.from_pretrained("all-MiniLM-L6-v2")      # a BertModel, in eval mode
    clf = ember.models.BertForSequenceClassification.from_pretrained(path, num_labels=2)
    ember.models.save_pretrained(clf, "out/clf")                  # or clf.save_pretrained(...)
"""
import os

from .. import _C
from ..nn.modules._cpp import CppModule, wrap_cpp
from ._util import check_generator, check_int

_M = _C.models
LoadReport = _M.LoadReport


def _path(who, path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}(): argument 'path' must be a str or os.PathLike, not {type(path).__name__}")
    return os.fspath(path)


def _loading_info(report):
    # transformers' output_loading_info dict; Ember refuses mismatched shapes instead of listing them.
    return {"missing_keys": list(report.missing_keys), "unexpected_keys": list(report.unexpected_keys),
            "mismatched_keys": [], "error_msgs": []}


def from_pretrained(path, strict=False, num_labels=None, generator=None, output_loading_info=False):
    """The model in Hugging Face folder `path`, as the Ember class of config.json's architecture
    (BertModel, BertForSequenceClassification, GPT2Model, GPT for GPT2LMHeadModel), in eval mode.
    Missing/unexpected weights are reported (output_loading_info=True) or, with strict, an error."""
    path = _path("from_pretrained", path)
    check_int("from_pretrained", "num_labels", num_labels, optional=True)
    _, cpp, report = _M.from_pretrained(path, bool(strict), num_labels, check_generator("from_pretrained", generator))
    model = wrap_cpp(cpp)
    return (model, _loading_info(report)) if output_loading_info else model


def save_pretrained(model, path):
    """Writes `model` (BertModel, BertForSequenceClassification, GPT2Model or GPT) to the folder
    `path`: config.json and model.safetensors with transformers' names, each replaced atomically."""
    if not isinstance(model, CppModule) or not isinstance(model._cpp, (_M.BertModel, _M.BertForSequenceClassification,
                                                                      _M.GPT)):
        raise TypeError("save_pretrained(): argument 'model' must be an ember.models BertModel, "
                        f"BertForSequenceClassification, GPT2Model or GPT, not {type(model).__name__}")
    _M.save_pretrained(model._cpp, _path("save_pretrained", path))


class PretrainedMixin:
    """from_pretrained / save_pretrained on a model class whose C++ class has a typed from_pretrained."""

    @classmethod
    def from_pretrained(cls, path, strict=False, num_labels=None, generator=None, output_loading_info=False):
        who = f"{cls.__name__}.from_pretrained"
        path = _path(who, path)
        check_int(who, "num_labels", num_labels, optional=True)
        cpp, report = cls._cpp_class.from_pretrained(path, bool(strict), num_labels, check_generator(who, generator))
        model = wrap_cpp(cpp)
        return (model, _loading_info(report)) if output_loading_info else model

    def save_pretrained(self, path):
        save_pretrained(self, path)
