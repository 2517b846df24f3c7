// `ember info`: version, build settings, BLAS, threads, CPU model and SIMD features, CUDA.
// The lines are "key: value" so that scripts (and the CTest checks) can grep them.
#include "info.h"

#include <cpuid.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "ember/autocast.h"
#include "ember/cpu_info.h"
#include "ember/distributed/process_group.h"
#include "ember/parallel.h"

// From OpenBLAS (declared in its cblas.h, which Ember does not expose to the command line).
extern "C" char* openblas_get_config(void);
extern "C" char* openblas_get_corename(void);
extern "C" int openblas_get_num_threads(void);

namespace ember::cli {

namespace {

const char* yes_no(bool b) { return b ? "yes" : "no"; }

// AMX-BF16 (CPUID leaf 7, EDX bit 22). clang before 16 (the fuzz build's clang 14) does not know
// the "amx-bf16" name of __builtin_cpu_supports.
bool cpu_has_amx_bf16() {
#if defined(__clang__) && __clang_major__ < 16
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d >> 22 & 1u);
#else
  return __builtin_cpu_supports("amx-bf16");
#endif
}

std::string compiler() {
#if defined(__clang__)
  return std::string("Clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("GCC ") + __VERSION__;
#else
  return "unknown";
#endif
}

// The SIMD extensions the compiler was allowed to use (-march), as opposed to what the CPU has.
std::string compiled_for() {
  std::string s;
#ifdef __AVX2__
  s += " AVX2";
#endif
#ifdef __FMA__
  s += " FMA";
#endif
#ifdef __AVX512F__
  s += " AVX-512F";
#endif
  return s.empty() ? "baseline x86-64" : s.substr(1);
}

// The CPU's brand string from cpuid leaves 0x80000002-4, else /proc/cpuinfo's "model name".
std::string cpu_model() {
  unsigned regs[12] = {};
  unsigned max_leaf = __get_cpuid_max(0x80000000u, nullptr);
  if (max_leaf >= 0x80000004u) {
    for (unsigned i = 0; i < 3; ++i)
      __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
    char brand[49] = {};
    std::memcpy(brand, regs, 48);
    std::string s(brand);
    size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
    if (b != std::string::npos) return s.substr(b, e - b + 1);
  }
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

}  // namespace

void print_info(std::ostream& os) {
  __builtin_cpu_init();
  const char* env_threads = std::getenv("EMBER_NUM_THREADS");
  int threads = ember::get_num_threads();  // first: it also sets OpenBLAS's thread count
  os << "ember: " << EMBER_VERSION << "\n"
     << "build type: " << EMBER_BUILD_TYPE << "\n"
     << "compiler: " << compiler() << "\n"
     << "C++ standard: " << __cplusplus << "\n"
     << "compiled for: " << compiled_for() << "\n"
     << "BLAS: " << openblas_get_config() << "\n"
     << "BLAS core: " << openblas_get_corename() << "\n"
     << "BLAS threads: " << openblas_get_num_threads() << "\n"
     << "OpenMP: " << _OPENMP << "\n"
     << "threads: " << threads << "\n"
     << "EMBER_NUM_THREADS: " << (env_threads ? env_threads : "unset") << "\n"
     << "CPU: " << cpu_model() << "\n"
     << "logical cores: " << omp_get_num_procs() << "\n"
     << "AVX2: " << yes_no(__builtin_cpu_supports("avx2")) << "\n"
     << "FMA: " << yes_no(__builtin_cpu_supports("fma")) << "\n"
     << "AVX-512F: " << yes_no(__builtin_cpu_supports("avx512f")) << "\n"
     << "AVX512_BF16: " << yes_no(__builtin_cpu_supports("avx512bf16")) << "\n"
     << "AMX: " << yes_no(cpu_has_amx_bf16()) << "\n"
     << "ISA (oneDNN): " << cpu_isa() << "\n"
     << "GEMM float32: " << gemm_float32_path() << "\n"
     << "GEMM bf16 (autocast): " << gemm_bf16_path() << (autocast_native() ? "" : " (no native bf16 on this CPU)")
     << "\n"
     << "CUDA: not built\n"
     << "distributed backends: " << distributed::available_backends() << "\n";
}

}  // namespace ember::cli
