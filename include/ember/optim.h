#pragma once
// Optimizers, LR schedulers, gradient clipping and regularization helpers.
#include "ember/optim/adagrad.h"
#include "ember/optim/adam.h"
#include "ember/optim/clip.h"
#include "ember/optim/optimizer.h"
#include "ember/optim/regularization.h"
#include "ember/optim/rmsprop.h"
#include "ember/optim/scheduler.h"
#include "ember/optim/sgd.h"
#include "ember/optim/step_in_backward.h"
