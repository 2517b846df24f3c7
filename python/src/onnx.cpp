// ember._C.onnx: ONNX export of a Python callable (ember::onnx::export_function; the tracer sees
// the ops its forward calls, so Python-defined modules export too) and the recipes' models as
// exportable functions (ember::recipes::exportable_model). Python's names: ember/onnx.py.
#include <nanobind/stl/function.h>
#include <nanobind/stl/map.h>

#include "bind.h"
#include "ember/onnx/export.h"
#include "ember/recipes/exportable.h"

namespace ember::py {

namespace {

using DynamicAxes = std::map<std::string, std::map<int64_t, std::string>>;

// The summary as a dict: {"opset", "inputs": [(name, dtype, dims)], "outputs": [...], "nodes", "initializers"}.
nb::dict summary_dict(const onnx::ExportSummary& s) {
  auto values = [](const std::vector<onnx::ExportSummary::Value>& vs) {
    nb::list l;
    for (const auto& v : vs) l.append(nb::make_tuple(v.name, v.dtype, v.dims));
    return l;
  };
  nb::dict d;
  d["opset"] = s.opset;
  d["inputs"] = values(s.inputs);
  d["outputs"] = values(s.outputs);
  d["nodes"] = s.nodes;
  d["initializers"] = s.initializers;
  return d;
}

}  // namespace

void init_onnx(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("onnx", "ember::onnx; use ember.onnx.export");
  m.attr("OPSET_VERSION") = onnx::kOpsetVersion;
  // fn: inputs (a list of tensors) -> a list of tensors; called on this thread with the GIL held.
  m.def("export_function", [](nb::object fn, const nn::NamedTensors& names, const std::vector<Tensor>& inputs,
                              const std::string& path, std::vector<std::string> input_names,
                              std::vector<std::string> output_names, DynamicAxes dynamic_axes, int64_t opset) {
    onnx::ForwardFn f = [fn](const std::vector<Tensor>& in) {
      nb::gil_scoped_acquire gil;
      nb::object out = fn(in);
      std::vector<Tensor> ts;
      if (!nb::try_cast<std::vector<Tensor>>(out, ts))
        throw Error("onnx.export: the model must return a Tensor or a tuple/list of Tensors");
      return ts;
    };
    onnx::ExportOptions o{std::move(input_names), std::move(output_names), std::move(dynamic_axes), opset};
    onnx::ExportSummary s;
    {
      nb::gil_scoped_release r;
      s = onnx::export_function(f, names, inputs, path, o);
    }
    return summary_dict(s);
  }, nb::arg("fn"), nb::arg("names"), nb::arg("inputs"), nb::arg("path"), nb::arg("input_names"),
     nb::arg("output_names"), nb::arg("dynamic_axes"), nb::arg("opset"));

  nb::class_<recipes::ExportableModel>(m, "ExportableModel")
      .def_ro("description", &recipes::ExportableModel::description)
      .def_ro("example_inputs", &recipes::ExportableModel::example_inputs)
      .def_ro("input_names", &recipes::ExportableModel::input_names)
      .def_ro("output_names", &recipes::ExportableModel::output_names)
      .def_ro("dynamic_axes", &recipes::ExportableModel::dynamic_axes)
      .def("__call__", [](const recipes::ExportableModel& e, const std::vector<Tensor>& inputs) {
        nb::gil_scoped_release r;
        NoGradGuard ng;
        return e.forward(inputs);
      }, nb::arg("inputs"))
      .def("export", [](const recipes::ExportableModel& e, const std::string& path) {
        onnx::ExportOptions o{e.input_names, e.output_names, e.dynamic_axes, onnx::kOpsetVersion};
        onnx::ExportSummary s;
        {
          nb::gil_scoped_release r;
          s = onnx::export_function(e.forward, e.params->state_dict(), e.example_inputs, path, o);
        }
        return summary_dict(s);
      }, nb::arg("path"));
  m.def("exportable_model", &recipes::exportable_model, nb::arg("source"), nb::arg("batch") = 2,
        nb::arg("seq_len") = 16, nb::call_guard<nb::gil_scoped_release>());
}

}  // namespace ember::py
