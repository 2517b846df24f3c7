"""Golden cases for matrix products. Regenerate: /usr/bin/python3 tests/golden/gen_linalg.py

Ops named *_t take some operands stored transposed (kwargs say which) so that the C++ side
passes column-major views to the GEMM (the transpose flags) rather than contiguous copies."""
import torch
import torch.nn.functional as F

from golden_lib import Golden

g = Golden("linalg")
r = lambda *s: torch.randn(*s)


def tr(x, flag):
    return x.transpose(-1, -2) if flag else x


def mm_t(ta, tb):
    return lambda a, b: torch.mm(tr(a, ta), tr(b, tb))


g.case("mm", "mm", torch.mm, [r(3, 4), r(4, 5)])
g.case("mm_f64", "mm", torch.mm, [r(3, 4).double(), r(4, 2).double()])
g.case("mm_int64", "mm", torch.mm, [torch.randint(-5, 5, (3, 4)), torch.randint(-5, 5, (4, 2))], grad=False)
g.case("mm_int32", "mm", torch.mm, [torch.randint(-5, 5, (2, 3), dtype=torch.int32),
                                    torch.randint(-5, 5, (3, 4), dtype=torch.int32)], grad=False)
g.case("mm_row_vector", "mm", torch.mm, [r(1, 4), r(4, 3)])
g.case("mm_col_vector", "mm", torch.mm, [r(3, 4), r(4, 1)])
g.case("mm_empty_inner", "mm", torch.mm, [r(3, 0), r(0, 2)])
g.case("mm_a_transposed", "mm_t", mm_t(True, False), [r(4, 3), r(4, 5)], {"ta": True})
g.case("mm_b_transposed", "mm_t", mm_t(False, True), [r(3, 4), r(5, 4)], {"tb": True})
g.case("mm_both_transposed", "mm_t", mm_t(True, True), [r(4, 3), r(5, 4)], {"ta": True, "tb": True})
g.case("mm_both_transposed_f64", "mm_t", mm_t(True, True), [r(4, 3).double(), r(5, 4).double()], {"ta": True, "tb": True})
g.case("bmm", "bmm", torch.bmm, [r(2, 3, 4), r(2, 4, 5)])
g.case("bmm_b_transposed", "bmm_t", lambda a, b: torch.bmm(a, b.transpose(1, 2)), [r(3, 2, 4), r(3, 5, 4)], {"tb": True})
g.case("bmm_int64", "bmm", torch.bmm, [torch.randint(-5, 5, (2, 2, 3)), torch.randint(-5, 5, (2, 3, 2))], grad=False)
g.case("dot", "dot", torch.dot, [r(5), r(5)])
g.case("dot_f64", "dot", torch.dot, [r(4).double(), r(4).double()])
g.case("dot_int64", "dot", torch.dot, [torch.randint(-5, 5, (6,)), torch.randint(-5, 5, (6,))], grad=False)
g.case("matmul_1d_1d", "matmul", torch.matmul, [r(4), r(4)])
g.case("matmul_2d_1d", "matmul", torch.matmul, [r(3, 4), r(4)])
g.case("matmul_1d_2d", "matmul", torch.matmul, [r(4), r(4, 3)])
g.case("matmul_2d_2d", "matmul", torch.matmul, [r(3, 4), r(4, 2)])
g.case("matmul_3d_2d_folded", "matmul", torch.matmul, [r(2, 3, 4), r(4, 5)])
g.case("matmul_3d_1d", "matmul", torch.matmul, [r(2, 3, 4), r(4)])
g.case("matmul_1d_3d", "matmul", torch.matmul, [r(4), r(2, 4, 3)])
g.case("matmul_2d_3d_broadcast", "matmul", torch.matmul, [r(3, 4), r(2, 4, 5)])
g.case("matmul_batch_broadcast", "matmul", torch.matmul, [r(1, 3, 4), r(2, 4, 5)])
g.case("matmul_4d_3d_broadcast", "matmul", torch.matmul, [r(2, 1, 3, 4), r(3, 4, 2)])
g.case("matmul_4d_4d", "matmul", torch.matmul, [r(2, 2, 3, 4), r(2, 2, 4, 3)])
g.case("matmul_b_transposed", "matmul_t", lambda a, b: torch.matmul(a, b.transpose(-1, -2)),
       [r(2, 3, 4), r(2, 5, 4)], {"tb": True})
g.case("matmul_int64_batched", "matmul", torch.matmul,
       [torch.randint(-5, 5, (2, 2, 3)), torch.randint(-5, 5, (3, 2))], grad=False)
g.case("linear", "linear", F.linear, [r(4, 3), r(5, 3), r(5)])
g.case("linear_no_bias", "linear", F.linear, [r(4, 3), r(5, 3)])
g.case("linear_3d", "linear", F.linear, [r(2, 3, 4), r(2, 4), r(2)])
g.case("linear_1d", "linear", F.linear, [r(3), r(2, 3), r(2)])
g.case("linear_f64", "linear", F.linear, [r(3, 4).double(), r(2, 4).double(), r(2).double()])
g.case("addmm", "addmm", torch.addmm, [r(5), r(3, 4), r(4, 5)])
g.case("addmm_beta_alpha", "addmm", lambda c, a, b: torch.addmm(c, a, b, beta=0.5, alpha=-2.0),
       [r(3, 5), r(3, 4), r(4, 5)], {"beta": 0.5, "alpha": -2.0})
g.case("addmm_col_bias", "addmm", torch.addmm, [r(3, 1), r(3, 4), r(4, 2)])
g.case("addmm_scalar_bias", "addmm", torch.addmm, [r(()), r(2, 3), r(3, 2)])
g.case("addmm_beta_zero", "addmm", lambda c, a, b: torch.addmm(c, a, b, beta=0.0), [r(2), r(3, 4), r(4, 2)], {"beta": 0.0})
g.case("Tensor_matmul_method", "matmul_method", lambda a, b: a.matmul(b), [r(2, 3), r(3, 2)])
g.write()
