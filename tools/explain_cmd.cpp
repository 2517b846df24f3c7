#include "explain_cmd.h"

#include "explain_args.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/data/mnist.h"
#include "ember/explain/attribution.h"
#include "ember/explain/heatmap.h"
#include "ember/explain/lime.h"
#include "ember/explain/shapley.h"
#include "ember/io/safetensors.h"
#include "ember/models/mnist_cnn.h"
#include "ember/ops.h"
#include "ember/parallel.h"
#include "ember/train/checkpoint.h"

namespace ember::cli {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The checkpoint's input standardization (as `ember eval` reads it): mean and std of the pixels.
std::pair<double, double> normalization(const train::Checkpoint& ck, const std::string& path) {
  double mean = 0.1307, sd = 0.3081;  // checkpoints from before --mean/--std used MNIST's
  auto it = ck.metadata.find("normalize");
  if (it != ck.metadata.end()) {
    std::istringstream is(it->second);
    EMBER_CHECK(static_cast<bool>(is >> mean >> sd) && sd > 0, "explain", "'", path, "' has a malformed normalize entry '",
                it->second, "'");
  }
  return {mean, sd};
}

// The checkpoint's "recipe" metadata: which model, and so image or text.
std::string recipe_of(const std::string& path) {
  io::SafetensorsFile f = io::load_safetensors(path);
  auto it = f.metadata.find("recipe");
  return it == f.metadata.end() ? std::string("(none)") : it->second;
}

int run_explain(const ExplainArgs& a) {
  if (a.threads > 0) set_num_threads(static_cast<int>(a.threads));
  const std::string recipe = recipe_of(a.checkpoint);
  if (recipe == "imdb-lstm") return run_explain_text(a);
  EMBER_CHECK(recipe == "mnist-cnn", "explain", "'", a.checkpoint, "' is a checkpoint of recipe '", recipe,
              "'; ember explain reads mnist-cnn and imdb-lstm checkpoints");
  EMBER_CHECK(!a.text_given, "explain", "--text is for imdb-lstm checkpoints; '", a.checkpoint, "' is a mnist-cnn one");
  EMBER_CHECK(!a.out.empty(), "explain", "--out F.png is required for a mnist-cnn checkpoint (the heatmap to write)");
  EMBER_CHECK(ends_with(a.out, ".png"), "explain", "--out '", a.out, "' must end in .png (mnist-cnn: the heatmap)");
  EMBER_CHECK(a.stride <= a.window, "explain", "--stride ", a.stride, " must be at most --window ", a.window,
              " (a larger step would skip pixels)");
  data::MNIST test(data::resolve_data_root(a.data_root), /*train=*/false);
  EMBER_CHECK(a.index < test.size(), "explain", "--index ", a.index, " is out of range: the MNIST test set has ",
              test.size(), " images (0 to ", test.size() - 1, ")");
  models::MnistCNN net;
  train::Checkpoint ck = train::load_checkpoint(a.checkpoint, net, nullptr, "mnist-cnn");
  net.eval();
  for (auto& p : net.parameters()) p.requires_grad_(false);  // gradients w.r.t. the input only
  const auto [mean, sd] = normalization(ck, a.checkpoint);

  Tensor pixels = test.images().narrow(0, a.index, 1).contiguous();  // (1, 1, 28, 28) in [0, 1]
  Tensor x = (pixels - mean) / sd;
  explain::Forward model = [&net](const Tensor& in) { return net.forward(in); };  // (N, 10) log-probabilities
  Tensor logp;
  {
    NoGradGuard ng;
    logp = model(x);
  }
  const int64_t classes = logp.size(1), predicted = argmax(logp, 1).item<int64_t>();
  EMBER_CHECK(a.target < classes, "explain", "--target ", a.target, " is not a class of this model: it has ", classes,
              " classes (0 to ", classes - 1, ")");
  const int64_t target = a.target >= 0 ? a.target : predicted;
  const std::vector<int64_t> t{target};
  Tensor black = full({1, 1, 28, 28}, -mean / sd);  // a black image after standardization

  Tensor attr;
  double delta = 0;
  char shap_note[160] = "";
  if (a.method == "saliency") {
    attr = explain::saliency(model, x, t);
  } else if (a.method == "ig") {
    auto r = explain::integrated_gradients(model, x, t, {.baseline = black, .steps = a.steps});
    attr = r.attributions, delta = r.delta.item<double>();
  } else if (a.method == "smoothgrad") {
    Generator gen(a.seed);
    attr = explain::smoothgrad(model, x, t, {.stdev = a.stdev / sd, .samples = a.samples, .generator = &gen});
  } else if (a.method == "shap" || a.method == "lime") {
    // Features: square patches of --window pixels, absent ones black.
    const int64_t per_row = (28 + a.window - 1) / a.window;
    std::vector<int64_t> ids;
    for (int64_t r = 0; r < 28; ++r)
      for (int64_t c = 0; c < 28; ++c) ids.push_back((r / a.window) * per_row + c / a.window);
    Generator gen(a.seed);
    if (a.method == "lime") {
      auto r = explain::lime(model, x, t, {.feature_mask = tensor<int64_t>(ids, {1, 28, 28}), .baseline = black,
                                           .samples = a.samples_given ? a.samples : 1000, .generator = &gen,
                                           .perturbations_per_eval = 128});
      attr = r.attributions;
      std::snprintf(shap_note, sizeof shap_note, "LIME over %lld patches of %lldx%lld pixels: surrogate R^2 %.4f\n",
                    static_cast<long long>(per_row * per_row), static_cast<long long>(a.window),
                    static_cast<long long>(a.window), r.score.item<double>());
    } else {
      auto r = explain::kernel_shap(model, x, t, {.feature_mask = tensor<int64_t>(ids, {1, 28, 28}), .baseline = black,
                                                  .samples = a.samples_given ? a.samples : 0, .generator = &gen,
                                                  .perturbations_per_eval = 128});
      attr = r.attributions;
      std::snprintf(shap_note, sizeof shap_note, "KernelSHAP over %lld patches of %lldx%lld pixels: sum of values %.6f = f(x) - f(black)\n",
                  static_cast<long long>(per_row * per_row), static_cast<long long>(a.window),
                  static_cast<long long>(a.window), sum(r.values).item<double>());
    }
  } else {  // occlusion (CLI11 checked the name)
    attr = explain::occlusion(model, x, t, {.sliding_window = {1, a.window, a.window}, .strides = {1, a.stride, a.stride},
                                            .baseline = black});
  }
  explain::write_attribution_png(a.out, pixels[0], attr[0]);

  std::printf("Image %lld of the MNIST test set (label %lld)\n", static_cast<long long>(a.index),
              static_cast<long long>(test.targets()[a.index].item<int64_t>()));
  std::printf("Predicted class: %lld (probability %.4f)\n", static_cast<long long>(predicted),
              std::exp(logp[0][predicted].item<float>()));
  std::printf("Target: %lld%s\n", static_cast<long long>(target), a.target < 0 ? " (the predicted class)" : "");
  if (a.method == "ig") {
    const double gap = logp[0][target].item<float>() - [&] { NoGradGuard ng; return model(black)[0][target].item<float>(); }();
    std::printf("Integrated gradients (%lld steps, black baseline): sum of attributions %.6f, "
                "f(x) - f(baseline) %.6f, convergence delta %.3g\n",
                static_cast<long long>(a.steps), gap + delta, gap, delta);
  }
  std::printf("%s", shap_note);
  std::printf("Wrote %s (the image, and the %s attributions over it: red raises the target's score, blue lowers it)\n",
              a.out.c_str(), a.method.c_str());
  return 0;
}

}  // namespace

void add_explain_command(CLI::App& app, Commands& out) {
  auto a = std::make_shared<ExplainArgs>();
  CLI::App* e = app.add_subcommand("explain",
                                   "Attribute a model's decision to its input: a mnist-cnn checkpoint's on an MNIST test image "
                                   "(pixels, PNG), an imdb-lstm one's on a review (tokens: terminal colours, HTML)");
  e->add_option("checkpoint", a->checkpoint, "A mnist-cnn or imdb-lstm .safetensors checkpoint written by ember train")
      ->required();
  e->add_option("--method", a->method, "saliency, ig (integrated gradients), smoothgrad, occlusion, shap (KernelSHAP over patches) or lime (LIME over patches)")
      ->check(CLI::IsMember({"saliency", "ig", "smoothgrad", "occlusion", "shap", "lime"}))
      ->capture_default_str();
  e->add_option("--index", a->index, "The image's (mnist-cnn) or review's (imdb-lstm) index in the test set")
      ->check(kNonNegative)->capture_default_str();
  CLI::Option* text = e->add_option("--text", a->text, "imdb-lstm: explain this text instead of a test review");
  e->add_option("--target", a->target, "The class to explain (default: the predicted class; imdb-lstm: 0 negative, 1 positive)")
      ->check(kNonNegative);
  // Every step or sample is a forward (and for ig/smoothgrad a backward) pass, and ig and shap keep
  // per-step buffers: beyond these bounds a run takes hours or outgrows memory (99999999999 steps
  // ended in std::bad_alloc, as many smoothgrad samples ran without end).
  e->add_option("--steps", a->steps, "ig: integration steps (Gauss-Legendre, from a black image)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}))->capture_default_str();
  CLI::Option* samples = e->add_option("--samples", a->samples,
                                       "smoothgrad: noisy copies averaged (default 25); lime: perturbed images (default 1000); shap: coalitions evaluated "
                                       "(default 2F + 2048 for F patches)")->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  e->add_option("--stdev", a->stdev, "smoothgrad: noise std in pixel units (0 black to 1 white)")
      ->check(kNonNegative)->capture_default_str();
  CLI::Option* window = e->add_option("--window", a->window, "occlusion: side of the square window; shap, lime: of the square "
                                      "patches (imdb-lstm: occlusion's window in tokens, default 1)")
                            ->check(CLI::Range(1, 28))->capture_default_str();
  CLI::Option* stride = e->add_option("--stride", a->stride, "occlusion: step of the window (at most --window; imdb-lstm default 1)")
                            ->check(CLI::Range(1, 28))->capture_default_str();
  e->add_option("--seed", a->seed, "smoothgrad: noise seed; shap, lime: sampling seed");
  e->add_option("--data", a->data_root, "Data root holding mnist/ or imdb/ (default: EMBER_DATA or ../shared/data)");
  e->add_option("--color", a->color, "imdb-lstm: colour the tokens in the terminal: auto (when stdout is one), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))->capture_default_str();
  e->add_option("--threads", a->threads, "Compute threads (default: all cores or EMBER_NUM_THREADS)")->check(kThreads);
  e->add_option("--out", a->out, "mnist-cnn: the PNG to write, the image beside its attribution heatmap (required); "
                                 "imdb-lstm: an HTML page of the coloured tokens (optional)");
  out.push_back({e, [a, samples, text, window, stride] {
                   a->samples_given = samples->count() > 0;
                   a->text_given = text->count() > 0;
                   a->window_given = window->count() > 0, a->stride_given = stride->count() > 0;
                   return run_explain(*a);
                 }});
}

}  // namespace ember::cli
