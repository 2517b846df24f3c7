"""Golden cases for dropout, batch_norm, layer_norm, embedding and one_hot.
Regenerate: /usr/bin/python3 tests/golden/gen_nnfunc.py

batch_norm's running statistics are not differentiable inputs, so they travel in kwargs
("running_mean"/"running_var" lists, the values before the call). The "batch_norm_running_stats"
cases record PyTorch's running statistics after one training step: cat([running_mean, running_var]).
Dropout's mask is random, so only its identity cases (eval mode, p = 0) are golden; the rest is
tested statistically in tests/test_nnfunc.cpp.
"""
import torch
import torch.nn.functional as F

from golden_lib import Golden

g = Golden("nnfunc")
r = lambda *s: torch.randn(*s)

g.case("dropout_eval", "dropout", lambda x: F.dropout(x, 0.5, training=False), [r(3, 4)],
       {"p": 0.5, "training": False})
g.case("dropout_p0", "dropout", lambda x: F.dropout(x, 0.0, training=True), [r(3, 4)], {"p": 0.0, "training": True})


def bn_case(name, x, affine=True, running=True, training=True, momentum=0.1, eps=1e-5):
    C = x.shape[1]
    rm0 = (torch.randn(C) * 0.1).tolist() if running else None
    rv0 = (torch.rand(C) + 0.5).tolist() if running else None
    kw = {"training": training, "momentum": momentum, "eps": eps, "affine": affine}
    if running:
        kw["running_mean"], kw["running_var"] = rm0, rv0

    def fn(x, *wb):
        rm = torch.tensor(rm0) if running else None
        rv = torch.tensor(rv0) if running else None
        w, b = (wb if affine else (None, None))
        return F.batch_norm(x, rm, rv, w, b, training=training, momentum=momentum, eps=eps)

    inputs = [x] + ([torch.rand(C) + 0.5, r(C)] if affine else [])
    g.case(name, "batch_norm", fn, inputs, kw)
    if training and running:
        def stats(x):
            rm, rv = torch.tensor(rm0), torch.tensor(rv0)
            F.batch_norm(x, rm, rv, None, None, training=True, momentum=momentum, eps=eps)
            return torch.cat([rm, rv])
        g.case(name + "_running_stats", "batch_norm_running_stats", stats, [x], kw, grad=False)


bn_case("batch_norm_2d", r(4, 3))
bn_case("batch_norm_4d", r(2, 3, 2, 2) * 2 + 1)
bn_case("batch_norm_3d_momentum", r(3, 2, 4), momentum=0.3, eps=1e-3)
bn_case("batch_norm_no_affine", r(2, 3, 3), affine=False)
bn_case("batch_norm_no_running", r(3, 2, 2), running=False)
bn_case("batch_norm_eval", r(2, 3, 2, 2), training=False)
bn_case("batch_norm_eval_no_affine", r(4, 3), training=False, affine=False)

g.case("layer_norm_last", "layer_norm", lambda x, w, b: F.layer_norm(x, [4], w, b), [r(2, 3, 4), r(4), r(4)],
       {"normalized_shape": [4]})
g.case("layer_norm_two_dims", "layer_norm", lambda x, w, b: F.layer_norm(x, [3, 4], w, b, eps=1e-3),
       [r(2, 3, 4) + 3, r(3, 4), r(3, 4)], {"normalized_shape": [3, 4], "eps": 1e-3})
g.case("layer_norm_no_affine", "layer_norm", lambda x: F.layer_norm(x, [5]), [r(3, 5)], {"normalized_shape": [5]})
g.case("layer_norm_all_dims", "layer_norm", lambda x, w: F.layer_norm(x, [2, 3], w), [r(2, 3), r(2, 3)],
       {"normalized_shape": [2, 3], "weight_only": True})

g.case("embedding_repeats", "embedding", lambda i, w: F.embedding(i, w),
       [torch.tensor([[1, 4, 1], [0, 1, 2]]), r(5, 3)])
# padding_idx withholds the padding row's true gradient on purpose, so finite differences cannot agree.
g.case("embedding_padding", "embedding", lambda i, w: F.embedding(i, w, padding_idx=2),
       [torch.tensor([2, 0, 2, 3, 0]), r(4, 2)], {"padding_idx": 2}, gradcheck=False)
g.case("embedding_padding_negative", "embedding", lambda i, w: F.embedding(i, w, padding_idx=-1),
       [torch.tensor([[3], [1]]), r(4, 2)], {"padding_idx": -1}, gradcheck=False)
g.case("embedding_scalar_index", "embedding", lambda i, w: F.embedding(i, w), [torch.tensor(2), r(3, 4)])

g.case("one_hot", "one_hot", lambda i: F.one_hot(i, 5), [torch.tensor([[0, 4], [2, 2]])], {"num_classes": 5},
       grad=False)
g.case("one_hot_infer", "one_hot", lambda i: F.one_hot(i), [torch.tensor([1, 3, 0])], {"num_classes": -1}, grad=False)
g.write()
