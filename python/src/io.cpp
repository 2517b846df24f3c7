// ember._C.io: bindings of ember::io (filled in by the io work).
#include "bind.h"

namespace ember::py {

void init_io(nb::module_& m) { (void)m; }

}  // namespace ember::py
