#include "ember/nn/module.h"

#include <algorithm>
#include <functional>
#include <ostream>
#include <set>
#include <sstream>

#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::nn {

Tensor Module::forward(const Tensor&) {
  throw Error(name() + ".forward: this module has no single-tensor forward; call its own forward overload");
}

void Module::check_new_name(const std::string& n, const char* what) const {
  EMBER_CHECK(!n.empty() && n.find('.') == std::string::npos, name(), ": ", what, " name '", n,
              "' must be non-empty and contain no '.'");
  auto taken = [&](const auto& v) { return std::any_of(v.begin(), v.end(), [&](const auto& p) { return p.first == n; }); };
  EMBER_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), name(), ": attribute '", n, "' already exists");
}

Tensor& Module::register_parameter(const std::string& n, Tensor t, bool requires_grad) {
  check_new_name(n, "parameter");
  if (t.defined()) t.requires_grad_(requires_grad);
  params_.emplace_back(n, std::move(t));
  return params_.back().second;
}

Tensor& Module::register_buffer(const std::string& n, Tensor t, bool persistent) {
  check_new_name(n, "buffer");
  buffers_.emplace_back(n, std::move(t));
  if (!persistent) non_persistent_.push_back(n);
  return buffers_.back().second;
}

void Module::add_child(const std::string& n, std::shared_ptr<Module> m) {
  check_new_name(n, "submodule");
  EMBER_CHECK(m != nullptr, name(), ": submodule '", n, "' is null");
  children_.emplace_back(n, std::move(m));
}

Tensor& Module::param(const std::string& n) {
  for (auto& [k, v] : params_)
    if (k == n) return v;
  throw Error(name() + ": no parameter named '" + n + "'");
}

Tensor& Module::buffer(const std::string& n) {
  for (auto& [k, v] : buffers_)
    if (k == n) return v;
  throw Error(name() + ": no buffer named '" + n + "'");
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& [n, m] : children_) out.push_back(m);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  out.emplace_back("", std::const_pointer_cast<Module>(shared_from_this()));
  for (auto& [n, m] : children_)
    for (auto& [sub, mm] : m->named_modules()) out.emplace_back(sub.empty() ? n : n + "." + sub, mm);
  return out;
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors out;
  for (auto& p : params_)
    if (p.second.defined()) out.push_back(p);
  if (recurse)
    for (auto& [n, m] : children_)
      for (auto& [k, v] : m->named_parameters(true)) out.emplace_back(n + "." + k, v);
  // Tied parameters: keep the first name only, so optimizers update a shared tensor once.
  std::set<const TensorImpl*> seen;
  std::erase_if(out, [&](const auto& p) { return !seen.insert(&p.second.impl()).second; });
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [k, v] : named_parameters(recurse)) out.push_back(v);
  return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  for (auto& b : buffers_)
    if (b.second.defined()) out.push_back(b);
  if (recurse)
    for (auto& [n, m] : children_)
      for (auto& [k, v] : m->named_buffers(true)) out.emplace_back(n + "." + k, v);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [k, v] : named_buffers(recurse)) out.push_back(v);
  return out;
}

namespace {
// Points `t`'s TensorImpl at a converted contiguous copy, so every handle to it sees the change.
void convert_in_place(const Tensor& t, DType dtype) {
  if (!t.defined() || !t.is_floating_point() || t.dtype() == dtype) return;
  Tensor c = t.detach().to(dtype).contiguous();
  TensorImpl& dst = t.impl();
  dst.storage = c.impl().storage;
  dst.strides = c.strides();
  dst.offset = c.storage_offset();
  dst.dtype = dtype;
  dst.is_view = false;
  if (dst.grad) convert_in_place(Tensor(dst.grad), dtype);
}
}  // namespace

Module& Module::to(DType dtype) {
  EMBER_CHECK(is_floating(dtype), name() + ".to", "expected a floating-point dtype, got ", dtype_name(dtype),
              " (integer parameters cannot be trained)");
  NoGradGuard ng;
  std::set<const TensorImpl*> done;  // a tied tensor is converted once
  // Walks children_ directly: named_modules() needs shared_from_this, and `this` may live on the stack.
  std::function<void(Module&)> visit = [&](Module& m) {
    for (auto& p : m.params_)
      if (p.second.defined() && done.insert(&p.second.impl()).second) convert_in_place(p.second, dtype);
    for (auto& b : m.buffers_)
      if (b.second.defined() && done.insert(&b.second.impl()).second) convert_in_place(b.second, dtype);
    for (auto& [n, c] : m.children_) visit(*c);
  };
  visit(*this);
  return *this;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, m] : children_) m->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (auto& p : parameters()) {
    if (!p.grad().defined()) continue;
    if (set_to_none) p.set_grad(Tensor());
    else p.grad().zero_();
  }
}

int64_t Module::num_parameters(bool only_trainable) const {
  int64_t n = 0;
  for (auto& p : parameters())
    if (!only_trainable || p.requires_grad()) n += p.numel();
  return n;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  for (auto& p : params_)
    if (p.second.defined()) out.emplace_back(p.first, p.second.detach());
  for (auto& b : buffers_)
    if (b.second.defined() &&
        std::find(non_persistent_.begin(), non_persistent_.end(), b.first) == non_persistent_.end())
      out.emplace_back(b.first, b.second.detach());
  for (auto& [n, m] : children_)
    for (auto& [k, v] : m->state_dict()) out.emplace_back(n + "." + k, v);
  return out;
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
  NamedTensors mine = state_dict();
  std::map<std::string, Tensor> given(state.begin(), state.end());
  std::vector<std::string> missing, unexpected;
  for (auto& [k, v] : mine)
    if (!given.count(k)) missing.push_back(k);
  for (auto& kv : state)  // not a structured binding: clang 14 (the fuzz build) cannot capture one
    if (std::none_of(mine.begin(), mine.end(), [&](const auto& p) { return p.first == kv.first; }))
      unexpected.push_back(kv.first);
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (auto& x : v) s += (s.empty() ? "\"" : ", \"") + x + "\"";
    return s;
  };
  if (strict && (!missing.empty() || !unexpected.empty()))
    throw Error("load_state_dict: error(s) in loading state_dict for " + name() +
                (missing.empty() ? "" : ": missing key(s): " + join(missing)) +
                (unexpected.empty() ? "" : "; unexpected key(s): " + join(unexpected)) +
                ". Is the checkpoint from another model?");
  // Check every shape before changing anything, so a failed load leaves the model as it was.
  for (auto& [k, v] : mine) {
    auto it = given.find(k);
    if (it == given.end()) continue;
    EMBER_CHECK(it->second.shape() == v.shape(), "load_state_dict", "size mismatch for ", k,
                ": copying a param with shape ", shape_str(it->second.shape()), " from checkpoint, the shape in the ",
                name(), " model is ", shape_str(v.shape()));
  }
  NoGradGuard ng;
  for (auto& [k, v] : mine) {
    auto it = given.find(k);
    if (it != given.end()) Tensor(v).copy_(it->second);
  }
}


namespace {
std::string indent_lines(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '\n') out += "  ";
  }
  return out;
}
}  // namespace

std::string Module::repr() const {
  std::ostringstream os;
  os << name() << "(";
  std::string extra = extra_repr();
  if (children_.empty()) {
    os << extra << ")";
  } else {
    os << "\n";
    if (!extra.empty()) os << "  " << extra << "\n";
    for (auto& [n, m] : children_) os << "  (" << n << "): " << indent_lines(m->repr()) << "\n";
    os << ")";
  }
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Module& m) {
  return os << m.repr() << "\nTotal parameters: " << m.num_parameters()
            << " (trainable: " << m.num_parameters(true) << ")";
}

}  // namespace ember::nn
