// The backward engine: finds the nodes reachable from the outputs, counts how many gradients each
// is waiting for, and runs each once all of them have arrived (latest-created first among the ready).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <queue>
#include <unordered_map>

#include "core/anomaly.h"
#include "core/op_helpers.h"
#include "ember/autocast.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

namespace {
thread_local bool g_grad_enabled = true;
// The callbacks of the backward pass running on this thread (queue_callback), or null.
thread_local std::vector<std::function<void()>>* g_callbacks = nullptr;
std::atomic<uint64_t> g_next_seq{0};
}  // namespace

bool GradMode::is_enabled() { return g_grad_enabled; }
void GradMode::set_enabled(bool enabled) { g_grad_enabled = enabled; }

namespace autograd {

void set_detect_anomaly(bool enabled) { detail::g_detect_anomaly.store(enabled, std::memory_order_relaxed); }
bool is_anomaly_enabled() { return detail::anomaly_enabled(); }

namespace {
// Anomaly mode: what backward's error says of a node's forward ("[3] float32 (a leaf), ...").
std::string describe_forward(const std::vector<Tensor>& inputs) {
  std::string s;
  for (auto& t : inputs) {
    if (!t.defined()) continue;
    s += detail::str_cat(s.empty() ? "" : ", ", shape_str(t.shape()), " ", dtype_name(t.dtype()));
    if (t.impl().grad_fn) s += detail::str_cat(" (from ", t.impl().grad_fn->name(), ")");
    else if (t.requires_grad()) s += " (a leaf)";
  }
  return s.empty() ? "no tensors" : s;
}

// Anomaly mode: throws when node `n` returned a NaN or infinity from a finite gradient `g`.
void check_backward(const Node& n, const Tensor& g, const std::vector<Tensor>& in_grads) {
  if (detail::count_nonfinite(g).any()) return;  // made upstream (checked there) or seeded by the caller
  for (size_t i = 0; i < in_grads.size(); ++i) {
    detail::NonFinite bad = detail::count_nonfinite(in_grads[i]);
    if (!bad.any()) continue;
    throw Error(detail::str_cat(
        n.name(), ": anomaly detection: returned ", detail::describe_nonfinite(bad, in_grads[i].numel()),
        " in its gradient for input ", i, " (shape ", shape_str(in_grads[i].shape()),
        ") from a finite incoming gradient of shape ", shape_str(g.shape()), "; its forward op ran on inputs ",
        n.forward_info.empty() ? std::string("(recorded before anomaly mode was on)") : n.forward_info,
        ". This is the first backward function to make it; check the forward inputs' range (e.g. sqrt or log at 0, "
        "division by a tiny number), or lower the learning rate"));
  }
}
}  // namespace

void increment_version(const Tensor& t) { ::ember::detail::bump_version(t); }

SavedTensor::SavedTensor(const Tensor& t) : t_(t), version_(t.defined() ? t.version() : 0) {}

const Tensor& SavedTensor::get(const char* op) const {
  if (t_.defined() && t_.version() != version_)
    throw Error(detail::str_cat(
        op, ": one of the tensors needed for gradient computation has been modified by an in-place "
        "operation (a tensor of shape ", shape_str(t_.shape()), " is at version ", t_.version(),
        "; expected version ", version_, "). Use an out-of-place op, or clone() the tensor before changing it."));
  return t_;
}

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (auto* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  auto& impl = t.impl();
  if (impl.grad_fn) return {impl.grad_fn, impl.dtype};
  auto acc = impl.grad_accumulator.lock();
  if (!acc) {
    auto node = std::make_shared<AccumulateGrad>();
    node->leaf = t.impl_ptr();
    node->seq = g_next_seq++;
    impl.grad_accumulator = node;
    acc = node;
  }
  return {acc, impl.dtype};
}

void set_history(Tensor& out, const char* name, const std::vector<Tensor>& inputs, BackwardFn fn) {
  auto node = std::make_shared<FunctionNode>();
  node->op_name = name;
  node->fn = std::move(fn);
  node->seq = g_next_seq++;
  node->autocast = is_autocast_enabled();
  if (detail::anomaly_enabled()) [[unlikely]] node->forward_info = describe_forward(inputs);
  node->next.reserve(inputs.size());
  for (auto& t : inputs) node->next.push_back(gradient_edge(t));
  auto& impl = out.impl();
  impl.grad_fn = std::move(node);
  impl.requires_grad = true;
}

std::vector<Tensor> FunctionNode::apply(const Tensor& grad) {
  if (!fn)
    throw Error(detail::str_cat(op_name, ": trying to backward through the graph a second time (its saved "
                                "tensors were freed after the first backward). Pass retain_graph=true to "
                                "the first backward() if you need to backward twice."));
  return fn(grad, *this);
}

std::vector<Tensor> AccumulateGrad::apply(const Tensor& grad) {
  auto impl = leaf.lock();
  if (!impl) return {};
  Tensor g = grad;
  if (g.shape() != impl->shape) g = sum_to(g, impl->shape);
  if (!impl->grad) {
    // Keep the incoming buffer when nothing else holds it; otherwise copy, so that in-place
    // updates of one .grad (clipping, zero_) never reach another tensor.
    bool sole = g.impl_ptr().use_count() <= 2 && g.impl().storage.use_count() == 1 && g.is_contiguous() &&
                !GradMode::is_enabled();
    // With create_graph (grad mode on) the clone keeps its history, so .grad can be differentiated.
    impl->grad = sole ? g.impl_ptr() : (GradMode::is_enabled() ? g.clone() : g.detach().clone()).impl_ptr();
    if (!GradMode::is_enabled()) impl->grad->grad_fn = nullptr, impl->grad->requires_grad = false;
  } else if (GradMode::is_enabled()) {
    impl->grad = (Tensor(impl->grad) + g).impl_ptr();  // create_graph: keep the sum differentiable
  } else {
    Tensor(impl->grad).add_(g);
  }
  for (auto& hook : impl->post_accumulate_hooks) hook(*impl);
  return {};
}

namespace {

// EMBER_PROFILE_BACKWARD=1: total time per node type, printed at exit (a coarse profiler).
bool profiling() {
  static const bool on = std::getenv("EMBER_PROFILE_BACKWARD") != nullptr;
  return on;
}
struct Profile {
  std::mutex mu;
  std::map<std::string, std::pair<double, int64_t>> by_name;
  ~Profile() {
    std::vector<std::pair<double, std::string>> rows;
    for (auto& [k, v] : by_name) rows.emplace_back(v.first, k);
    std::sort(rows.rbegin(), rows.rend());
    for (auto& [t, k] : rows)
      std::fprintf(stderr, "backward %-28s %10.3f ms total %8lld calls\n", k.c_str(), t * 1e3,
                   static_cast<long long>(by_name[k].second));
  }
};
void record_profile(const char* name, std::chrono::steady_clock::duration d) {
  static Profile p;
  std::lock_guard<std::mutex> lock(p.mu);
  auto& e = p.by_name[name];
  e.first += std::chrono::duration<double>(d).count();
  ++e.second;
}

// Runs the graph. When `capture` is given (autograd::grad), gradients arriving at those nodes are
// stored there, and only nodes with a captured node downstream run: other branches (and every
// AccumulateGrad) are skipped.
void run_backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grads, bool retain_graph,
                  bool create_graph, std::unordered_map<Node*, Tensor>* capture) {
  EMBER_CHECK(grads.empty() || grads.size() == outputs.size(), "backward", "got ", outputs.size(),
              " outputs but ", grads.size(), " gradients");
  EnableGradGuard mode(create_graph);
  std::vector<std::function<void()>> callbacks;
  struct CallbackScope {  // restores the outer pass's list (a backward run from inside a node)
    std::vector<std::function<void()>>* prev = g_callbacks;
    ~CallbackScope() { g_callbacks = prev; }
  } callback_scope;
  g_callbacks = &callbacks;
  std::unordered_map<Node*, Tensor> buffer;
  std::vector<std::shared_ptr<Node>> roots;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    EMBER_CHECK(out.defined() && out.requires_grad(), "backward",
                "element ", i, " of the outputs does not require grad and has no grad_fn; call requires_grad_() "
                "on an input before computing it (and do not compute it under no_grad)");
    Tensor g = grads.empty() ? Tensor() : grads[i];
    if (!g.defined()) {
      EMBER_CHECK(out.numel() == 1, "backward", "grad can be implicitly created only for one-element outputs, "
                  "but the output has shape ", shape_str(out.shape()), "; pass a gradient of that shape");
      g = ones_like(out);
    } else {
      EMBER_CHECK(g.shape() == out.shape(), "backward", "gradient has shape ", shape_str(g.shape()),
                  " but the output has shape ", shape_str(out.shape()));
    }
    Edge e = gradient_edge(out);
    auto& slot = buffer[e.fn.get()];
    slot = slot.defined() ? slot + g : g;
    roots.push_back(e.fn);
  }
  // Count dependencies over the reachable graph.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack;
  std::unordered_map<Node*, bool> seen;
  for (auto& r : roots)
    if (!seen[r.get()]) seen[r.get()] = true, stack.push_back(r.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& e : n->next) {
      if (!e.fn) continue;
      ++deps[e.fn.get()];
      if (!seen[e.fn.get()]) seen[e.fn.get()] = true, stack.push_back(e.fn.get());
    }
  }
  // For autograd::grad: must_run[n] when a captured node is reachable from n through its edges.
  // Computed over a topological order (Kahn's algorithm on a copy of deps), children first.
  std::unordered_map<Node*, bool> must_run;
  if (capture) {
    std::vector<Node*> topo;
    auto pending = deps;
    for (auto& r : roots)
      if (pending[r.get()] == 0) pending[r.get()] = -1, topo.push_back(r.get());
    for (size_t i = 0; i < topo.size(); ++i)
      for (auto& e : topo[i]->next)
        if (e.fn && --pending[e.fn.get()] == 0) topo.push_back(e.fn.get());
    for (auto it = topo.rbegin(); it != topo.rend(); ++it) {
      bool run = false;
      for (auto& e : (*it)->next)
        if (e.fn && (capture->count(e.fn.get()) || must_run[e.fn.get()])) run = true;
      must_run[*it] = run;
    }
  }
  auto cmp = [](Node* a, Node* b) { return a->seq < b->seq; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(cmp)> ready(cmp);
  for (auto& r : roots)
    if (deps[r.get()] == 0) {
      deps[r.get()] = -1;  // queued
      ready.push(r.get());
    }
  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    Tensor g = std::move(buffer[n]);
    buffer.erase(n);
    if (capture) {
      auto it = capture->find(n);
      if (it != capture->end()) it->second = g;
      if (!must_run[n]) continue;  // nothing requested lies past n (AccumulateGrad never runs here)
    }
    auto t0 = profiling() ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    std::vector<Tensor> in_grads;
    if (detail::anomaly_enabled()) [[unlikely]] {
      // The node is checked as a whole, so that an error names "SqrtBackward", not its "div".
      detail::PauseAnomalyChecks pause;
      AutocastGuard precision(n->autocast);
      in_grads = n->apply(g);
      check_backward(*n, g, in_grads);
    } else {
      AutocastGuard precision(n->autocast);  // gradient GEMMs at the forward's precision
      in_grads = n->apply(g);
    }
    if (profiling()) record_profile(n->name(), std::chrono::steady_clock::now() - t0);
    g = Tensor();
    for (size_t i = 0; i < n->next.size(); ++i) {
      Node* next = n->next[i].fn.get();
      if (!next) continue;
      if (i < in_grads.size() && in_grads[i].defined()) {
        Tensor gi = in_grads[i].dtype() == n->next[i].dtype ? in_grads[i] : in_grads[i].to(n->next[i].dtype);
        auto& slot = buffer[next];
        slot = slot.defined() ? slot + gi : gi;
      }
      if (--deps[next] == 0) ready.push(next);
    }
    if (!retain_graph) {
      n->release();
      n->released = true;
    }
  }
  for (size_t i = 0; i < callbacks.size(); ++i) callbacks[i]();  // a callback may queue another
}

}  // namespace

void queue_callback(std::function<void()> fn) {
  EMBER_CHECK(g_callbacks != nullptr, "autograd::queue_callback",
              "no backward pass is running; queue callbacks from a hook or node during backward()");
  g_callbacks->push_back(std::move(fn));
}

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grads, bool retain_graph,
              bool create_graph) {
  run_backward(outputs, grads, retain_graph || create_graph, create_graph, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph, bool create_graph,
                         bool allow_unused) {
  std::unordered_map<Node*, Tensor> capture;
  std::vector<Node*> keys;
  for (auto& in : inputs) {
    EMBER_CHECK(in.defined() && in.requires_grad(), "autograd::grad", "every input must require grad");
    Edge e = gradient_edge(in);
    keys.push_back(e.fn.get());
    capture[e.fn.get()] = Tensor();
  }
  run_backward(outputs, grad_outputs, retain_graph || create_graph, create_graph, &capture);
  std::vector<Tensor> result;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor g = capture[keys[i]];
    EMBER_CHECK(g.defined() || allow_unused, "autograd::grad", "input ", i,
                " was not used to compute the outputs; pass allow_unused=true if that is intended");
    result.push_back(g);
  }
  return result;
}

}  // namespace autograd

// ---- Tensor's autograd methods ----

Tensor& Tensor::requires_grad_(bool r) {
  EMBER_CHECK(!r || dtype() == kFloat32 || dtype() == kFloat64 || dtype() == kFloat16 || dtype() == kBFloat16,
              "requires_grad_", "only floating-point tensors can require gradients, got ", dtype_name(dtype()));
  EMBER_CHECK(r || is_leaf(), "requires_grad_", "you can only change requires_grad of leaf tensors; "
              "use detach() to get a tensor that does not require grad");
  impl().requires_grad = r;
  return *this;
}

Tensor Tensor::grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }

void Tensor::set_grad(const Tensor& g) {
  if (g.defined())
    EMBER_CHECK(g.shape() == shape() && g.dtype() == dtype(), "set_grad", "gradient of shape ", shape_str(g.shape()),
                " and dtype ", dtype_name(g.dtype()), " does not match the tensor's ", shape_str(shape()), " ",
                dtype_name(dtype()));
  impl().grad = g.defined() ? g.impl_ptr() : nullptr;
}

bool Tensor::is_leaf() const { return impl().grad_fn == nullptr; }

void Tensor::retain_grad() {
  EMBER_CHECK(requires_grad(), "retain_grad", "can't retain_grad on a tensor that does not require grad");
  if (is_leaf()) return;
  // Wrap the node so that the gradient flowing into it is also stored on this tensor.
  struct Retain final : autograd::Node {
    std::shared_ptr<autograd::Node> inner;
    std::weak_ptr<TensorImpl> target;
    const char* name() const override { return inner->name(); }
    std::vector<Tensor> apply(const Tensor& g) override {
      if (auto t = target.lock()) {
        t->grad = t->grad ? (Tensor(t->grad) + g).impl_ptr() : g.detach().clone().impl_ptr();
      }
      return inner->apply(g);
    }
    void release() override { inner->release(); }
  };
  if (impl().retains_grad) return;
  auto node = std::make_shared<Retain>();
  node->inner = impl().grad_fn;
  node->next = node->inner->next;
  node->seq = node->inner->seq;
  node->autocast = node->inner->autocast;
  node->target = impl_ptr();
  impl().grad_fn = node;
  impl().retains_grad = true;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

Tensor Tensor::detach() const {
  Tensor t = detail::make_view(*this, shape(), strides(), storage_offset());
  t.impl().is_view = impl().is_view;
  return t;
}

Tensor& Tensor::detach_() {
  impl().grad_fn = nullptr;
  impl().requires_grad = false;
  return *this;
}

}  // namespace ember
