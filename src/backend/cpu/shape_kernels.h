#pragma once
// Kernels behind cat, index_select/index_add, gather/scatter_add, embedding and tril/triu.
// No autograd and no argument checks: the ops layer (src/ops/*) validated shapes and indices.
// Index arrays are int64; index_select/index_add expect them already checked, while gather and
// scatter_add (whose index is as large as the data) check in the same pass and return the flat
// position of an out-of-range index, or -1.
#include <vector>

#include "ember/tensor.h"

namespace ember::cpu {

// out (contiguous) = inputs joined along dim, in order. Contiguous inputs of out's dtype are copied
// as memcpy row blocks; others go through the strided converting copy.
void cat(const Tensor& out, const std::vector<Tensor>& inputs, int64_t dim);

// src (A, M, B), out (A, n, B), both contiguous, any dtype: out[a, j, :] = src[a, idx[j], :].
void index_select(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t n, int64_t A, int64_t M,
                  int64_t B);
// out (A, M, B) += src (A, n, B) at rows idx (numeric dtypes); repeated indices accumulate in j order.
void index_add(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t n, int64_t A, int64_t M, int64_t B);

// src (A, M, B), idx and out (A, n, B), all contiguous, any dtype: out[a, j, b] = src[a, idx[a, j, b], b].
int64_t gather(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t A, int64_t M, int64_t n, int64_t B);
// out (A, M, B)[a, idx[a, j, b], b] += src (A, n, B)[a, j, b]; numeric dtypes; accumulates in j order.
int64_t scatter_add(const Tensor& out, const Tensor& src, const int64_t* idx, int64_t A, int64_t M, int64_t n,
                    int64_t B);

// out = tril(src, diagonal) when lower, else triu; both contiguous (batch, R, C), any dtype.
void triangle(const Tensor& out, const Tensor& src, int64_t diagonal, bool lower);

}  // namespace ember::cpu
