// The points and weights of Captum's path-integral approximations on [0, 1].
#include <cmath>
#include <numbers>

#include "ember/explain/attribution.h"

namespace ember::explain {

namespace {

// Gauss-Legendre on [-1, 1] by Newton's method on P_n (ascending, as numpy's leggauss), then
// mapped to [0, 1]: alphas = (1 + x) / 2, step sizes = w / 2.
Quadrature gauss_legendre(int64_t n) {
  Quadrature q;
  q.alphas.resize(static_cast<size_t>(n));
  q.step_sizes.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double z = std::cos(std::numbers::pi * (static_cast<double>(i) + 0.75) / (static_cast<double>(n) + 0.5));
    double dp = 1;
    for (int iter = 0; iter < 100; ++iter) {
      double p1 = 1, p0 = 0;  // P_j(z), P_{j-1}(z)
      for (int64_t j = 1; j <= n; ++j) {
        double pm = p0;
        p0 = p1;
        p1 = ((2.0 * j - 1) * z * p0 - (j - 1.0) * pm) / static_cast<double>(j);
      }
      dp = static_cast<double>(n) * (z * p1 - p0) / (z * z - 1);  // P_n'(z)
      double dz = p1 / dp;
      z -= dz;
      if (std::abs(dz) < 1e-16) break;
    }
    // z runs from near 1 down; store ascending.
    const size_t k = static_cast<size_t>(n - 1 - i);
    q.alphas[k] = 0.5 * (1 + z);
    q.step_sizes[k] = 0.5 * 2 / ((1 - z * z) * dp * dp);
  }
  return q;
}

}  // namespace

Quadrature quadrature(IntegrationMethod method, int64_t n) {
  constexpr const char* op = "integrated_gradients";
  if (method == IntegrationMethod::GaussLegendre) {
    EMBER_CHECK(n >= 1, op, "steps must be at least 1, got ", n);
    return gauss_legendre(n);
  }
  EMBER_CHECK(n >= 2, op, "steps must be at least 2 for the Riemann methods, got ", n);
  Quadrature q;
  const double dn = static_cast<double>(n);
  // Captum: step sizes 1/n each (the trapezoid halves the two ends), alphas evenly spaced.
  q.step_sizes.assign(static_cast<size_t>(n), 1 / dn);
  double a0 = 0, a1 = 1;
  switch (method) {
    case IntegrationMethod::RiemannTrapezoid:
      q.step_sizes.front() /= 2, q.step_sizes.back() /= 2;
      break;
    case IntegrationMethod::RiemannLeft: a1 = 1 - 1 / dn; break;
    case IntegrationMethod::RiemannRight: a0 = 1 / dn; break;
    case IntegrationMethod::RiemannMiddle: a0 = 1 / (2 * dn), a1 = 1 - 1 / (2 * dn); break;
    case IntegrationMethod::GaussLegendre: break;
  }
  for (int64_t i = 0; i < n; ++i) q.alphas.push_back(a0 + (a1 - a0) * static_cast<double>(i) / (dn - 1));
  return q;
}

}  // namespace ember::explain
