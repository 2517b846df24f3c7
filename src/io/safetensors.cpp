// safetensors reading and writing. The JSON header is handled by nlohmann-json; the data section
// is copied straight between tensor storage and the file.
#include "ember/io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "ember/ops.h"
#include "ember/io/json.h"
#include "io/atomic_file.h"

namespace ember::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data; Ember's reader and writer assume a little-endian host");

namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the reference implementation's limit

const char* st_dtype(DType t) {
  switch (t) {
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
    case DType::Int32: return "I32";
    case DType::Int64: return "I64";
    case DType::Bool: return "BOOL";
    case DType::Float16: return "F16";
    case DType::BFloat16: return "BF16";
  }
  return "?";
}

bool parse_st_dtype(const std::string& s, DType& out) {
  static const std::pair<const char*, DType> table[] = {{"F32", DType::Float32}, {"F64", DType::Float64},
                                                        {"I32", DType::Int32},   {"I64", DType::Int64},
                                                        {"BOOL", DType::Bool},   {"F16", DType::Float16},
                                                        {"BF16", DType::BFloat16}};
  for (auto& [name, dt] : table)
    if (s == name) return out = dt, true;
  return false;
}

// Reads exactly n bytes at `offset`.
bool read_at(int fd, void* dst, size_t n, uint64_t offset) {
  char* p = static_cast<char*>(dst);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r, n -= static_cast<size_t>(r), offset += static_cast<uint64_t>(r);
  }
  return true;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

}  // namespace

const Tensor& SafetensorsFile::at(const std::string& name) const {
  for (auto& [n, t] : tensors)
    if (n == name) return t;
  EMBER_FAIL("SafetensorsFile::at", "no tensor named '", name, "' (the file holds ", tensors.size(), " tensors)");
}

bool SafetensorsFile::contains(const std::string& name) const {
  return std::any_of(tensors.begin(), tensors.end(), [&](auto& e) { return e.first == name; });
}

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const char* op = "save_safetensors";
  // Check everything before touching the file system.
  std::set<std::string> names;
  std::vector<Tensor> data;
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (auto& [name, t] : tensors) {
    EMBER_CHECK(!name.empty(), op, "'", path, "': a tensor has an empty name");
    EMBER_CHECK(name != "__metadata__", op, "'", path, "': \"__metadata__\" is reserved and cannot name a tensor");
    EMBER_CHECK(names.insert(name).second, op, "'", path, "': tensor name '", name,
                "' appears twice; names must be unique");
    EMBER_CHECK(t.defined(), op, "'", path, "': tensor '", name, "' is undefined");
    Tensor c = t.detach();
    if (!c.is_contiguous()) c = c.contiguous();
    const uint64_t nbytes = static_cast<uint64_t>(c.numel()) * c.element_size();
    header[name] = {{"dtype", st_dtype(c.dtype())}, {"shape", c.shape()}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    data.push_back(c);
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned, as the reference writer does
  const uint64_t n = text.size();
  io::detail::write_file_atomically(path, op, [&](io::detail::AtomicFileWriter& w) {
    w.write(&n, 8);
    w.write(text.data(), text.size());
    for (auto& t : data) w.write(t.raw_data(), static_cast<size_t>(t.numel()) * t.element_size());
  });
}

SafetensorsFile load_safetensors(const std::string& path) {
  const std::string op = "load_safetensors: '" + path + "'";
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EMBER_CHECK(f.fd >= 0, op, "cannot open: ", std::strerror(errno));
  struct stat st {};
  EMBER_CHECK(::fstat(f.fd, &st) == 0, op, "cannot stat: ", std::strerror(errno));
  EMBER_CHECK(S_ISREG(st.st_mode), op, "not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  EMBER_CHECK(file_size >= 8, op, "the file has ", file_size,
              " bytes, fewer than the 8-byte header length; it is not a safetensors file");
  uint64_t n = 0;
  EMBER_CHECK(read_at(f.fd, &n, 8, 0), op, "cannot read the header length: ", std::strerror(errno));
  EMBER_CHECK(n > 0 && n <= file_size - 8, op, "the header length ", n, " does not fit in the file of ", file_size,
              " bytes; the file is truncated or not a safetensors file");
  EMBER_CHECK(n <= kMaxHeaderBytes, op, "the header length ", n, " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  std::string text(n, '\0');
  EMBER_CHECK(read_at(f.fd, text.data(), n, 8), op, "cannot read the header: ", std::strerror(errno));

  // ordered_json keeps the header's order, which breaks ties between empty tensors.
  auto header = io::parse_json<nlohmann::ordered_json>(text, op, "the header");
  EMBER_CHECK(header.is_object(), op, "the header should be a JSON object, got ", header.type_name());

  const uint64_t data_start = 8 + n, data_size = file_size - data_start;
  SafetensorsFile out;
  std::vector<Entry> entries;
  for (auto& [key, v] : header.items()) {
    if (key == "__metadata__") {
      EMBER_CHECK(v.is_object(), op, "\"__metadata__\" should be an object of strings, got ", v.type_name());
      for (auto& [mk, mv] : v.items()) {
        EMBER_CHECK(mv.is_string(), op, "metadata '", mk, "' should be a string, got ", mv.type_name());
        out.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    EMBER_CHECK(v.is_object(), op, "tensor '", key, "': expected an object with dtype, shape and data_offsets, got ",
                v.type_name());
    EMBER_CHECK(v.contains("dtype") && v["dtype"].is_string(), op, "tensor '", key, "': missing or non-string \"dtype\"");
    EMBER_CHECK(v.contains("shape") && v["shape"].is_array(), op, "tensor '", key, "': missing or non-array \"shape\"");
    EMBER_CHECK(v.contains("data_offsets") && v["data_offsets"].is_array() && v["data_offsets"].size() == 2, op,
                "tensor '", key, "': \"data_offsets\" should be [begin, end]");
    Entry e;
    e.name = key;
    const std::string dt = v["dtype"].get<std::string>();
    EMBER_CHECK(parse_st_dtype(dt, e.dtype), op, "tensor '", key, "': dtype '", dt,
                "' is not supported (expected F32, F64, I32, I64, BOOL, F16 or BF16)");
    uint64_t numel = 1;
    bool overflow = false;
    for (auto& d : v["shape"]) {
      EMBER_CHECK(d.is_number_unsigned(), op, "tensor '", key, "': shape ", io::describe_json(v["shape"]),
                  " should hold non-negative integers");
      uint64_t s = d.get<uint64_t>();
      overflow |= s > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, s, &numel);
      e.shape.push_back(static_cast<int64_t>(s));
    }
    uint64_t nbytes = 0;
    overflow |= __builtin_mul_overflow(numel, static_cast<uint64_t>(itemsize(e.dtype)), &nbytes);
    EMBER_CHECK(!overflow, op, "tensor '", key, "': shape ", io::describe_json(v["shape"]), " is too large");
    for (auto& o : v["data_offsets"])
      EMBER_CHECK(o.is_number_unsigned(), op, "tensor '", key, "': data_offsets ", io::describe_json(v["data_offsets"]),
                  " should be non-negative integers");
    e.begin = v["data_offsets"][0].get<uint64_t>();
    e.end = v["data_offsets"][1].get<uint64_t>();
    EMBER_CHECK(e.begin <= e.end && e.end <= data_size, op, "tensor '", key, "': data_offsets [", e.begin, ", ", e.end,
                "] are outside the data section of ", data_size, " bytes");
    EMBER_CHECK(e.end - e.begin == nbytes, op, "tensor '", key, "': data_offsets [", e.begin, ", ", e.end, "] span ",
                e.end - e.begin, " bytes but shape ", io::describe_json(v["shape"]), " of ", dt, " needs ", nbytes);
    entries.push_back(std::move(e));
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t covered = 0;
  std::string prev = "the start of the data section";
  for (auto& e : entries) {
    EMBER_CHECK(e.begin >= covered, op, "tensor '", e.name, "' (bytes ", e.begin, "..", e.end, ") overlaps ", prev);
    EMBER_CHECK(e.begin == covered, op, "tensor '", e.name, "' starts at byte ", e.begin, " but ", prev,
                " ends at ", covered, "; the format allows no gaps in the data section");
    covered = e.end;
    prev = "tensor '" + e.name + "'";
  }
  EMBER_CHECK(covered == data_size, op, "the data section has ", data_size, " bytes but the tensors cover ", covered,
              "; the file has trailing bytes or is damaged");

  for (auto& e : entries) {
    Tensor t = empty(e.shape, e.dtype);
    const size_t nbytes = e.end - e.begin;
    EMBER_CHECK(read_at(f.fd, t.raw_data(), nbytes, data_start + e.begin), op, "tensor '", e.name,
                "': cannot read its data: ", errno ? std::strerror(errno) : "unexpected end of file");
    if (e.dtype == DType::Bool) {
      const auto* b = static_cast<const unsigned char*>(t.raw_data());
      for (size_t i = 0; i < nbytes; ++i)
        EMBER_CHECK(b[i] <= 1, op, "tensor '", e.name, "': BOOL element ", i, " has byte value ", int(b[i]),
                    "; only 0 and 1 are valid");
    }
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace ember::io
