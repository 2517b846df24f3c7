// Recurrent layers: golden replays (tests/golden/rnn.json via the op registry), the fused layer held
// to the composite reference, double backward, dropout between layers, parameters, printing and
// bad input.
#include <gtest/gtest.h>

#include <sstream>

#include "ember/nn/layers.h"
#include "ember/nn/rnn.h"
#include "gradgrad.h"
#include "nn/rnn_stack.h"
#include "op_registry.h"

using namespace ember;

namespace {

Tensor flat_cat(const std::vector<Tensor>& parts) {
  std::vector<Tensor> f;
  for (auto& p : parts)
    if (p.defined()) f.push_back(p.reshape({-1}));
  return cat(f, 0);
}

std::shared_ptr<nn::RNNBase> make_module(const nlohmann::json& kw) {
  std::string mode = kw.at("mode");
  int64_t I = kw.at("input_size"), H = kw.at("hidden_size"), L = kw.at("num_layers");
  bool bias = kw.at("bias"), bf = kw.at("batch_first"), bidir = kw.at("bidirectional");
  if (mode == "LSTM") return std::make_shared<nn::LSTM>(I, H, L, bias, bf, 0.0, bidir);
  if (mode == "GRU") return std::make_shared<nn::GRU>(I, H, L, bias, bf, 0.0, bidir);
  return std::make_shared<nn::RNN>(I, H, L, mode == "RNN_RELU" ? "relu" : "tanh", bias, bf, 0.0, bidir);
}

// Runs `m` (whose class decides the forward) on a padded or packed input: {output, h_n, c_n}.
template <typename In>
std::vector<Tensor> run_module(nn::RNNBase& m, const In& x, const Tensor& h0, const Tensor& c0) {
  if (auto* l = dynamic_cast<nn::LSTM*>(&m)) {
    auto r = l->forward(x, h0, c0);
    return {r.output, r.h_n, r.c_n};
  }
  if (auto* g = dynamic_cast<nn::GRU*>(&m)) {
    auto r = g->forward(x, h0);
    return {r.output, r.h_n, Tensor()};
  }
  auto r = dynamic_cast<nn::RNN&>(m).forward(x, h0);
  return {r.output, r.h_n, Tensor()};
}

// Golden inputs: x, [lengths], [h0[, c0]], then the parameters in kwargs["weight_names"] order.
EMBER_REGISTER_OP("rnn_module", [](const std::vector<Tensor>& in, const nlohmann::json& kw) {
  auto m = make_module(kw);
  bool lstm = kw.at("mode") == "LSTM", packed = kw.at("packed"), bf = kw.at("batch_first");
  size_t k = 0;
  Tensor x = in[k++], lengths = packed ? in[k++] : Tensor(), h0, c0;
  if (kw.at("has_h0")) {
    h0 = in[k++];
    if (lstm) c0 = in[k++];
  }
  for (auto& name : kw.at("weight_names")) m->param(name.get<std::string>()) = in[k++];
  EXPECT_EQ(k, in.size());
  if (!packed) return flat_cat(run_module(*m, x, h0, c0));
  auto p = nn::pack_padded_sequence(x, lengths, bf, kw.at("enforce_sorted"));
  std::vector<Tensor> r;
  if (auto* l = dynamic_cast<nn::LSTM*>(m.get())) {
    auto o = l->forward(p, h0, c0);
    r = {nn::pad_packed_sequence(o.output, bf).first, o.h_n, o.c_n};
  } else if (auto* g = dynamic_cast<nn::GRU*>(m.get())) {
    auto o = g->forward(p, h0);
    r = {nn::pad_packed_sequence(o.output, bf).first, o.h_n};
  } else {
    auto o = dynamic_cast<nn::RNN&>(*m).forward(p, h0);
    r = {nn::pad_packed_sequence(o.output, bf).first, o.h_n};
  }
  return flat_cat(r);
});

// Golden inputs: x, [h[, c]], then the cell's parameters.
EMBER_REGISTER_OP("rnn_cell", [](const std::vector<Tensor>& in, const nlohmann::json& kw) {
  std::string mode = kw.at("mode");
  int64_t I = kw.at("input_size"), H = kw.at("hidden_size");
  bool bias = kw.at("bias"), has_h = kw.at("has_h0");
  std::shared_ptr<nn::RNNCellBase> m;
  if (mode == "LSTM") m = std::make_shared<nn::LSTMCell>(I, H, bias);
  else if (mode == "GRU") m = std::make_shared<nn::GRUCell>(I, H, bias);
  else m = std::make_shared<nn::RNNCell>(I, H, bias, mode == "RNN_RELU" ? "relu" : "tanh");
  size_t k = 0;
  Tensor x = in[k++], h, c;
  if (has_h) {
    h = in[k++];
    if (mode == "LSTM") c = in[k++];
  }
  for (auto& name : kw.at("weight_names")) m->param(name.get<std::string>()) = in[k++];
  m->weight_ih = m->param("weight_ih"), m->weight_hh = m->param("weight_hh");
  if (bias) m->bias_ih = m->param("bias_ih"), m->bias_hh = m->param("bias_hh");
  if (auto* l = dynamic_cast<nn::LSTMCell*>(m.get())) {
    auto r = l->forward(x, h, c);
    return flat_cat({r.h, r.c});
  }
  if (auto* g = dynamic_cast<nn::GRUCell*>(m.get())) return g->forward(x, h).reshape({-1});
  return dynamic_cast<nn::RNNCell&>(*m).forward(x, h).reshape({-1});
});

EMBER_REGISTER_OP("pack_padded_sequence", [](const std::vector<Tensor>& in, const nlohmann::json& kw) {
  return nn::pack_padded_sequence(in[0], in[1], kw.at("batch_first"), kw.at("enforce_sorted")).data;
});
EMBER_REGISTER_OP("pack_padded_sequence_meta", [](const std::vector<Tensor>& in, const nlohmann::json& kw) {
  auto p = nn::pack_padded_sequence(in[0], in[1], kw.at("batch_first"), kw.at("enforce_sorted"));
  return flat_cat({p.batch_sizes, p.sorted_indices, p.unsorted_indices});
});
EMBER_REGISTER_OP("pad_packed_sequence", [](const std::vector<Tensor>& in, const nlohmann::json& kw) {
  bool bf = kw.at("batch_first");
  auto p = nn::pack_padded_sequence(in[0], in[1], bf, kw.at("enforce_sorted"));
  std::optional<int64_t> total;
  if (!kw.at("total_length").is_null()) total = kw.at("total_length").get<int64_t>();
  auto [padded, lengths] = nn::pad_packed_sequence(p, bf, kw.at("padding_value").get<double>(), total);
  EXPECT_TRUE(equal(lengths, in[1]));  // the original order's lengths come back
  return padded;
});

// ---- the fused layer against the composite reference ----

using nn::detail::RnnStackConfig;
using Cell = ember::RnnMode;

struct StackCase {
  Cell cell;
  int64_t layers;
  bool bidirectional, bias;
  std::vector<int64_t> batch_sizes;
};

// Random inputs, h0, c0 and weights for a stack; returns every tensor that gets a gradient.
struct StackInputs {
  Tensor x, h0, c0;
  std::vector<Tensor> weights;
  std::vector<Tensor> all() const {
    std::vector<Tensor> v = {x, h0};
    if (c0.defined()) v.push_back(c0);
    v.insert(v.end(), weights.begin(), weights.end());
    return v;
  }
};

StackInputs make_stack_inputs(const StackCase& c, int64_t I, int64_t H, DType dt, uint64_t seed) {
  Generator gen(seed);
  int64_t N = 0, D = c.bidirectional ? 2 : 1, G = ember::rnn_gate_count(c.cell);
  for (auto b : c.batch_sizes) N += b;
  StackInputs s;
  s.x = randn({N, I}, dt, &gen).requires_grad_();
  s.h0 = (randn({c.layers * D, c.batch_sizes[0], H}, dt, &gen) * 0.5).detach().requires_grad_();
  if (c.cell == Cell::Lstm) s.c0 = randn({c.layers * D, c.batch_sizes[0], H}, dt, &gen).requires_grad_();
  for (int64_t l = 0; l < c.layers; ++l)
    for (int64_t d = 0; d < D; ++d) {
      int64_t in = l == 0 ? I : D * H;
      double k = 1.0 / std::sqrt(static_cast<double>(H));
      for (Shape shape : {Shape{G * H, in}, Shape{G * H, H}, Shape{G * H}, Shape{G * H}}) {
        if (shape.size() == 1 && !c.bias) continue;
        s.weights.push_back(((rand(shape, dt, &gen) * 2 - 1) * k).detach().requires_grad_());
      }
    }
  return s;
}

void expect_near_all(const Tensor& a, const Tensor& b, double rtol, double atol, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  for (size_t i = 0; i < va.size(); ++i)
    ASSERT_NEAR(va[i], vb[i], atol + rtol * std::abs(vb[i])) << what << " at " << i;
}

// Forward values and gradients of every input, fused vs composite, for one case.
void check_fused_matches_reference(const StackCase& c, DType dt, double rtol, double atol, int64_t I = 5,
                                   int64_t H = 19) {  // H = 19: two 8-wide vectors plus a 3-element tail
  StackInputs s = make_stack_inputs(c, I, H, dt, 7);
  std::vector<Tensor> outs[2], grads[2];
  for (int fused = 0; fused < 2; ++fused) {
    RnnStackConfig cfg{c.cell, c.layers, c.bidirectional, c.bias};
    cfg.fused = fused == 1;
    auto r = nn::detail::rnn_stack(cfg, s.x, c.batch_sizes, s.h0, s.c0, s.weights);
    outs[fused] = {r.output, r.h_n, r.c_n};
    // Weighted sum of every output, so each gets a distinct upstream gradient.
    Generator gen(3);
    Tensor loss = (r.output * randn(r.output.shape(), dt, &gen)).sum() + (r.h_n * randn(r.h_n.shape(), dt, &gen)).sum();
    if (r.c_n.defined()) loss = loss + (r.c_n * randn(r.c_n.shape(), dt, &gen)).sum();
    grads[fused] = autograd::grad({loss}, s.all());
  }
  const char* names[] = {"output", "h_n", "c_n"};
  for (int i = 0; i < 3; ++i)
    if (outs[0][i].defined()) expect_near_all(outs[1][i], outs[0][i], rtol, atol, names[i]);
  for (size_t i = 0; i < grads[0].size(); ++i)
    expect_near_all(grads[1][i], grads[0][i], rtol * 10, atol * 10, "gradient of input " + std::to_string(i));
}

const std::vector<int64_t> kPacked = {4, 4, 3, 1, 1};  // batch sizes of lengths 5, 3, 3, 2
const std::vector<int64_t> kPadded = {3, 3, 3, 3};

}  // namespace

TEST(RnnFused, MatchesCompositeFloat64) {
  for (Cell cell : {Cell::Tanh, Cell::Relu, Cell::Lstm, Cell::Gru})
    for (const auto& bs : {kPadded, kPacked}) {
      SCOPED_TRACE(::testing::Message() << "cell " << static_cast<int>(cell) << " steps " << bs.size());
      check_fused_matches_reference({cell, 2, true, true, bs}, kFloat64, 1e-12, 1e-12);
    }
}

TEST(RnnFused, MatchesCompositeFloat32) {
  // float32: the fused kernel's vectorized exp and one-GEMM weight gradients round differently
  // from the composite's std::exp and per-step products; 1e-5 relative as everywhere else.
  for (Cell cell : {Cell::Tanh, Cell::Relu, Cell::Lstm, Cell::Gru}) {
    SCOPED_TRACE(::testing::Message() << "cell " << static_cast<int>(cell));
    check_fused_matches_reference({cell, 1, false, true, kPacked}, kFloat32, 1e-5, 1e-5);
    check_fused_matches_reference({cell, 2, true, false, kPadded}, kFloat32, 1e-5, 1e-5);
  }
}

// create_graph through the fused node replays the composite, so second derivatives must be the
// composite's. Finite differences check them for the relu cell only: ember's tanh and sigmoid save
// their output detached, so their own double backward drops a term (the composite fails the same
// check for the other cells; see the report of issue 4).
std::vector<Tensor> second_order(Cell cell, bool fused) {
  std::vector<int64_t> bs = {2, 1};
  const int64_t I = 2, H = 2, G = ember::rnn_gate_count(cell) * H;
  Generator gen(5);
  std::vector<Tensor> v;
  for (Shape s : {Shape{3, I}, Shape{2, H}, Shape{2, H}, Shape{G, I}, Shape{G, H}, Shape{G}, Shape{G}})
    v.push_back(randn(s, kFloat64, &gen).requires_grad_());
  if (cell != Cell::Lstm) v[2] = Tensor();
  auto layer = fused ? ember::rnn_layer : ember::rnn_layer_composite;
  Tensor z = layer(cell, v[0], bs, v[1], v[2], {v[3], v[4], v[5], v[6]}, true, "test");
  std::vector<Tensor> wrt;
  for (auto& t : v)
    if (t.defined()) wrt.push_back(t);
  auto g1 = autograd::grad({z}, wrt, {randn(z.shape(), kFloat64, &gen)}, true, true);
  Tensor s = zeros({}, kFloat64);
  for (auto& g : g1) s = s + (g * randn(g.shape(), kFloat64, &gen)).sum();
  return autograd::grad({s}, wrt, {}, false, false, true);
}

TEST(RnnFused, MatchesCompositeWithThreadSlices) {
  // Large enough for the step loop to split the hidden units over two threads (H / 32 >= 2 and
  // B * G * H >= 2^18): slices [0, 32) and [32, 83), the second with a scalar tail.
  int saved = get_num_threads();
  set_num_threads(2);
  const std::vector<int64_t> bs = {40, 40, 33, 20, 7};
  for (Cell cell : {Cell::Tanh, Cell::Lstm, Cell::Gru}) {
    SCOPED_TRACE(::testing::Message() << "cell " << static_cast<int>(cell));
    check_fused_matches_reference({cell, 1, true, true, bs}, kFloat32, 1e-5, 1e-5, 6, 83);
  }
  check_fused_matches_reference({Cell::Lstm, 1, false, true, bs}, kFloat64, 1e-12, 1e-12, 3, 64);
  set_num_threads(saved);
}

TEST(RnnFused, DoubleBackwardMatchesComposite) {
  for (Cell cell : {Cell::Tanh, Cell::Relu, Cell::Lstm, Cell::Gru}) {
    auto a = second_order(cell, true), b = second_order(cell, false);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].defined(), b[i].defined());
      if (a[i].defined()) expect_near_all(a[i], b[i], 1e-12, 1e-12, "second-order gradient " + std::to_string(i));
    }
  }
}

TEST(RnnFused, DoubleBackwardFiniteDifferencesRelu) {
  std::vector<int64_t> bs = {2, 1};
  auto f = [&](const std::vector<Tensor>& v) {
    return ember::rnn_layer(Cell::Relu, v[0], bs, v[1], Tensor(), {v[2], v[3], v[4], v[5]}, true, "test");
  };
  Generator gen(5);
  std::vector<Tensor> v;
  for (Shape s : {Shape{3, 2}, Shape{2, 3}, Shape{3, 2}, Shape{3, 3}, Shape{3}, Shape{3}}) v.push_back(randn(s, kFloat64, &gen));
  EXPECT_LT(test::gradgrad_error(f, v), 1e-6);
}

TEST(RnnFused, NoGradForwardMatchesGradForward) {
  StackCase c{Cell::Lstm, 2, true, true, kPacked};
  StackInputs s = make_stack_inputs(c, 5, 19, kFloat32, 11);
  RnnStackConfig cfg{c.cell, c.layers, c.bidirectional, c.bias};
  auto with = nn::detail::rnn_stack(cfg, s.x, c.batch_sizes, s.h0, s.c0, s.weights);
  NoGradGuard ng;
  auto without = nn::detail::rnn_stack(cfg, s.x, c.batch_sizes, s.h0, s.c0, s.weights);
  EXPECT_FALSE(without.output.requires_grad());
  EXPECT_TRUE(equal(with.output.detach(), without.output));
  EXPECT_TRUE(equal(with.c_n.detach(), without.c_n));
}

TEST(RnnFused, InPlaceChangeOfAWeightBeforeBackwardIsAnError) {
  manual_seed(0);
  nn::LSTM lstm(3, 4);
  auto r = lstm.forward(randn({2, 2, 3}));
  {
    NoGradGuard ng;
    lstm.param("weight_hh_l0").mul_(2.0);
  }
  EXPECT_EMBER_ERROR(r.output.sum().backward(), "LstmLayerBackward", "modified by an in-place operation");
}

// ---- modules ----

namespace {
std::vector<std::string> keys(const nn::NamedTensors& v) {
  std::vector<std::string> k;
  for (auto& [n, t] : v) k.push_back(n);
  return k;
}
}  // namespace

TEST(Rnn, ParameterNamesShapesAndInitAsPyTorch) {
  manual_seed(0);
  nn::LSTM lstm(3, 16, 2, true, false, 0.0, true);
  EXPECT_EQ(keys(lstm.state_dict()),
            (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
                                      "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1",
                                      "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_ih_l1_reverse",
                                      "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"}));
  EXPECT_EQ(lstm.param("weight_ih_l0").shape(), (Shape{64, 3}));
  EXPECT_EQ(lstm.param("weight_ih_l1_reverse").shape(), (Shape{64, 32}));
  EXPECT_EQ(lstm.param("weight_hh_l1").shape(), (Shape{64, 16}));
  for (auto& p : lstm.parameters()) {
    auto v = p.to_vector<float>();
    EXPECT_LE(*std::max_element(v.begin(), v.end()), 0.25f);  // U(-1/sqrt(16), 1/sqrt(16))
    EXPECT_GE(*std::min_element(v.begin(), v.end()), -0.25f);
  }
  nn::GRU gru(3, 4, 1, false);
  EXPECT_EQ(keys(gru.state_dict()), (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"}));
  EXPECT_EQ(gru.param("weight_hh_l0").shape(), (Shape{12, 4}));
  nn::GRUCell cell(3, 4);
  EXPECT_EQ(keys(cell.state_dict()), (std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}));
  EXPECT_EQ(cell.weight_ih.shape(), (Shape{12, 3}));
}

TEST(Rnn, PrintsLikePyTorch) {
  auto repr = [](const nn::Module& m) {  // the first line: the module itself
    std::ostringstream os;
    os << m;
    return os.str().substr(0, os.str().find('\n'));
  };
  EXPECT_EQ(repr(nn::LSTM(2, 3, 2, true, true, 0.1, true)),
            "LSTM(2, 3, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True)");
  EXPECT_EQ(repr(nn::RNN(2, 3, 1, "relu", false)), "RNN(2, 3, bias=False)");
  EXPECT_EQ(repr(nn::GRUCell(2, 3)), "GRUCell(2, 3)");
  EXPECT_EQ(repr(nn::RNNCell(2, 3, true, "relu")), "RNNCell(2, 3, nonlinearity=relu)");
}

TEST(Rnn, DropoutBetweenLayersOnlyWhenTrainingAndReproducible) {
  manual_seed(0);
  Tensor x = randn({6, 3, 4});
  auto run = [&](bool training, uint64_t seed, int64_t layers) {
    manual_seed(1);
    Generator gen(seed);
    nn::GRU gru(4, 8, layers, true, false, 0.5, false, &gen);
    gru.train(training);
    return gru.forward(x).output;
  };
  EXPECT_TRUE(equal(run(true, 42, 2), run(true, 42, 2)));    // same generator seed: same mask
  EXPECT_FALSE(equal(run(true, 42, 2), run(true, 43, 2)));   // another seed: another mask
  EXPECT_FALSE(equal(run(true, 42, 2), run(false, 42, 2)));  // eval: no dropout
  EXPECT_TRUE(equal(run(false, 42, 2), run(false, 43, 2)));
  EXPECT_TRUE(equal(run(true, 42, 1), run(false, 42, 1)));   // one layer: nothing between layers
}

TEST(Rnn, PackedHiddenStateIsEachSequencesLastStep) {
  // Runs each sequence alone (no padding) and compares with its slot in the packed batch.
  manual_seed(0);
  nn::LSTM lstm(3, 5, 1, true, true);
  std::vector<int64_t> lengths = {2, 5, 3};
  Tensor x = randn({3, 5, 3});
  auto packed = lstm.forward(nn::pack_padded_sequence(x, lengths, true, false));
  auto [padded, lens] = nn::pad_packed_sequence(packed.output, true);
  for (int64_t b = 0; b < 3; ++b) {
    auto alone = lstm.forward(x.narrow(0, b, 1).narrow(1, 0, lengths[b]));
    expect_near_all(packed.h_n.select(1, b), alone.h_n.select(1, 0), 1e-6, 1e-6, "h_n");
    expect_near_all(packed.c_n.select(1, b), alone.c_n.select(1, 0), 1e-6, 1e-6, "c_n");
    expect_near_all(padded.narrow(0, b, 1).narrow(1, 0, lengths[b]), alone.output, 1e-6, 1e-6, "output");
    EXPECT_EQ(padded.narrow(0, b, 1).narrow(1, lengths[b], 5 - lengths[b]).abs().sum().item(), 0.0);
  }
}

TEST(Rnn, SameSeedSameBits) {
  auto run = [] {
    manual_seed(3);
    nn::LSTM lstm(4, 12, 2, true, false, 0.0, true);
    Tensor x = randn({7, 3, 4}).requires_grad_();
    auto r = lstm.forward(x);
    (r.output.sum() + r.h_n.sum() + r.c_n.sum()).backward();
    return std::vector<Tensor>{r.output.detach(), x.grad(), lstm.param("weight_hh_l1_reverse").grad()};
  };
  auto a = run(), b = run();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(equal(a[i], b[i])) << i;
}

TEST(Rnn, CellForwardWithoutStateThroughModuleInterface) {
  manual_seed(0);
  std::shared_ptr<nn::Module> cell = std::make_shared<nn::GRUCell>(3, 4);
  Tensor h = (*cell)(randn({2, 3}));
  EXPECT_EQ(h.shape(), (Shape{2, 4}));
}

// ---- bad input ----

TEST(RnnErrors, PackPaddedSequence) {
  Tensor x = randn({5, 3, 2});
  EXPECT_EMBER_ERROR(nn::pack_padded_sequence(x, std::vector<int64_t>{3, 0, 1}, false, false), "pack_padded_sequence",
                     "greater than 0", "lengths[1] = 0");
  EXPECT_EMBER_ERROR(nn::pack_padded_sequence(x, std::vector<int64_t>{3, -2, 1}, false, false), "lengths[1] = -2");
  EXPECT_EMBER_ERROR(nn::pack_padded_sequence(x, std::vector<int64_t>{6, 2, 1}), "lengths[0] = 6", "exceeds the 5 time steps",
                     "[5, 3, 2]");
  EXPECT_EMBER_ERROR(nn::pack_padded_sequence(randn({3, 5, 2}), std::vector<int64_t>{6, 2, 1}, true), "lengths[0] = 6",
                     "exceeds the 5 time steps", "batch_first");
  EXPECT_EMBER_ERROR(nn::pack_padded_sequence(x, std::vector<int64_t>{3, 2}), "holds 3 sequences", "2 entries");
  EXPECT_EMBER_ERROR(nn::pack_padded_sequence(x, std::vector<int64_t>{2, 3, 1}), "sorted in decreasing order",
                     "enforce_sorted=false");
  EXPECT_EMBER_ERROR(nn::pack_padded_sequence(x, tensor({3.0f, 2.0f, 1.0f})), "1-D integer tensor", "float32");
  EXPECT_EMBER_ERROR(nn::pack_padded_sequence(randn({4}), std::vector<int64_t>{1}), "(T, B, *)", "[4]");
  auto p = nn::pack_padded_sequence(x, std::vector<int64_t>{5, 2, 1});
  EXPECT_EMBER_ERROR(nn::pad_packed_sequence(p, false, 0.0, 4), "total_length=4", "max sequence length being 5");
  EXPECT_EMBER_ERROR(nn::pad_sequence({randn({2, 3}), randn({4, 2})}), "pad_sequence", "sequence 1", "[4, 2]");
}

TEST(RnnErrors, ModuleInputs) {
  manual_seed(0);
  nn::LSTM lstm(3, 4, 2);
  EXPECT_EMBER_ERROR(lstm.forward(randn({5, 2, 7})), "LSTM", "input_size. Expected 3, got 7");
  EXPECT_EMBER_ERROR(lstm.forward(randn({5, 2, 3, 1})), "LSTM", "2-D", "3-D", "[5, 2, 3, 1]");
  EXPECT_EMBER_ERROR(lstm.forward(randn({5, 2, 3}), zeros({1, 2, 4}), zeros({2, 2, 4})), "LSTM",
                     "Expected h0 of shape [2, 2, 4]", "got [1, 2, 4]");
  EXPECT_EMBER_ERROR(lstm.forward(randn({5, 2, 3}), zeros({2, 2, 4}), zeros({2, 3, 4})), "Expected c0 of shape [2, 2, 4]",
                     "[2, 3, 4]");
  EXPECT_EMBER_ERROR(lstm.forward(randn({5, 2, 3}), zeros({2, 2, 4})), "LSTM", "both h0 and c0");
  EXPECT_EMBER_ERROR(lstm.forward(randn({5, 3}), zeros({2, 1, 4}), zeros({2, 1, 4})), "unbatched 2-D", "3-D tensor");
  EXPECT_EMBER_ERROR(lstm.forward(randn({0, 2, 3})), "LSTM", "no time steps");
  EXPECT_EMBER_ERROR(lstm.forward(randn({5, 2, 3}, kFloat64)), "LSTM", "weight_ih", "float32", "float64");
  nn::GRU gru(3, 4, 1, true, true);
  EXPECT_EMBER_ERROR(gru.forward(randn({2, 5, 3}), zeros({1, 5, 4})), "GRU", "Expected hx of shape [1, 2, 4]");
  auto packed = nn::pack_padded_sequence(randn({5, 3, 3}), std::vector<int64_t>{5, 4, 2});
  EXPECT_EMBER_ERROR(gru.forward(packed, zeros({1, 2, 4})), "GRU", "[1, 3, 4]", "[1, 2, 4]");
  nn::RNN rnn(2, 3);
  EXPECT_EMBER_ERROR(rnn.forward(packed), "RNN", "Expected 2, got 3");
  EXPECT_EMBER_ERROR(rnn.forward(randn({4, 2, 2}).to(kInt64)), "RNN", "float32 or float64", "int64");
}

TEST(RnnErrors, Constructors) {
  EXPECT_EMBER_ERROR(nn::RNN(2, 3, 1, "sigmoid"), "RNN", "Unknown nonlinearity 'sigmoid'");
  EXPECT_EMBER_ERROR(nn::LSTM(2, 3, 1, true, false, 1.5), "LSTM", "dropout", "[0, 1]", "1.5");
  EXPECT_EMBER_ERROR(nn::GRU(2, 0), "GRU", "hidden_size must be greater than zero");
  EXPECT_EMBER_ERROR(nn::LSTM(2, 3, 0), "LSTM", "num_layers must be greater than zero");
  EXPECT_EMBER_ERROR(nn::RNNCell(2, 3, true, "gelu"), "RNNCell", "Unknown nonlinearity");
}

TEST(RnnErrors, Cells) {
  manual_seed(0);
  nn::LSTMCell cell(2, 3);
  EXPECT_EMBER_ERROR(cell.forward(randn({5, 3})), "LSTMCell", "inconsistent input_size: got 3 expected 2");
  EXPECT_EMBER_ERROR(cell.forward(randn({5, 2}), zeros({4, 3}), zeros({4, 3})), "LSTMCell",
                     "Input batch size 5 doesn't match hidden0 batch size 4");
  EXPECT_EMBER_ERROR(cell.forward(randn({5, 2}), zeros({5, 4}), zeros({5, 3})), "hidden0 has inconsistent hidden_size: got 4, expected 3");
  EXPECT_EMBER_ERROR(cell.forward(randn({5, 2}), zeros({5, 3})), "LSTMCell", "both hx and cx");
  EXPECT_EMBER_ERROR(cell.forward(randn({2}), zeros({1, 3}), zeros({1, 3})), "unbatched 1-D", "2-D tensor");
  nn::GRUCell gru(2, 3);
  EXPECT_EMBER_ERROR(gru.forward(randn({2, 2, 2})), "GRUCell", "1-D", "2-D", "[2, 2, 2]");
}

TEST(RnnErrors, LayerArguments) {
  // The private layer entry point checks its own contract too (batch sizes, weight shapes).
  ember::RnnLayerWeights w{randn({8, 3}), randn({8, 2}), Tensor(), Tensor()};
  EXPECT_EMBER_ERROR(ember::rnn_layer(Cell::Lstm, randn({5, 3}), {2, 3}, Tensor(), Tensor(), w, false, "lstm"),
                     "lstm", "non-increasing", "3 at step 1");
  EXPECT_EMBER_ERROR(ember::rnn_layer(Cell::Lstm, randn({6, 3}), {3, 2}, Tensor(), Tensor(), w, false, "lstm"),
                     "sum to 5 rows", "[6, 3]");
  EXPECT_EMBER_ERROR(ember::rnn_layer(Cell::Gru, randn({5, 3}), {3, 2}, Tensor(), Tensor(), w, false, "gru"),
                     "weight_ih has shape [8, 3], expected [6, 3]");
  ember::RnnLayerWeights wb{randn({8, 3}), randn({8, 2}), randn({8}), Tensor()};
  EXPECT_EMBER_ERROR(ember::rnn_layer(Cell::Lstm, randn({5, 3}), {3, 2}, Tensor(), Tensor(), wb, false, "lstm"),
                     "both bias_ih and bias_hh");
}

// ---- end to end ----

TEST(RnnTraining, LstmLearnsSumsOfVariableLengthSequences) {
  // Target: the sum of each sequence's valid steps, read from h_n of a packed batch, so the model
  // only fits if h_n is the state at each sequence's own last step and gradients reach every step.
  manual_seed(0);
  Generator gen(1);
  nn::LSTM lstm(1, 12);
  nn::Linear head(12, 1);
  std::vector<Tensor> params = lstm.parameters();
  for (auto& p : head.parameters()) params.push_back(p);
  optim::Adam opt(params, optim::AdamOptions(0.02));
  auto batch = [&](Tensor& x, std::vector<int64_t>& lengths, Tensor& target) {
    const int64_t B = 16, T = 8;
    x = rand({T, B, 1}, {}, &gen);
    lengths.clear();
    std::vector<float> sums;
    auto v = x.to_vector<float>();
    for (int64_t b = 0; b < B; ++b) {
      lengths.push_back(3 + static_cast<int64_t>(gen.uniform() * 6));  // 3..8
      float s = 0;
      for (int64_t t = 0; t < lengths.back(); ++t) s += v[t * B + b];
      sums.push_back(s);
    }
    target = tensor(sums, {B, 1});
  };
  auto loss_of = [&](const Tensor& x, const std::vector<int64_t>& lengths, const Tensor& target) {
    auto r = lstm.forward(nn::pack_padded_sequence(x, lengths, false, false));
    return mse_loss(head.forward(r.h_n.select(0, 0)), target);  // (B, H) -> (B, 1)
  };
  Tensor x, target;
  std::vector<int64_t> lengths;
  batch(x, lengths, target);
  double first = loss_of(x, lengths, target).item();
  for (int step = 0; step < 300; ++step) {
    batch(x, lengths, target);
    opt.zero_grad();
    loss_of(x, lengths, target).backward();
    opt.step();
  }
  double last = 0;
  for (int k = 0; k < 4; ++k) {
    batch(x, lengths, target);
    NoGradGuard ng;
    last += loss_of(x, lengths, target).item() / 4;
  }
  EXPECT_LT(last, 0.02 * first) << "first " << first << " last " << last;
}
