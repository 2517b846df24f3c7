#pragma once
// Containers: Sequential, ModuleList, ModuleDict.
#include <initializer_list>
#include <memory>
#include <string>

#include "ember/nn/module.h"

namespace ember::nn {

// Children named "0", "1", ...; forward chains them.
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  void push_back(std::shared_ptr<Module> m);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> operator[](size_t i) const;
  size_t size() const { return named_children().size(); }
  std::string name() const override { return "Sequential"; }
};

class ModuleList : public Module {
 public:
  ModuleList() = default;
  ModuleList(std::initializer_list<std::shared_ptr<Module>> modules);
  void push_back(std::shared_ptr<Module> m);
  std::shared_ptr<Module> operator[](size_t i) const;
  size_t size() const { return named_children().size(); }
  std::string name() const override { return "ModuleList"; }
};

class ModuleDict : public Module {
 public:
  ModuleDict() = default;
  void insert(const std::string& key, std::shared_ptr<Module> m) { register_module(key, std::move(m)); }
  std::shared_ptr<Module> operator[](const std::string& key) const;
  bool contains(const std::string& key) const;
  size_t size() const { return named_children().size(); }
  std::string name() const override { return "ModuleDict"; }
};

}  // namespace ember::nn
