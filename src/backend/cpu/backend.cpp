// The CPU backend: host memory and every kernel of this folder, registered for Device::Type::CPU
// before any other static constructor of the library runs (init_priority), so tensors can be
// created during static initialization too.
#include "backend/backend.h"
#include "backend/cpu/attention.h"
#include "backend/cpu/binary.h"
#include "backend/cpu/conv.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/creation.h"
#include "backend/cpu/index.h"
#include "backend/cpu/linalg.h"
#include "backend/cpu/loss.h"
#include "backend/cpu/norm.h"
#include "backend/cpu/optim.h"
#include "backend/cpu/pool.h"
#include "backend/cpu/random.h"
#include "backend/cpu/reduce.h"
#include "backend/cpu/rnn.h"
#include "backend/cpu/scan.h"
#include "backend/cpu/shape.h"
#include "backend/cpu/softmax.h"
#include "backend/cpu/stats.h"
#include "backend/cpu/unary.h"

namespace ember::cpu {

namespace {

const backend::Backend& cpu_backend() {
  static const backend::Backend b{"cpu", &detail::host_allocator(), backend::Kernels{
    .copy = copy, .fill = fill, .unary = unary, .unary_backward = unary_backward, .binary = binary,
    .where = where, .sum = sum, .extreme = extreme, .arg_extreme = arg_extreme, .prod = prod, .var = var,
    .logsumexp = logsumexp, .norm = norm, .any_all = any_all, .cumsum = cumsum, .prod_backward = prod_backward,
    .softmax = softmax, .softmax_backward = softmax_backward, .index_bounds = index_bounds,
    .index_select = index_select, .index_add = index_add, .gather = gather, .scatter_add = scatter_add,
    .pick_along_dim = pick_along_dim, .put_along_dim = put_along_dim, .one_hot = one_hot,
    .class_targets = class_targets, .cat = cat, .triangle = triangle, .arange = arange, .linspace = linspace,
    .eye = eye, .uniform = uniform, .normal = normal, .randint = randint, .shuffle = shuffle,
    .bernoulli = bernoulli, .dropout = dropout, .dropout_bits = dropout_bits, .bits_to_mask = bits_to_mask,
    .matmul = matmul, .dot = dot, .conv2d = conv2d, .conv2d_backward_input = conv2d_backward_input,
    .conv2d_backward_weight = conv2d_backward_weight, .conv2d_backward = conv2d_backward,
    .channel_sum = channel_sum, .max_pool2d = max_pool2d, .max_pool2d_backward = max_pool2d_backward,
    .max_pool2d_gather = max_pool2d_gather, .avg_pool2d = avg_pool2d,
    .avg_pool2d_backward = avg_pool2d_backward, .batch_norm = batch_norm,
    .batch_norm_backward = batch_norm_backward, .layer_norm = layer_norm,
    .layer_norm_backward = layer_norm_backward, .linear_cross_entropy = linear_cross_entropy,
    .attention = attention, .attention_backward = attention_backward, .rnn_layer = rnn_layer,
    .rnn_layer_backward = rnn_layer_backward, .sgd_step = sgd_step, .adam_step = adam_step,
    .rmsprop_step = rmsprop_step, .adagrad_step = adagrad_step, .norm_power_sum = norm_power_sum,
    .scale = scale
  }};
  return b;
}

struct Registration {
  Registration() { backend::register_backend(Device::Type::CPU, &cpu_backend()); }
};
__attribute__((init_priority(101))) Registration registration;

}  // namespace

}  // namespace ember::cpu
