# Bad input for text and JSON (issue 19): UTF-8 text files and prompts, character vocabularies
# through a checkpoint, deeply nested JSON, and ranks of one mpirun that disagree on the run.
set(text_fixtures ${CMAKE_CURRENT_SOURCE_DIR}/fixtures)
set(text_dir ${CMAKE_CURRENT_BINARY_DIR}/text_cli)

# A tiny GPT on a UTF-8 corpus (accents, Greek, Cyrillic, CJK, emoji): characters are counted as
# Python counts them (len(text) == 1638, len(set(text)) == 103, int(1638 * 0.9) == 1474).
add_test(NAME cli.text_gpt_utf8_corpus COMMAND ember_cli train shakespeare-gpt --text ${text_fixtures}/utf8_corpus.txt
  --steps 2 --eval-interval 2 --eval-iters 1 --batch-size 2 --block-size 8 --n-layer 1 --n-head 1 --n-embd 8
  --sample-tokens 20 --threads 1 --checkpoint-dir ${text_dir}/gpt)
set_tests_properties(cli.text_gpt_utf8_corpus PROPERTIES FIXTURES_SETUP text_gpt_utf8 PASS_REGULAR_EXPRESSION
  "shakespeare-gpt: 1638 characters, vocabulary 103, 1474 train / 164 val.*---- sample ----")
# The vocabulary comes back from the checkpoint: a prompt of its characters continues.
add_test(NAME cli.text_generate_utf8_prompt COMMAND ember_cli generate ${text_dir}/gpt/last.safetensors
  --prompt "Größe 日本 🎉" --max-new-tokens 10 --seed 1)
set_tests_properties(cli.text_generate_utf8_prompt PROPERTIES FIXTURES_REQUIRED text_gpt_utf8
  PASS_REGULAR_EXPRESSION "^Größe 日本 🎉")

foreach(case
    "text_gpt_text_invalid_utf8|train;shakespeare-gpt;--text;${text_fixtures}/bad_utf8_lines.txt|--text: read_text_file: '.*bad_utf8_lines.txt' is not valid UTF-8 at byte 24 \\(.xFF.x20"
    "text_generate_prompt_not_in_vocabulary|generate;${text_dir}/gpt/last.safetensors;--prompt;Ω|--prompt: CharTokenizer::encode: character 'Ω' \\(U\\+03A9\\) at position 0 \\(byte 0\\) is not in the vocabulary of 103 characters"
    "text_generate_prompt_late_unknown|generate;${text_dir}/gpt/last.safetensors;--prompt;日本語Ω|character 'Ω' \\(U\\+03A9\\) at position 3 \\(byte 9\\)"
    "text_imdb_deep_nesting|train;imdb-lstm;--data;${text_fixtures}/imdb_deep_nesting|IMDB: '.*imdb_deep_nesting/imdb/reviews.json.gz' nests arrays or objects more than 128 levels deep \\(at byte 128\\)"
    "text_generate_deep_header|generate;${text_fixtures}/deep_header.safetensors|deep_header.safetensors.*the header nests arrays or objects more than 128 levels deep \\(at byte 128\\)"
    "text_eval_deep_header|eval;${text_fixtures}/deep_header.safetensors|deep_header.safetensors.*the header nests arrays or objects more than 128 levels deep \\(at byte 128\\)")
  ember_cli_failure("${case}")
endforeach()
set_tests_properties(cli.text_generate_prompt_not_in_vocabulary cli.text_generate_prompt_late_unknown PROPERTIES
  FIXTURES_REQUIRED text_gpt_utf8)

# Two ranks started with different flags (tests/distributed/per_rank_args.sh puts the rank into
# %RANK%): a clean error naming the ranks and values, not a crash inside MPI's collectives.
if(TARGET ember_mpi AND MPIEXEC_EXECUTABLE)
  set(per_rank ${CMAKE_CURRENT_SOURCE_DIR}/distributed/per_rank_args.sh)
  foreach(case
      "train_limit|train,mnist-cnn,--epochs,1,--train-limit,64%RANK%,--no-progress|\\(train examples: rank 0 has 640, rank 1 has 641. steps per epoch: rank 0 has 5, rank 1 has 6\\)"
      "epochs|train,mnist-cnn,--epochs,1%RANK%,--train-limit,640,--no-progress|\\(epochs: rank 0 has 10, rank 1 has 11\\)"
      "batch_size|train,mnist-autoencoder,--epochs,1,--train-limit,256,--batch-size,3%RANK%,--no-progress|\\(batch_size: rank 0 has 30, rank 1 has 31\\)"
      "gpt_steps|train,shakespeare-gpt,--steps,1%RANK%,--eval-interval,5,--eval-iters,1,--batch-size,2,--n-layer,1,--n-embd,8,--n-head,1,--block-size,8|\\(steps: rank 0 has 10, rank 1 has 11\\)")
    string(REGEX REPLACE "^([^|]*)\\|([^|]*)\\|(.*)$" "\\1" name "${case}")
    string(REGEX REPLACE "^([^|]*)\\|([^|]*)\\|(.*)$" "\\2" args "${case}")
    string(REGEX REPLACE "^([^|]*)\\|([^|]*)\\|(.*)$" "\\3" expect "${case}")
    add_test(NAME dist.text_mismatch_${name} COMMAND ${CMAKE_COMMAND} -DMPIEXEC=${MPIEXEC_EXECUTABLE} -DNP=2
      -DEXE=${per_rank} "-DARGS=$<TARGET_FILE:ember_cli>,${args}" -DEXPECT_RC=nonzero
      "-DEXPECT=ember: rank [01] of 2 failed: train: the ranks disagree on the run: rank\\(s\\) 1 differ from rank 0 ${expect}"
      "-DREJECT=free\\(\\)|NBC_Progress|Segmentation fault|signal [0-9]" -DMAX_SECONDS=60
      -P ${CMAKE_CURRENT_SOURCE_DIR}/distributed/run_mpi.cmake)
    set_tests_properties(dist.text_mismatch_${name} PROPERTIES LABELS distributed TIMEOUT 120
      ENVIRONMENT "EMBER_NUM_THREADS=1;EMBER_DIST_TIMEOUT=60")
  endforeach()
endif()
