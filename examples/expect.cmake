# Runs one example and checks what it did, for smoke tests that a plain exit status
# cannot express (a bad flag must exit with 2; a file must exist and start a certain way).
#
#   cmake -DPROGRAM=path/to/example -DARGS="--flag value ..." [-DEXPECT_EXIT=2]
#         [-DEXPECT_OUTPUT=regex] [-DEXPECT_FILE=path -DEXPECT_FILE_PREFIX=text]
#         -P expect.cmake
#
# EXPECT_EXIT defaults to 0. EXPECT_OUTPUT is matched against stdout and stderr together.
# ARGS is split like a shell command line (UNIX_COMMAND rules).

if(NOT DEFINED PROGRAM)
  message(FATAL_ERROR "expect.cmake: PROGRAM is not set")
endif()
if(NOT DEFINED EXPECT_EXIT)
  set(EXPECT_EXIT 0)
endif()
separate_arguments(arg_list UNIX_COMMAND "${ARGS}")
if(DEFINED EXPECT_FILE)
  file(REMOVE "${EXPECT_FILE}")  # a file left by an earlier run must not pass the test
endif()

execute_process(COMMAND "${PROGRAM}" ${arg_list}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
message("${out}")
message("${err}")

if(NOT "${status}" STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "expected exit status ${EXPECT_EXIT}, got ${status}")
endif()
if(DEFINED EXPECT_OUTPUT AND NOT "${out}${err}" MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "the output does not match: ${EXPECT_OUTPUT}")
endif()
if(DEFINED EXPECT_FILE)
  if(NOT EXISTS "${EXPECT_FILE}")
    message(FATAL_ERROR "${EXPECT_FILE} was not written")
  endif()
  if(DEFINED EXPECT_FILE_PREFIX)
    string(LENGTH "${EXPECT_FILE_PREFIX}" n)
    file(READ "${EXPECT_FILE}" text)  # (READ with LIMIT gave more than LIMIT bytes in CMake 3.25)
    string(SUBSTRING "${text}" 0 ${n} head)
    if(NOT head STREQUAL EXPECT_FILE_PREFIX)
      message(FATAL_ERROR "${EXPECT_FILE} starts with '${head}', not '${EXPECT_FILE_PREFIX}'")
    endif()
  endif()
endif()
message("ok: exit status ${status} as expected")
