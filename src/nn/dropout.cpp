// Dropout.
#include "ember/nn/dropout.h"

#include <sstream>

#include "ember/ops.h"

namespace ember::nn {

Dropout::Dropout(double p_, Generator* g) : p(p_), gen(g) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, "Dropout", "dropout probability has to be between 0 and 1, but got ", p);
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), gen); }
std::string Dropout::extra_repr() const {
  std::ostringstream os;
  os << "p=" << p << ", inplace=False";
  return os.str();
}

}  // namespace ember::nn
