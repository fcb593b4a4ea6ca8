// The safetensors header reader.
//
// Why nlohmann's SAX interface rather than its DOM: the DOM parser accepts anything JSON allows
// and only then would we check it, so a 200 KB header nested 100,000 deep overflows the stack
// (in the recursive destructor and in dump() for error messages), and ordered_json inserts each
// key with a linear search (160,000 metadata keys took 72 s). nlohmann's parser itself is
// iterative; driving it with a handler that knows the format's grammar lets us refuse any value
// the format does not allow at the event where it appears: a fourth nesting level, an unknown
// field, a second key of the same name, the 100,001st entry. Nothing is built but the result,
// so time and memory are linear in the header's size. A reader written from scratch would do
// the same with more code to trust; the library is maintained and already a dependency.
#include "io/safetensors_header.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace xg::io::detail {
namespace {

using json = nlohmann::json;

std::size_t dtype_size(const std::string& dtype) {
  static const std::pair<const char*, std::size_t> sizes[] = {
      {"F64", 8}, {"F32", 4}, {"F16", 2},  {"BF16", 2},    {"I64", 8},
      {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U64", 8},     {"U32", 4},
      {"U16", 2}, {"U8", 1},  {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
  for (const auto& [name, size] : sizes)
    if (dtype == name) return size;
  return 0;
}

// One tensor entry while its fields arrive.
struct Entry {
  TensorInfo info;
  bool has_dtype = false, has_shape = false, has_offsets = false;
  std::size_t offsets_seen = 0;
};

// The grammar as a state machine: where we are decides which event is allowed next.
//   header   = { ("__metadata__": { key: string, ... } | name: entry), ... }
//   entry    = { "dtype": string, "shape": [uint, ...], "data_offsets": [uint, uint] }
class HeaderHandler final : public nlohmann::json_sax<json> {
 public:
  explicit HeaderHandler(std::uint64_t data_size) : data_size_(data_size) {}

  bool null() override { return unexpected("null"); }
  bool boolean(bool) override { return unexpected("a boolean"); }
  bool number_integer(number_integer_t) override { return unexpected("a negative number"); }
  bool number_float(number_float_t, const string_t&) override {
    return unexpected("a non-integer number");
  }
  bool binary(binary_t&) override { return unexpected("binary data"); }

  bool number_unsigned(number_unsigned_t v) override {
    if (at_ == At::Shape) {
      if (entry_.info.shape.size() == kMaxRank)
        return fail_entry(fmt::format("shape has more than {} dimensions", kMaxRank));
      entry_.info.shape.push_back(std::int64_t(std::min<std::uint64_t>(v, INT64_MAX)));
      dims_.push_back(v);
      return true;
    }
    if (at_ == At::Offsets) {
      if (entry_.offsets_seen == 2) return fail_offsets();
      (entry_.offsets_seen++ == 0 ? entry_.info.begin : entry_.info.end) = v;
      return true;
    }
    return unexpected("a number");
  }

  bool string(string_t& v) override {
    if (at_ == At::MetadataValue) {
      info_.metadata[key_] = std::move(v);
      at_ = At::Metadata;
      return true;
    }
    if (at_ == At::Dtype) {
      entry_.info.dtype = std::move(v);
      at_ = At::Entry;
      return true;
    }
    return unexpected("a string");
  }

  bool start_object(std::size_t) override {
    if (at_ == At::Start) {
      at_ = At::Header;
      return true;
    }
    if (at_ == At::HeaderValue) {
      if (key_ == "__metadata__") {
        if (seen_metadata_) return fail("__metadata__ appears twice");
        seen_metadata_ = true;
        at_ = At::Metadata;
      } else {
        entry_ = Entry();
        entry_.info.name = std::move(key_);
        dims_.clear();
        at_ = At::Entry;
      }
      return true;
    }
    return unexpected("an object");
  }

  bool key(string_t& k) override {
    if (at_ == At::Header || at_ == At::Metadata) {
      if (++entries_ > kMaxHeaderEntries)
        return fail(fmt::format("more than {} tensors and metadata keys (the reader's limit)",
                                kMaxHeaderEntries));
      if (at_ == At::Metadata && info_.metadata.count(k))
        return fail(fmt::format("__metadata__ key {} appears twice", quote_name(k)));
      if (at_ == At::Header && k != "__metadata__" && !names_.insert(k).second)
        return fail(fmt::format("tensor {} appears twice", quote_name(k)));
      key_ = std::move(k);
      at_ = at_ == At::Header ? At::HeaderValue : At::MetadataValue;
      return true;
    }
    if (at_ == At::Entry) {
      bool* seen = k == "dtype"          ? &entry_.has_dtype
                   : k == "shape"        ? &entry_.has_shape
                   : k == "data_offsets" ? &entry_.has_offsets
                                         : nullptr;
      if (!seen) return fail_entry(fmt::format("unknown field {}", quote_name(k)));
      if (*seen) return fail_entry(fmt::format("field \"{}\" appears twice", k));
      *seen = true;
      at_ = k == "dtype" ? At::Dtype : k == "shape" ? At::ShapeStart : At::OffsetsStart;
      return true;
    }
    return unexpected("a key");
  }

  bool end_object() override {
    if (at_ == At::Metadata) {
      at_ = At::Header;
      return true;
    }
    if (at_ == At::Entry) {
      if (!finish_entry()) return false;
      at_ = At::Header;
      return true;
    }
    if (at_ == At::Header) {
      at_ = At::End;
      return true;
    }
    return unexpected("the end of an object");
  }

  bool start_array(std::size_t) override {
    if (at_ == At::ShapeStart || at_ == At::OffsetsStart) {
      at_ = at_ == At::ShapeStart ? At::Shape : At::Offsets;
      return true;
    }
    return unexpected("an array");
  }

  bool end_array() override {
    if (at_ == At::Shape) {
      at_ = At::Entry;
      return true;
    }
    if (at_ == At::Offsets) {
      if (entry_.offsets_seen != 2) return fail_offsets();
      at_ = At::Entry;
      return true;
    }
    return unexpected("the end of an array");
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    std::string what = e.what();
    if (what.size() > 200) what = what.substr(0, 200) + "...";  // the token read can be huge
    return fail(fmt::format("the JSON header does not parse: {}", what));
  }

  // The error of the event that stopped the parser (empty if it ran to the end).
  const std::string& error() const { return error_; }
  FileInfo& info() { return info_; }

 private:
  enum class At {
    Start,          // before the header object
    Header,         // in the header object: a key or its end
    HeaderValue,    // after a header key: an object (__metadata__ or a tensor entry)
    Metadata,       // in __metadata__: a key or its end
    MetadataValue,  // after a metadata key: a string
    Entry,          // in a tensor entry: a field name or its end
    Dtype,          // after "dtype": a string
    ShapeStart,     // after "shape": an array
    Shape,          // in the shape: non-negative integers or the end
    OffsetsStart,   // after "data_offsets": an array
    Offsets,        // in data_offsets: two non-negative integers, then the end
    End,            // after the header object
  };

  bool fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
    return false;
  }
  bool fail_entry(const std::string& what) {
    return fail(fmt::format("tensor {}: {}", quote_name(entry_.info.name), what));
  }
  bool fail_offsets() {
    return fail_entry("\"data_offsets\" must be a [begin, end] pair of non-negative integers");
  }

  // What the format does not allow here, said in its terms.
  bool unexpected(const char* found) {
    switch (at_) {
      case At::Start:
        return fail(fmt::format("the header is not a JSON object (found {})", found));
      case At::HeaderValue:
        return key_ == "__metadata__"
                   ? fail(fmt::format("__metadata__ is not an object (found {})", found))
                   : fail(fmt::format("tensor {}: its header entry is not an object (found {})",
                                      quote_name(key_), found));
      case At::MetadataValue:
        return fail(fmt::format("__metadata__ value of {} is not a string (found {})",
                                quote_name(key_), found));
      case At::Dtype:
        return fail_entry(fmt::format("\"dtype\" is not a string (found {})", found));
      case At::ShapeStart:
        return fail_entry(fmt::format("\"shape\" is not an array (found {})", found));
      case At::Shape:
        return fail_entry(
            fmt::format("shape has {} where a dimension (a non-negative integer) belongs", found));
      case At::OffsetsStart:
      case At::Offsets:
        return fail_offsets();
      default:
        return fail(fmt::format("unexpected {} in the header", found));
    }
  }

  // The entry is complete: check it against the format and the data section.
  bool finish_entry() {
    TensorInfo& t = entry_.info;
    if (!entry_.has_dtype) return fail_entry("no \"dtype\"");
    if (!entry_.has_shape) return fail_entry("no \"shape\"");
    if (!entry_.has_offsets) return fail_entry("no \"data_offsets\"");
    const std::size_t esize = dtype_size(t.dtype);
    if (esize == 0) return fail_entry(fmt::format("unknown dtype {}", quote_name(t.dtype)));
    const std::string shape = fmt::format("[{}]", fmt::join(dims_, ","));
    std::uint64_t nonzero = 1;  // as shape_numel: the non-zero dimensions must fit the limit
    bool empty = false;
    for (std::uint64_t d : dims_) {
      empty = empty || d == 0;
      if (d != 0 && (__builtin_mul_overflow(nonzero, d, &nonzero) || nonzero > kMaxElements))
        return fail_entry(
            fmt::format("shape {} has more than {} (2^40) elements, the limit per tensor", shape,
                        kMaxElements));
    }
    const std::uint64_t bytes = (empty ? 0 : nonzero) * esize;  // <= 2^43: no overflow
    if (t.end < t.begin)
      return fail_entry(fmt::format("data_offsets [{}, {}] end before they begin", t.begin, t.end));
    if (t.end - t.begin != bytes)
      return fail_entry(
          fmt::format("data_offsets [{}, {}] span {} bytes but dtype {} and shape {} need {}",
                      t.begin, t.end, t.end - t.begin, t.dtype, shape, bytes));
    if (t.end > data_size_)
      return fail_entry(fmt::format(
          "needs bytes [{}, {}) of the data section but the file holds only {} (truncated)",
          t.begin, t.end, data_size_));
    info_.tensors.push_back(std::move(t));
    return true;
  }

  std::uint64_t data_size_;
  At at_ = At::Start;
  FileInfo info_;
  Entry entry_;
  std::vector<std::uint64_t> dims_;  // the entry's shape as written (info.shape is int64)
  std::string key_;                  // the last header or metadata key
  std::set<std::string> names_;
  std::size_t entries_ = 0;
  bool seen_metadata_ = false;
  std::string error_;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(fmt::format("safetensors: '{}': {}", path, what));
}

}  // namespace

std::string quote_name(const std::string& name) {
  constexpr std::size_t kShown = 60;
  return name.size() <= kShown
             ? "'" + name + "'"
             : fmt::format("'{}...' ({} bytes)", name.substr(0, kShown), name.size());
}

FileInfo parse_header(std::string_view header, std::uint64_t data_size, const std::string& path) {
  if (header.empty() || header[0] != '{')
    fail(path, "the header does not start with '{': not a safetensors file");
  HeaderHandler handler(data_size);
  if (!json::sax_parse(header.begin(), header.end(), &handler))
    fail(path, handler.error().empty() ? "the JSON header does not parse" : handler.error());
  FileInfo info = std::move(handler.info());
  std::sort(info.tensors.begin(), info.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.begin < b.begin; });
  std::uint64_t cursor = 0;  // safetensors requires the tensors to tile the data section
  for (const auto& t : info.tensors) {
    if (t.begin != cursor)
      fail(path, fmt::format("tensor {} starts at byte {} of the data section, expected {} "
                             "(overlapping or gapped offsets: corrupt header)",
                             quote_name(t.name), t.begin, cursor));
    cursor = t.end;
  }
  if (cursor != data_size)
    fail(path,
         fmt::format("{} bytes of data follow the last tensor (corrupt or not a safetensors file)",
                     data_size - cursor));
  return info;
}

}  // namespace xg::io::detail
