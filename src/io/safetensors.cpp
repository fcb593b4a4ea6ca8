// The safetensors reader and writer (format: https://github.com/huggingface/safetensors).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "xgrad/io/safetensors.hpp"

namespace xg::io {
namespace {

using json = nlohmann::ordered_json;

// safetensors refuses headers above 100 MB; so do we (a corrupt length must not allocate 2^60).
constexpr std::uint64_t kMaxHeader = 100'000'000;

bool little_endian_host() {
  const std::uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

// Copies n elements of `size` bytes each, reversing every element's bytes on a big-endian host
// (the file is always little-endian).
void copy_le(unsigned char* dst, const unsigned char* src, std::size_t n, std::size_t size) {
  if (little_endian_host()) {
    std::memcpy(dst, src, n * size);
    return;
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t b = 0; b < size; ++b) dst[i * size + b] = src[i * size + size - 1 - b];
}

template <class T>
constexpr const char* dtype_name() {
  return std::is_same_v<T, float> ? "F32" : "F64";
}

std::size_t dtype_size(const std::string& dtype) {
  static const std::pair<const char*, std::size_t> sizes[] = {
      {"F64", 8}, {"F32", 4}, {"F16", 2},  {"BF16", 2},    {"I64", 8},
      {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U64", 8},     {"U32", 4},
      {"U16", 2}, {"U8", 1},  {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  for (const auto& [name, size] : sizes)
    if (dtype == name) return size;
  return 0;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(fmt::format("safetensors: '{}': {}", path, what));
}

// The whole file in memory (xgrad models are small), with its header parsed and checked.
struct Parsed {
  FileInfo info;
  std::vector<unsigned char> bytes;
  std::size_t data_start = 0;
};

Parsed parse(const std::string& path, bool keep_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8)
    fail(path, fmt::format("file is {} bytes, shorter than the 8-byte header length (truncated or "
                           "not a safetensors file)",
                           file_size));
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  std::uint64_t header_len = 0;
  for (int b = 7; b >= 0; --b) header_len = (header_len << 8) | len_bytes[b];
  if (header_len > kMaxHeader)
    fail(path, fmt::format("header length {} is implausible (> {} bytes): not a safetensors file",
                           header_len, kMaxHeader));
  if (8 + header_len > file_size)
    fail(path, fmt::format("header length is {} bytes but the file has only {} after the length "
                           "field (truncated)",
                           header_len, file_size - 8));
  std::string header(header_len, '\0');
  in.read(header.data(), std::streamsize(header_len));
  if (header.empty() || header[0] != '{')
    fail(path, "the header does not start with '{': not a safetensors file");

  json j;
  try {
    j = json::parse(header);
  } catch (const json::exception& e) {
    fail(path, fmt::format("the JSON header does not parse: {}", e.what()));
  }
  if (!j.is_object()) fail(path, "the JSON header is not an object");

  Parsed p;
  p.data_start = 8 + header_len;
  const std::uint64_t data_size = file_size - p.data_start;
  for (const auto& [name, entry] : j.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(path, "__metadata__ is not an object");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string())
          fail(path, fmt::format("__metadata__ value of '{}' is not a string", k));
        p.info.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const auto bad = [&](const std::string& what) {
      fail(path, fmt::format("tensor '{}': {}", name, what));
    };
    if (!entry.is_object()) bad("its header entry is not an object");
    TensorInfo t;
    t.name = name;
    if (!entry.contains("dtype") || !entry["dtype"].is_string()) bad("no \"dtype\" string");
    t.dtype = entry["dtype"].get<std::string>();
    const std::size_t esize = dtype_size(t.dtype);
    if (esize == 0) bad(fmt::format("unknown dtype '{}'", t.dtype));
    if (!entry.contains("shape") || !entry["shape"].is_array()) bad("no \"shape\" array");
    std::uint64_t numel = 1;
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned())
        bad(fmt::format("shape {} has a non-integer or negative dimension", entry["shape"].dump()));
      t.shape.push_back(d.get<std::int64_t>());
      numel *= d.get<std::uint64_t>();
    }
    const auto& off = entry.contains("data_offsets") ? entry["data_offsets"] : json();
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      bad("no \"data_offsets\" [begin, end] pair of non-negative integers");
    t.begin = off[0].get<std::uint64_t>();
    t.end = off[1].get<std::uint64_t>();
    if (t.end < t.begin)
      bad(fmt::format("data_offsets [{}, {}] end before they begin", t.begin, t.end));
    if (t.end - t.begin != numel * esize)
      bad(fmt::format("data_offsets [{}, {}] span {} bytes but dtype {} and shape {} need {}",
                      t.begin, t.end, t.end - t.begin, t.dtype, entry["shape"].dump(),
                      numel * esize));
    if (t.end > data_size)
      bad(
          fmt::format("needs bytes [{}, {}) of the data section but the file holds only {} "
                      "(truncated)",
                      t.begin, t.end, data_size));
    p.info.tensors.push_back(std::move(t));
  }
  std::sort(p.info.tensors.begin(), p.info.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.begin < b.begin; });
  std::uint64_t cursor = 0;  // safetensors requires the tensors to tile the data section
  for (const auto& t : p.info.tensors) {
    if (t.begin != cursor)
      fail(path, fmt::format("tensor '{}' starts at byte {} of the data section, expected {} "
                             "(overlapping or gapped offsets: corrupt header)",
                             t.name, t.begin, cursor));
    cursor = t.end;
  }
  if (cursor != data_size)
    fail(path,
         fmt::format("{} bytes of data follow the last tensor (corrupt or not a safetensors file)",
                     data_size - cursor));
  if (keep_bytes) {
    p.bytes.resize(data_size);
    in.read(reinterpret_cast<char*>(p.bytes.data()), std::streamsize(data_size));
    if (!in) fail(path, "read error in the data section");
  }
  return p;
}

// Writes everything to a temporary sibling, fsyncs it, renames it over `path`, fsyncs the
// directory. On failure the temporary file is removed and `path` is untouched.
void write_atomically(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    fail(path, fmt::format("cannot create a temporary file next to it: {}", std::strerror(errno)));
  const auto abort_with = [&](const char* step) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(path, fmt::format("{} failed: {}", step, std::strerror(err)));
  };
  ::fchmod(fd, 0644);  // mkstemp creates 0600; a model file is an ordinary readable file
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      abort_with("write");
    }
    done += std::size_t(w);
  }
  if (::fsync(fd) != 0) abort_with("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, fmt::format("close failed: {}", std::strerror(err)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail(path, fmt::format("rename from '{}' failed: {}", tmp, std::strerror(err)));
  }
  const auto slash = path.find_last_of('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {  // make the rename itself durable; best effort
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace

template <class T>
void save(const nn::NamedTensors<T>& tensors, const std::string& path, const Metadata& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name.empty() || name == "__metadata__")
      throw std::invalid_argument(fmt::format("save: '{}' is not a valid tensor name", name));
    if (!seen.insert(name).second)
      throw std::invalid_argument(fmt::format("save: tensor name '{}' appears twice", name));
    std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
    const std::uint64_t bytes = t.numel() * sizeof(T);
    header[name] = {
        {"dtype", dtype_name<T>()}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');  // align the data section to 8 bytes
  std::vector<unsigned char> out(8 + text.size() + offset);
  std::uint64_t len = text.size();
  for (int b = 0; b < 8; ++b, len >>= 8)
    out[std::size_t(b)] = static_cast<unsigned char>(len & 0xff);
  std::memcpy(out.data() + 8, text.data(), text.size());
  unsigned char* data = out.data() + 8 + text.size();
  for (const auto& [name, t] : tensors) {
    copy_le(data, reinterpret_cast<const unsigned char*>(t.data().data()), t.numel(), sizeof(T));
    data += t.numel() * sizeof(T);
  }
  write_atomically(path, out);
}

template <class T>
void save(const nn::BasicModule<T>& module, const std::string& path, const Metadata& metadata) {
  save(module.state_dict(), path, metadata);
}

FileInfo inspect(const std::string& path) { return parse(path, false).info; }

template <class T>
nn::NamedTensors<T> load_tensors(const std::string& path, Metadata* metadata) {
  Parsed p = parse(path, true);
  nn::NamedTensors<T> out;
  for (const auto& t : p.info.tensors) {
    if (t.dtype != dtype_name<T>())
      fail(path, fmt::format("tensor '{}' has dtype {} but a {} model needs {}{}", t.name, t.dtype,
                             std::is_same_v<T, float> ? "float" : "double", dtype_name<T>(),
                             t.dtype == "F64" || t.dtype == "F32"
                                 ? fmt::format(" (load it into a {} model)",
                                               t.dtype == "F64" ? "double" : "float")
                                 : std::string()));
    Shape shape(t.shape.begin(), t.shape.end());
    Array<T> a = Array<T>::from_shape(shape);
    copy_le(reinterpret_cast<unsigned char*>(a.data()), p.bytes.data() + t.begin, a.size(),
            sizeof(T));
    out.emplace_back(t.name, BasicTensor<T>(std::move(a)));
  }
  if (metadata) *metadata = std::move(p.info.metadata);
  return out;
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
