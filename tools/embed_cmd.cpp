// `ember embed --model DIR [TEXT...] [--file F] [--out F.jsonl|F.npy]`: sentence embeddings from a
// sentence-transformers folder (models::SentenceTransformer).
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "embed_cmd.h"
#include "ember/error.h"
#include "ember/io/file.h"
#include "ember/models/pretrained.h"
#include "ember/models/sentence_transformer.h"
#include "ember/parallel.h"

namespace ember::cli {

namespace {

struct EmbedArgs {
  std::string model, file, out;
  std::vector<std::string> texts;
  int64_t batch_size = 32;
  int threads = 0;
};

// One text per line of `path` (UTF-8; a trailing '\r' is dropped, empty lines are texts too).
std::vector<std::string> read_lines(const std::string& path) {
  std::string bytes = io::read_file_bytes(path, "embed --file");
  std::vector<std::string> lines;
  std::istringstream in(bytes);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

// NumPy's .npy, version 1.0: magic, header length, a Python-literal dict padded so the data
// starts at a multiple of 64 bytes, then little-endian float32 rows.
std::string npy_bytes(const Tensor& e) {  // e (N, D) float32, contiguous
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(e.size(0)) + ", " +
                       std::to_string(e.size(1)) + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  out.push_back(static_cast<char>(len & 0xff));
  out.push_back(static_cast<char>(len >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(e.data_ptr<float>()), static_cast<size_t>(e.numel()) * sizeof(float));
  return out;
}

// {"text": ..., "embedding": [...]} per line. Invalid UTF-8 was already refused by the tokenizer.
std::string jsonl_bytes(const std::vector<std::string>& texts, const Tensor& e) {
  std::string out;
  const float* p = e.data_ptr<float>();
  const int64_t d = e.size(1);
  for (size_t i = 0; i < texts.size(); ++i) {
    nlohmann::json row = {{"text", texts[i]}, {"embedding", std::vector<float>(p + i * d, p + (i + 1) * d)}};
    out += row.dump() + "\n";
  }
  return out;
}

bool ends_with(const std::string& s, const char* suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

int run_embed(const EmbedArgs& a) {
  if (a.threads > 0) set_num_threads(a.threads);
  if (!a.out.empty() && !ends_with(a.out, ".npy") && !ends_with(a.out, ".jsonl"))
    throw Error("embed: --out '" + a.out + "' must end in .npy (NumPy float32 rows) or .jsonl (one JSON object per text)");
  std::vector<std::string> texts = a.texts;
  if (!a.file.empty()) {
    std::vector<std::string> more = read_lines(a.file);
    texts.insert(texts.end(), more.begin(), more.end());
  }
  if (texts.empty()) throw Error("embed: no text given; pass texts as arguments or --file with one text per line");
  auto st = models::SentenceTransformer::from_pretrained(models::resolve_model_dir(a.model));
  auto start = std::chrono::steady_clock::now();
  Tensor e;
  try {
    e = st.encode(texts, a.batch_size).contiguous();  // (N, D)
  } catch (const Error&) {
    // Name the text that failed (e.g. invalid UTF-8): its argument or its line of --file.
    for (size_t i = 0; i < texts.size(); ++i) {
      try {
        st.tokenizer().encode(texts[i]);
      } catch (const Error& bad) {
        const bool arg = i < a.texts.size();
        throw Error(arg ? "embed: text argument " + std::to_string(i + 1) + ": " + bad.what()
                        : "embed: --file '" + a.file + "' line " + std::to_string(i - a.texts.size() + 1) + ": " +
                              bad.what());
      }
    }
    throw;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (a.out.empty()) {
    std::cout << jsonl_bytes(texts, e);
  } else {
    io::write_file_atomic(a.out, ends_with(a.out, ".npy") ? npy_bytes(e) : jsonl_bytes(texts, e), "embed --out");
  }
  std::cerr << "embedded " << texts.size() << " texts (dimension " << e.size(1) << ") in " << secs << " s, "
            << texts.size() / std::max(secs, 1e-9) << " texts/s\n";
  return 0;
}

}  // namespace

void add_embed_command(CLI::App& app, Commands& out) {
  auto a = std::make_shared<EmbedArgs>();
  CLI::App* c = app.add_subcommand("embed", "Sentence embeddings from a sentence-transformers model folder");
  c->add_option("--model", a->model, "A sentence-transformers folder (modules.json, config.json, model.safetensors, "
                                     "tokenizer.json), or the name of one under <data>/models, e.g. all-MiniLM-L6-v2")
      ->required();
  c->add_option("texts", a->texts, "Texts to embed");
  c->add_option("--file", a->file, "A UTF-8 file with one text per line (after any texts given as arguments)");
  c->add_option("--out", a->out, "Write F.npy (float32 (N, D)) or F.jsonl instead of JSON lines on stdout");
  c->add_option("--batch-size", a->batch_size, "Texts per forward pass")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  c->add_option("--threads", a->threads, "Compute threads")->check(kThreads);
  out.push_back({c, [a] { return run_embed(*a); }});
}

}  // namespace ember::cli
