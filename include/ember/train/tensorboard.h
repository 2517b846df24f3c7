#pragma once
// train::TensorBoardWriter: training logs in TensorBoard's event-file format, with the names of
// PyTorch's torch.utils.tensorboard.SummaryWriter. `tensorboard --logdir DIR` shows them; so do
// tbparse and TensorBoard's EventAccumulator.
//
//   train::TensorBoardWriter tb("runs/cnn");
//   for (int64_t step = 1; ...; ++step) tb.add_scalar("train/loss", loss, step);
//   tb.add_histogram("weights/fc1.weight", model->fc1->weight, epoch);
//   tb.add_image("samples", grid, epoch);              // (C, H, W) in [0, 1]
//   tb.add_hparams({{"lr", 0.01}, {"optimizer", "sgd"}}, {{"test/accuracy", 0.99}});
//
// Each writer appends to a new file events.out.tfevents.<secs>.<host>.<pid>.<n> in its folder
// (TensorBoard merges the files of a folder, so a resumed run adds one beside the first). Events
// are buffered in memory and written on flush(), on close(), when max_queue events are waiting,
// and on the first event after flush_secs: an add_* call costs a protobuf encoding and a CRC.
// Only protobuf's encoded bytes leave this class: no protobuf header is part of Ember's API.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/tensor.h"

namespace ember::train {

struct TensorBoardOptions {
  int64_t max_queue = 100;        // events buffered before they are written (PyTorch's max_queue)
  double flush_secs = 10;         // an event this long after the last write writes the buffer
  std::string filename_suffix{};  // appended to the event file's name
  // >= 0: TensorBoard drops the events that earlier files of the folder hold at this step and
  // later (a run resumed from a checkpoint older than them; PyTorch's purge_step).
  int64_t purge_step = -1;
};

// A hyperparameter's value: a number, a string or a bool (TensorBoard's three kinds).
struct HParamValue {
  enum class Kind { Number, String, Bool };
  HParamValue(double v) : kind(Kind::Number), number(v) {}                        // NOLINT: implicit, as a literal
  HParamValue(int v) : kind(Kind::Number), number(v) {}                           // NOLINT
  HParamValue(int64_t v) : kind(Kind::Number), number(static_cast<double>(v)) {}  // NOLINT
  HParamValue(bool v) : kind(Kind::Bool), flag(v) {}                              // NOLINT
  HParamValue(std::string v) : kind(Kind::String), text(std::move(v)) {}          // NOLINT
  HParamValue(const char* v) : kind(Kind::String), text(v) {}                     // NOLINT
  Kind kind;
  double number = 0;
  bool flag = false;
  std::string text;
};
using HParams = std::vector<std::pair<std::string, HParamValue>>;

class TensorBoardWriter {
 public:
  // Creates `log_dir` (and its parents) and a new event file in it; errors name the folder.
  explicit TensorBoardWriter(const std::string& log_dir, TensorBoardOptions options = {});
  ~TensorBoardWriter();  // close(); a failure there is printed, not thrown
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // wall_time: seconds since the Unix epoch; 0 means now. Scalars are stored as float32
  // (simple_value), as TensorBoard's scalar dashboard reads them.
  void add_scalar(const std::string& tag, double value, int64_t step, double wall_time = 0);
  // A histogram of every element (TensorBoard's default exponential buckets: edges +-1e-12 *
  // 1.1^k, and 0). NaN and infinite elements are an error naming the tag.
  void add_histogram(const std::string& tag, const Tensor& values, int64_t step, double wall_time = 0);
  void add_histogram(const std::string& tag, const std::vector<double>& values, int64_t step, double wall_time = 0);
  // An image, PNG-encoded. dataformats: "CHW", "HWC" or "HW"; 1 (grey), 3 (RGB) or 4 (RGBA)
  // channels. Floating point: values in [0, 1] (scaled by 255, rounded, clipped); integers: 0 to
  // 255 (clipped).
  void add_image(const std::string& tag, const Tensor& image, int64_t step, const std::string& dataformats = "CHW",
                 double wall_time = 0);
  // An image already encoded as PNG (the recipes' grids); its size and colour type are read from
  // the PNG's header.
  void add_image_png(const std::string& tag, const std::string& png, int64_t step, double wall_time = 0);
  // Text for TensorBoard's text dashboard (rendered as Markdown).
  void add_text(const std::string& tag, const std::string& text, int64_t step, double wall_time = 0);
  // This run's hyperparameters for the HParams dashboard, with the metrics it should show (each a
  // scalar tag of the run). write_metrics: also write each metric's value as a scalar at `step`
  // (PyTorch's add_hparams does); false when the run already logs those tags.
  void add_hparams(const HParams& hparams, const std::vector<std::pair<std::string, double>>& metrics,
                   bool write_metrics = true, int64_t step = 0, double wall_time = 0);

  void flush();                     // writes what is buffered
  void close();                     // flushes and closes the file; later add_* calls are an error
  const std::string& path() const;  // the event file
  const std::string& log_dir() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember::train
