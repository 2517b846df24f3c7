#include "ember/explain/text_render.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "ember/error.h"
#include "ember/io/file.h"

namespace ember::explain {

namespace {

using Rgb = std::array<int, 3>;

// White blended toward red (positive) or blue (negative) by |score| / the largest |score|.
std::vector<Rgb> colours(const std::vector<std::string>& tokens, const std::vector<double>& scores, const char* op) {
  EMBER_CHECK(tokens.size() == scores.size(), op, tokens.size(), " tokens but ", scores.size(), " scores");
  double sat = 0;
  for (double s : scores) {
    EMBER_CHECK(std::isfinite(s), op, "a token's attribution is not finite (", s, ")");
    sat = std::max(sat, std::abs(s));
  }
  std::vector<Rgb> out;
  for (double s : scores) {
    const double a = sat > 0 ? s / sat : 0.0, t = std::abs(a);
    const Rgb to = a >= 0 ? Rgb{255, 50, 30} : Rgb{40, 120, 255};
    Rgb c;
    for (int k = 0; k < 3; ++k) c[k] = static_cast<int>(std::lround(255 * (1 - t) + to[k] * t));
    out.push_back(c);
  }
  return out;
}

std::string escape_html(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

}  // namespace

std::string ansi_tokens(const std::vector<std::string>& tokens, const std::vector<double>& scores) {
  const std::vector<Rgb> c = colours(tokens, scores, "ansi_tokens");
  std::string out;
  char esc[48];
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out += ' ';
    std::snprintf(esc, sizeof esc, "\x1b[30;48;2;%d;%d;%dm", c[i][0], c[i][1], c[i][2]);
    out += esc + tokens[i] + "\x1b[0m";
  }
  return out;
}

std::string html_tokens(const std::vector<std::string>& tokens, const std::vector<double>& scores,
                        const std::vector<std::string>& heading) {
  const std::vector<Rgb> c = colours(tokens, scores, "html_tokens");
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Ember attributions</title>\n"
      "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:2}"
      "span.t{padding:2px 3px;border-radius:3px}p.h{margin:0;line-height:1.4}</style></head><body>\n";
  for (const std::string& line : heading) out += "<p class=\"h\">" + escape_html(line) + "</p>\n";
  out += "<p>";
  char buf[96];
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::snprintf(buf, sizeof buf, "<span class=\"t\" style=\"background:rgb(%d,%d,%d)\" title=\"%.6g\">", c[i][0],
                  c[i][1], c[i][2], scores[i]);
    out += buf + escape_html(tokens[i]) + "</span> ";
  }
  out +=
      "</p>\n<p class=\"h\"><span class=\"t\" style=\"background:rgb(255,50,30)\">red</span> raises the target's "
      "score, <span class=\"t\" style=\"background:rgb(40,120,255)\">blue</span> lowers it; hover a token for its "
      "attribution.</p>\n</body></html>\n";
  return out;
}

void write_attribution_html(const std::string& path, const std::vector<std::string>& tokens,
                            const std::vector<double>& scores, const std::vector<std::string>& heading) {
  EMBER_CHECK(!path.empty(), "write_attribution_html", "the output path is empty");
  io::write_file_atomic(path, html_tokens(tokens, scores, heading), "write_attribution_html");
}

}  // namespace ember::explain
