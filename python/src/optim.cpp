// ember._C.optim: bindings of ember::optim (filled in by the optim work).
#include "bind.h"

namespace ember::py {

void init_optim(nb::module_& m) { (void)m; }

}  // namespace ember::py
