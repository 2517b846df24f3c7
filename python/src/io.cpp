// ember._C._io: safetensors checkpoints (ember.save / ember.load build on these).
#include <nanobind/stl/map.h>

#include "bind.h"

namespace ember::py {

void init_io(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("_io", "ember::io bindings; use ember.save / ember.load");
  // Atomic: written to a temporary file in the same directory, fsynced and renamed over `path`.
  m.def("save_safetensors", &io::save_safetensors, nb::arg("path"), nb::arg("tensors"),
        nb::arg("metadata") = std::map<std::string, std::string>{}, nb::call_guard<nb::gil_scoped_release>());
  // -> ([(name, tensor)] in file order, metadata)
  m.def("load_safetensors", [](const std::string& path) {
    io::SafetensorsFile f;
    {
      nb::gil_scoped_release release;
      f = io::load_safetensors(path);
    }
    return std::make_pair(std::move(f.tensors), std::move(f.metadata));
  }, nb::arg("path"));
}

}  // namespace ember::py
