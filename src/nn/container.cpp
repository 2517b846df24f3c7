// Sequential, ModuleList, ModuleDict.
#include "ember/nn/container.h"

#include "ember/ops.h"

namespace ember::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) push_back(m);
}
void Sequential::push_back(std::shared_ptr<Module> m) { register_module(std::to_string(size()), std::move(m)); }
Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& [n, m] : named_children()) h = m->forward(h);
  return h;
}
std::shared_ptr<Module> Sequential::operator[](size_t i) const {
  EMBER_CHECK(i < size(), "Sequential", "index ", i, " is out of range for a Sequential of ", size(), " modules");
  return named_children()[i].second;
}

ModuleList::ModuleList(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) push_back(m);
}
void ModuleList::push_back(std::shared_ptr<Module> m) { register_module(std::to_string(size()), std::move(m)); }
std::shared_ptr<Module> ModuleList::operator[](size_t i) const {
  EMBER_CHECK(i < size(), "ModuleList", "index ", i, " is out of range for a ModuleList of ", size(), " modules");
  return named_children()[i].second;
}

std::shared_ptr<Module> ModuleDict::operator[](const std::string& key) const {
  for (auto& [n, m] : named_children())
    if (n == key) return m;
  throw Error("ModuleDict: no module named '" + key + "'");
}
bool ModuleDict::contains(const std::string& key) const {
  for (auto& [n, m] : named_children())
    if (n == key) return true;
  return false;
}

}  // namespace ember::nn
