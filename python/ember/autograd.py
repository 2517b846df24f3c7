"""ember.autograd: grad mode, ``grad``/``backward`` and custom ops as ``Function`` subclasses."""
import functools

from . import _C
from ._C import Tensor


class _GradModeContext:
    """A context manager that is also a decorator (``@ember.no_grad()`` and ``with ember.no_grad():``)."""

    _mode = False

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Disables gradient recording inside the block or decorated function (torch.no_grad)."""

    _mode = False


class enable_grad(_GradModeContext):
    """Enables gradient recording inside a ``no_grad`` block (torch.enable_grad)."""

    _mode = True


class inference_mode(no_grad):
    """torch.inference_mode: here the same as no_grad."""

    def __init__(self, mode=True):
        self._mode = not mode

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(not mode):
                return fn(*args, **kwargs)

        return wrapper


class set_grad_enabled:
    """Sets grad mode on or off: as a function call, or for a ``with`` block (torch.set_grad_enabled)."""

    def __init__(self, mode):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(bool(mode))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False


def is_anomaly_enabled():
    """Whether anomaly detection is on (torch.is_anomaly_enabled)."""
    return _C.is_anomaly_enabled()


class set_detect_anomaly:
    """Turns anomaly detection on or off, as a call or for a ``with`` block (torch.autograd.set_detect_anomaly).

    When on, the first op that makes a NaN or infinity from inputs without one, and the first backward
    function that returns one from a finite gradient, raise ``ember.Error`` naming it and its inputs'
    shapes. Global, as in PyTorch; the environment variable ``EMBER_DETECT_ANOMALY=1`` turns it on at start.
    """

    def __init__(self, mode, check_nan=True):
        self._prev = _C.is_anomaly_enabled()
        _C._set_detect_anomaly(bool(mode) and bool(check_nan))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C._set_detect_anomaly(self._prev)
        return False


class detect_anomaly:
    """Anomaly detection on inside the block or decorated function (torch.autograd.detect_anomaly)."""

    def __init__(self, check_nan=True):
        self._mode = bool(check_nan)

    def __enter__(self):
        self._prev = _C.is_anomaly_enabled()
        _C._set_detect_anomaly(self._mode)
        return self

    def __exit__(self, *exc):
        _C._set_detect_anomaly(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self._mode):
                return fn(*args, **kwargs)

        return wrapper


def _as_tuple(x):
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """d(outputs)/d(inputs) without touching ``.grad`` (torch.autograd.grad)."""
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    if grad_outputs is not None:
        grad_outputs = _as_tuple(grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    allow = bool(allow_unused) or materialize_grads
    result = _C._autograd_grad(list(outputs), list(inputs), grad_outputs, retain_graph, create_graph, allow)
    if materialize_grads:
        result = tuple(_C.zeros(i.shape, dtype=i.dtype) if g is None else g for g, i in zip(result, inputs))
    return result


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulates gradients of ``tensors`` into the leaves' ``.grad`` (torch.autograd.backward)."""
    tensors = _as_tuple(tensors)
    if grad_tensors is not None:
        grad_tensors = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    _C._autograd_backward(list(tensors), grad_tensors, retain_graph, create_graph)


class FunctionCtx:
    """The ``ctx`` of a custom Function: what forward keeps for backward."""

    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self._non_differentiable = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save tensors, but got " + type(t).__name__)
        self.saved_tensors = tuple(tensors)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        pass  # in-place forwards: outputs are rewired to the new node either way

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class Function:
    """A differentiable op written in Python, as torch.autograd.Function::

        class Exp(ember.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y

        y = Exp.apply(x)

    ``forward`` runs without recording; ``backward`` gets one gradient per output and returns one
    per input of ``forward`` (None for non-tensors or inputs that need none).
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs) to be differentiated")

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad and _C.is_grad_enabled() for a in args)
        forward_takes_ctx = cls.setup_context is Function.setup_context
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs) if forward_takes_ctx else cls.forward(*args, **kwargs)
        if not forward_takes_ctx:
            cls.setup_context(ctx, args, out)
        single = isinstance(out, Tensor)
        outs = (out,) if single else tuple(out)
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        inputs = [args[i] for i in tensor_pos]
        n_args = len(args)

        def run_backward(*grads):
            result = cls.backward(ctx, *grads)
            if not isinstance(result, tuple):
                result = (result,)
            if len(result) != n_args:
                raise RuntimeError(f"{cls.__name__}.backward returned {len(result)} gradients, "
                                   f"but forward took {n_args} arguments; return one per argument")
            return tuple(result[i] for i in tensor_pos)

        tensor_outs = [o for o in outs if isinstance(o, Tensor)]
        differentiable = [id(o) not in ctx._non_differentiable for o in tensor_outs]
        attached = iter(_C._function_attach(tensor_outs, inputs, run_backward, cls.__name__ + "Backward",
                                            differentiable))
        result = tuple(next(attached) if isinstance(o, Tensor) else o for o in outs)
        return result[0] if single else result
