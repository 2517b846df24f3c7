// KernelSHAP as shap's KernelExplainer (without L1 regularization): coalition sizes whose every
// coalition fits in the budget are enumerated with exact Shapley-kernel weights, the rest sampled;
// then a weighted least squares fit with the efficiency constraint solved exactly.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "ember/explain/shapley.h"
#include "ember/ops.h"
#include "explain/coalitions.h"
#include "explain/linear_solve.h"

namespace ember::explain {

namespace {

constexpr const char* kOp = "kernel_shap";

double binom(int64_t m, int64_t k) { return std::round(std::exp(std::lgamma(m + 1.0) - std::lgamma(k + 1.0) - std::lgamma(m - k + 1.0))); }

// The coalitions (rows of F bytes) and their kernel weights.
struct Design {
  int64_t f;
  std::vector<uint8_t> z;
  std::vector<double> weight;
  int64_t rows() const { return static_cast<int64_t>(weight.size()); }
  void add(const std::vector<uint8_t>& mask, double w) {
    z.insert(z.end(), mask.begin(), mask.end());
    weight.push_back(w);
  }
};

Design coalitions(int64_t m, int64_t budget, Generator& gen) {
  Design d{m, {}, {}};
  const int64_t sizes = (m - 1 + 1) / 2, paired = (m - 1) / 2;  // ceil((M-1)/2), floor((M-1)/2)
  std::vector<double> kw(static_cast<size_t>(sizes));  // the kernel's weight of each size (pairs together)
  for (int64_t s = 1; s <= sizes; ++s) kw[s - 1] = (m - 1.0) / (static_cast<double>(s) * static_cast<double>(m - s));
  for (int64_t s = 0; s < paired; ++s) kw[s] *= 2;
  double total = 0;
  for (double x : kw) total += x;
  for (double& x : kw) x /= total;

  // Enumerate whole sizes while the budget covers them at their kernel share.
  std::vector<double> rw = kw;
  int64_t full = 0, left = budget;
  std::vector<uint8_t> mask(static_cast<size_t>(m));
  for (int64_t s = 1; s <= sizes; ++s) {
    double nsub = binom(m, s) * (s <= paired ? 2 : 1);
    if (left * rw[s - 1] / nsub < 1.0 - 1e-8) break;
    ++full, left -= static_cast<int64_t>(nsub);
    if (rw[s - 1] < 1.0) {
      const double keep = 1 - rw[s - 1];
      for (double& x : rw) x /= keep;
    }
    const double w = kw[s - 1] / binom(m, s) / (s <= paired ? 2 : 1);
    std::vector<int64_t> idx(static_cast<size_t>(s));
    for (int64_t i = 0; i < s; ++i) idx[i] = i;
    while (true) {  // every combination of s features, in lexicographic order
      std::fill(mask.begin(), mask.end(), 0);
      for (int64_t i : idx) mask[i] = 1;
      d.add(mask, w);
      if (s <= paired) {
        for (auto& b : mask) b = 1 - b;
        d.add(mask, w);
      }
      int64_t i = s - 1;
      while (i >= 0 && idx[i] == m - s + i) --i;
      if (i < 0) break;
      ++idx[i];
      for (int64_t j = i + 1; j < s; ++j) idx[j] = idx[j - 1] + 1;
    }
  }
  const int64_t fixed = d.rows();
  if (full == sizes || left <= 0) return d;

  // Sample the other sizes in proportion to their kernel weight (a drawn pair counts once), each
  // coalition uniformly within its size; repeats add weight instead of rows.
  std::vector<double> p(kw.begin() + full, kw.end());
  for (int64_t s = full; s < sizes; ++s)
    if (s < paired) p[s - full] /= 2;
  double psum = 0;
  for (double x : p) psum += x;
  std::unordered_map<std::string, int64_t> seen;  // coalition bytes -> its row
  std::vector<int64_t> perm(static_cast<size_t>(m));
  for (int64_t draws = 0; left > 0 && draws < 4 * budget; ++draws) {
    double u = gen.uniform() * psum;
    size_t k = 0;
    while (k + 1 < p.size() && u >= p[k]) u -= p[k++];
    const int64_t s = static_cast<int64_t>(k) + full + 1;
    for (int64_t i = 0; i < m; ++i) perm[i] = i;
    for (int64_t i = 0; i < s; ++i) std::swap(perm[i], perm[i + static_cast<int64_t>(gen.uniform() * (m - i))]);
    std::fill(mask.begin(), mask.end(), 0);
    for (int64_t i = 0; i < s; ++i) mask[perm[i]] = 1;
    std::string key(mask.begin(), mask.end());
    auto it = seen.find(key);
    const bool fresh = it == seen.end();
    int64_t row = fresh ? d.rows() : it->second;
    if (fresh) seen.emplace(std::move(key), row), d.add(mask, 1.0), --left;
    else d.weight[row] += 1.0;
    if (s <= paired) {  // the complement, right after its coalition
      for (auto& b : mask) b = 1 - b;
      if (fresh && left > 0) d.add(mask, 1.0), --left;
      else if (!fresh && row + 1 < d.rows()) d.weight[row + 1] += 1.0;
    }
  }
  double sampled = 0, share = 0;
  for (int64_t r = fixed; r < d.rows(); ++r) sampled += d.weight[r];
  for (int64_t s = full; s < sizes; ++s) share += kw[s];
  for (int64_t r = fixed; r < d.rows(); ++r) d.weight[r] *= share / sampled;
  return d;
}

}  // namespace

ShapleyResult kernel_shap(const Forward& model, const Tensor& inputs, const std::vector<int64_t>& targets,
                          const KernelShapOptions& o) {
  detail::CoalitionGame game(kOp, model, inputs, targets, o.feature_mask, o.baseline, o.perturbations_per_eval);
  const int64_t m = game.features(), n = game.examples();
  EMBER_CHECK(o.samples >= 0, kOp, "samples must be non-negative (0: 2F + 2048), got ", o.samples);
  int64_t budget = o.samples > 0 ? o.samples : 2 * m + 2048;
  if (m < 62) budget = std::min<int64_t>(budget, (int64_t{1} << m) - 2);
  Generator& gen = o.generator ? *o.generator : default_generator();
  Design d = m > 1 ? coalitions(m, budget, gen) : Design{m, {}, {}};

  // v on the empty and the full coalition, then on the design's rows.
  std::vector<uint8_t> all(static_cast<size_t>(2 * m), 0);
  std::fill(all.begin() + m, all.end(), 1);
  all.insert(all.end(), d.z.begin(), d.z.end());
  const std::vector<double> v = game.values(all);
  const int64_t rows = d.rows(), k = m - 1;

  std::vector<double> phi(static_cast<size_t>(n * m)), base(static_cast<size_t>(n));
  for (int64_t e = 0; e < n; ++e) {
    const double fnull = v[e], fx = v[n + e];
    base[e] = fnull;
    if (m == 1) {
      phi[e] = fx - fnull;
      continue;
    }
    // Eliminate the last feature with sum phi = fx - fnull: y = v - fnull - z_last (fx - fnull),
    // X = z[:, :-1] - z_last; normal equations X^T W X w = X^T W y.
    std::vector<double> xtwx(static_cast<size_t>(k * k), 0.0), xtwy(static_cast<size_t>(k), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      const uint8_t* z = d.z.data() + r * m;
      const double last = z[m - 1], y = v[(2 + r) * n + e] - fnull - last * (fx - fnull), w = d.weight[r];
      for (int64_t i = 0; i < k; ++i) {
        const double xi = z[i] - last;
        if (xi == 0) continue;
        xtwy[i] += w * xi * y;
        for (int64_t j = 0; j < k; ++j) xtwx[i * k + j] += w * xi * (z[j] - last);
      }
    }
    std::vector<double> sol = detail::solve_linear(std::move(xtwx), std::move(xtwy), k, kOp,
                                                   "the sampled coalitions do not determine the values (a singular "
                                                   "system); raise samples");
    double rest = fx - fnull;
    for (int64_t i = 0; i < k; ++i) phi[e * m + i] = sol[i], rest -= sol[i];
    phi[e * m + k] = rest;
  }
  ShapleyResult r;
  r.values = tensor<double>(phi, {n, m});
  r.base_values = tensor<double>(base, {n});
  r.attributions = game.spread(r.values);
  return r;
}

}  // namespace ember::explain
