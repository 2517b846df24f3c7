// The export tracer: records ops and rejects unmapped kernels on traced values.
#include "onnx/recorder.h"

#include "ember/error.h"

namespace ember::onnx::detail {

Recorder::Recorder(const std::vector<Tensor>& in) : inputs(in) {
  for (const Tensor& t : inputs) storages_.insert(t.impl().storage.get());
}

void Recorder::record(trace::TracedOp op) {
  bool from_inputs = false;
  for (const Tensor& t : op.inputs) from_inputs = from_inputs || (t.defined() && traced(t));
  // Outputs computed from parameters alone stay constants for the kernel check: a later
  // unrecorded op on them is still constant folding, not a missing mapping.
  if (from_inputs)
    for (const Tensor& t : op.outputs)
      if (t.defined()) storages_.insert(t.impl().storage.get());
  ops.push_back(std::move(op));
}

bool Recorder::traced(const Tensor& t) const { return storages_.count(t.impl().storage.get()) > 0; }

void Recorder::check_kernel(const char* op, const std::vector<const Tensor*>& args) {
  for (const Tensor* t : args) {
    if (!t->defined() || !traced(*t)) continue;
    throw Error(ember::detail::str_cat(
        "onnx export: op '", op, "' has no ONNX mapping (it computes from the model's inputs, here a ",
        dtype_name(t->dtype()), " tensor of shape ", shape_str(t->shape()),
        "); rewrite the forward with exportable ops (docs/onnx.md lists them) or compute it outside the exported model"));
  }
}

}  // namespace ember::onnx::detail
