"""t[idx] and t[idx] = v: PyTorch's (numpy's) semantics, views for basic indices, gradients."""
import numpy as np
import pytest

import ember

A = np.arange(60, dtype=np.float32).reshape(3, 4, 5)

BASIC = [
    0, -1, 2, (1, 2), (-1, -2, -3), slice(None), slice(1, None), slice(None, None, 2), slice(-3, -1),
    slice(1, 100, 3), slice(5, 1), (Ellipsis, 0), (0, Ellipsis, 1), (None,), (slice(None), None, 1),
    (Ellipsis, None), (1, slice(0, 4, 2), None, slice(None, None, 3)), (None, Ellipsis, None), Ellipsis,
]
ADVANCED = [
    [0, 2], [[0, 1], [2, 2]], [-1, 0], (slice(None), [1, 3]), (Ellipsis, [4, 0, 4]),
    ([0, 2], [1, 3]), ([0, 2], slice(None), [1, 3]), (slice(None), [[0], [1]], [2, 3]),
    (1, [0, 3]), ([[0, 1]], 2), (None, [0, 1]), (slice(1, None), [0, 0], [4, 3]),
]


def ember_index(idx):
    """Lists of lists become int64 tensors, as a user would pass them."""
    conv = lambda i: ember.tensor(i) if isinstance(i, list) and i and isinstance(i[0], list) else i
    return tuple(conv(i) for i in idx) if isinstance(idx, tuple) else conv(idx)


@pytest.mark.parametrize("idx", BASIC + ADVANCED, ids=repr)
def test_getitem_matches_numpy(idx):
    t = ember.from_numpy(A.copy())
    np.testing.assert_array_equal(t[ember_index(idx)].numpy(), A[idx])


@pytest.mark.parametrize("idx", BASIC, ids=repr)
def test_basic_indexing_gives_views(idx):
    t = ember.zeros(3, 4, 5)
    v = t[idx]
    if v.numel():
        v.fill_(7.0)
        assert (t.numpy() == 7).sum() == v.numel()


def test_bool_masks():
    t = ember.from_numpy(A.copy())
    m = t > 30
    np.testing.assert_array_equal(t[m].numpy(), A[A > 30])
    np.testing.assert_array_equal(t[0, m[0, :, 0]].numpy(), A[0, A[0, :, 0] > 30])
    rows = ember.tensor([True, False, True])
    np.testing.assert_array_equal(t[rows].numpy(), A[[True, False, True]])
    np.testing.assert_array_equal(t[:, [True, False, True, False]].numpy(), A[:, [True, False, True, False]])
    assert t[ember.tensor(True)].shape == (1, 3, 4, 5)
    assert t[ember.tensor(False)].shape == (0, 3, 4, 5)
    np.testing.assert_array_equal(ember.masked_select(t, m).numpy(), A[A > 30])


def test_int_tensor_and_numpy_indices():
    t = ember.from_numpy(A.copy())
    np.testing.assert_array_equal(t[ember.tensor([2, 0])].numpy(), A[[2, 0]])
    np.testing.assert_array_equal(t[np.array([1, 1])].numpy(), A[[1, 1]])
    np.testing.assert_array_equal(t[ember.tensor(1)].numpy(), A[1])
    np.testing.assert_array_equal(t[np.int64(2), 1].numpy(), A[2, 1])
    assert t[[]].shape == (0, 4, 5)
    assert ember.tensor(1.0)[None].shape == (1,) and t[None, 0, None].shape == (1, 1, 4, 5)


def test_gradients_flow_through_indexing():
    x = ember.arange(12.0).reshape(3, 4).requires_grad_()
    y = x[1:, ::2].sum() + x[[0, 0, 2], [1, 1, 3]].sum() * 10 + x[x > 10].sum() * 100
    y.backward()
    expected = np.zeros((3, 4), np.float32)
    expected[1:, ::2] += 1
    expected[0, 1] += 20
    expected[2, 3] += 10 + 100
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_setitem():
    t = ember.zeros(3, 4)
    n = np.zeros((3, 4), np.float32)
    for idx, v in [(0, 1.0), ((slice(None), 1), 2), ((1, slice(1, 3)), ember.tensor([5.0, 6.0])),
                   ([0, 2], ember.tensor([[7.0], [8.0]])), (([0, 1], [3, 3]), 9.0)]:
        t[idx] = v
        n[idx] = v.numpy() if isinstance(v, ember.Tensor) else v
        np.testing.assert_array_equal(t.numpy(), n)
    t[t > 6] = -1.0
    n[n > 6] = -1.0
    np.testing.assert_array_equal(t.numpy(), n)
    t[...] = ember.arange(4.0)  # broadcast
    np.testing.assert_array_equal(t.numpy(), np.broadcast_to(np.arange(4.0), (3, 4)))
    t[0] = ember.ones(1, 4)  # a leading dim of 1 is dropped, as in PyTorch
    assert t[0].tolist() == [1.0] * 4
    t[1] = [3, 2, 1, 0]
    assert t[1].tolist() == [3.0, 2.0, 1.0, 0.0]
    i = ember.zeros(4, dtype=ember.int64)
    i[[1, 1, 2]] = ember.tensor([5, 6, 7])  # repeated: the last write wins
    assert i.tolist() == [0, 6, 7, 0]


def test_setitem_under_no_grad_on_parameter():
    w = ember.ones(2, 3, requires_grad=True)
    with ember.no_grad():
        w[0] = 0.0
        w[:, 1] = ember.tensor([5.0, 6.0])
    assert w.tolist() == [[0.0, 5.0, 0.0], [1.0, 6.0, 1.0]]


def test_index_errors():
    t = ember.zeros(3, 4)
    with pytest.raises(IndexError, match="out of bounds for dimension 0 with size 3"):
        t[3]
    with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 4"):
        t[0, -5]
    with pytest.raises(IndexError, match="too many indices"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match="index 7 is out of bounds"):
        t[[0, 7]]
    with pytest.raises(IndexError, match="single ellipsis"):
        t[..., ...]
    with pytest.raises(IndexError, match="shape of the mask"):
        t[ember.tensor([True, False])]
    with pytest.raises(IndexError, match="could not be broadcast"):
        t[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match="long, int or bool"):
        t[ember.tensor([0.0])]
    with pytest.raises(IndexError, match="valid indices"):
        t[1.5]
    with pytest.raises(IndexError, match="0-dim"):
        ember.tensor(1.0)[0]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        t[::-1]


def test_iteration_and_len():
    t = ember.arange(6).reshape(3, 2)
    assert len(t) == 3
    assert [r.tolist() for r in t] == [[0, 1], [2, 3], [4, 5]]
    assert 3 in t and 9 not in t
    with pytest.raises(TypeError):
        iter(ember.tensor(1.0))
