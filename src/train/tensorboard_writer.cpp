#include "ember/train/tensorboard.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <mutex>

#include "ember/error.h"
#include "ember/io/png.h"
#include "train/tensorboard/event.pb.h"
#include "train/tensorboard/event_file.h"
#include "train/tensorboard/histogram.h"
#include "train/tensorboard/hparams.pb.h"

namespace ember::train {

namespace pb = ember::tensorboard;

namespace {

constexpr const char* kOp = "TensorBoardWriter";

double now_secs() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

// A tensor's elements as contiguous doubles on the CPU.
Tensor as_cpu_doubles(const Tensor& t) { return t.detach().to(kCPU).to(kFloat64).contiguous(); }

void set_plugin(pb::Summary::Value& v, const char* plugin, const std::string& content) {
  auto* p = v.mutable_metadata()->mutable_plugin_data();
  p->set_plugin_name(plugin);
  p->set_content(content);
}

// The options, checked before any file is created.
TensorBoardOptions checked(TensorBoardOptions o) {
  EMBER_CHECK(o.max_queue >= 1, kOp, "max_queue must be at least 1, got ", o.max_queue);
  EMBER_CHECK(o.flush_secs >= 0, kOp, "flush_secs must be non-negative, got ", o.flush_secs);
  return o;
}

}  // namespace

struct TensorBoardWriter::Impl {
  Impl(const std::string& dir, TensorBoardOptions o)
      : log_dir(dir), options(checked(std::move(o))), file(dir, options.filename_suffix, kOp) {}

  // Serializes `event` into the buffer; writes the buffer when it is full or old.
  void write(pb::Event& event, double wall_time) {
    event.set_wall_time(wall_time > 0 ? wall_time : now_secs());
    std::string bytes;
    EMBER_CHECK(event.SerializeToString(&bytes), kOp, "could not encode an event for '", file.path(), "'");
    std::lock_guard<std::mutex> lock(mu);
    EMBER_CHECK(file.is_open(), kOp, "'", file.path(), "' was closed; create a new writer to log more");
    file.append(bytes);
    const auto now = std::chrono::steady_clock::now();
    if (++queued >= options.max_queue || std::chrono::duration<double>(now - last_write).count() >= options.flush_secs)
      flush_locked(now);
  }

  void write_value(pb::Summary::Value value, int64_t step, double wall_time) {
    pb::Event e;
    e.set_step(step);
    *e.mutable_summary()->add_value() = std::move(value);
    write(e, wall_time);
  }

  void write_histogram(const std::string& tag, const detail::HistogramBuilder& b, int64_t step, double wall_time) {
    EMBER_CHECK(b.count() > 0, "add_histogram", "'", tag, "' has no values; a histogram needs at least one");
    const detail::Histogram h = b.finish();
    pb::Summary::Value v;
    v.set_tag(tag);
    pb::HistogramProto* p = v.mutable_histo();
    p->set_min(h.min), p->set_max(h.max), p->set_num(h.num), p->set_sum(h.sum), p->set_sum_squares(h.sum_squares);
    p->mutable_bucket_limit()->Assign(h.bucket_limit.begin(), h.bucket_limit.end());
    p->mutable_bucket()->Assign(h.bucket.begin(), h.bucket.end());
    write_value(std::move(v), step, wall_time);
  }

  void flush_locked(std::chrono::steady_clock::time_point now) {
    file.flush();
    queued = 0;
    last_write = now;
  }

  std::string log_dir;
  TensorBoardOptions options;
  detail::EventFile file;
  std::mutex mu;
  int64_t queued = 0;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
};

TensorBoardWriter::TensorBoardWriter(const std::string& log_dir, TensorBoardOptions options)
    : impl_(std::make_unique<Impl>(log_dir, std::move(options))) {
  pb::Event version;
  version.set_file_version("brain.Event:2");
  impl_->write(version, 0);
  if (impl_->options.purge_step >= 0) {
    pb::Event start;
    start.set_step(impl_->options.purge_step);
    start.mutable_session_log()->set_status(pb::SessionLog::START);
    impl_->write(start, 0);
  }
  flush();  // TensorBoard lists the run as soon as the file holds its first record
}

TensorBoardWriter::~TensorBoardWriter() {
  try {
    close();
  } catch (const std::exception& e) {
    std::cerr << "warning: " << e.what() << "\n";  // a destructor may not throw; the events are lost
  }
}

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step, double wall_time) {
  pb::Summary::Value v;
  v.set_tag(tag);
  v.set_simple_value(static_cast<float>(value));
  impl_->write_value(std::move(v), step, wall_time);
}

void TensorBoardWriter::add_histogram(const std::string& tag, const std::vector<double>& values, int64_t step,
                                      double wall_time) {
  detail::HistogramBuilder b;
  EMBER_CHECK(b.add(values.data(), values.size()), "add_histogram", "'", tag,
              "' holds a NaN or infinite value; only finite values have a bucket");
  impl_->write_histogram(tag, b, step, wall_time);
}

void TensorBoardWriter::add_histogram(const std::string& tag, const Tensor& values, int64_t step, double wall_time) {
  EMBER_CHECK(values.defined(), "add_histogram", "'", tag, "': the tensor is undefined");
  detail::HistogramBuilder b;
  bool finite = true;
  if (values.dtype() == kFloat32) {  // read in place: a model's weights are not copied
    const Tensor t = values.detach().to(kCPU).contiguous();
    finite = b.add(t.data_ptr<float>(), static_cast<size_t>(t.numel()));
  } else {
    const Tensor t = as_cpu_doubles(values);
    finite = b.add(t.data_ptr<double>(), static_cast<size_t>(t.numel()));
  }
  EMBER_CHECK(finite, "add_histogram", "'", tag, "' holds a NaN or infinite value; only finite values have a bucket");
  impl_->write_histogram(tag, b, step, wall_time);
}

void TensorBoardWriter::add_image(const std::string& tag, const Tensor& image, int64_t step,
                                  const std::string& dataformats, double wall_time) {
  EMBER_CHECK(dataformats == "CHW" || dataformats == "HWC" || dataformats == "HW", "add_image",
              "dataformats must be CHW, HWC or HW, got '", dataformats, "'");
  EMBER_CHECK(image.defined() && image.dim() == static_cast<int64_t>(dataformats.size()), "add_image", "'", tag,
              "': dataformats ", dataformats, " needs a ", dataformats.size(), "-d tensor, got ",
              image.defined() ? shape_str(image.shape()) : std::string("an undefined tensor"));
  Tensor hwc = dataformats == "CHW" ? image.permute({1, 2, 0}) : dataformats == "HW" ? image.unsqueeze(2) : image;
  const int64_t H = hwc.size(0), W = hwc.size(1), C = hwc.size(2);
  EMBER_CHECK(C == 1 || C == 3 || C == 4, "add_image", "'", tag,
              "': images have 1 (grey), 3 (RGB) or 4 (RGBA) channels, got ", C, " in shape ", shape_str(image.shape()),
              " (", dataformats, ")");
  // Floating point (and bool) in [0, 1] as PyTorch's add_image takes them; integers as 0-255.
  const double scale = image.is_floating_point() || image.dtype() == kBool ? 255.0 : 1.0;
  const Tensor d = as_cpu_doubles(hwc);  // (H, W, C)
  const double* p = d.data_ptr<double>();
  std::vector<uint8_t> pixels(static_cast<size_t>(d.numel()));
  for (size_t i = 0; i < pixels.size(); ++i) {
    EMBER_CHECK(!std::isnan(p[i]), "add_image", "'", tag, "' has a NaN pixel");
    pixels[i] = static_cast<uint8_t>(std::lround(std::clamp(p[i] * scale, 0.0, 255.0)));
  }
  add_image_png(tag, io::encode_png(pixels.data(), W, H, static_cast<int>(C), "add_image"), step, wall_time);
}

void TensorBoardWriter::add_image_png(const std::string& tag, const std::string& png, int64_t step, double wall_time) {
  // The signature, then the IHDR chunk: width and height (big-endian), bit depth, colour type.
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  EMBER_CHECK(png.size() >= 26 && png.compare(0, 8, kSignature, 8) == 0 && png.compare(12, 4, "IHDR") == 0, "add_image",
              "'", tag, "': the bytes are not a PNG image");
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(png[at + i]);
    return v;
  };
  const uint32_t width = be32(16), height = be32(20);
  const int channels = std::array<int, 7>{1, 0, 3, 3, 2, 0, 4}[std::min<size_t>(static_cast<uint8_t>(png[25]), 6)];
  EMBER_CHECK(width > 0 && height > 0 && width <= INT32_MAX && height <= INT32_MAX && channels > 0, "add_image", "'",
              tag, "': the PNG's header gives a ", width, "x", height, " image of colour type ",
              static_cast<int>(static_cast<uint8_t>(png[25])));
  pb::Summary::Value v;
  v.set_tag(tag);
  pb::Summary::Image* img = v.mutable_image();
  img->set_height(static_cast<int32_t>(height));
  img->set_width(static_cast<int32_t>(width));
  img->set_colorspace(channels);  // 1 grey, 2 grey + alpha, 3 RGB (or palette), 4 RGBA
  img->set_encoded_image_string(png);
  impl_->write_value(std::move(v), step, wall_time);
}

void TensorBoardWriter::add_text(const std::string& tag, const std::string& text, int64_t step, double wall_time) {
  pb::Summary::Value v;
  v.set_tag(tag);
  set_plugin(v, "text", "");  // TextPluginData{version: 0} encodes to nothing
  pb::TensorProto* t = v.mutable_tensor();
  t->set_dtype(pb::DT_STRING);
  t->mutable_tensor_shape()->add_dim()->set_size(1);
  t->add_string_val(text);
  impl_->write_value(std::move(v), step, wall_time);
}

void TensorBoardWriter::add_hparams(const HParams& hparams, const std::vector<std::pair<std::string, double>>& metrics,
                                    bool write_metrics, int64_t step, double wall_time) {
  const double now = wall_time > 0 ? wall_time : now_secs();
  auto value = [&](const char* tag, const pb::hparams::HParamsPluginData& data) {
    pb::Summary::Value v;
    v.set_tag(tag);
    set_plugin(v, "hparams", data.SerializeAsString());
    impl_->write_value(std::move(v), step, now);
  };
  // Which hyperparameters and metrics the dashboard's table has.
  pb::hparams::HParamsPluginData experiment, session;
  pb::hparams::SessionStartInfo* start = session.mutable_session_start_info();  // this run's values
  for (const auto& [name, h] : hparams) {
    auto* info = experiment.mutable_experiment()->add_hparam_infos();
    info->set_name(name);
    google::protobuf::Value& val = (*start->mutable_hparams())[name];
    switch (h.kind) {
      case HParamValue::Kind::Number:
        info->set_type(pb::hparams::DATA_TYPE_FLOAT64);
        val.set_number_value(h.number);
        break;
      case HParamValue::Kind::String:
        info->set_type(pb::hparams::DATA_TYPE_STRING);
        val.set_string_value(h.text);
        break;
      case HParamValue::Kind::Bool:
        info->set_type(pb::hparams::DATA_TYPE_BOOL);
        val.set_bool_value(h.flag);
        break;
    }
  }
  for (const auto& [tag, v] : metrics)
    experiment.mutable_experiment()->add_metric_infos()->mutable_name()->set_tag(tag);
  experiment.mutable_experiment()->set_time_created_secs(now);
  start->set_start_time_secs(now);
  value("_hparams_/experiment", experiment);
  value("_hparams_/session_start_info", session);
  if (write_metrics)
    for (const auto& [tag, v] : metrics) add_scalar(tag, v, step, now);
  pb::hparams::HParamsPluginData end;
  end.mutable_session_end_info()->set_status(pb::hparams::STATUS_SUCCESS);
  end.mutable_session_end_info()->set_end_time_secs(now);
  value("_hparams_/session_end_info", end);
}

void TensorBoardWriter::flush() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->file.is_open()) impl_->flush_locked(std::chrono::steady_clock::now());
}

void TensorBoardWriter::close() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->file.close();
}

const std::string& TensorBoardWriter::path() const { return impl_->file.path(); }
const std::string& TensorBoardWriter::log_dir() const { return impl_->log_dir; }

}  // namespace ember::train
