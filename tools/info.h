#pragma once
// `ember info`: what this build is and what it will run on.
#include <ostream>

namespace ember::cli {

// Writes version, build, BLAS, threading, CPU and CUDA facts as "key: value" lines.
void print_info(std::ostream& os);

}  // namespace ember::cli
