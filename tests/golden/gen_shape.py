"""Golden cases for joining, splitting and indexing ops. Regenerate: /usr/bin/python3 tests/golden/gen_shape.py

Multi-output ops (split, chunk, unbind, ...) are recorded as the concatenation of their flattened
pieces, so one output covers every piece and its gradient.
"""
import torch

from golden_lib import Golden

g = Golden("shape")
r = lambda *s: torch.randn(*s)
ri = lambda lo, hi, *s: torch.randint(lo, hi, s)
flat_cat = lambda pieces: torch.cat([p.reshape(-1) for p in pieces])

# cat / stack
g.case("cat_dim0", "cat", lambda a, b: torch.cat([a, b], 0), [r(2, 3), r(1, 3)], {"dim": 0})
g.case("cat_dim1", "cat", lambda a, b, c: torch.cat([a, b, c], 1), [r(2, 1), r(2, 3), r(2, 2)], {"dim": 1})
g.case("cat_last_3d", "cat", lambda a, b: torch.cat([a, b], -1), [r(2, 2, 3), r(2, 2, 1)], {"dim": -1})
g.case("cat_middle_3d", "cat", lambda a, b: torch.cat([a, b], 1), [r(2, 1, 3), r(2, 2, 3)], {"dim": 1})
g.case("cat_mixed_dtypes", "cat", lambda a, b, c: torch.cat([a, b, c], 0),
       [r(1, 3).double(), r(2, 3), ri(-3, 3, 1, 3)], {"dim": 0})
g.case("cat_int_bool", "cat", lambda a, b: torch.cat([a, b], 0), [ri(-3, 3, 2), torch.tensor([True, False])],
       {"dim": 0}, grad=False)
g.case("cat_skips_empty_1d", "cat", lambda a, b, c: torch.cat([a, b, c], 1), [r(2, 2), torch.empty(0), r(2, 1)],
       {"dim": 1})
g.case("stack_dim0", "stack", lambda a, b, c: torch.stack([a, b, c], 0), [r(2, 3), r(2, 3), r(2, 3)], {"dim": 0})
g.case("stack_dim1", "stack", lambda a, b: torch.stack([a, b], 1), [r(2, 3), r(2, 3)], {"dim": 1})
g.case("stack_last", "stack", lambda a, b: torch.stack([a, b], -1), [r(2, 3), r(2, 3)], {"dim": -1})

# split family (views)
g.case("split_uneven", "split", lambda a: flat_cat(torch.split(a, 2, 0)), [r(5, 3)], {"split_size": 2, "dim": 0})
g.case("split_dim1", "split", lambda a: flat_cat(torch.split(a, 2, 1)), [r(2, 5)], {"split_size": 2, "dim": 1})
g.case("split_with_sizes", "split_with_sizes", lambda a: flat_cat(torch.split(a, [1, 3, 0, 1], 1)), [r(2, 5)],
       {"sizes": [1, 3, 0, 1], "dim": 1})
g.case("chunk", "chunk", lambda a: flat_cat(torch.chunk(a, 3, 0)), [r(5, 2)], {"chunks": 3, "dim": 0})
g.case("chunk_last", "chunk", lambda a: flat_cat(torch.chunk(a, 2, -1)), [r(2, 2, 3)], {"chunks": 2, "dim": -1})
g.case("unbind_dim0", "unbind", lambda a: flat_cat(torch.unbind(a, 0)), [r(3, 2)], {"dim": 0})
g.case("unbind_dim1", "unbind", lambda a: flat_cat(torch.unbind(a, 1)), [r(2, 3, 2)], {"dim": 1})

# index_select / gather / scatter_add
g.case("index_select_dim0_repeats", "index_select", lambda a, i: torch.index_select(a, 0, i),
       [r(4, 3), torch.tensor([3, 0, 3, 1])], {"dim": 0})
g.case("index_select_dim1", "index_select", lambda a, i: torch.index_select(a, 1, i),
       [r(2, 4, 2), torch.tensor([2, 2, 0])], {"dim": 1})
g.case("index_select_last", "index_select", lambda a, i: torch.index_select(a, -1, i),
       [r(3, 4), torch.tensor([1, 3])], {"dim": -1})
g.case("index_select_int", "index_select", lambda a, i: torch.index_select(a, 0, i),
       [ri(-9, 9, 3, 2), torch.tensor([2, 0])], {"dim": 0}, grad=False)
g.case("gather_dim0", "gather", lambda a, i: torch.gather(a, 0, i), [r(3, 4), ri(0, 3, 2, 4)], {"dim": 0})
g.case("gather_dim1", "gather", lambda a, i: torch.gather(a, 1, i), [r(3, 4), ri(0, 4, 3, 5)], {"dim": 1})
g.case("gather_smaller_index", "gather", lambda a, i: torch.gather(a, 1, i), [r(3, 4, 2), ri(0, 4, 2, 3, 1)],
       {"dim": 1})
g.case("gather_last_3d", "gather", lambda a, i: torch.gather(a, -1, i), [r(2, 3, 4), ri(0, 4, 2, 3, 2)], {"dim": -1})
g.case("scatter_add_dim0", "scatter_add", lambda s, i, x: torch.scatter_add(s, 0, i, x),
       [r(3, 4), ri(0, 3, 2, 4), r(2, 4)], {"dim": 0})
g.case("scatter_add_dim1_repeats", "scatter_add", lambda s, i, x: torch.scatter_add(s, 1, i, x),
       [r(2, 3), torch.tensor([[0, 0, 2, 0], [1, 1, 1, 2]]), r(2, 4)], {"dim": 1})
g.case("scatter_add_src_larger", "scatter_add", lambda s, i, x: torch.scatter_add(s, 1, i, x),
       [r(3, 4), ri(0, 4, 3, 2), r(3, 3)], {"dim": 1}, grad=False)  # PyTorch 1.13 has no src grad here
g.case("scatter_add_index_smaller_than_self", "scatter_add", lambda s, i, x: torch.scatter_add(s, 1, i, x),
       [r(3, 4, 2), ri(0, 4, 2, 3, 1), r(2, 3, 1)], {"dim": 1})
g.case("scatter_add_int", "scatter_add", lambda s, i, x: torch.scatter_add(s, 0, i, x),
       [ri(-5, 5, 3, 2), ri(0, 3, 3, 2), ri(-5, 5, 3, 2)], {"dim": 0}, grad=False)

# tril / triu
g.case("tril", "tril", lambda a: torch.tril(a), [r(4, 4)])
g.case("tril_diag1_wide", "tril", lambda a: torch.tril(a, 1), [r(3, 5)], {"diagonal": 1})
g.case("tril_diag_neg_batched", "tril", lambda a: torch.tril(a, -1), [r(2, 3, 3)], {"diagonal": -1})
g.case("triu", "triu", lambda a: torch.triu(a), [r(4, 4)])
g.case("triu_diag2_tall", "triu", lambda a: torch.triu(a, 2), [r(5, 3)], {"diagonal": 2})
g.case("triu_diag_neg_batched", "triu", lambda a: torch.triu(a, -1), [r(2, 3, 4)], {"diagonal": -1})
g.case("triu_int", "triu", lambda a: torch.triu(a), [ri(-5, 5, 3, 3)], grad=False)
g.write()
