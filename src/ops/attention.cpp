// scaled_dot_product_attention: argument checks, then the fused float32 kernel where it applies
// (no mask, causal, or a key-padding mask such as BERT's; see bench/attention_bench.cpp) and
// otherwise the composite of matmul, softmax and dropout, whose gradient (and double backward)
// comes from those ops. The composite stays the reference the fused kernel is tested against
// (tests/test_attention.cpp).
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "backend/backend.h"
#include "core/op_helpers.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ops/attention_internal.h"
#include "ember/ops/trace.h"

namespace ember {

namespace {

const char* kOp = "scaled_dot_product_attention";

std::string shape_str(const Tensor& t) { return ember::shape_str(t.shape()); }

Shape batch_of(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

// EMBER_SDPA_FUSED=0 keeps every call on the composite (for comparisons).
bool fused_enabled() {
  static const bool on = [] {
    const char* e = std::getenv("EMBER_SDPA_FUSED");
    return !(e && std::strcmp(e, "0") == 0);
  }();
  return on;
}

// A new (*, H, rows, cols) float32 tensor stored as (*, rows, H, cols): for the (B, H, T, D)
// attention output this is the (B, T, H, D) = (B, T, C) layout the heads are merged back into, so
// y.transpose(1, 2).reshape({B, T, C}) is a view, not a copy; the q, k, v gradients of GPT's
// strided views of one (B, T, 3C) projection likewise go back without a strided copy. 3-D (BH, rows,
// cols) shapes stay contiguous.
Tensor heads_interleaved(Shape batch, int64_t rows, int64_t cols, Device dev) {
  Shape shape = batch;
  shape.insert(shape.end(), {rows, cols});
  if (batch.size() < 2) return detail::make_tensor(shape, kFloat32, dev);
  const int64_t H = batch.back();
  Shape stored(batch.begin(), batch.end() - 1);
  stored.insert(stored.end(), {rows, H, cols});
  Tensor base = detail::make_tensor(stored, kFloat32, dev);
  Shape strides(shape.size());
  strides[shape.size() - 1] = 1;
  strides[shape.size() - 3] = cols;         // H
  strides[shape.size() - 2] = H * cols;     // rows
  int64_t st = rows * H * cols;
  for (int64_t d = static_cast<int64_t>(batch.size()) - 2; d >= 0; --d) strides[d] = st, st *= batch[d];
  return detail::make_view(base, shape, strides, 0);
}

// Whether the kernel reads t as it is (unit column stride, rows at least a row apart).
bool kernel_readable(const Tensor& t) {
  const int64_t rows = t.size(-2), cols = t.size(-1);
  return (cols <= 1 || t.stride(-1) == 1) && (rows <= 1 || t.stride(-2) >= cols);
}

// The keep/drop decisions the composite's dropout(weights) would draw for n weights (one 64-bit
// draw per pair of elements, low half first: src/ops/dropout.cpp), bit i of the int64 words set =
// kept.
Tensor draw_keep_bits(int64_t n, double p, Generator* gen, Device dev) {
  Tensor bits = detail::make_tensor({(n + 63) / 64}, kInt64, dev);
  EMBER_KERNEL(dropout_bits, kOp, bits)(bits, n, p, gen ? *gen : default_generator());
  return bits;
}

// The dropout multipliers (0 or keep_scale) as a (*, L, S) tensor, for the double-backward formula.
Tensor keep_tensor(const Tensor& bits, const Shape& shape, float keep_scale) {
  Tensor z = detail::make_tensor(shape, kFloat32, bits.device());
  EMBER_KERNEL(bits_to_mask, kOp, z)(z, bits, keep_scale);
  return z;
}

Tensor causal_keep(int64_t L, int64_t S, Device dev) {  // (L, S)
  return tril(ones({L, S}, TensorOptions(DType::Bool).with_device(dev)));
}

// Gradients of softmax(q k^T * scale [causal]) * z @ v in Ember ops, so that they are themselves
// differentiable (create_graph through the fused node).
std::vector<Tensor> composite_grads(const Tensor& g, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& z,
                                    bool is_causal, double scale, const detail::KeyLengths& kv_len) {
  const int64_t L = q.size(-2), S = k.size(-2);
  Tensor scores = matmul(q, k.transpose(-2, -1)) * scale;  // (*, L, S)
  if (is_causal) scores = masked_fill(scores, logical_not(causal_keep(L, S, q.device())), -INFINITY);
  if (kv_len) {  // the padding mask again: key j of matrix bh visible when j < kv_len[bh]
    Shape rows = batch_of(q);
    rows.insert(rows.end(), {1, 1});
    Tensor len = tensor(*kv_len, rows).to(q.device());  // (*, 1, 1)
    scores = masked_fill(scores, ge(arange(S).to(q.device()), len), -INFINITY);
  }
  Tensor p = softmax(scores, -1);
  Tensor pz = z.defined() ? p * z : p;
  Tensor gv = matmul(pz.transpose(-2, -1), g);  // (*, S, L) @ (*, L, Ev) -> (*, S, Ev)
  Tensor dp = matmul(g, v.transpose(-2, -1));   // (*, L, Ev) @ (*, Ev, S) -> (*, L, S)
  if (z.defined()) dp = dp * z;
  Tensor ds = p * (dp - sum(dp * p, {-1}, true)) * scale;  // (*, L, S)
  return {matmul(ds, k), matmul(ds.transpose(-2, -1), q), gv};
}

}  // namespace

namespace detail {

Tensor sdpa_composite(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask, double dropout_p,
                      bool is_causal, double scale, Generator* gen) {
  const int64_t L = q.size(-2), S = k.size(-2);
  Tensor scores = matmul(q, k.transpose(-2, -1)) * scale;  // (*, L, E) @ (*, E, S) -> (*, L, S)
  if (is_causal) {
    scores = masked_fill(scores, logical_not(causal_keep(L, S, q.device())), -INFINITY);
  } else if (attn_mask.defined()) {
    if (attn_mask.dtype() == DType::Bool) scores = masked_fill(scores, logical_not(attn_mask), -INFINITY);
    else scores = scores + attn_mask;
  }
  Tensor weights = softmax(scores, -1);  // (*, L, S)
  if (dropout_p > 0.0) weights = dropout(weights, dropout_p, true, gen);
  return matmul(weights, v);  // (*, L, S) @ (*, S, Ev) -> (*, L, Ev)
}

KeyLengths key_padding_lengths(const Tensor& mask, const Shape& batch, int64_t S) {
  if (!mask.defined() || mask.dtype() != DType::Bool || !mask.device().is_cpu() || mask.size(-2) != 1 ||
      mask.size(-1) != S)
    return nullptr;
  Shape rows = batch;
  rows.insert(rows.end(), {1, S});
  Tensor m = mask.expand(rows).contiguous();  // (*, 1, S)
  const bool* b = m.data_ptr<bool>();
  auto len = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(detail::shape_numel(batch)));
  for (size_t r = 0; r < len->size(); ++r, b += S) {
    int64_t n = 0;
    while (n < S && b[n]) ++n;
    if (n == 0) return nullptr;  // no visible key: the composite's NaN row, as PyTorch
    for (int64_t j = n; j < S; ++j)
      if (b[j]) return nullptr;  // a hole: not a padding mask
    (*len)[r] = n;
  }
  return len;
}

bool sdpa_fused_supported(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask) {
  if (attn_mask.defined() || q.dtype() != kFloat32) return false;
  if (q.dim() != k.dim() || q.dim() != v.dim()) return false;
  if (batch_of(q) != batch_of(k) || batch_of(q) != batch_of(v)) return false;
  for (const Tensor* t : {&q, &k, &v}) {
    if (t->numel() == 0) return false;
    const int64_t rows = t->size(-2), cols = t->size(-1);
    if (cols > 1 && t->stride(-1) != 1) return false;
    if (rows > 1 && t->stride(-2) < cols) return false;
  }
  return true;
}

Tensor sdpa_fused(const Tensor& q, const Tensor& k, const Tensor& v, double dropout_p, bool is_causal, double scale,
                  Generator* gen, KeyLengths kv_len) {
  const Shape batch = batch_of(q);
  const int64_t L = q.size(-2), S = k.size(-2), E = q.size(-1), Ev = v.size(-1);
  const Device dev = detail::common_device(kOp, {&q, &k, &v});
  backend::AttnArgs a;
  a.scale = static_cast<float>(scale);
  a.causal = is_causal;
  if (kv_len) {
    EMBER_CHECK(static_cast<int64_t>(kv_len->size()) == shape_numel(batch), kOp, "key lengths for ",
                kv_len->size(), " matrices, but the batch has ", shape_numel(batch));
    a.kv_len = kv_len->data();  // the node below keeps kv_len alive for the backward
  }
  Tensor bits;
  if (dropout_p > 0.0) {
    bits = draw_keep_bits(shape_numel(batch) * L * S, dropout_p, gen, dev);
    a.keep_scale = dropout_p == 1.0 ? 0.0f : static_cast<float>(1.0 / (1.0 - dropout_p));
  }
  Shape lse_shape = batch;
  lse_shape.push_back(L);
  Tensor out = heads_interleaved(batch, L, Ev, dev);  // (*, L, Ev), stored (*', L, H, Ev)
  Tensor lse = make_tensor(lse_shape, kFloat32, dev);  // (*, L)
  EMBER_KERNEL(attention, kOp, out)(out, lse, q, k, v, bits, a);
  if (autograd::any_requires_grad({&q, &k, &v})) {
    using autograd::SavedTensor;
    autograd::set_history(
        out, "ScaledDotProductAttentionBackward", {q, k, v},
        [sq = SavedTensor(q), sk = SavedTensor(k), sv = SavedTensor(v), so = SavedTensor(out.detach()),
         slse = SavedTensor(lse), bits, a, kv_len, L, S, E, Ev, dropout_p, is_causal,
         scale](const Tensor& g, const autograd::Node& n) {
          const Tensor &q = sq.get(kOp), &k = sk.get(kOp), &v = sv.get(kOp);
          std::vector<Tensor> grads;
          if (GradMode::is_enabled()) {  // create_graph: the same gradients from differentiable ops
            Shape w_shape = batch_of(q);
            w_shape.insert(w_shape.end(), {L, S});
            Tensor z = dropout_p > 0.0 ? keep_tensor(bits, w_shape, a.keep_scale) : Tensor();
            grads = composite_grads(g, q, k, v, z, is_causal, scale, kv_len);
          } else {
            Tensor gc = kernel_readable(g) ? g : g.contiguous();  // GPT's g: a view of (B, T, C), read in place
            const Shape batch = batch_of(q);
            Tensor gq = heads_interleaved(batch, L, E, q.device()), gk = heads_interleaved(batch, S, E, q.device()),
                   gv = heads_interleaved(batch, S, Ev, q.device());
            EMBER_KERNEL(attention_backward, kOp, gq)(gq, gk, gv, q, k, v, so.get(kOp), slse.get(kOp), gc, bits, a);
            grads = {gq, gk, gv};
          }
          for (size_t i = 0; i < 3; ++i)
            if (!n.needs_grad(i)) grads[i] = Tensor();
          return grads;
        });
  }
  return out;
}

}  // namespace detail

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale, Generator* gen) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  EMBER_CHECK(q.defined() && k.defined() && v.defined(), kOp, "query, key and value must be defined tensors");
  EMBER_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, kOp, "query, key and value need at least 2 dims (*, L, E), got ",
              shape_str(q), ", ", shape_str(k), " and ", shape_str(v));
  detail::check_floating(q, kOp);
  EMBER_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), kOp, "query, key and value must share a dtype, got ",
              dtype_name(q.dtype()), ", ", dtype_name(k.dtype()), " and ", dtype_name(v.dtype()));
  const int64_t L = q.size(-2), E = q.size(-1), S = k.size(-2);
  EMBER_CHECK(k.size(-1) == E, kOp, "query (*, L, E) and key (*, S, E) must share E, got query ", shape_str(q),
              " and key ", shape_str(k));
  EMBER_CHECK(v.size(-2) == S, kOp, "key (*, S, E) and value (*, S, Ev) must share S, got key ", shape_str(k),
              " and value ", shape_str(v));
  Shape batch;
  try {
    batch = broadcast_shapes(broadcast_shapes(batch_of(q), batch_of(k)), batch_of(v));
  } catch (const Error&) {
    EMBER_FAIL(kOp, "the batch dims (*) of query ", shape_str(q), ", key ", shape_str(k), " and value ", shape_str(v),
               " do not broadcast together");
  }
  EMBER_CHECK(dropout_p >= 0.0 && dropout_p <= 1.0, kOp, "dropout_p must be in [0, 1], got ", dropout_p);
  EMBER_CHECK(!(is_causal && attn_mask.defined()), kOp,
              "give either attn_mask or is_causal=true, not both (fold the causal mask into attn_mask)");
  EMBER_CHECK(!scale || std::isfinite(*scale), kOp, "scale must be finite, got ", *scale);
  if (attn_mask.defined()) {
    Shape want = batch;
    want.insert(want.end(), {L, S});
    bool ok = attn_mask.dim() >= 2 && attn_mask.dim() <= static_cast<int64_t>(want.size());
    for (int64_t d = 1; ok && d <= attn_mask.dim(); ++d) {
      const int64_t m = attn_mask.size(-d), w = want[want.size() - d];
      ok = m == w || m == 1;
    }
    EMBER_CHECK(ok, kOp, "attn_mask must broadcast to (*, L, S) = ", ember::shape_str(want), ", got ",
                shape_str(attn_mask));
    EMBER_CHECK(attn_mask.dtype() == DType::Bool || attn_mask.dtype() == q.dtype(), kOp,
                "attn_mask must be bool (true = may attend) or have the query's dtype ", dtype_name(q.dtype()),
                ", got ", dtype_name(attn_mask.dtype()));
  }
  const double s = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(E));
  // A padding mask (each matrix's trailing keys hidden from every query) runs fused: the kernel
  // stops at each matrix's last visible key.
  detail::KeyLengths kv_len = detail::key_padding_lengths(attn_mask, batch, S);
  if (fused_enabled() && (!attn_mask.defined() || kv_len) && detail::sdpa_fused_supported(q, k, v, Tensor()))
    return detail::sdpa_fused(q, k, v, dropout_p, is_causal, s, gen, kv_len);
  return detail::sdpa_composite(q, k, v, attn_mask, dropout_p, is_causal, s, gen);
}();
  if (scope) scope.record("sdpa", {q, k, v, attn_mask}, {out_}, {trace::num("dropout_p", dropout_p), trace::integer("is_causal", is_causal), trace::num("scale", scale ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1))))});
  return out_;
}

}  // namespace ember
