// The one Catch2 main shared by every test program (compiled once).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#ifdef XGRAD_SANITIZE
// The tests ask for absurd sizes on purpose and expect std::bad_alloc (as a Release build
// gives), not AddressSanitizer's abort on an allocation beyond its maximum.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif
