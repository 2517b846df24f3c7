// ember._C.nn: bindings of ember::nn (filled in by the nn work).
#include "bind.h"

namespace ember::py {

void init_nn(nb::module_& m) { (void)m; }

}  // namespace ember::py
