// ember._C.data: bindings of ember::data (filled in by the data work).
#include "bind.h"

namespace ember::py {

void init_data(nb::module_& m) { (void)m; }

}  // namespace ember::py
