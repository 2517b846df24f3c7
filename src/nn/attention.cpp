// nn::MultiheadAttention, following torch.nn.functional.multi_head_attention_forward (1.13): input
// projections, heads, masks merged into one additive float mask, scaled dot-product attention,
// output projection. Works internally in (N, L, E) so the heads are views (N, H, L, hd) that the
// fused attention kernel reads without a copy.
#include "ember/nn/attention.h"

#include <cmath>

#include "ember/autograd.h"
#include "ember/nn/init.h"
#include "ember/ops.h"

namespace ember::nn {

namespace {

const char* kMha = "MultiheadAttention";

std::string sh(const Tensor& t) { return shape_str(t.shape()); }

// A bool mask (true = blocked) as an additive float mask: -inf where blocked, 0 elsewhere.
Tensor additive_mask(const Tensor& mask, DType dtype) {
  if (mask.dtype() != kBool) return mask;
  return masked_fill(zeros(mask.shape(), dtype), mask, -INFINITY);
}

void check_mask_dtype(const Tensor& mask, const Tensor& query, const char* what) {
  EMBER_CHECK(mask.dtype() == kBool || mask.dtype() == query.dtype(), kMha, what,
              " must be bool (true = masked out) or have the query's dtype ", dtype_name(query.dtype()), ", got ",
              dtype_name(mask.dtype()));
}

// (L, S) additive causal mask, top-left aligned as scaled_dot_product_attention's is_causal.
Tensor causal_mask(int64_t L, int64_t S, DType dtype) { return triu(full({L, S}, -INFINITY, dtype), 1); }

}  // namespace

Tensor generate_square_subsequent_mask(int64_t sz, DType dtype) {
  EMBER_CHECK(sz >= 0, "generate_square_subsequent_mask", "size must be non-negative, got ", sz);
  return causal_mask(sz, sz, dtype);
}

MultiheadAttention::MultiheadAttention(int64_t e, int64_t h, double p, bool bias, bool bf, std::optional<int64_t> kd,
                                       std::optional<int64_t> vd)
    : embed_dim(e), num_heads(h), kdim(kd.value_or(e)), vdim(vd.value_or(e)), dropout(p), batch_first(bf) {
  EMBER_CHECK(e > 0 && h > 0, kMha, "embed_dim and num_heads must be positive, got embed_dim=", e,
              " and num_heads=", h);
  EMBER_CHECK(e % h == 0, kMha, "embed_dim (", e, ") must be divisible by num_heads (", h,
              "); choose num_heads among the divisors of embed_dim");
  EMBER_CHECK(kdim > 0 && vdim > 0, kMha, "kdim and vdim must be positive, got kdim=", kdim, " and vdim=", vdim);
  EMBER_CHECK(p >= 0.0 && p <= 1.0, kMha, "dropout probability must be in [0, 1], got ", p);
  head_dim = e / h;
  // PyTorch's registration order (and so its state_dict order).
  if (kdim == e && vdim == e) {
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * e, e}));
  } else {
    q_proj_weight = register_parameter("q_proj_weight", empty({e, e}));
    k_proj_weight = register_parameter("k_proj_weight", empty({e, kdim}));
    v_proj_weight = register_parameter("v_proj_weight", empty({e, vdim}));
  }
  if (bias) in_proj_bias = register_parameter("in_proj_bias", empty({3 * e}));
  out_proj = register_module("out_proj", std::make_shared<Linear>(e, e, bias));
  reset_parameters();
}

void MultiheadAttention::reset_parameters() {
  // As PyTorch's _reset_parameters: xavier_uniform_ on the input projections, zero biases; the
  // output projection keeps Linear's default weight init.
  if (in_proj_weight.defined()) {
    init::xavier_uniform_(in_proj_weight);
  } else {
    init::xavier_uniform_(q_proj_weight);
    init::xavier_uniform_(k_proj_weight);
    init::xavier_uniform_(v_proj_weight);
  }
  if (in_proj_bias.defined()) {
    init::zeros_(in_proj_bias);
    init::zeros_(out_proj->bias);
  }
}

Tensor MultiheadAttention::forward(const Tensor& x) { return forward(x, x, x, Tensor(), false).first; }

std::pair<Tensor, Tensor> MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                      const Tensor& key_padding_mask, bool need_weights,
                                                      const Tensor& attn_mask, bool average_attn_weights,
                                                      bool is_causal) {
  const int64_t E = embed_dim, H = num_heads, hd = head_dim;
  EMBER_CHECK(query.defined() && key.defined() && value.defined(), kMha, "query, key and value must be defined");
  EMBER_CHECK(query.dim() == 2 || query.dim() == 3, kMha, "query must be 3-D (", batch_first ? "N, L, E" : "L, N, E",
              ") or 2-D unbatched (L, E), got ", sh(query));
  const bool batched = query.dim() == 3;
  EMBER_CHECK(key.dim() == query.dim() && value.dim() == query.dim(), kMha, "key and value must have query's ",
              query.dim(), " dims, got query ", sh(query), ", key ", sh(key), " and value ", sh(value));
  EMBER_CHECK(query.size(-1) == E, kMha, "query's last dim must be embed_dim=", E, ", got ", sh(query));
  EMBER_CHECK(key.size(-1) == kdim, kMha, "key's last dim must be kdim=", kdim, ", got ", sh(key));
  EMBER_CHECK(value.size(-1) == vdim, kMha, "value's last dim must be vdim=", vdim, ", got ", sh(value));
  // (N, L, E) views: unsqueeze unbatched input, move the batch first unless it already is.
  auto nle = [&](const Tensor& t) { return !batched ? t.unsqueeze(0) : batch_first ? t : t.transpose(0, 1); };
  Tensor q_in = nle(query), k_in = nle(key), v_in = nle(value);
  const int64_t N = q_in.size(0), L = q_in.size(1), S = k_in.size(1);
  EMBER_CHECK(k_in.size(0) == N && v_in.size(0) == N, kMha, "query, key and value must share the batch size, got ",
              sh(query), ", ", sh(key), " and ", sh(value), batch_first ? " (batch_first: dim 0)" : " (dim 1)");
  EMBER_CHECK(v_in.size(1) == S, kMha, "key and value must have the same sequence length S, got key ", sh(key),
              " and value ", sh(value));

  // Merge key_padding_mask and attn_mask into one additive mask broadcastable to (N, H, L, S).
  Tensor mask;
  if (key_padding_mask.defined()) {
    Shape want = batched ? Shape{N, S} : Shape{S};
    EMBER_CHECK(key_padding_mask.shape() == want, kMha, "key_padding_mask must have shape ", shape_str(want),
                batched ? " (N, S)" : " (S)", ", got ", sh(key_padding_mask));
    check_mask_dtype(key_padding_mask, query, "key_padding_mask");
    mask = additive_mask(key_padding_mask, query.dtype()).reshape({N, 1, 1, S});  // (N, 1, 1, S)
  }
  if (attn_mask.defined()) {
    check_mask_dtype(attn_mask, query, "attn_mask");
    Tensor am;
    if (attn_mask.dim() == 2) {
      EMBER_CHECK(attn_mask.shape() == (Shape{L, S}), kMha, "a 2-D attn_mask must be (L, S) = ",
                  shape_str({L, S}), ", got ", sh(attn_mask));
      am = additive_mask(attn_mask, query.dtype());  // (L, S)
    } else {
      EMBER_CHECK(attn_mask.dim() == 3 && attn_mask.shape() == (Shape{N * H, L, S}), kMha,
                  "attn_mask must be 2-D (L, S) = ", shape_str({L, S}), " or 3-D (N * num_heads, L, S) = ",
                  shape_str({N * H, L, S}), ", got ", sh(attn_mask));
      am = additive_mask(attn_mask, query.dtype()).reshape({N, H, L, S});
    }
    mask = mask.defined() ? mask + am : am;
  } else if (is_causal && mask.defined()) {
    mask = mask + causal_mask(L, S, query.dtype());
  }
  const bool causal_flag = is_causal && !mask.defined();  // no mask at all: sdpa's is_causal

  // Input projections. Self-attention with in_proj_weight is one (N, L, E) @ (E, 3E) product.
  Tensor q, k, v;  // (N, L, E), (N, S, E), (N, S, E)
  auto bias_part = [&](int64_t i) { return in_proj_bias.defined() ? in_proj_bias.narrow(0, i * E, E) : Tensor(); };
  if (in_proj_weight.defined() && query.is_same(key) && key.is_same(value)) {
    Tensor qkv = linear(q_in, in_proj_weight, in_proj_bias);  // (N, L, E) -> (N, L, 3E)
    q = qkv.narrow(2, 0, E), k = qkv.narrow(2, E, E), v = qkv.narrow(2, 2 * E, E);
  } else {
    const Tensor wq = in_proj_weight.defined() ? in_proj_weight.narrow(0, 0, E) : q_proj_weight;
    const Tensor wk = in_proj_weight.defined() ? in_proj_weight.narrow(0, E, E) : k_proj_weight;
    const Tensor wv = in_proj_weight.defined() ? in_proj_weight.narrow(0, 2 * E, E) : v_proj_weight;
    q = linear(q_in, wq, bias_part(0));
    k = linear(k_in, wk, bias_part(1));  // (N, S, kdim) -> (N, S, E)
    v = linear(v_in, wv, bias_part(2));  // (N, S, vdim) -> (N, S, E)
  }
  auto heads = [&](const Tensor& t) { return t.unflatten(2, {H, hd}).transpose(1, 2); };  // (N, T, E) -> (N, H, T, hd)
  q = heads(q), k = heads(k), v = heads(v);

  const double p = is_training() ? dropout : 0.0;
  Tensor attn, weights;  // (N, H, L, hd), (N, H, L, S)
  if (need_weights) {
    Tensor scores = matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(hd)));  // (N, H, L, S)
    if (mask.defined()) scores = scores + mask;
    else if (causal_flag) scores = scores + causal_mask(L, S, query.dtype());
    weights = softmax(scores, -1);
    if (p > 0.0) weights = ember::dropout(weights, p, true, gen);
    attn = matmul(weights, v);  // (N, H, L, S) @ (N, H, S, hd) -> (N, H, L, hd)
  } else {
    attn = scaled_dot_product_attention(q, k, v, mask, p, causal_flag, std::nullopt, gen);
  }
  Tensor out = out_proj->forward(attn.transpose(1, 2).reshape({N, L, E}));  // (N, H, L, hd) -> (N, L, E)
  out = !batched ? out.squeeze(0) : batch_first ? out : out.transpose(0, 1);
  if (need_weights) {
    if (average_attn_weights) weights = weights.mean({1});  // (N, H, L, S) -> (N, L, S)
    if (!batched) weights = weights.squeeze(0);
  }
  return {out, weights};
}

}  // namespace ember::nn
