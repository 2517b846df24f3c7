// TensorBoard event files (train::TensorBoardWriter): the CRC-32C of both paths against published
// vectors, the record framing, each summary kind read back through the protobuf messages, the
// file's name, errors for folders that cannot be written, and what train::Trainer logs.
// tests/python/test_tensorboard.py reads the same files with tbparse and TensorBoard itself.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "blobs_data.h"
#include "ember/ember.h"
#include "ember/io/file.h"
#include "ember/nn/layers.h"
#include "ember/optim.h"
#include "ember/train/tensorboard.h"
#include "ember/train/trainer.h"
#include "temp_dir.h"
#include "train/tensorboard/crc32c.h"
#include "train/tensorboard/event.pb.h"
#include "train/tensorboard/event_file.h"
#include "train/tensorboard/histogram.h"
#include "train/tensorboard/hparams.pb.h"

namespace ember {
namespace {

namespace pb = ember::tensorboard;
using train::detail::crc32c_sse42;
using train::detail::crc32c_table;

// RFC 3720 (iSCSI), appendix B.4, and the classic check value.
struct CrcVector {
  std::string data;
  uint32_t crc;
};
std::vector<CrcVector> crc_vectors() {
  std::string ascending(32, '\0'), descending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i), descending[i] = static_cast<char>(31 - i);
  return {{"123456789", 0xE3069283u},
          {std::string(32, '\0'), 0x8A9136AAu},
          {std::string(32, '\xff'), 0x62A8AB43u},
          {ascending, 0x46DD794Eu},
          {descending, 0x113FDB5Cu},
          {"", 0u}};
}

TEST(TensorBoardCrc32c, TablePathMatchesKnownVectors) {
  for (const auto& v : crc_vectors()) EXPECT_EQ(crc32c_table(v.data.data(), v.data.size()), v.crc) << v.data.size();
}

TEST(TensorBoardCrc32c, Sse42PathMatchesKnownVectorsAndTheTable) {
  if (!train::detail::crc32c_sse42_available()) GTEST_SKIP() << "this CPU has no SSE4.2";
  for (const auto& v : crc_vectors()) EXPECT_EQ(crc32c_sse42(v.data.data(), v.data.size()), v.crc) << v.data.size();
  // Every length and alignment of the 8-byte loop and its tail.
  std::string bytes(200, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 131 + 7) & 0xff);
  for (size_t off = 0; off < 8; ++off)
    for (size_t n = 0; n + off <= bytes.size(); n += 3)
      ASSERT_EQ(crc32c_sse42(bytes.data() + off, n), crc32c_table(bytes.data() + off, n)) << off << " " << n;
  EXPECT_EQ(train::detail::crc32c("123456789", 9), 0xE3069283u);
}

TEST(TensorBoardCrc32c, MaskRotatesAndAddsTheConstant) {
  EXPECT_EQ(train::detail::masked_crc32c(0), 0xa282ead8u);
  EXPECT_EQ(train::detail::masked_crc32c(0xE3069283u), ((0xE3069283u >> 15) | (0xE3069283u << 17)) + 0xa282ead8u);
}

TEST(TensorBoardRecords, FramingRoundTripsAndCatchesCorruption) {
  const std::string rec = train::detail::frame_record("abc");
  ASSERT_EQ(rec.size(), 8u + 4 + 3 + 4);
  EXPECT_EQ(rec.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));  // little-endian length
  EXPECT_EQ(rec.substr(12, 3), "abc");
  uint32_t len_crc = 0;
  for (int i = 3; i >= 0; --i) len_crc = (len_crc << 8) | static_cast<uint8_t>(rec[8 + i]);
  EXPECT_EQ(len_crc, train::detail::masked_crc32c(crc32c_table(rec.data(), 8)));
  const std::string two = rec + train::detail::frame_record(std::string(1000, 'x'));
  auto back = train::detail::read_records(two, "mem");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0], "abc");
  EXPECT_EQ(back[1], std::string(1000, 'x'));
  std::string bad = two;
  bad[13] ^= 1;  // a data byte of the first record
  EXPECT_THROW(train::detail::read_records(bad, "mem"), Error);
  EXPECT_THROW(train::detail::read_records(two.substr(0, two.size() - 2), "mem"), Error);  // torn end
}

TEST(TensorBoardHistogram, EveryValueLandsInItsBucket) {
  const std::vector<double> values = {0.5, -0.5, 0.0, 2.0, 2.0, 1e-13, -3e5};
  train::detail::HistogramBuilder b;
  ASSERT_TRUE(b.add(values.data(), values.size()));
  const train::detail::Histogram h = b.finish();
  EXPECT_EQ(h.num, 7);
  EXPECT_EQ(h.min, -3e5);
  EXPECT_EQ(h.max, 2.0);
  EXPECT_DOUBLE_EQ(h.sum, 0.5 - 0.5 + 4.0 + 1e-13 - 3e5);
  double total = 0;
  for (size_t i = 0; i < h.bucket.size(); ++i) {
    total += h.bucket[i];
    if (i > 0) {
      EXPECT_LT(h.bucket_limit[i - 1], h.bucket_limit[i]);
    }
  }
  EXPECT_EQ(total, 7);
  for (double v : values) {  // the bucket [limit[i-1], limit[i]) holding v has a count
    size_t i = 0;
    while (h.bucket_limit[i] <= v) ++i;
    EXPECT_GT(h.bucket[i], 0) << v;
  }
  // Runs of empty buckets collapse: far fewer than the ~1,500 edges.
  EXPECT_LT(h.bucket.size(), 40u);
  const double nan = NAN;
  EXPECT_FALSE(b.add(&nan, 1));
}

TEST(TensorBoardHistogram, TableLookupAgreesWithABinarySearch) {
  const std::vector<double>& limits = train::detail::default_bucket_limits();
  auto expected = [&](double v) {
    return static_cast<size_t>(std::upper_bound(limits.begin(), limits.end(), v) - limits.begin());
  };
  std::vector<double> values = {0.0, -0.0, 1e-300, -1e-300, 5e-324, DBL_MAX, -DBL_MAX, 1e20, -1e20, 1e30, -1e30};
  for (double l : limits)  // every edge, and its neighbours
    for (double v : {l, std::nextafter(l, INFINITY), std::nextafter(l, -INFINITY)})
      if (std::isfinite(v)) values.push_back(v);
  Generator g(5);
  const Tensor r = randn({20000}, kFloat64, &g);
  const Tensor e = randn({20000}, kFloat64, &g) * 12.0;  // magnitudes over 1e-12 ... 1e12
  for (int64_t i = 0; i < r.numel(); ++i)
    values.push_back(r.data_ptr<double>()[i] * std::pow(10.0, e.data_ptr<double>()[i]));
  for (double v : values) {
    const size_t want = std::min(expected(v), limits.size() - 1);
    ASSERT_EQ(std::min(train::detail::bucket_index(v), limits.size() - 1), want) << v;
  }
}

// The events of every file in `dir`, in file-name order.
std::vector<pb::Event> read_events(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<pb::Event> events;
  for (const auto& f : files)
    for (const std::string& r : train::detail::read_records(io::read_file_bytes(f, "test"), f)) {
      pb::Event e;
      EXPECT_TRUE(e.ParseFromString(r)) << f;
      events.push_back(e);
    }
  return events;
}

// (tag -> [(step, value)]) of the summaries whose value is `kind`.
std::map<std::string, std::vector<std::pair<int64_t, pb::Summary::Value>>> values_by_tag(
    const std::vector<pb::Event>& events) {
  std::map<std::string, std::vector<std::pair<int64_t, pb::Summary::Value>>> m;
  for (const auto& e : events)
    if (e.has_summary())
      for (const auto& v : e.summary().value()) m[v.tag()].emplace_back(e.step(), v);
  return m;
}

std::vector<uint8_t> decode_png(const std::string& bytes, int& w, int& h, int channels) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, bytes.data(), bytes.size())) throw Error(img.message);
  img.format = channels == 1 ? PNG_FORMAT_GRAY : channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
  std::vector<uint8_t> px(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, px.data(), 0, nullptr)) throw Error(img.message);
  w = static_cast<int>(img.width), h = static_cast<int>(img.height);
  return px;
}

TEST(TensorBoardWriter, FileIsNamedAsTensorBoardExpectsAndStartsWithItsVersion) {
  test::TempDir dir;
  std::string path;
  {
    train::TensorBoardWriter w(dir.file("run"));
    path = w.path();
    EXPECT_EQ(w.log_dir(), dir.file("run"));
    // The version record is on disk before anything else is written.
    auto events = read_events(dir.file("run"));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].file_version(), "brain.Event:2");
    EXPECT_GT(events[0].wall_time(), 1.6e9);
  }
  const std::string name = std::filesystem::path(path).filename().string();
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  EXPECT_TRUE(std::regex_match(name, std::regex("events\\.out\\.tfevents\\.[0-9]{10}\\." + std::string(host) + "\\." +
                                                std::to_string(getpid()) + "\\.[0-9]+")))
      << name;
  // A second writer in the same folder (a resumed run) adds a file beside the first, and with a
  // purge step it starts with a SessionLog START at that step.
  train::TensorBoardWriter again(dir.file("run"), {.purge_step = 7});
  EXPECT_NE(again.path(), path);
  auto records = train::detail::read_records(io::read_file_bytes(again.path(), "test"), again.path());
  ASSERT_EQ(records.size(), 2u);
  pb::Event start;
  ASSERT_TRUE(start.ParseFromString(records[1]));
  EXPECT_EQ(start.step(), 7);
  EXPECT_EQ(start.session_log().status(), pb::SessionLog::START);
}

TEST(TensorBoardWriter, EverySummaryKindReadsBack) {
  test::TempDir dir;
  {
    train::TensorBoardWriter w(dir.path(), {.max_queue = 1000, .flush_secs = 1e9});
    for (int64_t s = 1; s <= 3; ++s) w.add_scalar("train/loss", 1.0 / static_cast<double>(s), s, 1700000000.0 + s);
    w.add_histogram("weights", arange(-5, 5).to(kFloat32) / 4.0, 7);  // (10,) -1.25 ... 1
    w.add_histogram("doubles", std::vector<double>{1.0, 2.0, 3.0}, 8);
    Tensor img = zeros({3, 2, 4});  // (C, H, W): red left half, blue right half
    img.narrow(0, 0, 1).narrow(2, 0, 2).fill_(1.0);
    img.narrow(0, 2, 1).narrow(2, 2, 2).fill_(1.0);
    w.add_image("image/chw", img, 9);
    w.add_image("image/hw_int", tensor(std::vector<int64_t>{0, 128, 255, 300}).reshape({2, 2}), 9, "HW");
    w.add_text("notes", "**Hello** from Ember", 10);
    w.add_hparams({{"lr", 0.01}, {"optimizer", "sgd"}, {"augment", true}, {"epochs", 3}}, {{"hparam/accuracy", 0.9}},
                  true, 11);
    // Nothing but the version record before a flush (max_queue and flush_secs are large).
    EXPECT_EQ(read_events(dir.path()).size(), 1u);
  }  // the destructor flushes
  auto events = read_events(dir.path());
  auto tags = values_by_tag(events);

  ASSERT_EQ(tags["train/loss"].size(), 3u);
  for (int64_t s = 1; s <= 3; ++s) {
    EXPECT_EQ(tags["train/loss"][s - 1].first, s);
    EXPECT_FLOAT_EQ(tags["train/loss"][s - 1].second.simple_value(), static_cast<float>(1.0 / s));
  }
  EXPECT_DOUBLE_EQ(events[1].wall_time(), 1700000001.0);

  const pb::HistogramProto& h = tags["weights"].at(0).second.histo();
  EXPECT_EQ(tags["weights"][0].first, 7);
  EXPECT_EQ(h.num(), 10);
  EXPECT_DOUBLE_EQ(h.min(), -1.25);
  EXPECT_DOUBLE_EQ(h.max(), 1.0);
  EXPECT_DOUBLE_EQ(h.sum(), -1.25);
  EXPECT_EQ(h.bucket_size(), h.bucket_limit_size());
  double count = 0;
  for (double c : h.bucket()) count += c;
  EXPECT_EQ(count, 10);
  EXPECT_DOUBLE_EQ(tags["doubles"].at(0).second.histo().sum_squares(), 14.0);

  const pb::Summary::Image& im = tags["image/chw"].at(0).second.image();
  EXPECT_EQ(im.height(), 2);
  EXPECT_EQ(im.width(), 4);
  EXPECT_EQ(im.colorspace(), 3);
  int w = 0, hh = 0;
  auto px = decode_png(im.encoded_image_string(), w, hh, 3);
  ASSERT_EQ(w, 4);
  ASSERT_EQ(hh, 2);
  EXPECT_EQ(std::vector<uint8_t>(px.begin(), px.begin() + 12),
            (std::vector<uint8_t>{255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255}));
  const pb::Summary::Image& grey = tags["image/hw_int"].at(0).second.image();
  EXPECT_EQ(grey.colorspace(), 1);
  EXPECT_EQ(decode_png(grey.encoded_image_string(), w, hh, 1), (std::vector<uint8_t>{0, 128, 255, 255}));

  const pb::Summary::Value& text = tags["notes"].at(0).second;
  EXPECT_EQ(text.metadata().plugin_data().plugin_name(), "text");
  EXPECT_EQ(text.tensor().dtype(), pb::DT_STRING);
  ASSERT_EQ(text.tensor().string_val_size(), 1);
  EXPECT_EQ(text.tensor().string_val(0), "**Hello** from Ember");

  pb::hparams::HParamsPluginData exp, start, end;
  ASSERT_TRUE(exp.ParseFromString(tags["_hparams_/experiment"].at(0).second.metadata().plugin_data().content()));
  ASSERT_TRUE(
      start.ParseFromString(tags["_hparams_/session_start_info"].at(0).second.metadata().plugin_data().content()));
  ASSERT_TRUE(end.ParseFromString(tags["_hparams_/session_end_info"].at(0).second.metadata().plugin_data().content()));
  EXPECT_EQ(tags["_hparams_/experiment"][0].second.metadata().plugin_data().plugin_name(), "hparams");
  ASSERT_EQ(exp.experiment().hparam_infos_size(), 4);
  EXPECT_EQ(exp.experiment().hparam_infos(1).name(), "optimizer");
  EXPECT_EQ(exp.experiment().hparam_infos(1).type(), pb::hparams::DATA_TYPE_STRING);
  EXPECT_EQ(exp.experiment().hparam_infos(2).type(), pb::hparams::DATA_TYPE_BOOL);
  ASSERT_EQ(exp.experiment().metric_infos_size(), 1);
  EXPECT_EQ(exp.experiment().metric_infos(0).name().tag(), "hparam/accuracy");
  const auto& hp = start.session_start_info().hparams();
  EXPECT_DOUBLE_EQ(hp.at("lr").number_value(), 0.01);
  EXPECT_EQ(hp.at("optimizer").string_value(), "sgd");
  EXPECT_TRUE(hp.at("augment").bool_value());
  EXPECT_DOUBLE_EQ(hp.at("epochs").number_value(), 3);
  EXPECT_EQ(end.session_end_info().status(), pb::hparams::STATUS_SUCCESS);
  ASSERT_EQ(tags["hparam/accuracy"].size(), 1u);  // write_metrics: the value as a scalar too
  EXPECT_EQ(tags["hparam/accuracy"][0].first, 11);
  EXPECT_FLOAT_EQ(tags["hparam/accuracy"][0].second.simple_value(), 0.9f);
}

TEST(TensorBoardWriter, BadInputNamesWhatToFix) {
  test::TempDir dir;
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message([] {
              train::TensorBoardWriter w("/proc/ember-tb");
            }).find("cannot create the log folder '/proc/ember-tb'"),
            std::string::npos);
  dir.write("a_file", "x");
  EXPECT_NE(message([&] { train::TensorBoardWriter w(dir.file("a_file")); }).find(dir.file("a_file")),
            std::string::npos);
  EXPECT_NE(message([&] {
              train::TensorBoardWriter w(dir.file("q"), {.max_queue = 0});
            }).find("max_queue must be at least 1"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("q")));  // checked before anything is created
  train::TensorBoardWriter w(dir.file("ok"));
  EXPECT_NE(message([&] {
              w.add_histogram("h", std::vector<double>{1.0, NAN}, 0);
            }).find("'h' holds a NaN"),
            std::string::npos);
  EXPECT_NE(message([&] { w.add_histogram("h", std::vector<double>{}, 0); }).find("'h' has no values"),
            std::string::npos);
  EXPECT_NE(message([&] {
              w.add_image("i", zeros({2, 4, 4}), 0);
            }).find("1 (grey), 3 (RGB) or 4 (RGBA) channels, got 2"),
            std::string::npos);
  EXPECT_NE(message([&] {
              w.add_image("i", zeros({4, 4}), 0, "CHW");
            }).find("dataformats CHW needs a 3-d tensor"),
            std::string::npos);
  EXPECT_NE(message([&] {
              w.add_image("i", zeros({4, 4}), 0, "NCHW");
            }).find("dataformats must be CHW, HWC or HW"),
            std::string::npos);
  EXPECT_NE(message([&] { w.add_image_png("i", "not a png at all, not at all", 0); }).find("not a PNG"),
            std::string::npos);
  w.close();
  EXPECT_NE(message([&] { w.add_scalar("s", 1, 0); }).find("was closed"), std::string::npos);
}

// A linear classifier on two blobs, 3 epochs of 6 steps, logging to TensorBoard.
TEST(TensorBoardWriter, TrainerLogsEveryHistoryValueStepsHistogramsAndHparams) {
  test::TempDir dir;
  manual_seed(3);
  auto model = std::make_shared<nn::Linear>(4, 2);
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  data::DataLoader loader(test::blobs(96), {.batch_size = 16, .shuffle = true, .seed = 5});
  train::FitResult fit;
  {
    train::Trainer t(model, opt,
                     {.epochs = 3,
                      .tensorboard_dir = dir.file("tb"),
                      .recipe = "blobs",
                      .config = "lr=0.1 optimizer=sgd augment=false"});
    EXPECT_EQ(t.tensorboard(), nullptr);  // created when fit starts
    std::ostringstream log;
    train::Callbacks cb;
    cb.evaluate = [] { return train::Metrics{{"test_loss", 0.25}}; };
    fit = t.fit(
        loader,
        [&](const data::Batch& b) {
          return train::StepOutput{cross_entropy(model->forward(b.data), b.target), b.data.size(0)};
        },
        cb, &log);
    EXPECT_NE(log.str().find("TensorBoard: " + dir.file("tb") + "/events.out.tfevents."), std::string::npos)
        << log.str();
    ASSERT_NE(t.tensorboard(), nullptr);
  }
  auto tags = values_by_tag(read_events(dir.file("tb")));
  ASSERT_EQ(fit.history.size(), 3u);
  for (const char* col : {"train_loss", "test_loss", "images_per_second"}) {
    auto& v = tags[std::string("metrics/") + col];
    ASSERT_EQ(v.size(), 3u) << col;
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(v[i].first, fit.history[i].epoch);
      EXPECT_FLOAT_EQ(v[i].second.simple_value(), static_cast<float>(fit.history[i].get(col))) << col;
    }
  }
  ASSERT_EQ(tags["train_step/loss"].size(), 18u);
  for (size_t i = 0; i < 18; ++i) {
    EXPECT_EQ(tags["train_step/loss"][i].first, static_cast<int64_t>(i + 1));
    EXPECT_FLOAT_EQ(tags["train_step/loss"][i].second.simple_value(), static_cast<float>(fit.step_losses[i]));
    EXPECT_FLOAT_EQ(tags["train_step/lr"][i].second.simple_value(), 0.1f);
  }
  for (const char* h : {"weights/weight", "weights/bias", "gradients/weight", "gradients/bias"}) {
    ASSERT_EQ(tags[h].size(), 3u) << h;
    EXPECT_EQ(tags[h][2].first, 3);
  }
  EXPECT_EQ(tags["weights/weight"][0].second.histo().num(), 8);
  pb::hparams::HParamsPluginData start;
  ASSERT_TRUE(
      start.ParseFromString(tags["_hparams_/session_start_info"].at(0).second.metadata().plugin_data().content()));
  EXPECT_EQ(start.session_start_info().hparams().at("recipe").string_value(), "blobs");
  EXPECT_DOUBLE_EQ(start.session_start_info().hparams().at("lr").number_value(), 0.1);
  EXPECT_FALSE(start.session_start_info().hparams().at("augment").bool_value());
}

TEST(TensorBoardWriter, TrainerChecksTheFolderBeforeTraining) {
  auto model = std::make_shared<nn::Linear>(4, 2);
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.1));
  try {
    train::Trainer t(model, opt, {.tensorboard_dir = "/proc/ember-tb"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--tensorboard: cannot create the folder '/proc/ember-tb'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ember
