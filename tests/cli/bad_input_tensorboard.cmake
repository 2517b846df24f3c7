# --tensorboard DIR (issue 20): a folder that cannot be created or written fails before the first
# epoch, naming the flag, on every recipe that trains; a short real run writes an event file.
set(q "--threads;1;--no-progress")
foreach(case
    "tb_unwritable|train;mnist-cnn;--tensorboard;/proc/ember-tb;${q}|^[^E]*error: --tensorboard: cannot create the folder '/proc/ember-tb'"
    "tb_is_a_file|train;mnist-cnn;--tensorboard;${CMAKE_CURRENT_SOURCE_DIR}/CMakeLists.txt;${q}|^[^E]*error: --tensorboard: '.*CMakeLists.txt' is a file; give a folder"
    "tb_autoencoder_unwritable|train;mnist-autoencoder;--tensorboard;/proc/ember-tb;${q}|^[^E]*error: --tensorboard: cannot create"
    "tb_vae_unwritable|train;mnist-vae;--tensorboard;/proc/ember-tb;${q}|^[^E]*error: --tensorboard: cannot create"
    "tb_gpt_unwritable|train;shakespeare-gpt;--tensorboard;/proc/ember-tb;--threads;1|error: --tensorboard: cannot create"
    "tb_distill_unwritable|distill;mnist-cnn;--alpha;0;--tensorboard;/proc/ember-tb;${q}|^[^E]*error: --tensorboard: cannot create")
  ember_cli_failure("${case}")
endforeach()

set(tb_dir ${CMAKE_CURRENT_BINARY_DIR}/tensorboard_cli)
add_test(NAME cli.tb_short_run_clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${tb_dir})
add_test(NAME cli.tb_short_run_writes COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:ember_cli>
  "-DARGS=train,mnist-cnn,--epochs,2,--max-steps,3,--train-limit,256,--threads,1,--no-progress,--tensorboard,${tb_dir}"
  "-DEXPECT=TensorBoard: [^\n]*/tensorboard_cli/events\\.out\\.tfevents\\.[0-9]+\\.[^\n]+ \\(tensorboard --logdir [^\n]*\\)\n.*Epoch 2, Loss"
  -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_success.cmake)
add_test(NAME cli.tb_short_run_file COMMAND ${CMAKE_COMMAND} -DDIR=${tb_dir}
  -P ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_event_file.cmake)
set_tests_properties(cli.tb_short_run_clean PROPERTIES FIXTURES_SETUP tb_clean)
set_tests_properties(cli.tb_short_run_writes PROPERTIES FIXTURES_REQUIRED tb_clean FIXTURES_SETUP tb_run)
set_tests_properties(cli.tb_short_run_file PROPERTIES FIXTURES_REQUIRED tb_run)
