// Saving and loading parameters and buffers in the safetensors format
// (https://huggingface.co/docs/safetensors), so PyTorch users can open xgrad models:
//
//   from safetensors.torch import load_file
//   state = load_file("model.safetensors")        # {"0.weight": tensor(...), ...}
//
// File layout: 8 bytes little-endian header length N, N bytes of JSON
//   {"__metadata__": {"key": "value", ...},
//    "0.weight": {"dtype": "F32", "shape": [64, 2], "data_offsets": [0, 512]}, ...}
// (padded with spaces to a multiple of 8), then the raw little-endian values, each tensor at its
// [begin, end) byte range of the data section. float modules write F32, double modules F64.
//
//   xg::io::save(model, "model.safetensors", {{"hidden", "64,64"}});   // atomic
//   auto meta = xg::io::load(model, "model.safetensors");             // checked, all or nothing
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "xgrad/nn/module.hpp"

namespace xg::io {

// safetensors' __metadata__: strings to strings (the format allows nothing else).
using Metadata = std::map<std::string, std::string>;

// The reader's limits; a file beyond them is refused with an error naming the file and the
// limit. The JSON header may have up to 100 MB (safetensors' own limit) and 100,000 tensors and
// metadata keys together; a shape up to 64 dimensions and kMaxElements (2^40) elements. The
// format nests three levels deep (header, entry, shape); anything deeper is refused where it
// opens. Reading is linear in the file's size.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
inline constexpr std::size_t kMaxHeaderEntries = 100'000;
inline constexpr std::size_t kMaxRank = 64;

// Writes `tensors` (names must be unique and non-empty, and not "__metadata__") with
// `metadata`. Atomic: the bytes go to a temporary file in the same directory, which is fsync'ed
// and then renamed over `path`, so a crash leaves either the old file or the new one, never a
// half-written one. The temporary is ".<name>.xgrad-tmp" (shortened with a hash for names near
// the 255-byte limit): a save killed half-way leaves only that, and the next save to the same
// path reuses it. A symbolic link is followed: its target is replaced, the link stays. An
// existing file keeps its permissions. Throws std::runtime_error naming the path on any I/O
// failure (the old file is then untouched), and std::invalid_argument for duplicate or empty
// names.
template <class T>
void save(const nn::NamedTensors<T>& tensors, const std::string& path,
          const Metadata& metadata = {});
// The module's state_dict(): parameters then buffers.
template <class T>
void save(const nn::BasicModule<T>& module, const std::string& path, const Metadata& metadata = {});

// One entry of a file's header.
struct TensorInfo {
  std::string name;
  std::string dtype;  // "F32", "F64", "BF16", ... as written in the file
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;  // byte range in the data section
};
struct FileInfo {
  Metadata metadata;
  std::vector<TensorInfo> tensors;  // in data-offset order
};

// Reads and validates the header only (cheap): the metadata and every tensor's dtype and shape.
// Throws std::runtime_error naming the file and the problem: missing file, not a regular file
// (a FIFO or a directory), shorter than 8 bytes, a header length beyond the file or the limit,
// JSON that does not parse or has a structure, field or value the format does not allow
// (duplicate names or keys, unknown fields, deeper nesting), an entry without a valid
// dtype/shape/data_offsets, offsets that disagree with dtype × shape, data past the end of the
// file (truncated), overlapping or gapped tensors, any limit above exceeded.
FileInfo inspect(const std::string& path);

// Every tensor of the file as T (the file's dtypes must all be T's: F32 for float, F64 for
// double — there is no silent conversion). Same errors as inspect(), plus dtype mismatches.
// The whole header is checked before any tensor is allocated; each tensor is then read
// straight into its own buffer.
template <class T>
nn::NamedTensors<T> load_tensors(const std::string& path, Metadata* metadata = nullptr);

// A file whose tensors mix F32 and F64, each read as its own type: a float model's checkpoint,
// whose step counts are F64 (load_tensors<float> refuses it). Each list in file order.
struct MixedTensors {
  nn::NamedTensors<float> f32;
  nn::NamedTensors<double> f64;
};
// Every tensor of the file: F32 into `f32`, F64 into `f64`; another dtype (BF16, I64, ...) is
// refused, as are the files inspect() refuses.
MixedTensors load_mixed(const std::string& path, Metadata* metadata = nullptr);
// Writes the f32 tensors as F32, then the f64 ones as F64 (names unique across both), as save.
void save(const MixedTensors& tensors, const std::string& path, const Metadata& metadata = {});

// Loads the file into the module's parameters and buffers and returns the metadata. The names,
// shapes and dtypes must match the module's state_dict() exactly (no missing and no extra
// entries). Everything is read and checked before anything is copied: on any error (a
// std::runtime_error naming the file and what is wrong) the module is unchanged.
template <class T>
Metadata load(nn::BasicModule<T>& module, const std::string& path);

}  // namespace xg::io
