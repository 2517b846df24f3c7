"""GPT-2 (ember::models::GPT): forward(idx, targets=None) -> (logits, loss) as nanoGPT, GPT-2's
state_dict names (wte.weight, h.0.attn.c_attn.weight, ...), and decoding with the KV cache."""
import os

from .. import _C
from ..nn.modules._cpp import CppModule
from ._util import check_generator, check_int, check_number, check_tensor, config_from
from .pretrained import PretrainedMixin

_M = _C.models
GPTConfig = _M.GPTConfig
KVCache = _M.KVCache

def _prompt_list(who, prompt):
    if isinstance(prompt, _C.Tensor):
        if prompt.dim() != 1:
            raise ValueError(f"{who}(): a tensor prompt must be 1-D token ids, got shape {tuple(prompt.shape)}")
        return prompt.tolist()
    if isinstance(prompt, (list, tuple)) and all(isinstance(t, int) and not isinstance(t, bool) for t in prompt):
        return list(prompt)
    raise TypeError(f"{who}(): argument 'prompt' must be a list of ints or a 1-D Tensor, not {type(prompt).__name__}")


def generate(model, prompt, max_new_tokens=100, temperature=1.0, top_k=None, top_p=1.0, stop_token=None,
             crop_prompt=True, use_cache=True, generator=None):
    """ember::models::generate: the new token ids (a list) continuing `prompt` (ids). Greedy when
    temperature is 0. `generator`: an ember.Generator, an int seed or None (the default generator).
    Runs in eval mode without gradients and without the GIL."""
    if not isinstance(model, GPT):
        raise TypeError(f"generate(): argument 'model' must be ember.models.GPT, not {type(model).__name__}")
    ids = _prompt_list("generate", prompt)
    check_int("generate", "max_new_tokens", max_new_tokens)
    check_number("generate", "temperature", temperature)
    check_int("generate", "top_k", top_k, optional=True)
    check_number("generate", "top_p", top_p)
    check_int("generate", "stop_token", stop_token, optional=True)
    return _M.generate(model._cpp, ids, max_new_tokens, float(temperature), top_k or 0, float(top_p), stop_token,
                       bool(crop_prompt), bool(use_cache), generator)


class GPT(PretrainedMixin, CppModule):
    """GPT(config) or GPT(vocab_size=..., n_layer=..., ...); GPT-2's initialization drawn from
    `generator` (default: the default generator, so ember.manual_seed makes it repeatable)."""

    _cpp_class = _M.GPT
    _cpp_attrs = ("config",)

    def __init__(self, config=None, generator=None, **kwargs):
        super().__init__()
        config = config_from("GPT", GPTConfig, config, kwargs)
        check_generator("GPT", generator)
        self._adopt(_M.GPT(config, generator))

    def forward(self, idx, targets=None, cache=None):
        """idx (B, T) int64 -> (logits (B, T, V), mean cross-entropy or None); -1 targets are ignored."""
        check_tensor("GPT.forward", "idx", idx)
        check_tensor("GPT.forward", "targets", targets, optional=True)
        if cache is not None and not isinstance(cache, KVCache):
            raise TypeError(f"GPT.forward(): argument 'cache' must be ember.models.KVCache or None, not "
                            f"{type(cache).__name__}")
        return self._cpp.forward(idx, targets, cache)

    def loss(self, idx, targets):
        """forward's loss without materializing the logits (what training needs)."""
        check_tensor("GPT.loss", "idx", idx)
        check_tensor("GPT.loss", "targets", targets)
        return self._cpp.loss(idx, targets)

    def hidden_states(self, idx, cache=None):
        check_tensor("GPT.hidden_states", "idx", idx)
        return self._cpp.hidden_states(idx, cache)

    def next_token_logits(self, idx, cache=None):
        check_tensor("GPT.next_token_logits", "idx", idx)
        return self._cpp.next_token_logits(idx, cache)

    def decay_groups(self):
        """(2-D weights, the rest): nanoGPT's weight-decay split, for optimizer param groups."""
        return self._cpp.decay_groups()

    def generate(self, idx, max_new_tokens=100, temperature=1.0, top_k=None, top_p=1.0, stop_token=None,
                 crop_prompt=True, use_cache=True, generator=None):
        """nanoGPT's generate: idx (B, T) -> (B, T + max_new_tokens), each row continued in turn
        (rows must then all have the same length: with stop_token use B = 1). A list of ids gives
        the list of new ids, as ember.models.generate."""
        if not isinstance(idx, _C.Tensor):
            return generate(self, idx, max_new_tokens, temperature, top_k, top_p, stop_token, crop_prompt,
                            use_cache, generator)
        if idx.dim() != 2:
            raise ValueError(f"GPT.generate(): idx must be (B, T) token ids, got shape {tuple(idx.shape)}")
        if isinstance(generator, int) and not isinstance(generator, bool):
            generator = _C.Generator().manual_seed(generator)  # one stream over all rows
        rows = [r + generate(self, r, max_new_tokens, temperature, top_k, top_p, stop_token, crop_prompt,
                             use_cache, generator) for r in idx.tolist()]
        if len({len(r) for r in rows}) > 1:
            raise ValueError("GPT.generate(): rows stopped at different lengths; generate one row at a time")
        return _C.tensor(rows, dtype=_C.dtype.int64)

    def load_safetensors(self, path):
        """Loads a GPT-2 checkpoint with Hugging Face's names (see ember/models/gpt.h)."""
        self._cpp.load_safetensors(os.fspath(path))
        return self

    @classmethod
    def from_pretrained(cls, path, config=None, strict=False, generator=None, output_loading_info=False):
        """A Hugging Face GPT-2 folder (config.json + model.safetensors or shards; ember/models/pretrained.py),
        or a .safetensors file with `config` (default GPT-2 124M). In eval mode."""
        if os.path.isdir(os.fspath(path)) and config is None:
            return super().from_pretrained(path, strict=strict, generator=generator,
                                           output_loading_info=output_loading_info)
        model = cls(config if config is not None else GPTConfig.gpt2())
        model.load_safetensors(path)
        return model.eval()


class GPT2Model(GPT):
    """transformers' GPT2Model: GPT-2 without the head; forward(idx, cache=None) -> the final
    LayerNorm's hidden states (B, T, C). Same parameters and names as GPT (whose head is tied)."""

    _cpp_class = _M.GPT2Model

    def __init__(self, config=None, generator=None, **kwargs):
        CppModule.__init__(self)
        config = config_from("GPT2Model", GPTConfig, config, kwargs)
        check_generator("GPT2Model", generator)
        self._adopt(_M.GPT2Model(config, generator))

    def forward(self, idx, cache=None):
        check_tensor("GPT2Model.forward", "idx", idx)
        if cache is not None and not isinstance(cache, KVCache):
            raise TypeError(f"GPT2Model.forward(): argument 'cache' must be ember.models.KVCache or None, not "
                            f"{type(cache).__name__}")
        return self._cpp.forward(idx, cache)
