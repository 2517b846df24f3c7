#pragma once
// Post-processors of Hugging Face `tokenizers`: special tokens and type ids around the encoded
// text(s) ([CLS] A [SEP] B [SEP]), and ByteLevel's offset trimming.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "text/pipeline.h"

namespace ember::text::detail {

// One element of a TemplateProcessing template: a sequence ($A / $B) or a special token.
struct TemplatePiece {
  bool is_sequence = false;
  int sequence = 0;         // 0: A, 1: B
  std::string special;      // the special token's name (a key of the special-token map)
  int64_t type_id = 0;
};
struct TemplateSpecial {
  std::vector<int64_t> ids;
  std::vector<std::string> tokens;
};

std::unique_ptr<PostProcessor> make_template_processing(std::vector<TemplatePiece> single, std::vector<TemplatePiece> pair,
                                                        std::map<std::string, TemplateSpecial> specials);
// sep / cls: (token, id).
std::unique_ptr<PostProcessor> make_bert_processing(std::pair<std::string, int64_t> sep,
                                                    std::pair<std::string, int64_t> cls);
std::unique_ptr<PostProcessor> make_roberta_processing(std::pair<std::string, int64_t> sep,
                                                       std::pair<std::string, int64_t> cls, bool trim_offsets,
                                                       bool add_prefix_space);
std::unique_ptr<PostProcessor> make_byte_level_processing(bool trim_offsets, bool add_prefix_space);
std::unique_ptr<PostProcessor> make_post_processor_sequence(std::vector<std::unique_ptr<PostProcessor>> parts);

}  // namespace ember::text::detail
