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

make_tree(down "src/nn/linear.cpp|#include \"ember/ops.h\"" "src/ops/add.cpp|#include \"core/internal.h\""
          "include/ember/nn/module.h|#include \"ember/tensor.h\"")
run_check(${WORK}/down rc text)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "downward includes were rejected:\n${text}")
endif()

make_tree(up "src/core/tensor_core.cpp|#include \"ember/nn/module.h\"")
run_check(${WORK}/up rc text)
if(rc EQUAL 0 OR NOT text MATCHES "src/core/tensor_core.cpp: #include \"ember/nn/module.h\" is the public header of layer 'nn', which layer 'core' may not include")
  message(FATAL_ERROR "an upward include passed, or the message does not name it (exit ${rc}):\n${text}")
endif()

make_tree(private "src/optim/sgd.cpp|#include \"backend/cpu/optimizer_kernels.h\"")
run_check(${WORK}/private rc text)
if(rc EQUAL 0 OR NOT text MATCHES "src/optim/sgd.cpp: #include \"backend/cpu/optimizer_kernels.h\" is a private header of layer 'backend'")
  message(FATAL_ERROR "a reach into backend's private header passed (exit ${rc}):\n${text}")
endif()

make_tree(stray "src/widgets/w.cpp|#include \"ember/tensor.h\"")
run_check(${WORK}/stray rc text)
if(rc EQUAL 0 OR NOT text MATCHES "src/widgets/w.cpp: in no layer")
  message(FATAL_ERROR "a file outside every layer passed (exit ${rc}):\n${text}")
endif()
message(STATUS "the layer check accepts downward includes and rejects upward and private ones")
