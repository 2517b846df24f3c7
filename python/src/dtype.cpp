// ember.float32, ember.int64, ... and ember.device, as torch.dtype and torch.device.
#include "bind.h"

namespace ember::py {

void init_dtype(nb::module_& m) {
  nb::enum_<DType>(m, "dtype")
      .value("bool", DType::Bool)
      .value("int32", DType::Int32)
      .value("int64", DType::Int64)
      .value("float16", DType::Float16)
      .value("bfloat16", DType::BFloat16)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .def("__repr__", [](DType d) { return std::string("ember.") + dtype_name(d); })
      .def("__str__", [](DType d) { return std::string("ember.") + dtype_name(d); })
      .def_prop_ro("is_floating_point", [](DType d) { return is_floating(d); })
      .def_prop_ro("itemsize", [](DType d) { return itemsize(d); });
  m.def("promote_types", &promote_types, nb::arg("type1"), nb::arg("type2"));

  nb::class_<Device>(m, "device")
      .def("__init__", [](Device* self, const std::string& spec) {
        auto colon = spec.find(':');
        std::string type = spec.substr(0, colon);
        int index = colon == std::string::npos ? 0 : std::stoi(spec.substr(colon + 1));
        if (type == "cpu") new (self) Device(Device::Type::CPU, static_cast<int16_t>(index));
        else if (type == "cuda") new (self) Device(Device::Type::CUDA, static_cast<int16_t>(index));
        else throw nb::value_error(("device(): unknown device type '" + type + "'; expected 'cpu' or 'cuda'").c_str());
      }, nb::arg("type"))
      .def_prop_ro("type", [](const Device& d) { return std::string(device_type_name(d.type)); })
      .def_prop_ro("index", [](const Device& d) { return d.index; })
      .def("__eq__", [](const Device& a, const Device& b) { return a == b; })
      .def("__hash__", [](const Device& d) { return static_cast<int>(d.type) * 1024 + d.index; })
      .def("__repr__", [](const Device& d) {
        return "device(type='" + std::string(device_type_name(d.type)) + "'" +
               (d.type == Device::Type::CPU ? std::string() : ", index=" + std::to_string(d.index)) + ")";
      })
      .def("__str__", [](const Device& d) {
        std::string s = device_type_name(d.type);
        return d.type == Device::Type::CPU ? s : s + ":" + std::to_string(d.index);
      });
}

}  // namespace ember::py
