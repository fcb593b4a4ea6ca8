# How xgrad finds its dependencies. All of them are Debian 12 packages (scripts/install-deps.sh
# installs them); nothing is downloaded at configure or build time. Versions tested:
#   xtensor 0.24.3, xtl 0.7.2, xsimd 8.1.0, fmt 9.1.0, Catch2 2.13.10, CLI11 2.1.2,
#   nlohmann-json 3.11.2, libcsv 3.0.3, and OpenBLAS 0.3.21 for the benchmarks only (see
#   third_party/README.md).
include_guard(GLOBAL)

find_package(xtl REQUIRED)
find_package(xtensor 0.24 REQUIRED)
find_package(xsimd 8 REQUIRED)
find_package(fmt 9 REQUIRED)


# libcsv (RFC 4180 CSV parsing, LGPL-2.1+): Debian's libcsv-dev ships a header and a library but
# no CMake or pkg-config file, so an imported target is made here (and again in xgradConfig.cmake
# for users of the installed static library).
include(${CMAKE_CURRENT_LIST_DIR}/../cmake/libcsv.cmake)
