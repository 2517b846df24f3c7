"""Golden cases for view ops (values and gradients). Regenerate: /usr/bin/python3 tests/golden/gen_views.py

The harness also replays each case with a non-contiguous input (every other element of a wider
buffer), which exercises view()'s stride computation on strided tensors.
"""
import torch

from golden_lib import Golden

g = Golden("views")
r = lambda *s: torch.randn(*s)


def slice_(x, dim, start, end, step):
    idx = [slice(None)] * x.dim()
    idx[dim] = slice(start, end, step)
    return x[tuple(idx)]


g.case("view_merge", "view", lambda x: x.view(6, 4), [r(2, 3, 4)], {"shape": [6, 4]})
g.case("view_infer", "view", lambda x: x.view(-1), [r(2, 3, 4)], {"shape": [-1]})
g.case("view_split", "view", lambda x: x.view(2, 2, 6), [r(2, 12)], {"shape": [2, 2, 6]})
g.case("view_to_0d", "view", lambda x: x.view(()), [r(1, 1)], {"shape": []})
g.case("reshape_infer", "reshape", lambda x: x.reshape(3, -1), [r(2, 3, 2)], {"shape": [3, -1]})
g.case("reshape_of_transpose", "reshape_t", lambda x: x.t().reshape(-1), [r(3, 4)], {"shape": [-1]})
g.case("transpose", "transpose", lambda x: x.transpose(0, 2), [r(2, 3, 4)], {"dim0": 0, "dim1": 2})
g.case("transpose_negative", "transpose", lambda x: x.transpose(-1, -2), [r(2, 3, 4)], {"dim0": -1, "dim1": -2})
g.case("t", "t", lambda x: x.t(), [r(3, 5)])
g.case("t_1d", "t", lambda x: x.t(), [r(5)])
g.case("permute", "permute", lambda x: x.permute(2, 0, 1), [r(2, 3, 4)], {"dims": [2, 0, 1]})
g.case("permute_negative", "permute", lambda x: x.permute(-1, 0, 1), [r(2, 3, 4)], {"dims": [-1, 0, 1]})
g.case("narrow", "narrow", lambda x: x.narrow(1, 1, 2), [r(2, 4, 3)], {"dim": 1, "start": 1, "length": 2})
g.case("narrow_negative_start", "narrow", lambda x: x.narrow(-1, -3, 2), [r(2, 5)], {"dim": -1, "start": -3, "length": 2})
g.case("slice_step", "slice", lambda x: slice_(x, 1, 1, 6, 2), [r(3, 7)], {"dim": 1, "start": 1, "end": 6, "step": 2})
g.case("slice_negative", "slice", lambda x: slice_(x, 0, -3, -1, 1), [r(5, 2)], {"dim": 0, "start": -3, "end": -1, "step": 1})
g.case("slice_clamped_end", "slice", lambda x: slice_(x, 1, 2, 100, 3), [r(2, 9)], {"dim": 1, "start": 2, "end": 100, "step": 3})
g.case("slice_empty", "slice", lambda x: slice_(x, 0, 3, 3, 1), [r(4, 2)], {"dim": 0, "start": 3, "end": 3, "step": 1}, gradcheck=False)
g.case("select", "select", lambda x: x.select(1, 2), [r(2, 3, 4)], {"dim": 1, "index": 2})
g.case("select_negative", "select", lambda x: x.select(-1, -1), [r(2, 3)], {"dim": -1, "index": -1})
g.case("select_to_0d", "select", lambda x: x.select(0, 1), [r(3)], {"dim": 0, "index": 1})
g.case("expand", "expand", lambda x: x.expand(2, 3, 4), [r(3, 1)], {"shape": [2, 3, 4]})
g.case("expand_minus_one", "expand", lambda x: x.expand(-1, 5), [r(4, 1)], {"shape": [-1, 5]})
g.case("expand_0d", "expand", lambda x: x.expand(2, 3), [r(())], {"shape": [2, 3]})
g.case("squeeze_all", "squeeze", lambda x: x.squeeze(), [r(1, 3, 1, 2)])
g.case("squeeze_dim", "squeeze_dim", lambda x: x.squeeze(2), [r(3, 2, 1)], {"dim": 2})
g.case("squeeze_dim_not_one", "squeeze_dim", lambda x: x.squeeze(0), [r(3, 2)], {"dim": 0})
g.case("unsqueeze", "unsqueeze", lambda x: x.unsqueeze(1), [r(3, 2)], {"dim": 1})
g.case("unsqueeze_end", "unsqueeze", lambda x: x.unsqueeze(-1), [r(3, 2)], {"dim": -1})
g.case("flatten", "flatten", lambda x: x.flatten(), [r(2, 3, 2)])
g.case("flatten_range", "flatten", lambda x: x.flatten(1, 2), [r(2, 3, 2, 2)], {"start_dim": 1, "end_dim": 2})
g.case("flatten_0d", "flatten", lambda x: x.flatten(), [r(())])
g.case("unflatten", "unflatten", lambda x: x.unflatten(1, (2, 3)), [r(2, 6)], {"dim": 1, "sizes": [2, 3]})
g.case("unflatten_infer", "unflatten", lambda x: x.unflatten(-1, (-1, 2)), [r(3, 4)], {"dim": -1, "sizes": [-1, 2]})
g.case("contiguous_of_transpose", "contiguous_t", lambda x: x.t().contiguous(), [r(3, 4)])
# Chains: a view of a view routes the gradient back through both.
g.case("chain", "chain", lambda x: x.permute(1, 0, 2)[1:, 0].unsqueeze(0).expand(2, 2, 4), [r(2, 3, 4)])
g.write()
