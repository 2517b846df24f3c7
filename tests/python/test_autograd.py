"""ember.autograd: grad mode, autograd.grad/backward, and Function subclasses written in Python."""
import math

import pytest

import ember


def vals(t):
    flat = t.reshape(-1)
    return [flat.select(0, i).item() for i in range(flat.numel())]


def fd_grad(f, x, eps=1e-6):
    """Central finite differences of a scalar function of a float64 tensor, element by element."""
    flat = x.detach().clone().view(-1)
    out = []
    for i in range(flat.numel()):
        v = flat.select(0, i).item()
        plus = flat.clone(); minus = flat.clone()
        plus.narrow(0, i, 1).fill_(v + eps)
        minus.narrow(0, i, 1).fill_(v - eps)
        out.append((f(plus.view(*x.shape)).item() - f(minus.view(*x.shape)).item()) / (2 * eps))
    return out


class Cube(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x * ctx.scale, None


class SplitSigns(ember.autograd.Function):
    """Two outputs: relu(x) and relu(-x)."""

    @staticmethod
    def forward(ctx, x):
        pos = ember.relu(x)
        neg = ember.relu(-x)
        ctx.save_for_backward(x)
        return pos, neg

    @staticmethod
    def backward(ctx, gpos, gneg):
        (x,) = ctx.saved_tensors
        return gpos * (x > 0).to(x.dtype) - gneg * (x < 0).to(x.dtype)


def test_function_gradient_matches_finite_differences():
    ember.manual_seed(0)
    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    y = ember.sum(Cube.apply(x, 0.5))
    y.backward()
    numeric = fd_grad(lambda t: ember.sum(t * t * t * 0.5), x)
    analytic = vals(x.grad)
    assert max(abs(a - b) for a, b in zip(analytic, numeric)) < 1e-6
    assert ember._C._grad_fn_name(y) is not None


def test_function_with_two_outputs_routes_each_gradient():
    x = ember.tensor([-2.0, -0.5, 1.0, 3.0], dtype=ember.float64, requires_grad=True)
    pos, neg = SplitSigns.apply(x)
    ember.sum(pos * 2 + neg * 5).backward()
    assert vals(x.grad) == [-5.0, -5.0, 2.0, 2.0]


def test_function_output_is_new_node_even_when_forward_returns_its_input():
    class Identity(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = ember.ones(3, requires_grad=True)
    y = Identity.apply(x)
    assert not y._is_same(x) and not y.is_leaf and x.is_leaf
    ember.sum(y).backward()
    assert ember.sum(x.grad).item() == 6.0


def test_function_without_grad_inputs_records_nothing():
    x = ember.ones(3)
    y = Cube.apply(x, 1.0)
    assert not y.requires_grad and y.is_leaf


def test_function_backward_with_wrong_gradient_count_raises():
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g  # one gradient for two inputs

    a = ember.ones(2, requires_grad=True)
    b = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Bad.backward returned 1 gradients"):
        ember.sum(Bad.apply(a, b)).backward()


def test_function_backward_exception_propagates():
    class Boom(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom in backward")

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="boom in backward"):
        ember.sum(Boom.apply(x)).backward()


def test_function_missing_forward_raises():
    class Empty(ember.autograd.Function):
        pass

    with pytest.raises(NotImplementedError):
        Empty.apply(ember.ones(1))


def test_autograd_grad_leaves_dot_grad_alone_and_supports_double_backward():
    x = ember.tensor([1.5, -2.0], dtype=ember.float64, requires_grad=True)
    y = ember.sum(x * x * x)
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    assert x.grad is None
    assert vals(g) == [3 * 1.5**2, 3 * 4.0]
    (gg,) = ember.autograd.grad(ember.sum(g), x)
    assert vals(gg) == [6 * 1.5, 6 * -2.0]


def test_autograd_grad_unused_input():
    x = ember.ones(2, requires_grad=True)
    z = ember.ones(2, requires_grad=True)
    y = ember.sum(x * 2)
    with pytest.raises(ember.Error):
        ember.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = ember.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gz is None and ember.sum(gx).item() == 4.0
    gx, gz = ember.autograd.grad(y, [x, z], materialize_grads=True)
    assert ember.sum(gz).item() == 0.0


def test_autograd_backward_accumulates():
    x = ember.ones(2, requires_grad=True)
    ember.autograd.backward([ember.sum(x * 3)])
    ember.autograd.backward(ember.sum(x * 4))
    assert ember.sum(x.grad).item() == 14.0


def test_no_grad_as_context_and_decorator_and_set_grad_enabled():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    assert ember.is_grad_enabled()

    @ember.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    with ember.inference_mode():
        assert not (x * 2).requires_grad


def test_backward_through_python_and_cpp_ops_together():
    x = ember.tensor([0.3, -0.7], dtype=ember.float64, requires_grad=True)
    y = ember.sum(ember.log_softmax(Cube.apply(x, 2.0), 0))
    y.backward()
    numeric = fd_grad(lambda t: ember.sum(ember.log_softmax(t * t * t * 2.0, 0)), x)
    analytic = vals(x.grad)
    assert all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(analytic, numeric))


def test_cuda_is_available_answers_from_the_backend_registry():
    assert ember.cuda.is_available() is False  # this build registers the CPU backend only
    assert ember.cuda.device_count() == 0
    device = ember.device("cuda" if ember.cuda.is_available() else "cpu")
    assert ember.ones(2).to(device).device == ember.device("cpu")
