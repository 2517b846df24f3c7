"""ember.autocast (torch.autocast on the CPU): the listed ops multiply bf16-rounded operands,
backward keeps the forward's precision, other ops are untouched, and bad arguments raise."""
import pytest

import ember


def rounded(t):
    return t.to(ember.bfloat16).to(ember.float32)


def rel_dist(a, b):
    return (a - b).abs().max().item() / b.abs().max().item()


def test_linear_and_matmul_multiply_rounded_operands():
    ember.manual_seed(0)
    x, w, b = ember.randn(24, 72), ember.randn(56, 72), ember.randn(56)
    a, m = ember.randn(3, 40, 72), ember.randn(3, 72, 20)
    fp32 = ember.nn.functional.linear(x, w, b)
    with ember.autocast(device_type="cpu", dtype=ember.bfloat16):
        assert ember.is_autocast_enabled()
        y = ember.nn.functional.linear(x, w, b)
        p = ember.matmul(a, m)
    assert not ember.is_autocast_enabled()
    assert y.dtype == ember.float32
    assert rel_dist(y, ember.nn.functional.linear(rounded(x), rounded(w), b)) < 2e-6
    assert rel_dist(p, ember.matmul(rounded(a), rounded(m))) < 2e-6
    assert 1e-5 < rel_dist(y, fp32) < 1e-2


def test_backward_outside_the_block_keeps_bf16():
    ember.manual_seed(1)
    lin = ember.nn.Linear(48, 40, bias=False)
    x = ember.randn(16, 48, requires_grad=True)
    g = ember.randn(16, 40)
    with ember.autocast("cpu"):
        y = lin(x)
    (y * g).sum().backward()
    ref = ember.matmul(rounded(g), rounded(lin.weight.detach()))
    assert rel_dist(x.grad, ref) < 2e-6
    assert lin.weight.grad.dtype == ember.float32


def test_other_ops_stay_float32_and_decorator_restores():
    ember.manual_seed(2)
    x = ember.randn(8, 33)

    @ember.autocast("cpu")
    def f(t):
        assert ember.is_autocast_enabled()
        return ember.softmax(t, 1)

    assert ember.equal(f(x), ember.softmax(x, 1))
    assert not ember.is_autocast_enabled()
    with ember.autocast("cpu"):
        with ember.autocast("cpu", enabled=False):
            assert not ember.is_autocast_enabled()
        assert ember.is_autocast_enabled()
    assert ember.get_autocast_dtype("cpu") == ember.bfloat16
    assert isinstance(ember.amp.native(), bool)


def test_bad_arguments_raise():
    with pytest.raises(ember.Error, match="autocast.*float16.*bfloat16"):
        ember.autocast("cpu", dtype=ember.float16)
    with pytest.raises(ember.Error, match="autocast.*cuda"):
        ember.autocast("cuda")
    with pytest.raises(TypeError, match="device_type"):
        ember.autocast(ember.bfloat16)
    ember.autocast("cuda", enabled=False)  # disabled: allowed, as PyTorch code often writes it
