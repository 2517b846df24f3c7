#pragma once
// Training reports: a progress bar (plain lines when not on a terminal), per-epoch metric logs
// (CSV or JSONL) and a PNG plot of the loss and accuracy curves.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ember::train {

class ProgressBar {
 public:
  // tty: draw an updating bar; otherwise print nothing until finish().
  ProgressBar(std::string label, int64_t total, bool tty);
  void update(int64_t done, double loss, int64_t samples_done);
  void finish();
  double elapsed_seconds() const;

 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// True when stdout is a terminal.
bool stdout_is_tty();

// One row per epoch: epoch, then named values (train_loss, test_loss, test_accuracy, ...).
struct EpochRecord {
  int64_t epoch = 0;
  std::vector<std::pair<std::string, double>> values;
  double get(const std::string& key) const;  // NaN if absent
};

// The history as checkpoint metadata: one line per row, "<x> key=value ...", 17 digits (exact).
std::string encode_history(const std::vector<EpochRecord>& rows);
// Its inverse; errors name `path` (the checkpoint).
std::vector<EpochRecord> decode_history(const std::string& text, const std::string& path);

// Writes all rows so far; format from the extension: .csv or .jsonl. Atomic (temp + rename).
// x_name names the row index (EpochRecord::epoch): "epoch", or "step" for step-based recipes.
void write_metrics(const std::string& path, const std::vector<EpochRecord>& rows, const std::string& x_name = "epoch");
// PNG with two panels: losses (train, and test or val; left) and accuracy (right) against x_name;
// one wide loss panel when no row has an accuracy. Atomic.
void write_curves_png(const std::string& path, const std::vector<EpochRecord>& rows,
                      const std::string& x_name = "epoch");

}  // namespace ember::train
