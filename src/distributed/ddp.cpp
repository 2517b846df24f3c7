// DistributedDataParallel: the module wrapper, the model check across ranks and coalesced
// broadcasts. The gradient averaging itself is in reducer.cpp.
#include "ember/distributed/ddp.h"

#include <map>
#include <sstream>

#include "distributed/agree.h"
#include "distributed/reducer.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::distributed {

namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string line; std::getline(is, line);) out.push_back(line);
  return out;
}

}  // namespace

void check_same_across_ranks(ProcessGroup& group, const std::vector<std::pair<std::string, Tensor>>& entries,
                             const char* who) {
  if (group.size() == 1) return;
  std::string sig;
  for (auto& [name, t] : entries) sig += name + " " + dtype_name(t.dtype()) + " " + shape_str(t.shape()) + "\n";
  NoGradGuard ng;
  const std::vector<int> differ = detail::ranks_differing_from_0(group, sig);
  if (differ.empty()) return;
  // Every rank fetches every description, so every rank throws the same message.
  std::vector<std::string> sigs = detail::allgather_strings(group, sig);
  int k = differ.front();
  auto a = lines_of(sigs[0]), b = lines_of(sigs[static_cast<size_t>(k)]);
  size_t j = 0;
  while (j < a.size() && j < b.size() && a[j] == b[j]) ++j;
  std::string ranks;
  for (size_t i = 0; i < differ.size(); ++i) ranks += (i ? ", " : "") + std::to_string(differ[i]);
  std::string detail;
  if (j < a.size() && j < b.size())
    detail = ::ember::detail::str_cat("entry ", j + 1, ": rank 0 has '", a[j], "', rank ", k, " has '", b[j], "'");
  else if (j < a.size())
    detail = ::ember::detail::str_cat("rank 0 has ", a.size(), " entries, rank ", k, " only ", b.size(), "; rank ", k,
                             " lacks '", a[j], "'");
  else
    detail = ::ember::detail::str_cat("rank ", k, " has ", b.size(), " entries, rank 0 only ", a.size(), "; rank 0 lacks '",
                             b[j], "'");
  EMBER_FAIL(who, "the model on rank(s) ", ranks, " differs from rank 0's (parameters and buffers as 'name dtype "
             "shape'): ", detail, ". Every rank must build the same model before the first broadcast.");
}

void broadcast_coalesced(ProcessGroup& group, const std::vector<Tensor>& tensors, int root) {
  if (group.size() == 1) return;
  NoGradGuard ng;
  std::map<DType, std::vector<Tensor>> by_dtype;
  std::vector<DType> order;
  for (auto& t : tensors) {
    if (!by_dtype.count(t.dtype())) order.push_back(t.dtype());
    by_dtype[t.dtype()].push_back(t);
  }
  for (DType d : order) {
    std::vector<Tensor>& ts = by_dtype[d];
    std::vector<Tensor> flat;
    for (auto& t : ts) flat.push_back(t.reshape({t.numel()}));
    Tensor buf = cat(flat, 0);  // (sum of numel,)
    group.broadcast(buf, root);
    int64_t off = 0;
    for (auto& t : ts) {
      Tensor(t).copy_(buf.narrow(0, off, t.numel()).view(t.shape()));
      off += t.numel();
    }
  }
}

DistributedDataParallel::DistributedDataParallel(std::shared_ptr<nn::Module> module, std::shared_ptr<ProcessGroup> group,
                                                 DDPOptions options)
    : module_(std::move(module)), group_(std::move(group)), options_(options) {
  EMBER_CHECK(module_ != nullptr, "DistributedDataParallel", "the module to wrap is null");
  EMBER_CHECK(options_.bucket_cap_mb > 0, "DistributedDataParallel", "bucket_cap_mb must be positive, got ",
              options_.bucket_cap_mb);
  EMBER_CHECK(options_.first_bucket_cap_mb > 0, "DistributedDataParallel", "first_bucket_cap_mb must be positive, got ",
              options_.first_bucket_cap_mb);
  if (!group_) group_ = init_process_group();
  register_module("module", module_);
  training_ = module_->is_training();

  std::vector<std::pair<std::string, Tensor>> entries, trainable;
  std::vector<Tensor> state;
  for (auto& [name, p] : module_->named_parameters()) {
    entries.emplace_back("parameter " + name, p);
    state.push_back(p);
    if (p.requires_grad()) trainable.emplace_back(name, p);
  }
  for (auto& [name, b] : module_->named_buffers()) {
    entries.emplace_back("buffer " + name, b);
    state.push_back(b);
  }
  check_same_across_ranks(*group_, entries, "DistributedDataParallel");
  broadcast_coalesced(*group_, state, 0);
  reducer_ = std::make_shared<detail::Reducer>(std::move(trainable), group_, options_);
  reducer_->install_hooks();
}

DistributedDataParallel::~DistributedDataParallel() {
  if (reducer_) reducer_->remove_hooks();
}

void DistributedDataParallel::sync_buffers() { broadcast_coalesced(*group_, module_->buffers(), 0); }

void DistributedDataParallel::pre_forward() {
  if (group_->size() == 1) return;
  reducer_->check_idle();
  if (options_.broadcast_buffers && module_->is_training() && GradMode::is_enabled()) sync_buffers();
}

Tensor DistributedDataParallel::forward(const Tensor& x) {
  pre_forward();
  return module_->forward(x);
}

DistributedDataParallel::NoSync DistributedDataParallel::no_sync() {
  bool prev = reducer_->sync_enabled();
  reducer_->set_sync_enabled(false);
  return NoSync(this, prev);
}

DistributedDataParallel::NoSync::~NoSync() {
  if (ddp_) ddp_->reducer_->set_sync_enabled(prev_);
}

const DDPStats& DistributedDataParallel::stats() const { return reducer_->stats(); }

std::vector<std::vector<std::string>> DistributedDataParallel::bucket_parameter_names() const {
  return reducer_->bucket_names();
}

}  // namespace ember::distributed
