// IMDB: reading reviews.json.gz (zlib + nlohmann-json), the fixed split, and token rows.
#include "ember/data/imdb.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/error.h"
#include "ember/io/json.h"
#include "ember/ops.h"
#include "ember/ops/trace.h"

namespace ember::data {

namespace {

// The whole decompressed content of a gzip file (zlib reads a plain file as is).
std::string read_gzip_file(const std::string& path, const char* op) {
  std::error_code ec;
  EMBER_CHECK(std::filesystem::is_regular_file(path, ec), op, "cannot find '", path,
              "'; pass the data root that holds imdb/reviews.json.gz, or set EMBER_DATA=/path/to/data");
  gzFile f = gzopen(path.c_str(), "rb");
  EMBER_CHECK(f != nullptr, op, "cannot open '", path, "': ", std::strerror(errno));
  gzbuffer(f, 1 << 20);
  std::string out;
  std::vector<char> chunk(size_t(64) << 10);  // zero-filling 1 MiB per file made small files slow
  int got;
  while ((got = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) out.append(chunk.data(), got);
  int errnum = Z_OK;
  const char* msg = gzerror(f, &errnum);
  const std::string why = errnum == Z_ERRNO ? std::strerror(errno) : (msg ? msg : "");
  gzclose(f);
  EMBER_CHECK(got == 0 && errnum == Z_OK, op, "'", path, "' cannot be read: ",
              errnum == Z_BUF_ERROR ? "the gzip stream ends early (the file is truncated)" : why,
              "; re-download the file");
  EMBER_CHECK(!out.empty(), op, "'", path, "' is empty; re-download the file");
  return out;
}

}  // namespace

TextSplit read_imdb_file(const std::string& path) {
  const char* op = "IMDB";
  const std::string content = read_gzip_file(path, op);
  auto j = io::parse_json<nlohmann::json>(content, op, "'" + path + "'", "re-download the file");
  EMBER_CHECK(j.is_array(), op, "'", path, "' holds a JSON ", j.type_name(),
              " but an array of {\"t\": text, \"s\": 0 or 1} reviews was expected");
  TextSplit all;
  all.texts.reserve(j.size());
  all.labels.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    nlohmann::json& r = j[i];
    EMBER_CHECK(r.is_object() && r.contains("t") && r["t"].is_string(), op, "'", path, "' review ", i,
                " is not an object with a string \"t\" (the text): it is ", io::describe_json(r));
    EMBER_CHECK(r.contains("s") && r["s"].is_number_integer() && (r["s"] == 0 || r["s"] == 1), op, "'", path,
                "' review ", i, " has label \"s\": ", r.contains("s") ? io::describe_json(r["s"]) : std::string("(missing)"),
                "; labels are 0 (negative) or 1 (positive)");
    all.labels.push_back(r["s"].get<int64_t>());
    all.texts.push_back(std::move(r["t"].get_ref<std::string&>()));
  }
  return all;
}

IMDBReviews read_imdb(const std::string& root) {
  const auto path = std::filesystem::path(resolve_data_root(root)) / "imdb" / "reviews.json.gz";
  TextSplit all = read_imdb_file(path.string());
  // The first 12,500 of each 25,000 train and the rest test: fewer than 12,501 leave no test set.
  EMBER_CHECK(all.size() > 12500, "IMDB", "'", path.string(), "' holds ", all.size(),
              " reviews; the train/test split needs more than 12,500 (there would be nothing to evaluate on)");
  IMDBReviews out;
  for (int64_t i = 0; i < all.size(); ++i) {
    TextSplit& s = i % 25000 < 12500 ? out.train : out.test;
    s.texts.push_back(std::move(all.texts[static_cast<size_t>(i)]));
    s.labels.push_back(all.labels[static_cast<size_t>(i)]);
  }
  return out;
}

IMDB::IMDB(const TextSplit& split, std::shared_ptr<const text::WordTokenizer> tokenizer, int64_t max_len,
           bool keep_end)
    : tokenizer_(std::move(tokenizer)) {
  EMBER_CHECK(tokenizer_ != nullptr, "IMDB", "the tokenizer is null");
  EMBER_CHECK(max_len >= 1, "IMDB", "max_len must be at least 1, got ", max_len);
  EMBER_CHECK(split.texts.size() == split.labels.size(), "IMDB", "the split has ", split.texts.size(), " texts but ",
              split.labels.size(), " labels; they must pair up");
  const int64_t n = split.size();
  tokens_ = zeros({n, max_len}, kInt64);  // (N, T), <pad> = 0
  lengths_ = empty({n}, kInt64);          // (N,)
  labels_ = empty({n}, kInt64);           // (N,)
  int64_t* tok = tokens_.data_ptr<int64_t>();
  int64_t* len = lengths_.data_ptr<int64_t>();
  int64_t* lab = labels_.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = split.labels[static_cast<size_t>(i)];
    EMBER_CHECK(label == 0 || label == 1, "IMDB", "label ", label, " of text ", i,
                " is not 0 (negative) or 1 (positive)");
    lab[i] = label;
    std::vector<int64_t> ids = tokenizer_->encode(split.texts[static_cast<size_t>(i)]);
    if (ids.empty()) ids.push_back(text::WordTokenizer::kUnk);  // see the header: never a zero length
    const int64_t L = std::min<int64_t>(static_cast<int64_t>(ids.size()), max_len);
    const auto first = keep_end ? ids.end() - L : ids.begin();
    std::copy(first, first + L, tok + i * max_len);
    len[i] = L;
  }
}

Example IMDB::get(int64_t index, Generator&) const {
  EMBER_CHECK(index >= 0 && index < size(), "IMDB::get", "index ", index, " is out of range for a dataset of size ",
              size());
  NoGradGuard no_grad;
  return {tokens_.select(0, index), labels_.select(0, index)};  // (T,), ()
}

Tensor padded_lengths(const Tensor& tokens, int64_t pad_id) {
  trace::OpScope scope;
  Tensor out_ = [&]() -> Tensor {
  EMBER_CHECK(tokens.defined() && tokens.dim() == 2 && tokens.dtype() == kInt64, "padded_lengths",
              "expected (B, T) int64 token ids, got ",
              tokens.defined() ? shape_str(tokens.shape()) + " " + dtype_name(tokens.dtype()) : std::string("undefined"));
  Tensor t = tokens.contiguous();
  const int64_t B = t.size(0), T = t.size(1);
  Tensor out = empty({B}, kInt64);  // (B,)
  const int64_t* p = t.data_ptr<int64_t>();
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    int64_t L = 0;
    while (L < T && p[b * T + L] != pad_id) ++L;
    o[b] = L;
  }
  return out;
}();
  if (scope) scope.record("padded_lengths", {tokens}, {out_}, {trace::integer("pad_id", pad_id)});
  return out_;
}

TextBatch text_batch(const Batch& batch) {
  EMBER_CHECK(batch.target.defined() && batch.target.dim() == 1, "text_batch",
              "expected a batch of (tokens (B, T), label (B)) examples such as IMDB's, got targets of shape ",
              batch.target.defined() ? shape_str(batch.target.shape()) : std::string("(none)"));
  return {batch.data, padded_lengths(batch.data), batch.target};
}

}  // namespace ember::data
