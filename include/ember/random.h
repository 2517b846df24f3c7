#pragma once
// Seeded random numbers. Generation is sequential per tensor, so the same seed gives the same
// bits whatever the thread count.
#include <cstdint>
#include <random>
#include <vector>

namespace ember {

class Generator {
 public:
  explicit Generator(uint64_t seed = 5489u) { manual_seed(seed); }
  void manual_seed(uint64_t seed);
  uint64_t seed() const { return seed_; }
  std::mt19937_64& engine() { return engine_; }
  double uniform();  // [0, 1) with 53 random bits
  float uniform_float();  // [0, 1) with 24 random bits
  double normal();   // standard normal (Box-Muller, cached pair)
  // Serialised state, for checkpoints: resuming from it reproduces the same stream.
  std::vector<uint8_t> get_state() const;
  void set_state(const std::vector<uint8_t>& state);
 private:
  std::mt19937_64 engine_;
  uint64_t seed_ = 0;
  bool has_spare_ = false;
  double spare_ = 0;
};

Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace ember
