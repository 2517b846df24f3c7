// `ember info`'s view of the CPU backend (cpu_info.h): the ISA oneDNN dispatches to and the GEMM
// libraries gemm.cpp chose.
#include "ember/cpu_info.h"

#include <oneapi/dnnl/dnnl.h>

#include <cstdlib>

#include "backend/cpu/gemm.h"

namespace ember {

std::string cpu_isa() {
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

std::string gemm_float32_path() {
  const char* env = std::getenv("EMBER_GEMM");
  const std::string why = env && *env                                                  ? " (EMBER_GEMM)"
                          : cpu::default_gemm_lib() == cpu::GemmLib::OneDNN ? " (AVX-512 CPU)"
                                                                            : " (AVX2 CPU)";
  return cpu::gemm_lib_name(cpu::GemmLib::Auto) + why;
}

std::string gemm_bf16_path() { return cpu::gemm_lib_name(cpu::GemmLib::BF16); }

}  // namespace ember
