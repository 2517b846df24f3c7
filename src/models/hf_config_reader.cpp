#include "models/hf_config_reader.h"

#include "ember/error.h"
#include "ember/io/json.h"

namespace ember::models::hf {

json parse_config(const std::string& text, const std::string& source, const char* op) {
  json j = io::parse_json<json>(text, op, "'" + source + "'", "a Hugging Face config.json is one JSON object");
  EMBER_CHECK(j.is_object(), op, "'", source, "' must hold a JSON object (a Hugging Face config.json), got a ",
              j.type_name());
  return j;
}

ConfigReader::ConfigReader(json j, std::string source, const char* op)
    : j_(std::move(j)), source_(std::move(source)), op_(op) {
  EMBER_CHECK(j_.is_object(), op_, "'", source_, "' must hold a JSON object, got a ", j_.type_name());
}

void ConfigReader::fail(const char* key, const std::string& what) const {
  EMBER_FAIL(op_, "'", source_, "': key '", key, "' ", what);
}

bool ConfigReader::has(const char* key) const {
  auto it = j_.find(key);
  return it != j_.end() && !it->is_null();
}

const json& ConfigReader::at(const char* key) const { return *j_.find(key); }

std::optional<int64_t> ConfigReader::optional_integer(const char* key, int64_t lo, int64_t hi) const {
  if (!has(key)) return std::nullopt;
  const json& v = at(key);
  if (!v.is_number_integer()) fail(key, "must be an integer, got " + io::describe_json(v));
  // Unsigned values above INT64_MAX would wrap; they are out of range anyway.
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi))
    fail(key, "is " + io::describe_json(v) + ", outside [" + std::to_string(lo) + ", " + std::to_string(hi) +
                  "], the range Ember accepts; is this config.json corrupt?");
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi)
    fail(key, "is " + std::to_string(x) + ", outside [" + std::to_string(lo) + ", " + std::to_string(hi) +
                  "], the range Ember accepts; is this config.json corrupt?");
  return x;
}

int64_t ConfigReader::integer(const char* key, int64_t def, int64_t lo, int64_t hi) const {
  return optional_integer(key, lo, hi).value_or(def);
}

double ConfigReader::number(const char* key, double def, double lo, double hi, bool hi_inclusive) const {
  if (!has(key)) return def;
  const json& v = at(key);
  if (!v.is_number()) fail(key, "must be a number, got " + io::describe_json(v));
  const double x = v.get<double>();
  const bool ok = x >= lo && (hi_inclusive ? x <= hi : x < hi);
  if (!ok)
    fail(key, "is " + io::describe_json(v) + ", outside [" + detail::str_cat(lo) + ", " + detail::str_cat(hi) +
                  (hi_inclusive ? "]" : ")"));
  return x;
}

std::optional<double> ConfigReader::optional_number(const char* key, double lo, double hi) const {
  if (!has(key)) return std::nullopt;
  return number(key, 0.0, lo, hi);
}

std::string ConfigReader::string(const char* key, const std::string& def) const {
  if (!has(key)) return def;
  const json& v = at(key);
  if (!v.is_string()) fail(key, "must be a string, got " + io::describe_json(v));
  return v.get<std::string>();
}

bool ConfigReader::boolean(const char* key, bool def) const {
  if (!has(key)) return def;
  const json& v = at(key);
  if (!v.is_boolean()) fail(key, "must be true or false, got " + io::describe_json(v));
  return v.get<bool>();
}

void ConfigReader::require_bool(const char* key, bool supported, const std::string& why) const {
  if (boolean(key, supported) != supported)
    fail(key, std::string("is ") + (supported ? "false" : "true") + ", which Ember does not support: " + why);
}

std::string with_commas(int64_t n) {
  std::string s = std::to_string(n), out;
  const size_t first = s[0] == '-' ? 1 : 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > first && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

}  // namespace ember::models::hf
