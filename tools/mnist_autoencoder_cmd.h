#pragma once
// `ember train|tune mnist-autoencoder` and `ember train|tune mnist-vae`.
#include "command.h"

namespace ember::cli {

void add_mnist_autoencoder_command(CLI::App& train, CLI::App& tune, Commands& out);
void add_mnist_vae_command(CLI::App& train, CLI::App& tune, Commands& out);

}  // namespace ember::cli
