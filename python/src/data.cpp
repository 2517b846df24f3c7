// ember._C.data: the C++ data pipeline (datasets, transforms, samplers, DataLoader). The Python
// package (ember/utils/data, ember/datasets, ember/transforms) gives them PyTorch's names and
// runs the C++ DataLoader whenever the dataset and transforms are C++, waiting without the GIL.
#include <nanobind/stl/array.h>

#include "bind.h"
#include "ember/distributed/sampler.h"

namespace ember::py {
namespace {

using namespace ember::data;

// A transform as one value: C++ transforms stay C++ (no GIL on the loader threads); a Python
// callable is called with the GIL taken.
struct PyTransform {
  Transform fn;
};

// Held weakly when the callable allows it: the Python dataset object keeps it alive, and a lambda
// whose globals hold the dataset would otherwise make a cycle through C++ that the GC cannot see.
Transform python_transform(nb::object f) {
  nb::object ref = f;
  if (PyType_SUPPORTS_WEAKREFS(Py_TYPE(f.ptr()))) ref = nb::weakref(f);
  bool weak = !ref.is(f);
  // The reference is dropped with the GIL held, whichever thread drops the last copy.
  std::shared_ptr<nb::object> obj(new nb::object(std::move(ref)), [](nb::object* o) {
    nb::gil_scoped_acquire g;
    delete o;
  });
  return [obj, weak](const Tensor& image, Generator&) -> Tensor {
    nb::gil_scoped_acquire g;
    try {
      nb::object fn = weak ? (*obj)() : *obj;
      if (fn.is_none()) throw Error("transform: the Python transform was deleted while its dataset is in use");
      nb::object r = fn(image);
      if (!nb::isinstance<Tensor>(r))
        throw Error(std::string("transform: a Python transform must return an ember.Tensor, got ") +
                    nb::inst_name(r).c_str());
      return nb::cast<Tensor>(r);
    } catch (nb::python_error& e) {
      // Re-raised on the consumer thread as ember.Error: a Python error object must not cross threads.
      throw Error(std::string("transform raised ") + e.what());
    }
  };
}

Transform to_transform(nb::handle t) {
  if (t.is_none()) return {};
  if (nb::isinstance<PyTransform>(t)) return nb::cast<const PyTransform&>(t).fn;
  if (!PyCallable_Check(t.ptr())) type_error("MNIST", "transform", "a callable or None", t);
  return python_transform(nb::borrow(t));
}

nb::object example_tuple(const Example& e) {
  return nb::make_tuple(e.data, e.target.defined() ? nb::cast(e.target) : nb::none());
}

Interpolation interpolation(const std::string& s) {
  if (s == "nearest") return Interpolation::Nearest;
  if (s == "bilinear") return Interpolation::Bilinear;
  throw nb::value_error(("RandomAffine: interpolation must be 'nearest' or 'bilinear', got '" + s + "'").c_str());
}

// Fixed indices every epoch: how a Python sampler's order reaches the C++ loader.
class ListSampler : public Sampler {
 public:
  explicit ListSampler(std::vector<int64_t> idx) : idx_(std::move(idx)) {}
  int64_t size() const override { return static_cast<int64_t>(idx_.size()); }
  std::vector<int64_t> indices(int64_t) const override { return idx_; }

 private:
  std::vector<int64_t> idx_;
};

// One epoch of a C++ DataLoader as a Python iterator; batches are waited for without the GIL.
struct LoaderIter {
  std::shared_ptr<DataLoader> loader;
  DataLoader::Iterator it;
  bool started = false;
  LoaderIter(std::shared_ptr<DataLoader> l) : loader(std::move(l)) {}
  LoaderIter(LoaderIter&&) = default;
  // An abandoned epoch (next(iter(loader))) joins its workers here. Without the GIL: a worker
  // may be waiting for it to run a Python transform.
  ~LoaderIter() {
    if (it == DataLoader::Iterator()) return;
    nb::gil_scoped_release r;
    it = DataLoader::Iterator();
  }
  nb::object next() {
    {
      nb::gil_scoped_release r;
      if (!started) it = loader->begin(), started = true;
      else if (!(it == DataLoader::Iterator())) ++it;
      if (it == DataLoader::Iterator()) it = DataLoader::Iterator();  // stops and joins the workers now
    }
    if (it == DataLoader::Iterator()) throw nb::stop_iteration();
    const Batch& b = *it;
    nb::list out;
    out.append(b.data);
    if (b.target.defined()) out.append(b.target);
    return out;
  }
};

// A dataset of n empty samples: index arithmetic (shuffles, splits) shared with the C++ loader.
std::shared_ptr<const Dataset> index_dataset(int64_t n) {
  return std::make_shared<TensorDataset>(zeros({n, 0}));
}

}  // namespace

void init_data(nb::module_& m) {
  nb::module_ d = m.def_submodule("data", "ember::data");

  nb::class_<Dataset>(d, "Dataset")
      .def("__len__", &Dataset::size)
      .def("get", [](const Dataset& ds, int64_t i) {
        if (i < 0) i += ds.size();
        if (i < 0 || i >= ds.size())
          throw nb::index_error(("index " + std::to_string(i) + " is out of range for a dataset of size " +
                                 std::to_string(ds.size())).c_str());
        Example e;
        {
          nb::gil_scoped_release r;  // a Python transform takes it back
          e = ds.get(i);
        }
        return example_tuple(e);
      }, nb::arg("index"));
  nb::class_<TensorDataset, Dataset>(d, "TensorDataset")
      .def(nb::init<Tensor, Tensor>(), nb::arg("data"), nb::arg("targets") = Tensor());
  nb::class_<Subset, Dataset>(d, "Subset")
      .def("__init__", [](Subset* self, std::shared_ptr<Dataset> ds, std::vector<int64_t> idx) {
        for (int64_t i : idx)
          if (i < 0 || i >= ds->size())
            throw nb::index_error(("Subset: index " + std::to_string(i) + " is out of range for a dataset of size " +
                                   std::to_string(ds->size())).c_str());
        new (self) Subset(std::move(ds), std::move(idx));
      }, nb::arg("dataset"), nb::arg("indices"));
  nb::class_<MNIST, Dataset>(d, "MNIST")
      .def("__init__", [](MNIST* self, const std::string& root, bool train, nb::handle transform) {
        Transform t = to_transform(transform);
        nb::gil_scoped_release r;
        new (self) MNIST(root, train, std::move(t));
      }, nb::arg("root") = "", nb::arg("train") = true, nb::arg("transform").none() = nb::none())
      .def_prop_ro("images", &MNIST::images)
      .def_prop_ro("targets", &MNIST::targets)
      .def_prop_ro("folder", &MNIST::folder)
      .def_static("download", [](const std::string& root) {
        nb::gil_scoped_release r;
        MNIST::download(root);
      }, nb::arg("root") = "");
  d.def("resolve_data_root", &resolve_data_root, nb::arg("root") = "");
  d.def("default_seed", [] { return default_generator().seed(); });

  // ---- transforms ----
  nb::class_<PyTransform>(d, "Transform")
      .def("__call__", [](const PyTransform& t, const Tensor& image) { return t.fn(image, default_generator()); },
           nb::arg("image"));
  d.def("Normalize", [](std::vector<double> mean, std::vector<double> std) {
    return PyTransform{Normalize(std::move(mean), std::move(std))};
  }, nb::arg("mean"), nb::arg("std"));
  d.def("RandomCrop", [](int64_t h, int64_t w, int64_t padding) {
    return PyTransform{RandomCrop({h, w}, padding)};
  }, nb::arg("height"), nb::arg("width"), nb::arg("padding") = 0);
  d.def("RandomHorizontalFlip", [](double p) { return PyTransform{RandomHorizontalFlip(p)}; }, nb::arg("p") = 0.5);
  d.def("RandomAffine", [](std::array<double, 2> degrees, std::array<double, 2> translate, const std::string& interp,
                           std::array<double, 2> scale) {
    return PyTransform{RandomAffine(degrees, translate, interpolation(interp), scale)};
  }, nb::arg("degrees"), nb::arg("translate"), nb::arg("interpolation"), nb::arg("scale"));
  d.def("Compose", [](nb::list ts) {
    std::vector<Transform> fs;
    for (nb::handle t : ts) fs.push_back(to_transform(t));
    return PyTransform{Compose(std::move(fs))};
  }, nb::arg("transforms"));
  d.def("python_transform", [](nb::object f) { return PyTransform{python_transform(std::move(f))}; });

  // ---- samplers ----
  nb::class_<Sampler>(d, "Sampler")
      .def("__len__", &Sampler::size)
      .def("indices", &Sampler::indices, nb::arg("epoch"));
  nb::class_<ListSampler, Sampler>(d, "ListSampler").def(nb::init<std::vector<int64_t>>(), nb::arg("indices"));
  nb::class_<distributed::DistributedSampler, Sampler>(d, "DistributedSampler")
      .def("__init__", [](distributed::DistributedSampler* self, int64_t n, int replicas, int rank, bool shuffle,
                          uint64_t seed, bool drop_last) {
        new (self) distributed::DistributedSampler(
            n, replicas, rank, {.shuffle = shuffle, .seed = seed, .drop_last = drop_last});
      }, nb::arg("dataset_size"), nb::arg("num_replicas"), nb::arg("rank"), nb::arg("shuffle"), nb::arg("seed"),
           nb::arg("drop_last"));

  // ---- the loader ----
  nb::class_<LoaderIter>(d, "LoaderIter")
      .def("__iter__", [](nb::handle self) { return nb::borrow(self); })
      .def("__next__", &LoaderIter::next);
  nb::class_<DataLoader>(d, "DataLoader")
      .def("__init__", [](DataLoader* self, std::shared_ptr<Dataset> ds, int64_t batch_size, bool shuffle, uint64_t seed,
                          bool drop_last, int64_t num_workers, int64_t prefetch_factor, std::shared_ptr<Sampler> sampler) {
        new (self) DataLoader(std::move(ds), {.batch_size = batch_size, .shuffle = shuffle, .seed = seed,
                                              .drop_last = drop_last, .num_workers = num_workers,
                                              .prefetch_factor = prefetch_factor, .sampler = std::move(sampler)});
      }, nb::arg("dataset"), nb::arg("batch_size"), nb::arg("shuffle"), nb::arg("seed"), nb::arg("drop_last"),
           nb::arg("num_workers"), nb::arg("prefetch_factor"), nb::arg("sampler").none())
      .def("__len__", &DataLoader::size)
      .def_prop_rw("epoch", &DataLoader::epoch, &DataLoader::set_epoch)
      .def("epoch_order", &DataLoader::epoch_order, nb::arg("epoch"));
  // Not a method: the iterator shares the loader (shared_ptr) so it outlives a dropped loader.
  d.def("iterate", [](std::shared_ptr<DataLoader> l) { return LoaderIter{std::move(l)}; });

  // ---- index helpers for the Python side (the same shuffles and splits as C++) ----
  d.def("epoch_order", [](int64_t n, uint64_t seed, int64_t epoch) {
    return DataLoader(index_dataset(n), {.shuffle = true, .seed = seed}).epoch_order(epoch);
  }, nb::arg("n"), nb::arg("seed"), nb::arg("epoch"));
  d.def("split_indices", [](int64_t n, const std::vector<int64_t>& lengths, std::optional<uint64_t> seed) {
    Generator own(seed.value_or(0));
    std::vector<std::vector<int64_t>> out;
    for (auto& s : random_split(index_dataset(n), lengths, seed ? own : default_generator())) out.push_back(s.indices());
    return out;
  }, nb::arg("n"), nb::arg("lengths"), nb::arg("seed").none());
  d.def("stack", [](const std::vector<Tensor>& ts) { return stack(ts, 0); }, nb::arg("tensors"));
  init_text(m);  // ember._C.text: the tokenizers the text data sets take
  init_data_text(d);
}

}  // namespace ember::py
