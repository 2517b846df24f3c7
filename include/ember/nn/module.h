#pragma once
// nn::Module: parameters, buffers and child modules registered by name, as torch.nn.Module.
// Modules are held by std::shared_ptr; names join with '.' (conv1.weight, layers.0.bias).
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/tensor.h"

namespace ember::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module : public std::enable_shared_from_this<Module> {
 public:
  virtual ~Module() = default;

  // The one-tensor forward most layers have; modules with other signatures add their own.
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  // A parameter shared by several modules (tied weights) is listed once, under its first name, as
  // PyTorch's named_parameters(); state_dict() keeps every name.
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedTensors named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  std::vector<std::shared_ptr<Module>> children() const;
  // This module and every descendant, depth first, with dotted names ("" for this one).
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules() const;

  // Converts floating-point parameters, their gradients and floating buffers to `dtype` in place
  // (module.to(torch.float64)): the tensors keep their identity, so layers' members and optimizers
  // see the new values; a tied tensor is converted once. Integer buffers (num_batches_tracked) stay.
  Module& to(DType dtype);

  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad(bool set_to_none = true);
  int64_t num_parameters(bool only_trainable = false) const;

  // Parameters then buffers, PyTorch's key names and order (persistent buffers only).
  NamedTensors state_dict() const;
  // Copies values in place. strict: every key must match both ways; shapes must always match.
  // Errors name the key, the shapes and the module.
  void load_state_dict(const NamedTensors& state, bool strict = true);

  // Type name for printing ("Linear") and its arguments ("in_features=4, out_features=2, bias=True").
  virtual std::string name() const { return "Module"; }
  virtual std::string extra_repr() const { return ""; }
  std::string repr() const;  // the module tree, as PyTorch prints it, with parameter counts

  Tensor& register_parameter(const std::string& name, Tensor t, bool requires_grad = true);
  Tensor& register_buffer(const std::string& name, Tensor t, bool persistent = true);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }
  // Access by name ("weight"); throws naming the module if absent.
  Tensor& param(const std::string& name);
  Tensor& buffer(const std::string& name);

 protected:
  bool training_ = true;

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> m);
  void check_new_name(const std::string& name, const char* what) const;
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::string> non_persistent_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace ember::nn
