# `ember export onnx` (issue 20): the recipes' checkpoints of the explain fixtures export with
# dynamic dims, and bad input (an unwritable --out, a checkpoint of a recipe with no export, a
# missing file or a folder that is no model) gives a non-zero exit naming the path or recipe.
# Numerical agreement with ONNX Runtime: tests/python/test_onnx_export.py.
set(onnx_dir ${CMAKE_CURRENT_BINARY_DIR}/onnx_cli)
file(MAKE_DIRECTORY ${onnx_dir})
foreach(case
    "cnn|cnn|input  image: float32 \\[batch, 1, 28, 28\\]\n  output log_probs: float32 \\[batch, 10\\]\n  [0-9]+ nodes"
    "autoencoder|autoencoder|output reconstruction: float32 \\[batch, 1, 28, 28\\]"
    "imdb|imdb|input  tokens: int64 \\[batch, sequence\\]\n  output logits: float32 \\[batch, 2\\]")
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 name)
  list(GET parts 1 fixture)
  list(GET parts 2 expect)
  add_test(NAME cli.export_onnx_${name} COMMAND ember_cli export onnx ${explain_dir}/${fixture}/last.safetensors
    --out ${onnx_dir}/${name}.onnx)
  set_tests_properties(cli.export_onnx_${name} PROPERTIES FIXTURES_REQUIRED explain_${fixture}
    PASS_REGULAR_EXPRESSION "\\(ONNX opset 17\\)\n.*${expect}")
endforeach()

# A checkpoint of a recipe that has no export: the student of `ember distill` (alpha 0: no teacher).
add_test(NAME cli.export_onnx_setup_distill COMMAND ember_cli distill mnist-cnn --alpha 0 --epochs 1
  --train-limit 256 --no-progress --threads 1 --checkpoint-dir ${onnx_dir}/distill)
set_tests_properties(cli.export_onnx_setup_distill PROPERTIES FIXTURES_SETUP export_onnx_distill)

foreach(case
    "export_onnx_unwritable|export;onnx;/nonexistent/last.safetensors;--out;/nonexistent-ember-dir/m.onnx|cannot write '/nonexistent-ember-dir/m.onnx': the folder '/nonexistent-ember-dir' does not exist"
    "export_onnx_out_is_folder|export;onnx;/nonexistent/last.safetensors;--out;${onnx_dir}|'${onnx_dir}' is a directory"
    "export_onnx_missing_checkpoint|export;onnx;/nonexistent/last.safetensors;--out;${onnx_dir}/m.onnx|'/nonexistent/last.safetensors' does not exist"
    "export_onnx_folder_not_a_model|export;onnx;${onnx_dir};--out;${onnx_dir}/m.onnx|is a folder without config.json"
    "export_onnx_bad_batch|export;onnx;x.safetensors;--out;m.onnx;--batch;0|--batch"
    "export_onnx_no_out|export;onnx;x.safetensors|--out is required"
    "export_onnx_unknown_recipe|export;onnx;${onnx_dir}/distill/last.safetensors;--out;${onnx_dir}/d.onnx|checkpoint of recipe 'distill-mnist-cnn', which cannot be exported")
  ember_cli_failure("${case}")
endforeach()
set_tests_properties(cli.export_onnx_unknown_recipe PROPERTIES FIXTURES_REQUIRED export_onnx_distill)
