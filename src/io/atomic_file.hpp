// Atomic file replacement (internal): what io::save writes through.
#pragma once

#include <cstddef>
#include <string>

namespace xg::io::detail {

// Replaces the file at `path` with `size` bytes so that a crash or kill at any moment leaves
// either the old file or the new one under that name, never a mix:
// - the bytes go to a temporary file in the same directory, which is fsync'ed, renamed over the
//   target, and the directory fsync'ed;
// - a symbolic link (or a chain of them) is followed: the link's final target is replaced and
//   the link stays a link, as `cp` and shell redirection do;
// - the temporary file has one fixed name per target, ".<name>.xgrad-tmp" (".<start of
//   name>.<hash>.xgrad-tmp" when that would pass the file-system's name limit), so a save killed
//   half-way leaves at most that file, and the next save to the same target reuses and renames
//   it away; concurrent saves to one target take turns (an exclusive lock on the temporary);
// - an existing target keeps its permission bits; a new one gets 0644.
// Throws std::runtime_error "{writer}: '{path}': {what failed}: {reason}" (`writer` names the
// caller's format, e.g. "safetensors"); on failure the target is untouched and the temporary
// file removed.
void write_file_atomically(const std::string& path, const void* data, std::size_t size,
                           const char* writer);

// The file a write to `path` lands in: symbolic links followed (at most 40), relative targets
// taken from the link's own directory; the last one may not exist yet.
std::string resolve_symlinks(const std::string& path);

}  // namespace xg::io::detail
