"""numpy and DLPack without copies (same pointers, lifetimes), tolist, ember.tensor of numpy data."""
import gc

import numpy as np
import pytest

import ember


def ptr(a):
    return a.__array_interface__["data"][0]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "bool"])
def test_numpy_shares_memory(dtype):
    t = ember.ones(2, 3, dtype=getattr(ember, dtype))
    a = t.numpy()
    assert a.dtype == np.dtype(dtype) and a.shape == (2, 3)
    assert ptr(a) == t.data_ptr()
    a[0, 0] = 0
    assert t[0, 0].item() == 0


def test_numpy_of_strided_view_and_lifetime():
    t = ember.arange(12.0).reshape(3, 4)
    v = t.t()[1:]
    a = v.numpy()
    assert ptr(a) == v.data_ptr() and a.strides == (4, 16)
    np.testing.assert_array_equal(a, np.arange(12.0).reshape(3, 4).T[1:])
    del t, v
    gc.collect()
    assert a.sum() == sum(range(12)) - 0 - 4 - 8  # the storage outlives the tensor


def test_from_numpy_shares_memory_and_keeps_array_alive():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ember.from_numpy(a)
    assert t.data_ptr() == ptr(a) and t.dtype == ember.float32 and t.shape == (2, 3)
    t.add_(1)
    assert a[1, 2] == 6
    del a
    gc.collect()
    assert t.sum().item() == 21  # the array is kept alive by the tensor


def test_from_numpy_strides_dtypes_and_errors():
    a = np.arange(24, dtype=np.int64).reshape(4, 6)[::2, 1::2]
    t = ember.from_numpy(a)
    assert t.stride() == (12, 2) and t.data_ptr() == ptr(a)
    np.testing.assert_array_equal(t.numpy(), a)
    for dt in ["float16", "int32", "bool", "float64"]:
        assert ember.from_numpy(np.zeros(3, dtype=dt)).dtype == getattr(ember, dt)
    assert ember.from_numpy(np.array(2.5, dtype=np.float32)).shape == ()
    with pytest.raises(ValueError, match="negative"):
        ember.from_numpy(np.arange(3.0)[::-1])
    with pytest.raises(TypeError, match="unsupported dtype"):
        ember.from_numpy(np.zeros(3, dtype=np.uint8))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        ember.from_numpy([1, 2])


def test_numpy_requires_grad_and_bf16():
    w = ember.ones(2, requires_grad=True)
    with pytest.raises(ember.Error, match="detach"):
        w.numpy()
    assert w.numpy(force=True).tolist() == [1.0, 1.0]
    assert np.asarray(w).tolist() == [1.0, 1.0]  # __array__ detaches
    b = ember.ones(2, dtype=ember.bfloat16)
    with pytest.raises(TypeError, match="BFloat16"):
        b.numpy()
    assert np.asarray(b).dtype == np.float32
    assert np.asarray(ember.ones(2), dtype=np.float64).dtype == np.float64


def test_dlpack_both_ways():
    t = ember.arange(6.0).reshape(2, 3)
    a = np.from_dlpack(t)
    assert ptr(a) == t.data_ptr() and a.shape == (2, 3)
    assert t.__dlpack_device__() == (1, 0)
    x = np.arange(4, dtype=np.int32)
    e = ember.from_dlpack(x)
    assert e.data_ptr() == ptr(x) and e.dtype == ember.int32
    del x
    gc.collect()
    assert e.tolist() == [0, 1, 2, 3]
    assert ember.from_dlpack(t).data_ptr() == t.data_ptr()
    with pytest.raises(ember.Error, match="require gradient"):
        ember.ones(1, requires_grad=True).__dlpack__()


def test_tensor_from_numpy_copies_and_keeps_dtype():
    a = np.ones((2, 2), dtype=np.float64)
    t = ember.tensor(a)
    assert t.dtype == ember.float64 and t.data_ptr() != ptr(a)
    assert ember.tensor(np.float32(1.5)).dtype == ember.float32
    assert ember.tensor([np.float32(1.0), np.int64(2)]).tolist() == [1.0, 2.0]
    assert ember.tensor([np.True_, False]).dtype == ember.bool
    assert ember.tensor(a, dtype=ember.int64).dtype == ember.int64
    s = ember.as_tensor(a)
    assert s.data_ptr() == ptr(a)
    assert ember.as_tensor(s) is not None and ember.as_tensor(s).data_ptr() == s.data_ptr()


def test_tolist_and_scalars():
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ember.tensor([True, False]).tolist() == [True, False]
    assert ember.tensor(2.5).tolist() == 2.5 and ember.tensor(2.5).shape == ()
    assert ember.tensor([]).dtype == ember.float32 and ember.tensor([[]]).shape == (1, 0)
    assert isinstance(ember.tensor(3).tolist(), int)
    assert ember.tensor([0.5, 1.5], dtype=ember.bfloat16).tolist() == [0.5, 1.5]
    assert ember.tensor(2**60).item() == 2**60  # exact beyond 2^53
    assert float(ember.tensor(1.5)) == 1.5 and int(ember.tensor(3)) == 3
    assert f"{ember.tensor(1.23456):.2f}" == "1.23"


def test_torch_dlpack_if_available():
    torch = pytest.importorskip("torch")
    t = ember.arange(4.0)
    tt = torch.from_dlpack(t)
    assert tt.data_ptr() == t.data_ptr()
    back = ember.from_dlpack(torch.arange(3.0))
    assert back.tolist() == [0.0, 1.0, 2.0]
