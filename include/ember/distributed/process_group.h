#pragma once
// ember::distributed: collectives over a group of processes (torch.distributed's ProcessGroup,
// MLX's distributed Group). One abstract interface; backends implement it:
//   "mpi"    Open MPI (or any MPI-3 library), for processes started by `mpirun`, on one machine
//            or many. Loaded at run time from the plugin libember_mpi.so, so a plain `ember` run
//            never needs MPI installed and never calls MPI_Init.
//   "single" a world of one process: every collective is the identity. What a recipe gets when
//            it was not started by mpirun, so the same code runs either way.
//   "nccl"   reserved for GPUs; this build has no NCCL backend and asking for it throws.
//
//   auto pg = distributed::init_process_group();   // "auto": mpi under mpirun, else single
//   pg->allreduce(t, distributed::ReduceOp::Avg);  // in place, on every rank
//
// Rules (as in MPI): every rank calls the same collectives in the same order with tensors of the
// same shape and dtype; collectives are issued from the thread that created the group. Inputs
// and outputs must be contiguous (collectives work in place on their storage).
#include <cstdint>
#include <memory>
#include <string>

#include "ember/tensor.h"

namespace ember::distributed {

enum class ReduceOp { Sum, Avg, Max, Min, Product };
const char* reduce_op_name(ReduceOp op);

// A collective in flight (torch's Work). wait() blocks until it is done (or throws ember::Error
// when it failed or exceeded the group's timeout); is_completed() polls without blocking and
// also drives the communication forward.
class Work {
 public:
  virtual ~Work() = default;
  virtual bool is_completed() = 0;
  virtual void wait() = 0;
};

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "mpi", "single", ...

  // Each returns a Work to wait on; the tensors must stay alive and untouched until it completes.
  // t (any shape): replaced on every rank by the reduction of every rank's t.
  virtual std::shared_ptr<Work> allreduce_async(const Tensor& t, ReduceOp op = ReduceOp::Sum) = 0;
  // t: replaced on every rank by root's t.
  virtual std::shared_ptr<Work> broadcast_async(const Tensor& t, int root = 0) = 0;
  // out: (size() * n) elements of in's dtype; rank r's `in` (n elements) lands at out[r * n, (r+1) * n).
  virtual std::shared_ptr<Work> allgather_async(const Tensor& out, const Tensor& in) = 0;
  // in: (size() * n) elements; out (n elements) receives the reduction of block rank() of every rank's in.
  virtual std::shared_ptr<Work> reduce_scatter_async(const Tensor& out, const Tensor& in,
                                                     ReduceOp op = ReduceOp::Sum) = 0;
  virtual std::shared_ptr<Work> barrier_async() = 0;

  // Blocking forms.
  void allreduce(const Tensor& t, ReduceOp op = ReduceOp::Sum) { allreduce_async(t, op)->wait(); }
  void broadcast(const Tensor& t, int root = 0) { broadcast_async(t, root)->wait(); }
  void allgather(const Tensor& out, const Tensor& in) { allgather_async(out, in)->wait(); }
  // Every rank's `in` stacked along a new leading dim: (size(), *in.shape).
  Tensor allgather(const Tensor& in);
  void reduce_scatter(const Tensor& out, const Tensor& in, ReduceOp op = ReduceOp::Sum) {
    reduce_scatter_async(out, in, op)->wait();
  }
  void barrier() { barrier_async()->wait(); }

  // Ends every process of the job with `code` (MPI_Abort). For error handlers: a rank that
  // cannot go on must not leave the others waiting in a collective.
  [[noreturn]] virtual void abort(int code) = 0;

  // Seconds a wait() may block before it throws (default 1800, or EMBER_DIST_TIMEOUT).
  double timeout_seconds() const { return timeout_s_; }
  void set_timeout_seconds(double s);

 protected:
  double timeout_s_ = 1800;
};

// True when this process was started by mpirun/mpiexec (Open MPI, MPICH or a PMIx launcher):
// read from the environment, without loading MPI.
bool launched_by_mpi();

// The process-wide default group, created on first use: backend "auto" picks "mpi" when
// launched_by_mpi() and "single" otherwise; "mpi" outside mpirun runs a world of one. MPI can be
// initialized only once per process, so later calls return the same group (asking for a
// different backend then throws). MPI is finalized at exit.
std::shared_ptr<ProcessGroup> init_process_group(const std::string& backend = "auto");
// The default group if one was created, else nullptr.
std::shared_ptr<ProcessGroup> default_process_group();
// A world of one, independent of the default group (tests, single-process tools).
std::shared_ptr<ProcessGroup> new_single_process_group();

// "single" and, when its plugin is found, "mpi" with the plugin's path (found, not loaded).
std::string available_backends();

// For a top-level error handler: when this process is one rank of several, prints
// "ember: rank R of N failed: <what>" to stderr and aborts the whole job with `code`;
// otherwise returns and the caller exits as usual.
void abort_job_on_error(const std::string& what, int code = 1);

}  // namespace ember::distributed
