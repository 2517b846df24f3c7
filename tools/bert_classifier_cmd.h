#pragma once
// `ember train bert-classifier`: fine-tuning a pretrained BERT-family folder on IMDB.
#include "command.h"

namespace ember::cli {

void add_bert_classifier_command(CLI::App& train, Commands& out);

}  // namespace ember::cli
