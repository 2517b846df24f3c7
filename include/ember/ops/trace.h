#pragma once
// Op tracing, the recording half of graph export (ember/onnx/export.h). While a Tracer is
// installed on a thread, each exportable op records itself as one node: its kind, its input and
// output tensors, and its attributes. Only the outermost op records: the ops it calls inside are
// its implementation, not part of the graph (linear does not also record its addmm). Composites
// that do not record (square, stack, flatten ...) appear as the recorded ops they are built from.
//
// A kernel that runs outside every recorded op and touches a traced value (a graph input or a
// recorded op's output) goes to Tracer::check_kernel, which throws: that op has no mapping.
#include <string>
#include <string_view>
#include <vector>

#include "ember/tensor.h"

namespace ember::trace {

// One attribute. Integers hold sizes, dims and flags; the exporter compares them between two
// traces at different input sizes to find the ones that depend on a dynamic dimension.
struct Attr {
  std::string name;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string str;
};

struct TracedOp {
  std::string kind;             // "linear", "unary", "reshape" ... (the exporter's table)
  std::vector<Tensor> inputs;   // optional inputs stay as undefined tensors, in their place
  std::vector<Tensor> outputs;
  std::vector<Attr> attrs;

  const Attr* find(std::string_view name) const;
  // The attribute's value; throws naming the op kind when it is missing.
  int64_t i(std::string_view name) const;
  const std::vector<int64_t>& ints(std::string_view name) const;
  double f(std::string_view name) const;
  const std::string& s(std::string_view name) const;
};

// Attribute builders: trace::ints("perm", p), trace::num("eps", 1e-5), trace::str("op", "relu").
Attr ints(std::string name, std::vector<int64_t> v);
Attr integer(std::string name, int64_t v);
Attr num(std::string name, double v);
Attr str(std::string name, std::string v);

class Tracer {
 public:
  virtual ~Tracer() = default;
  virtual void record(TracedOp op) = 0;
  // A kernel ran outside every recorded op; args are its tensors (outputs first, undefined ones
  // included). Throws ember::Error when the kernel reads or writes a traced value.
  virtual void check_kernel(const char* op, const std::vector<const Tensor*>& args) = 0;
};

// Installs `t` on this thread for the guard's lifetime (one tracer per thread at a time).
class TraceGuard {
 public:
  explicit TraceGuard(Tracer* t);
  ~TraceGuard();
  TraceGuard(const TraceGuard&) = delete;
  TraceGuard& operator=(const TraceGuard&) = delete;
};

// Whether a tracer is installed on this thread.
bool tracing();

// Opened first thing in an exportable op. True when this op records (a tracer is installed and
// no recorded op encloses it); while it is open, the ops it calls record nothing.
class OpScope {
 public:
  OpScope();
  ~OpScope();
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;
  explicit operator bool() const { return tracer_ != nullptr; }
  void record(std::string kind, std::vector<Tensor> inputs, std::vector<Tensor> outputs, std::vector<Attr> attrs = {});

 private:
  Tracer* tracer_ = nullptr;
  bool entered_ = false;
};

}  // namespace ember::trace
