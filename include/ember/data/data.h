#pragma once
// Ember's data pipeline: datasets, loaders, transforms, MNIST, text corpora (character LM, IMDB)
// and verified downloads.
#include "ember/data/char_lm.h"
#include "ember/data/data_root.h"
#include "ember/data/dataloader.h"
#include "ember/data/dataset.h"
#include "ember/data/download.h"
#include "ember/data/imdb.h"
#include "ember/data/mnist.h"
#include "ember/data/text_file.h"
#include "ember/data/transforms.h"
