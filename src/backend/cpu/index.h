#pragma once
// Kernels behind index_select/index_add, gather/scatter_add, embedding, one_hot, the differentiable
// pick along a dim (max/min gradients, nll_loss) and the preparation of class targets. Operands
// are contiguous blocks (A, M, B) around the indexed dim; indices int64. Kernels that read
// unchecked indices report the flat position of the first bad one, or -1 (Kernels:: entries).
#include "backend/kernel_args.h"

namespace ember::cpu {

using backend::Block3;
using backend::ClassTargets;

int64_t index_bounds(const Tensor& index, int64_t size);
// src (A, M, B) -> out (A, n, B), any dtype: out[a, j, :] = src[a, index[j], :] (index checked).
void index_select(const Tensor& out, const Tensor& src, const Tensor& index, Block3 src_amb);
// out (A, M, B) += src (A, n, B) at rows index[j] (numeric dtypes), in j order.
void index_add(const Tensor& out, const Tensor& src, const Tensor& index, Block3 out_amb);
// out, index (A, n, B), src (A, M, B), any dtype: out[a, j, b] = src[a, index[a, j, b], b].
int64_t gather(const Tensor& out, const Tensor& src, const Tensor& index, Block3 index_anb, int64_t M);
// out (A, M, B)[a, index[a, j, b], b] += src (A, n, B)[a, j, b]; numeric dtypes; in j order.
int64_t scatter_add(const Tensor& out, const Tensor& src, const Tensor& index, Block3 index_anb, int64_t M);
// src [outer, S, inner] -> out [outer, 1, inner] at index (0 outside [0, S)), and its adjoint.
void pick_along_dim(const Tensor& out, const Tensor& src, const Tensor& index, Block3 src_b);
void put_along_dim(const Tensor& out, const Tensor& val, const Tensor& index, Block3 out_b);
void one_hot(const Tensor& out, const Tensor& index);
ClassTargets class_targets(const Tensor& index, const Tensor& ignored, const Tensor& weight64, const Tensor& target,
                           const Tensor& class_weight, int64_t C, int64_t ignore_index);

}  // namespace ember::cpu
