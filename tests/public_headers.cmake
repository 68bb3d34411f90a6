# ctest public_headers_reachable: every public header outside a detail/ folder must be
# included, directly or not, by <tapegrad/tapegrad.hpp>. Asks the compiler for the
# umbrella's include closure (-MM) and names each header it lacks.
#   cmake -DCXX=g++ -DINCLUDE_DIRS="a;b" -DHEADERS="tapegrad/x.hpp;..." -P public_headers.cmake
set(flags -std=c++17 -MM)
foreach(dir IN LISTS INCLUDE_DIRS)
  if(dir)  # $<INSTALL_INTERFACE:...> leaves an empty entry; a bare -I would eat the next flag
    list(APPEND flags -I${dir})
  endif()
endforeach()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/umbrella_probe.cpp "#include <tapegrad/tapegrad.hpp>\n")
execute_process(COMMAND ${CXX} ${flags} ${CMAKE_CURRENT_BINARY_DIR}/umbrella_probe.cpp
  OUTPUT_VARIABLE deps ERROR_VARIABLE errors RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "public_headers: the umbrella header does not preprocess:\n${errors}")
endif()
string(REPLACE "\\\n" " " deps "${deps}")
set(missing "")
set(checked 0)
foreach(header IN LISTS HEADERS)
  if(header MATCHES "/detail/")
    continue()
  endif()
  math(EXPR checked "${checked} + 1")
  string(FIND "${deps}" "/${header}" at)
  if(at EQUAL -1)
    list(APPEND missing ${header})
  endif()
endforeach()
if(checked LESS 50)
  message(FATAL_ERROR "public_headers: only ${checked} headers to check; the list is broken")
endif()
if(missing)
  string(REPLACE ";" "\n  " missing "${missing}")
  message(FATAL_ERROR "public_headers: not reachable from <tapegrad/tapegrad.hpp>:\n  ${missing}\n"
                      "include each from its part's umbrella (nn.hpp, optim.hpp, ops.hpp) or tapegrad.hpp")
endif()
message(STATUS "public_headers: all ${checked} public headers are reachable from <tapegrad/tapegrad.hpp>")
