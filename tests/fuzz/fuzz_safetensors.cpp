// libFuzzer target: the safetensors reader through its public API (io::inspect, load_tensors).
// Any input must either load or be refused with std::runtime_error naming the file; a crash, a
// sanitizer report, another exception (std::bad_alloc included: sizes are checked up front),
// a hang or a file that loads but does not survive save -> load unchanged is a finding.
#include <xgrad/io/safetensors.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "fuzz_file.hpp"

namespace {

template <class T>
void load_and_round_trip(const std::string& path, const std::string& copy) {
  xg::io::Metadata metadata;
  xg::nn::NamedTensors<T> tensors;
  try {
    tensors = xg::io::load_tensors<T>(path, &metadata);
  } catch (const std::runtime_error&) {
    return;  // refused with a message: the expected outcome for most inputs
  }
  xg::io::save(tensors, copy, metadata);
  xg::io::Metadata metadata_again;
  const auto again = xg::io::load_tensors<T>(copy, &metadata_again);
  if (again.size() != tensors.size() || metadata_again != metadata) std::abort();
  for (std::size_t i = 0; i < again.size(); ++i) {
    const auto &a = again[i].second, &b = tensors[i].second;
    // Bit for bit (NaNs included): the file is the values' exact bytes.
    if (again[i].first != tensors[i].first || a.shape() != b.shape() ||
        (a.numel() > 0 &&
         std::memcmp(a.data().data(), b.data().data(), a.numel() * sizeof(T)) != 0))
      std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const xgfuzz::TempFile input("safetensors"), copy("safetensors-copy");
  input.write(data, size);
  try {
    const xg::io::FileInfo info = xg::io::inspect(input.path());
    std::uint64_t previous_end = 0;  // inspect promises tensors in offset order, tiling the data
    for (const auto& t : info.tensors) {
      if (t.begin != previous_end) std::abort();
      previous_end = t.end;
    }
  } catch (const std::runtime_error&) {
  }
  load_and_round_trip<float>(input.path(), copy.path());
  load_and_round_trip<double>(input.path(), copy.path());
  return 0;
}
