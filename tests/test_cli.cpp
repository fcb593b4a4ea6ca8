// End-to-end tests of the `xgrad` command line (tools/xgrad/). The binary is found through the
// environment variable XGRAD_CLI (set by tests/CMakeLists.txt when the CLI is built), else at
// ../tools/xgrad/xgrad relative to the working directory (build/tests). When neither exists the
// tests say so and skip.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace {

std::string cli_path() {
  if (const char* env = std::getenv("XGRAD_CLI"); env && *env) return env;
  return "../tools/xgrad/xgrad";
}

bool have_cli() {
  static const bool ok = [] {
    std::ifstream f(cli_path());
    if (!f)
      WARN("xgrad command line not found at '" << cli_path() << "' (set XGRAD_CLI): skipping");
    return bool(f);
  }();
  return ok;
}

struct Run {
  int code = -1;
  std::string out;  // stdout and stderr together
};

// `env` is prepended to the command ("PATH=/nonexistent"), or empty.
Run run_with_env(const std::string& env, const std::string& args) {
  Run r;
  const std::string cmd = env + " '" + cli_path() + "' " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  INFO("$ xgrad " << args << "\n" << r.out);
  return r;
}

Run run(const std::string& args) { return run_with_env("", args); }

// The number after `label` in `text` (e.g. "test  accuracy  97.50%").
double number_after(const std::string& text, const std::string& label) {
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex(label + R"(\s+([0-9.]+))")));
  return std::stod(m[1]);
}

}  // namespace

TEST_CASE("xgrad list shows datasets, activations and optimizers", "[cli]") {
  if (!have_cli()) return;
  const Run r = run("list");
  INFO(r.out);
  REQUIRE(r.code == 0);
  for (const char* word : {"spiral", "moons", "circles", "xor", "blobs", "triangles", "relu", "sgd",
                           "adam", "adamw", "rmsprop", "adagrad"})
    REQUIRE_THAT(r.out, Catch::Contains(word));
}

TEST_CASE("xgrad train saves a model that xgrad eval reproduces", "[cli]") {
  if (!have_cli()) return;
  std::remove("t_cli.safetensors");
  const Run t =
      run("train --dataset moons --samples 400 --hidden 16,16 --optimizer adam --lr 0.02 "
          "--epochs 60 --batch 64 --seed 3 --save t_cli.safetensors");
  INFO(t.out);
  REQUIRE(t.code == 0);
  REQUIRE_THAT(t.out, Catch::Contains("epoch") && Catch::Contains("ex/s") &&
                          Catch::Contains("parameters") && Catch::Contains("saved"));
  const double train_acc = number_after(t.out, "train accuracy");
  const double test_acc = number_after(t.out, "test  accuracy");
  REQUIRE(train_acc >= 95.0);  // moons with noise 0.1 is nearly separable by a small MLP

  const Run e = run("eval --model t_cli.safetensors");
  INFO(e.out);
  REQUIRE(e.code == 0);
  // The same split and weights: the same numbers, to the printed digit.
  REQUIRE(number_after(e.out, "train  accuracy") == train_acc);
  REQUIRE(number_after(e.out, "test   accuracy") == test_acc);
  REQUIRE_THAT(e.out, Catch::Contains("confusion"));
  std::remove("t_cli.safetensors");
}

TEST_CASE("xgrad train --csv learns a regression and reports bad cells", "[cli]") {
  if (!have_cli()) return;
  {
    std::ofstream f("t_cli_reg.csv");
    f << "u,v,y\n";
    for (int i = 0; i < 200; ++i) {  // y = 2u - v on a grid: an MLP fits it closely
      const double u = (i % 20) / 10.0, v = (i / 20) / 5.0;
      f << u << ',' << v << ',' << 2 * u - v + 0.001 * (i % 7) << '\n';
    }
  }
  const Run r =
      run("train --csv t_cli_reg.csv --target y --hidden 16 --lr 0.02 --epochs 80 --seed 2");
  INFO(r.out);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("regression"));
  REQUIRE(number_after(r.out, "test  rmse") < 0.2);  // targets span [-2, 4]

  std::ofstream("t_cli_bad.csv") << "u,v,y\n1,2,3\n4,x,6\n";
  const Run bad = run("train --csv t_cli_bad.csv --target y");
  REQUIRE(bad.code != 0);
  REQUIRE_THAT(bad.out, Catch::Contains("t_cli_bad.csv:3") && Catch::Contains("column 2 ('v')"));
  std::remove("t_cli_reg.csv");
  std::remove("t_cli_bad.csv");
}

TEST_CASE("xgrad rejects bad flags and values with a message and a non-zero exit", "[cli]") {
  if (!have_cli()) return;
  const std::pair<const char*, const char*> cases[] = {
      {"train --dataset moons --activation no_such_act --epochs 1", "no_such_act"},
      {"train --dataset moons --lr 0 --epochs 1", "--lr must be > 0"},
      {"train --dataset moons --optimizer lbfgs", "lbfgs"},
      {"train --dataset nope --epochs 1", "unknown dataset 'nope'"},
      {"train --dataset moons --hidden 8,x --epochs 1", "'x' is not a positive integer"},
      {"train --dataset moons --no-such-flag", "--no-such-flag"},
      {"eval --model does_not_exist.safetensors", "does_not_exist.safetensors"},
  };
  for (const auto& [args, message] : cases) {
    const Run r = run(args);
    INFO("xgrad " << args << "\n" << r.out);
    REQUIRE(r.code != 0);
    REQUIRE_THAT(r.out, Catch::Contains(message));
  }
}

TEST_CASE("xgrad compare trains one network per activation and tabulates them", "[cli]") {
  if (!have_cli()) return;
  const Run r =
      run("compare --dataset moons --samples 300 --epochs 30 --activations relu,tanh,prelu");
  INFO(r.out);
  REQUIRE(r.code == 0);
  for (const char* row : {"relu ", "tanh ", "prelu "}) REQUIRE_THAT(r.out, Catch::Contains(row));
  REQUIRE_THAT(r.out, Catch::Contains("test accuracy"));
  // prelu adds one alpha per hidden unit: 2 layers of 64 by default -> 128 more parameters.
  REQUIRE_THAT(r.out, Catch::Matches("(.|\n)*relu +4482 (.|\n)*prelu +4610 (.|\n)*"));
  const Run bad = run("compare --dataset moons --epochs 1 --activations relu,nope");
  REQUIRE(bad.code != 0);
  REQUIRE_THAT(bad.out, Catch::Contains("unknown activation 'nope'"));
}

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  return lines;
}

long file_size(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  return f ? long(f.tellg()) : -1;
}

bool have_gnuplot() { return std::system("gnuplot --version > /dev/null 2>&1") == 0; }

}  // namespace

TEST_CASE("xgrad compare --seeds --out writes results, summary and pictures", "[cli]") {
  if (!have_cli()) return;
  std::system("rm -rf t_cli_compare");
  const Run r =
      run("compare --dataset xor --samples 200 --hidden 8 --epochs 4 --seeds 2 --target-loss 0.6 "
          "--activations relu,tanh,identity --out t_cli_compare");
  REQUIRE(r.code == 0);
  // One row per activation with mean ± std over the two seeds, and the extra columns.
  REQUIRE_THAT(r.out, Catch::Contains("epochs to 0.6") && Catch::Contains("ms/epoch") &&
                          Catch::Contains("dead %") && Catch::Contains("grad ratio"));
  REQUIRE_THAT(r.out, Catch::Matches("(.|\n)*\ntanh +[0-9]+ +[0-9.]+ ± [0-9.]+%(.|\n)*"));
  // Progress names the activation and the seed.
  REQUIRE_THAT(r.out, Catch::Contains("identity (3/3) seed 2 (2/2)"));

  const auto results = read_lines("t_cli_compare/results.csv");
  REQUIRE(results.at(0) ==
          "activation,seed,epoch,seconds,train_loss,train_accuracy,test_loss,test_accuracy");
  REQUIRE(results.size() == 1 + 3 * 2 * 4);  // activations x seeds x epochs
  REQUIRE(results[1].rfind("relu,1,1,", 0) == 0);
  REQUIRE(results.back().rfind("identity,2,4,", 0) == 0);
  const auto summary = read_lines("t_cli_compare/summary.csv");
  REQUIRE(summary.size() == 1 + 3 * 2);
  REQUIRE_THAT(summary[0], Catch::Contains("epochs_to_target") &&
                               Catch::Contains("dead_fraction") &&
                               Catch::Contains("grad_ratio_init"));
  // --hidden 8: two weight matrices, at init and at the end, per activation and seed.
  REQUIRE(read_lines("t_cli_compare/gradients.csv").size() == 1 + 3 * 2 * 2 * 2);
  if (have_gnuplot()) {
    for (const char* png : {"loss.png", "quality.png", "gradients.png", "boundaries.png"}) {
      INFO(png);
      REQUIRE(file_size(std::string("t_cli_compare/") + png) > 1000);
    }
  } else {
    WARN("gnuplot not installed: PNG output not checked");
  }
  std::system("rm -rf t_cli_compare");
}

TEST_CASE("xgrad compare without gnuplot still writes the CSV and says how to get pictures",
          "[cli]") {
  if (!have_cli()) return;
  std::system("rm -rf t_cli_nognuplot");
  const Run r =
      run_with_env("PATH=/nonexistent",
                   "compare --dataset moons --samples 100 --hidden 4 --epochs 2 --activations relu "
                   "--out t_cli_nognuplot");
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("gnuplot not found") && Catch::Contains("gnuplot-nox"));
  REQUIRE(read_lines("t_cli_nognuplot/results.csv").size() == 1 + 2);
  REQUIRE(file_size("t_cli_nognuplot/loss.png") == -1);
  std::system("rm -rf t_cli_nognuplot");
}

TEST_CASE("xgrad gradients prints per-layer norms and verdicts", "[cli]") {
  if (!have_cli()) return;
  std::system("rm -rf t_cli_gradients");
  const Run r =
      run("gradients --dataset spiral --samples 60 --depth 8 --width 16 --activation sigmoid,relu "
          "--steps 10 --out t_cli_gradients");
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("9 = output layer"));
  REQUIRE_THAT(r.out, Catch::Matches("(.|\n)*\nsigmoid +xavier +vanishing: (.|\n)*"));
  REQUIRE_THAT(r.out, Catch::Matches("(.|\n)*\nrelu +kaiming +ok: (.|\n)*"));
  // 2 activations x (init, trained) x 9 weight matrices.
  REQUIRE(read_lines("t_cli_gradients/gradients.csv").size() == 1 + 2 * 2 * 9);
  REQUIRE(read_lines("t_cli_gradients/loss.csv").size() == 1 + 10);
  if (have_gnuplot()) {
    REQUIRE(file_size("t_cli_gradients/gradients.png") > 1000);
    REQUIRE(file_size("t_cli_gradients/loss.png") > 1000);
  }
  const Run bad = run("gradients --activation relu --init normal --init-std 0 --steps 1");
  REQUIRE(bad.code != 0);
  REQUIRE_THAT(bad.out, Catch::Contains("--init-std must be > 0"));
  std::system("rm -rf t_cli_gradients");
}
