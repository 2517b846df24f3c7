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
  EMBER_CHECK(c.alpha == 0 || !c.teacher.empty(), "--teacher",
              "a checkpoint of `ember train mnist-cnn` is required when --alpha > 0 (--alpha 0 trains the student "
              "alone)");
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

// The same examples with the teacher's outputs cached: target (11) is the label followed by the
// teacher's 10 log-probabilities, from one pass in chunks of 500 (the inputs are not augmented, so
// the outputs never change). Saves the teacher's forward on every later epoch.
std::shared_ptr<const data::Dataset> with_teacher_outputs(const data::Dataset& set, models::MnistCNN& teacher) {
  NoGradGuard ng;
  std::vector<Tensor> images, targets;
  const int64_t n = set.size(), chunk = 500;
  for (int64_t i = 0; i < n; i += chunk) {
    std::vector<data::Example> ex;
    for (int64_t j = i; j < std::min(n, i + chunk); ++j) ex.push_back(set.get(j));
    data::Batch b = data::collate(ex);     // (B, 1, 28, 28), (B)
    Tensor out = teacher.forward(b.data);  // (B, 10)
    images.push_back(b.data);
    targets.push_back(cat({b.target.to(kFloat32).unsqueeze(1), out.to(kFloat32)}, 1));  // (B, 11)
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
  auto student = models::make_mnist_student(cfg.student);  // checks the --student flags
  Teacher teacher;
  if (!cfg.teacher.empty()) teacher = load_teacher(cfg.teacher);
  const bool distil = cfg.alpha > 0;  // alpha 0: the teacher never runs
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
    train_set = with_teacher_outputs(*train_set, *teacher.net);
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
  if (distil) log << "; distilled at temperature " << cfg.temperature << ", alpha " << cfg.alpha << "\n";
  else log << "; trained alone (cross-entropy)\n";

  optim::SGD opt(student->parameters(), optim::SGDOptions(cfg.lr).momentum(cfg.momentum));
  train::Trainer trainer(student, opt,
                         {.epochs = cfg.epochs, .max_steps_per_epoch = cfg.max_steps_per_epoch,
                          .nonfinite = cfg.nonfinite, .checkpoint_dir = cfg.checkpoint_dir, .resume = cfg.resume,
                          .metrics_path = cfg.metrics_path, .plot_path = cfg.plot_path, .recipe = kRecipe,
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
        Tensor logits = student->forward(b.data);  // (B, 10)
        Tensor labels = cached ? b.target.select(1, 0).to(kInt64) : b.target;  // (B)
        Tensor loss;
        if (distil) {
          Tensor teacher_out;  // (B, 10) log-probabilities, no graph
          if (cached) {
            teacher_out = b.target.slice(1, 1, 11);
          } else {
            NoGradGuard ng;
            teacher_out = teacher.net->forward(b.data);
          }
          loss = distillation_loss(logits, teacher_out, labels, cfg.temperature, cfg.alpha);
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
