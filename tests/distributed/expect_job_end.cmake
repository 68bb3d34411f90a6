# Runs `MPIEXEC -np 2 ... PROGRAM FAULT` (tests/distributed/faults_test.cpp) and passes when
# the job ends as documented: exit status zero or not (EXIT_ZERO), the output (stdout and
# stderr together) matching EXPECT and EXPECT_ALSO (when given; the ranks' lines come in no
# fixed order) and not REJECT (when given), and the end within 10 s of the moment the
# program printed "fault at SECONDS". mpirun's own --timeout stops a job that hangs (the ctest
# TIMEOUT is the last resort), so that no rank is left behind.
#
#   cmake -DMPIEXEC=mpirun "-DMPIEXEC_FLAGS=--allow-run-as-root;--oversubscribe"
#         -DPROGRAM=faults_test -DFAULT=throw -DEXPECT=regex -DEXIT_ZERO=OFF
#         -P expect_job_end.cmake
execute_process(
  COMMAND ${MPIEXEC} -np 2 ${MPIEXEC_FLAGS} --timeout 40 ${PROGRAM} ${FAULT}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
string(TIMESTAMP ended "%s" UTC)
set(problems "")
if(EXIT_ZERO AND NOT status EQUAL 0)
  string(APPEND problems "\n  exit status ${status}, expected 0")
elseif(NOT EXIT_ZERO AND status EQUAL 0)
  string(APPEND problems "\n  exit status 0, expected a failure")
endif()
if(NOT output MATCHES "${EXPECT}")
  string(APPEND problems "\n  the output does not match: ${EXPECT}")
endif()
if(EXPECT_ALSO AND NOT output MATCHES "${EXPECT_ALSO}")
  string(APPEND problems "\n  the output does not match: ${EXPECT_ALSO}")
endif()
if(REJECT AND output MATCHES "${REJECT}")
  string(APPEND problems "\n  the output matches: ${REJECT}")
endif()
if(output MATCHES "fault at ([0-9]+)")
  math(EXPR seconds "${ended} - ${CMAKE_MATCH_1}")
  if(seconds GREATER 10)
    string(APPEND problems "\n  the job ended ${seconds} s after the fault (at most 10)")
  endif()
elseif(NOT EXIT_ZERO)
  string(APPEND problems "\n  the program never printed 'fault at'")
endif()
if(problems)
  message(FATAL_ERROR "distributed fault '${FAULT}':${problems}\n--- output ---\n${output}")
endif()
message(STATUS "distributed fault '${FAULT}': ended as documented (status ${status})")
