"""Golden cases for nn.RNN (tanh, relu), nn.LSTM, nn.GRU, their cells and packed sequences.
Regenerate: /usr/bin/python3 tests/golden/gen_rnn.py

Each module case builds the torch module with a fixed seed and passes its parameters to the case as
inputs (named by kwargs["weight_names"], PyTorch's own names), so the replay checks the gradient of
every weight and bias as well as of the input and h0 / c0. The output is one flat tensor:
cat(output, h_n[, c_n]); packed cases pad the packed output back (pad_packed_sequence) first.
Module cases with hidden size 9 (8 + 1) run both the 8-wide vector path and the scalar tail of the float32 kernel.
"""
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from golden_lib import Golden

g = Golden("rnn")
MODULES = {"RNN_TANH": lambda *a, **k: torch.nn.RNN(*a, nonlinearity="tanh", **k),
           "RNN_RELU": lambda *a, **k: torch.nn.RNN(*a, nonlinearity="relu", **k),
           "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}


def module_case(name, mode, I, H, T, B, layers=1, bias=True, batch_first=False, bidirectional=False, h0=True,
                lengths=None, enforce_sorted=True, unbatched=False, rtol=1e-5, atol=1e-6):
    m = MODULES[mode](I, H, layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    names = [n for n, _ in m.named_parameters()]
    weights = [p.detach().clone() for p in m.parameters()]
    D = 2 if bidirectional else 1
    lstm = mode == "LSTM"
    if unbatched:
        x = torch.randn(T, I)
        state_shape = (layers * D, H)
    else:
        x = torch.randn(B, T, I) if batch_first else torch.randn(T, B, I)
        state_shape = (layers * D, B, H)
    states = [torch.randn(state_shape) * 0.5 for _ in range(2 if lstm else 1)] if h0 else []
    packed = lengths is not None
    lens = [torch.tensor(lengths, dtype=torch.int64)] if packed else []

    def fn(x, *rest):
        rest = list(rest)
        if packed:
            rest.pop(0)
        st, ws = rest[:len(states)], rest[len(states):]
        m._flat_weights = list(ws)  # the module's forward reads these (torch 1.13)
        inp = pack_padded_sequence(x, lens[0], batch_first=batch_first, enforce_sorted=enforce_sorted) if packed else x
        hx = None if not st else (tuple(st) if lstm else st[0])
        out, hid = m(inp, hx)
        if packed:
            out, _ = pad_packed_sequence(out, batch_first=batch_first)
        parts = [out, *(hid if lstm else (hid,))]
        return torch.cat([p.reshape(-1) for p in parts])

    kw = {"mode": mode, "input_size": I, "hidden_size": H, "num_layers": layers, "bias": bias,
          "batch_first": batch_first, "bidirectional": bidirectional, "has_h0": h0, "packed": packed,
          "enforce_sorted": enforce_sorted, "weight_names": names}
    g.case(name, "rnn_module", fn, [x] + lens + states + weights, kw, rtol=rtol, atol=atol)


module_case("rnn_tanh_h9", "RNN_TANH", 2, 9, 3, 2)
module_case("rnn_relu_2layers_batch_first", "RNN_RELU", 3, 4, 4, 3, layers=2, batch_first=True, h0=False)
module_case("rnn_tanh_bidirectional_no_bias", "RNN_TANH", 2, 3, 3, 2, bidirectional=True, bias=False)
module_case("lstm_h9", "LSTM", 2, 9, 3, 2)
module_case("lstm_2layers_bidirectional_batch_first", "LSTM", 2, 3, 3, 2, layers=2, batch_first=True,
            bidirectional=True)
module_case("lstm_no_bias_no_h0", "LSTM", 2, 3, 3, 2, bias=False, h0=False)
module_case("lstm_unbatched", "LSTM", 2, 3, 3, None, layers=2, unbatched=True)
module_case("gru_h9", "GRU", 2, 9, 3, 2)
module_case("gru_2layers_bidirectional", "GRU", 2, 3, 3, 2, layers=2, bidirectional=True)
module_case("gru_unbatched_batch_first", "GRU", 2, 3, 3, None, batch_first=True, unbatched=True)
# Packed variable-length batches: h_n must be each sequence's state at its own last step.
module_case("lstm_packed_sorted_bidirectional", "LSTM", 2, 3, 4, 3, bidirectional=True, lengths=[4, 2, 1])
module_case("lstm_packed_unsorted_2layers", "LSTM", 2, 3, 4, 4, layers=2, lengths=[2, 4, 1, 3], enforce_sorted=False)
module_case("gru_packed_unsorted_batch_first_bidirectional", "GRU", 2, 3, 4, 3, batch_first=True, bidirectional=True,
            lengths=[1, 4, 3], enforce_sorted=False)
module_case("rnn_relu_packed_sorted_no_h0", "RNN_RELU", 2, 3, 3, 3, lengths=[3, 3, 1], h0=False)
module_case("rnn_tanh_packed_unsorted_bidirectional", "RNN_TANH", 2, 4, 3, 3, bidirectional=True, lengths=[2, 3, 1],
            enforce_sorted=False)


CELLS = {"RNN_TANH": lambda I, H, bias: torch.nn.RNNCell(I, H, bias, nonlinearity="tanh"),
         "RNN_RELU": lambda I, H, bias: torch.nn.RNNCell(I, H, bias, nonlinearity="relu"),
         "LSTM": torch.nn.LSTMCell, "GRU": torch.nn.GRUCell}


def cell_case(name, mode, I, H, B, bias=True, h=True, unbatched=False):
    m = CELLS[mode](I, H, bias)
    names = [n for n, _ in m.named_parameters()]
    weights = [p.detach().clone() for p in m.parameters()]
    lstm = mode == "LSTM"
    x = torch.randn(I) if unbatched else torch.randn(B, I)
    shape = (H,) if unbatched else (B, H)
    states = [torch.randn(shape) * 0.5 for _ in range(2 if lstm else 1)] if h else []

    def fn(x, *rest):
        st, ws = rest[:len(states)], rest[len(states):]
        for n, w in zip(names, ws):
            delattr(m, n)
            setattr(m, n, w)
        hx = None if not st else (tuple(st) if lstm else st[0])
        out = m(x, hx)
        return torch.cat([p.reshape(-1) for p in (out if lstm else (out,))])

    kw = {"mode": mode, "input_size": I, "hidden_size": H, "bias": bias, "has_h0": h, "weight_names": names}
    g.case(name, "rnn_cell", fn, [x] + states + weights, kw)


cell_case("rnn_cell_tanh", "RNN_TANH", 3, 4, 2)
cell_case("rnn_cell_relu_no_h", "RNN_RELU", 3, 4, 2, h=False)
cell_case("lstm_cell", "LSTM", 3, 4, 2)
cell_case("lstm_cell_unbatched_no_bias", "LSTM", 2, 3, None, bias=False, unbatched=True)
cell_case("gru_cell", "GRU", 3, 4, 2)
cell_case("gru_cell_no_h", "GRU", 2, 3, 3, h=False)


# Packing and unpacking on their own (distinct lengths: torch's sort is not stable, Ember's is).
def pack_case(name, shape, lengths, batch_first, enforce_sorted):
    lens = torch.tensor(lengths)
    g.case(name, "pack_padded_sequence",
           lambda x, l: pack_padded_sequence(x, l, batch_first=batch_first, enforce_sorted=enforce_sorted).data,
           [torch.randn(shape), lens], {"batch_first": batch_first, "enforce_sorted": enforce_sorted})

    def meta(x, l):
        p = pack_padded_sequence(x, l, batch_first=batch_first, enforce_sorted=enforce_sorted)
        parts = [p.batch_sizes] + ([p.sorted_indices, p.unsorted_indices] if not enforce_sorted else [])
        return torch.cat(parts)
    g.case(name + "_meta", "pack_padded_sequence_meta", meta, [torch.randn(shape), lens],
           {"batch_first": batch_first, "enforce_sorted": enforce_sorted}, grad=False)


pack_case("pack_sorted", (4, 3, 2), [4, 2, 1], False, True)
pack_case("pack_unsorted_batch_first", (3, 4, 2), [2, 4, 1], True, False)
pack_case("pack_unsorted_no_features", (4, 3), [3, 1, 4], False, False)


def pad_case(name, shape, lengths, batch_first, enforce_sorted, padding_value, total_length):
    lens = torch.tensor(lengths)

    def fn(x, l):
        p = pack_padded_sequence(x, l, batch_first=batch_first, enforce_sorted=enforce_sorted)
        out, out_lens = pad_packed_sequence(p, batch_first=batch_first, padding_value=padding_value,
                                            total_length=total_length)
        return out
    g.case(name, "pad_packed_sequence", fn, [torch.randn(shape), lens],
           {"batch_first": batch_first, "enforce_sorted": enforce_sorted, "padding_value": padding_value,
            "total_length": total_length})


pad_case("pad_roundtrip_unsorted", (4, 3, 2), [2, 4, 3], False, False, 0.0, None)
pad_case("pad_total_length_value_batch_first", (3, 3, 2), [3, 1, 2], True, False, -1.5, 5)
g.write()
