#pragma once
// `ember train mnist-autoencoder` and `ember train mnist-vae`.
#include "command.h"

namespace ember::cli {

void add_mnist_autoencoder_command(CLI::App& train, Commands& out);
void add_mnist_vae_command(CLI::App& train, Commands& out);

}  // namespace ember::cli
