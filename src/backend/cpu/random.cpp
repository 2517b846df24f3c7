// Random kernels (see random.h).
#include "backend/cpu/random.h"

#include <random>

#include "core/op_helpers.h"

namespace ember::cpu {

void uniform(const Tensor& t, Generator& gen) {
  EMBER_DISPATCH_FLOATING(t.dtype(), "rand", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i)
      p[i] = std::is_same_v<T, float> ? static_cast<T>(gen.uniform_float()) : static_cast<T>(gen.uniform());
  });
}

void normal(const Tensor& t, Generator& gen) {
  EMBER_DISPATCH_FLOATING(t.dtype(), "randn", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(gen.normal());
  });
}

void randint(const Tensor& t, int64_t low, int64_t high, Generator& gen) {
  uint64_t range = static_cast<uint64_t>(high - low);
  EMBER_DISPATCH_NUMERIC(t.dtype(), "randint", [&]<typename T>() {
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      std::uniform_int_distribution<uint64_t> dist(0, range - 1);
      p[i] = static_cast<T>(low + static_cast<int64_t>(dist(gen.engine())));
    }
  });
}

void shuffle(const Tensor& t, Generator& gen) {
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = t.numel() - 1; i > 0; --i) {  // Fisher-Yates
    std::uniform_int_distribution<int64_t> dist(0, i);
    std::swap(p[i], p[dist(gen.engine())]);
  }
}

void bernoulli(const Tensor& t, const Tensor& probs, Generator& gen) {
  EMBER_DISPATCH_FLOATING(probs.dtype(), "bernoulli", [&]<typename T>() {
    const T* in = probs.data_ptr<T>();
    T* out = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) out[i] = gen.uniform() < static_cast<double>(in[i]) ? T(1) : T(0);
  });
}

void dropout(const Tensor& out, const Tensor& mask, const Tensor& x, double p, Generator& g) {
  // keep when a uniform 32-bit value falls below (1-p) * 2^32
  const uint64_t threshold = static_cast<uint64_t>((1.0 - p) * 4294967296.0);
  EMBER_DISPATCH_FLOATING(x.dtype(), "dropout", [&]<typename T>() {
    const T scale = p == 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
    const T* in = x.data_ptr<T>();
    T* m = mask.data_ptr<T>();
    T* o = out.data_ptr<T>();
    const int64_t n = x.numel();
    auto& engine = g.engine();
    for (int64_t i = 0; i < n; i += 2) {
      const uint64_t r = engine();
      m[i] = (r & 0xffffffffu) < threshold ? scale : T(0);
      if (i + 1 < n) m[i + 1] = (r >> 32) < threshold ? scale : T(0);
    }
    for (int64_t i = 0; i < n; ++i) o[i] = in[i] * m[i];
  });
}

void dropout_bits(const Tensor& bits_t, int64_t n, double p, Generator& g) {
  uint64_t* bits = reinterpret_cast<uint64_t*>(bits_t.data_ptr<int64_t>());
  std::fill(bits, bits + bits_t.numel(), uint64_t{0});
  const uint64_t threshold = static_cast<uint64_t>((1.0 - p) * 4294967296.0);
  auto& engine = g.engine();
  // Branch-free: the outcomes are random, so branches would mispredict.
  for (int64_t i = 0; i + 1 < n; i += 2) {
    const uint64_t r = engine();
    const uint64_t pair = uint64_t{(r & 0xffffffffu) < threshold} | uint64_t{(r >> 32) < threshold} << 1;
    bits[i >> 6] |= pair << (i & 63);  // i is even, so the pair never straddles a word
  }
  if (n % 2) bits[(n - 1) >> 6] |= uint64_t{(engine() & 0xffffffffu) < threshold} << ((n - 1) & 63);
}

void bits_to_mask(const Tensor& z, const Tensor& bits_t, float keep_scale) {
  const uint64_t* bits = reinterpret_cast<const uint64_t*>(bits_t.data_ptr<int64_t>());
  float* pz = z.data_ptr<float>();
  for (int64_t i = 0; i < z.numel(); ++i) pz[i] = (bits[i >> 6] >> (i & 63)) & 1 ? keep_scale : 0.0f;
}

}  // namespace ember::cpu
