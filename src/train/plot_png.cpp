// The loss/accuracy curves as a PNG (libpng), drawn on a small RGB canvas. Labels use a 5x7
// bitmap font for the few characters the plot needs: no font library is worth a dependency here.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "ember/error.h"
#include "ember/io/file.h"
#include "ember/io/png.h"
#include "ember/train/report.h"

namespace ember::train {

namespace {

struct Rgb {
  uint8_t r, g, b;
};

class Canvas {
 public:
  Canvas(int w, int h) : w_(w), h_(h), px_(static_cast<size_t>(w * h * 3), 255) {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
    uint8_t* p = &px_[static_cast<size_t>((y * w_ + x) * 3)];
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }
  void line(double x0, double y0, double x1, double y1, Rgb c, int thick = 1) {
    int steps = static_cast<int>(std::max(std::abs(x1 - x0), std::abs(y1 - y0))) + 1;
    for (int i = 0; i <= steps; ++i) {
      double t = static_cast<double>(i) / steps;
      int x = static_cast<int>(std::lround(x0 + (x1 - x0) * t)), y = static_cast<int>(std::lround(y0 + (y1 - y0) * t));
      for (int dx = -(thick / 2); dx <= thick / 2; ++dx)
        for (int dy = -(thick / 2); dy <= thick / 2; ++dy) set(x + dx, y + dy, c);
    }
  }
  void text(int x, int y, const std::string& s, Rgb c);
  int width() const { return w_; }
  int height() const { return h_; }
  const std::vector<uint8_t>& pixels() const { return px_; }

 private:
  int w_, h_;
  std::vector<uint8_t> px_;
};

// 5x7 glyphs, one string of 7 rows each ('#' = ink).
const std::map<char, const char*>& font() {
  static const std::map<char, const char*> f = {
      {'0', " ### #   ##  ### # ###  ##   # ### "}, {'1', "  #   ##    #    #    #    #   ### "},
      {'2', " ### #   #    #   #   #   #   #####"}, {'3', "#####   #   #     #     ##   # ### "},
      {'4', "   #   ##  # # #  # #####   #    # "}, {'5', "######    ####     #    ##   # ### "},
      {'6', "  ##  #   #    #### #   ##   # ### "}, {'7', "#####    #   #   #   #    #    #   "},
      {'8', " ### #   ##   # ### #   ##   # ### "}, {'9', " ### #   ##   # ####    #   #  ##  "},
      {'.', "                          ##   ##  "}, {'-', "               #####               "},
      {'%', "##   ##  #   #   #   #   #  ##   ##"}, {' ', "                                   "},
      {'A', " ### #   ##   #######   ##   ##   #"}, {'C', " ### #   ##    #    #    #   # ### "},
      {'E', "######    #    #### #    #    #####"}, {'H', "#   ##   ##   #######   ##   ##   #"},
      {'I', " ###   #    #    #    #    #   ### "}, {'L', "#    #    #    #    #    #    #####"},
      {'N', "#   ###  ## # ##  ###   ##   ##   #"}, {'O', " ### #   ##   ##   ##   ##   # ### "},
      {'P', "#### #   ##   ##### #    #    #    "}, {'R', "#### #   ##   ##### # #  #  # #   #"},
      {'S', " ####    #     ###     #    #####  "}, {'T', "#####  #    #    #    #    #    #  "},
      {'U', "#   ##   ##   ##   ##   ##   # ### "}, {'Y', "#   ##   # # #   #    #    #    #  "},
      {'V', "#   ##   ##   ##   ##   # # #   #  "},
  };
  return f;
}

void Canvas::text(int x, int y, const std::string& s, Rgb c) {
  for (char ch : s) {
    auto it = font().find(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
    if (it != font().end()) {
      const char* g = it->second;
      for (int r = 0; r < 7; ++r)
        for (int col = 0; col < 5; ++col)
          if (static_cast<int>(std::strlen(g)) > r * 5 + col && g[r * 5 + col] == '#') set(x + col, y + r, c);
    }
    x += 6;
  }
}

std::string fmt(double v, int prec) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

struct Series {
  std::string label;
  std::vector<double> y;
  Rgb color;
};

// One panel: axes box, y ticks, epoch ticks, a polyline per series and a legend.
void draw_panel(Canvas& cv, int x0, int y0, int w, int h, const std::string& title, const std::vector<Series>& series,
                const std::vector<int64_t>& epochs, int prec, double scale, const std::string& x_label) {
  const Rgb axis{60, 60, 60}, grid{225, 225, 225};
  double lo = INFINITY, hi = -INFINITY;
  for (auto& s : series)
    for (double v : s.y)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) hi = lo + 1e-3;
  double pad = (hi - lo) * 0.08;
  lo -= pad, hi += pad;
  int left = x0 + 60, right = x0 + w - 10, top = y0 + 24, bottom = y0 + h - 30;
  cv.text(x0 + w / 2 - static_cast<int>(title.size()) * 3, y0 + 6, title, axis);
  for (int i = 0; i <= 4; ++i) {
    double v = lo + (hi - lo) * i / 4;
    int y = bottom - (bottom - top) * i / 4;
    cv.line(left, y, right, y, grid);
    cv.text(x0 + 4, y - 3, fmt(v * scale, prec), axis);
  }
  size_t n = epochs.size();
  auto xpos = [&](size_t i) { return n <= 1 ? (left + right) / 2.0 : left + (right - left) * static_cast<double>(i) / (n - 1); };
  for (size_t i = 0; i < n; ++i) {
    if (n > 12 && i % ((n + 9) / 10) != 0 && i + 1 != n) continue;
    std::string e = std::to_string(epochs[i]);
    cv.text(static_cast<int>(xpos(i)) - static_cast<int>(e.size()) * 3, bottom + 6, e, axis);
  }
  cv.text((left + right) / 2 - static_cast<int>(x_label.size()) * 3, bottom + 17, x_label, axis);
  cv.line(left, top, left, bottom, axis);
  cv.line(left, bottom, right, bottom, axis);
  cv.line(right, top, right, bottom, axis);
  cv.line(left, top, right, top, axis);
  auto ypos = [&](double v) { return bottom - (bottom - top) * (v - lo) / (hi - lo); };
  int legend_y = top + 6;
  for (auto& s : series) {
    bool any = false;
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      any = true;
      if (i > 0 && std::isfinite(s.y[i - 1])) cv.line(xpos(i - 1), ypos(s.y[i - 1]), xpos(i), ypos(s.y[i]), s.color, 2);
      for (int d = -2; d <= 2; ++d) cv.line(xpos(i) - 2, ypos(s.y[i]) + d, xpos(i) + 2, ypos(s.y[i]) + d, s.color);
    }
    if (!any) continue;
    cv.line(right - 110, legend_y + 3, right - 95, legend_y + 3, s.color, 2);
    cv.text(right - 90, legend_y, s.label, axis);
    legend_y += 12;
  }
}

}  // namespace

void write_curves_png(const std::string& path, const std::vector<EpochRecord>& rows, const std::string& x_name) {
  std::vector<int64_t> epochs;
  Series train_loss{"TRAIN LOSS", {}, {31, 119, 180}}, test_loss{"TEST LOSS", {}, {255, 127, 14}};
  Series val_loss{"VAL LOSS", {}, {214, 39, 40}};
  Series train_acc{"TRAIN", {}, {31, 119, 180}}, test_acc{"TEST", {}, {44, 160, 44}};
  bool any_acc = false;
  for (auto& r : rows) {
    epochs.push_back(r.epoch);
    train_loss.y.push_back(r.get("train_loss"));
    test_loss.y.push_back(r.get("test_loss"));
    val_loss.y.push_back(r.get("val_loss"));
    train_acc.y.push_back(r.get("train_accuracy"));
    test_acc.y.push_back(r.get("test_accuracy"));
    any_acc = any_acc || std::isfinite(train_acc.y.back()) || std::isfinite(test_acc.y.back());
  }
  std::string x_label;
  for (char c : x_name) x_label += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Canvas cv(960, 380);
  draw_panel(cv, 0, 0, any_acc ? 480 : 960, 380, "LOSS", {train_loss, test_loss, val_loss}, epochs, 3, 1.0, x_label);
  if (any_acc) draw_panel(cv, 480, 0, 480, 380, "ACCURACY %", {train_acc, test_acc}, epochs, 2, 100.0, x_label);
  io::write_file_atomic(path, io::encode_png(cv.pixels().data(), cv.width(), cv.height(), 3, "write_curves_png"), "write_curves_png");
}

}  // namespace ember::train
