// Tests for include/xgrad/io/model_file.hpp: a model card survives the file unchanged, the
// metadata is resolved (no defaults left implicit), and every malformed or hostile value is
// refused with the file, the key and the limit before anything is built from it.
#include <catch2/catch.hpp>
#include <xgrad/io/model_file.hpp>
#include <xgrad/nn/linear.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

using namespace xg;

namespace {

// Classification of "kind" from size and colour, or (regression) of "size" from colour and kind.
io::ModelCard small_card(bool regression = false) {
  const auto table = data::parse_csv(
      "size,color,kind\n1,red,cat\n2,blue,dog\n3,red,cat\n4,green,dog\n", "train.csv");
  const std::vector<std::size_t> rows{0, 1, 2, 3};
  const std::string target = regression ? "size" : "kind";
  io::ModelCard card;
  card.inputs = data::Preprocessor::fit(table, rows, {target}, {data::Impute::Median});
  card.target = data::Target::fit(table, target,
                                  regression ? data::Task::Regression : data::Task::Auto, rows);
  card.network.in = card.inputs.width();  // 4 either way: size + 3 colours, or 3 colours + 2 kinds
  card.network.out = regression ? 1 : 2;
  card.network.hidden = {5};
  card.network.activation = "leaky_relu";
  card.network.init = "kaiming";
  card.provenance["xgrad.train.epochs"] = "7";
  return card;
}

struct TempModel {
  std::string path;
  explicit TempModel(std::string p) : path(std::move(p)) {}
  ~TempModel() { std::remove(path.c_str()); }
};

// Saves the small card's network with `metadata` (possibly tampered with) and reads the card.
io::ModelCard reread(const io::Metadata& metadata, const std::string& path = "t_card.safetensors") {
  const auto card = small_card(metadata.at("xgrad.task") == "regression");
  auto net = io::build_mlp(card.network);
  TempModel f(path);
  io::save(*net, f.path, metadata);
  return io::read_model_card(f.path);
}

std::string error_of(const io::Metadata& metadata) {
  try {
    reread(metadata);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  FAIL("accepted");
  return {};
}

}  // namespace

TEST_CASE("a model card survives the file; the metadata is resolved", "[model_file]") {
  const io::ModelCard card = small_card();
  auto net = io::build_mlp(card.network);
  TempModel f("t_card_ok.safetensors");
  io::save_model(*net, card, f.path);

  const io::Metadata md = io::inspect(f.path).metadata;
  REQUIRE(md.at("xgrad.format") == "mlp");
  REQUIRE(md.at("xgrad.format_version") == "2");
  REQUIRE(md.at("xgrad.in") == "4");
  REQUIRE(md.at("xgrad.hidden") == "5");
  REQUIRE(md.at("xgrad.act_params") == R"({"negative_slope":0.01})");  // the default, written out
  REQUIRE(md.at("xgrad.classes") == R"(["cat","dog"])");
  REQUIRE(md.at("xgrad.target") == "kind");
  REQUIRE(md.at("xgrad.target_type") == "category");
  REQUIRE(md.at("xgrad.train.epochs") == "7");
  // size: mean 2.5, population std sqrt(1.25), median fill 2.5; colours sorted, mode "red".
  REQUIRE(
      md.at("xgrad.inputs") ==
      R"([{"name":"size","type":"number","mean":2.5,"scale":1.118033988749895,"fill":2.5},)"
      R"({"name":"color","type":"category","categories":["blue","green","red"],"fill":"red"}])");

  const io::ModelCard back = io::read_model_card(f.path);
  REQUIRE(back.network.in == 4);
  REQUIRE(back.network.hidden == std::vector<std::size_t>{5});
  REQUIRE(back.network.act_params.at("negative_slope") == 0.01);
  REQUIRE(back.inputs.feature_names() == card.inputs.feature_names());
  REQUIRE(back.inputs.columns()[0].scale == card.inputs.columns()[0].scale);
  REQUIRE(back.target.class_names == card.target.class_names);
  REQUIRE(back.provenance.at("xgrad.train.epochs") == "7");
}

TEST_CASE("model metadata is validated before anything is built from it", "[model_file]") {
  const io::Metadata good = io::to_metadata(small_card());
  REQUIRE(reread(good).network.out == 2);
  const auto with = [&](const std::string& key, const std::string& value) {
    io::Metadata md = good;
    md[key] = value;
    return md;
  };
  using Catch::Contains;
  // Each message names the file, the key and what is allowed.
  REQUIRE_THAT(error_of(with("xgrad.in", "-1")),
               Contains("t_card.safetensors: metadata 'xgrad.in': '-1' is not an integer in [1, "
                        "1000000]"));
  REQUIRE_THAT(error_of(with("xgrad.in", "200000000")), Contains("'200000000' is not an integer"));
  REQUIRE_THAT(error_of(with("xgrad.in", "4.0")), Contains("'xgrad.in': '4.0'"));
  REQUIRE_THAT(error_of(with("xgrad.out", "18446744073709551617")), Contains("'xgrad.out'"));
  REQUIRE_THAT(error_of(with("xgrad.hidden", "4611686018427387904")),
               Contains("'xgrad.hidden': '4611686018427387904' is not an integer"));
  REQUIRE_THAT(error_of(with("xgrad.hidden", "5,,5")), Contains("'xgrad.hidden': '' is not"));
  REQUIRE_THAT(error_of(with("xgrad.hidden", "1000000,1000000")),
               Contains("more than the limit 100000000"));
  io::Metadata regression = io::to_metadata(small_card(/*regression*/ true));
  REQUIRE(reread(regression).target.scale == Approx(1.118033988749895));
  regression["xgrad.target_scale"] = "nan";
  REQUIRE_THAT(error_of(regression), Contains("'xgrad.target_scale': 'nan' is not a finite"));
  regression["xgrad.target_scale"] = "0";
  REQUIRE_THAT(error_of(regression), Contains("scale must be finite and > 0, got 0"));
  REQUIRE_THAT(error_of(with("xgrad.format", "mlp-1")), Contains("older xgrad"));
  REQUIRE_THAT(error_of(with("xgrad.format_version", "3")), Contains("version '3'"));
  REQUIRE_THAT(error_of(with("xgrad.classes", R"(["cat","cat"])")),
               Contains("'xgrad.classes'") && Contains("appears twice"));
  REQUIRE_THAT(error_of(with("xgrad.classes", R"(["cat","dog","eel"])")),
               Contains("'xgrad.out': 2 but the classes needs 3"));
  REQUIRE_THAT(error_of(with("xgrad.activation", "nope")), Contains("unknown activation 'nope'"));
  REQUIRE_THAT(error_of(with("xgrad.act_params", R"({"negative_slope":"x"})")),
               Contains("'negative_slope' is not a finite number"));
  REQUIRE_THAT(error_of(with("xgrad.act_params", R"({"alpha":1})")),
               Contains("'leaky_relu' has no parameter 'alpha'"));
  REQUIRE_THAT(error_of(with("xgrad.init", "auto")), Contains("'auto' is not one of"));
  REQUIRE_THAT(error_of(with("xgrad.inputs", R"([{"name":"size","type":"number","mean":0}])")),
               Contains("input 'size' has no \"scale\" number"));
  REQUIRE_THAT(
      error_of(with("xgrad.inputs", R"([{"name":"a","type":"number","mean":0,"scale":0}])")),
      Contains("'xgrad.inputs'") && Contains("scale must be finite and > 0"));
  REQUIRE_THAT(error_of(with("xgrad.inputs", "[1,2")), Contains("not valid JSON"));
  REQUIRE_THAT(error_of(with("xgrad.act_params", R"({"negative_slope":0.1,"negative_slope":9})")),
               Contains("'xgrad.act_params'") &&
                   Contains("the key \"negative_slope\" appears twice in one object"));
  io::Metadata missing = good;
  missing.erase("xgrad.target");
  REQUIRE_THAT(error_of(missing), Contains("'xgrad.target': missing"));

  SECTION("deep JSON nesting is refused by a scan, without recursion") {
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    REQUIRE_THAT(error_of(with("xgrad.inputs", deep)), Contains("nested deeper than 3 levels"));
  }
  SECTION("the file's tensors must have the shapes the metadata implies (checked before build)") {
    // in = 999999 is within the limits, but the file's first weight is [5, 4]: refused without
    // allocating a [5, 999999] layer.
    REQUIRE_THAT(error_of(with("xgrad.in", "999999")),
                 Contains("'xgrad.in': 999999 but the inputs encode 4 features"));
    REQUIRE_THAT(error_of(with("xgrad.hidden", "6")),
                 Contains("tensor '0.weight' is F32 [5,4]") && Contains("needs F32 [6,4]"));
  }
  SECTION("activation hyper-parameters that size tensors are bounded (apl hinges = 1e12)") {
    io::Metadata md = with("xgrad.activation", "apl");
    md["xgrad.act_params"] = R"({"hinges":1e12})";
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE_THAT(error_of(md), Contains("hinges must be an integer in [1, 1000]"));
    REQUIRE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  }
}

TEST_CASE("input statistics whose standardisation overflows float are refused", "[model_file]") {
  // Column 0 is 'size' (numbers 1..4). A fit on float cells cannot give a mean beyond float's
  // range or a scale below its smallest step; with them, (x - mean) / scale is infinite.
  const auto tampered = [](double mean, double scale) {
    auto card = small_card();
    auto columns = card.inputs.columns();
    columns[0].mean = mean;
    columns[0].scale = scale;
    card.inputs = data::Preprocessor(columns);
    return io::to_metadata(card);
  };
  using Catch::Contains;
  REQUIRE_THAT(error_of(tampered(1e300, 1)),
               Contains("t_card.safetensors: metadata 'xgrad.inputs': input 'size': mean 1e+300 "
                        "is outside the float range"));
  REQUIRE_THAT(error_of(tampered(2.5, 1e-300)),
               Contains("t_card.safetensors: metadata 'xgrad.inputs': input 'size': scale 1e-300 "
                        "is below the smallest positive float"));
  REQUIRE(reread(tampered(-3e38, 1.5e-45)).inputs.columns()[0].mean ==
          -3e38);  // 2^-149 = 1.4e-45 is float's smallest
}

TEST_CASE("build_mlp and save_model check the architecture", "[model_file]") {
  io::MlpSpec spec;
  spec.in = 3, spec.out = 2, spec.hidden = {4};
  auto net = io::build_mlp(spec);
  REQUIRE(net->num_parameters() == io::linear_parameters(spec));  // 4·4 + 2·5 = 26
  REQUIRE(io::linear_parameters(spec) == 26);
  spec.hidden = {0};
  REQUIRE_THROWS_WITH(io::build_mlp(spec), Catch::Contains("hidden width must be in [1, 1000000]"));
  spec.hidden = std::vector<std::size_t>(101, 1);
  REQUIRE_THROWS_WITH(io::validate(spec), Catch::Contains("at most 100 hidden layers"));
  // A card that does not describe the network is not written.
  io::ModelCard card = small_card();
  card.network.hidden = {6};
  auto other = io::build_mlp(small_card().network);
  REQUIRE_THROWS_WITH(io::save_model(*other, card, "t_never.safetensors"),
                      Catch::Contains("needs F32 [6,4]"));
  std::FILE* f = std::fopen("t_never.safetensors", "r");
  REQUIRE(f == nullptr);
}
