"""The Python spellings of the ops: arguments, defaults, return types, in-place methods returning
self, creation functions, generators, finite-difference gradients and bad-input errors."""
import numpy as np
import pytest

import ember
from conftest import numeric_grad


def test_reduction_arguments():
    x = ember.arange(24.0).reshape(2, 3, 4)
    assert x.sum().item() == 276
    assert x.sum(dim=(0, 2)).tolist() == [60.0, 92.0, 124.0]
    assert x.sum([0, 2], keepdim=True).shape == (1, 3, 1)
    assert ember.sum(x, 1, dtype=ember.float64).dtype == ember.float64
    assert x.mean(-1).shape == (2, 3)
    r = x.max(dim=1)
    assert r.values.shape == (2, 4) and r.indices.dtype == ember.int64 and type(r).__name__ == "max"
    values, indices = ember.min(x, 2, keepdim=True)
    assert values.shape == (2, 3, 1)
    assert ember.max(x, ember.full((4,), 10.0)).shape == (2, 3, 4)
    np.testing.assert_allclose(x.var(1, unbiased=False).numpy(), x.numpy().var(1))
    np.testing.assert_allclose(ember.std(x, correction=0).item(), x.numpy().std(), rtol=1e-6)
    np.testing.assert_allclose(x.var(False).item(), x.numpy().var(), rtol=1e-6)  # old positional unbiased
    assert ember.any(x > 22, dim=2).tolist() == [[False, False, False], [False, False, True]]
    assert (x >= 0).all(1).shape == (2, 4)
    assert x.norm(p="fro").item() == pytest.approx(float(np.linalg.norm(x.numpy())), rel=1e-6)
    assert ember.count_nonzero(x).item() == 23
    v, m = ember.var_mean(x, dim=0)
    assert v.shape == m.shape == (3, 4)


def test_inplace_methods_return_self():
    t = ember.ones(3)
    for name, args in [("add_", (1,)), ("mul_", (2,)), ("sub_", (ember.ones(3),)), ("div_", (2.0,)),
                       ("clamp_", (0, 1)), ("exp_", ()), ("sqrt_", ()), ("pow_", (2,)), ("neg_", ()), ("abs_", ()),
                       ("sigmoid_", ()), ("fill_", (0.5,)), ("zero_", ()), ("copy_", (ember.ones(3),)),
                       ("addcmul_", (ember.ones(3), ember.ones(3))), ("addcdiv_", (ember.ones(3), ember.ones(3))),
                       ("masked_fill_", (ember.tensor([True, False, True]), 2.0)), ("uniform_", ()), ("normal_", ()),
                       ("clamp_min_", (0.0,)), ("requires_grad_", (False,)), ("tanh_", ()), ("relu_", ())]:
        assert getattr(t, name)(*args) is t, name
    t.fill_(4.0).sqrt_().add_(ember.ones(3), alpha=2)
    assert t.tolist() == [4.0, 4.0, 4.0]
    t += 1
    t *= ember.tensor([1.0, 2.0, 3.0])
    assert t.tolist() == [5.0, 10.0, 15.0]


def test_inplace_under_autograd_keeps_gradients():
    x = ember.tensor([0.5, 1.0], requires_grad=True)
    y = x * 1.0
    y.exp_()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]), rtol=1e-6)


def test_elementwise_spellings():
    a, b = ember.tensor([1.0, -2.0, 3.0]), ember.tensor([2.0, 2.0, 2.0])
    assert ember.add(a, b, alpha=2).tolist() == [5.0, 2.0, 7.0]
    assert ember.add(ember.tensor([1, 2]), 3, alpha=2).tolist() == [7, 8]
    assert ember.sub(a, 1).tolist() == [0.0, -3.0, 2.0]
    assert (2 ** ember.tensor([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert ember.pow(2, ember.tensor([3.0])).tolist() == [8.0]
    assert ember.clamp(a, min=0).tolist() == [1.0, 0.0, 3.0]
    assert a.clip(max=ember.tensor([0.0, 0.0, 0.0])).tolist() == [0.0, -2.0, 0.0]
    assert ember.where(a > 0, a, 0.0).tolist() == [1.0, 0.0, 3.0]
    assert ember.where(a > 0, 1.0, a).tolist() == [1.0, -2.0, 1.0]
    assert ember.where(a > 0, 1, 0).dtype == ember.int64
    assert [i.tolist() for i in ember.where(a > 0)] == [[0, 2]]
    assert ember.nonzero(ember.tensor([[1, 0], [0, 1]])).tolist() == [[0, 0], [1, 1]]
    assert ember.allclose(a, a + 1e-7) and not ember.equal(a, b)
    assert ember.isinf(ember.tensor([1.0, float("inf")])).tolist() == [False, True]
    assert ember.logical_xor(a > 0, b > 0).tolist() == [False, True, False]
    assert ember.reciprocal(b).tolist() == [0.5, 0.5, 0.5]
    assert (a > 0).logical_not().tolist() == [False, True, False]
    assert ember.addcmul(a, a, b, value=0.5).tolist() == [2.0, -4.0, 6.0]


def test_shape_spellings():
    x = ember.arange(6).reshape(2, 3)
    assert [p.shape for p in ember.split(x, [1, 2], dim=1)] == [(2, 1), (2, 2)]
    assert isinstance(x.chunk(2), tuple)
    assert ember.stack([x, x], dim=-1).shape == (2, 3, 2)
    assert ember.movedim(ember.zeros(2, 3, 4), 0, -1).shape == (3, 4, 2)
    assert ember.flip(x, [1]).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert x.repeat(2, 1).shape == (4, 3) and x.repeat(2, 1, 2).tolist()[1][1] == [3, 4, 5, 3, 4, 5]
    assert ember.zeros(1, 3, 1).squeeze((0, 2)).shape == (3,)
    assert ember.broadcast_tensors(ember.zeros(3, 1), ember.zeros(4))[0].shape == (3, 4)
    assert ember.broadcast_shapes((3, 1), (1, 4)) == (3, 4)
    assert ember.outer(ember.arange(2.0), ember.arange(3.0)).shape == (2, 3)
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    assert ember.cat((x, x)).shape == (4, 3)
    assert ember.masked_fill(x, x > 2, ember.tensor(-1)).tolist() == [[0, 1, 2], [-1, -1, -1]]


def test_creation_functions():
    assert ember.zeros((2, 3)).shape == ember.zeros(2, 3).shape == ember.zeros([2, 3]).shape == (2, 3)
    assert ember.ones(2, dtype=ember.int64, requires_grad=False).dtype == ember.int64
    assert ember.ones(2, requires_grad=True).requires_grad
    assert ember.empty(0).numel() == 0
    assert ember.full((2,), 3).dtype == ember.int64 and ember.full((2,), True).dtype == ember.bool
    assert ember.full((2,), 1.5, dtype=ember.float64).dtype == ember.float64
    x = ember.ones(2, 3, dtype=ember.float64)
    for f in (ember.zeros_like, ember.ones_like, ember.empty_like, ember.rand_like, ember.randn_like):
        y = f(x)
        assert y.shape == (2, 3) and y.dtype == ember.float64
    assert ember.full_like(x, 7).tolist() == [[7.0] * 3] * 2
    assert ember.zeros_like(x, dtype=ember.int32).dtype == ember.int32
    assert ember.arange(5).dtype == ember.int64 and ember.arange(0, 1, 0.25).tolist() == [0, 0.25, 0.5, 0.75]
    assert ember.arange(3, dtype=ember.float32).tolist() == [0.0, 1.0, 2.0]
    assert ember.linspace(0, 1, 3).tolist() == [0.0, 0.5, 1.0]
    assert ember.eye(2, 3).shape == (2, 3)
    assert ember.scalar_tensor(2).dtype == ember.float32 and ember.scalar_tensor(2).shape == ()
    r = ember.randint(0, 5, (100,))
    assert r.dtype == ember.int64 and 0 <= r.min().item() and r.max().item() < 5
    assert ember.randint(3, (4,)).max().item() < 3
    assert sorted(ember.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    b = ember.bernoulli(ember.full((1000,), 0.5))
    assert 300 < b.sum().item() < 700
    assert x.new_zeros(4).dtype == ember.float64 and x.new_full((2,), 1).tolist() == [1.0, 1.0]
    assert x.new_tensor([1, 2]).dtype == ember.float64
    assert ember.normal(0.0, 1.0, (3,)).shape == (3,)
    assert ember.zeros(2, device="cpu").device == ember.device("cpu")


def test_generators():
    g = ember.Generator().manual_seed(7)
    a = ember.rand(3, generator=g)
    state = g.get_state()
    b = ember.randn(3, generator=g)
    g.set_state(state)
    assert ember.randn(3, generator=g).tolist() == b.tolist()
    assert ember.rand(3, generator=ember.Generator().manual_seed(7)).tolist() == a.tolist()
    assert g.initial_seed() == 7
    ember.manual_seed(1)
    x = ember.randn(4)
    assert ember.manual_seed(1) is ember.default_generator
    assert ember.randn(4).tolist() == x.tolist()
    s = ember.get_rng_state()
    y = ember.rand(2)
    ember.set_rng_state(s)
    assert ember.rand(2).tolist() == y.tolist()
    t = ember.empty(3).uniform_(2, 3, generator=ember.Generator().manual_seed(1))
    assert 2 <= t.min().item() and t.max().item() < 3
    p = ember.randperm(6, generator=ember.Generator().manual_seed(3))
    assert p.tolist() == ember.randperm(6, generator=ember.Generator().manual_seed(3)).tolist()


@pytest.mark.parametrize("fn", [
    lambda x: (x.exp() * x.sigmoid()).sum(),                      # elementwise
    lambda x: x.logsumexp(1).sum() + x.var(0).sum(),              # reduce
    lambda x: ember.cat([x, x.flip([0])], 1).gather(1, ember.tensor([[0, 3], [1, 2]])).sum(),  # shape
    lambda x: ember.addmm(x[0, :2], x, x.t(), beta=0.5, alpha=2).sum() + (x @ x.t()).pow(2).sum(),  # linalg
    lambda x: x[:, 1:].softmax(-1)[0, 0],                        # views / indexing
], ids=["elementwise", "reduce", "shape", "linalg", "views"])
def test_finite_differences(fn):
    x0 = np.random.default_rng(0).standard_normal((2, 3))
    x = ember.tensor(x0, requires_grad=True)
    fn(x).backward()
    expected = numeric_grad(lambda a: fn(ember.tensor(a)).item(), x0)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_bad_inputs():
    x = ember.zeros(2, 3)
    with pytest.raises(TypeError):
        ember.add(x, "a")
    with pytest.raises(TypeError):
        x.sum(dim="a")
    with pytest.raises(TypeError, match="size"):
        ember.zeros("a")
    with pytest.raises(ember.Error, match=r"\[2, 3\]"):
        x + ember.zeros(4)
    with pytest.raises(ember.Error):
        x.view(4)
    with pytest.raises(ember.Error):
        ember.mm(x, x)
    with pytest.raises(RuntimeError):  # ember.Error is a RuntimeError
        x.reshape(5)
    with pytest.raises(ValueError, match="ragged"):
        ember.tensor([[1, 2], [3]])
    with pytest.raises(ValueError):
        ember.div(x, x, rounding_mode="floor")
    with pytest.raises(ember.Error):
        ember.ones(2, requires_grad=True).add_(1)  # in-place on a leaf that requires grad
