// DDP's reducer. Per backward pass: each parameter's post-accumulate hook writes its gradient,
// divided by the world size, into its bucket; a bucket whose gradients are all in is allreduced
// without blocking, in bucket order; at the end of the pass the reducer waits for every bucket and
// writes the averages back into .grad.
#include "distributed/reducer.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::distributed::detail {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// The hook DDP adds to each parameter. A named type (not a lambda), so that remove_hooks() can
// find its own entries through std::function::target.
struct GradHook {
  const Reducer* owner;
  std::weak_ptr<Reducer> reducer;
  size_t index;
  void operator()(TensorImpl&) const {
    if (auto r = reducer.lock()) r->on_grad_ready(index);
  }
};

}  // namespace

Reducer::Reducer(std::vector<std::pair<std::string, Tensor>> params, std::shared_ptr<ProcessGroup> group,
                 DDPOptions options)
    : params_(std::move(params)), group_(std::move(group)), options_(options) {
  for (auto& [name, p] : params_)
    EMBER_CHECK(p.dtype() == kFloat32 || p.dtype() == kFloat64, "DistributedDataParallel", "parameter '", name,
                "' is ", dtype_name(p.dtype()), "; gradients are averaged in float32 or float64 only");
  ready_.assign(params_.size(), 0);
  used_.assign(params_.size(), 0);
  assign_buckets();
}

// PyTorch's compute_bucket_assignment_by_size: walk the parameters in reverse, one open bucket per
// dtype; a bucket closes once it holds at least its limit (first_bucket_cap_mb for each dtype's
// first bucket, bucket_cap_mb after). Buckets are then ordered by their first parameter.
void Reducer::assign_buckets() {
  const double first = std::min(options_.first_bucket_cap_mb, options_.bucket_cap_mb) * kMiB;
  const double cap = options_.bucket_cap_mb * kMiB;
  struct Open {
    std::vector<size_t> params;
    double bytes = 0;
    int closed = 0;
  };
  std::map<DType, Open> open;
  std::vector<std::pair<DType, std::vector<size_t>>> groups;
  for (size_t k = params_.size(); k-- > 0;) {
    const Tensor& p = params_[k].second;
    Open& o = open[p.dtype()];
    o.params.push_back(k);
    o.bytes += static_cast<double>(p.numel()) * static_cast<double>(p.element_size());
    if (o.bytes >= (o.closed == 0 ? first : cap)) {
      groups.emplace_back(p.dtype(), std::move(o.params));
      o.params.clear();
      o.bytes = 0;
      ++o.closed;
    }
  }
  for (auto& [dtype, o] : open)
    if (!o.params.empty()) groups.emplace_back(dtype, std::move(o.params));
  // Launch order: the bucket whose first parameter comes latest in the model goes first.
  std::stable_sort(groups.begin(), groups.end(), [](auto& a, auto& b) { return a.second.front() > b.second.front(); });

  where_.assign(params_.size(), {0, 0});
  for (auto& [dtype, members] : groups) {
    Bucket b;
    b.dtype = dtype;
    int64_t n = 0;
    for (size_t idx : members) {
      where_[idx] = {buckets_.size(), b.params.size()};
      b.params.push_back(idx);
      b.offsets.push_back(n);
      n += params_[idx].second.numel();
    }
    b.flat = zeros({n}, dtype);
    b.divisor = full({}, static_cast<double>(group_->size()), dtype);
    b.pending = b.params.size();
    stats_.bytes_per_iteration += n * static_cast<int64_t>(itemsize(dtype));
    buckets_.push_back(std::move(b));
  }
  stats_.buckets = static_cast<int64_t>(buckets_.size());
}

void Reducer::install_hooks() {
  for (size_t i = 0; i < params_.size(); ++i)
    params_[i].second.impl().post_accumulate_hooks.push_back(GradHook{this, weak_from_this(), i});
}

void Reducer::remove_hooks() {
  for (auto& [name, p] : params_) {
    auto& hooks = p.impl().post_accumulate_hooks;
    hooks.erase(std::remove_if(hooks.begin(), hooks.end(),
                               [this](const std::function<void(TensorImpl&)>& h) {
                                 auto* g = h.target<GradHook>();
                                 return g && g->owner == this;
                               }),
                hooks.end());
  }
}

std::vector<std::vector<std::string>> Reducer::bucket_names() const {
  std::vector<std::vector<std::string>> out;
  for (auto& b : buckets_) {
    out.emplace_back();
    for (size_t idx : b.params) out.back().push_back(params_[idx].first);
  }
  return out;
}

void Reducer::check_idle() const {
  EMBER_CHECK(!in_iteration_, "DistributedDataParallel",
              "the previous backward pass stopped before it finished averaging gradients (an exception interrupted "
              "it), so this rank's collectives are out of step with the other ranks'; the job cannot continue");
}

void Reducer::on_grad_ready(size_t index) {
  if (!sync_ || group_->size() == 1) return;  // no_sync(), or nothing to average with
  auto t0 = std::chrono::steady_clock::now();
  if (!in_iteration_) {
    in_iteration_ = true;
    std::weak_ptr<Reducer> self = weak_from_this();
    autograd::queue_callback([self] {
      if (auto r = self.lock()) r->finalize();
    });
  }
  EMBER_CHECK(!ready_[index], "DistributedDataParallel", "parameter '", params_[index].first,
              "' received a gradient twice in one backward pass; DDP averages each gradient once per pass "
              "(reentrant backward through the same parameters is not supported)");
  mark_ready(index, params_[index].second.grad());
  launch_ready_buckets();
  poll();
  hook_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Reducer::mark_ready(size_t index, const Tensor& grad) {
  NoGradGuard ng;
  auto [bi, pos] = where_[index];
  Bucket& b = buckets_[bi];
  const Tensor& p = params_[index].second;
  Tensor slice = b.flat.narrow(0, b.offsets[pos], p.numel());  // (numel,)
  if (grad.defined()) {
    // PyTorch divides before summing (the sum is then the average); here in the same pass as the
    // copy into the bucket, or in place when the gradient already is the bucket's view.
    Tensor dst = slice.view(p.shape());
    if (grad.dtype() == b.dtype)
      div_out(dst, grad, b.divisor);
    else
      dst.copy_(grad).div_(b.divisor);
    used_[index] = 1;
  } else {
    slice.zero_();  // find_unused_parameters: a parameter this rank did not use contributes zeros
  }
  ready_[index] = 1;
  --b.pending;
}

void Reducer::launch_ready_buckets() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
    Bucket& b = buckets_[next_launch_++];
    b.work = group_->allreduce_async(b.flat, ReduceOp::Sum);
  }
}

// Gives in-flight collectives a chance to progress (MPI moves non-blocking collectives forward
// inside its calls).
void Reducer::poll() {
  for (size_t i = 0; i < next_launch_; ++i)
    if (buckets_[i].work && buckets_[i].work->is_completed()) buckets_[i].work.reset();
}

void Reducer::finalize() {
  std::vector<std::string> missing;
  for (size_t i = 0; i < params_.size(); ++i)
    if (!ready_[i]) missing.push_back(params_[i].first);
  if (!missing.empty()) {
    if (!options_.find_unused_parameters) {
      std::string names;
      for (size_t i = 0; i < missing.size() && i < 8; ++i) names += (i ? ", '" : "'") + missing[i] + "'";
      if (missing.size() > 8) names += ", ...";
      reset_iteration();
      EMBER_FAIL("DistributedDataParallel", missing.size(), " parameter(s) received no gradient in this backward pass: ",
                 names, ". Their buckets can never be complete, so gradients cannot be averaged. Make every parameter "
                 "take part in the loss, freeze unused ones with requires_grad_(false) before wrapping the model, or "
                 "pass find_unused_parameters = true");
    }
    for (size_t i = 0; i < params_.size(); ++i)
      if (!ready_[i]) mark_ready(i, Tensor());
    launch_ready_buckets();
  }
  auto t0 = std::chrono::steady_clock::now();
  for (auto& b : buckets_)
    if (b.work) b.work->wait();
  std::vector<char> used = used_;
  if (options_.find_unused_parameters) {
    // Which parameters some rank used: the others keep their .grad as it was.
    Tensor flags = zeros({static_cast<int64_t>(params_.size())}, kInt32);
    int32_t* f = flags.data_ptr<int32_t>();
    for (size_t i = 0; i < params_.size(); ++i) f[i] = used_[i];
    group_->allreduce(flags, ReduceOp::Max);
    for (size_t i = 0; i < params_.size(); ++i) used[i] = static_cast<char>(f[i] != 0);
  }
  {
    NoGradGuard ng;
    for (size_t i = 0; i < params_.size(); ++i) {
      if (!used[i]) continue;
      auto [bi, pos] = where_[i];
      Tensor& p = params_[i].second;
      Tensor avg = buckets_[bi].flat.narrow(0, buckets_[bi].offsets[pos], p.numel()).view(p.shape());
      Tensor g = p.grad();
      if (options_.gradient_as_bucket_view) p.set_grad(avg);
      else if (g.defined()) g.copy_(avg);
      else p.set_grad(avg.clone());
    }
  }
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  stats_.iterations++;
  stats_.last_wait_seconds = waited;
  stats_.total_wait_seconds += waited;
  stats_.last_hook_seconds = hook_seconds_;
  stats_.total_hook_seconds += hook_seconds_;
  reset_iteration();
}

void Reducer::reset_iteration() {
  std::fill(ready_.begin(), ready_.end(), 0);
  std::fill(used_.begin(), used_.end(), 0);
  for (auto& b : buckets_) {
    b.pending = b.params.size();
    b.work.reset();  // one still in flight (an error path) is kept alive by the group until MPI is done
  }
  next_launch_ = 0;
  in_iteration_ = false;
  hook_seconds_ = 0;
}

}  // namespace ember::distributed::detail
