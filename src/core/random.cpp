#include "ember/random.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "ember/error.h"

namespace ember {

void Generator::manual_seed(uint64_t seed) {
  seed_ = seed;
  engine_.seed(seed);
  has_spare_ = false;
}

double Generator::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
float Generator::uniform_float() { return static_cast<float>(engine_() >> 40) * 0x1.0p-24f; }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = 0;
  while (u1 <= 0) u1 = uniform();
  double u2 = uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  double theta = 2.0 * M_PI * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

std::vector<uint8_t> Generator::get_state() const {
  std::ostringstream os;
  os << engine_ << ' ' << seed_ << ' ' << has_spare_ << ' ';
  std::string s = os.str();
  std::vector<uint8_t> out(s.begin(), s.end());
  out.resize(out.size() + sizeof(double));
  std::memcpy(out.data() + s.size(), &spare_, sizeof(double));
  return out;
}

void Generator::set_state(const std::vector<uint8_t>& state) {
  EMBER_CHECK(state.size() > sizeof(double), "Generator::set_state", "state of ", state.size(), " bytes is too short");
  std::string s(state.begin(), state.end() - sizeof(double));
  std::istringstream is(s);
  std::mt19937_64 e;
  uint64_t seed = 0;
  bool spare = false;
  is >> e >> seed >> spare;
  EMBER_CHECK(!is.fail(), "Generator::set_state", "state is corrupt (not produced by get_state)");
  engine_ = e;
  seed_ = seed;
  has_spare_ = spare;
  std::memcpy(&spare_, state.data() + s.size(), sizeof(double));
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace ember
