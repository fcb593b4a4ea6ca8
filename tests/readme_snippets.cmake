# cmake -DREADME=<README.md> -DOUT=<file.cpp> -P readme_snippets.cmake
#
# Writes every ```cpp block of README.md, as it stands, into one C++ file for the readme_snippets
# test to compile and link: a block with `int main(` goes in as the complete program it is; any
# other block is a fragment and becomes the body of a function, after `using namespace xg;` and
# the names of tests/readme_context.hpp. Each block gets its own namespace; #include lines move
# to the top of the file.
cmake_minimum_required(VERSION 3.18)
file(READ "${README}" text)
set(includes "#include <xgrad/xgrad.hpp>\n")
set(blocks "")
set(count 0)
set(open_fence "```cpp\n")
string(LENGTH "${open_fence}" open_length)
while(TRUE)
  string(FIND "${text}" "${open_fence}" start)
  if(start EQUAL -1)
    break()
  endif()
  math(EXPR start "${start} + ${open_length}")
  string(SUBSTRING "${text}" ${start} -1 text)
  string(FIND "${text}" "\n```" stop)
  if(stop EQUAL -1)
    message(FATAL_ERROR "${README}: a ```cpp block is not closed")
  endif()
  string(SUBSTRING "${text}" 0 ${stop} block)
  string(SUBSTRING "${text}" ${stop} -1 text)
  math(EXPR count "${count} + 1")

  string(REGEX MATCHALL "#include [^\n]*" block_includes "${block}")
  foreach(line IN LISTS block_includes)
    string(FIND "${includes}" "${line}\n" seen)
    if(seen EQUAL -1)
      string(APPEND includes "${line}\n")
    endif()
  endforeach()
  string(REGEX REPLACE "#include [^\n]*\n?" "" block "${block}")

  string(FIND "${block}" "int main(" has_main)
  if(has_main EQUAL -1)
    string(APPEND blocks "namespace readme_snippet_${count} {  // a fragment\n"
           "using namespace xg;\nusing namespace readme_context;\n"
           "[[maybe_unused]] void fragment() {\n${block}\n}\n}  // namespace readme_snippet_${count}\n\n")
  else()
    string(APPEND blocks "namespace readme_snippet_${count} {  // a complete program\n"
           "${block}\n}  // namespace readme_snippet_${count}\n\n")
  endif()
endwhile()
if(count EQUAL 0)
  message(FATAL_ERROR "${README}: no ```cpp block found")
endif()
file(WRITE "${OUT}.new"
     "// Generated from README.md by tests/readme_snippets.cmake: its ${count} ```cpp blocks.\n"
     "${includes}#include \"readme_context.hpp\"\n\n${blocks}int main() { return 0; }\n")
# Rewrite only on change, so an unchanged README does not recompile.
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${OUT}.new" "${OUT}")
file(REMOVE "${OUT}.new")
