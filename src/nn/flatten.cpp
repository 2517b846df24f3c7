// Flatten and Unflatten.
#include "ember/nn/flatten.h"

#include <sstream>

#include "ember/ops.h"
#include "nn/layer_util.h"

namespace ember::nn {

using detail::pair_str;

std::string Flatten::extra_repr() const {
  std::ostringstream os;
  os << "start_dim=" << start_dim << ", end_dim=" << end_dim;
  return os.str();
}

Unflatten::Unflatten(int64_t d, Shape sizes) : dim(d), unflattened_size(std::move(sizes)) {
  EMBER_CHECK(!unflattened_size.empty(), "Unflatten", "unflattened_size must not be empty");
  int64_t inferred = 0;
  for (int64_t v : unflattened_size) {
    EMBER_CHECK(v > 0 || v == -1, "Unflatten", "unflattened_size must hold positive sizes (or one -1), got ",
                shape_str(unflattened_size));
    inferred += v == -1;
  }
  EMBER_CHECK(inferred <= 1, "Unflatten", "at most one size may be -1, got ", shape_str(unflattened_size));
}
std::string Unflatten::extra_repr() const { return "dim=" + std::to_string(dim) + ", unflattened_size=" + pair_str(unflattened_size); }

}  // namespace ember::nn
