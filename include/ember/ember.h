#pragma once
// Everything in Ember's public API.
#include "ember/autocast.h"
#include "ember/autograd.h"
#include "ember/data/data.h"
#include "ember/dtype.h"
#include "ember/error.h"
#include "ember/io/safetensors.h"
#include "ember/ops.h"
#include "ember/optim.h"
#include "ember/parallel.h"
#include "ember/random.h"
#include "ember/tensor.h"
#include "ember/text/text.h"
