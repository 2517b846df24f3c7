"""torch.nn.utils.rnn over ember::nn's packed sequences: PackedSequence, pack_padded_sequence,
pad_packed_sequence, pad_sequence, pack_sequence."""
from ... import _C
from ..._C import Tensor

_nn = _C._nn
PackedSequence = _nn.PackedSequence


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    if not isinstance(lengths, Tensor):
        lengths = [int(n) for n in lengths]
    return _nn.pack_padded_sequence(input, lengths, batch_first, enforce_sorted)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """-> (padded, lengths) in the original batch order."""
    return _nn.pad_packed_sequence(sequence, batch_first, float(padding_value), total_length)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    if padding_side != "right":
        raise NotImplementedError("pad_sequence(padding_side='left') is not supported by ember")
    return _nn.pad_sequence(list(sequences), batch_first, float(padding_value))


def pack_sequence(sequences, enforce_sorted=True):
    return _nn.pack_sequence(list(sequences), enforce_sorted)


__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence"]
