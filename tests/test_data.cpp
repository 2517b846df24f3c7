// Datasets, DataLoader (batching, shuffling, workers, errors, early exit) and image transforms.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include "ember/ember.h"
#include "op_registry.h"

using namespace ember;
using namespace ember::data;

namespace {

// Sample i: data = [i, r] where r is the first draw of the sample's generator (so the batches
// expose both the visiting order and the per-sample randomness), target = i.
class IndexDataset : public Dataset {
 public:
  explicit IndexDataset(int64_t n, int64_t fail_at = -1, int sleep_us = 0)
      : n_(n), fail_at_(fail_at), sleep_us_(sleep_us), calls_(std::make_shared<std::atomic<int64_t>>(0)) {}
  int64_t size() const override { return n_; }
  using Dataset::get;
  Example get(int64_t i, Generator& gen) const override {
    ++*calls_;
    if (sleep_us_) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_ * (1 + (i * 7) % 5)));
    if (i == fail_at_) throw std::runtime_error("disk on fire");
    return {tensor({static_cast<float>(i), gen.uniform_float()}), scalar_tensor(i, kInt64)};
  }
  int64_t calls() const { return *calls_; }

 private:
  int64_t n_, fail_at_;
  int sleep_us_;
  std::shared_ptr<std::atomic<int64_t>> calls_;
};

std::vector<std::vector<float>> epoch_data(DataLoader& loader) {
  std::vector<std::vector<float>> out;
  for (const Batch& b : loader) out.push_back(b.data.to_vector<float>());
  return out;
}

std::vector<int64_t> epoch_targets(DataLoader& loader) {
  std::vector<int64_t> out;
  for (const Batch& b : loader)
    for (int64_t t : b.target.to_vector<int64_t>()) out.push_back(t);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- datasets

TEST(Dataset, TensorDatasetPairsRows) {
  Tensor x = arange(0, 12, 1, kFloat32).reshape({4, 3});
  Tensor y = tensor(std::vector<int64_t>{9, 8, 7, 6});
  TensorDataset ds(x, y);
  EXPECT_EQ(ds.size(), 4);
  Example e = ds.get(2);
  EXPECT_EQ(e.data.to_vector<float>(), (std::vector<float>{6, 7, 8}));
  EXPECT_EQ(e.target.item<int64_t>(), 7);
  EXPECT_EMBER_ERROR(ds.get(4), "TensorDataset::get", "index 4", "size 4");
  EXPECT_EMBER_ERROR(ds.get(-1), "TensorDataset::get", "index -1");
  EXPECT_EMBER_ERROR(TensorDataset(x, tensor(std::vector<int64_t>{1, 2})), "TensorDataset", "4 samples", "[2]");
  EXPECT_FALSE(TensorDataset(x).get(0).target.defined());
}

TEST(Dataset, SubsetAndRandomSplit) {
  auto base = std::make_shared<TensorDataset>(arange(0, 10, 1, kFloat32), arange(10));
  Subset sub(base, {7, 3});
  EXPECT_EQ(sub.size(), 2);
  EXPECT_EQ(sub.get(0).target.item<int64_t>(), 7);
  EXPECT_EQ(sub.get(1).target.item<int64_t>(), 3);
  EXPECT_EMBER_ERROR(Subset(base, {3, 10}), "Subset", "indices[1] = 10", "size 10");

  Generator g1(123), g2(123);
  auto parts = random_split(base, {6, 3, 1}, g1);
  auto again = random_split(base, {6, 3, 1}, g2);
  ASSERT_EQ(parts.size(), 3u);
  std::set<int64_t> seen;
  for (size_t p = 0; p < parts.size(); ++p) {
    EXPECT_EQ(parts[p].indices(), again[p].indices());  // same generator seed, same split
    for (int64_t i : parts[p].indices()) seen.insert(i);
  }
  EXPECT_EQ(parts[0].size(), 6);
  EXPECT_EQ(seen.size(), 10u);  // disjoint and complete
  EXPECT_NE(parts[0].indices(), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EMBER_ERROR(random_split(base, {6, 3}, g1), "random_split", "add up to 9", "10 examples");
  EXPECT_EMBER_ERROR(random_split(base, {11, -1}, g1), "random_split", "negative");
}

TEST(Dataset, SampleSeedDependsOnEveryPart) {
  std::set<uint64_t> seeds;
  for (uint64_t s : {0, 1})
    for (int64_t e : {0, 1})
      for (int64_t i : {0, 1, 2}) seeds.insert(sample_seed(s, e, i));
  EXPECT_EQ(seeds.size(), 12u);
  EXPECT_EQ(sample_seed(5, 2, 9), sample_seed(5, 2, 9));
}

// ---------------------------------------------------------------- collate

TEST(Collate, StacksAndChecksShapes) {
  Batch b = collate({{tensor({1, 2}), scalar_tensor(3, kInt64)}, {tensor({4, 5}), scalar_tensor(6, kInt64)}});
  EXPECT_EQ(b.data.shape(), (Shape{2, 2}));
  EXPECT_EQ(b.data.to_vector<float>(), (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(b.target.shape(), (Shape{2}));
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{3, 6}));
  // A non-contiguous sample is copied in logical order.
  Tensor m = arange(0, 4, 1, kFloat32).reshape({2, 2});
  Batch t = collate({{m.t(), Tensor()}});
  EXPECT_EQ(t.data.to_vector<float>(), (std::vector<float>{0, 2, 1, 3}));
  EXPECT_FALSE(t.target.defined());
  EXPECT_EMBER_ERROR(collate({{tensor({1, 2}), Tensor()}, {tensor({1, 2, 3}), Tensor()}}), "collate", "example 1",
                     "[3]", "[2]");
  EXPECT_EMBER_ERROR(collate({{tensor({1}), Tensor()}, {tensor(std::vector<int64_t>{1}), Tensor()}}), "collate",
                     "int64", "float32");
  EXPECT_EMBER_ERROR(collate({{tensor({1}), scalar_tensor(1)}, {tensor({1}), Tensor()}}), "collate", "undefined");
  EXPECT_EMBER_ERROR(collate({}), "collate", "no examples");
}

// ---------------------------------------------------------------- DataLoader

TEST(DataLoader, SequentialBatchesAndDropLast) {
  auto ds = std::make_shared<IndexDataset>(10);
  DataLoader loader(ds, {.batch_size = 3});
  EXPECT_EQ(loader.size(), 4);
  std::vector<Shape> shapes;
  std::vector<int64_t> targets;
  for (const Batch& b : loader) {
    shapes.push_back(b.data.shape());
    for (int64_t t : b.target.to_vector<int64_t>()) targets.push_back(t);
  }
  EXPECT_EQ(shapes, (std::vector<Shape>{{3, 2}, {3, 2}, {3, 2}, {1, 2}}));
  EXPECT_EQ(targets, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));

  for (int64_t w : {0, 2}) {
    DataLoader dl(ds, {.batch_size = 3, .drop_last = true, .num_workers = w});
    EXPECT_EQ(dl.size(), 3);
    int64_t n = 0;
    for (const Batch& b : dl) {
      EXPECT_EQ(b.data.size(0), 3);
      ++n;
    }
    EXPECT_EQ(n, 3);
  }
  // Exactly divisible: drop_last changes nothing.
  EXPECT_EQ(DataLoader(ds, {.batch_size = 5, .drop_last = true}).size(), 2);
  EXPECT_EQ(DataLoader(ds, {.batch_size = 5}).size(), 2);
  // Fewer samples than a batch.
  EXPECT_EQ(DataLoader(ds, {.batch_size = 64, .drop_last = true}).size(), 0);
  DataLoader empty_epoch(ds, {.batch_size = 64, .drop_last = true, .num_workers = 2});
  EXPECT_TRUE(empty_epoch.begin() == empty_epoch.end());
}

TEST(DataLoader, SameBatchesWhateverTheWorkerCount) {
  // Uneven sleeps make workers finish out of order; the output must not notice.
  auto ds = std::make_shared<IndexDataset>(37, -1, 50);
  auto run = [&](int64_t workers, int64_t prefetch) {
    DataLoader loader(ds, {.batch_size = 4, .shuffle = true, .seed = 99, .num_workers = workers,
                           .prefetch_factor = prefetch});
    auto e0 = epoch_data(loader);
    auto e1 = epoch_data(loader);
    return std::make_pair(e0, e1);
  };
  auto ref = run(0, 2);
  EXPECT_NE(ref.first, ref.second);  // a new order and new randomness each epoch
  for (auto [w, p] : {std::pair{1, 1}, {2, 1}, {3, 2}, {4, 4}}) {
    auto got = run(w, p);
    EXPECT_EQ(got.first, ref.first) << "num_workers=" << w << " prefetch_factor=" << p;
    EXPECT_EQ(got.second, ref.second) << "num_workers=" << w << " prefetch_factor=" << p;
  }
}

TEST(DataLoader, ShufflesDifferentlyEachEpochAndReproducibly) {
  auto ds = std::make_shared<IndexDataset>(50);
  DataLoader a(ds, {.batch_size = 8, .shuffle = true, .seed = 7});
  std::vector<int64_t> e0 = epoch_targets(a), e1 = epoch_targets(a);
  EXPECT_EQ(a.epoch(), 2);
  std::vector<int64_t> sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> all(50);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all);  // a permutation
  EXPECT_NE(e0, all);
  EXPECT_NE(e0, e1);
  EXPECT_EQ(e0, a.epoch_order(0));

  DataLoader b(ds, {.batch_size = 8, .shuffle = true, .seed = 7});
  EXPECT_EQ(epoch_targets(b), e0);  // same seed, same epoch: same order
  b.set_epoch(1);
  EXPECT_EQ(epoch_targets(b), e1);  // resuming at epoch 1
  DataLoader c(ds, {.batch_size = 8, .shuffle = true, .seed = 8});
  EXPECT_NE(epoch_targets(c), e0);
  DataLoader plain(ds, {.batch_size = 8});
  EXPECT_EQ(epoch_targets(plain), all);
  EXPECT_EQ(epoch_targets(plain), all);
}

TEST(DataLoader, PerSampleRandomnessComesFromSeedEpochAndIndex) {
  auto ds = std::make_shared<IndexDataset>(6);
  DataLoader loader(ds, {.batch_size = 6, .shuffle = true, .seed = 3, .num_workers = 2});
  loader.set_epoch(5);
  Batch b = *loader.begin();
  auto v = b.data.to_vector<float>();
  for (int64_t k = 0; k < 6; ++k) {
    int64_t idx = static_cast<int64_t>(v[2 * k]);
    Generator g(sample_seed(3, 5, idx));
    EXPECT_EQ(v[2 * k + 1], g.uniform_float()) << "sample " << idx;
  }
}

TEST(DataLoader, WorkerExceptionIsRethrownNamingTheSample) {
  for (int64_t workers : {0, 1, 3}) {
    auto ds = std::make_shared<IndexDataset>(20, /*fail_at=*/9);
    DataLoader loader(ds, {.batch_size = 4, .num_workers = workers});
    int64_t batches = 0;
    try {
      for (const Batch& b : loader) {
        (void)b;
        ++batches;
      }
      ADD_FAILURE() << "expected an error with num_workers=" << workers;
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("sample 9"), std::string::npos) << msg;
      EXPECT_NE(msg.find("batch 2"), std::string::npos) << msg;
      EXPECT_NE(msg.find("disk on fire"), std::string::npos) << msg;
    }
    EXPECT_EQ(batches, 2) << "batches before the failing one arrive first, num_workers=" << workers;
  }
  // A collate error inside a worker comes back the same way.
  class Ragged : public Dataset {
   public:
    int64_t size() const override { return 4; }
    using Dataset::get;
    Example get(int64_t i, Generator&) const override { return {zeros({i == 2 ? 3 : 2}), Tensor()}; }
  };
  DataLoader ragged(std::make_shared<Ragged>(), {.batch_size = 4, .num_workers = 2});
  EXPECT_EMBER_ERROR(ragged.begin(), "DataLoader", "batch 0", "collate", "sample 2", "[3]");
}

TEST(DataLoader, EarlyBreakStopsWorkersAndPrefetchIsBounded) {
  auto ds = std::make_shared<IndexDataset>(200, -1, 200);
  {
    DataLoader loader(ds, {.batch_size = 1, .num_workers = 2, .prefetch_factor = 1});
    auto it = loader.begin();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // 1 batch consumed + at most num_workers * prefetch_factor loaded ahead.
    EXPECT_LE(ds->calls(), 3);
    ++it;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_LE(ds->calls(), 4);
  }
  auto start = std::chrono::steady_clock::now();
  int64_t seen = 0;
  {
    DataLoader loader(ds, {.batch_size = 2, .num_workers = 3, .prefetch_factor = 2});
    for (const Batch& b : loader) {
      (void)b;
      if (++seen == 2) break;  // the iterator dies here and joins the workers
    }
    int64_t calls_after_break = ds->calls();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(ds->calls(), calls_after_break) << "workers kept loading after the loop was abandoned";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(seen, 2);
}

TEST(DataLoader, IteratorOutlivesLoaderAndRejectsMisuse) {
  DataLoader::Iterator it;
  {
    DataLoader loader(IndexDataset(5), {.batch_size = 2, .num_workers = 2});
    it = loader.begin();
  }
  std::vector<int64_t> t = it->target.to_vector<int64_t>();
  EXPECT_EQ(t, (std::vector<int64_t>{0, 1}));
  ++it;
  ++it;
  EXPECT_EQ(it->target.to_vector<int64_t>(), (std::vector<int64_t>{4}));
  ++it;
  EXPECT_TRUE(it == DataLoader::Iterator());
  EXPECT_EMBER_ERROR(++it, "DataLoader::Iterator", "past the end");
  EXPECT_EMBER_ERROR(*it, "DataLoader::Iterator", "end");
}

TEST(DataLoader, BadOptions) {
  auto ds = std::make_shared<IndexDataset>(5);
  EXPECT_EMBER_ERROR(DataLoader(ds, {.batch_size = 0}), "DataLoader", "batch_size", "got 0");
  EXPECT_EMBER_ERROR(DataLoader(ds, {.num_workers = -1}), "DataLoader", "num_workers", "-1");
  EXPECT_EMBER_ERROR(DataLoader(ds, {.prefetch_factor = 0}), "DataLoader", "prefetch_factor");
  EXPECT_EMBER_ERROR(DataLoader(std::shared_ptr<const Dataset>(), {}), "DataLoader", "null");
  DataLoader ok(ds);
  EXPECT_EMBER_ERROR(ok.set_epoch(-2), "set_epoch", "-2");
}

// ---------------------------------------------------------------- transforms

TEST(Transforms, NormalizePerChannel) {
  Tensor x = arange(0, 8, 1, kFloat32).reshape({2, 2, 2});  // (C, H, W)
  Generator g;
  Tensor y = Normalize({1.0, 2.0}, {2.0, 4.0})(x, g);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2}));
  std::vector<float> expect;
  for (int i = 0; i < 8; ++i) expect.push_back(i < 4 ? (i - 1.0f) / 2.0f : (i - 2.0f) / 4.0f);
  EXPECT_EQ(y.to_vector<float>(), expect);
  Tensor z = Normalize({0.5}, {0.25})(x.to(kFloat64), g);  // one value for all channels, float64 kept
  EXPECT_EQ(z.dtype(), kFloat64);
  EXPECT_DOUBLE_EQ(z.to_vector<double>()[3], (3 - 0.5) / 0.25);
  EXPECT_EMBER_ERROR(Normalize({1, 2, 3}, {1, 1, 1})(x, g), "Normalize", "2 channels", "mean has 3");
  EXPECT_EMBER_ERROR(Normalize({0}, {0}), "Normalize", "std[0] is 0");
  EXPECT_EMBER_ERROR(Normalize({0, 1}, {1, 1, 1}), "Normalize", "mean has 2", "std has 3");
  EXPECT_EMBER_ERROR(Normalize({0}, {1})(zeros({4, 4}), g), "Normalize", "(C, H, W)", "[4, 4]", "unsqueeze(0)");
  EXPECT_EMBER_ERROR(Normalize({0}, {1})(zeros({1, 4, 4}, kInt64), g), "Normalize", "int64");
}

TEST(Transforms, RandomCropWithPadding) {
  Tensor x = arange(1, 1 + 2 * 4 * 5, 1, kFloat32).reshape({2, 4, 5});  // (C, H, W), no zeros
  // Every window position agrees with an explicitly zero-padded image.
  const int64_t p = 2;
  Tensor padded = zeros({2, 4 + 2 * p, 5 + 2 * p});
  padded.slice(1, p, p + 4).slice(2, p, p + 5).copy_(x);
  for (int64_t top = 0; top <= 4 + 2 * p - 3; ++top)
    for (int64_t left = 0; left <= 5 + 2 * p - 4; ++left) {
      Tensor c = crop_padded(x, top, left, 3, 4, p);
      ASSERT_EQ(c.shape(), (Shape{2, 3, 4}));
      EXPECT_EQ(c.to_vector<float>(), padded.slice(1, top, top + 3).slice(2, left, left + 4).contiguous().to_vector<float>())
          << "top " << top << " left " << left;
    }
  RandomCrop crop(std::array<int64_t, 2>{4, 5}, 2);
  Generator g1(11), g2(11);
  std::set<std::vector<float>> distinct;
  for (int i = 0; i < 20; ++i) {
    Tensor a = crop(x, g1), b = crop(x, g2);
    EXPECT_EQ(a.shape(), (Shape{2, 4, 5}));
    EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());  // same generator state, same window
    distinct.insert(a.to_vector<float>());
  }
  EXPECT_GT(distinct.size(), 3u);  // the position does vary
  Generator g;
  EXPECT_EQ(RandomCrop(std::array<int64_t, 2>{4, 5})(x, g).to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(RandomCrop(28, 4)(zeros({1, 28, 28}), g).shape(), (Shape{1, 28, 28}));
  EXPECT_EMBER_ERROR(RandomCrop(9, 2)(x, g), "RandomCrop", "(9, 9)", "(8, 9)");
  EXPECT_EMBER_ERROR(RandomCrop(0), "RandomCrop", "positive");
  EXPECT_EMBER_ERROR(RandomCrop(3, -1), "RandomCrop", "padding");
  EXPECT_EMBER_ERROR(crop_padded(x, 1, 0, 4, 5, 0), "crop_padded", "does not fit");
}

TEST(Transforms, HorizontalFlip) {
  Tensor x = arange(0, 12, 1, kFloat32).reshape({2, 2, 3});
  EXPECT_EQ(hflip(x).to_vector<float>(), (std::vector<float>{2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9}));
  EXPECT_EQ(hflip(hflip(x)).to_vector<float>(), x.to_vector<float>());
  // A non-contiguous input (a transposed view) flips by its logical layout.
  Tensor xt = x.transpose(1, 2);  // (2, 3, 2)
  EXPECT_EQ(hflip(xt).to_vector<float>(), hflip(xt.contiguous()).to_vector<float>());
  Generator g(1);
  EXPECT_EQ(RandomHorizontalFlip(1.0)(x, g).to_vector<float>(), hflip(x).to_vector<float>());
  EXPECT_EQ(RandomHorizontalFlip(0.0)(x, g).to_vector<float>(), x.to_vector<float>());
  int flips = 0;
  RandomHorizontalFlip half;
  for (int i = 0; i < 400; ++i) flips += half(x, g).to_vector<float>()[0] == 2.0f;
  EXPECT_GT(flips, 150);
  EXPECT_LT(flips, 250);
  EXPECT_EMBER_ERROR(RandomHorizontalFlip(1.5), "RandomHorizontalFlip", "1.5");
}

TEST(Transforms, AffineIdentityRotationAndTranslation) {
  Tensor x = rand({2, 5, 6});
  Generator g(4);
  for (auto interp : {Interpolation::Nearest, Interpolation::Bilinear}) {
    EXPECT_EQ(affine(x, 0, 0, 0, 1.0, interp).to_vector<float>(), x.to_vector<float>());
    EXPECT_EQ(RandomAffine(0.0, {0, 0}, interp)(x, g).to_vector<float>(), x.to_vector<float>());
  }
  // 90 degrees counter-clockwise on a 3x3 image: the top row becomes the left column, read upwards.
  Tensor sq = arange(1, 10, 1, kFloat32).reshape({1, 3, 3});
  EXPECT_EQ(affine(sq, 90, 0, 0).to_vector<float>(), (std::vector<float>{3, 6, 9, 2, 5, 8, 1, 4, 7}));
  EXPECT_EQ(affine(sq, 90, 0, 0, 1.0, Interpolation::Bilinear).to_vector<float>(),
            (std::vector<float>{3, 6, 9, 2, 5, 8, 1, 4, 7}));
  EXPECT_EQ(affine(sq, 180, 0, 0).to_vector<float>(), (std::vector<float>{9, 8, 7, 6, 5, 4, 3, 2, 1}));
  // Translation moves content right/down and fills with zeros.
  EXPECT_EQ(affine(sq, 0, 1, 0).to_vector<float>(), (std::vector<float>{0, 1, 2, 0, 4, 5, 0, 7, 8}));
  EXPECT_EQ(affine(sq, 0, 0, -1).to_vector<float>(), (std::vector<float>{4, 5, 6, 7, 8, 9, 0, 0, 0}));
  // Bilinear at a half-pixel shift averages neighbours (and the zero beyond the edge).
  Tensor row = tensor({2, 4, 6}, {1, 1, 3});
  auto half = affine(row, 0, 0.5, 0, 1.0, Interpolation::Bilinear).to_vector<float>();
  EXPECT_FLOAT_EQ(half[0], 1.0f);
  EXPECT_FLOAT_EQ(half[1], 3.0f);
  EXPECT_FLOAT_EQ(half[2], 5.0f);
  // Scale 2 about the centre of a 3x3: the centre stays, corners sample half-way out.
  EXPECT_EQ(affine(sq, 0, 0, 0, 2.0, Interpolation::Bilinear).to_vector<float>()[4], 5.0f);
  // Random: reproducible from the generator, and translations are whole pixels.
  RandomAffine ra(30.0, {0.2, 0.2}, Interpolation::Bilinear, {0.9, 1.1});
  Generator a(8), b(8);
  EXPECT_EQ(ra(x, a).to_vector<float>(), ra(x, b).to_vector<float>());
  EXPECT_EMBER_ERROR(RandomAffine(-5.0), "RandomAffine", "degrees");
  EXPECT_EMBER_ERROR(RandomAffine(5.0, {1.5, 0}), "RandomAffine", "translate");
  EXPECT_EMBER_ERROR(RandomAffine(5.0, {0, 0}, Interpolation::Nearest, {0, 1}), "RandomAffine", "scale");
  EXPECT_EMBER_ERROR(affine(zeros({3, 3}), 10, 0, 0), "affine", "(C, H, W)");
  EXPECT_EMBER_ERROR(affine(sq, 10, 0, 0, 0.0), "affine", "scale");
}

TEST(Transforms, ComposeAppliesInOrder) {
  Tensor x = arange(0, 3, 1, kFloat32).reshape({1, 1, 3});
  Generator g;
  Compose c({Normalize({1}, {2}), RandomHorizontalFlip(1.0),
             [](const Tensor& t, Generator&) { return t * 10.0; }});
  EXPECT_EQ(c(x, g).to_vector<float>(), (std::vector<float>{5, 0, -5}));
  EXPECT_EMBER_ERROR(Compose({Transform()}), "Compose", "transform 0", "empty");
}

TEST(Transforms, UniformIntCoversTheRange) {
  Generator g(2);
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 5000; ++i) {
    int64_t v = uniform_int(g, -2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    ++counts[static_cast<size_t>(v + 2)];
  }
  for (int c : counts) EXPECT_GT(c, 850);
  EXPECT_EQ(uniform_int(g, 3, 3), 3);
  EXPECT_EMBER_ERROR(uniform_int(g, 3, 2), "uniform_int");
}

// Random transforms inside a loader stay deterministic across worker counts.
TEST(Transforms, InsideDataLoaderAreWorkerIndependent) {
  class Images : public Dataset {
   public:
    int64_t size() const override { return 12; }
    using Dataset::get;
    Example get(int64_t i, Generator& gen) const override {
      Tensor img = full({1, 6, 6}, static_cast<double>(i + 1));
      Compose t({RandomCrop(6, 2), RandomHorizontalFlip(), RandomAffine(20.0, {0.1, 0.1}, Interpolation::Bilinear)});
      return {t(img, gen), scalar_tensor(i, kInt64)};
    }
  };
  auto ds = std::make_shared<Images>();
  DataLoader serial(ds, {.batch_size = 5, .shuffle = true, .seed = 1});
  DataLoader threaded(ds, {.batch_size = 5, .shuffle = true, .seed = 1, .num_workers = 3});
  for (int epoch = 0; epoch < 2; ++epoch) EXPECT_EQ(epoch_data(serial), epoch_data(threaded));
}
