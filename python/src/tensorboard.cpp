// ember._C.tensorboard: train::TensorBoardWriter, under ember.utils.tensorboard.SummaryWriter
// (which turns PyTorch's arguments into these). Every call runs without the GIL.
#include <nanobind/stl/string.h>

#include "bind.h"
#include "ember/train/tensorboard.h"

namespace ember::py {

namespace {

using train::HParams;
using train::TensorBoardWriter;

// {name: bool | int | float | str} -> HParams, in the dict's order.
HParams hparams_of(const nb::dict& d) {
  HParams hp;
  for (auto [k, v] : d) {
    if (!nb::isinstance<nb::str>(k)) type_error("add_hparams", "hparam_dict", "a dict with str keys", k);
    std::string name = nb::cast<std::string>(k);
    if (PyBool_Check(v.ptr()))
      hp.emplace_back(name, v.ptr() == Py_True);
    else if (nb::isinstance<nb::str>(v))
      hp.emplace_back(name, nb::cast<std::string>(v));
    else if (PyLong_Check(v.ptr()) || PyFloat_Check(v.ptr()))
      hp.emplace_back(name, nb::cast<double>(v));
    else
      type_error("add_hparams", "hparam_dict", "a dict of bool, int, float or str values", v);
  }
  return hp;
}

}  // namespace

void init_tensorboard(nb::module_& parent) {
  nb::module_ m = parent.def_submodule("tensorboard", "train::TensorBoardWriter; use ember.utils.tensorboard");
  using R = nb::call_guard<nb::gil_scoped_release>;
  nb::class_<TensorBoardWriter>(m, "TensorBoardWriter")
      .def(
          "__init__",
          [](TensorBoardWriter* self, const std::string& log_dir, int64_t max_queue, double flush_secs,
             const std::string& suffix, int64_t purge_step) {
            new (self) TensorBoardWriter(log_dir, {.max_queue = max_queue,
                                                   .flush_secs = flush_secs,
                                                   .filename_suffix = suffix,
                                                   .purge_step = purge_step});
          },
          nb::arg("log_dir"), nb::arg("max_queue") = 100, nb::arg("flush_secs") = 10.0, nb::arg("filename_suffix") = "",
          nb::arg("purge_step") = -1, R())
      .def("add_scalar", &TensorBoardWriter::add_scalar, nb::arg("tag"), nb::arg("value"), nb::arg("step"),
           nb::arg("wall_time") = 0.0, R())
      .def("add_histogram",
           nb::overload_cast<const std::string&, const Tensor&, int64_t, double>(&TensorBoardWriter::add_histogram),
           nb::arg("tag"), nb::arg("values"), nb::arg("step"), nb::arg("wall_time") = 0.0, R())
      .def("add_image", &TensorBoardWriter::add_image, nb::arg("tag"), nb::arg("image"), nb::arg("step"),
           nb::arg("dataformats") = "CHW", nb::arg("wall_time") = 0.0, R())
      .def(
          "add_image_png",
          [](TensorBoardWriter& w, const std::string& tag, nb::bytes png, int64_t step, double wall) {
            std::string bytes(png.c_str(), png.size());
            nb::gil_scoped_release r;
            w.add_image_png(tag, bytes, step, wall);
          },
          nb::arg("tag"), nb::arg("png"), nb::arg("step"), nb::arg("wall_time") = 0.0)
      .def("add_text", &TensorBoardWriter::add_text, nb::arg("tag"), nb::arg("text"), nb::arg("step"),
           nb::arg("wall_time") = 0.0, R())
      .def(
          "add_hparams",
          [](TensorBoardWriter& w, const nb::dict& hparams, const std::vector<std::pair<std::string, double>>& metrics,
             bool write_metrics, int64_t step, double wall) {
            HParams hp = hparams_of(hparams);
            nb::gil_scoped_release r;
            w.add_hparams(hp, metrics, write_metrics, step, wall);
          },
          nb::arg("hparams"), nb::arg("metrics"), nb::arg("write_metrics") = true, nb::arg("step") = 0,
          nb::arg("wall_time") = 0.0)
      .def("flush", &TensorBoardWriter::flush, R())
      .def("close", &TensorBoardWriter::close, R())
      .def_prop_ro("path", &TensorBoardWriter::path)
      .def_prop_ro("log_dir", &TensorBoardWriter::log_dir);
}

}  // namespace ember::py
