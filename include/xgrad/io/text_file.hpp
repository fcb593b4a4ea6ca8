// Writing a text file (a CSV table, a plot script) atomically.
#pragma once

#include <string>

namespace xg::io {

// Writes `text` to a temporary file next to `path` and renames it over `path`, so readers see
// the old file or the new one, never a part; with io::save's guarantees (symbolic links
// followed, one reusable temporary name per target, permissions of an existing file kept).
// Throws std::runtime_error naming the path and the reason (a missing directory, no permission,
// a full disk).
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace xg::io
