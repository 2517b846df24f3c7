// check_ranks_agree: the recipe's configuration and the run's length, compared across ranks.
#include "train/rank_agreement.h"

#include <algorithm>
#include <sstream>

namespace ember::train::detail {

void check_ranks_agree(const distributed::Context& dist, const TrainerOptions& options,
                       const std::vector<std::pair<std::string, std::string>>& run) {
  if (dist.size() == 1) return;
  std::vector<std::pair<std::string, std::string>> values = {{"recipe", options.recipe}};
  std::istringstream config(options.config);  // "epochs=1 batch_size=64 ...": one entry per key
  for (std::string token; config >> token;) {
    const size_t eq = token.find('=');
    if (eq == std::string::npos) values.emplace_back(token, "");
    else values.emplace_back(token.substr(0, eq), token.substr(eq + 1));
  }
  for (const auto& entry : run)  // the configuration may already hold it (shakespeare-gpt's steps)
    if (std::none_of(values.begin(), values.end(), [&](const auto& v) { return v.first == entry.first; }))
      values.push_back(entry);
  dist.check_agree(values, "train");
}

}  // namespace ember::train::detail
