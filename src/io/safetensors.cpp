// The safetensors reader and writer (format: https://github.com/huggingface/safetensors).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "io/atomic_file.hpp"
#include "io/safetensors_header.hpp"
#include "io/tensor_file.hpp"
#include "xgrad/io/safetensors.hpp"

namespace xg::io {
namespace {

using json = nlohmann::ordered_json;

bool little_endian_host() {
  const std::uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

// Copies n elements of `size` bytes each, reversing every element's bytes on a big-endian host
// (the file is always little-endian).
void copy_le(unsigned char* dst, const unsigned char* src, std::size_t n, std::size_t size) {
  if (n == 0) return;  // an empty tensor's data() may be null, which memcpy must not get
  if (little_endian_host()) {
    std::memcpy(dst, src, n * size);
    return;
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t b = 0; b < size; ++b) dst[i * size + b] = src[i * size + size - 1 - b];
}

// The file's little-endian bytes, read in place, into host order.
void le_to_host(unsigned char* data, std::size_t n, std::size_t size) {
  if (little_endian_host()) return;
  for (std::size_t i = 0; i < n; ++i) std::reverse(data + i * size, data + (i + 1) * size);
}

template <class T>
constexpr const char* dtype_name() {
  return std::is_same_v<T, float> ? "F32" : "F64";
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(fmt::format("safetensors: '{}': {}", path, what));
}

// An open model file: a regular file (a FIFO would block the reader forever).
class InputFile {
 public:
  explicit InputFile(const std::string& path) : path_(path) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(path, fmt::format("cannot stat: {}", std::strerror(errno)));
    if (!S_ISREG(st.st_mode))
      fail(path, S_ISDIR(st.st_mode) ? "is a directory, not a file"
                                     : "is not a regular file (a FIFO, socket or device)");
    size_ = std::uint64_t(st.st_size);
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  std::uint64_t size() const { return size_; }
  // Exactly n bytes at the current position; a short read means the file shrank meanwhile.
  void read(void* dst, std::size_t n, const char* what) {
    auto* p = static_cast<unsigned char*>(dst);
    while (n > 0) {
      const ssize_t r = ::read(fd_, p, std::min<std::size_t>(n, std::size_t(1) << 30));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0)
        fail(path_, fmt::format("read error in {}: {}", what,
                                r < 0 ? std::strerror(errno) : "unexpected end of file"));
      p += r;
      n -= std::size_t(r);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// The file's header, parsed and checked; `file` is left at the start of the data section.
FileInfo read_header(InputFile& file, const std::string& path) {
  if (file.size() < 8)
    fail(path, fmt::format("file is {} bytes, shorter than the 8-byte header length (truncated or "
                           "not a safetensors file)",
                           file.size()));
  unsigned char len_bytes[8];
  file.read(len_bytes, 8, "the header length");
  std::uint64_t header_len = 0;
  for (int b = 7; b >= 0; --b) header_len = (header_len << 8) | len_bytes[b];
  if (header_len > kMaxHeaderBytes)
    fail(path, fmt::format("header length {} is implausible (over the limit of {} bytes): not a "
                           "safetensors file, or a corrupt one",
                           header_len, kMaxHeaderBytes));
  if (header_len > file.size() - 8)
    fail(path, fmt::format("header length is {} bytes but the file has only {} after the length "
                           "field (truncated)",
                           header_len, file.size() - 8));
  std::string header(header_len, '\0');
  file.read(header.data(), header.size(), "the header");
  return detail::parse_header(header, file.size() - 8 - header_len, path);
}

// The tensor `t` of the header, read from where `file` stands into its own buffer.
template <class T>
BasicTensor<T> read_tensor(InputFile& file, const TensorInfo& t) {
  Array<T> a = Array<T>::from_shape(Shape(t.shape.begin(), t.shape.end()));
  auto* bytes = reinterpret_cast<unsigned char*>(a.data());
  file.read(bytes, a.size() * sizeof(T), "the data section");
  le_to_host(bytes, a.size(), sizeof(T));
  return BasicTensor<T>(std::move(a));
}

}  // namespace

namespace detail {

void write_tensors(const std::vector<OutTensor>& tensors, const std::string& path,
                   const Metadata& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  std::uint64_t offset = 0;
  for (const OutTensor& t : tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      throw std::invalid_argument(fmt::format("save: '{}' is not a valid tensor name", t.name));
    if (!seen.insert(t.name).second)
      throw std::invalid_argument(fmt::format("save: tensor name '{}' appears twice", t.name));
    const std::uint64_t bytes = t.numel * (t.f64 ? 8 : 4);
    header[t.name] = {{"dtype", t.f64 ? "F64" : "F32"},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');  // align the data section to 8 bytes
  if (text.size() > kMaxHeaderBytes)                  // the reader would refuse the file
    throw std::length_error(fmt::format(
        "save: '{}': the header (names, shapes and metadata) would be {} bytes, over the limit "
        "of {} that loading accepts; nothing was written",
        path, text.size(), kMaxHeaderBytes));
  std::vector<unsigned char> out(8 + text.size() + offset);
  std::uint64_t len = text.size();
  for (int b = 0; b < 8; ++b, len >>= 8)
    out[std::size_t(b)] = static_cast<unsigned char>(len & 0xff);
  std::memcpy(out.data() + 8, text.data(), text.size());
  unsigned char* data = out.data() + 8 + text.size();
  for (const OutTensor& t : tensors) {
    const std::size_t size = t.f64 ? 8 : 4;
    copy_le(data, static_cast<const unsigned char*>(t.data), t.numel, size);
    data += t.numel * size;
  }
  write_file_atomically(path, out.data(), out.size(), "safetensors");
}

MixedTensors read_tensors(const std::string& path, Metadata* metadata,
                          const std::function<std::string(const TensorInfo&)>& refusal) {
  InputFile file(path);
  FileInfo info = read_header(file, path);
  for (const auto& t : info.tensors) {  // every check before the first allocation
    const std::string why = refusal(t);
    if (!why.empty()) fail(path, why);
    if (t.dtype != "F32" && t.dtype != "F64")
      fail(path, fmt::format("tensor {} has dtype {}; xgrad reads F32 and F64", quote_name(t.name),
                             t.dtype));
  }
  MixedTensors out;
  for (const auto& t : info.tensors) {  // in offset order: the data section is read in sequence
    if (t.dtype == "F32")
      out.f32.emplace_back(t.name, read_tensor<float>(file, t));
    else
      out.f64.emplace_back(t.name, read_tensor<double>(file, t));
  }
  if (metadata) *metadata = std::move(info.metadata);
  return out;
}

template <class T>
std::string dtype_refusal(const TensorInfo& t) {
  if (t.dtype == dtype_name<T>()) return "";
  return fmt::format(
      "tensor {} has dtype {} but a {} model needs {}{}", quote_name(t.name), t.dtype,
      std::is_same_v<T, float> ? "float" : "double", dtype_name<T>(),
      t.dtype == "F64" || t.dtype == "F32"
          ? fmt::format(" (load it into a {} model)", t.dtype == "F64" ? "double" : "float")
          : std::string());
}
template std::string dtype_refusal<float>(const TensorInfo&);
template std::string dtype_refusal<double>(const TensorInfo&);

}  // namespace detail

template <class T>
void save(const nn::NamedTensors<T>& tensors, const std::string& path, const Metadata& metadata) {
  std::vector<detail::OutTensor> out;
  out.reserve(tensors.size());
  for (const auto& [name, t] : tensors) out.push_back(detail::out_tensor(name, t));
  detail::write_tensors(out, path, metadata);
}

void save(const MixedTensors& tensors, const std::string& path, const Metadata& metadata) {
  std::vector<detail::OutTensor> out;
  out.reserve(tensors.f32.size() + tensors.f64.size());
  for (const auto& [name, t] : tensors.f32) out.push_back(detail::out_tensor(name, t));
  for (const auto& [name, t] : tensors.f64) out.push_back(detail::out_tensor(name, t));
  detail::write_tensors(out, path, metadata);
}

template <class T>
void save(const nn::BasicModule<T>& module, const std::string& path, const Metadata& metadata) {
  save(module.state_dict(), path, metadata);
}

FileInfo inspect(const std::string& path) {
  InputFile file(path);
  return read_header(file, path);
}

template <class T>
nn::NamedTensors<T> load_tensors(const std::string& path, Metadata* metadata) {
  MixedTensors all = detail::read_tensors(path, metadata, detail::dtype_refusal<T>);
  if constexpr (std::is_same_v<T, float>)
    return std::move(all.f32);
  else
    return std::move(all.f64);
}

MixedTensors load_mixed(const std::string& path, Metadata* metadata) {
  return detail::read_tensors(path, metadata, [](const TensorInfo&) { return std::string(); });
}

template <class T>
Metadata load(nn::BasicModule<T>& module, const std::string& path) {
  Metadata metadata;
  const auto tensors = load_tensors<T>(path, &metadata);
  try {
    module.load_state_dict(tensors);  // validates every entry before copying any
  } catch (const std::invalid_argument& e) {
    fail(path, fmt::format("does not fit the model: {}", e.what()));
  }
  return metadata;
}

#define XG_INSTANTIATE_IO(T)                                                           \
  template void save(const nn::NamedTensors<T>&, const std::string&, const Metadata&); \
  template void save(const nn::BasicModule<T>&, const std::string&, const Metadata&);  \
  template nn::NamedTensors<T> load_tensors(const std::string&, Metadata*);            \
  template Metadata load(nn::BasicModule<T>&, const std::string&);
XG_INSTANTIATE_IO(float)
XG_INSTANTIATE_IO(double)
#undef XG_INSTANTIATE_IO

}  // namespace xg::io
