// LR schedulers against PyTorch's lr sequences, state-dict round trips and bad input.
#include <gtest/gtest.h>

#include "op_registry.h"
#include "optim_golden.h"

using namespace ember;
using json = nlohmann::json;
using ember::test::optim_golden;

namespace {

// Two param groups, as the generator uses.
struct Fixture {
  Tensor a = zeros({2}).requires_grad_(), b = zeros({2}).requires_grad_();
  std::unique_ptr<optim::SGD> opt;
  explicit Fixture(const std::vector<double>& lrs) {
    opt = std::make_unique<optim::SGD>(
        std::vector<optim::ParamGroup>{optim::ParamGroup({a}, optim::SGDOptions(lrs[0])),
                                       optim::ParamGroup({b}, optim::SGDOptions(lrs[1]))},
        optim::SGDOptions(lrs[0]));
  }
  std::vector<double> lrs() const { return {opt->param_groups()[0].lr(), opt->param_groups()[1].lr()}; }
};

std::unique_ptr<optim::LRScheduler> make_scheduler(const std::string& kind, const json& a, optim::Optimizer& opt) {
  if (kind == "StepLR") return std::make_unique<optim::StepLR>(opt, a.at("step_size"), a.value("gamma", 0.1));
  if (kind == "MultiStepLR")
    return std::make_unique<optim::MultiStepLR>(opt, a.at("milestones").get<std::vector<int64_t>>(), a.value("gamma", 0.1));
  if (kind == "ExponentialLR") return std::make_unique<optim::ExponentialLR>(opt, a.at("gamma"));
  if (kind == "LinearLR")
    return std::make_unique<optim::LinearLR>(opt, a.value("start_factor", 1.0 / 3), a.value("end_factor", 1.0),
                                             a.value("total_iters", 5));
  if (kind == "CosineAnnealingLR")
    return std::make_unique<optim::CosineAnnealingLR>(opt, a.at("T_max"), a.value("eta_min", 0.0));
  throw Error("unknown scheduler " + kind);
}

optim::ReduceLROnPlateauOptions plateau_options(const json& a) {
  optim::ReduceLROnPlateauOptions o;
  o.mode = a.value("mode", "min");
  o.factor = a.value("factor", 0.1);
  o.patience = a.value("patience", 10);
  o.threshold = a.value("threshold", 1e-4);
  o.threshold_mode = a.value("threshold_mode", "rel");
  o.cooldown = a.value("cooldown", 0);
  if (a.contains("min_lr") && a.at("min_lr").is_array()) o.min_lrs = a.at("min_lr").get<std::vector<double>>();
  else o.min_lr = a.value("min_lr", 0.0);
  return o;
}

// Steps a case's schedulers; `check(s, lrs)` sees the lrs after construction (s = 0) and each step.
// With resume_at >= 0, the schedulers are rebuilt from their state dicts after that many steps.
void run_case(const json& c, int resume_at, const std::function<void(int, const std::vector<double>&)>& check) {
  Fixture f(c.at("group_lrs").get<std::vector<double>>());
  std::vector<std::unique_ptr<optim::LRScheduler>> scheds;
  std::unique_ptr<optim::ReduceLROnPlateau> plateau;
  auto build = [&] {
    scheds.clear();
    for (auto& s : c.at("schedulers")) {
      if (s.at("kind") == "ReduceLROnPlateau") plateau = std::make_unique<optim::ReduceLROnPlateau>(*f.opt, plateau_options(s.at("args")));
      else scheds.push_back(make_scheduler(s.at("kind"), s.at("args"), *f.opt));
    }
  };
  build();
  check(0, f.lrs());
  const int steps = static_cast<int>(c.at("lrs").size()) - 1;
  for (int s = 0; s < steps; ++s) {
    if (s == resume_at) {
      // Save optimizer and schedulers, build everything afresh and load.
      auto osd = f.opt->state_dict();
      std::vector<optim::SchedulerState> ss;
      for (auto& sc : scheds) ss.push_back(optim::unflatten_scheduler_state(optim::flatten_scheduler_state(sc->state_dict(), "s."), "s."));
      optim::SchedulerState ps = plateau ? plateau->state_dict() : optim::SchedulerState{};
      Fixture fresh({0.7, 0.7});
      fresh.opt->load_state_dict(osd);
      std::swap(f.opt, fresh.opt);
      build();  // fresh schedulers (their initial step changes the lr, which the loads below undo)
      f.opt->load_state_dict(osd);
      for (size_t i = 0; i < scheds.size(); ++i) scheds[i]->load_state_dict(ss[i]);
      if (plateau) plateau->load_state_dict(ps);
    }
    f.opt->step();
    for (auto& sc : scheds) sc->step();
    if (plateau) plateau->step(c.at("metrics")[s]);
    check(s + 1, f.lrs());
    if (plateau && scheds.empty()) {
      EXPECT_EQ(plateau->get_last_lr(), f.lrs());
    }
    if (!scheds.empty()) {
      EXPECT_EQ(scheds.back()->get_last_lr(), f.lrs());
    }
  }
}

TEST(Scheduler, MatchesPyTorchLrSequences) {
  for (auto& c : optim_golden().at("schedulers")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    run_case(c, -1, [&](int s, const std::vector<double>& lrs) {
      for (size_t g = 0; g < lrs.size(); ++g) {
        double want = c.at("lrs")[s][g];
        EXPECT_NEAR(lrs[g], want, 1e-12 * std::abs(want) + 1e-15) << "step " << s << " group " << g;
      }
    });
  }
}

TEST(Scheduler, StateDictResumesExactly) {
  for (auto& c : optim_golden().at("schedulers")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    std::vector<std::vector<double>> straight, resumed;
    run_case(c, -1, [&](int, const std::vector<double>& l) { straight.push_back(l); });
    run_case(c, 4, [&](int, const std::vector<double>& l) { resumed.push_back(l); });
    EXPECT_EQ(straight, resumed);
  }
}

TEST(Scheduler, BasicsAndInitialLr) {
  Fixture f({0.1, 0.05});
  optim::StepLR s(*f.opt, 2, 0.5);
  EXPECT_EQ(s.last_epoch(), 0);
  EXPECT_EQ(s.base_lrs(), (std::vector<double>{0.1, 0.05}));
  EXPECT_EQ(f.opt->param_groups()[0].initial_lr, 0.1);
  s.step(), s.step();
  EXPECT_EQ(s.get_last_lr(), (std::vector<double>{0.05, 0.025}));
  auto st = s.state_dict();
  EXPECT_EQ(st.at("last_epoch"), std::vector<double>{2});
  EXPECT_EQ(st.at("step_size"), std::vector<double>{2});
  EXPECT_EQ(st.at("gamma"), std::vector<double>{0.5});
  // initial_lr travels with the optimizer's state dict, so a resumed scheduler can find it.
  auto osd = f.opt->state_dict();
  Fixture g({0.3, 0.3});
  g.opt->load_state_dict(osd);
  EXPECT_EQ(g.opt->param_groups()[1].initial_lr, 0.05);
  optim::StepLR resumed(*g.opt, 2, 0.5, /*last_epoch=*/2);
  EXPECT_EQ(resumed.last_epoch(), 3);
  EXPECT_EQ(resumed.base_lrs(), (std::vector<double>{0.1, 0.05}));
}

TEST(Scheduler, CosineResumedByLastEpochUsesClosedForm) {
  Fixture f({0.1, 0.05});
  f.opt->param_groups()[0].initial_lr = 0.1;
  f.opt->param_groups()[1].initial_lr = 0.05;
  optim::CosineAnnealingLR c(*f.opt, 10, 0.0, /*last_epoch=*/4);  // its first step lands on epoch 5
  EXPECT_NEAR(c.get_last_lr()[0], 0.1 * (1 + std::cos(5 * M_PI / 10)) / 2, 1e-15);
}

TEST(SchedulerErrors, BadArguments) {
  Fixture f({0.1, 0.05});
  EXPECT_EMBER_ERROR(optim::StepLR(*f.opt, 0), "StepLR", "step_size");
  EXPECT_EMBER_ERROR(optim::StepLR(*f.opt, 2, -1), "StepLR", "gamma");
  EXPECT_EMBER_ERROR(optim::MultiStepLR(*f.opt, {1, 2}, 0), "MultiStepLR", "gamma");
  EXPECT_EMBER_ERROR(optim::ExponentialLR(*f.opt, 0), "ExponentialLR", "gamma");
  EXPECT_EMBER_ERROR(optim::LinearLR(*f.opt, 1.5), "LinearLR", "start_factor");
  EXPECT_EMBER_ERROR(optim::LinearLR(*f.opt, 0.0), "LinearLR", "start_factor");
  EXPECT_EMBER_ERROR(optim::LinearLR(*f.opt, 0.5, 2.0), "LinearLR", "end_factor");
  EXPECT_EMBER_ERROR(optim::LinearLR(*f.opt, 0.5, 1.0, 0), "LinearLR", "total_iters");
  EXPECT_EMBER_ERROR(optim::CosineAnnealingLR(*f.opt, 0), "CosineAnnealingLR", "T_max");
  EXPECT_EMBER_ERROR(optim::CosineAnnealingLR(*f.opt, 5, -0.1), "CosineAnnealingLR", "eta_min");
  EXPECT_EMBER_ERROR(optim::StepLR(*f.opt, 2, 0.1, 5), "StepLR", "initial_lr", "last_epoch");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(*f.opt, {.factor = 1.0}), "ReduceLROnPlateau", "factor");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(*f.opt, {.mode = "maximum"}), "ReduceLROnPlateau", "mode", "maximum");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(*f.opt, {.threshold_mode = "x"}), "ReduceLROnPlateau", "threshold_mode");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(*f.opt, {.patience = -1}), "ReduceLROnPlateau", "patience");
  EXPECT_EMBER_ERROR(optim::ReduceLROnPlateau(*f.opt, {.min_lrs = {0.1}}), "ReduceLROnPlateau", "min_lrs", "2");
}

TEST(SchedulerErrors, GroupAddedAfterConstruction) {
  Fixture f({0.1, 0.05});
  optim::CosineAnnealingLR cos(*f.opt, 5);
  f.opt->add_param_group(optim::ParamGroup({zeros({1}).requires_grad_()}));
  EXPECT_EMBER_ERROR(cos.step(), "CosineAnnealingLR", "3 param groups", "built for 2");
}

TEST(SchedulerErrors, LoadStateDictMismatch) {
  Fixture f({0.1, 0.05});
  optim::StepLR step(*f.opt, 2);
  optim::CosineAnnealingLR cos(*f.opt, 5);
  EXPECT_EMBER_ERROR(step.load_state_dict(cos.state_dict()), "StepLR", "T_max");
  auto st = step.state_dict();
  st.erase("gamma");
  EXPECT_EMBER_ERROR(step.load_state_dict(st), "StepLR", "gamma");
  st = step.state_dict();
  st["base_lrs"] = {0.1};
  EXPECT_EMBER_ERROR(step.load_state_dict(st), "StepLR", "base_lrs", "2 param groups");
  st = step.state_dict();
  st["last_epoch"] = {1.5};
  EXPECT_EMBER_ERROR(step.load_state_dict(st), "StepLR", "last_epoch", "integer");
  EXPECT_EQ(step.last_epoch(), 0);  // failed loads change nothing
  optim::ReduceLROnPlateau p(*f.opt);
  auto ps = p.state_dict();
  ps["mode"] = {2};
  EXPECT_EMBER_ERROR(p.load_state_dict(ps), "ReduceLROnPlateau", "mode");
  EXPECT_EMBER_ERROR(p.load_state_dict(step.state_dict()), "ReduceLROnPlateau", "unknown field");
}

}  // namespace
