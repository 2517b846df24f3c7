#include "models/hf_weights.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "ember/io/file.h"
#include "ember/io/json.h"
#include "ember/io/safetensors.h"

namespace ember::models::hf {

namespace fs = std::filesystem;

int64_t Checkpoint::num_values() const {
  int64_t n = 0;
  for (auto& e : entries) n += e.value.numel();
  return n;
}

namespace {

void add_file(Checkpoint& ck, const std::string& path, std::map<std::string, std::string>& seen, const char* op) {
  io::SafetensorsFile f = io::load_safetensors(path);
  for (auto& [key, value] : f.tensors) {
    auto [it, fresh] = seen.emplace(key, path);
    EMBER_CHECK(fresh, op, "'", path, "': key '", key, "' is also in '", it->second,
                "'; a checkpoint's shards must hold each weight once");
    ck.entries.push_back({key, value, path});
  }
}

Checkpoint read_shards(const std::string& dir, const std::string& index_path, const char* op) {
  using json = nlohmann::json;
  json idx = io::parse_json<json>(io::read_file_bytes(index_path, op), op, "'" + index_path + "'");
  EMBER_CHECK(idx.is_object() && idx.contains("weight_map") && idx["weight_map"].is_object(), op, "'", index_path,
              "': key 'weight_map' must be an object mapping weight names to shard files");
  const json& wm = idx["weight_map"];
  EMBER_CHECK(!wm.empty(), op, "'", index_path, "': key 'weight_map' lists no weights");
  std::set<std::string> shards;
  for (auto& [key, file] : wm.items()) {
    EMBER_CHECK(file.is_string(), op, "'", index_path, "': weight_map['", key, "'] must be a file name, got ",
                io::describe_json(file));
    const std::string name = file.get<std::string>();
    // A shard is a file beside the index: a name with a directory part could read anywhere.
    EMBER_CHECK(!name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
                    name.find('\\') == std::string::npos,
                op, "'", index_path, "': weight_map['", key, "'] is '", name,
                "'; shard names must be plain file names in the model folder");
    shards.insert(name);
  }
  Checkpoint ck;
  ck.source = index_path;
  std::map<std::string, std::string> seen;  // key -> file
  for (auto& name : shards) {
    const std::string path = (fs::path(dir) / name).string();
    EMBER_CHECK(fs::is_regular_file(path), op, "'", index_path, "' lists the shard '", name,
                "', which is not in the folder; the checkpoint is incomplete (download every shard)");
    add_file(ck, path, seen, op);
  }
  for (auto& [key, file] : wm.items()) {
    const std::string want = (fs::path(dir) / file.get<std::string>()).string();
    auto it = seen.find(key);
    EMBER_CHECK(it != seen.end() && it->second == want, op, "'", index_path, "': weight_map puts '", key, "' in '",
                file.get<std::string>(), "', ", it == seen.end() ? std::string("but no shard holds it")
                                                                  : "but it is in '" + it->second + "'");
  }
  return ck;
}

}  // namespace

Checkpoint read_hf_checkpoint(const std::string& dir, const char* op) {
  const std::string single = (fs::path(dir) / "model.safetensors").string();
  const std::string index = (fs::path(dir) / "model.safetensors.index.json").string();
  if (fs::exists(single)) {
    Checkpoint ck;
    ck.source = single;
    std::map<std::string, std::string> seen;
    add_file(ck, single, seen, op);
    return ck;
  }
  if (fs::exists(index)) return read_shards(dir, index, op);
  const bool pickle = fs::exists(fs::path(dir) / "pytorch_model.bin") ||
                      fs::exists(fs::path(dir) / "pytorch_model.bin.index.json");
  EMBER_FAIL(op, "'", dir, "' holds neither model.safetensors nor model.safetensors.index.json",
             pickle ? "; it has pytorch_model.bin, a pickle Ember does not read: convert it to safetensors "
                      "(transformers: model.save_pretrained(dir, safe_serialization=True))"
                    : "; a Hugging Face model folder keeps its weights in one of them");
}

}  // namespace ember::models::hf
