# NaN and infinity (issue 19): a diverging run stops with an error naming the step and the loss,
# and a checkpoint holding NaN weights is refused by every command that loads one, naming the key.
# Included by tests/CMakeLists.txt (ember_cli_failure: "name|arg;arg;...|regex").
set(nan_dir ${CMAKE_CURRENT_BINARY_DIR}/nonfinite_cli)
set(nan_ckpt ${nan_dir}/nan.safetensors)
set(nan_train --train-limit;640;--batch-size;64;--epochs;2;--threads;1;--workers;0;--no-progress)
foreach(case
    "nan_train_huge_lr|train;mnist-cnn;--lr;1e6;${nan_train}|train: the loss is (-?nan|-?inf|not finite).* at epoch [12], step [0-9]+; stopped before the optimizer step.*--nonfinite skip"
    "nan_train_bad_mode|train;mnist-cnn;--nonfinite;ignore|--nonfinite: ignore not in \\{stop,skip\\}"
    "nan_eval_checkpoint|eval;${nan_ckpt}|load_checkpoint: '.*nan.safetensors': tensor 'model.fc1.weight' holds NaN or infinite values"
    "nan_explain_checkpoint|explain;${nan_ckpt};--out;${nan_dir}/x.png|load_checkpoint: '.*nan.safetensors': tensor 'model.fc1.weight' holds NaN"
    "nan_resume_checkpoint|train;mnist-cnn;--resume;${nan_ckpt};${nan_train}|load_checkpoint: '.*nan.safetensors': tensor 'model.fc1.weight' holds NaN"
    "nan_distill_teacher|distill;mnist-cnn;--teacher;${nan_ckpt};${nan_train}|tensor 'model.fc1.weight' holds NaN"
    "nan_anomaly_env|train;mnist-cnn;--lr;1e6;${nan_train}|: anomaly detection: (produced|returned) (nan|inf)")
  ember_cli_failure("${case}")
endforeach()
# The checkpoint with a NaN in fc1.weight, written by the gtest that checks loading rejects it.
add_test(NAME cli.nan_setup_checkpoint COMMAND ember_tests --gtest_filter=AnomalyCheckpoint.LoadRejectsNonFiniteWeights)
set_tests_properties(cli.nan_setup_checkpoint PROPERTIES FIXTURES_SETUP nan_checkpoint
  ENVIRONMENT "EMBER_NAN_CHECKPOINT=${nan_ckpt}")
set_tests_properties(cli.nan_eval_checkpoint cli.nan_explain_checkpoint cli.nan_resume_checkpoint cli.nan_distill_teacher
  PROPERTIES FIXTURES_REQUIRED nan_checkpoint)
# EMBER_DETECT_ANOMALY=1: the first op that makes the NaN or infinity is named instead of the loss.
set_tests_properties(cli.nan_anomaly_env PROPERTIES ENVIRONMENT "EMBER_DETECT_ANOMALY=1")
# `ember tune`: a trial that diverges is ranked last with a NaN score; the search goes on.
add_test(NAME cli.nan_tune_diverged_trial COMMAND ember_cli tune mnist-cnn --search grid --param lr=1e6,0.5
  --param momentum=0 --param weight-decay=0 --max-steps 5 --train-limit 640 --validation-size 500 --threads 1
  --workers 0 --no-progress)
set_tests_properties(cli.nan_tune_diverged_trial PROPERTIES PASS_REGULAR_EXPRESSION
  "diverged: train: the loss is nan at epoch 1, step [0-9]+.*\n +1 +0\\.5 +0 +0 +[0-9.]+% +[0-9.]+\n +2 +1e6 +0 +0 +nan% +nan")
