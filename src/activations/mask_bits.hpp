// The bits an activation with a two-valued derivative saves for its backward (internal header,
// see kernels::activation_has_mask).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "xgrad/core/allocator.hpp"

namespace xg::detail {

// One bit per element (kernels::activation_has_mask), in cached memory that forward writes in
// full: never zero-filled first.
class MaskBits {
 public:
  MaskBits() = default;
  explicit MaskBits(std::size_t elements) : words_((elements + 63) / 64) {
    if (words_) bits_ = static_cast<std::uint64_t*>(detail::cached_allocate(words_, sizeof *bits_));
  }
  MaskBits(MaskBits&& o) noexcept
      : words_(std::exchange(o.words_, 0)), bits_(std::exchange(o.bits_, nullptr)) {}
  MaskBits& operator=(MaskBits&& o) noexcept {
    std::swap(words_, o.words_);
    std::swap(bits_, o.bits_);
    return *this;
  }
  ~MaskBits() { detail::cached_deallocate(bits_, words_ * sizeof *bits_); }
  bool empty() const { return words_ == 0; }
  // The word of element i (a multiple of 64).
  std::uint64_t* at(std::size_t i) const { return bits_ + i / 64; }

 private:
  std::size_t words_ = 0;
  std::uint64_t* bits_ = nullptr;
};

}  // namespace xg::detail
