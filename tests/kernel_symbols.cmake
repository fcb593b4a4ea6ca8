# cmake -DNM=<nm> -DISA=<isa> -DOBJECTS=<obj|obj|...> -P kernel_symbols.cmake
#
# Each instruction set's copy of the kernels must define global symbols only in its own
# namespaces (xg::kernels::<isa>, xsimd_<isa>). A global symbol shared between copies (an inline
# function emitted out of line, say) is merged by the linker into one of them, possibly the
# AVX-512 one, which would then run on the SSE2 path of a CPU without AVX-512.
string(REPLACE "|" ";" objects "${OBJECTS}")
execute_process(COMMAND ${NM} -C --defined-only ${objects} OUTPUT_VARIABLE listing
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${objects}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(foreign "")
foreach(line IN LISTS lines)
  # Global symbol types: uppercase (T text, W weak, V weak object, D/B/R data) and u (unique).
  if(line MATCHES "^[0-9a-f]+ [A-Zu] (.*)$")
    set(symbol "${CMAKE_MATCH_1}")
    if(NOT symbol MATCHES "xg::kernels::${ISA}::|xsimd_${ISA}::|^DW\\.ref\\.__gxx_personality_v0$")
      string(APPEND foreign "\n  ${symbol}")
    endif()
  endif()
endforeach()
if(foreign)
  message(FATAL_ERROR "the ${ISA} kernels define symbols outside their namespace:${foreign}")
endif()
message(STATUS "${ISA}: every global symbol is the copy's own")
