// The safetensors header reader (internal): parses and validates the whole JSON header before
// the caller allocates anything from it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xgrad/io/safetensors.hpp"

namespace xg::io::detail {

// A name as error messages quote it: names can be megabytes long in a crafted file.
std::string quote_name(const std::string& name);

// The header's tensors and metadata, checked against the format and against a data section of
// `data_size` bytes: every entry has a known dtype, a shape of at most kMaxRank dimensions and
// kMaxElements elements, data_offsets that span exactly elements × dtype size; names and
// metadata keys are unique; the tensors tile the data section with neither gap nor overlap.
// Linear in the header's size; never nests deeper than the format (three levels). Throws
// std::runtime_error "safetensors: '{path}': {what is wrong}". Tensors come in offset order.
FileInfo parse_header(std::string_view header, std::uint64_t data_size, const std::string& path);

}  // namespace xg::io::detail
