#pragma once
// Dynamic reverse-mode autograd: each differentiable op records a Node whose apply() maps the
// gradient of its output to gradients of its inputs; backward() runs the graph in dependency order.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ember/tensor.h"

namespace ember {

// Grad mode is thread-local, as in PyTorch.
struct GradMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

// RAII: disables gradient recording in this scope (torch.no_grad()).
class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;
 private:
  bool prev_;
};
using no_grad = NoGradGuard;

class EnableGradGuard {
 public:
  explicit EnableGradGuard(bool enabled = true) : prev_(GradMode::is_enabled()) { GradMode::set_enabled(enabled); }
  ~EnableGradGuard() { GradMode::set_enabled(prev_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;
 private:
  bool prev_;
};

namespace autograd {

// Anomaly detection (torch.autograd.set_detect_anomaly), global as in PyTorch and off unless
// EMBER_DETECT_ANOMALY is set (and not "0"). When on, the first op whose kernel makes a NaN or an
// infinity from inputs without one, and the first backward function that returns one from a
// finite incoming gradient, throw an ember::Error naming it and its inputs' shapes. Every tensor
// an op writes is scanned, so it is slow; off, an op pays one relaxed atomic load.
void set_detect_anomaly(bool enabled);
bool is_anomaly_enabled();
// RAII: anomaly detection on (or off) in this scope (torch.autograd.detect_anomaly).
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool enabled = true) : prev_(is_anomaly_enabled()) { set_detect_anomaly(enabled); }
  ~DetectAnomalyGuard() { set_detect_anomaly(prev_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;
 private:
  bool prev_;
};

// A tensor kept for backward, with the storage version it had when saved: unpacking it after an
// in-place change raises an error instead of silently computing a wrong gradient.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t);  // NOLINT: implicit by design
  const Tensor& get(const char* op) const;
  void reset() { t_ = Tensor(); }
 private:
  Tensor t_;
  uint64_t version_ = 0;
};

struct Node;
struct Edge {
  std::shared_ptr<Node> fn;  // null: that input needs no gradient
  DType dtype = DType::Float32;  // the input's dtype: gradients are cast to it, as in PyTorch
};

struct Node : std::enable_shared_from_this<Node> {
  std::vector<Edge> next;  // one per differentiable input, in order
  uint64_t seq = 0;        // creation order; later nodes run first in backward
  bool released = false;
  bool autocast = false;   // autocast was on when the op ran: its backward runs under it too
  std::string forward_info;  // anomaly mode only: the forward's inputs, named in backward's errors
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  // grad: gradient of this node's output. Returns one gradient per entry of `next`
  // (undefined where next[i].fn is null or the input gets no gradient).
  virtual std::vector<Tensor> apply(const Tensor& grad) = 0;
  virtual void release() {}  // drop saved tensors once backward is done with them
  bool needs_grad(size_t i) const { return i < next.size() && next[i].fn != nullptr; }
};

// Leaves: adds the incoming gradient into the tensor's .grad.
struct AccumulateGrad final : Node {
  std::weak_ptr<TensorImpl> leaf;
  const char* name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> apply(const Tensor& grad) override;
};

// The usual node: a name and a closure that computes input gradients. Whatever the closure
// captures (saved tensors) is freed by release().
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad, const Node& node)>;
struct FunctionNode final : Node {
  const char* op_name;
  BackwardFn fn;
  const char* name() const override { return op_name; }
  std::vector<Tensor> apply(const Tensor& grad) override;
  void release() override { fn = nullptr; }
};

// True when grad mode is on and any input requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);

// Connects `out` to a new FunctionNode over `inputs` (the edges follow their order).
void set_history(Tensor& out, const char* name, const std::vector<Tensor>& inputs, BackwardFn fn);
// The edge through which a gradient reaches `t` (its grad_fn, or its AccumulateGrad for leaves).
Edge gradient_edge(const Tensor& t);

// Runs backward from `outputs` seeded with `grads` (undefined entries: ones for 1-element outputs).
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grads = {},
              bool retain_graph = false, bool create_graph = false);

// Queues `fn` to run once the backward pass now running has run every node (torch's
// Variable._execution_engine.queue_callback). For hooks that must act once per backward pass,
// such as DistributedDataParallel finishing its gradient averaging. Throws outside a backward.
void queue_callback(std::function<void()> fn);

// Marks `t`'s storage as changed in place (torch.autograd.graph.increment_version): for code that
// writes a tensor's memory outside Ember's ops (e.g. a collective), so that backward still detects
// a tensor it saved being overwritten.
void increment_version(const Tensor& t);

// Returns d(outputs)/d(inputs) without touching .grad (torch.autograd.grad).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false, bool allow_unused = false);

}  // namespace autograd
}  // namespace ember
