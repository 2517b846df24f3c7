// NB_MODULE(_C): the error type, the shared argument parsers, then each area's bindings.
#include "bind.h"

namespace ember::py {

[[noreturn]] void type_error(const char* op, const char* arg, const char* expected, nb::handle got) {
  std::string msg = std::string(op) + "(): argument '" + arg + "' must be " + expected + ", not " +
                    nb::inst_name(got).c_str();
  throw nb::type_error(msg.c_str());
}

Shape shape_from_object(nb::handle h, const char* op, const char* arg) {
  Shape s;
  if (PyLong_Check(h.ptr()) && !PyBool_Check(h.ptr())) return {nb::cast<int64_t>(h)};
  if (!PySequence_Check(h.ptr()) || PyUnicode_Check(h.ptr())) type_error(op, arg, "a tuple of ints", h);
  nb::sequence seq = nb::borrow<nb::sequence>(h);
  for (nb::handle e : seq) {
    if (PyBool_Check(e.ptr()) || !PyIndex_Check(e.ptr())) type_error(op, arg, "a tuple of ints", h);
    s.push_back(PyLong_AsLongLong(e.ptr()));
    if (PyErr_Occurred()) throw nb::python_error();
  }
  return s;
}

Shape shape_from_args(const nb::args& args, const char* op, const char* arg) {
  if (args.size() == 1 && !PyLong_Check(args[0].ptr())) return shape_from_object(args[0], op, arg);
  Shape s;
  s.reserve(args.size());
  for (nb::handle e : args) {
    if (PyBool_Check(e.ptr()) || !PyIndex_Check(e.ptr())) type_error(op, arg, "a tuple of ints", e);
    s.push_back(PyLong_AsLongLong(e.ptr()));
    if (PyErr_Occurred()) throw nb::python_error();
  }
  return s;
}

}  // namespace ember::py

NB_MODULE(_C, m) {
  m.doc() = "Ember's C++ core (nanobind); use the `ember` package";
  // ember::Error -> ember.Error, a RuntimeError, with the C++ message unchanged.
  nb::exception<ember::Error>(m, "Error", PyExc_RuntimeError);
  using namespace ember::py;
  init_dtype(m);
  init_tensor(m);
  init_ops(m);
  init_autograd(m);
  init_nn(m);
  init_optim(m);
  init_data(m);
  init_io(m);
  init_models(m);
  init_train(m);
  init_tensorboard(m);
  init_distributed(m);
  init_explain(m);
  init_onnx(m);
}
