#include "distill_cmd.h"

#include <cstdio>
#include <iostream>
#include <memory>

#include "distributed_options.h"
#include "imdb_lstm_cmd.h"
#include "ember/recipes/imdb_lstm.h"
#include "ember/recipes/distill_mnist.h"

namespace ember::cli {

void add_distill_command(CLI::App& app, Commands& out) {
  CLI::App* group = app.add_subcommand("distill", "Distil a trained model into a smaller one (ember distill <recipe> --help)");
  group->require_subcommand(1);
  auto cfg = std::make_shared<recipes::DistillMnistConfig>();
  CLI::App* c = group->add_subcommand("mnist-cnn", "A small CNN or MLP student taught by a seed-CNN checkpoint");
  c->add_option("--teacher", cfg->teacher, "Checkpoint of `ember train mnist-cnn` (not needed with --alpha 0)");
  c->add_option("--student", cfg->student.kind, "Student architecture: cnn or mlp")
      ->check(CLI::IsMember({"cnn", "mlp"}))->capture_default_str();
  c->add_option("--student-width", cfg->student.width,
                "cnn: first conv's channels (the second has twice as many); mlp: units per hidden layer "
                "(default: cnn 8, mlp 64)")->check(kPositive);
  c->add_option("--student-hidden", cfg->student.hidden, "cnn: units of the hidden fully-connected layer")
      ->check(kPositive)->capture_default_str();
  c->add_option("--student-layers", cfg->student.layers, "mlp: hidden layers")->check(kNonNegative)->capture_default_str();
  c->add_option("--temperature", cfg->temperature, "Softmax temperature of the soft targets")
      ->check(kPositive)->capture_default_str();
  c->add_option("--alpha", cfg->alpha, "Weight of the teacher's term (0: the student alone, plain cross-entropy)")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  c->add_option("--feature-weight", cfg->feature_weight,
                "Also match the teacher's 128 hidden features through a trained linear hint (FitNets), with this "
                "weight on their mean squared error (0: off)")->check(kNonNegative)->capture_default_str();
  c->add_flag("--cache-teacher", cfg->cache_teacher,
              "Run the teacher once over the training images and reuse its outputs every epoch");
  c->add_option("--epochs", cfg->epochs, "Passes over the training set")->check(kPositive)->capture_default_str();
  c->add_option("--batch-size", cfg->batch_size, "Images per step")->check(kPositive)->capture_default_str();
  c->add_option("--lr", cfg->lr, "Learning rate (SGD)")->check(kPositive)->capture_default_str();
  c->add_option("--momentum", cfg->momentum, "SGD momentum")->check(CLI::Range(0.0, 0.999999))->capture_default_str();
  c->add_option("--seed", cfg->seed, "Random seed (the student's weights and the data order)")->capture_default_str();
  c->add_option("--threads", cfg->threads, "Compute threads (default: all cores or EMBER_NUM_THREADS)")->check(kThreads);
  c->add_option("--data", cfg->data_root, "Data root holding mnist/ (default: EMBER_DATA or ../shared/data)");
  c->add_option("--workers", cfg->num_workers, "Data loader threads")->check(kWorkers);
  c->add_option("--max-steps", cfg->max_steps_per_epoch, "Stop each epoch after this many steps (0: whole epoch)")
      ->check(kNonNegative);
  c->add_option("--train-limit", cfg->train_limit, "Train on the first N images only (0: all)")->check(kNonNegative);
  c->add_option("--checkpoint-dir", cfg->checkpoint_dir, "Write the student's last.safetensors, metrics.csv, curves.png here");
  c->add_option("--resume", cfg->resume, "Resume from a checkpoint file, or 'auto' (last one in --checkpoint-dir)");
  c->add_option("--metrics", cfg->metrics_path, "Per-epoch metrics file (.csv or .jsonl)");
  add_tensorboard_flag(c, cfg->tensorboard_dir);
  c->add_option("--plot", cfg->plot_path, "PNG of the loss and accuracy curves");
  add_nonfinite_flag(c, cfg->nonfinite);
  c->add_flag("!--no-progress", cfg->progress, "No progress bar");
  out.push_back({c, [cfg] {
                   auto r = recipes::distill_mnist_cnn(*cfg, std::cout);
                   if (is_main_process())
                     std::printf("Student test accuracy: %.2f%% (%lld parameters, %.0f images/s)\n",
                                 100 * r.test_accuracy, static_cast<long long>(r.student_parameters),
                                 r.images_per_second);
                   return 0;
                 }});

  // The imdb-lstm network (its flags and defaults) taught by a fine-tuned BERT-family classifier.
  auto icfg = std::make_shared<recipes::ImdbLstmConfig>();
  icfg->alpha = 0.5;
  CLI::App* t = group->add_subcommand("imdb-lstm", "The imdb-lstm network taught by a fine-tuned BERT-family "
                                                   "classifier (ember train bert-classifier --save-model DIR)");
  add_imdb_lstm_flags(t, *icfg);
  add_tensorboard_flag(t, icfg->tensorboard_dir);
  t->add_option("--teacher", icfg->teacher,
                "A fine-tuned classifier folder (config.json, model.safetensors, tokenizer.json), or its name under "
                "<data>/models (not needed with --alpha 0)");
  t->add_option("--temperature", icfg->temperature, "Softmax temperature of the soft targets")
      ->check(kPositive)->capture_default_str();
  t->add_option("--alpha", icfg->alpha, "Weight of the teacher's term (0: the student alone, plain cross-entropy)")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  t->add_option("--teacher-max-len", icfg->teacher_max_len, "The teacher's tokens per review ([CLS] and [SEP] included)")
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 20))->capture_default_str();
  t->add_option("--teacher-precision", icfg->teacher_precision,
                "float32, or bf16: the teacher's matrix products in bfloat16 (faster logits; the student follows --precision)")
      ->check(CLI::IsMember({"float32", "bf16"}))->capture_default_str();
  t->add_option("--teacher-cache", icfg->teacher_cache,
                "Keep the teacher's logits in this .safetensors and reuse them while teacher and reviews are the same");
  out.push_back({t, [icfg] {
                   auto r = recipes::train_imdb_lstm(*icfg, std::cout);
                   if (is_main_process())
                     std::printf("Student test accuracy: %.2f%% (%lld parameters, %.0f reviews/s)\n",
                                 100 * r.test_accuracy, static_cast<long long>(r.parameters), r.reviews_per_second);
                   return 0;
                 }});
}

}  // namespace ember::cli
