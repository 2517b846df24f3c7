#pragma once
// Ember's tokenizers: characters, words and GPT-2's byte-level BPE.
#include "ember/text/char_tokenizer.h"
#include "ember/text/gpt2_tokenizer.h"
#include "ember/text/word_tokenizer.h"
