// DataLoader: one EpochRun per pass over the data. Batch b holds the samples at positions
// [b * B, (b + 1) * B) of the epoch's order; every sample's randomness comes from
// sample_seed(seed, epoch, index). Workers claim batch numbers in turn and file finished batches
// by number; the consumer takes them strictly in order, so the output is the same for any
// worker count. At most num_workers * prefetch_factor batches are claimed but not yet consumed.
#include "ember/data/dataloader.h"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "data/collate.h"
#include "ember/autograd.h"
#include "ember/error.h"
#include "ember/ops.h"

namespace ember::data {

namespace detail {

class EpochRun {
 public:
  EpochRun(std::shared_ptr<const Dataset> dataset, const DataLoaderOptions& opt, int64_t epoch,
           std::vector<int64_t> order, int64_t num_batches)
      : dataset_(std::move(dataset)), opt_(opt), epoch_(epoch), order_(std::move(order)), num_batches_(num_batches) {}

  ~EpochRun() { stop_workers(); }

  void start() {
    if (opt_.num_workers == 0 || num_batches_ == 0) return;
    capacity_ = opt_.num_workers * opt_.prefetch_factor;
    try {
      for (int64_t w = 0; w < opt_.num_workers; ++w) workers_.emplace_back([this] { worker_loop(); });
    } catch (const std::system_error& e) {
      stop_workers();
      EMBER_FAIL("DataLoader", "could not start worker thread ", workers_.size() + 1, " of ", opt_.num_workers, ": ",
                 e.what(), "; try fewer num_workers");
    }
  }

  // Moves to the next batch; false once the epoch is done.
  bool advance() {
    if (next_ >= num_batches_) {
      done_ = true;
      current_ = Batch();
      stop_workers();
      return false;
    }
    int64_t b = next_++;
    if (workers_.empty()) {
      current_ = load_batch(b);  // errors propagate straight to the caller
      return true;
    }
    Result r;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_cv_.wait(lock, [&] { return results_.count(b) != 0; });
      auto it = results_.find(b);
      r = std::move(it->second);
      results_.erase(it);
      consumed_ = b + 1;
    }
    work_cv_.notify_all();  // a slot in the prefetch window is free
    if (r.error) std::rethrow_exception(r.error);
    current_ = std::move(r.batch);
    return true;
  }

  const Batch& current() const {
    EMBER_CHECK(!done_, "DataLoader::Iterator", "dereferenced an iterator at the end of the epoch");
    return current_;
  }
  bool done() const { return done_; }
  int64_t position() const { return next_; }

 private:
  struct Result {
    Batch batch;
    std::exception_ptr error;
  };

  Batch load_batch(int64_t b) const {
    NoGradGuard no_grad;
    const int64_t B = opt_.batch_size;
    const int64_t start = b * B;
    const int64_t end = std::min<int64_t>(start + B, static_cast<int64_t>(order_.size()));
    std::vector<Example> examples;
    std::vector<int64_t> indices(order_.begin() + start, order_.begin() + end);
    examples.reserve(indices.size());
    for (int64_t idx : indices) {
      Generator gen(sample_seed(opt_.seed, epoch_, idx));
      try {
        examples.push_back(dataset_->get(idx, gen));
      } catch (const std::exception& e) {
        EMBER_FAIL("DataLoader", "loading sample ", idx, " (batch ", b, " of epoch ", epoch_, ") failed: ", e.what());
      } catch (...) {
        EMBER_FAIL("DataLoader", "loading sample ", idx, " (batch ", b, " of epoch ", epoch_,
                   ") failed with an exception that is not a std::exception");
      }
    }
    try {
      return collate_indexed(examples, indices);
    } catch (const std::exception& e) {
      EMBER_FAIL("DataLoader", "batch ", b, " of epoch ", epoch_, ": ", e.what());
    }
  }

  void worker_loop() {
    for (;;) {
      int64_t b;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_cv_.wait(lock, [&] { return stop_ || claimed_ >= num_batches_ || claimed_ < consumed_ + capacity_; });
        if (stop_ || claimed_ >= num_batches_) return;
        b = claimed_++;
      }
      Result r;
      try {
        r.batch = load_batch(b);
      } catch (...) {
        r.error = std::current_exception();  // re-thrown by the consumer when it reaches batch b
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        results_.emplace(b, std::move(r));
      }
      ready_cv_.notify_all();
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_)
      if (t.joinable()) t.join();
    workers_.clear();
  }

  const std::shared_ptr<const Dataset> dataset_;
  const DataLoaderOptions opt_;
  const int64_t epoch_;
  const std::vector<int64_t> order_;
  const int64_t num_batches_;
  int64_t capacity_ = 0;

  std::mutex mu_;
  std::condition_variable work_cv_, ready_cv_;
  int64_t claimed_ = 0, consumed_ = 0;  // guarded by mu_
  bool stop_ = false;                   // guarded by mu_
  std::map<int64_t, Result> results_;   // guarded by mu_
  std::vector<std::thread> workers_;

  int64_t next_ = 0;  // consumer side only
  bool done_ = false;
  Batch current_;
};

}  // namespace detail

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  EMBER_CHECK(dataset_ != nullptr, "DataLoader", "dataset is null");
  EMBER_CHECK(options_.batch_size >= 1, "DataLoader", "batch_size must be at least 1, got ", options_.batch_size);
  EMBER_CHECK(options_.num_workers >= 0, "DataLoader", "num_workers must be >= 0 (0 loads in the calling thread), got ",
              options_.num_workers);
  EMBER_CHECK(options_.prefetch_factor >= 1, "DataLoader", "prefetch_factor must be at least 1, got ",
              options_.prefetch_factor);
  EMBER_CHECK(!(options_.sampler && options_.shuffle), "DataLoader",
              "shuffle = true and a sampler exclude each other (the sampler decides the order); set shuffle = false "
              "and let the sampler shuffle");
}

int64_t DataLoader::size() const {
  int64_t n = options_.sampler ? options_.sampler->size() : dataset_->size(), B = options_.batch_size;
  return options_.drop_last ? n / B : (n + B - 1) / B;
}

void DataLoader::set_epoch(int64_t epoch) {
  EMBER_CHECK(epoch >= 0, "DataLoader::set_epoch", "epoch must be >= 0, got ", epoch);
  epoch_ = epoch;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  int64_t n = dataset_->size();
  EMBER_CHECK(n >= 0, "DataLoader", "dataset reports a negative size ", n);
  if (options_.sampler) {
    std::vector<int64_t> order = options_.sampler->indices(epoch);
    EMBER_CHECK(static_cast<int64_t>(order.size()) == options_.sampler->size(), "DataLoader", "the sampler returned ",
                order.size(), " indices for epoch ", epoch, " but its size() is ", options_.sampler->size());
    for (int64_t i : order)
      EMBER_CHECK(i >= 0 && i < n, "DataLoader", "the sampler returned index ", i, " for epoch ", epoch,
                  ", outside the dataset of ", n, " examples");
    return order;
  }
  if (!options_.shuffle) {
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    return order;
  }
  // Index -1 never names a sample, so the permutation's seed differs from every sample seed.
  Generator gen(sample_seed(options_.seed, epoch, -1));
  Tensor perm = randperm(n, &gen);
  const int64_t* p = perm.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + n);
}

DataLoader::Iterator DataLoader::begin() {
  int64_t epoch = epoch_++;
  auto run = std::make_shared<detail::EpochRun>(dataset_, options_, epoch, epoch_order(epoch), size());
  run->start();
  run->advance();
  return Iterator(std::move(run));
}

bool DataLoader::Iterator::at_end() const { return !run_ || run_->done(); }

const Batch& DataLoader::Iterator::operator*() const {
  EMBER_CHECK(run_ != nullptr, "DataLoader::Iterator", "dereferenced the end iterator");
  return run_->current();
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  EMBER_CHECK(!at_end(), "DataLoader::Iterator", "incremented past the end of the epoch");
  run_->advance();
  return *this;
}

bool DataLoader::Iterator::operator==(const Iterator& other) const {
  if (at_end() || other.at_end()) return at_end() == other.at_end();
  return run_ == other.run_ && run_->position() == other.run_->position();
}

}  // namespace ember::data
