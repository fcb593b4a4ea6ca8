// libFuzzer target: the CSV reader through its public API (xg::data::load_csv). The input's
// first line is the target column's name and its first byte (mod 3) the task; the rest is the
// file. Any input must either load into a consistent data set or be refused with an exception
// that says what is wrong (std::runtime_error or std::logic_error); a crash, a sanitizer report,
// std::bad_alloc, a hang, or a data set with non-finite values or labels outside its classes is
// a finding.
#include <xgrad/data/datasets.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "fuzz_file.hpp"

namespace {

void check(const xg::data::Dataset& d) {
  if (!d.x.defined() || !d.y.defined() || d.x.dim() != 2 || d.x.size(0) != d.y.size(0))
    std::abort();
  for (float v : d.x.to_vector())
    if (!std::isfinite(v)) std::abort();
  for (float v : d.y.to_vector()) {
    if (!std::isfinite(v)) std::abort();
    if (d.is_classification() && !(v >= 0 && v < float(d.classes) && v == std::floor(v)))
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const xgfuzz::TempFile file("csv");
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string::npos) return 0;
  const std::string target = input.substr(0, newline), body = input.substr(newline + 1);
  const auto task = static_cast<xg::data::Task>(target.empty() ? 0 : std::uint8_t(target[0]) % 3);
  file.write(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
  try {
    check(xg::data::load_csv(file.path(), target, task));
  } catch (const std::runtime_error&) {
  } catch (const std::logic_error&) {
  }
  return 0;
}
