// `ember train bert-classifier --model DIR`: flags of the BERT fine-tuning recipe.
#include "bert_classifier_cmd.h"

#include <cstdio>
#include <iostream>
#include <memory>

#include "distributed_options.h"
#include "ember/recipes/bert_classifier.h"

namespace ember::cli {

void add_bert_classifier_command(CLI::App& train, Commands& out) {
  auto cfg = std::make_shared<recipes::BertClassifierConfig>();
  CLI::App* c = train.add_subcommand(
      "bert-classifier", "Fine-tune a pretrained BERT-family folder (config.json, model.safetensors, tokenizer.json) "
                         "with a classification head on IMDB sentiment");
  c->add_option("--model", cfg->model_dir,
                "Hugging Face model folder, or the name of one under <data>/models (default all-MiniLM-L6-v2)");
  c->add_option("--train-size", cfg->train_size,
                "Training reviews, half of each class spread over the split (0: all 25,000)")
      ->check(kNonNegative);
  c->add_option("--epochs", cfg->epochs, "Passes over the training reviews")->check(kPositive);
  c->add_option("--batch-size", cfg->batch_size, "Reviews per step (per rank under mpirun)")->check(kPositive);
  c->add_option("--max-len", cfg->max_len, "Training tokens per review, [CLS] and [SEP] included")->check(kPositive);
  c->add_option("--eval-max-len", cfg->eval_max_len, "Test tokens per review")->check(kPositive);
  c->add_option("--lr", cfg->lr, "AdamW peak learning rate")->check(kPositive);
  c->add_option("--warmup", cfg->warmup, "Fraction of the steps the lr warms up over (then decays linearly to 0)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--weight-decay", cfg->weight_decay, "AdamW weight decay (not on biases and LayerNorm weights)")
      ->check(kNonNegative);
  c->add_option("--clip-norm", cfg->clip_norm, "Clip the gradient norm to this (0: off)")->check(kNonNegative);
  c->add_option("--threads", cfg->threads, "Compute threads (default: all cores or EMBER_NUM_THREADS)")
      ->check(kThreads);
  add_precision_flag(c, cfg->precision);
  add_nonfinite_flag(c, cfg->nonfinite);
  c->add_option("--seed", cfg->seed, "Random seed (same seed and threads: identical results)");
  c->add_option("--data", cfg->data_root, "Data root holding imdb/ (default: EMBER_DATA or ../shared/data)");
  c->add_option("--checkpoint-dir", cfg->checkpoint_dir,
                "Write last.safetensors (model and optimizer) and metrics.csv here after every epoch");
  c->add_option("--resume", cfg->resume, "Resume from a checkpoint file, or 'auto' (last one in --checkpoint-dir)");
  c->add_option("--metrics", cfg->metrics_path, "Per-epoch metrics file (.csv or .jsonl)");
  add_tensorboard_flag(c, cfg->tensorboard_dir);
  c->add_option("--save-model", cfg->save_model,
                "Write the fine-tuned model here as a Hugging Face folder (transformers loads it)");
  c->add_option("--max-steps", cfg->max_steps_per_epoch, "Stop each epoch after this many steps (0: whole epoch)")
      ->check(kNonNegative);
  c->add_option("--test-limit", cfg->test_limit, "Evaluate on N test reviews spread evenly (0: all 25,000)")
      ->check(kNonNegative);
  c->add_flag("!--no-progress", cfg->progress, "No progress bar");
  add_distributed_options(c, cfg->zero, cfg->bucket_cap_mb);
  out.push_back({c, [cfg] {
                   auto r = recipes::train_bert_classifier(*cfg, std::cout);
                   if (!is_main_process()) return 0;
                   std::printf("Training: %.1f reviews/s, final loss %.4f\n", r.reviews_per_second, r.final_loss);
                   std::printf("Test accuracy: %.2f%% (precision %.4f, recall %.4f, F1 %.4f)\n", 100 * r.test_accuracy,
                               r.precision, r.recall, r.f1);
                   return 0;
                 }});
}

}  // namespace ember::cli
