#pragma once
// Ember's tokenizers: characters, words, GPT-2's byte-level BPE, and Hugging Face tokenizer.json
// pipelines (WordPiece, BPE) through text::Tokenizer.
#include "ember/text/char_tokenizer.h"
#include "ember/text/encoding.h"
#include "ember/text/gpt2_tokenizer.h"
#include "ember/text/tokenizer.h"
#include "ember/text/word_tokenizer.h"
