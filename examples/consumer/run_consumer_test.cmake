# Builds and runs the consumer project against tapegrad found through find_package.
# Run by ctest (see examples/CMakeLists.txt) as
#   cmake -DVARIANT=install|build_tree -DTAPEGRAD_BUILD_DIR=... -DCONSUMER_SOURCE_DIR=...
#         -DWORK_DIR=... [-DGENERATOR=...] [-DCXX_COMPILER=...] [-DBUILD_TYPE=...]
#         [-DWITH_DISTRIBUTED=ON] -P this-file
#   WITH_DISTRIBUTED: also find the component `distributed` and run consumer_distributed
#   install:    cmake --install the tapegrad build into WORK_DIR/prefix, then configure
#               the consumer with CMAKE_PREFIX_PATH=WORK_DIR/prefix
#   build_tree: configure the consumer with tapegrad_DIR=TAPEGRAD_BUILD_DIR
cmake_minimum_required(VERSION 3.16)

foreach(var VARIANT TAPEGRAD_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer_test.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT BUILD_TYPE)
  set(BUILD_TYPE Release)
endif()

function(run)
  message(STATUS "consumer test: ${ARGV}")
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "consumer test: command failed (${result}): ${ARGV}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(configure_args -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/build"
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
if(GENERATOR)
  list(APPEND configure_args -G "${GENERATOR}")
endif()
if(CXX_COMPILER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(WITH_DISTRIBUTED)
  list(APPEND configure_args -DCONSUMER_DISTRIBUTED=ON)
endif()

if(VARIANT STREQUAL "install")
  run("${CMAKE_COMMAND}" --install "${TAPEGRAD_BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
  # The prefix alone must be enough: no hint that points back at the build tree.
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
elseif(VARIANT STREQUAL "build_tree")
  list(APPEND configure_args "-Dtapegrad_DIR=${TAPEGRAD_BUILD_DIR}")
else()
  message(FATAL_ERROR "run_consumer_test.cmake: VARIANT must be install or build_tree, not '${VARIANT}'")
endif()

run("${CMAKE_COMMAND}" ${configure_args})
# Make sure the package came from where this variant says, not from somewhere else.
file(STRINGS "${WORK_DIR}/build/CMakeCache.txt" found_dir REGEX "^tapegrad_DIR:")
string(REGEX REPLACE "^tapegrad_DIR:[A-Z]+=" "" found_dir "${found_dir}")
if(VARIANT STREQUAL "install")
  set(expected_dir "${WORK_DIR}/prefix")
else()
  set(expected_dir "${TAPEGRAD_BUILD_DIR}")
endif()
file(REAL_PATH "${found_dir}" found_real)
file(REAL_PATH "${expected_dir}" expected_real)
string(FIND "${found_real}" "${expected_real}" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "consumer test: tapegrad was found in '${found_dir}', not under '${expected_dir}'")
endif()
message(STATUS "consumer test: tapegrad_DIR = ${found_dir}")
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
# The program must exit 0 and say that it checked its gradients: a crash after the line
# fails the test, and so does an exit 0 without it.
execute_process(COMMAND "${WORK_DIR}/build/consumer" RESULT_VARIABLE result
  OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "consumer test: the consumer exited with ${result}")
endif()
if(NOT out MATCHES "consumer: gradients match the formulas")
  message(FATAL_ERROR "consumer test: the consumer did not print 'consumer: gradients match the formulas'")
endif()
if(WITH_DISTRIBUTED)
  # One MPI process without mpirun (a singleton); Open MPI refuses root unless told.
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
  run("${WORK_DIR}/build/consumer_distributed")
endif()
