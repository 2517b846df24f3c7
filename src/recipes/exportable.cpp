// exportable_model: the recipes' models (and Hugging Face folders) as single functions to export.
#include "ember/recipes/exportable.h"

#include <filesystem>
#include <sstream>

#include "ember/error.h"
#include "ember/io/safetensors.h"
#include "ember/models/autoencoder.h"
#include "ember/models/bert.h"
#include "ember/models/mnist_cnn.h"
#include "ember/models/sentence_transformer.h"
#include "ember/ops.h"
#include "ember/random.h"
#include "ember/recipes/imdb_lstm.h"
#include "ember/recipes/shakespeare_gpt.h"
#include "ember/train/checkpoint.h"

namespace ember::recipes {

namespace {

constexpr const char* kOp = "export onnx";

struct Sizes {
  std::string source;
  int64_t batch, seq_len;
};


const std::map<int64_t, std::string> kBatch{{0, "batch"}};
const std::map<int64_t, std::string> kBatchSeq{{0, "batch"}, {1, "sequence"}};

Tensor example_images(int64_t batch) {
  Generator g(0);
  return rand({batch, 1, 28, 28}, kFloat32, &g);  // (B, 1, 28, 28) in [0, 1), as the recipes' pixels
}

Tensor example_ids(int64_t batch, int64_t seq, int64_t lo, int64_t hi) {
  Generator g(0);
  return randint(lo, hi, {batch, seq}, kInt64, &g);  // (B, T)
}

const Tensor& checkpoint_tensor(const io::SafetensorsFile& f, const std::string& key, const std::string& path) {
  EMBER_CHECK(f.contains(key), kOp, "'", path, "' has no tensor '", key, "'; is it a checkpoint of this recipe?");
  return f.at(key);
}

ExportableModel mnist_cnn(const std::string& path, const io::SafetensorsFile& f, const Sizes& a) {
  const Tensor& fc1 = checkpoint_tensor(f, "model.fc1.weight", path);  // (128, fc1_in)
  auto net = std::make_shared<models::MnistCNN>(fc1.size(1));
  train::Checkpoint ck = train::load_checkpoint(path, *net, nullptr, "mnist-cnn");
  net->eval();
  // The recipe normalizes pixels before the network: the graph does too, so it takes [0, 1] pixels.
  double mean = 0, sd = 1;
  if (auto it = ck.metadata.find("normalize"); it != ck.metadata.end()) std::istringstream(it->second) >> mean >> sd;
  ExportableModel e{"mnist-cnn (MnistCNN)", net, net.get(), nullptr, {example_images(a.batch)}, {}, {}, {}};
  e.forward = [net, mean, sd](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{net->forward((in[0] - mean) / sd)};  // (B, 1, 28, 28) -> (B, 10) log-probabilities
  };
  e.input_names = {"image"};
  e.output_names = {"log_probs"};
  e.dynamic_axes = {{"image", kBatch}};
  return e;
}

ExportableModel mnist_autoencoder(const std::string& path, const io::SafetensorsFile& f, const Sizes& a) {
  const Tensor& conv1 = checkpoint_tensor(f, "model.encoder.0.weight", path);  // (w, 1, 3, 3)
  const Tensor& code = checkpoint_tensor(f, "model.encoder.5.weight", path);   // (latent, 2w * 49)
  auto net = std::make_shared<models::ConvAutoencoder>(code.size(0), conv1.size(0));
  train::load_checkpoint(path, *net, nullptr, "mnist-autoencoder");
  net->eval();
  ExportableModel e{"mnist-autoencoder (ConvAutoencoder)", net, net.get(), nullptr, {example_images(a.batch)}, {}, {}, {}};
  e.forward = [net](const std::vector<Tensor>& in) { return std::vector<Tensor>{net->forward(in[0])}; };
  e.input_names = {"image"};
  e.output_names = {"reconstruction"};
  e.dynamic_axes = {{"image", kBatch}};
  return e;
}

ExportableModel mnist_vae(const std::string& path, const io::SafetensorsFile& f, const Sizes& a) {
  const Tensor& fc1 = checkpoint_tensor(f, "model.fc1.weight", path);    // (hidden, input)
  const Tensor& fc21 = checkpoint_tensor(f, "model.fc21.weight", path);  // (latent, hidden)
  auto net = std::make_shared<models::VAE>(fc21.size(0), fc1.size(0), fc1.size(1));
  train::load_checkpoint(path, *net, nullptr, "mnist-vae");
  net->eval();
  ExportableModel e{"mnist-vae (VAE)", net, net.get(), nullptr, {example_images(a.batch)}, {}, {}, {}};
  // The evaluation's reconstruction decodes the posterior mean (no sampling), plus mu and logvar.
  e.forward = [net](const std::vector<Tensor>& in) {
    auto [mu, logvar] = net->encode(in[0]);  // (B, latent) each
    return std::vector<Tensor>{net->decode(mu), mu, logvar};
  };
  e.input_names = {"image"};
  e.output_names = {"reconstruction", "mu", "logvar"};
  e.dynamic_axes = {{"image", kBatch}};
  return e;
}

ExportableModel imdb_lstm(const std::string& path, const Sizes& a) {
  auto m = std::make_shared<recipes::ImdbLstmModel>(recipes::load_imdb_lstm(path));
  const int64_t V = m->net->embedding->weight.size(0);
  // Token ids past the specials (0 pads, so the lengths come from the padding as in evaluation).
  ExportableModel e{"imdb-lstm (SentimentLSTM)", m, m->net.get(), nullptr, {example_ids(a.batch, a.seq_len, 2, V)}, {}, {}, {}};
  e.forward = [m](const std::vector<Tensor>& in) { return std::vector<Tensor>{m->net->forward(in[0])}; };  // (B, T) -> (B, 2)
  e.input_names = {"tokens"};
  e.output_names = {"logits"};
  e.dynamic_axes = {{"tokens", kBatchSeq}};
  return e;
}

ExportableModel shakespeare_gpt(const std::string& path, const Sizes& a) {
  std::shared_ptr<models::GPT> gpt = recipes::load_shakespeare_gpt(path);
  const int64_t T = std::min(a.seq_len, gpt->config.block_size);
  ExportableModel e{"shakespeare-gpt (GPT)", gpt, gpt.get(), nullptr, {example_ids(a.batch, T, 0, gpt->config.vocab_size)}, {}, {}, {}};
  e.forward = [gpt](const std::vector<Tensor>& in) { return std::vector<Tensor>{gpt->forward(in[0]).logits}; };  // (B, T, V)
  e.input_names = {"idx"};
  e.output_names = {"logits"};
  e.dynamic_axes = {{"idx", kBatchSeq}};
  return e;
}

ExportableModel pretrained(const std::string& dir, const Sizes& a) {
  namespace fs = std::filesystem;
  std::shared_ptr<models::SentenceTransformer> st;
  std::shared_ptr<models::BertModel> bert;
  if (fs::exists(fs::path(dir) / "modules.json")) {
    st = std::make_shared<models::SentenceTransformer>(models::SentenceTransformer::from_pretrained(dir));
    bert = st->model();
  } else {
    bert = models::BertModel::from_pretrained(dir);
  }
  bert->eval();
  const int64_t T = std::min(a.seq_len, bert->config.max_position_embeddings);
  // Real-looking ids past the specials; every token is real (mask 1) and of type 0.
  const int64_t V = bert->config.vocab_size, lo = std::min<int64_t>(1000, V / 2);
  Tensor ids = example_ids(a.batch, T, lo, std::min<int64_t>(2000, V));
  ExportableModel e{st ? "sentence-transformers (BERT + pooling)" : "BERT", st ? std::shared_ptr<void>(st) : bert, bert.get(),
               nullptr, {ids, ones({a.batch, T}, kInt64), zeros({a.batch, T}, kInt64)}, {}, {}, {}};
  e.forward = [bert, st](const std::vector<Tensor>& in) {
    Tensor hidden = bert->forward(in[0], in[1], in[2]).sequence_output;  // (B, T, H)
    std::vector<Tensor> out{hidden};
    if (st) out.push_back(st->pool_hidden(hidden, in[1]));             // (B, D)
    return out;
  };
  e.input_names = {"input_ids", "attention_mask", "token_type_ids"};
  e.output_names = {"last_hidden_state"};
  if (st) e.output_names.push_back("sentence_embedding");
  e.dynamic_axes = {{"input_ids", kBatchSeq}, {"attention_mask", kBatchSeq}, {"token_type_ids", kBatchSeq}};
  return e;
}

}  // namespace

ExportableModel exportable_model(const std::string& source, int64_t batch, int64_t seq_len) {
  const Sizes a{source, batch, seq_len};
  namespace fs = std::filesystem;
  std::error_code ec;
  EMBER_CHECK(fs::exists(a.source, ec), kOp, "'", a.source, "' does not exist; pass a checkpoint (.safetensors) or "
              "a Hugging Face model folder");
  if (fs::is_directory(a.source, ec)) {
    EMBER_CHECK(fs::exists(fs::path(a.source) / "config.json"), kOp, "'", a.source, "' is a folder without config.json; "
                "pass a Hugging Face BERT or sentence-transformers folder, or a checkpoint file");
    return pretrained(a.source, a);
  }
  io::SafetensorsFile f = io::load_safetensors(a.source);
  auto it = f.metadata.find("recipe");
  const std::string recipe = it == f.metadata.end() ? "" : it->second;
  if (recipe == "mnist-cnn") return mnist_cnn(a.source, f, a);
  if (recipe == "mnist-autoencoder") return mnist_autoencoder(a.source, f, a);
  if (recipe == "mnist-vae") return mnist_vae(a.source, f, a);
  if (recipe == "imdb-lstm") return imdb_lstm(a.source, a);
  if (recipe == "shakespeare-gpt") return shakespeare_gpt(a.source, a);
  throw Error(ember::detail::str_cat(
      kOp, ": '", a.source, "' is a checkpoint of ", recipe.empty() ? std::string("no recipe (no 'recipe' metadata)") : "recipe '" + recipe + "'",
      ", which cannot be exported; export checkpoints of mnist-cnn, mnist-autoencoder, mnist-vae, imdb-lstm or "
      "shakespeare-gpt, or a Hugging Face BERT / sentence-transformers folder"));
}

}  // namespace ember::recipes
