"""ONNX export, as torch.onnx.export (opset 17):

    ember.onnx.export(model, (x,), "model.onnx", input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})

The model (an ember.nn.Module, also one defined in Python, or any callable) runs once on the
example inputs with a tracer on; every op it calls becomes ONNX nodes (its parameters become
initializers named after state_dict keys). With dynamic axes it runs a second time at other sizes
to find which sizes follow them. An op with no ONNX mapping raises ember.Error naming it.

``load_exportable(path)`` gives a trained recipe checkpoint (or a Hugging Face BERT /
sentence-transformers folder) as the function `ember export onnx` writes, to compare its outputs
with ONNX Runtime's.
"""
from . import _C

__all__ = ["export", "load_exportable", "OPSET_VERSION"]

OPSET_VERSION = _C.onnx.OPSET_VERSION


def _dynamic_axes(dynamic_axes):
    # torch's two forms: {name: {axis: dim_name}} or {name: [axes]} (dims named name_dim{axis}).
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if isinstance(axes, dict):
            out[name] = {int(a): str(n) for a, n in axes.items()}
        else:
            out[name] = {int(a): f"{name}_dim{int(a)}" for a in axes}
    return out


def export(model, args, f, input_names=None, output_names=None, dynamic_axes=None, opset_version=OPSET_VERSION):
    """Writes `model` run on `args` (a Tensor or a tuple of Tensors) to the file `f` as ONNX.

    Returns a dict: opset, inputs and outputs as (name, dtype, dims), nodes, initializers.
    The model runs in eval() mode (its mode is restored afterwards).
    """
    if isinstance(args, _C.Tensor):
        args = (args,)
    args = list(args)
    names = list(model.state_dict().items()) if hasattr(model, "state_dict") else []
    training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()

    def forward(inputs):
        out = model(*inputs)
        return list(out) if isinstance(out, (tuple, list)) else [out]

    try:
        return _C.onnx.export_function(forward, names, args, str(f), list(input_names or []),
                                       list(output_names or []), _dynamic_axes(dynamic_axes), int(opset_version))
    finally:
        if training and hasattr(model, "train"):
            model.train()


def load_exportable(source, batch=2, seq_len=16):
    """A recipe checkpoint or model folder as `ember export onnx` exports it: call it on a list of
    input tensors for Ember's outputs; .export(path) writes the ONNX file."""
    return _C.onnx.exportable_model(str(source), batch, seq_len)
