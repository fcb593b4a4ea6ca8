#include "xgrad/io/text_file.hpp"

#include "atomic_file.hpp"

namespace xg::io {

void write_text_atomically(const std::string& path, const std::string& text) {
  detail::write_file_atomically(path, text.data(), text.size(), "cannot write");
}

}  // namespace xg::io
