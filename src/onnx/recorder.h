#pragma once
// The tracer of one export run: records the ops of a forward pass and rejects kernels that
// compute from traced values outside any recorded op (ember/ops/trace.h).
#include <unordered_set>
#include <vector>

#include "ember/ops/trace.h"

namespace ember::onnx::detail {

class Recorder final : public trace::Tracer {
 public:
  explicit Recorder(const std::vector<Tensor>& inputs);
  void record(trace::TracedOp op) override;
  void check_kernel(const char* op, const std::vector<const Tensor*>& args) override;

  // Whether t shares storage with a graph input or a recorded op's output.
  bool traced(const Tensor& t) const;

  std::vector<Tensor> inputs;
  std::vector<trace::TracedOp> ops;

 private:
  std::unordered_set<const Storage*> storages_;
};

}  // namespace ember::onnx::detail
