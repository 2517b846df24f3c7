#pragma once
// Layers with PyTorch's names, arguments, parameter names and default initializations: every
// header below, as torch.nn's modules (one header per concept).
#include "ember/nn/activation.h"
#include "ember/nn/container.h"
#include "ember/nn/conv.h"
#include "ember/nn/dropout.h"
#include "ember/nn/embedding.h"
#include "ember/nn/flatten.h"
#include "ember/nn/linear.h"
#include "ember/nn/normalization.h"
#include "ember/nn/pooling.h"
