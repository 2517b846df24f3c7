// ZeRO stage 1: each param group's parameters seen end to end, split into equal ranges, one inner
// optimizer per group over views of this rank's range, an allgather after each step.
#include "ember/distributed/zero.h"

#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember::distributed {

namespace {

constexpr const char* kName = "ZeroRedundancyOptimizer";

// Copies elements [begin, begin + dst.numel()) of the group's parameters (or gradients) laid end
// to end into dst (1-d); what lies past the end (padding) becomes zero.
void copy_flat_range(const std::vector<Tensor>& params, int64_t begin, const Tensor& dst, bool grads) {
  NoGradGuard ng;
  const int64_t len = dst.numel();
  int64_t off = 0, covered = 0;
  for (const Tensor& p : params) {
    const int64_t n = p.numel();
    const int64_t lo = std::max(begin, off), hi = std::min(begin + len, off + n);
    if (lo < hi) {
      Tensor src = grads ? p.grad() : p;
      Tensor part = dst.narrow(0, lo - begin, hi - lo);
      if (src.defined()) part.copy_(src.reshape({n}).narrow(0, lo - off, hi - lo));
      else part.zero_();
      covered = hi - begin;
    }
    off += n;
  }
  if (covered < len) dst.narrow(0, std::max<int64_t>(covered, 0), len - std::max<int64_t>(covered, 0)).zero_();
}

// The inverse: writes src (1-d) into elements [begin, begin + src.numel()) of the parameters laid
// end to end; what lies past their end (padding) is dropped.
void scatter_flat_range(const std::vector<Tensor>& params, int64_t begin, const Tensor& src) {
  NoGradGuard ng;
  const int64_t len = src.numel();
  int64_t off = 0;
  for (const Tensor& p : params) {
    const int64_t n = p.numel();
    const int64_t lo = std::max(begin, off), hi = std::min(begin + len, off + n);
    if (lo < hi) Tensor(p).view({n}).narrow(0, lo - off, hi - lo).copy_(src.narrow(0, lo - begin, hi - lo));
    off += n;
  }
}

// Elements of the buffer the updated ranges are gathered through, over all ranks: 4 MiB of
// float32, so the gather costs no memory that grows with the model (a whole-model buffer would
// cost more than sharding saves with 2 ranks), in pieces still large enough to move at full speed.
constexpr int64_t kGatherChunk = int64_t{1} << 20;

}  // namespace

struct ZeroRedundancyOptimizer::Init {
  std::shared_ptr<ProcessGroup> group;
  std::vector<optim::ParamGroup> groups;
  std::vector<Shard> shards;
  std::unique_ptr<optim::OptimizerOptions> defaults;

  static Init build(std::vector<optim::ParamGroup> groups, ShardOptimizerFactory make, std::shared_ptr<ProcessGroup> pg) {
    EMBER_CHECK(make != nullptr, kName, "the factory that builds the inner optimizer is empty");
    EMBER_CHECK(!groups.empty(), kName, "got an empty parameter list; pass the model's parameters");
    Init init;
    init.group = pg ? std::move(pg) : init_process_group();
    const int world = init.group->size(), rank = init.group->rank();
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      auto& params = groups[gi].params();
      EMBER_CHECK(!params.empty(), kName, "param group ", gi, " has an empty parameter list");
      Shard s;
      DType dtype = params[0].defined() ? params[0].dtype() : kFloat32;
      for (size_t i = 0; i < params.size(); ++i) {
        EMBER_CHECK(params[i].defined(), kName, "parameter ", i, " of param group ", gi, " is undefined");
        EMBER_CHECK(params[i].dtype() == dtype, kName, "param group ", gi, " mixes dtypes (parameter 0 is ",
                    dtype_name(dtype), ", parameter ", i, " is ", dtype_name(params[i].dtype()),
                    "); a group is sharded as one flat tensor, so put each dtype in its own group");
        s.numel += params[i].numel();
      }
      s.per_rank = std::max<int64_t>(1, (s.numel + world - 1) / world);
      // This rank's range [begin, begin + per_rank) cut at the parameters' boundaries.
      const int64_t begin = rank * s.per_rank, end = std::min(begin + s.per_rank, s.numel);
      std::vector<Tensor> views;
      int64_t off = 0;
      for (size_t i = 0; i < params.size(); ++i) {
        const int64_t n = params[i].numel(), lo = std::max(begin, off), hi = std::min(end, off + n);
        if (lo < hi) {
          EMBER_CHECK(params[i].is_contiguous(), kName, "parameter ", i, " of param group ", gi, " (shape ",
                      shape_str(params[i].shape()), ") is not contiguous; the shard's views need contiguous "
                      "parameters (make it contiguous before building the optimizer)");
          NoGradGuard ng;
          Tensor v = params[i].detach().view({n}).narrow(0, lo - off, hi - lo);  // aliases the parameter
          v.requires_grad_(true);
          s.pieces.push_back({i, lo - off, lo - begin, v});
          views.push_back(v);
        }
        off += n;
      }
      if (views.empty()) {
        s.placeholder = zeros({1}, dtype).requires_grad_(true);
        views.push_back(s.placeholder);
      }
      s.opt = make(views);
      EMBER_CHECK(s.opt != nullptr, kName, "the factory returned no optimizer for param group ", gi);
      bool same = s.opt->param_groups().size() == 1 && s.opt->param_groups()[0].params().size() == views.size();
      for (size_t k = 0; same && k < views.size(); ++k) same = s.opt->param_groups()[0].params()[k].is_same(views[k]);
      EMBER_CHECK(same, kName, "the factory must build its optimizer over exactly the shard tensors it is given, "
                  "in one param group");
      init.shards.push_back(std::move(s));
    }
    init.defaults = init.shards[0].opt->defaults().clone();
    init.groups = std::move(groups);
    return init;
  }
};

ZeroRedundancyOptimizer::ZeroRedundancyOptimizer(Init init)
    : Optimizer(kName, std::move(init.groups), *init.defaults), group_(std::move(init.group)),
      shards_(std::move(init.shards)) {}

ZeroRedundancyOptimizer::ZeroRedundancyOptimizer(std::vector<Tensor> params, ShardOptimizerFactory make,
                                                 std::shared_ptr<ProcessGroup> group)
    : ZeroRedundancyOptimizer(std::vector<optim::ParamGroup>{optim::ParamGroup(std::move(params))}, std::move(make),
                              std::move(group)) {}

ZeroRedundancyOptimizer::ZeroRedundancyOptimizer(std::vector<optim::ParamGroup> groups, ShardOptimizerFactory make,
                                                 std::shared_ptr<ProcessGroup> group)
    : ZeroRedundancyOptimizer(Init::build(std::move(groups), std::move(make), std::move(group))) {}

ZeroRedundancyOptimizer::~ZeroRedundancyOptimizer() = default;

int64_t ZeroRedundancyOptimizer::shard_numel(size_t g) const { return shards_.at(g).per_rank; }

void ZeroRedundancyOptimizer::update_group(optim::ParamGroup& group) {
  const size_t gi = static_cast<size_t>(&group - param_groups().data());
  Shard& s = shards_[gi];
  const auto& params = group.params();
  size_t with_grad = 0;
  for (auto& p : params) with_grad += p.grad().defined() ? 1 : 0;
  if (with_grad == 0) return;  // as every optimizer: no gradients, no update (the same on every rank)
  if (with_grad != params.size()) {
    size_t missing = 0;
    while (params[missing].grad().defined()) ++missing;
    EMBER_FAIL(kName, "parameter ", missing, " (shape ", shape_str(params[missing].shape()), ") of param group ", gi,
               " has no gradient while ", with_grad, " of the group's ", params.size(),
               " do; the group's shard steps as one tensor. Freeze parameters that are never used "
               "(requires_grad_(false)) or put them in a group of their own");
  }
  consolidated_.reset();
  // The views' gradients are views of the parameters' gradients: nothing is copied.
  for (Piece& pc : s.pieces) {
    const Tensor& g = params[pc.param].grad();
    Tensor flat = g.is_contiguous() ? g.view({g.numel()}) : g.reshape({g.numel()});
    pc.view.set_grad(flat.narrow(0, pc.offset, pc.view.numel()));
  }
  if (s.placeholder.defined()) s.placeholder.set_grad(zeros_like(s.placeholder));
  // Hyperparameters (a scheduler changes the outer group's lr) go to the inner optimizer.
  optim::OptimizerOptions& inner = s.opt->param_groups()[0].options();
  for (auto& [n, v] : group.options().values()) inner.set(n, v);
  s.opt->step();
  for (Piece& pc : s.pieces) pc.view.set_grad(Tensor());
  if (s.placeholder.defined()) s.placeholder.set_grad(Tensor());
  // Every rank's updated range, in chunks: piece [c0, c0 + len) of each rank's range is gathered
  // into (size, len) and written to the parameters at rank r's offset r * per_rank + c0 (this
  // rank's own part is already in place).
  NoGradGuard ng;
  const int world = group_->size(), rank = group_->rank();
  if (world == 1) return;
  const int64_t L = std::min(s.per_rank, std::max<int64_t>(1, kGatherChunk / world));
  const DType dtype = params[0].dtype();
  Tensor mine = empty({L}, dtype), gathered = empty({world * L}, dtype);  // (L,), (size * L,)
  for (int64_t c0 = 0; c0 < s.per_rank; c0 += L) {
    const int64_t len = std::min(L, s.per_rank - c0);
    Tensor in = mine.narrow(0, 0, len), out = gathered.narrow(0, 0, world * len);
    copy_flat_range(params, rank * s.per_rank + c0, in, false);
    group_->allgather(out, in);
    for (int r = 0; r < world; ++r)
      if (r != rank) scatter_flat_range(params, r * s.per_rank + c0, out.narrow(0, r * len, len));
  }
}

int64_t ZeroRedundancyOptimizer::local_state_bytes() const {
  int64_t bytes = 0;
  for (auto& s : shards_)
    for (const Tensor& v : s.opt->param_groups()[0].params())
      if (const optim::ParamState* st = s.opt->state(v))
        for (auto& [n, t] : *st) bytes += t.numel() * static_cast<int64_t>(t.element_size());
  return bytes;
}

optim::OptimizerStateDict ZeroRedundancyOptimizer::compute_state_dict() const {
  NoGradGuard ng;
  optim::OptimizerStateDict sd;
  sd.optimizer = shards_[0].opt->name();
  int64_t id = 0;
  for (size_t gi = 0; gi < shards_.size(); ++gi) {
    const Shard& s = shards_[gi];
    const auto& params = param_groups()[gi].params();
    optim::OptimizerStateDict::Group g;
    g.options = param_groups()[gi].options().values();
    if (param_groups()[gi].initial_lr) g.options.emplace_back("initial_lr", *param_groups()[gi].initial_lr);
    for (size_t i = 0; i < params.size(); ++i) g.params.push_back(id + static_cast<int64_t>(i));
    // Every view steps together, so the first one's state names are every view's (and every rank's).
    const Tensor& first = s.opt->param_groups()[0].params()[0];
    if (const optim::ParamState* st = s.opt->state(first)) {
      for (auto& [name, t] : *st) {
        if (name != "step") {  // sharded like the parameters: this rank's range, gathered, cut per parameter
          Tensor range = zeros({s.per_rank}, t.dtype());  // (per_rank,)
          for (const Piece& pc : s.pieces)
            range.narrow(0, pc.shard_at, pc.view.numel()).copy_(s.opt->state(pc.view)->at(name));
          Tensor full = empty({s.per_rank * group_->size()}, t.dtype());
          group_->allgather(full, range);
          int64_t off = 0;
          for (size_t i = 0; i < params.size(); ++i) {
            sd.state[id + static_cast<int64_t>(i)][name] = full.narrow(0, off, params[i].numel()).view(params[i].shape()).clone();
            off += params[i].numel();
          }
        } else {  // the per-tensor step counter: the same for every parameter of the group
          for (size_t i = 0; i < params.size(); ++i) sd.state[id + static_cast<int64_t>(i)][name] = t.clone();
        }
      }
    }
    id += static_cast<int64_t>(params.size());
    sd.param_groups.push_back(std::move(g));
  }
  return sd;
}

void ZeroRedundancyOptimizer::consolidate_state_dict() { consolidated_ = compute_state_dict(); }

optim::OptimizerStateDict ZeroRedundancyOptimizer::state_dict() const {
  if (consolidated_) return *consolidated_;
  if (group_->size() == 1) return compute_state_dict();
  EMBER_FAIL(kName, "state_dict() needs the state gathered from every rank first: call consolidate_state_dict() on "
             "every rank (a collective), then state_dict() before the next step");
}

void ZeroRedundancyOptimizer::load_state_dict(const optim::OptimizerStateDict& sd) {
  const std::string op = std::string(kName) + " load_state_dict";
  const std::string inner_name = shards_[0].opt->name();
  EMBER_CHECK(sd.optimizer.empty() || sd.optimizer == inner_name, op, "the state dict was saved by ", sd.optimizer,
              ", but the shards use ", inner_name);
  EMBER_CHECK(sd.param_groups.size() == shards_.size(), op, "the state dict has ", sd.param_groups.size(),
              " param groups but the optimizer has ", shards_.size());
  NoGradGuard ng;
  std::vector<optim::OptimizerStateDict> inner(shards_.size());
  for (size_t gi = 0; gi < shards_.size(); ++gi) {
    const Shard& s = shards_[gi];
    const auto& params = param_groups()[gi].params();
    const auto& saved = sd.param_groups[gi];
    EMBER_CHECK(saved.params.size() == params.size(), op, "param group ", gi, " has ", params.size(),
                " parameters but the state dict's group has ", saved.params.size());
    optim::OptimizerStateDict& isd = inner[gi];
    isd.optimizer = inner_name;
    const int64_t views = static_cast<int64_t>(s.opt->param_groups()[0].params().size());
    isd.param_groups.push_back({saved.options, {}});
    for (int64_t k = 0; k < views; ++k) isd.param_groups.back().params.push_back(k);
    // The group steps as one shard: every parameter has state or none has, with the same names.
    const std::map<std::string, Tensor>* first = nullptr;
    for (size_t i = 0; i < params.size(); ++i) {
      auto it = sd.state.find(saved.params[i]);
      const std::map<std::string, Tensor>* st = it == sd.state.end() ? nullptr : &it->second;
      if (i == 0) first = st;
      bool same = (st == nullptr) == (first == nullptr);
      if (same && st)
        for (auto a = st->begin(), b = first->begin(); same && a != st->end(); ++a, ++b)
          same = b != first->end() && a->first == b->first;
      EMBER_CHECK(same && (!st || st->size() == first->size()), op, "parameter ", saved.params[i], " of param group ",
                  gi, " has different state entries than parameter ", saved.params[0],
                  "; a sharded group needs the same state for all its parameters");
    }
    if (!first) continue;
    const int64_t begin = group_->rank() * s.per_rank;
    for (auto& [name, t0] : *first) {
      if (name == "step") {  // the per-tensor counter (optim::Optimizer's one non-elementwise state)
        for (int64_t k = 0; k < views; ++k) isd.state[k][name] = t0.clone();
        continue;
      }
      std::vector<Tensor> parts;
      for (size_t i = 0; i < params.size(); ++i) {
        const Tensor& t = sd.state.at(saved.params[i]).at(name);
        EMBER_CHECK(t.shape() == params[i].shape(), op, "state '", name, "' of parameter ", saved.params[i], " has shape ",
                    shape_str(t.shape()), " but the parameter has shape ", shape_str(params[i].shape()));
        parts.push_back(t.detach());
      }
      Tensor range = zeros({s.per_rank}, t0.dtype());  // (per_rank,)
      // Fake "parameters" holding the state values, so the flat-range copy can cut this rank's range.
      copy_flat_range(parts, begin, range, false);
      for (size_t k = 0; k < s.pieces.size(); ++k) {
        const Piece& pc = s.pieces[k];
        isd.state[static_cast<int64_t>(k)][name] = range.narrow(0, pc.shard_at, pc.view.numel()).clone();
      }
      if (s.placeholder.defined()) isd.state[0][name] = zeros({1}, t0.dtype());
    }
  }
  for (size_t gi = 0; gi < shards_.size(); ++gi) shards_[gi].opt->load_state_dict(inner[gi]);
  for (size_t gi = 0; gi < shards_.size(); ++gi) {
    auto& g = param_groups()[gi];
    for (auto& [n, v] : sd.param_groups[gi].options) {
      if (n == "initial_lr") g.initial_lr = v;
      else g.options().set(n, v);
    }
  }
  consolidated_.reset();
}

}  // namespace ember::distributed
