#include "nn/rnn_stack.h"

#include "ember/ops.h"

namespace ember::nn::detail {

using RnnCell = ember::RnnMode;
using ember::RnnLayerWeights;

RnnStackResult rnn_stack(const RnnStackConfig& cfg, const Tensor& x, const std::vector<int64_t>& batch_sizes,
                         const Tensor& h0, const Tensor& c0, const std::vector<Tensor>& flat_weights) {
  const int64_t D = cfg.bidirectional ? 2 : 1, per = cfg.bias ? 4 : 2;
  const bool lstm = cfg.cell == RnnCell::Lstm;
  EMBER_CHECK(static_cast<int64_t>(flat_weights.size()) == cfg.num_layers * D * per, cfg.op, "expected ",
              cfg.num_layers * D * per, " weight tensors (", cfg.num_layers, " layers x ", D, " directions x ", per,
              "), got ", flat_weights.size());
  EMBER_CHECK(!batch_sizes.empty(), cfg.op, "the input has no time steps");
  const int64_t N = x.size(0), B = batch_sizes[0];
  Tensor layer_in = x;  // (N, I) for layer 0, then (N, D*H)
  std::vector<Tensor> hs, cs;
  for (int64_t l = 0; l < cfg.num_layers; ++l) {
    std::vector<Tensor> outs;
    for (int64_t dir = 0; dir < D; ++dir) {
      const int64_t k = l * D + dir;
      const Tensor* w = flat_weights.data() + k * per;
      RnnLayerWeights lw{w[0], w[1], cfg.bias ? w[2] : Tensor(), cfg.bias ? w[3] : Tensor()};
      Tensor h0k = h0.defined() ? h0.select(0, k) : Tensor();  // (B, H)
      Tensor c0k = lstm && c0.defined() ? c0.select(0, k) : Tensor();
      auto layer = cfg.fused ? ember::rnn_layer : ember::rnn_layer_composite;
      Tensor z = layer(cfg.cell, layer_in, batch_sizes, h0k, c0k, lw, dir == 1, cfg.op);  // (N + B [+ B], H)
      outs.push_back(z.narrow(0, 0, N));
      hs.push_back(z.narrow(0, N, B));
      if (lstm) cs.push_back(z.narrow(0, N + B, B));
    }
    layer_in = D == 1 ? outs[0] : cat(outs, 1);  // (N, D*H)
    if (cfg.dropout > 0 && cfg.training && l + 1 < cfg.num_layers)
      layer_in = ember::dropout(layer_in, cfg.dropout, true, cfg.gen);
  }
  RnnStackResult r;
  r.output = layer_in;
  r.h_n = stack(hs, 0);  // (L*D, B, H)
  if (lstm) r.c_n = stack(cs, 0);
  return r;
}

}  // namespace ember::nn::detail
