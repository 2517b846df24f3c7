#pragma once
// A trained model as one exportable function (ember export onnx, ember.onnx): a checkpoint of a
// recipe, picked by its "recipe" metadata, or a Hugging Face BERT / sentence-transformers folder,
// loaded in eval mode with its input and output names, dynamic axes and example inputs.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ember/nn/module.h"

namespace ember::recipes {

struct ExportableModel {
  std::string description;                 // "mnist-cnn (MnistCNN)"
  std::shared_ptr<void> owner;             // keeps the model alive
  const nn::Module* params = nullptr;      // names the parameters (state_dict keys)
  // inputs -> outputs, as evaluation runs the model (the CNN's input normalization, the LSTM's
  // lengths from the padding, the VAE's reconstruction from the posterior mean ...).
  std::function<std::vector<Tensor>(const std::vector<Tensor>&)> forward;
  std::vector<Tensor> example_inputs;      // batch (and sequence) sizes as asked
  std::vector<std::string> input_names, output_names;
  std::map<std::string, std::map<int64_t, std::string>> dynamic_axes;  // name -> {axis -> "batch"}
};

// source: a checkpoint of mnist-cnn, mnist-autoencoder, mnist-vae, imdb-lstm or shakespeare-gpt,
// or a model folder. Errors name the file and, for other recipes, the recipe.
ExportableModel exportable_model(const std::string& source, int64_t batch = 2, int64_t seq_len = 16);

}  // namespace ember::recipes
