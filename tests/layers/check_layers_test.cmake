# The layer check must catch what it exists for: runs cmake/check_layers.cmake on small trees made
# here and expects it to pass on a downward include and to fail, naming the file and the layers,
# on an upward public include and on a reach into another layer's private header.
#   cmake -DSRC=<Ember's source dir> -DWORK=<scratch dir> -P check_layers_test.cmake
function(run_check root out_rc out_text)
  execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${root} -P ${SRC}/cmake/check_layers.cmake
                  RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  set(${out_rc} ${rc} PARENT_SCOPE)
  set(${out_text} "${o}${e}" PARENT_SCOPE)
endfunction()

function(make_tree name)  # ARGN: path|line pairs
  set(root ${WORK}/${name})
  file(REMOVE_RECURSE ${root})
  foreach(entry IN LISTS ARGN)
    string(REGEX MATCH "^([^|]+)\\|(.*)$" _ "${entry}")
    file(WRITE ${root}/${CMAKE_MATCH_1} "${CMAKE_MATCH_2}\n")
  endforeach()
endfunction()

make_tree(down "src/nn/linear.cpp|#include \"ember/ops.h\"" "src/ops/add.cpp|#include \"core/op_helpers.h\""
          "include/ember/nn/module.h|#include \"ember/tensor.h\"")
run_check(${WORK}/down rc text)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "downward includes were rejected:\n${text}")
endif()

# A tree holding one file with one line must fail the check with a message matching `pattern`.
function(expect_rejected name file line pattern)
  make_tree(${name} "${file}|${line}")
  run_check(${WORK}/${name} rc text)
  if(rc EQUAL 0 OR NOT text MATCHES "${pattern}")
    message(FATAL_ERROR "${name}: the check passed, or its message does not match '${pattern}' (exit ${rc}):\n${text}")
  endif()
endfunction()

expect_rejected(up src/core/tensor_core.cpp "#include \"ember/nn/module.h\""
  "src/core/tensor_core.cpp: #include \"ember/nn/module.h\" is the public header of layer 'nn', which layer 'core' may not include")
expect_rejected(private src/optim/sgd.cpp "#include \"backend/cpu/optim.h\""
  "src/optim/sgd.cpp: #include \"backend/cpu/optim.h\" is a private header of layer 'backend'")
expect_rejected(stray src/widgets/w.cpp "#include \"ember/tensor.h\"" "src/widgets/w.cpp: in no layer")
message(STATUS "the layer check accepts downward includes and rejects upward and private ones")
