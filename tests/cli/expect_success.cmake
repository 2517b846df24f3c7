# Runs EXE with the comma-separated ARGS and passes only when it exits 0 and its output (stdout +
# stderr) matches the regular expression EXPECT. Usage:
#   cmake -DEXE=path -DARGS=a,b -DEXPECT=regex -P expect_success.cmake
string(REPLACE "," ";" arg_list "${ARGS}")
execute_process(COMMAND "${EXE}" ${arg_list} TIMEOUT 120 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "expected exit status 0, got '${rc}'. Output:\n${out}${err}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT}")
  message(FATAL_ERROR "exit status 0, but the output does not match '${EXPECT}':\n${out}${err}")
endif()
