#pragma once
// What the CPU backend runs on this machine, for `ember info` and benchmark reports.
#include <string>

namespace ember {

// The widest instruction set oneDNN dispatches to here, in its names (e.g. "avx2",
// "avx512_core_bf16", "avx512_core_amx").
std::string cpu_isa();
// The float32 GEMM library chosen for this CPU ("oneDNN sgemm", "OpenBLAS sgemm") and why.
std::string gemm_float32_path();
// What autocast's bf16 products run on ("oneDNN bf16 matmul" or "bf16 emulated on float32 sgemm").
std::string gemm_bf16_path();

}  // namespace ember
