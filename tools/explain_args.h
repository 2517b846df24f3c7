#pragma once
// The flags of `ember explain`, shared by its image (mnist-cnn) and text (imdb-lstm) paths.
#include <cstdint>
#include <string>

namespace ember::cli {

struct ExplainArgs {
  std::string checkpoint, method = "ig", data_root, out, text, color = "auto";
  int64_t index = 0, target = -1, steps = 50, samples = 25, window = 4, stride = 2, threads = 0;
  double stdev = 0.15;
  uint64_t seed = 0;
  bool samples_given = false;  // --samples defaults differ: 25 for smoothgrad, shap's 2F + 2048 for shap
  bool text_given = false, window_given = false, stride_given = false;
};

// imdb-lstm checkpoints: the tokens of a review (or --text) with their attributions.
int run_explain_text(const ExplainArgs& a);

}  // namespace ember::cli
