// `ember explain` on an imdb-lstm checkpoint: which words of a review made the model call it
// positive or negative. Every method attributes to the embedded tokens (B, T, E), as Captum's
// LayerIntegratedGradients on the embedding does; a token's value is the sum over its embedding
// (gradient methods) or the score change when it is replaced by <pad> (occlusion, SHAP, LIME).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "explain_args.h"
#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/data/imdb.h"
#include "ember/explain/attribution.h"
#include "ember/explain/lime.h"
#include "ember/explain/shapley.h"
#include "ember/explain/text_render.h"
#include "ember/ops.h"
#include "ember/recipes/imdb_lstm.h"

namespace ember::cli {

namespace {

constexpr const char* kClass[2] = {"negative", "positive"};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// (1, T, E) attributions -> one value per token.
std::vector<double> per_token(const Tensor& attr, bool sum_over_embedding) {
  Tensor t = sum_over_embedding ? sum(attr[0], {1}) : mean(attr[0], {1});  // (T)
  t = t.to(kFloat64).contiguous();
  const double* p = t.data_ptr<double>();
  return std::vector<double>(p, p + t.numel());
}

std::string list(const std::vector<std::string>& tokens, const std::vector<double>& v, const std::vector<size_t>& order) {
  std::string out;
  char buf[64];
  for (size_t k = 0; k < order.size(); ++k) {
    std::snprintf(buf, sizeof buf, " (%+.4g)", v[order[k]]);
    out += (k ? ", " : "") + tokens[order[k]] + buf;
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

int run_explain_text(const ExplainArgs& a) {
  EMBER_CHECK(a.out.empty() || ends_with(a.out, ".html"), "explain", "--out '", a.out,
              "' must end in .html (imdb-lstm: the coloured tokens)");
  const int64_t window = a.window_given ? a.window : 1, stride = a.stride_given ? a.stride : 1;
  EMBER_CHECK(stride <= window, "explain", "--stride ", stride, " must be at most --window ", window,
              " (a larger step would skip tokens)");
  recipes::ImdbLstmModel m = recipes::load_imdb_lstm(a.checkpoint);
  for (auto& p : m.net->parameters()) p.requires_grad_(false);  // gradients w.r.t. the embeddings only

  std::string review, source;
  int64_t label = -1;
  if (a.text_given) {
    review = a.text, source = "--text";
  } else {
    data::IMDBReviews reviews = data::read_imdb(data::resolve_data_root(a.data_root));
    const int64_t n = reviews.test.size();
    EMBER_CHECK(a.index < n, "explain", "--index ", a.index, " is out of range: the IMDB test set has ", n,
                " reviews (0 to ", n - 1, ")");
    review = reviews.test.texts[a.index], label = reviews.test.labels[a.index];
    source = "Review " + std::to_string(a.index) + " of the IMDB test set (label " + kClass[label] + ")";
  }
  const std::vector<int64_t> ids = m.tokens(review);
  EMBER_CHECK(!ids.empty(), "explain", source == "--text" ? "--text" : source, " has no words to explain",
              " (it is empty or only whitespace)");
  const int64_t T = static_cast<int64_t>(ids.size());
  std::vector<std::string> tokens;
  for (int64_t id : ids) tokens.push_back(m.vocab->token(id));

  Tensor x, pad;
  {
    NoGradGuard ng;
    x = m.net->embedding->forward(tensor<int64_t>(ids, {1, T})).contiguous();  // (1, T, E)
    // The baseline: every token replaced by <pad> (its embedding row, zeros as trained).
    pad = m.net->embedding->weight.narrow(0, text::WordTokenizer::kPad, 1).unsqueeze(0).contiguous();  // (1, 1, E)
  }
  auto net = m.net;
  explain::Forward model = [net, T](const Tensor& in) {  // (N, T, E) -> (N, 2) log-probabilities
    return log_softmax(net->forward_embedded(in, full({in.size(0)}, T, kInt64)), 1);
  };
  Tensor logp;
  {
    NoGradGuard ng;
    logp = model(x);
  }
  const int64_t predicted = argmax(logp, 1).item<int64_t>();
  EMBER_CHECK(a.target < 2, "explain", "--target ", a.target, " is not a class of this model: it has 2 classes (0 negative, 1 positive)");
  const int64_t target = a.target >= 0 ? a.target : predicted;
  const std::vector<int64_t> t{target};
  const Tensor baseline = pad.expand({1, T, pad.size(2)}).contiguous();

  std::vector<double> v;
  std::string note;
  char buf[256];
  if (a.method == "saliency") {
    v = per_token(explain::saliency(model, x, t), true);
    note = "Saliency: |gradient| summed over each token's embedding";
  } else if (a.method == "ig") {
    auto r = explain::integrated_gradients(model, x, t, {.baseline = baseline, .steps = a.steps});
    v = per_token(r.attributions, true);
    const double sum_v = std::accumulate(v.begin(), v.end(), 0.0), delta = r.delta.item<double>();
    std::snprintf(buf, sizeof buf,
                  "Integrated gradients (%lld steps, <pad> baseline): sum of attributions %.6f, f(x) - f(baseline) "
                  "%.6f, convergence delta %.3g",
                  static_cast<long long>(a.steps), sum_v, sum_v - delta, delta);
    note = buf;
  } else if (a.method == "smoothgrad") {
    Generator gen(a.seed);
    // --stdev is relative to the spread of the embedding's entries (pixels: of 0..1).
    const double scale = ember::std(m.net->embedding->weight).item<double>();
    v = per_token(explain::smoothgrad(model, x, t, {.stdev = a.stdev * scale, .samples = a.samples, .generator = &gen}), true);
    std::snprintf(buf, sizeof buf, "SmoothGrad: %lld noisy copies, noise std %.3g (--stdev x the embedding's std)",
                  static_cast<long long>(a.samples), a.stdev * scale);
    note = buf;
  } else if (a.method == "occlusion") {
    const int64_t E = x.size(2);
    v = per_token(explain::occlusion(model, x, t, {.sliding_window = {window, E}, .strides = {stride, E},
                                                   .baseline = baseline}), false);
    std::snprintf(buf, sizeof buf, "Occlusion: windows of %lld token(s), stride %lld, replaced by <pad>",
                  static_cast<long long>(window), static_cast<long long>(stride));
    note = buf;
  } else {  // shap or lime: each token position is a feature, absent ones <pad>
    std::vector<int64_t> pos(static_cast<size_t>(T));
    std::iota(pos.begin(), pos.end(), 0);
    Tensor mask = tensor<int64_t>(pos, {T, 1});
    Generator gen(a.seed);
    Tensor values;
    if (a.method == "shap") {
      auto r = explain::kernel_shap(model, x, t, {.feature_mask = mask, .baseline = baseline,
                                                  .samples = a.samples_given ? a.samples : 0, .generator = &gen,
                                                  .perturbations_per_eval = 128});
      values = r.values;
      std::snprintf(buf, sizeof buf, "KernelSHAP over %lld tokens: sum of values %.6f = f(x) - f(all <pad>)",
                    static_cast<long long>(T), sum(r.values).item<double>());
    } else {
      auto r = explain::lime(model, x, t, {.feature_mask = mask, .baseline = baseline,
                                           .samples = a.samples_given ? a.samples : 1000, .generator = &gen,
                                           .perturbations_per_eval = 128});
      values = r.coefficients;
      std::snprintf(buf, sizeof buf, "LIME over %lld tokens: surrogate R^2 %.4f", static_cast<long long>(T),
                    r.score.item<double>());
    }
    note = buf;
    Tensor row = values[0].to(kFloat64).contiguous();
    v.assign(row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
  }

  // The strongest tokens each way (at most 8).
  std::vector<size_t> up, down;
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return v[i] > v[j]; });
  for (size_t i : order)
    if (v[i] > 0 && up.size() < 8) up.push_back(i);
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    if (v[*it] < 0 && down.size() < 8) down.push_back(*it);

  std::vector<std::string> heading;
  heading.push_back(a.text_given ? "Text given with --text, " + std::to_string(T) + " tokens"
                                 : source + ", " + std::to_string(T) + " tokens");
  std::snprintf(buf, sizeof buf, "Predicted: %s (probability %.4f)", kClass[predicted],
                std::exp(logp[0][predicted].item<float>()));
  heading.push_back(buf);
  heading.push_back(std::string("Target: ") + kClass[target] + (a.target < 0 ? " (the predicted class)" : ""));
  heading.push_back(note);
  for (const std::string& line : heading) std::printf("%s\n", line.c_str());
  const bool colour = a.color == "always" || (a.color == "auto" && isatty(STDOUT_FILENO));
  if (colour) std::printf("%s\n", explain::ansi_tokens(tokens, v).c_str());
  std::printf("Toward %s: %s\n", kClass[target], list(tokens, v, up).c_str());
  std::printf("Against %s: %s\n", kClass[target], list(tokens, v, down).c_str());
  if (!a.out.empty()) {
    explain::write_attribution_html(a.out, tokens, v, heading);
    std::printf("Wrote %s (red raises the target's score, blue lowers it)\n", a.out.c_str());
  }
  return 0;
}

}  // namespace ember::cli
