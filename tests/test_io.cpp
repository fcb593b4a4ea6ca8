// Tests for include/xgrad/io.hpp (safetensors). The byte layout is checked against the format
// specification (https://github.com/huggingface/safetensors#format), not against our writer.
#include <catch2/catch.hpp>
#include <xgrad/io/safetensors.hpp>
#include <xgrad/ops/linalg.hpp>
#include <xgrad/ops/pointwise.hpp>
#include <xgrad/ops/reduce.hpp>
#include <xgrad/ops/shape.hpp>

#include <dirent.h>
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
std::size_t temp_files_left(const std::string& prefix) {
  std::size_t n = 0;
  DIR* d = opendir(".");
  while (dirent* e = readdir(d)) n += std::string(e->d_name).rfind(prefix + ".tmp-", 0) == 0;
  closedir(d);
  return n;
}

}  // namespace

TEST_CASE("save -> load gives bit-identical predictions and metadata", "[io]") {
  Net<float> a(1), b(2);
  const Tensor x = Tensor::randn({5, 3}, 9);
  io::save(a, "t_roundtrip.safetensors", {{"hidden", "64,64"}, {"activation", "prelu"}});
  REQUIRE(temp_files_left("t_roundtrip.safetensors") == 0);
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
  REQUIRE(temp_files_left("t_atomic.safetensors") == 0);
  REQUIRE_THROWS_WITH(io::save(a, "no_such_dir/x.safetensors"),
                      Catch::Contains("no_such_dir/x.safetensors"));
  nn::NamedTensors<float> dup{{"a", Tensor::zeros({1})}, {"a", Tensor::zeros({1})}};
  REQUIRE_THROWS_WITH(io::save(dup, "t_dup.safetensors"), Catch::Contains("'a' appears twice"));
  std::remove("t_atomic.safetensors");
}
