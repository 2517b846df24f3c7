#include "ember/train/report.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "ember/error.h"
#include "ember/io/file.h"

namespace ember::train {

bool stdout_is_tty() { return isatty(STDOUT_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, int64_t total, bool tty)
    : label_(std::move(label)), total_(total), tty_(tty), start_(std::chrono::steady_clock::now()), last_draw_() {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(int64_t done, double loss, int64_t samples) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;  // redraw at most 10x/s
  last_draw_ = now;
  const int width = 30;
  int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
  double secs = elapsed_seconds();
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < width) bar += '>' + std::string(static_cast<size_t>(width - filled - 1), ' ');
  std::fprintf(stdout, "\r%s [%s] %lld/%lld loss %.4f %.0f img/s", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), loss, secs > 0 ? samples / secs : 0.0);
  std::fflush(stdout);
}

void ProgressBar::finish() {
  if (tty_) std::fprintf(stdout, "\r\033[K");
  std::fflush(stdout);
}

double EpochRecord::get(const std::string& key) const {
  for (auto& [k, v] : values)
    if (k == key) return v;
  return std::nan("");
}

std::string encode_history(const std::vector<EpochRecord>& rows) {
  std::ostringstream os;
  os.precision(17);
  for (auto& r : rows) {
    os << r.epoch;
    for (auto& [k, v] : r.values) os << " " << k << "=" << v;
    os << "\n";
  }
  return os.str();
}

std::vector<EpochRecord> decode_history(const std::string& text, const std::string& path) {
  std::vector<EpochRecord> rows;
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) {
    EpochRecord r;
    std::istringstream ls(line);
    std::string tok;
    ls >> r.epoch;
    while (ls >> tok) {
      auto eq = tok.find('=');
      try {
        if (eq == std::string::npos) throw std::invalid_argument(tok);
        r.values.emplace_back(tok.substr(0, eq), std::stod(tok.substr(eq + 1)));
      } catch (const std::exception&) {
        EMBER_FAIL("--resume", "checkpoint '", path, "' has a malformed history entry '", tok, "'");
      }
    }
    rows.push_back(r);
  }
  return rows;
}

namespace {
std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.8g", v);
  return b;
}
}  // namespace

void write_metrics(const std::string& path, const std::vector<EpochRecord>& rows, const std::string& x_name) {
  std::ostringstream os;
  os.precision(8);
  bool jsonl = path.size() >= 6 && path.substr(path.size() - 6) == ".jsonl";
  bool csv = path.size() >= 4 && path.substr(path.size() - 4) == ".csv";
  EMBER_CHECK(jsonl || csv, "write_metrics", "'", path, "' must end in .csv or .jsonl");
  if (csv) {
    os << x_name;
    if (!rows.empty())
      for (auto& [k, v] : rows.front().values) os << "," << k;
    os << "\n";
  }
  for (auto& r : rows) {
    if (csv) {
      os << r.epoch;
      for (auto& [k, v] : r.values) os << "," << v;
      os << "\n";
    } else {
      os << "{\"" << x_name << "\": " << r.epoch;
      for (auto& [k, v] : r.values) os << ", \"" << k << "\": " << (std::isfinite(v) ? num(v) : std::string("null"));
      os << "}\n";
    }
  }
  io::write_file_atomic(path, os.str(), "write_metrics");
}

}  // namespace ember::train
