#include "ember/recipes/distill_mnist.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <ostream>
#include <sstream>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/data/dataloader.h"
#include "ember/data/mnist.h"
#include "ember/data/transforms.h"
#include "ember/memory.h"
#include "ember/models/mnist_cnn.h"
#include "ember/ops.h"
#include "ember/optim/sgd.h"
#include "ember/train/checkpoint.h"
#include "ember/train/trainer.h"
#include "recipes/image_data.h"

namespace ember::recipes {

namespace {

constexpr const char* kRecipe = "distill-mnist-cnn";

void validate(const DistillMnistConfig& c) {
  detail::validate_common(c.epochs, c.batch_size, c.lr, 1, c.threads, c.num_workers, c.max_steps_per_epoch,
                          c.train_limit);
  EMBER_CHECK(c.temperature > 0 && std::isfinite(c.temperature), "--temperature", "must be a positive number, got ",
              c.temperature);
  EMBER_CHECK(c.alpha >= 0 && c.alpha <= 1, "--alpha", "must be in [0, 1], got ", c.alpha);
  EMBER_CHECK(c.momentum >= 0 && c.momentum < 1, "--momentum", "must be in [0, 1), got ", c.momentum);
  EMBER_CHECK(c.feature_weight >= 0 && std::isfinite(c.feature_weight), "--feature-weight",
              "must be a non-negative number, got ", c.feature_weight);
  EMBER_CHECK((c.alpha == 0 && c.feature_weight == 0) || !c.teacher.empty(), "--teacher",
              "a checkpoint of `ember train mnist-cnn` is required when --alpha > 0 or --feature-weight > 0 "
              "(--alpha 0 trains the student alone)");
  EMBER_CHECK(c.resume.empty() || c.resume != "auto" || !c.checkpoint_dir.empty(), "--resume",
              "'auto' needs --checkpoint-dir to look in");
}

std::string student_string(const models::MnistStudentSpec& spec) {
  const models::MnistStudentSpec s = models::with_defaults(spec);
  std::ostringstream os;
  os << s.kind << " width=" << s.width << (s.kind == "cnn" ? " hidden=" + std::to_string(s.hidden)
                                                            : " layers=" + std::to_string(s.layers));
  return os.str();
}

std::string config_string(const DistillMnistConfig& c) {
  std::ostringstream os;
  os << "teacher=" << c.teacher << " student=" << student_string(c.student) << " temperature=" << c.temperature
     << " alpha=" << c.alpha << " epochs=" << c.epochs << " batch_size=" << c.batch_size << " lr=" << c.lr
     << " momentum=" << c.momentum << " cache_teacher=" << c.cache_teacher << " seed=" << c.seed;
  if (c.feature_weight > 0) os << " feature_weight=" << c.feature_weight;
  return os.str();
}

int64_t parameter_count(const nn::Module& m) {
  int64_t n = 0;
  for (const Tensor& p : m.parameters()) n += p.numel();
  return n;
}

struct Teacher {
  std::shared_ptr<models::MnistCNN> net;
  double mean = 0.1307, sd = 0.3081;  // the standardization it was trained with
};

// The seed CNN from an `ember train mnist-cnn` checkpoint, in eval mode; errors name --teacher.
Teacher load_teacher(const std::string& path) {
  EMBER_CHECK(std::filesystem::is_regular_file(path), "--teacher", "no checkpoint file '", path,
              "' (write one with `ember train mnist-cnn --checkpoint-dir DIR`: DIR/last.safetensors)");
  Teacher t{std::make_shared<models::MnistCNN>()};
  train::Checkpoint ck;
  try {
    ck = train::load_checkpoint(path, *t.net, nullptr, "mnist-cnn");
  } catch (const Error& e) {
    throw Error(std::string("--teacher: '") + path + "' is not a usable mnist-cnn teacher: " + e.what());
  }
  auto it = ck.metadata.find("normalize");  // absent in checkpoints older than --mean/--std
  if (it != ck.metadata.end()) {
    std::istringstream is(it->second);
    EMBER_CHECK(static_cast<bool>(is >> t.mean >> t.sd) && t.sd > 0, "--teacher", "'", path,
                "' has a malformed normalize entry '", it->second, "'");
  }
  t.net->eval();
  return t;
}

constexpr int64_t kTeacherFeatures = 128;  // MnistCNN::features

// A student's penultimate features (the input of its last layer) and the logits from them.
Tensor penultimate(nn::Sequential& s, const Tensor& x) {
  Tensor h = x;
  for (size_t i = 0; i + 1 < s.size(); ++i) h = s[i]->forward(h);
  return h;
}
Tensor last_layer(nn::Sequential& s, const Tensor& h) { return s[s.size() - 1]->forward(h); }

// What feature matching trains: the student and its hint, a Linear from the student's penultimate
// features to the teacher's. forward is the student's; checkpoints hold both (student.*, hint.*).
class HintedStudent : public nn::Module {
 public:
  HintedStudent(std::shared_ptr<nn::Sequential> s, int64_t student_features) {
    student = register_module("student", std::move(s));
    hint = register_module("hint", std::make_shared<nn::Linear>(student_features, kTeacherFeatures));
  }
  Tensor forward(const Tensor& x) override { return student->forward(x); }
  std::string name() const override { return "HintedStudent"; }
  std::shared_ptr<nn::Sequential> student;
  std::shared_ptr<nn::Linear> hint;
};

// The same examples with the teacher's outputs cached: target (11, or 139 with features) is the
// label, the teacher's 10 log-probabilities and (feature matching) its 128 hidden features, from one
// pass in chunks of 500 (the inputs are not augmented, so the outputs never change). Saves the
// teacher's forward on every later epoch.
std::shared_ptr<const data::Dataset> with_teacher_outputs(const data::Dataset& set, models::MnistCNN& teacher,
                                                          bool features) {
  NoGradGuard ng;
  std::vector<Tensor> images, targets;
  const int64_t n = set.size(), chunk = 500;
  for (int64_t i = 0; i < n; i += chunk) {
    std::vector<data::Example> ex;
    for (int64_t j = i; j < std::min(n, i + chunk); ++j) ex.push_back(set.get(j));
    data::Batch b = data::collate(ex);     // (B, 1, 28, 28), (B)
    Tensor out = teacher.forward(b.data);  // (B, 10)
    images.push_back(b.data);
    std::vector<Tensor> parts = {b.target.to(kFloat32).unsqueeze(1), out.to(kFloat32)};
    if (features) parts.push_back(teacher.features(b.data));  // (B, 128)
    targets.push_back(cat(parts, 1));                           // (B, 11) or (B, 139)
  }
  return std::make_shared<data::TensorDataset>(cat(images, 0), cat(targets, 0));
}

train::ClassifierEvaluation evaluate(nn::Module& net, data::DataLoader& loader, const distributed::Context* dist,
                                     bool log_probs) {
  return train::evaluate_classifier(net, loader, 10, [&](const data::Batch& b) {
    Tensor out = net.forward(b.data);  // (B, 10) logits (log-probabilities for the seed CNN)
    Tensor loss = log_probs ? nll_loss(out, b.target, Tensor(), -100, "sum")
                            : cross_entropy(out, b.target, Tensor(), -100, "sum");
    return train::ClassifierBatch{out, b.target, loss};
  }, dist);
}

}  // namespace

DistillMnistResult distill_mnist_cnn(const DistillMnistConfig& cfg, std::ostream& out) {
  validate(cfg);
  {  // Before building: the student's weights, gradients and momentum (12 bytes a parameter) and a
     // batch's activations (the first conv's output dominates the cnn's).
    const models::MnistStudentSpec sp = models::with_defaults(cfg.student);
    const double w = double(sp.width), h = double(sp.hidden), L = double(sp.layers), B = double(cfg.batch_size);
    const double params = sp.kind == "cnn" ? 18 * w * w + 50 * w * h + 10 * h : 784 * w + L * w * w;
    const double activations = sp.kind == "cnn" ? B * w * 26 * 26 * 4 : B * L * w * 4;
    check_fits_in_memory(12 * params + 4 * activations, "--student-width/--student-hidden/--student-layers",
                         ember::detail::str_cat("training a student of ", params, " parameters"));
  }
  auto student = models::make_mnist_student(cfg.student);  // checks the --student flags
  Teacher teacher;
  if (!cfg.teacher.empty()) teacher = load_teacher(cfg.teacher);
  const bool hinted = cfg.feature_weight > 0;
  const bool distil = cfg.alpha > 0 || hinted;  // otherwise the teacher never runs
  distributed::Context dist = train::start_run(cfg.threads, cfg.seed);
  // start_run seeded the default generator: the student's initial weights follow --seed alone.
  student = models::make_mnist_student(cfg.student);
  std::string root = data::resolve_data_root(cfg.data_root);

  // The student sees the teacher's inputs: the teacher's standardization (MNIST's without one).
  auto norm = data::Normalize({teacher.mean}, {teacher.sd});
  std::shared_ptr<const data::Dataset> train_set = std::make_shared<data::MNIST>(root, true, norm);
  auto test_set = std::make_shared<data::MNIST>(root, false, norm);
  if (cfg.train_limit > 0 && cfg.train_limit < train_set->size()) {
    std::vector<int64_t> idx(static_cast<size_t>(cfg.train_limit));
    for (int64_t i = 0; i < cfg.train_limit; ++i) idx[i] = i;
    train_set = std::make_shared<data::Subset>(train_set, idx);
  }
  const bool cached = distil && cfg.cache_teacher;
  if (cached) {
    auto t0 = std::chrono::steady_clock::now();
    train_set = with_teacher_outputs(*train_set, *teacher.net, hinted);
    dist.out(out) << "Teacher outputs cached for " << train_set->size() << " training images in "
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  }
  data::DataLoader train_loader(train_set, {.batch_size = cfg.batch_size, .seed = cfg.seed,
                                            .num_workers = cfg.num_workers,
                                            .sampler = dist.train_sampler(train_set->size(), cfg.seed)});
  data::DataLoader test_loader(test_set, {.batch_size = 100, .sampler = dist.eval_sampler(test_set->size())});

  DistillMnistResult r;
  r.student_parameters = parameter_count(*student);
  r.teacher_parameters = teacher.net ? parameter_count(*teacher.net) : 0;
  std::ostream& log = dist.out(out);
  if (teacher.net) {
    log << "Teacher: seed CNN, " << r.teacher_parameters << " parameters (" << cfg.teacher << ")";
    if (cfg.evaluate_teacher) {
      r.teacher_accuracy = evaluate(*teacher.net, test_loader, &dist, true).metrics.accuracy();
      log << ", test accuracy " << 100 * r.teacher_accuracy << "%";
    }
    log << "\n";
  }
  log << "Student: " << student_string(cfg.student) << ", " << r.student_parameters << " parameters";
  if (teacher.net)
    log << " (" << static_cast<double>(r.student_parameters) / static_cast<double>(r.teacher_parameters)
        << " of the teacher's)";
  if (distil) log << "; distilled at temperature " << cfg.temperature << ", alpha " << cfg.alpha;
  else log << "; trained alone (cross-entropy)";
  std::shared_ptr<HintedStudent> with_hint;
  if (hinted) {
    int64_t width = 0;
    {
      NoGradGuard ng;
      width = penultimate(*student, zeros({1, 1, 28, 28})).size(1);
    }
    with_hint = std::make_shared<HintedStudent>(student, width);
    log << "; feature matching, weight " << cfg.feature_weight << " (a " << width << " -> " << kTeacherFeatures
        << " hint, training only)";
  }
  log << "\n";

  std::shared_ptr<nn::Module> trained = with_hint ? std::shared_ptr<nn::Module>(with_hint) : student;
  optim::SGD opt(trained->parameters(), optim::SGDOptions(cfg.lr).momentum(cfg.momentum));
  train::Trainer trainer(trained, opt,
                         {.epochs = cfg.epochs, .max_steps_per_epoch = cfg.max_steps_per_epoch,
                          .nonfinite = cfg.nonfinite, .checkpoint_dir = cfg.checkpoint_dir, .resume = cfg.resume,
                          .metrics_path = cfg.metrics_path, .plot_path = cfg.plot_path,
                          .tensorboard_dir = cfg.tensorboard_dir, .recipe = kRecipe,
                          .config = config_string(cfg), .progress = cfg.progress},
                         dist);
  train::Callbacks cb;
  cb.save_metadata = [&](std::map<std::string, std::string>& m) { m["student"] = student_string(cfg.student); };
  cb.check_resume = [&](const std::map<std::string, std::string>& m, const std::string& path) {
    auto it = m.find("student");
    EMBER_CHECK(it == m.end() || it->second == student_string(cfg.student), "--student", "'", path,
                "' holds a student '", it->second, "', not '", student_string(cfg.student), "'");
  };
  cb.evaluate = [&] {
    auto e = evaluate(*student, test_loader, &dist, false);
    return train::Metrics{{"test_loss", e.loss}, {"test_accuracy", e.metrics.accuracy()}};
  };
  train::FitResult fit = trainer.fit(
      train_loader,
      [&](const data::Batch& b) {
        Tensor feats = hinted ? penultimate(*student, b.data) : Tensor();  // (B, F)
        Tensor logits = hinted ? last_layer(*student, feats) : student->forward(b.data);  // (B, 10)
        Tensor labels = cached ? b.target.select(1, 0).to(kInt64) : b.target;  // (B)
        Tensor loss;
        if (distil) {
          Tensor teacher_out, teacher_feats;  // (B, 10) log-probabilities, (B, 128); no graph
          if (cached) {
            teacher_out = b.target.slice(1, 1, 11);
            if (hinted) teacher_feats = b.target.slice(1, 11, 11 + kTeacherFeatures);
          } else {
            NoGradGuard ng;
            teacher_out = teacher.net->forward(b.data);
            if (hinted) teacher_feats = teacher.net->features(b.data);
          }
          loss = distillation_loss(logits, teacher_out, labels, cfg.temperature, cfg.alpha);
          if (hinted) loss = loss + cfg.feature_weight * mse_loss(with_hint->hint->forward(feats), teacher_feats);
        } else {
          loss = cross_entropy(logits, labels);
        }
        NoGradGuard ng;
        return train::StepOutput{loss, b.data.size(0), sum(eq(argmax(logits, 1), labels)).item<int64_t>()};
      },
      cb, &out);

  r.history = fit.history, r.step_losses = fit.step_losses, r.images_per_second = fit.samples_per_second;
  if (!r.history.empty()) r.test_loss = r.history.back().get("test_loss"), r.test_accuracy = r.history.back().get("test_accuracy");
  return r;
}

}  // namespace ember::recipes
