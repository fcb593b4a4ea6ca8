// XGRAD_ASAN is defined in an AddressSanitizer build (internal): GCC defines
// __SANITIZE_ADDRESS__, Clang answers __has_feature(address_sanitizer).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define XGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XGRAD_ASAN 1
#endif
#endif
