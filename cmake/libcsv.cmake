# The imported target libcsv::libcsv for Debian's libcsv-dev (csv.h and libcsv.so, no CMake or
# pkg-config file). Included by third_party/dependencies.cmake and by the installed
# xgradConfig.cmake (the static xgrad library links libcsv).
include_guard(GLOBAL)
find_path(LIBCSV_INCLUDE_DIR csv.h REQUIRED)
find_library(LIBCSV_LIBRARY csv REQUIRED)
if(NOT TARGET libcsv::libcsv)
  add_library(libcsv::libcsv UNKNOWN IMPORTED)
  set_target_properties(libcsv::libcsv PROPERTIES IMPORTED_LOCATION "${LIBCSV_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${LIBCSV_INCLUDE_DIR}")
endif()
