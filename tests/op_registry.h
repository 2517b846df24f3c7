#pragma once
// Test-side registry: op name -> a function that runs the Ember op on golden inputs and kwargs.
// Family test files register their ops with EMBER_REGISTER_OP; golden_harness.cpp replays every
// golden case through it (values, gradients, non-contiguous inputs, finite differences).
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ember/ember.h"

namespace ember::test {

using OpFn = std::function<Tensor(const std::vector<Tensor>& in, const nlohmann::json& kw)>;

std::map<std::string, OpFn>& op_registry();

struct OpRegistrar {
  OpRegistrar(const std::string& name, OpFn fn) { op_registry()[name] = std::move(fn); }
};

// kwargs helpers: kw value or default
template <typename T>
T kw_or(const nlohmann::json& kw, const char* key, T def) {
  return kw.contains(key) ? kw.at(key).get<T>() : def;
}

// Builds a tensor from a golden JSON entry; noncontig gives a strided view with the same values.
Tensor from_json(const nlohmann::json& j, bool noncontig = false);

// Central finite differences in float64: max |analytic - numeric| / (1 + |numeric|) over all
// inputs that require grad, for the scalar sum(f(inputs) * grad_output).
double gradcheck_error(const OpFn& fn, const std::vector<Tensor>& inputs, const nlohmann::json& kw,
                       const Tensor& grad_output, double eps = 1e-6);

}  // namespace ember::test

// Asserts that `stmt` throws ember::Error whose message contains every fragment.
#define EXPECT_EMBER_ERROR(stmt, ...)                                                          \
  do {                                                                                         \
    try {                                                                                      \
      stmt;                                                                                    \
      ADD_FAILURE() << "expected ember::Error from " #stmt;                                    \
    } catch (const ember::Error& e) {                                                          \
      for (const char* frag : {__VA_ARGS__})                                                   \
        EXPECT_NE(std::string(e.what()).find(frag), std::string::npos) << "message: " << e.what(); \
    }                                                                                          \
  } while (0)

#define EMBER_CONCAT_INNER(a, b) a##b
#define EMBER_CONCAT(a, b) EMBER_CONCAT_INNER(a, b)
#define EMBER_REGISTER_OP(name, ...) \
  static ::ember::test::OpRegistrar EMBER_CONCAT(ember_op_reg_, __LINE__)(name, __VA_ARGS__)
