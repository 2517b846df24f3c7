# Runs EXE with the single argument ARG, or the comma-separated ARGS (if given), and passes only when it exits non-zero and its
# output (stdout + stderr) matches the regular expression EXPECT. CTest's PASS_REGULAR_EXPRESSION
# ignores the exit code, hence this script. Usage:
#   cmake -DEXE=path -DARG=--bogus -DEXPECT=regex -P expect_failure.cmake
if(DEFINED ARGS)  # several arguments, comma-separated
  string(REPLACE "," ";" arg_list "${ARGS}")
  execute_process(COMMAND "${EXE}" ${arg_list} TIMEOUT 120 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
elseif(DEFINED ARG)
  execute_process(COMMAND "${EXE}" "${ARG}" TIMEOUT 120 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
else()
  execute_process(COMMAND "${EXE}" TIMEOUT 120 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
endif()
if(NOT rc MATCHES "^[0-9]+$")  # a signal or a timeout, e.g. "Segmentation fault"
  message(FATAL_ERROR "expected a clean error exit, got '${rc}'. Output:\n${out}${err}")
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a non-zero exit status, got 0. Output:\n${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "exit status ${rc}, but the output does not match '${EXPECT}':\n${out}${err}")
endif()
message(STATUS "exit status ${rc} with the expected message")
