// nn::MultiheadAttention, the Transformer layers and stacks: golden outputs and gradients (inputs
// and every parameter) against torch 1.13's modules (tests/golden/gen_transformer.py), the same
// gradients by finite differences in float64, PyTorch's names and init, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "ember/nn/attention.h"
#include "ember/nn/transformer.h"
#include "op_registry.h"

using namespace ember;
using json = nlohmann::json;

namespace {

struct ModuleCase {
  std::string file;
  json j;
};

void PrintTo(const ModuleCase& c, std::ostream* os) { *os << c.file << ":" << c.j.at("name").get<std::string>(); }

std::vector<ModuleCase> load_module_cases() {
  std::vector<ModuleCase> out;
  for (const char* f : {"mha.json", "transformer.json"}) {
    std::ifstream in(std::filesystem::path(EMBER_GOLDEN_DIR) / "modules" / f);
    if (!in) throw std::runtime_error(std::string("missing golden file modules/") + f);
    json j = json::parse(in);
    for (auto& c : j.at("cases")) out.push_back({f, c});
  }
  return out;
}

using Inputs = std::map<std::string, Tensor>;
using RunFn = std::function<std::vector<Tensor>(const Inputs&)>;

Tensor opt(const Inputs& in, const std::string& k) {
  auto it = in.find(k);
  return it == in.end() ? Tensor() : it->second;
}

// The Ember module for a golden case, and how to call it on the case's inputs.
std::pair<std::shared_ptr<nn::Module>, RunFn> build(const json& c) {
  const json& cfg = c.at("config");
  const json call = c.at("call");
  const std::string kind = c.at("module");
  auto flag = [call](const char* k) { return call.value(k, false); };  // by value: the closures outlive build()
  if (kind == "mha") {
    std::optional<int64_t> kdim, vdim;
    if (cfg.contains("kdim") && !cfg.at("kdim").is_null()) kdim = cfg.at("kdim").get<int64_t>();
    if (cfg.contains("vdim") && !cfg.at("vdim").is_null()) vdim = cfg.at("vdim").get<int64_t>();
    auto m = std::make_shared<nn::MultiheadAttention>(cfg.at("embed_dim"), cfg.at("num_heads"), 0.0,
                                                      cfg.value("bias", true), cfg.value("batch_first", false), kdim,
                                                      vdim);
    RunFn run = [m, call, flag](const Inputs& in) {
      const Tensor& q = in.at("query");
      const bool self = flag("self_attn"), is_causal = flag("is_causal");
      Tensor k = self ? q : in.at("key"), v = self ? q : in.at("value");
      Tensor am = is_causal ? Tensor() : opt(in, "attn_mask");  // Ember's flag instead of torch's mask
      const bool need = call.value("need_weights", true);
      auto [out, w] = m->forward(q, k, v, opt(in, "key_padding_mask"), need, am,
                                 call.value("average_attn_weights", true), is_causal);
      return need ? std::vector<Tensor>{out, w} : std::vector<Tensor>{out};
    };
    return {m, run};
  }
  const int64_t d = cfg.at("d_model"), h = cfg.at("nhead"), ff = cfg.at("dim_feedforward");
  const std::string act = cfg.at("activation");
  const double eps = cfg.at("layer_norm_eps");
  const bool bf = cfg.at("batch_first"), nf = cfg.at("norm_first");
  if (kind == "encoder_layer" || kind == "encoder") {
    nn::TransformerEncoderLayer proto(d, h, ff, 0.0, act, eps, bf, nf);
    std::shared_ptr<nn::Module> m;
    std::function<Tensor(const Tensor&, const Tensor&, const Tensor&, bool)> fwd;
    if (kind == "encoder") {
      auto enc = std::make_shared<nn::TransformerEncoder>(proto, cfg.at("num_layers").get<int64_t>(),
                                                          std::make_shared<nn::LayerNorm>(d));
      fwd = [enc](const Tensor& x, const Tensor& mask, const Tensor& kpm, bool causal) {
        return enc->forward(x, mask, kpm, causal);
      };
      m = enc;
    } else {
      auto layer = proto.clone();
      fwd = [layer](const Tensor& x, const Tensor& mask, const Tensor& kpm, bool causal) {
        return layer->forward(x, mask, kpm, causal);
      };
      m = layer;
    }
    RunFn run = [fwd, flag](const Inputs& in) {
      const bool causal = flag("is_causal");
      return std::vector<Tensor>{
          fwd(in.at("src"), causal ? Tensor() : opt(in, "src_mask"), opt(in, "src_key_padding_mask"), causal)};
    };
    return {m, run};
  }
  nn::TransformerDecoderLayer proto(d, h, ff, 0.0, act, eps, bf, nf);
  using DecFn = std::function<Tensor(const Inputs&, const Tensor&, bool)>;
  std::shared_ptr<nn::Module> m;
  DecFn fwd;
  if (kind == "decoder") {
    auto dec = std::make_shared<nn::TransformerDecoder>(proto, cfg.at("num_layers").get<int64_t>(),
                                                        std::make_shared<nn::LayerNorm>(d));
    fwd = [dec](const Inputs& in, const Tensor& tgt_mask, bool causal) {
      return dec->forward(in.at("tgt"), in.at("memory"), tgt_mask, opt(in, "memory_mask"),
                          opt(in, "tgt_key_padding_mask"), opt(in, "memory_key_padding_mask"), causal);
    };
    m = dec;
  } else {
    auto layer = proto.clone();
    fwd = [layer](const Inputs& in, const Tensor& tgt_mask, bool causal) {
      return layer->forward(in.at("tgt"), in.at("memory"), tgt_mask, opt(in, "memory_mask"),
                            opt(in, "tgt_key_padding_mask"), opt(in, "memory_key_padding_mask"), causal);
    };
    m = layer;
  }
  RunFn run = [fwd, flag](const Inputs& in) {
    const bool causal = flag("tgt_is_causal");
    return std::vector<Tensor>{fwd(in, causal ? Tensor() : opt(in, "tgt_mask"), causal)};
  };
  return {m, run};
}

nn::NamedTensors state_of(const json& c) {
  nn::NamedTensors s;
  for (auto& [k, v] : c.at("state").items()) s.emplace_back(k, test::from_json(v));
  return s;
}

// Inputs (float ones that torch differentiated get requires_grad) and those that need gradients.
std::pair<Inputs, std::vector<std::string>> inputs_of(const json& c, std::optional<DType> dtype = std::nullopt) {
  Inputs in;
  std::vector<std::string> grad_names;
  for (auto& [k, v] : c.at("inputs").items()) {
    Tensor t = test::from_json(v);
    if (dtype && t.is_floating_point()) t = t.to(*dtype);
    if (v.value("requires_grad", false)) {
      t.requires_grad_();
      grad_names.push_back(k);
    }
    in[k] = t;
  }
  return {in, grad_names};
}

void expect_close(const Tensor& got, const json& want, double rtol, double atol, const std::string& what) {
  Tensor w = test::from_json(want);
  ASSERT_EQ(got.shape(), w.shape()) << what;
  auto g = got.to_vector<double>(), e = w.to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_LE(std::abs(g[i] - e[i]), atol + rtol * std::abs(e[i]))
        << what << " at flat index " << i << ": got " << g[i] << ", PyTorch " << e[i];
}

class ModuleGolden : public ::testing::TestWithParam<ModuleCase> {};

TEST_P(ModuleGolden, MatchesPyTorch) {
  const json& c = GetParam().j;
  auto [m, run] = build(c);
  // PyTorch's state_dict keys, in PyTorch's order.
  std::vector<std::string> want_keys, got_keys;
  for (auto& k : c.at("state_keys")) want_keys.push_back(k);
  for (auto& [k, v] : m->state_dict()) got_keys.push_back(k);
  ASSERT_EQ(got_keys, want_keys);
  m->load_state_dict(state_of(c));
  m->train();  // dropout 0, as the golden run
  auto [in, grad_names] = inputs_of(c);
  std::vector<Tensor> outs = run(in);
  ASSERT_EQ(outs.size(), c.at("outputs").size());
  // float32 through two or three projections, softmax and layer norms: 1e-5 relative with a 1e-5
  // floor for values near zero (sums of a few dozen products, each rounded).
  for (size_t i = 0; i < outs.size(); ++i) expect_close(outs[i], c.at("outputs")[i], 1e-5, 1e-5, "output " + std::to_string(i));
  std::vector<Tensor> gos, vars;
  for (auto& g : c.at("grad_outputs")) gos.push_back(test::from_json(g));
  for (auto& n : grad_names) vars.push_back(in.at(n));
  auto params = m->named_parameters();
  for (auto& [n, p] : params) vars.push_back(p);
  auto grads = autograd::grad(outs, vars, gos, false, false, /*allow_unused=*/true);
  // Gradients sum over the batch and sequence: 1e-4 absolute floor, still 1e-5 relative.
  for (size_t i = 0; i < grad_names.size(); ++i)
    expect_close(grads[i], c.at("input_grads").at(grad_names[i]), 1e-5, 1e-4, "grad of " + grad_names[i]);
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string& n = params[i].first;
    Tensor g = grads[grad_names.size() + i];
    if (!g.defined()) g = zeros_like(params[i].second);
    expect_close(g, c.at("param_grads").at(n), 1e-5, 1e-4, "grad of parameter " + n);
  }
}

// d(sum_i sum(out_i * go_i)) / d(inputs and parameters), analytic vs central differences, float64.
TEST_P(ModuleGolden, FiniteDifferences) {
  const json& c = GetParam().j;
  auto [m, run] = build(c);
  m->load_state_dict(state_of(c));
  m->to(kFloat64);
  auto [in, grad_names] = inputs_of(c, kFloat64);
  std::vector<Tensor> gos;
  for (auto& g : c.at("grad_outputs")) gos.push_back(test::from_json(g).to(kFloat64));
  auto loss = [&, &run = run, &in = in] {
    auto outs = run(in);
    Tensor s = zeros({}, kFloat64);
    for (size_t i = 0; i < outs.size(); ++i) s = s + (outs[i] * gos[i]).sum();
    return s;
  };
  std::vector<Tensor> vars;
  for (auto& n : grad_names) vars.push_back(in.at(n));
  for (auto& p : m->parameters()) vars.push_back(p);
  auto analytic = autograd::grad({loss()}, vars, {}, false, false, true);
  NoGradGuard ng;
  const double eps = 1e-6;
  double worst = 0;
  for (size_t vi = 0; vi < vars.size(); ++vi) {
    Tensor flat = vars[vi].detach().view({-1});
    Tensor a = analytic[vi].defined() ? analytic[vi].contiguous().view({-1}) : zeros({flat.numel()}, kFloat64);
    for (int64_t k = 0; k < flat.numel(); ++k) {
      const double orig = flat[k].item();
      flat[k].fill_(orig + eps);
      const double lp = loss().item();
      flat[k].fill_(orig - eps);
      const double lm = loss().item();
      flat[k].fill_(orig);
      const double numeric = (lp - lm) / (2 * eps);
      worst = std::max(worst, std::abs(a[k].item() - numeric) / (1.0 + std::abs(numeric)));
    }
  }
  EXPECT_LT(worst, 1e-6);
}

std::string module_case_name(const ::testing::TestParamInfo<ModuleCase>& info) {
  std::string s = info.param.file.substr(0, info.param.file.size() - 5) + "_" + info.param.j.at("name").get<std::string>();
  for (auto& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Modules, ModuleGolden, ::testing::ValuesIn(load_module_cases()), module_case_name);

double max_abs_diff(const Tensor& a, const Tensor& b) {
  auto d = (a.detach().to(kFloat64) - b.detach().to(kFloat64)).abs().max().item();
  return d;
}

}  // namespace

// ---- names, init, behaviour ----

TEST(MultiheadAttention, PyTorchNamesAndInit) {
  nn::MultiheadAttention m(8, 2);
  std::vector<std::string> keys;
  for (auto& [k, v] : m.state_dict()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}));
  EXPECT_EQ(m.in_proj_weight.shape(), (Shape{24, 8}));
  EXPECT_EQ(max_abs_diff(m.in_proj_bias, zeros({24})), 0.0);
  EXPECT_EQ(max_abs_diff(m.out_proj->bias, zeros({8})), 0.0);
  // xavier_uniform_ on (3E, E): bound sqrt(6 / (E + 3E)); the draws fill most of the range.
  const double bound = std::sqrt(6.0 / 32.0);
  const double top = m.in_proj_weight.abs().max().item();
  EXPECT_LE(top, bound);
  EXPECT_GT(top, 0.9 * bound);
  nn::MultiheadAttention sep(8, 4, 0.0, false, false, 3, 5);
  keys.clear();
  for (auto& [k, v] : sep.state_dict()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"}));
  EXPECT_EQ(sep.k_proj_weight.shape(), (Shape{8, 3}));
  EXPECT_EQ(sep.v_proj_weight.shape(), (Shape{8, 5}));
}

TEST(MultiheadAttention, DropoutOnlyInTrainingAndSeeded) {
  nn::MultiheadAttention m(8, 2, 0.5, true, true);
  Tensor x = randn({2, 5, 8});
  Generator g1(4), g2(4);
  m.gen = &g1;
  Tensor a = m.forward(x);
  m.gen = &g2;
  Tensor b = m.forward(x);
  EXPECT_TRUE(equal(a, b));
  m.eval();
  Tensor e1 = m.forward(x), e2 = m.forward(x);
  EXPECT_TRUE(equal(e1, e2));
  EXPECT_GT(max_abs_diff(a, e1), 1e-3);
  // Eval equals a dropout-free module with the same parameters.
  nn::MultiheadAttention ref(8, 2, 0.0, true, true);
  ref.load_state_dict(m.state_dict());
  EXPECT_LT(max_abs_diff(ref.forward(x), e1), 1e-6);
  // need_weights: rows of the averaged weights sum to 1 (no dropout in eval).
  auto [out, w] = m.forward(x, x, x, Tensor(), true);
  EXPECT_EQ(w.shape(), (Shape{2, 5, 5}));
  EXPECT_LT(max_abs_diff(w.sum({-1}), ones({2, 5})), 1e-6);
  EXPECT_LT(max_abs_diff(out, e1), 1e-6);
}

TEST(MultiheadAttention, BadInput) {
  EXPECT_EMBER_ERROR(nn::MultiheadAttention(10, 3), "MultiheadAttention", "embed_dim (10)", "num_heads (3)",
                     "divisible");
  EXPECT_EMBER_ERROR(nn::MultiheadAttention(8, 0), "MultiheadAttention", "num_heads=0");
  EXPECT_EMBER_ERROR(nn::MultiheadAttention(8, 2, 1.5), "MultiheadAttention", "dropout", "1.5");
  nn::MultiheadAttention m(8, 2);
  Tensor q = randn({3, 2, 8}), kv = randn({5, 2, 8});
  EXPECT_EMBER_ERROR(m.forward(randn({3, 2, 6}), kv, kv), "MultiheadAttention", "embed_dim=8", "[3, 2, 6]");
  EXPECT_EMBER_ERROR(m.forward(randn({2, 3, 2, 8}), kv, kv), "MultiheadAttention", "3-D", "[2, 3, 2, 8]");
  EXPECT_EMBER_ERROR(m.forward(q, randn({5, 8}), randn({5, 8})), "MultiheadAttention", "key and value", "[5, 8]");
  EXPECT_EMBER_ERROR(m.forward(q, randn({5, 3, 8}), randn({5, 3, 8})), "MultiheadAttention", "batch size",
                     "[5, 3, 8]");
  EXPECT_EMBER_ERROR(m.forward(q, kv, randn({4, 2, 8})), "MultiheadAttention", "same sequence length", "[4, 2, 8]");
  EXPECT_EMBER_ERROR(m.forward(q, kv, kv, ones({2, 4}, kBool)), "MultiheadAttention", "key_padding_mask",
                     "[2, 5]", "[2, 4]");
  EXPECT_EMBER_ERROR(m.forward(q, kv, kv, ones({2, 5}, kInt64)), "MultiheadAttention", "key_padding_mask", "int64");
  EXPECT_EMBER_ERROR(m.forward(q, kv, kv, Tensor(), true, ones({3, 4}, kBool)), "MultiheadAttention",
                     "(L, S) = [3, 5]", "[3, 4]");
  EXPECT_EMBER_ERROR(m.forward(q, kv, kv, Tensor(), true, ones({2, 3, 5}, kBool)), "MultiheadAttention",
                     "(N * num_heads, L, S) = [4, 3, 5]", "[2, 3, 5]");
  EXPECT_EMBER_ERROR(m.forward(q, kv, kv, Tensor(), true, zeros({3, 5}, kFloat64)), "MultiheadAttention", "attn_mask",
                     "float64");
  nn::MultiheadAttention sep(8, 2, 0.0, true, false, 3, 5);
  EXPECT_EMBER_ERROR(sep.forward(q, kv, randn({5, 2, 5})), "MultiheadAttention", "kdim=3", "[5, 2, 8]");
}

TEST(MultiheadAttention, IsCausalEqualsSubsequentMask) {
  nn::MultiheadAttention m(8, 2, 0.0, true, true);
  Tensor x = randn({2, 6, 8});
  Tensor mask = nn::generate_square_subsequent_mask(6);
  EXPECT_EQ(mask.to_vector<float>()[1], -INFINITY);
  EXPECT_EQ(mask.to_vector<float>()[6], 0.0f);
  Tensor a = m.forward(x, x, x, Tensor(), false, mask).first;
  Tensor b = m.forward(x, x, x, Tensor(), false, Tensor(), true, true).first;    // fused, causal
  EXPECT_LT(max_abs_diff(a, b), 1e-5);
  EXPECT_LT(max_abs_diff(a, m.forward(x, x, x, Tensor(), false, logical_not(eq(mask, 0.0))).first), 1e-6);
  EXPECT_GT(max_abs_diff(a, m.forward(x)), 1e-3);  // and differs from unmasked attention
}

TEST(Transformer, StacksCopyThePrototypeAndNameLayers) {
  nn::TransformerEncoderLayer proto(8, 2, 16, 0.0);
  nn::TransformerEncoder enc(proto, 3, std::make_shared<nn::LayerNorm>(8));
  auto sd = enc.state_dict();
  EXPECT_EQ(sd.front().first, "layers.0.self_attn.in_proj_weight");
  EXPECT_EQ(sd.back().first, "norm.bias");
  EXPECT_EQ(sd.size(), 3 * 12 + 2u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(max_abs_diff(enc.layer(i)->linear1->weight, proto.linear1->weight), 0.0);
    EXPECT_FALSE(enc.layer(i)->linear1->weight.is_same(proto.linear1->weight));
  }
  // The copies are independent tensors.
  {
    NoGradGuard ng;
    enc.layer(0)->linear1->weight.add_(1.0);
  }
  EXPECT_GT(max_abs_diff(enc.layer(0)->linear1->weight, enc.layer(1)->linear1->weight), 0.5);
  nn::TransformerDecoderLayer dproto(8, 2);
  nn::TransformerDecoder dec(dproto, 2);
  std::vector<std::string> keys;
  for (auto& [k, v] : dec.state_dict()) keys.push_back(k);
  EXPECT_EQ(keys.size(), 2 * 18u);
  EXPECT_EQ(keys[4], "layers.0.multihead_attn.in_proj_weight");
  EXPECT_EQ(keys[17], "layers.0.norm3.bias");
  EXPECT_EQ(dproto.dim_feedforward, 2048);
  EXPECT_EQ(dproto.dropout_p, 0.1);
}

TEST(Transformer, BadInput) {
  EXPECT_EMBER_ERROR(nn::TransformerEncoderLayer(10, 3), "TransformerEncoderLayer", "d_model (10)", "nhead (3)");
  EXPECT_EMBER_ERROR(nn::TransformerEncoderLayer(8, 2, 16, 0.1, "tanh"), "TransformerEncoderLayer", "relu/gelu",
                     "'tanh'");
  EXPECT_EMBER_ERROR(nn::TransformerDecoderLayer(8, 2, 0), "TransformerDecoderLayer", "dim_feedforward", "0");
  nn::TransformerEncoderLayer enc(8, 2, 16);
  EXPECT_EMBER_ERROR(enc.forward(randn({3, 2, 6})), "TransformerEncoderLayer", "src", "d_model=8", "[3, 2, 6]");
  EXPECT_EMBER_ERROR(enc.forward(randn({3, 2, 8}), ones({3, 4}, kBool)), "MultiheadAttention", "(L, S) = [3, 3]",
                     "[3, 4]");
  EXPECT_EMBER_ERROR(enc.forward(randn({3, 2, 8}), Tensor(), ones({3, 2}, kBool)), "MultiheadAttention",
                     "key_padding_mask", "[2, 3]", "[3, 2]");
  nn::TransformerDecoderLayer dec(8, 2, 16);
  EXPECT_EMBER_ERROR(dec.forward(randn({3, 2, 8}), randn({4, 2, 7})), "TransformerDecoderLayer", "memory", "[4, 2, 7]");
  EXPECT_EMBER_ERROR(nn::TransformerEncoder(enc, -1), "TransformerEncoder", "num_layers", "-1");
}
