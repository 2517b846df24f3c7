#pragma once
// Ember's data pipeline: datasets, loaders, transforms, MNIST and verified downloads.
#include "ember/data/data_root.h"
#include "ember/data/dataloader.h"
#include "ember/data/dataset.h"
#include "ember/data/download.h"
#include "ember/data/mnist.h"
#include "ember/data/transforms.h"
