// Tests for include/xgrad/io.hpp (safetensors). The byte layout is checked against the format
// specification (https://github.com/huggingface/safetensors#format), not against our writer.
#include <catch2/catch.hpp>
#include <xgrad/io/safetensors.hpp>
#include <xgrad/io/text_file.hpp>
#include <xgrad/ops/linalg.hpp>
#include <xgrad/ops/pointwise.hpp>
#include <xgrad/ops/reduce.hpp>
#include <xgrad/ops/shape.hpp>

#include <dirent.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace xg;

namespace {

// A small model written with the core alone: y = tanh-free affine map plus a buffer, enough to
// exercise parameters, buffers and nested names ("inner.w").
template <class T>
struct Inner : nn::BasicModule<T> {
  BasicTensor<T> w;
  explicit Inner(std::uint64_t seed) {
    w = this->register_parameter("w", BasicTensor<T>::randn({3, 2}, seed));
  }
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return matmul(x, w); }
  std::string describe() const override { return "Inner"; }
};

template <class T>
struct Net : nn::BasicModule<T> {
  std::shared_ptr<Inner<T>> inner;
  BasicTensor<T> bias, running;
  explicit Net(std::uint64_t seed, std::size_t out = 2) {
    inner = this->register_module("inner", std::make_shared<Inner<T>>(seed));
    bias = this->register_parameter("bias", BasicTensor<T>::randn({out}, seed + 100));
    running = this->register_buffer("running", BasicTensor<T>::randn({out}, seed + 200));
  }
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return inner->forward(x) + bias; }
  std::string describe() const override { return "Net"; }
};

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::string& path, const std::vector<unsigned char>& b) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(b.data()), long(b.size()));
}
template <class T>
std::vector<std::vector<T>> snapshot(const nn::BasicModule<T>& m) {
  std::vector<std::vector<T>> out;
  for (const auto& [name, t] : m.state_dict()) out.push_back(t.to_vector());
  return out;
}
// Temporary files left by saves of files named `prefix`... in `dir` (".<name>.xgrad-tmp", or a
// shortened name and a hash).
std::size_t temp_files_left(const std::string& prefix, const std::string& dir = ".") {
  std::size_t n = 0;
  DIR* d = opendir(dir.c_str());
  REQUIRE(d);
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    n += name.rfind("." + prefix, 0) == 0 && name.find(".xgrad-tmp") != std::string::npos;
  }
  closedir(d);
  return n;
}

}  // namespace

TEST_CASE("save -> load gives bit-identical predictions and metadata", "[io]") {
  Net<float> a(1), b(2);
  const Tensor x = Tensor::randn({5, 3}, 9);
  io::save(a, "t_roundtrip.safetensors", {{"hidden", "64,64"}, {"activation", "prelu"}});
  REQUIRE(temp_files_left("t_roundtrip") == 0);
  REQUIRE(a(x).to_vector() != b(x).to_vector());
  const auto meta = io::load(b, "t_roundtrip.safetensors");
  REQUIRE(meta.at("hidden") == "64,64");
  REQUIRE(meta.at("activation") == "prelu");
  REQUIRE(a(x).to_vector() == b(x).to_vector());  // exact equality, bit for bit
  REQUIRE(a.running.to_vector() == b.running.to_vector());
  std::remove("t_roundtrip.safetensors");
}

TEST_CASE("the file follows the safetensors layout", "[io]") {
  nn::NamedTensors<float> tensors{
      {"w", Tensor::from({1.5f, -2.0f, 0.25f, 3.0f, 4.0f, 5.0f}, {2, 3})},
      {"b", Tensor::from({7.0f})}};
  io::save(tensors, "t_layout.safetensors", {{"k", "v"}});
  const auto bytes = read_bytes("t_layout.safetensors");
  REQUIRE(bytes.size() >= 8);
  std::uint64_t n = 0;  // little-endian u64
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[std::size_t(i)];
  REQUIRE((8 + n) % 8 == 0);  // the reference writer pads the header to 8-byte alignment
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + long(n));
  REQUIRE_THAT(header,
               Catch::Contains(R"("w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})"));
  REQUIRE_THAT(header,
               Catch::Contains(R"("b":{"dtype":"F32","shape":[1],"data_offsets":[24,28]})"));
  REQUIRE_THAT(header, Catch::Contains(R"("__metadata__":{"k":"v"})"));
  REQUIRE(bytes.size() == 8 + n + 28);
  // 1.5f is 0x3FC00000: little-endian bytes 00 00 C0 3F at the start of the data section.
  const unsigned char* data = bytes.data() + 8 + n;
  REQUIRE(std::vector<unsigned char>(data, data + 4) ==
          std::vector<unsigned char>{0x00, 0x00, 0xC0, 0x3F});
  // 7.0f is 0x40E00000.
  REQUIRE(std::vector<unsigned char>(data + 24, data + 28) ==
          std::vector<unsigned char>{0x00, 0x00, 0xE0, 0x40});

  const auto info = io::inspect("t_layout.safetensors");
  REQUIRE(info.metadata.at("k") == "v");
  REQUIRE(info.tensors.size() == 2);
  REQUIRE(info.tensors[0].name == "w");
  REQUIRE(info.tensors[0].shape == std::vector<std::int64_t>{2, 3});
  std::remove("t_layout.safetensors");
}

TEST_CASE("a hand-written file (as Python's safetensors writes it) loads", "[io]") {
  // {"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}} then 1.0 and -0.5 as doubles.
  const std::string header = R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}})";
  std::vector<unsigned char> b(8, 0);
  b[0] = static_cast<unsigned char>(header.size());
  b.insert(b.end(), header.begin(), header.end());
  for (double v : {1.0, -0.5}) {
    unsigned char raw[8];
    std::memcpy(raw, &v, 8);  // this test runs on little-endian hosts (x86-64, arm64)
    b.insert(b.end(), raw, raw + 8);
  }
  write_bytes("t_hand.safetensors", b);
  const auto t = io::load_tensors<double>("t_hand.safetensors");
  REQUIRE(t.size() == 1);
  REQUIRE(t[0].first == "a");
  REQUIRE(t[0].second.to_vector() == std::vector<double>{1.0, -0.5});
  REQUIRE_THROWS_WITH(
      io::load_tensors<float>("t_hand.safetensors"),
      Catch::Contains("'a' has dtype F64") && Catch::Contains("load it into a double model"));
  std::remove("t_hand.safetensors");
}

TEST_CASE("double modules save F64 and load back", "[io]") {
  Net<double> a(3), b(4);
  io::save(a, "t_f64.safetensors");
  REQUIRE(io::inspect("t_f64.safetensors").tensors[0].dtype == "F64");
  io::load(b, "t_f64.safetensors");
  REQUIRE(snapshot(a) == snapshot(b));
  Net<float> f(5);
  const auto before = snapshot(f);
  REQUIRE_THROWS_WITH(io::load(f, "t_f64.safetensors"),
                      Catch::Contains("dtype F64") && Catch::Contains("t_f64.safetensors"));
  REQUIRE(snapshot(f) == before);
  std::remove("t_f64.safetensors");
}

TEST_CASE("a truncated or corrupt file gives a clear error and leaves the model unchanged",
          "[io]") {
  Net<float> a(1), b(2);
  io::save(a, "t_good.safetensors");
  const auto good = read_bytes("t_good.safetensors");
  const auto before = snapshot(b);

  SECTION("truncated data section") {
    write_bytes("t_bad.safetensors", {good.begin(), good.end() - 5});
    REQUIRE_THROWS_WITH(io::load(b, "t_bad.safetensors"),
                        Catch::Contains("t_bad.safetensors") && Catch::Contains("truncated"));
  }
  SECTION("truncated inside the header") {
    write_bytes("t_bad.safetensors", {good.begin(), good.begin() + 20});
    REQUIRE_THROWS_WITH(io::load(b, "t_bad.safetensors"), Catch::Contains("truncated"));
  }
  SECTION("shorter than the length field") {
    write_bytes("t_bad.safetensors", {good.begin(), good.begin() + 3});
    REQUIRE_THROWS_WITH(io::load(b, "t_bad.safetensors"),
                        Catch::Contains("shorter than the 8-byte"));
  }
  SECTION("garbage header length") {
    auto bad = good;
    bad[7] = 0x7f;
    write_bytes("t_bad.safetensors", bad);
    REQUIRE_THROWS_WITH(io::load(b, "t_bad.safetensors"), Catch::Contains("implausible"));
  }
  SECTION("JSON that does not parse") {
    auto bad = good;
    *std::find(bad.begin() + 8, bad.end(), ':') = '#';  // {"inner.w"#{...
    write_bytes("t_bad.safetensors", bad);
    REQUIRE_THROWS_WITH(io::load(b, "t_bad.safetensors"), Catch::Contains("does not parse"));
  }
  SECTION("extra bytes after the last tensor") {
    auto bad = good;
    bad.push_back(0);
    write_bytes("t_bad.safetensors", bad);
    REQUIRE_THROWS_WITH(io::load(b, "t_bad.safetensors"),
                        Catch::Contains("follow the last tensor"));
  }
  SECTION("missing file") {
    REQUIRE_THROWS_WITH(io::load(b, "t_none.safetensors"),
                        Catch::Contains("t_none.safetensors") && Catch::Contains("cannot open"));
  }
  REQUIRE(snapshot(b) == before);
  std::remove("t_bad.safetensors");
  std::remove("t_good.safetensors");
}

TEST_CASE("a shape or name mismatch gives a clear error and leaves the model unchanged", "[io]") {
  Net<float> wide(1, 3);  // bias and running are [3]
  io::save(wide, "t_wide.safetensors");
  // Net(…, 2) has inner.w [3,2] too, but bias [2]: shape mismatch on 'bias'... inner.w is [3,2]
  // in both, so the first mismatch is 'bias'.
  Net<float> narrow(2, 2);
  const auto before = snapshot(narrow);
  REQUIRE_THROWS_WITH(io::load(narrow, "t_wide.safetensors"),
                      Catch::Contains("t_wide.safetensors") && Catch::Contains("'bias'") &&
                          Catch::Contains("[3]") && Catch::Contains("[2]"));
  REQUIRE(snapshot(narrow) == before);

  nn::NamedTensors<float> partial{{"inner.w", Tensor::zeros({3, 2})}, {"bias", Tensor::zeros({2})}};
  io::save(partial, "t_partial.safetensors");
  REQUIRE_THROWS_WITH(io::load(narrow, "t_partial.safetensors"),
                      Catch::Contains("missing entry 'running'"));
  REQUIRE(snapshot(narrow) == before);
  std::remove("t_wide.safetensors");
  std::remove("t_partial.safetensors");
}

TEST_CASE("save replaces an existing file atomically and rejects bad names", "[io]") {
  Net<float> a(1), b(2);
  io::save(a, "t_atomic.safetensors");
  io::save(b, "t_atomic.safetensors");  // overwrite
  Net<float> c(3);
  io::load(c, "t_atomic.safetensors");
  REQUIRE(snapshot(c) == snapshot(b));
  REQUIRE(temp_files_left("t_atomic") == 0);
  REQUIRE_THROWS_WITH(io::save(a, "no_such_dir/x.safetensors"),
                      Catch::Contains("no_such_dir/x.safetensors"));
  nn::NamedTensors<float> dup{{"a", Tensor::zeros({1})}, {"a", Tensor::zeros({1})}};
  REQUIRE_THROWS_WITH(io::save(dup, "t_dup.safetensors"), Catch::Contains("'a' appears twice"));
  // A header over the reader's limit (here by its metadata) would give a file that does not
  // load: refused before anything is written, the old file left as it was.
  const io::Metadata huge{{"notes", std::string(io::kMaxHeaderBytes, 'x')}};
  REQUIRE_THROWS_WITH(io::save(a, "t_atomic.safetensors", huge),
                      Catch::Contains("t_atomic.safetensors") &&
                          Catch::Contains("over the limit of 100000000 that loading accepts"));
  io::load(c, "t_atomic.safetensors");
  REQUIRE(snapshot(c) == snapshot(b));
  REQUIRE(temp_files_left("t_atomic") == 0);
  std::remove("t_atomic.safetensors");
}

// ---- crafted files: every header the format does not allow is refused, in linear time ----

namespace {

// A file with this header text and `data` bytes of zeros after it (the header padded to 8).
void write_crafted(const std::string& path, std::string header, std::size_t data = 0) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::vector<unsigned char> b(8);
  std::uint64_t len = header.size();
  for (int i = 0; i < 8; ++i, len >>= 8) b[std::size_t(i)] = static_cast<unsigned char>(len);
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + data, 0);
  write_bytes(path, b);
}

std::string entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

}  // namespace

TEST_CASE("crafted headers: every violation of the format is refused with its reason", "[io]") {
  const std::string f32_2 = entry("a", "F32", "[2]", "[0,8]");
  std::string rank65 = "[1";
  for (int i = 0; i < 64; ++i) rank65 += ",1";
  rank65 += "]";
  struct Case {
    std::string header;
    std::size_t data;
    std::string expected;
  };
  const std::vector<Case> cases{
      {"[1]", 0, "does not start with '{'"},
      {R"({"a":1})", 0, "tensor 'a': its header entry is not an object (found a number)"},
      {R"({"__metadata__":[]})", 0, "__metadata__ is not an object"},
      {R"({"__metadata__":{"k":3}})", 0, "__metadata__ value of 'k' is not a string"},
      {R"({"__metadata__":{"k":"1","k":"2"}})", 0, "__metadata__ key 'k' appears twice"},
      {R"({"__metadata__":{},"__metadata__":{}})", 0, "__metadata__ appears twice"},
      {"{" + f32_2 + "," + f32_2 + "}", 16, "tensor 'a' appears twice"},
      {R"({"a":{"dtype":"F32","dtype":"F32"}})", 0, "field \"dtype\" appears twice"},
      {R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":1}})", 0, "unknown field 'x'"},
      {R"({"a":{"shape":[0],"data_offsets":[0,0]}})", 0, "tensor 'a': no \"dtype\""},
      {R"({"a":{"dtype":"F32","data_offsets":[0,0]}})", 0, "no \"shape\""},
      {R"({"a":{"dtype":"F32","shape":[0]}})", 0, "no \"data_offsets\""},
      {R"({"a":{"dtype":7}})", 0, "\"dtype\" is not a string"},
      {"{" + entry("a", "Q7", "[2]", "[0,8]") + "}", 8, "unknown dtype 'Q7'"},
      {"{" + entry("a", "F32", "[-2]", "[0,8]") + "}", 8, "shape has a negative number"},
      {"{" + entry("a", "F32", "[2.5]", "[0,8]") + "}", 8, "shape has a non-integer number"},
      {"{" + entry("a", "F32", "[1e30]", "[0,8]") + "}", 8, "non-integer number"},
      {"{" + entry("a", "F32", "2", "[0,8]") + "}", 8, "\"shape\" is not an array"},
      {"{" + entry("a", "F32", rank65, "[0,4]") + "}", 4, "more than 64 dimensions"},
      // 2^32 x 2^32 F32 of 0 bytes: elements x dtype size wrapped to 0 when unchecked.
      {"{" + entry("a", "F32", "[4294967296,4294967296]", "[0,0]") + "}", 0,
       "shape [4294967296,4294967296] has more than 1099511627776 (2^40) elements"},
      {"{" + entry("a", "F32", "[2]", "[0]") + "}", 8, "[begin, end] pair"},
      {"{" + entry("a", "F32", "[2]", "[0,8,9]") + "}", 8, "[begin, end] pair"},
      {"{" + entry("a", "F32", "[2]", "[8,0]") + "}", 8, "end before they begin"},
      {"{" + entry("a", "F32", "[2]", "[0,12]") + "}", 12, "span 12 bytes but dtype F32"},
      {"{" + entry("a", "F32", "[2]", "[0,8]") + "}", 4, "truncated"},
      {"{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[1]", "[4,8]") + "}", 8,
       "overlapping or gapped"},
      {"{" + entry("a", "F32", "[1]", "[4,8]") + "}", 8, "starts at byte 4"},
      {"{" + f32_2 + "} x", 8, "does not parse"},
      {"{\"a\":\"\xff\"}", 0, "does not parse"},  // invalid UTF-8
  };
  for (const auto& c : cases) {
    INFO(c.header);
    write_crafted("t_crafted.safetensors", c.header, c.data);
    REQUIRE_THROWS_WITH(io::inspect("t_crafted.safetensors"),
                        Catch::Contains("t_crafted.safetensors") && Catch::Contains(c.expected));
    REQUIRE_THROWS_WITH(io::load_tensors<float>("t_crafted.safetensors"),
                        Catch::Contains(c.expected));
  }
  // What the format allows still loads: a 0-d tensor, an empty one, metadata, padding.
  write_crafted("t_crafted.safetensors",
                R"({"__metadata__":{"k":"v"},)" + entry("s", "F32", "[]", "[0,4]") + "," +
                    entry("e", "F32", "[0,3]", "[4,4]") + "}",
                4);
  io::Metadata meta;
  const auto t = io::load_tensors<float>("t_crafted.safetensors", &meta);
  REQUIRE(t.size() == 2);
  REQUIRE(meta.at("k") == "v");
  std::remove("t_crafted.safetensors");
}

TEST_CASE("crafted headers: deep nesting is refused where it opens, without recursion", "[io]") {
  // 100,000 levels overflowed the stack in the DOM parser and in dump() of the error message.
  const std::size_t depth = 100000;
  const std::string open(depth, '['), close(depth, ']');
  for (const auto& [header, expected] : std::vector<std::pair<std::string, std::string>>{
           {"{\"a\":" + open + close + "}", "tensor 'a': its header entry is not an object"},
           {"{\"__metadata__\":{\"k\":" + open + close + "}}", "value of 'k' is not a string"},
           {R"({"a":{"dtype":"F32","shape":)" + open + close + "}}",
            "shape has an array where a dimension"},
           {R"({"a":{"x":)" + std::string(depth, '{') + "}}", "unknown field 'x'"}}) {
    write_crafted("t_deep.safetensors", header);
    REQUIRE_THROWS_WITH(io::inspect("t_deep.safetensors"), Catch::Contains(expected));
  }
  std::remove("t_deep.safetensors");
}

TEST_CASE("crafted headers: the entry limit holds and parsing many keys is linear", "[io]") {
  // 160,000 metadata keys took 72 s when each insertion searched the keys before it.
  auto metadata_with = [](std::size_t keys) {
    std::string h = "{\"__metadata__\":{";
    for (std::size_t i = 0; i < keys; ++i) h += fmt::format("{}\"k{}\":\"\"", i ? "," : "", i);
    return h + "}}";
  };
  write_crafted("t_keys.safetensors", metadata_with(io::kMaxHeaderEntries - 1));
  REQUIRE(io::inspect("t_keys.safetensors").metadata.size() == io::kMaxHeaderEntries - 1);
  write_crafted("t_keys.safetensors", metadata_with(160000));
  REQUIRE_THROWS_WITH(io::inspect("t_keys.safetensors"),
                      Catch::Contains("more than 100000 tensors and metadata keys"));
  std::remove("t_keys.safetensors");
}

TEST_CASE("crafted headers: a huge name is shortened in the error message", "[io]") {
  const std::string name(1 << 20, 'n');
  write_crafted("t_name.safetensors", "{" + entry(name, "Q7", "[0]", "[0,0]") + "}");
  try {
    io::inspect("t_name.safetensors");
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    REQUIRE(std::string(e.what()).size() < 400);
    REQUIRE_THAT(e.what(), Catch::Contains("(1048576 bytes)") && Catch::Contains("unknown dtype"));
  }
  std::remove("t_name.safetensors");
}

TEST_CASE("a FIFO or a directory is refused at once instead of blocking", "[io]") {
  ::unlink("t_fifo.safetensors");
  REQUIRE(::mkfifo("t_fifo.safetensors", 0600) == 0);
  // With no writer, reading the FIFO would block forever.
  REQUIRE_THROWS_WITH(io::inspect("t_fifo.safetensors"), Catch::Contains("not a regular file"));
  ::unlink("t_fifo.safetensors");
  REQUIRE_THROWS_WITH(io::inspect("."), Catch::Contains("is a directory"));
}

// ---- saves: kill -9, full disk, symbolic links, long names, concurrent writers ----

namespace {

// A model whose file is big enough (32 MB) that a kill lands in the middle of writing it.
nn::NamedTensors<float> big_state(float value) { return {{"w", Tensor::full({8u << 20}, value)}}; }
float first_value(const std::string& path) {
  return io::load_tensors<float>(path).at(0).second.data().data()[0];
}
bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("a save killed with SIGKILL leaves the old file; the next save removes its temporary",
          "[io]") {
  ::mkdir("t_kill", 0755);
  const std::string path = "t_kill/model.safetensors", tmp = "t_kill/.model.safetensors.xgrad-tmp";
  io::save(big_state(1.f), path);
  bool killed_mid_save = false;
  for (int attempt = 0; attempt < 20 && !killed_mid_save; ++attempt) {
    fflush(nullptr);
    const pid_t child = fork();
    if (child == 0) {
      for (;;) io::save(big_state(2.f), path);  // until killed
    }
    // Wait until the child is writing its temporary file, then kill it mid-way.
    for (int i = 0; i < 20000 && !exists(tmp); ++i) ::usleep(50);
    ::usleep(::useconds_t(200 * attempt));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    // Whatever the moment, the final name holds a complete file, old or new.
    const float v = first_value(path);
    REQUIRE((v == 1.f || v == 2.f));
    killed_mid_save = exists(tmp);
  }
  REQUIRE(killed_mid_save);  // a stale temporary file, as a kill -9 leaves it
  io::save(big_state(3.f), path);
  REQUIRE_FALSE(exists(tmp));
  REQUIRE(first_value(path) == 3.f);
  REQUIRE(temp_files_left("model", "t_kill") == 0);
  std::remove(path.c_str());
  ::rmdir("t_kill");
}

TEST_CASE("a save that runs out of space fails naming the file and leaves the old one", "[io]") {
  // A file-size limit makes write() fail part-way, as a full disk does (EFBIG instead of ENOSPC).
  io::save(big_state(1.f), "t_full.safetensors");
  fflush(nullptr);
  const pid_t child = fork();
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{1 << 20, 1 << 20};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      io::save(big_state(2.f), "t_full.safetensors");
      _exit(1);  // no error: wrong
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      _exit(what.find("t_full.safetensors") != std::string::npos &&
                    what.find("write failed") != std::string::npos
                ? 0
                : 2);
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(first_value("t_full.safetensors") == 1.f);  // the old file, whole
  REQUIRE(temp_files_left("t_full") == 0);
  std::remove("t_full.safetensors");
}

TEST_CASE("saving onto a symbolic link replaces the link's target and keeps the link", "[io]") {
  ::mkdir("t_links", 0755);
  ::mkdir("t_links/real", 0755);
  io::save(big_state(1.f), "t_links/real/model.safetensors");
  // A relative link (resolved from the link's own directory) and a link to that link.
  ::unlink("t_links/link.safetensors");
  ::unlink("t_links/link2.safetensors");
  REQUIRE(::symlink("real/model.safetensors", "t_links/link.safetensors") == 0);
  REQUIRE(::symlink("link.safetensors", "t_links/link2.safetensors") == 0);
  io::save(big_state(2.f), "t_links/link2.safetensors");
  struct stat st {};
  REQUIRE(::lstat("t_links/link.safetensors", &st) == 0);
  REQUIRE(S_ISLNK(st.st_mode));
  REQUIRE(::lstat("t_links/link2.safetensors", &st) == 0);
  REQUIRE(S_ISLNK(st.st_mode));
  REQUIRE(first_value("t_links/real/model.safetensors") == 2.f);
  REQUIRE(temp_files_left("model", "t_links/real") == 0);
  // A dangling link: the save creates its target.
  ::unlink("t_links/dangling.safetensors");
  REQUIRE(::symlink("real/new.safetensors", "t_links/dangling.safetensors") == 0);
  io::save(big_state(3.f), "t_links/dangling.safetensors");
  REQUIRE(first_value("t_links/real/new.safetensors") == 3.f);
  // A loop is an error, not a hang.
  ::unlink("t_links/a");
  ::unlink("t_links/b");
  REQUIRE(::symlink("b", "t_links/a") == 0);
  REQUIRE(::symlink("a", "t_links/b") == 0);
  REQUIRE_THROWS_WITH(io::save(big_state(4.f), "t_links/a"),
                      Catch::Contains("t_links/a") && Catch::Contains("levels of symbolic links"));
  for (const char* f : {"t_links/a", "t_links/b", "t_links/dangling.safetensors",
                        "t_links/link.safetensors", "t_links/link2.safetensors",
                        "t_links/real/model.safetensors", "t_links/real/new.safetensors"})
    ::unlink(f);
  ::rmdir("t_links/real");
  ::rmdir("t_links");
}

TEST_CASE("text files (CSV tables, plot scripts) are written with the same guarantees", "[io]") {
  ::mkdir("t_text", 0755);
  ::mkdir("t_text/real", 0755);
  ::unlink("t_text/link.csv");
  REQUIRE(::symlink("real/out.csv", "t_text/link.csv") == 0);
  io::write_text_atomically("t_text/link.csv", "a,b\n1,2\n");
  struct stat st {};
  REQUIRE(::lstat("t_text/link.csv", &st) == 0);
  REQUIRE(S_ISLNK(st.st_mode));  // the link stays; its target holds the text
  std::ifstream in("t_text/real/out.csv");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(text == "a,b\n1,2\n");
  REQUIRE(temp_files_left("out", "t_text/real") == 0);
  REQUIRE_THROWS_WITH(io::write_text_atomically("t_text/missing/x.csv", "x"),
                      Catch::Contains("cannot write: 't_text/missing/x.csv'") &&
                          Catch::Contains("No such file or directory"));
  ::unlink("t_text/link.csv");
  ::unlink("t_text/real/out.csv");
  ::rmdir("t_text/real");
  ::rmdir("t_text");
}

TEST_CASE("file names up to the 255-byte limit save and load", "[io]") {
  ::mkdir("t_long", 0755);
  for (std::size_t length : {200u, 245u, 250u, 255u}) {
    INFO("name of " << length << " bytes");
    const std::string name = std::string(length - 12, 'n') + ".safetensors";
    const std::string path = "t_long/" + name;
    io::save(big_state(float(length)), path);
    REQUIRE(first_value(path) == float(length));
    io::save(big_state(1.f), path);  // replacing it too
    REQUIRE(first_value(path) == 1.f);
    REQUIRE(temp_files_left("n", "t_long") == 0);
    std::remove(path.c_str());
  }
  ::rmdir("t_long");
}

TEST_CASE("saves refuse a directory or a FIFO as the destination; permissions are kept", "[io]") {
  ::mkdir("t_dest_dir", 0755);
  REQUIRE_THROWS_WITH(io::save(big_state(1.f), "t_dest_dir"), Catch::Contains("is a directory"));
  REQUIRE_THROWS_WITH(io::save(big_state(1.f), "t_dest_dir/"), Catch::Contains("directory"));
  ::rmdir("t_dest_dir");
  ::unlink("t_dest_fifo");
  REQUIRE(::mkfifo("t_dest_fifo", 0600) == 0);
  REQUIRE_THROWS_WITH(io::save(big_state(1.f), "t_dest_fifo"),
                      Catch::Contains("not a regular file"));
  ::unlink("t_dest_fifo");
  io::save(big_state(1.f), "t_mode.safetensors");
  ::chmod("t_mode.safetensors", 0600);
  io::save(big_state(2.f), "t_mode.safetensors");
  struct stat st {};
  REQUIRE(::stat("t_mode.safetensors", &st) == 0);
  REQUIRE((st.st_mode & 0777) == 0600);
  std::remove("t_mode.safetensors");
}

TEST_CASE("concurrent saves to one file take turns: the result is always a whole file", "[io]") {
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([w] {
      for (int i = 0; i < 5; ++i)
        io::save(nn::NamedTensors<float>{{"w", Tensor::full({1u << 16}, float(w))}},
                 "t_race.safetensors");
    });
  for (auto& t : writers) t.join();
  const auto t = io::load_tensors<float>("t_race.safetensors");
  const auto v = t.at(0).second.to_vector();
  REQUIRE(std::all_of(v.begin(), v.end(), [&](float x) { return x == v[0]; }));
  REQUIRE(temp_files_left("t_race") == 0);
  std::remove("t_race.safetensors");
}

TEST_CASE("empty and 0-d tensors save and load (found by fuzz_safetensors)", "[io]") {
  // An empty tensor's buffer is a null pointer; the writer passed it to memcpy (undefined
  // behaviour that UBSan reports in the sanitizer build).
  const nn::NamedTensors<float> state{
      {"e", Tensor::zeros({0, 4})}, {"s", Tensor::scalar(7.f)}, {"z", Tensor::zeros({1, 0})}};
  io::save(state, "t_empty.safetensors");
  const auto back = io::load_tensors<float>("t_empty.safetensors");
  REQUIRE(back.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto it = std::find_if(back.begin(), back.end(),
                                 [&](const auto& e) { return e.first == state[i].first; });
    REQUIRE(it != back.end());
    REQUIRE(it->second.shape() == state[i].second.shape());
    REQUIRE(it->second.to_vector() == state[i].second.to_vector());
  }
  std::remove("t_empty.safetensors");
}
