# Validate before work (issue 19): numbers outside their type's range, thread counts beyond the
# cores, batch sizes beyond the data set, step counters that would overflow and unwritable outputs
# are errors naming the flag before anything trains; a resumed run's changed flags are applied
# with a note or rejected, and a finished run says so. Files that a case needs (empty data sets,
# bad checkpoint metadata) are made by tests/test_validation.cpp.
set(q "--threads;1;--no-progress")
foreach(case
    # Out of the type's range: CLI11 saturated these silently.
    "val_seed_beyond_64_bits|train;mnist-cnn;--seed;99999999999999999999999|--seed: 99999999999999999999999 is out of range: must be a whole number in \\[0, 18446744073709551615\\]"
    "val_seed_negative|train;mnist-cnn;--seed;-1|--seed: -1 is out of range"
    "val_epochs_beyond_int64|train;mnist-cnn;--epochs;99999999999999999999|--epochs: 99999999999999999999 is out of range"
    "val_epochs_hex|train;mnist-cnn;--epochs;0x10|--epochs: expected a whole number, got '0x10'"
    "val_lr_beyond_double|train;mnist-cnn;--lr;1e999|--lr: 1e999 is out of range"
    "val_gpt_steps_beyond_int64|train;shakespeare-gpt;--steps;99999999999999999999|--steps: .* is out of range"
    "val_vae_latent_beyond_int64|train;mnist-vae;--latent-dim;-99999999999999999999|--latent-dim"
    "val_generate_tokens_beyond_int64|generate;x.safetensors;--max-new-tokens;99999999999999999999|--max-new-tokens: .* is out of range"
    "val_eval_batch_beyond_int64|eval;x.safetensors;--batch-size;99999999999999999999|--batch-size: .* is out of range"
    # Threads: 100000 segfaulted inside OpenMP, 1000 hung for a minute.
    "val_threads_100000|train;mnist-cnn;--threads;100000|--threads: must be in \\[1, [0-9]+\\] \\(4 per core, [0-9]+ cores here\\), got 100000"
    "val_threads_1000|train;mnist-cnn;--threads;1000|--threads: must be in \\[1, "
    "val_threads_beyond_int|train;mnist-cnn;--threads;99999999999|--threads: must be in \\[1, "
    "val_gpt_threads|train;shakespeare-gpt;--threads;100000|--threads: must be in"
    "val_explain_threads|explain;x.safetensors;--threads;100000;--out;x.png|--threads: must be in"
    "val_workers_5000|train;mnist-cnn;--workers;5000|--workers: must be in \\[0, "
    # Sizes against the data set and the step counter (before any batch is built).
    "val_batch_beyond_dataset|train;mnist-cnn;--batch-size;99999999999;${q}|--batch-size: 99999999999 is more than the 60000 training examples.*use at most 60000"
    "val_batch_beyond_train_limit|train;mnist-cnn;--batch-size;101;--train-limit;100;${q}|--batch-size: 101 is more than the 100 training examples"
    "val_autoencoder_batch_beyond_dataset|train;mnist-autoencoder;--batch-size;99999999999;${q}|--batch-size: 99999999999 is more than"
    "val_vae_batch_beyond_dataset|train;mnist-vae;--batch-size;99999999999;${q}|--batch-size: 99999999999 is more than"
    "val_epochs_overflow_steps|train;mnist-cnn;--epochs;1000000000000000000;--train-limit;1000;${q}|--epochs: 1000000000000000000 epochs of 16 steps overflow the step counter"
    # Models too large for the machine's memory, named by their flags before anything is built
    # (they grew until the kernel killed them, or failed deep in the allocator).
    "val_gpt_too_large|train;shakespeare-gpt;--n-embd;4000000;--n-head;1;--steps;1;--threads;1|--n-layer/--n-embd/--batch-size/--block-size: training a model of .* parameters .* needs about [0-9]+ GiB, more than this machine's [0-9]+ GiB of memory"
    "val_autoencoder_too_large|train;mnist-autoencoder;--latent-dim;99999999999;${q}|--latent-dim/--width/--batch-size: training an autoencoder of .* more than this machine's"
    "val_vae_too_large|train;mnist-vae;--hidden;99999999999;${q}|--hidden/--latent-dim/--batch-size: training a VAE of .* more than this machine's"
    "val_imdb_too_large|train;imdb-lstm;--hidden;1000000;--threads;1|--hidden/--embed-dim/--layers/--batch-size/--max-len: training an LSTM of .* more than this machine's"
    "val_distill_too_large|distill;mnist-cnn;--student-width;100000;--alpha;0;--threads;1|--student-width/--student-hidden/--student-layers: training a student of .* more than this machine's"
    "val_explain_steps_too_many|explain;x.safetensors;--method;ig;--steps;99999999999;--out;x.png|--steps: Value 99999999999 not in range 1 to 100000"
    "val_explain_samples_too_many|explain;x.safetensors;--method;smoothgrad;--samples;99999999999;--out;x.png|--samples: Value 99999999999 not in range 1 to 1000000"
    "val_tune_param_out_of_range|tune;mnist-cnn;--param;seed=99999999999999999999999;--threads;1|--seed: 99999999999999999999999 is out of range"
    # Outputs checked before the first epoch (the regex allows no "Epoch" line before the error).
    "val_metrics_missing_folder|train;mnist-cnn;--metrics;/nonexistent/ember/m.csv;${q}|^[^E]*error: --metrics: cannot write '/nonexistent/ember/m.csv': the folder '/nonexistent/ember' does not exist"
    "val_metrics_is_folder|train;mnist-cnn;--metrics;/tmp;${q}|^[^E]*error: --metrics: '/tmp' is a folder"
    "val_metrics_bad_suffix|train;mnist-cnn;--metrics;m.txt;${q}|^[^E]*error: --metrics: 'm.txt' must end in .csv or .jsonl"
    "val_plot_unwritable|train;mnist-cnn;--plot;/proc/ember-curves.png;${q}|^[^E]*error: --plot: cannot write '/proc/ember-curves.png'"
    "val_autoencoder_metrics_missing_folder|train;mnist-autoencoder;--metrics;/nonexistent/ember/m.csv;${q}|error: --metrics: cannot write")
  ember_cli_failure("${case}")
endforeach()

# EMBER_NUM_THREADS gets the same bound as --threads.
ember_cli_failure("val_env_threads|info|EMBER_NUM_THREADS: expected a positive integer, got '100000'; the range is \\[1, [0-9]+\\] \\(4 per core")
set_tests_properties(cli.val_env_threads PROPERTIES ENVIRONMENT EMBER_NUM_THREADS=100000)

# Resume: a short run, then resumes of it (none writes to its folder, so the order is free).
set(val_dir ${CMAKE_CURRENT_BINARY_DIR}/validation_cli)
add_test(NAME cli.val_resume_setup COMMAND ember_cli train mnist-cnn --epochs 1 --train-limit 256 --threads 1
  --no-progress --checkpoint-dir ${val_dir}/cnn)
set_tests_properties(cli.val_resume_setup PROPERTIES FIXTURES_SETUP val_cnn)
set(val_ckpt ${val_dir}/cnn/last.safetensors)
function(val_success name args expect)
  string(REPLACE ";" "," args "${args}")
  add_test(NAME cli.${name} COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:ember_cli> "-DARGS=${args}"
    "-DEXPECT=${expect}" -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_success.cmake)
  set_tests_properties(cli.${name} PROPERTIES FIXTURES_REQUIRED val_cnn)
endfunction()
set(resume train mnist-cnn --train-limit 256 --threads 1 --no-progress --resume ${val_ckpt})
# An explicit --lr wins over the optimizer state's, with a note (it was silently ignored).
val_success(val_resume_new_lr "${resume};--epochs;2;--lr;0.05;--max-steps;1"
  "Note: --lr 0.05 replaces the checkpoint's 0.01\nResumed from [^\n]* after epoch 1\nEpoch 2, Loss")
# A finished run says so and reports the checkpoint's accuracy (it printed 0.00%).
val_success(val_resume_finished "${resume};--epochs;1"
  "The run already finished: 1 of 1 epochs done, nothing left to train \\(raise --epochs to train further\\)\nTest accuracy: ([1-9][0-9]*\\.[0-9]+|0\\.[0-9]*[1-9][0-9]*)%")
foreach(case
    "val_resume_other_batch_size|${resume};--epochs;2;--batch-size;32|--resume: '[^']*last.safetensors' was trained with --batch-size 64, this run has --batch-size 32"
    "val_resume_other_dropout|${resume};--epochs;2;--dropout;0.5|was trained with --dropout 0, this run has --dropout 0.5"
    "val_resume_other_augment|${resume};--epochs;2;--augment|was trained with --augment 0, this run has --augment 1")
  ember_cli_failure("${case}")
endforeach()
set_tests_properties(cli.val_resume_other_batch_size cli.val_resume_other_dropout cli.val_resume_other_augment
  PROPERTIES FIXTURES_REQUIRED val_cnn)

# Flags left out of a resume take the checkpoint's values, not their defaults: a run trained at
# --lr 0.03 --momentum 0.5 resumes at those (it switched to the default 0.01 with a note).
add_test(NAME cli.val_resume_lr_setup COMMAND ember_cli train mnist-cnn --epochs 1 --lr 0.03 --momentum 0.5
  --train-limit 256 --max-steps 2 --threads 1 --no-progress --checkpoint-dir ${val_dir}/cnn_lr)
set_tests_properties(cli.val_resume_lr_setup PROPERTIES FIXTURES_SETUP val_cnn_lr)
add_test(NAME cli.val_resume_keeps_flags COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:ember_cli>
  "-DARGS=train,mnist-cnn,--train-limit,256,--threads,1,--no-progress,--resume,${val_dir}/cnn_lr/last.safetensors,--epochs,2,--max-steps,1"
  "-DEXPECT=with its settings for the flags not given: --lr 0.03, --momentum 0.5\nNormalization[^\n]*\nResumed from [^\n]* after epoch 1\nEpoch 2, Loss"
  -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_success.cmake)
set_tests_properties(cli.val_resume_keeps_flags PROPERTIES FIXTURES_REQUIRED val_cnn_lr)
