// read_text_file: a whole UTF-8 file, with errors that name it.
#include "ember/data/text_file.h"

#include "ember/error.h"
#include "ember/io/file.h"
#include "ember/text/utf8.h"

namespace ember::data {

std::string read_text_file(const std::string& path) {
  std::string text = io::read_file_bytes(path, "read_text_file");
  EMBER_CHECK(!text.empty(), "read_text_file", "'", path, "' is empty; a text corpus needs at least one character");
  text::check_utf8(text, "read_text_file", "'" + path + "'");
  return text;
}

}  // namespace ember::data
