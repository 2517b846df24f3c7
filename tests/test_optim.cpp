// Optimizers against PyTorch trajectories, state-dict resume, bad input; gradient clipping and the
// L1 penalty against PyTorch.
#include <gtest/gtest.h>

#include <filesystem>

#include "op_registry.h"
#include "optim_golden.h"

using namespace ember;
using json = nlohmann::json;
using ember::test::expect_close;
using ember::test::golden_tensor;
using ember::test::optim_golden;

namespace {

// ---- golden trajectories ----

struct OptCase {
  json j;
};
void PrintTo(const OptCase& c, std::ostream* os) { *os << c.j.at("name"); }

std::vector<OptCase> opt_cases() {
  std::vector<OptCase> out;
  for (auto& c : optim_golden().at("optimizers")) out.push_back({c});
  return out;
}

// The case's parameters (leaves requiring grad) and its per-step noise.
struct Trajectory {
  DType dt;
  std::vector<Tensor> params;
  std::vector<std::vector<Tensor>> noise;
};
Trajectory setup(const json& c) {
  Trajectory s;
  s.dt = c.at("dtype") == "float64" ? kFloat64 : kFloat32;
  for (auto& p : c.at("params")) s.params.push_back(golden_tensor(p, s.dt).requires_grad_());
  for (auto& step : c.at("noise")) {
    s.noise.emplace_back();
    for (auto& n : step) s.noise.back().push_back(golden_tensor(n, s.dt));
  }
  return s;
}

// Sets the gradients of step `s` as the generator did: k * p + noise, or none where listed.
void set_grads(const json& c, const Trajectory& st, int s) {
  NoGradGuard ng;
  const double k = c.at("k");
  for (size_t i = 0; i < st.params.size(); ++i) {
    bool skip = false;
    for (auto& sk : c.at("skip")) skip |= sk[0] == s && sk[1] == static_cast<int>(i);
    Tensor p = st.params[i];
    p.set_grad(skip ? Tensor() : p.detach() * k + st.noise[s][i]);
  }
}

std::unique_ptr<optim::Optimizer> build(const json& c, const std::vector<Tensor>& params) {
  auto defaults = test::make_options(c.at("optimizer"), c.at("options"));
  return test::make_optimizer(c.at("optimizer"), test::make_groups(c, params), *defaults);
}

class OptimGolden : public ::testing::TestWithParam<OptCase> {};

TEST_P(OptimGolden, MatchesPyTorchEveryStep) {
  const json& c = GetParam().j;
  Trajectory st = setup(c);
  auto opt = build(c, st.params);
  const bool f64 = st.dt == kFloat64;
  const double rtol = f64 ? 1e-10 : 1e-5, atol = f64 ? 1e-12 : 1e-6;
  for (int s = 0; s < static_cast<int>(c.at("expected").size()); ++s) {
    set_grads(c, st, s);
    opt->step();
    for (size_t i = 0; i < st.params.size(); ++i)
      expect_close(st.params[i], c.at("expected")[s][i], rtol, atol,
                   c.at("name").get<std::string>() + " step " + std::to_string(s + 1) + " param " + std::to_string(i));
  }
}

std::string case_name(const ::testing::TestParamInfo<OptCase>& info) { return info.param.j.at("name"); }
INSTANTIATE_TEST_SUITE_P(Optim, OptimGolden, ::testing::ValuesIn(opt_cases()), case_name);

// ---- state dict: 3 steps, save, load into a fresh optimizer, 2 more == 5 uninterrupted ----

bool bit_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.raw_data(), y.raw_data(), x.numel() * x.element_size()) == 0;
}

std::vector<Tensor> clone_params(const std::vector<Tensor>& ps) {
  std::vector<Tensor> out;
  for (auto& p : ps) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

// through_file: the state dict and parameters go through a safetensors checkpoint.
void check_resume(const json& c, bool through_file) {
  SCOPED_TRACE(c.at("name").get<std::string>());
  Trajectory straight = setup(c);
  auto opt = build(c, straight.params);
  for (int s = 0; s < 5; ++s) set_grads(c, straight, s), opt->step();

  Trajectory first = setup(c);
  auto opt1 = build(c, first.params);
  for (int s = 0; s < 3; ++s) set_grads(c, first, s), opt1->step();
  optim::OptimizerStateDict sd = opt1->state_dict();
  Trajectory second = setup(c);
  second.params = clone_params(first.params);
  if (through_file) {
    auto dir = std::filesystem::temp_directory_path() / ("ember_optim_resume_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    io::NamedTensors named = optim::flatten_state_dict(sd, "optimizer.");
    for (size_t i = 0; i < first.params.size(); ++i) named.emplace_back("model.p" + std::to_string(i), first.params[i]);
    const std::string path = (dir / "ckpt.safetensors").string();
    io::save_safetensors(path, named, {{"step", "3"}});
    io::SafetensorsFile f = io::load_safetensors(path);
    std::filesystem::remove_all(dir);
    sd = optim::unflatten_state_dict(f.tensors, "optimizer.");
    for (size_t i = 0; i < second.params.size(); ++i)
      second.params[i] = f.at("model.p" + std::to_string(i)).clone().requires_grad_();
  }
  opt1.reset();  // the snapshot must not depend on the optimizer it came from
  // The fresh optimizer starts with different hyperparameters: loading must restore them.
  json other = c;
  for (auto& [k, v] : other["options"].items())
    if (k == "lr") v = 0.5;
  auto opt2 = build(other, second.params);
  opt2->load_state_dict(sd);
  for (int s = 3; s < 5; ++s) set_grads(c, second, s), opt2->step();
  for (size_t i = 0; i < straight.params.size(); ++i)
    EXPECT_TRUE(bit_equal(second.params[i], straight.params[i])) << "param " << i;
  auto a = opt->state_dict(), b = opt2->state_dict();
  ASSERT_EQ(a.state.size(), b.state.size());
  for (auto& [id, entries] : a.state)
    for (auto& [n, t] : entries) EXPECT_TRUE(bit_equal(t, b.state.at(id).at(n))) << "state " << id << " " << n;
}

TEST(OptimStateDict, ResumesBitExactly) {
  for (const char* name : {"gd", "sgd_momentum", "sgd_nesterov_wd", "sgd_two_groups", "adam", "adam_amsgrad_wd",
                           "adamw_amsgrad", "adamw_two_groups", "rmsprop_centered_momentum_wd", "rmsprop_momentum",
                           "adagrad_decay_init_wd", "adam_float64"})
    for (auto& c : optim_golden().at("optimizers"))
      if (c.at("name") == name) check_resume(c, false);
}

TEST(OptimStateDict, ResumesBitExactlyThroughSafetensors) {
  for (const char* name : {"sgd_two_groups", "adam_amsgrad_wd", "rmsprop_centered_momentum_wd", "adagrad_decay_init_wd"})
    for (auto& c : optim_golden().at("optimizers"))
      if (c.at("name") == name) check_resume(c, true);
}

TEST(OptimStateDict, CapturesGroupsAndState) {
  Tensor w = ones({2, 2}).requires_grad_(), b = ones({3}).requires_grad_();
  optim::Adam opt({optim::ParamGroup({w}), optim::ParamGroup({b}, optim::AdamOptions(0.5).amsgrad(true))},
                  optim::AdamOptions(0.1).betas(0.8, 0.9));
  w.set_grad(full({2, 2}, 0.5));  // b has no gradient: it gets no state
  opt.step();
  auto sd = opt.state_dict();
  EXPECT_EQ(sd.optimizer, "Adam");
  ASSERT_EQ(sd.param_groups.size(), 2u);
  EXPECT_EQ(sd.param_groups[0].params, std::vector<int64_t>{0});
  EXPECT_EQ(sd.param_groups[1].params, std::vector<int64_t>{1});
  auto get = [](const optim::OptimizerStateDict::Group& g, const std::string& k) {
    for (auto& [n, v] : g.options)
      if (n == k) return v;
    return -1.0;
  };
  EXPECT_EQ(get(sd.param_groups[0], "lr"), 0.1);
  EXPECT_EQ(get(sd.param_groups[1], "lr"), 0.5);
  EXPECT_EQ(get(sd.param_groups[1], "beta1"), 0.8);  // inherited from the defaults
  EXPECT_EQ(get(sd.param_groups[1], "amsgrad"), 1.0);
  ASSERT_EQ(sd.state.size(), 1u);
  EXPECT_EQ(sd.state.at(0).at("step").item<double>(), 1.0);
  EXPECT_EQ(sd.state.at(0).count("exp_avg"), 1u);
  EXPECT_EQ(sd.state.at(0).count("max_exp_avg_sq"), 0u);
  // A snapshot: later steps do not change it.
  double before = sd.state.at(0).at("exp_avg").to_vector<double>()[0];
  opt.step();
  EXPECT_EQ(sd.state.at(0).at("exp_avg").to_vector<double>()[0], before);
}

// ---- behaviour ----

TEST(Optim, ZeroGrad) {
  Tensor w = ones({3}).requires_grad_();
  optim::SGD opt({w}, optim::SGDOptions(0.1));
  (w * w).sum().backward();
  opt.zero_grad(false);
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().to_vector<float>(), std::vector<float>(3, 0.f));
  opt.zero_grad();
  EXPECT_FALSE(w.grad().defined());
  opt.step();  // no gradient: nothing happens
  EXPECT_EQ(w.to_vector<float>(), std::vector<float>(3, 1.f));
}

TEST(Optim, StepWithClosureReturnsLossAndUpdates) {
  Tensor w = tensor({1.f, -2.f}).requires_grad_();
  optim::SGD opt({w}, optim::SGDOptions(0.25));
  Tensor loss = opt.step([&] {
    opt.zero_grad();
    Tensor l = (w * w).sum();
    l.backward();
    return l;
  });
  EXPECT_FLOAT_EQ(loss.item<float>(), 5.f);
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{0.5f, -1.f}));  // w - 0.25 * 2w
  EXPECT_FALSE(w.grad_fn());
}

TEST(Optim, ParamGroupsInheritUnsetOptions) {
  Tensor a = ones({2}).requires_grad_(), b = ones({2}).requires_grad_(), c = ones({2}).requires_grad_();
  optim::SGD opt({optim::ParamGroup({a}), optim::ParamGroup({b}, optim::SGDOptions().nesterov(true))},
                 optim::SGDOptions(0.1).momentum(0.9));
  auto& g1 = opt.param_groups()[1].options_as<optim::SGDOptions>();
  EXPECT_EQ(g1.lr(), 0.1);
  EXPECT_EQ(g1.momentum(), 0.9);
  EXPECT_TRUE(g1.nesterov());
  opt.add_param_group(optim::ParamGroup({c}, optim::SGDOptions(0.01)));
  ASSERT_EQ(opt.param_groups().size(), 3u);
  EXPECT_EQ(opt.param_groups()[2].lr(), 0.01);
  EXPECT_EQ(opt.param_groups()[2].options_as<optim::SGDOptions>().momentum(), 0.9);
  opt.param_groups()[0].set_lr(0.2);
  EXPECT_EQ(opt.param_groups()[0].options_as<optim::SGDOptions>().lr(), 0.2);
}

TEST(Optim, StateBuffersAndParamStayInPlace) {
  Tensor w = randn({64, 64}).requires_grad_();
  optim::Adam opt({w}, optim::AdamOptions(1e-3).amsgrad(true));
  void* pdata = w.raw_data();
  w.set_grad(randn({64, 64}));
  opt.step();
  const auto* st = opt.state(w);
  ASSERT_NE(st, nullptr);
  void* m = st->at("exp_avg").raw_data();
  void* v = st->at("max_exp_avg_sq").raw_data();
  uint64_t version = w.version();
  for (int i = 0; i < 3; ++i) opt.step();
  EXPECT_EQ(w.raw_data(), pdata);
  EXPECT_EQ(opt.state(w)->at("exp_avg").raw_data(), m);
  EXPECT_EQ(opt.state(w)->at("max_exp_avg_sq").raw_data(), v);
  EXPECT_EQ(w.version(), version + 3);  // in-place writes bump the version counter
}

TEST(Optim, NonContiguousParameterMatchesContiguous) {
  Tensor base = randn({4, 3});
  Tensor a = base.t().requires_grad_();           // (3, 4) view with strides (1, 3)
  Tensor b = base.t().contiguous().requires_grad_();
  ASSERT_FALSE(a.is_contiguous());
  optim::RMSprop oa({a}, optim::RMSpropOptions(0.01).momentum(0.9).centered(true));
  optim::RMSprop ob({b}, optim::RMSpropOptions(0.01).momentum(0.9).centered(true));
  for (int s = 0; s < 3; ++s) {
    Tensor g = randn({3, 4});
    a.set_grad(g.t().contiguous().t());  // a non-contiguous gradient too
    b.set_grad(g.clone());
    oa.step(), ob.step();
  }
  EXPECT_TRUE(equal(a, b));
  EXPECT_TRUE(equal(base.t(), b));  // the update went through the view into its storage
}

TEST(Optim, LargeParameterIsThreadCountIndependent) {
  // Above the parallel threshold the fused kernels split the work; results must not change.
  const int64_t n = 300000;
  auto run = [&](int threads) {
    set_num_threads(threads);
    Generator gen(7);
    Tensor w = randn({n}, {}, &gen).requires_grad_();
    optim::AdamW opt({w}, optim::AdamWOptions(1e-2).amsgrad(true));
    for (int s = 0; s < 2; ++s) {
      w.set_grad(randn({n}, {}, &gen));
      opt.step();
    }
    return w.detach().clone();
  };
  int before = get_num_threads();
  Tensor one = run(1), two = run(2);
  set_num_threads(before);
  EXPECT_TRUE(bit_equal(one, two));
}

// ---- bad input ----

TEST(OptimErrors, InvalidOptions) {
  Tensor w = ones({2}).requires_grad_();
  EXPECT_EMBER_ERROR(optim::SGD({w}, optim::SGDOptions(-0.1)), "SGD", "lr", "-0.1");
  EXPECT_EMBER_ERROR(optim::SGD({w}, optim::SGDOptions()), "SGD", "lr is required");
  EXPECT_EMBER_ERROR(optim::GD({w}, optim::GDOptions(-1)), "GD", "lr");
  EXPECT_EMBER_ERROR(optim::SGD({w}, optim::SGDOptions(0.1).momentum(0.9).nesterov(true).dampening(0.1)), "SGD",
                     "nesterov", "dampening");
  EXPECT_EMBER_ERROR(optim::SGD({w}, optim::SGDOptions(0.1).nesterov(true)), "SGD", "nesterov", "momentum");
  EXPECT_EMBER_ERROR(optim::SGD({w}, optim::SGDOptions(0.1).momentum(-0.5)), "SGD", "momentum");
  EXPECT_EMBER_ERROR(optim::Adam({w}, optim::AdamOptions().betas(1.0, 0.999)), "Adam", "beta1", "[0, 1)");
  EXPECT_EMBER_ERROR(optim::Adam({w}, optim::AdamOptions().betas(0.9, -0.1)), "Adam", "beta2");
  EXPECT_EMBER_ERROR(optim::AdamW({w}, optim::AdamWOptions().eps(-1e-8)), "AdamW", "eps");
  EXPECT_EMBER_ERROR(optim::AdamW({w}, optim::AdamWOptions().weight_decay(-1)), "AdamW", "weight_decay");
  EXPECT_EMBER_ERROR(optim::RMSprop({w}, optim::RMSpropOptions().alpha(-0.1)), "RMSprop", "alpha");
  EXPECT_EMBER_ERROR(optim::Adagrad({w}, optim::AdagradOptions().lr_decay(-1)), "Adagrad", "lr_decay");
  EXPECT_EMBER_ERROR(optim::Adagrad({w}, optim::AdagradOptions().initial_accumulator_value(-1)), "Adagrad",
                     "initial_accumulator_value");
  EXPECT_EMBER_ERROR(optim::Adam({w}, optim::AdamOptions(std::nan(""))), "Adam", "lr");
  // A group's own options are validated too.
  EXPECT_EMBER_ERROR(optim::SGD({optim::ParamGroup({w}, optim::SGDOptions(-2))}, optim::SGDOptions(0.1)), "SGD", "lr");
  optim::SGDOptions o(0.1);
  EXPECT_EMBER_ERROR(o.set("nesterov", 0.5), "nesterov", "0 or 1");
  EXPECT_FALSE(o.set("betas", 0.5));
  EXPECT_EMBER_ERROR(o.get("betas"), "betas");
}

TEST(OptimErrors, BadParameters) {
  Tensor frozen = ones({2, 3});
  EXPECT_EMBER_ERROR(optim::Adam({frozen}), "Adam", "parameter 0", "does not require grad", "requires_grad_()");
  Tensor w = ones({2}).requires_grad_();
  EXPECT_EMBER_ERROR(optim::SGD({w, w}, optim::SGDOptions(0.1)), "SGD", "more than once");
  EXPECT_EMBER_ERROR(optim::SGD({w * 2}, optim::SGDOptions(0.1)), "SGD", "leaf");
  EXPECT_EMBER_ERROR(optim::SGD(std::vector<Tensor>{}, optim::SGDOptions(0.1)), "SGD", "empty");
  EXPECT_EMBER_ERROR(optim::SGD({Tensor()}, optim::SGDOptions(0.1)), "SGD", "undefined");
  EXPECT_EMBER_ERROR(optim::SGD({ones({2}, kInt64)}, optim::SGDOptions(0.1)), "SGD", "int64");
  optim::SGD opt({w}, optim::SGDOptions(0.1));
  EXPECT_EMBER_ERROR(opt.add_param_group(optim::ParamGroup({w})), "SGD", "more than once");
  Tensor v = ones({2}).requires_grad_();
  EXPECT_EMBER_ERROR(opt.add_param_group(optim::ParamGroup({v}, optim::AdamOptions())), "SGD", "another optimizer");
  EXPECT_EMBER_ERROR(opt.param_groups()[0].options_as<optim::AdamOptions>(), "ParamGroup");
}

TEST(OptimErrors, LoadStateDictMismatch) {
  Tensor w = ones({2, 2}).requires_grad_(), b = ones({3}).requires_grad_();
  optim::Adam opt({w, b});
  w.set_grad(ones({2, 2})), b.set_grad(ones({3}));
  opt.step();
  auto sd = opt.state_dict();
  Tensor w2 = ones({2, 2}).requires_grad_(), b2 = ones({3}).requires_grad_();
  {  // different number of groups
    optim::Adam other({optim::ParamGroup({w2}), optim::ParamGroup({b2})});
    EXPECT_EMBER_ERROR(other.load_state_dict(sd), "Adam", "load_state_dict", "1 param groups", "optimizer has 2");
  }
  {  // different group size
    optim::Adam other({w2});
    EXPECT_EMBER_ERROR(other.load_state_dict(sd), "Adam", "1 parameters", "2");
  }
  {  // different shapes
    Tensor w3 = ones({4}).requires_grad_();
    optim::Adam other({w3, b2});
    EXPECT_EMBER_ERROR(other.load_state_dict(sd), "Adam", "exp_avg", "[2, 2]", "[4]");
    EXPECT_EQ(other.state(w3), nullptr);  // a failed load changes nothing
  }
  {  // another optimizer's state
    optim::SGD other({w2, b2}, optim::SGDOptions(0.1));
    EXPECT_EMBER_ERROR(other.load_state_dict(sd), "SGD", "saved by Adam");
    auto anon = sd;
    anon.optimizer.clear();
    EXPECT_EMBER_ERROR(other.load_state_dict(anon), "SGD", "option 'beta1'");
  }
  {  // invalid hyperparameter in the state dict
    auto bad = sd;
    for (auto& [n, v] : bad.param_groups[0].options)
      if (n == "beta2") v = 1.5;
    optim::Adam other({w2, b2});
    EXPECT_EMBER_ERROR(other.load_state_dict(bad), "Adam", "beta2", "1.5");
    EXPECT_EQ(other.param_groups()[0].options_as<optim::AdamOptions>().beta2(), 0.999);
  }
  {  // unknown state name, state for a parameter id in no group
    auto bad = sd;
    bad.state[0]["momentum_buffer"] = zeros({2, 2});
    optim::Adam other({w2, b2});
    EXPECT_EMBER_ERROR(other.load_state_dict(bad), "Adam", "momentum_buffer");
    bad = sd;
    bad.state[7] = bad.state[0];
    EXPECT_EMBER_ERROR(other.load_state_dict(bad), "Adam", "parameter id 7");
  }
  EXPECT_EMBER_ERROR(optim::unflatten_state_dict({{"param_groups.x.lr", scalar_tensor(0.1)}}), "unflatten_state_dict",
                     "param_groups.x.lr");
  EXPECT_EMBER_ERROR(optim::unflatten_state_dict({{"param_groups.0.lr", scalar_tensor(0.1)}}), "unflatten_state_dict",
                     "params");
  EXPECT_EMBER_ERROR(optim::unflatten_state_dict({{"weights", scalar_tensor(0.1)}}), "unflatten_state_dict", "weights");
}

// ---- gradient clipping and L1 penalty against PyTorch ----

TEST(ClipGradNorm, MatchesPyTorch) {
  for (auto& c : optim_golden().at("clip")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    std::vector<Tensor> ps;
    for (auto& g : c.at("grads")) {
      Tensor p = zeros(g.at("shape").get<Shape>()).requires_grad_();
      p.set_grad(golden_tensor(g));
      ps.push_back(p);
    }
    ps.push_back(zeros({2}).requires_grad_());  // no gradient: ignored
    double norm_type = c.at("norm_type").is_string() ? nn::utils::kInfNorm : c.at("norm_type").get<double>();
    double total = nn::utils::clip_grad_norm_(ps, c.at("max_norm"), norm_type);
    EXPECT_NEAR(total, c.at("total_norm").get<double>(), 1e-5 * c.at("total_norm").get<double>());
    for (size_t i = 0; i < c.at("clipped").size(); ++i) expect_close(ps[i].grad(), c.at("clipped")[i], 1e-5, 1e-6, "grad");
    EXPECT_FALSE(ps.back().grad().defined());
  }
}

TEST(ClipGradNorm, EdgeCasesAndErrors) {
  Tensor p = zeros({2}).requires_grad_();
  EXPECT_EQ(nn::utils::clip_grad_norm_({p}, 1.0), 0.0);  // no gradients
  p.set_grad(tensor({3.f, 4.f}));
  EXPECT_EMBER_ERROR(nn::utils::clip_grad_norm_({p}, 1.0, 0.0), "clip_grad_norm_", "norm_type");
  EXPECT_EMBER_ERROR(nn::utils::clip_grad_norm_({p}, -1.0), "clip_grad_norm_", "max_norm");
  p.set_grad(tensor({3.f, std::nanf("")}));
  EXPECT_EMBER_ERROR(nn::utils::clip_grad_norm_({p}, 1.0, 2.0, true), "clip_grad_norm_", "nan", "error_if_nonfinite");
  // Large gradients: the blocked double accumulation gives the exact norm.
  Tensor q = zeros({100000}).requires_grad_();
  q.set_grad(full({100000}, 0.5f));
  EXPECT_NEAR(nn::utils::clip_grad_norm_({q}, 1e9), std::sqrt(100000 * 0.25), 1e-9);
}

TEST(ClipGradValue, MatchesPyTorch) {
  const json& c = optim_golden().at("clip_value");
  std::vector<Tensor> ps;
  for (auto& g : c.at("grads")) {
    Tensor p = zeros(g.at("shape").get<Shape>()).requires_grad_();
    p.set_grad(golden_tensor(g));
    ps.push_back(p);
  }
  nn::utils::clip_grad_value_(ps, c.at("clip_value"));
  for (size_t i = 0; i < ps.size(); ++i) expect_close(ps[i].grad(), c.at("clipped")[i], 0, 0, "grad");
  EXPECT_EMBER_ERROR(nn::utils::clip_grad_value_(ps, -1), "clip_grad_value_", "clip_value");
}

TEST(L1Penalty, MatchesPyTorch) {
  const json& c = optim_golden().at("l1");
  std::vector<Tensor> ps;
  for (auto& p : c.at("params")) ps.push_back(golden_tensor(p).requires_grad_());
  Tensor pen = optim::l1_penalty(ps, c.at("lambda"));
  EXPECT_NEAR(pen.item<double>(), c.at("value").get<double>(), 1e-6);
  pen.backward();
  for (size_t i = 0; i < ps.size(); ++i) expect_close(ps[i].grad(), c.at("grads")[i], 1e-6, 1e-9, "l1 grad");
  EXPECT_EQ(ps[0].grad().to_vector<float>()[0], 0.f);  // |x| at 0: gradient 0
  EXPECT_EMBER_ERROR(optim::l1_penalty(ps, -1), "l1_penalty", "lambda");
  EXPECT_EMBER_ERROR(optim::l1_penalty({ones({2}, kInt64)}, 1), "l1_penalty", "int64");
  EXPECT_EQ(optim::l1_penalty({}, 1).item<double>(), 0.0);
}

TEST(L1Penalty, DrivesSmallWeightsToZeroWithSGD) {
  // Minimizing 0.5 * |w - t|^2 + lambda * |w|_1 shrinks each weight toward 0 by lambda.
  Tensor t = tensor({2.f, 0.05f, -1.f});
  Tensor w = zeros({3}).requires_grad_();
  optim::SGD opt({w}, optim::SGDOptions(0.05));
  for (int i = 0; i < 400; ++i) {
    opt.zero_grad();
    Tensor loss = ((w - t) * (w - t)).sum() * 0.5 + optim::l1_penalty({w}, 0.1);
    loss.backward();
    opt.step();
  }
  auto v = w.to_vector<float>();
  EXPECT_NEAR(v[0], 1.9f, 1e-3);
  EXPECT_NEAR(v[1], 0.f, 0.01);  // |t| < lambda: pinned (oscillating) near zero
  EXPECT_NEAR(v[2], -0.9f, 1e-3);
}

}  // namespace
