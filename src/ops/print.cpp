// Tensor printing that matches PyTorch 1.13's repr (torch/_tensor_str.py with default print
// options: precision 4, threshold 1000, edgeitems 3, linewidth 80), so that Ember and PyTorch
// output can be compared by eye or by diff. Elements are read straight from storage through the
// strides, so printing a huge tensor touches only the elements it shows.
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "core/op_helpers.h"
#include "ember/autograd.h"

namespace ember {

namespace {

constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;  // more elements than this: summarize with "..."
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kLineWidth = 80;

// One element, read as double (floating types) or int64 (integers and bool).
struct Element {
  double d = 0;
  int64_t i = 0;
};

Element read_element(const Tensor& t, int64_t storage_index) {
  const char* base = static_cast<const char*>(t.impl().storage->data);
  const void* p = base + storage_index * static_cast<int64_t>(t.element_size());
  Element e;
  switch (t.dtype()) {
    case DType::Bool: e.i = *static_cast<const bool*>(p) ? 1 : 0; break;
    case DType::Int32: e.i = *static_cast<const int32_t*>(p); break;
    case DType::Int64: e.i = *static_cast<const int64_t*>(p); break;
    case DType::Float16: e.d = static_cast<float>(*static_cast<const Half*>(p)); break;
    case DType::BFloat16: e.d = static_cast<float>(*static_cast<const BFloat16*>(p)); break;
    case DType::Float32: e.d = *static_cast<const float*>(p); break;
    case DType::Float64: e.d = *static_cast<const double*>(p); break;
  }
  return e;
}

// Indices shown along a dim of `size`: all of them, or the edge items around a "..." marker (-1).
std::vector<int64_t> shown_indices(int64_t size, bool summarize) {
  std::vector<int64_t> idx;
  if (summarize && size > 2 * kEdgeItems) {
    for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
    idx.push_back(-1);
    for (int64_t i = size - kEdgeItems; i < size; ++i) idx.push_back(i);
  } else {
    for (int64_t i = 0; i < size; ++i) idx.push_back(i);
  }
  return idx;
}

// Calls f(storage_index) for every element that will be printed, in row-major order.
template <typename F>
void for_each_shown(const Tensor& t, bool summarize, int64_t dim, int64_t offset, F& f) {
  if (dim == t.dim()) {
    f(offset);
    return;
  }
  for (int64_t i : shown_indices(t.shape()[dim], summarize))
    if (i >= 0) for_each_shown(t, summarize, dim + 1, offset + i * t.strides()[dim], f);
}

std::string cformat(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// Python's str.format of a float: "nan" whatever its sign, "inf"/"-inf" for infinities.
std::string py_float(double v, char mode, int precision) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char fmt[16];
  std::snprintf(fmt, sizeof fmt, "%%.%d%c", precision, mode);
  return cformat(fmt, v);
}

// PyTorch's _Formatter: chooses integer, fixed or scientific notation and a common width from the
// elements that will be shown.
class Formatter {
 public:
  Formatter(const Tensor& t, bool summarize) : floating_(t.is_floating_point()), dtype_(t.dtype()) {
    std::vector<Element> vals;
    auto collect = [&](int64_t idx) { vals.push_back(read_element(t, idx)); };
    for_each_shown(t, summarize, 0, t.storage_offset(), collect);
    if (!floating_) {
      for (auto& e : vals) width_ = std::max(width_, format_int(e.i).size());
      return;
    }
    std::vector<double> nz;  // nonzero finite values
    for (auto& e : vals)
      if (std::isfinite(e.d) && e.d != 0) nz.push_back(e.d);
    if (nz.empty()) return;
    double lo = std::abs(nz[0]), hi = lo;
    for (double v : nz) {
      lo = std::min(lo, std::abs(v));
      hi = std::max(hi, std::abs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    if (int_mode_) {
      // All integers: "3." style, unless the range needs scientific notation.
      if (hi / lo > 1000.0 || hi > 1.0e8) {
        sci_mode_ = true;
        for (double v : nz) width_ = std::max(width_, py_float(v, 'e', kPrecision).size());
      } else {
        for (double v : nz) width_ = std::max(width_, py_float(v, 'f', 0).size() + 1);
      }
    } else if (hi / lo > 1000.0 || hi > 1.0e8 || lo < 1.0e-4) {
      sci_mode_ = true;
      for (double v : nz) width_ = std::max(width_, py_float(v, 'e', kPrecision).size());
    } else {
      for (double v : nz) width_ = std::max(width_, py_float(v, 'f', kPrecision).size());
    }
  }

  size_t width() const { return width_; }

  std::string format(const Element& e) const {
    std::string s;
    if (!floating_) {
      s = format_int(e.i);
    } else if (sci_mode_) {
      s = py_float(e.d, 'e', kPrecision);
    } else if (int_mode_) {
      s = py_float(e.d, 'f', 0);
      if (std::isfinite(e.d)) s += ".";
    } else {
      s = py_float(e.d, 'f', kPrecision);
    }
    return s.size() < width_ ? std::string(width_ - s.size(), ' ') + s : s;
  }

 private:
  std::string format_int(int64_t v) const {
    if (dtype_ == DType::Bool) return v ? "True" : "False";
    return std::to_string(v);
  }
  bool floating_;
  DType dtype_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t width_ = 1;
};

// open + parts joined by sep + close. (Built with append: GCC 12 warns falsely (-Wrestrict) on
// chains of std::string operator+ here.)
std::string join(const std::vector<std::string>& parts, const std::string& sep, const char* open = "",
                 const char* close = "") {
  std::string out = open;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.append(sep);
    out.append(parts[i]);
  }
  return out.append(close);
}

// _vector_str: elements wrapped to the line width.
std::string vector_str(const Tensor& t, int64_t offset, int64_t indent, bool summarize, const Formatter& fmt) {
  int64_t element_length = static_cast<int64_t>(fmt.width()) + 2;
  int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / element_length);
  std::vector<std::string> data;
  for (int64_t i : shown_indices(t.shape().back(), summarize))
    data.push_back(i < 0 ? " ..." : fmt.format(read_element(t, offset + i * t.strides().back())));
  std::vector<std::string> lines;
  for (size_t i = 0; i < data.size(); i += per_line) {
    std::vector<std::string> line(data.begin() + i, data.begin() + std::min(data.size(), i + per_line));
    lines.push_back(join(line, ", "));
  }
  return join(lines, ",\n" + std::string(indent + 1, ' '), "[", "]");
}

// _tensor_str_with_formatter for the sub-tensor starting at `dim` and storage `offset`.
std::string tensor_str(const Tensor& t, int64_t dim, int64_t offset, int64_t indent, bool summarize,
                       const Formatter& fmt) {
  int64_t remaining = t.dim() - dim;
  if (remaining == 0) return fmt.format(read_element(t, offset));
  if (remaining == 1) return vector_str(t, offset, indent, summarize, fmt);
  std::vector<std::string> slices;
  for (int64_t i : shown_indices(t.shape()[dim], summarize))
    slices.push_back(i < 0 ? "..." : tensor_str(t, dim + 1, offset + i * t.strides()[dim], indent + 1, summarize, fmt));
  std::string sep = ",";
  sep.append(static_cast<size_t>(remaining - 1), '\n').append(static_cast<size_t>(indent + 1), ' ');
  return join(slices, sep, "[", "]");
}

// Python's str(tuple(shape)) for a shape of two or more dims: "(0, 3)".
std::string py_tuple(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

// PyTorch's node names carry an overload number (AddBackward0); Ember's names do not.
std::string grad_fn_name(const autograd::Node& n) {
  std::string name = n.name();
  if (!name.empty() && !std::isdigit(static_cast<unsigned char>(name.back()))) name += "0";
  return name;
}

// _add_suffixes: ", suffix" on the last line, or on a new line when it would pass the line width.
std::string add_suffixes(std::string s, const std::vector<std::string>& suffixes, int64_t indent) {
  // As Python's len(s) - s.rfind("\n") + 1, where rfind gives -1 when there is no newline.
  size_t nl = s.rfind('\n');
  int64_t last_line_len = static_cast<int64_t>(s.size()) - (nl == std::string::npos ? -1 : static_cast<int64_t>(nl)) + 1;
  for (auto& suffix : suffixes) {
    int64_t len = static_cast<int64_t>(suffix.size());
    if (last_line_len + len + 2 > kLineWidth) {
      s += ",\n" + std::string(indent, ' ') + suffix;
      last_line_len = indent + len;
    } else {
      s += ", " + suffix;
      last_line_len += len + 2;
    }
  }
  return s + ")";
}

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  const std::string prefix = "tensor(";
  const int64_t indent = static_cast<int64_t>(prefix.size());
  std::vector<std::string> suffixes;
  std::string body;
  // float32 is the default dtype; int64 and bool are recognisable from their values.
  std::string dtype_suffix = std::string("dtype=torch.") + dtype_name(t.dtype());
  if (t.numel() == 0) {
    if (t.dim() != 1) suffixes.push_back("size=" + py_tuple(t.shape()));
    if (t.dtype() != kFloat32) suffixes.push_back(dtype_suffix);  // no values to infer it from
    body = "[]";
  } else {
    if (t.dtype() != kFloat32 && t.dtype() != kInt64 && t.dtype() != kBool) suffixes.push_back(dtype_suffix);
    bool summarize = t.numel() > kThreshold;
    Formatter fmt(t, summarize);
    body = tensor_str(t, 0, t.storage_offset(), indent, summarize, fmt);
  }
  if (t.grad_fn()) suffixes.push_back("grad_fn=<" + grad_fn_name(*t.grad_fn()) + ">");
  else if (t.requires_grad()) suffixes.push_back("requires_grad=True");
  return add_suffixes(prefix + body, suffixes, indent);
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

}  // namespace ember
