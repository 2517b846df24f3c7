// distributed::Context: process group, sampler, DDP and metric helpers for recipes.
#include "ember/distributed/context.h"

#include <ostream>
#include <streambuf>

#include "ember/distributed/sampler.h"
#include "ember/ops.h"

namespace ember::distributed {

namespace {
class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};
}  // namespace

Context Context::from_env() { return Context(init_process_group("auto")); }

Context::Context(std::shared_ptr<ProcessGroup> group) : group_(std::move(group)) {
  EMBER_CHECK(group_ != nullptr, "distributed::Context", "the process group is null");
}

std::ostream& Context::out(std::ostream& os) const {
  static NullBuffer buf;
  static std::ostream null_stream(&buf);
  return is_main() ? os : null_stream;
}

std::shared_ptr<DistributedDataParallel> Context::wrap(std::shared_ptr<nn::Module> model, DDPOptions options) const {
  return std::make_shared<DistributedDataParallel>(std::move(model), group_, options);
}

std::shared_ptr<const data::Sampler> Context::train_sampler(int64_t dataset_size, uint64_t seed, bool shuffle) const {
  return std::make_shared<DistributedSampler>(dataset_size, *group_,
                                              DistributedSamplerOptions{.shuffle = shuffle, .seed = seed});
}

std::shared_ptr<const data::Sampler> Context::eval_sampler(int64_t dataset_size) const {
  return std::make_shared<DistributedSampler>(dataset_size, *group_,
                                              DistributedSamplerOptions{.shuffle = false, .pad = false});
}

std::unique_ptr<optim::Optimizer> Context::make_optimizer(std::vector<Tensor> params, const ShardOptimizerFactory& make,
                                                          bool zero) const {
  if (zero) return std::make_unique<ZeroRedundancyOptimizer>(std::move(params), make, group_);
  auto opt = make(std::move(params));
  EMBER_CHECK(opt != nullptr, "distributed::Context::make_optimizer", "the factory returned no optimizer");
  return opt;
}

std::vector<double> Context::sum(std::vector<double> values) const {
  if (size() == 1 || values.empty()) return values;
  Tensor t = tensor<double>(values, {static_cast<int64_t>(values.size())});
  group_->allreduce(t, ReduceOp::Sum);
  return t.to_vector<double>();
}

std::vector<double> Context::mean(std::vector<double> values) const {
  values = sum(std::move(values));
  for (double& v : values) v /= size();
  return values;
}

double Context::max(double value) const {
  if (size() == 1) return value;
  Tensor t = tensor<double>({value}, {1});
  group_->allreduce(t, ReduceOp::Max);
  return t.item<double>();
}

}  // namespace ember::distributed
