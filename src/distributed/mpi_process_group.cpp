// The "mpi" backend: loads libember_mpi.so (built against the system's MPI) with dlopen and drives
// its non-blocking collectives. Waiting polls MPI_Test, which is also what moves a non-blocking
// collective forward in Open MPI; a wait that exceeds the group's timeout throws instead of
// hanging forever.
#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "distributed/mpi/mpi_api.h"
#include "distributed/process_group_internal.h"
#include "ember/autograd.h"

#ifndef EMBER_MPI_PLUGIN_BUILD_PATH
#define EMBER_MPI_PLUGIN_BUILD_PATH ""
#endif

namespace ember::distributed::detail {

namespace {

constexpr int kErrLen = 1024;
// MPI counts are ints: longer tensors go in pieces of this many elements.
constexpr int64_t kMaxChunk = int64_t{1} << 30;

struct Plugin {
  const EmberMpiApi* api = nullptr;
  std::string path;
  std::string error;  // why loading failed (every path tried)
};

std::string exe_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string p(buf, static_cast<size_t>(n));
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? "" : p.substr(0, slash);
}

// The folder libember.so was loaded from: `cmake --install` puts the plugin beside it.
std::string library_dir() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&library_dir), &info) == 0 || info.dli_fname == nullptr) return "";
  std::string p(info.dli_fname);
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? "" : p.substr(0, slash);
}

// Where the plugin may be: $EMBER_MPI_PLUGIN, next to the executable, ../lib from it, beside
// libember.so, the build tree it was built in, then the dynamic loader's own search path.
std::vector<std::string> plugin_candidates() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("EMBER_MPI_PLUGIN")) candidates.emplace_back(env);
  std::string dir = exe_dir();
  if (!dir.empty()) {
    candidates.push_back(dir + "/libember_mpi.so");
    candidates.push_back(dir + "/../lib/libember_mpi.so");
  }
  if (std::string lib = library_dir(); !lib.empty()) candidates.push_back(lib + "/libember_mpi.so");
  if (*EMBER_MPI_PLUGIN_BUILD_PATH) candidates.emplace_back(EMBER_MPI_PLUGIN_BUILD_PATH);
  candidates.emplace_back("libember_mpi.so");
  return candidates;
}

const Plugin& plugin() {
  static const Plugin p = [] {
    Plugin r;
    for (auto& c : plugin_candidates()) {
      if (c.find('/') != std::string::npos && ::access(c.c_str(), F_OK) != 0) {
        r.error += "\n  " + c + ": no such file";
        continue;
      }
      // RTLD_GLOBAL: Open MPI's own components (dlopened by libmpi) resolve symbols of libmpi
      // through the global scope.
      void* h = ::dlopen(c.c_str(), RTLD_NOW | RTLD_GLOBAL);
      if (!h) {
        r.error += "\n  " + c + ": " + ::dlerror();
        continue;
      }
      auto get = reinterpret_cast<const EmberMpiApi* (*)()>(::dlsym(h, "ember_mpi_api"));
      const EmberMpiApi* api = get ? get() : nullptr;
      if (!api || api->abi_version != EMBER_MPI_ABI_VERSION) {
        r.error += "\n  " + c + ": not an Ember MPI plugin of this version";
        continue;
      }
      r.api = api;
      r.path = c;
      r.error.clear();
      break;
    }
    return r;
  }();
  return p;
}

int mpi_dtype(DType d) {
  switch (d) {
    case DType::Int32: return EMBER_MPI_INT32;
    case DType::Int64: return EMBER_MPI_INT64;
    case DType::Float32: return EMBER_MPI_FLOAT32;
    case DType::Float64: return EMBER_MPI_FLOAT64;
    default: return EMBER_MPI_BYTE;
  }
}

int mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Avg: return EMBER_MPI_SUM;  // Avg: the sum, divided by size() on completion
    case ReduceOp::Max: return EMBER_MPI_MAX;
    case ReduceOp::Min: return EMBER_MPI_MIN;
    case ReduceOp::Product: return EMBER_MPI_PROD;
  }
  return EMBER_MPI_SUM;
}

std::string describe(const char* op, const Tensor& t, uint64_t seq) {
  return ::ember::detail::str_cat(op, " #", seq, " of a ", dtype_name(t.dtype()), " tensor of shape ", shape_str(t.shape()));
}

class MpiProcessGroup;

class MpiWork final : public Work {
 public:
  MpiWork(std::shared_ptr<MpiProcessGroup> pg, std::string what, std::vector<Tensor> keep, std::function<void()> finish)
      : pg_(std::move(pg)), what_(std::move(what)), keep_(std::move(keep)), finish_(std::move(finish)) {}
  ~MpiWork() override;
  void add(void* req) { reqs_.push_back(req); }
  bool is_completed() override;
  void wait() override;

 private:
  std::shared_ptr<MpiProcessGroup> pg_;
  std::string what_;
  std::vector<Tensor> keep_;  // the buffers MPI reads and writes, alive until it is done
  std::function<void()> finish_;
  std::vector<void*> reqs_;
  std::string error_;
  bool done_ = false;
};

class MpiProcessGroup final : public ProcessGroup, public std::enable_shared_from_this<MpiProcessGroup> {
 public:
  explicit MpiProcessGroup(const EmberMpiApi* api) : api_(api), owner_(std::this_thread::get_id()) {
    timeout_s_ = timeout_from_env();
    char err[kErrLen] = {0};
    EMBER_CHECK(api_->init(&rank_, &size_, err, kErrLen) == 0, "init_process_group", err);
  }

  ~MpiProcessGroup() override {
    // MPI_Finalize with collectives still in flight may block; at exit, skipping it is safer.
    poll_orphans();
    if (!orphans_.empty()) return;
    char err[kErrLen] = {0};
    api_->finalize(err, kErrLen);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  const EmberMpiApi& api() const { return *api_; }

  void check_thread(const char* op) const {
    EMBER_CHECK(std::this_thread::get_id() == owner_, op, "called from a thread other than the one that created the "
                "process group; MPI runs with MPI_THREAD_FUNNELED, so issue every collective from that thread");
  }

  std::shared_ptr<Work> allreduce_async(const Tensor& t, ReduceOp op) override {
    check_tensor(t, "allreduce", "the tensor");
    check_reducible(t, op, "allreduce");
    auto work = begin("allreduce", t, {t}, [t, op, n = size_] {
      if (op == ReduceOp::Avg) {
        NoGradGuard ng;
        Tensor(t).div_(n);
      }
      autograd::increment_version(t);
    });
    char* base = static_cast<char*>(t.raw_data());
    for (int64_t start = 0; start < t.numel(); start += kMaxChunk) {
      int count = static_cast<int>(std::min(kMaxChunk, t.numel() - start));
      void* req = nullptr;
      char err[kErrLen] = {0};
      EMBER_CHECK(api_->iallreduce(base + start * t.element_size(), count, mpi_dtype(t.dtype()), mpi_op(op), &req, err,
                                   kErrLen) == 0, "allreduce", err);
      work->add(req);
    }
    return work;
  }

  std::shared_ptr<Work> broadcast_async(const Tensor& t, int root) override {
    check_tensor(t, "broadcast", "the tensor");
    check_root(root, size_, "broadcast");
    auto work = begin("broadcast", t, {t}, [t] { autograd::increment_version(t); });
    // As bytes: any dtype, and the same bits everywhere.
    char* base = static_cast<char*>(t.raw_data());
    int64_t nbytes = t.numel() * static_cast<int64_t>(t.element_size());
    for (int64_t start = 0; start < nbytes; start += kMaxChunk) {
      int count = static_cast<int>(std::min(kMaxChunk, nbytes - start));
      void* req = nullptr;
      char err[kErrLen] = {0};
      EMBER_CHECK(api_->ibcast(base + start, count, EMBER_MPI_BYTE, root, &req, err, kErrLen) == 0, "broadcast", err);
      work->add(req);
    }
    return work;
  }

  std::shared_ptr<Work> allgather_async(const Tensor& out, const Tensor& in) override {
    check_tensor(out, "allgather", "the output");
    check_tensor(in, "allgather", "the input");
    check_gather_shapes(out, in, size_, "allgather", "the output");
    int64_t nbytes = in.numel() * static_cast<int64_t>(in.element_size());
    EMBER_CHECK(nbytes <= INT_MAX, "allgather", "each rank's input may hold at most ", INT_MAX, " bytes, got ",
                nbytes, " (shape ", shape_str(in.shape()), "); gather it in pieces");
    auto work = begin("allgather", out, {out, in}, [out] { autograd::increment_version(out); });
    void* req = nullptr;
    char err[kErrLen] = {0};
    EMBER_CHECK(api_->iallgather(in.raw_data(), out.raw_data(), static_cast<int>(nbytes), EMBER_MPI_BYTE, &req, err,
                                 kErrLen) == 0, "allgather", err);
    work->add(req);
    return work;
  }

  std::shared_ptr<Work> reduce_scatter_async(const Tensor& out, const Tensor& in, ReduceOp op) override {
    check_tensor(out, "reduce_scatter", "the output");
    check_tensor(in, "reduce_scatter", "the input");
    check_reducible(in, op, "reduce_scatter");
    check_gather_shapes(in, out, size_, "reduce_scatter", "the input");
    EMBER_CHECK(out.numel() <= INT_MAX, "reduce_scatter", "each rank's block may hold at most ", INT_MAX,
                " elements, got ", out.numel());
    auto work = begin("reduce_scatter", out, {out, in}, [out, op, n = size_] {
      if (op == ReduceOp::Avg) {
        NoGradGuard ng;
        Tensor(out).div_(n);
      }
      autograd::increment_version(out);
    });
    void* req = nullptr;
    char err[kErrLen] = {0};
    EMBER_CHECK(api_->ireduce_scatter(in.raw_data(), out.raw_data(), static_cast<int>(out.numel()),
                                      mpi_dtype(in.dtype()), mpi_op(op), &req, err, kErrLen) == 0,
                "reduce_scatter", err);
    work->add(req);
    return work;
  }

  std::shared_ptr<Work> barrier_async() override {
    check_thread("barrier");
    auto work = std::make_shared<MpiWork>(shared_from_this(), ::ember::detail::str_cat("barrier #", seq_++),
                                          std::vector<Tensor>{}, nullptr);
    void* req = nullptr;
    char err[kErrLen] = {0};
    EMBER_CHECK(api_->ibarrier(&req, err, kErrLen) == 0, "barrier", err);
    work->add(req);
    return work;
  }

  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    api_->abort(code);
    std::_Exit(code);  // MPI_Abort does not return; in case an implementation does
  }

  // A Work dropped before completion (an exception unwound past it): its requests and buffers
  // stay here until MPI is done with them.
  void adopt(std::vector<void*> reqs, std::vector<Tensor> keep) {
    std::lock_guard<std::mutex> lock(orphan_mu_);
    orphans_.push_back({std::move(reqs), std::move(keep)});
  }

 private:
  struct Orphan {
    std::vector<void*> reqs;
    std::vector<Tensor> keep;
  };

  std::shared_ptr<MpiWork> begin(const char* op, const Tensor& t, std::vector<Tensor> keep, std::function<void()> finish) {
    check_thread(op);
    poll_orphans();
    return std::make_shared<MpiWork>(shared_from_this(), describe(op, t, seq_++), std::move(keep), std::move(finish));
  }

  void poll_orphans() {
    std::lock_guard<std::mutex> lock(orphan_mu_);
    for (auto it = orphans_.begin(); it != orphans_.end();) {
      auto& reqs = it->reqs;
      for (size_t i = 0; i < reqs.size();) {
        int done = 0;
        char err[kErrLen];
        api_->test(reqs[i], &done, err, kErrLen);
        if (done) reqs.erase(reqs.begin() + static_cast<std::ptrdiff_t>(i));
        else ++i;
      }
      it = reqs.empty() ? orphans_.erase(it) : it + 1;
    }
  }

  const EmberMpiApi* api_;
  std::thread::id owner_;
  int rank_ = 0, size_ = 1;
  uint64_t seq_ = 0;
  std::mutex orphan_mu_;
  std::vector<Orphan> orphans_;
};

MpiWork::~MpiWork() {
  if (!reqs_.empty()) pg_->adopt(std::move(reqs_), std::move(keep_));
}

bool MpiWork::is_completed() {
  if (done_) {
    if (!error_.empty()) throw Error(error_);
    return true;
  }
  pg_->check_thread(what_.c_str());
  for (size_t i = 0; i < reqs_.size();) {
    int done = 0;
    char err[kErrLen] = {0};
    if (pg_->api().test(reqs_[i], &done, err, kErrLen) != 0 && error_.empty())
      error_ = ::ember::detail::str_cat(what_, " on rank ", pg_->rank(), " of ", pg_->size(), " failed: ", err);
    if (done) reqs_.erase(reqs_.begin() + static_cast<std::ptrdiff_t>(i));
    else ++i;
  }
  if (!reqs_.empty()) return false;
  done_ = true;
  if (!error_.empty()) throw Error(error_);
  if (finish_) finish_();
  keep_.clear();
  return true;
}

void MpiWork::wait() {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration<double>(pg_->timeout_seconds());
  for (int64_t polls = 0;; ++polls) {
    if (is_completed()) return;
    // Spin first (a collective between ranks on one machine takes microseconds to milliseconds),
    // then yield the core so that oversubscribed ranks can reach the collective.
    if (polls > 2000) std::this_thread::yield();
    if ((polls & 1023) == 0 && clock::now() > deadline)
      throw Error(::ember::detail::str_cat(
          what_, " on rank ", pg_->rank(), " of ", pg_->size(), " did not complete within ", pg_->timeout_seconds(),
          " s: another rank is stuck, has died or has issued different collectives (every rank must call the same "
          "collectives in the same order). Raise EMBER_DIST_TIMEOUT if a step legitimately takes longer."));
  }
}

}  // namespace

std::shared_ptr<ProcessGroup> create_mpi_process_group() {
  const Plugin& p = plugin();
  EMBER_CHECK(p.api, "init_process_group", "the MPI backend's plugin libember_mpi.so could not be loaded; tried:",
              p.error, "\nBuild Ember with MPI installed (Debian: openmpi-bin libopenmpi-dev, see scripts/setup.sh), "
              "or point EMBER_MPI_PLUGIN at the plugin");
  return std::make_shared<MpiProcessGroup>(p.api);
}

std::string mpi_plugin_description() {
  // Only where the plugin is: loading it would load MPI, which a plain process never does.
  for (auto& c : plugin_candidates())
    if (c.find('/') != std::string::npos && ::access(c.c_str(), R_OK) == 0) return c;
  return "";
}

}  // namespace ember::distributed::detail
