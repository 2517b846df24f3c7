// The backend-independent half of ember::distributed: argument checks, the "single" backend, the
// default group and the job-wide error path.
#include "ember/distributed/process_group.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "distributed/process_group_internal.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::distributed {

const char* reduce_op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Avg: return "avg";
    case ReduceOp::Max: return "max";
    case ReduceOp::Min: return "min";
    case ReduceOp::Product: return "product";
  }
  return "?";
}

void ProcessGroup::set_timeout_seconds(double s) {
  EMBER_CHECK(s > 0, "ProcessGroup::set_timeout_seconds", "the timeout must be positive, got ", s);
  timeout_s_ = s;
}

Tensor ProcessGroup::allgather(const Tensor& in) {
  Shape shape = in.shape();
  shape.insert(shape.begin(), size());
  Tensor out = empty(shape, in.dtype());  // (size, *in.shape)
  allgather(out, in);
  return out;
}

namespace detail {

void check_tensor(const Tensor& t, const char* op, const char* what) {
  EMBER_CHECK(t.defined(), op, what, " is undefined");
  EMBER_CHECK(t.is_contiguous(), op, what, " of shape ", shape_str(t.shape()),
              " is not contiguous; collectives work in place on a tensor's storage: pass t.contiguous() "
              "(and copy the result back)");
  EMBER_CHECK(!(t.requires_grad() && t.is_leaf() && GradMode::is_enabled()), op, what, " of shape ",
              shape_str(t.shape()), " is a leaf that requires grad; collectives change tensors in place: "
              "call them under NoGradGuard or on t.detach()");
}

void check_reducible(const Tensor& t, ReduceOp op, const char* name) {
  DType d = t.dtype();
  EMBER_CHECK(d == kFloat32 || d == kFloat64 || d == kInt32 || d == kInt64, name, "reductions support float32, "
              "float64, int32 and int64 tensors, got ", dtype_name(d), " (shape ", shape_str(t.shape()),
              "); convert with .to(ember::kFloat32) first");
  EMBER_CHECK(op != ReduceOp::Avg || is_floating(d), name, "ReduceOp::Avg needs a floating tensor, got ",
              dtype_name(d), "; use ReduceOp::Sum and divide yourself");
}

void check_root(int root, int size, const char* op) {
  EMBER_CHECK(root >= 0 && root < size, op, "root rank ", root, " is outside the group of ", size,
              " process(es) (valid: 0 to ", size - 1, ")");
}

void check_gather_shapes(const Tensor& big, const Tensor& small, int size, const char* op, const char* big_name) {
  EMBER_CHECK(big.dtype() == small.dtype(), op, "the tensors' dtypes differ: ", dtype_name(big.dtype()), " and ",
              dtype_name(small.dtype()));
  EMBER_CHECK(big.numel() == small.numel() * size, op, big_name, " must hold size() * n = ", size, " * ",
              small.numel(), " = ", small.numel() * size, " elements, but it has shape ", shape_str(big.shape()),
              " (", big.numel(), " elements)");
}

double timeout_from_env() {
  const char* env = std::getenv("EMBER_DIST_TIMEOUT");
  if (!env) return 1800;
  char* end = nullptr;
  double s = std::strtod(env, &end);
  EMBER_CHECK(end != env && *end == '\0' && s > 0, "EMBER_DIST_TIMEOUT", "expected a positive number of seconds, got '",
              env, "'");
  return s;
}

}  // namespace detail

namespace {

class DoneWork final : public Work {
 public:
  bool is_completed() override { return true; }
  void wait() override {}
};

// A world of one process: reductions, broadcasts and barriers leave the data as it is.
class SingleProcessGroup final : public ProcessGroup {
 public:
  SingleProcessGroup() { timeout_s_ = detail::timeout_from_env(); }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "single"; }
  std::shared_ptr<Work> allreduce_async(const Tensor& t, ReduceOp op) override {
    detail::check_tensor(t, "allreduce", "the tensor");
    detail::check_reducible(t, op, "allreduce");
    return std::make_shared<DoneWork>();
  }
  std::shared_ptr<Work> broadcast_async(const Tensor& t, int root) override {
    detail::check_tensor(t, "broadcast", "the tensor");
    detail::check_root(root, 1, "broadcast");
    return std::make_shared<DoneWork>();
  }
  std::shared_ptr<Work> allgather_async(const Tensor& out, const Tensor& in) override {
    detail::check_tensor(out, "allgather", "the output");
    detail::check_tensor(in, "allgather", "the input");
    detail::check_gather_shapes(out, in, 1, "allgather", "the output");
    NoGradGuard ng;
    out.view({in.numel()}).copy_(in.reshape({in.numel()}));
    return std::make_shared<DoneWork>();
  }
  std::shared_ptr<Work> reduce_scatter_async(const Tensor& out, const Tensor& in, ReduceOp op) override {
    detail::check_tensor(out, "reduce_scatter", "the output");
    detail::check_tensor(in, "reduce_scatter", "the input");
    detail::check_reducible(in, op, "reduce_scatter");
    detail::check_gather_shapes(in, out, 1, "reduce_scatter", "the input");
    NoGradGuard ng;
    out.view({out.numel()}).copy_(in.reshape({in.numel()}));
    return std::make_shared<DoneWork>();
  }
  std::shared_ptr<Work> barrier_async() override { return std::make_shared<DoneWork>(); }
  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
  }
};

std::mutex g_mu;
std::shared_ptr<ProcessGroup> g_default;  // guarded by g_mu

const char* env_any(std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (const char* v = std::getenv(n)) return v;
  return nullptr;
}

}  // namespace

bool launched_by_mpi() {
  // Open MPI's mpirun, MPICH/Hydra's mpiexec and PMIx launchers (srun --mpi=pmix, prterun).
  return env_any({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) != nullptr;
}

std::shared_ptr<ProcessGroup> new_single_process_group() { return std::make_shared<SingleProcessGroup>(); }

std::shared_ptr<ProcessGroup> init_process_group(const std::string& backend) {
  std::lock_guard<std::mutex> lock(g_mu);
  std::string want = backend;
  if (want == "auto") want = launched_by_mpi() ? "mpi" : "single";
  if (want == "nccl")
    EMBER_FAIL("init_process_group", "the 'nccl' backend is not built into this Ember (it needs CUDA and NCCL); "
               "use 'mpi' (processes started by mpirun) or 'auto'");
  EMBER_CHECK(want == "mpi" || want == "single", "init_process_group", "unknown backend '", backend,
              "'; choose 'auto', 'mpi', 'single' or 'nccl'");
  if (g_default) {
    EMBER_CHECK(g_default->backend() == want, "init_process_group", "the default process group already uses backend '",
                g_default->backend(), "'; it cannot be re-created with '", backend,
                "' (MPI can be initialized only once per process)");
    return g_default;
  }
  g_default = want == "mpi" ? detail::create_mpi_process_group() : new_single_process_group();
  return g_default;
}

std::shared_ptr<ProcessGroup> default_process_group() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_default;
}

std::string available_backends() {
  std::string s = "single";
  std::string mpi = detail::mpi_plugin_description();
  if (!mpi.empty()) s += ", mpi (plugin " + mpi + ")";
  return s;
}

void abort_job_on_error(const std::string& what, int code) {
  if (!launched_by_mpi()) return;
  const char* rank = env_any({"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"});
  const char* size = env_any({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"});
  std::fprintf(stderr, "ember: rank %s of %s failed: %s\n", rank ? rank : "?", size ? size : "?", what.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  std::shared_ptr<ProcessGroup> pg = default_process_group();
  // A rank that never joined the group just exits non-zero: mpirun then ends the job, and the
  // others cannot be waiting on it in a collective (they would be stuck in MPI_Init at most).
  if (pg && pg->size() > 1) pg->abort(code);
}

}  // namespace ember::distributed
