// Regularization terms.
#include "ember/optim/regularization.h"

#include "ember/ops.h"

namespace ember::optim {

Tensor l1_penalty(const std::vector<Tensor>& params, double lambda) {
  const char* op = "l1_penalty";
  EMBER_CHECK(lambda >= 0, op, "lambda must be >= 0, got ", lambda);
  Tensor total;
  for (size_t i = 0; i < params.size(); ++i) {
    EMBER_CHECK(params[i].defined(), op, "parameter ", i, " is an undefined tensor");
    EMBER_CHECK(params[i].is_floating_point(), op, "parameter ", i, " has dtype ", dtype_name(params[i].dtype()),
                "; expected floating point");
    Tensor s = ember::sum(ember::abs(params[i]));
    total = total.defined() ? total + s : s;
  }
  if (!total.defined()) return zeros({});
  return total * lambda;
}

}  // namespace ember::optim
