#include "ember/train/metrics.h"

#include <cstdio>
#include <sstream>

#include "ember/ops.h"

namespace ember::train {

ClassificationMetrics::ClassificationMetrics(int64_t num_classes)
    : classes_(num_classes), confusion_(static_cast<size_t>(num_classes * num_classes), 0) {
  EMBER_CHECK(num_classes > 0, "ClassificationMetrics", "num_classes must be positive, got ", num_classes);
}

ClassificationMetrics ClassificationMetrics::from_confusion(int64_t num_classes, const std::vector<int64_t>& confusion) {
  ClassificationMetrics m(num_classes);
  EMBER_CHECK(confusion.size() == m.confusion_.size(), "ClassificationMetrics.from_confusion", "expected ",
              m.confusion_.size(), " counts for ", num_classes, " classes, got ", confusion.size());
  m.confusion_ = confusion;
  for (int64_t t = 0; t < num_classes; ++t)
    for (int64_t p = 0; p < num_classes; ++p) {
      m.total_ += m.confusion_at(t, p);
      if (t == p) m.correct_ += m.confusion_at(t, p);
    }
  return m;
}

void ClassificationMetrics::update(const Tensor& scores, const Tensor& targets) {
  EMBER_CHECK(scores.dim() == 2 && scores.size(1) == classes_, "ClassificationMetrics.update", "expected scores of shape (N, ",
              classes_, "), got ", shape_str(scores.shape()));
  EMBER_CHECK(targets.dim() == 1 && targets.size(0) == scores.size(0), "ClassificationMetrics.update", "targets of shape ",
              shape_str(targets.shape()), " do not match scores of shape ", shape_str(scores.shape()));
  auto pred = argmax(scores.detach(), 1).to_vector<int64_t>();
  auto truth = targets.to_vector<int64_t>();
  for (size_t i = 0; i < pred.size(); ++i) {
    EMBER_CHECK(truth[i] >= 0 && truth[i] < classes_, "ClassificationMetrics.update", "target ", truth[i],
                " is out of range for ", classes_, " classes");
    ++confusion_[truth[i] * classes_ + pred[i]];
    correct_ += pred[i] == truth[i];
    ++total_;
  }
}

void ClassificationMetrics::reset() {
  total_ = correct_ = 0;
  std::fill(confusion_.begin(), confusion_.end(), 0);
}

double ClassificationMetrics::accuracy() const { return total_ ? static_cast<double>(correct_) / total_ : 0.0; }

double ClassificationMetrics::precision(int64_t c) const {
  int64_t tp = confusion_at(c, c), predicted = 0;
  for (int64_t t = 0; t < classes_; ++t) predicted += confusion_at(t, c);
  return predicted ? static_cast<double>(tp) / predicted : 0.0;
}

double ClassificationMetrics::recall(int64_t c) const {
  int64_t tp = confusion_at(c, c), actual = 0;
  for (int64_t p = 0; p < classes_; ++p) actual += confusion_at(c, p);
  return actual ? static_cast<double>(tp) / actual : 0.0;
}

double ClassificationMetrics::f1(int64_t c) const {
  double p = precision(c), r = recall(c);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double ClassificationMetrics::macro_f1() const {
  double s = 0;
  for (int64_t c = 0; c < classes_; ++c) s += f1(c);
  return s / static_cast<double>(classes_);
}

void ClassificationMetrics::merge(const ClassificationMetrics& o) {
  EMBER_CHECK(o.classes_ == classes_, "ClassificationMetrics.merge", "class counts differ: ", classes_, " vs ", o.classes_);
  total_ += o.total_;
  correct_ += o.correct_;
  for (size_t i = 0; i < confusion_.size(); ++i) confusion_[i] += o.confusion_[i];
}

std::string ClassificationMetrics::report() const {
  std::ostringstream os;
  char line[128];
  std::snprintf(line, sizeof line, "%6s %10s %10s %10s\n", "class", "precision", "recall", "f1");
  os << line;
  for (int64_t c = 0; c < classes_; ++c) {
    std::snprintf(line, sizeof line, "%6lld %10.4f %10.4f %10.4f\n", static_cast<long long>(c), precision(c), recall(c), f1(c));
    os << line;
  }
  std::snprintf(line, sizeof line, "accuracy %.4f, macro F1 %.4f over %lld samples\n", accuracy(), macro_f1(),
                static_cast<long long>(total_));
  os << line << "confusion matrix (rows: true, columns: predicted)\n";
  for (int64_t t = 0; t < classes_; ++t) {
    for (int64_t p = 0; p < classes_; ++p) {
      std::snprintf(line, sizeof line, "%6lld", static_cast<long long>(confusion_at(t, p)));
      os << line;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace ember::train
