// End-to-end tests of the `xgrad` command line (tools/xgrad/). The binary is found through the
// environment variable XGRAD_CLI (set by tests/CMakeLists.txt when the CLI is built), else at
// ../bin/xgrad relative to the working directory (build/tests). When neither exists the
// tests say so and skip. Every CSV is written by the test itself.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <xgrad/detail/sanitizer.hpp>
#include <xgrad/io/safetensors.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

std::string cli_path() {
  if (const char* env = std::getenv("XGRAD_CLI"); env && *env) return env;
  return "../bin/xgrad";
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

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

struct Run {
  int code = -1;
  std::string out, err;
};

// Runs a whole shell command line (xgrad's path in it already); its stderr is read back.
Run run_shell(const std::string& command) {
  Run r;
  FILE* p = popen((command + " 2> t_cli_stderr.txt").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_file("t_cli_stderr.txt");
  std::remove("t_cli_stderr.txt");
  return r;
}

// Runs xgrad with a time limit (a hang is a failure, not a stuck suite); `env` is prepended to
// the command ("PATH=/nonexistent"), or empty.
Run run_with_env(const std::string& env, const std::string& args) {
  return run_shell(env + " /usr/bin/timeout 120 '" + cli_path() + "' " + args);
}

Run run(const std::string& args) { return run_with_env("", args); }

// The number after `label` in `text` (e.g. "test  accuracy  97.50%").
double number_after(const std::string& text, const std::string& label) {
  std::smatch m;
  INFO("looking for '" << label << "' in:\n" << text);
  REQUIRE(std::regex_search(text, m, std::regex(label + R"(\s+(-?[0-9.]+))")));
  return std::stod(m[1]);
}

// An error is one line on stderr: "xgrad: error: ...\n".
void require_one_line_error(const Run& r, int code, const std::string& message) {
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == code);
  REQUIRE(r.err.rfind("xgrad: error: ", 0) == 0);
  REQUIRE(r.err.find('\n') == r.err.size() - 1);
  REQUIRE_THAT(r.err, Catch::Contains(message));
}

// Matches when the ECMAScript `pattern` occurs somewhere in the text. (Catch::Matches with
// "(.|\n)*" around a pattern recurses once per character in libstdc++'s regex and overflows the
// stack on long outputs under AddressSanitizer.)
struct ContainsRegex : Catch::MatcherBase<std::string> {
  std::string pattern;
  explicit ContainsRegex(std::string p) : pattern(std::move(p)) {}
  bool match(const std::string& text) const override {
    return std::regex_search(text, std::regex(pattern));
  }
  std::string describe() const override { return "contains a match of \"" + pattern + "\""; }
};

struct TempFile {
  std::string path;
  TempFile(std::string p, const std::string& text) : path(std::move(p)) {
    std::ofstream(path, std::ios::binary) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

// Three classes named by strings, a categorical column, a column to ignore: a small "iris".
std::string flowers(bool crlf_bom_semicolon = false) {
  const char sep = crlf_bom_semicolon ? ';' : ',';
  const std::string eol = crlf_bom_semicolon ? "\r\n" : "\n";
  std::string s = crlf_bom_semicolon ? "\xEF\xBB\xBF" : "";
  s += std::string("id") + sep + "length" + sep + "width" + sep + "colour" + sep + "species" + eol;
  const char* names[] = {"setosa", "versicolor", "virginica"};
  for (int i = 0; i < 90; ++i) {
    const int c = i % 3;
    const double length = 1 + 2 * c + 0.1 * (i % 5), width = 0.5 + c + 0.05 * (i % 7);
    const char* colour = c == 0 ? "red" : c == 1 ? "\"blue, dark\"" : "green";
    s += std::to_string(i) + sep + std::to_string(length) + sep + std::to_string(width) + sep +
         colour + sep + names[c] + eol;
  }
  return s;
}

}  // namespace

TEST_CASE("xgrad list shows datasets, activations, optimizers, schedules and initialisers",
          "[cli]") {
  if (!have_cli()) return;
  const Run r = run("list");
  REQUIRE(r.code == 0);
  for (const char* word :
       {"spiral", "moons",  "circles", "xor",     "blobs",   "triangles",     "relu",
        "sgd",    "adam",   "adamw",   "rmsprop", "adagrad", "--lr-schedule", "warmup-cosine",
        "cosine", "StepLR", "kaiming", "xavier",  "lecun",   "--init-std"})
    REQUIRE_THAT(r.out, Catch::Contains(word));
  // The dataset defaults of docs/data_io_cli.md: spiral 300 per class with noise 0.2, xor 400.
  REQUIRE_THAT(r.out, ContainsRegex("\n  spiral +300/class +0.2 "));
  REQUIRE_THAT(r.out, ContainsRegex("\n  xor +400 +0.15 "));
}

TEST_CASE("xgrad --help and every command's --help exit 0 and show the shared option groups",
          "[cli]") {
  if (!have_cli()) return;
  const Run top = run("--help");
  REQUIRE(top.code == 0);
  for (const char* command : {"train", "compare", "gradients", "eval", "predict", "list"})
    REQUIRE_THAT(top.out, Catch::Contains(command));
  for (const char* command : {"train", "compare", "gradients", "eval", "predict", "list"}) {
    INFO(command);
    const Run r = run(std::string(command) + " --help");
    REQUIRE(r.code == 0);
    REQUIRE(r.err.empty());
    REQUIRE_THAT(r.out, !Catch::Contains("{false}") && !Catch::Contains("\n\n\n"));
  }
  // The training options train, compare and gradients share, under the same headings.
  for (const char* command : {"train", "compare", "gradients"}) {
    INFO(command);
    const Run r = run(std::string(command) + " --help");
    for (const char* text : {"Data:", "Optimizer:", "Training:", "--dataset NAME", "--csv FILE",
                             "--lr X", "--batch N", "--seed N", "--max-loss X", "--threads N"})
      REQUIRE_THAT(r.out, Catch::Contains(text));
  }
  for (const char* text : {"--epochs N", "--lr-schedule NAME", "--hidden WIDTHS", "--seeds N",
                           "--target-loss X", "--out DIR"})
    REQUIRE_THAT(run("compare --help").out, Catch::Contains(text));
  for (const char* text : {"--depth N", "--width N", "--steps N", "--init-std X", "--batchnorm",
                           "--residual", "--out DIR"})
    REQUIRE_THAT(run("gradients --help").out, Catch::Contains(text));
}

TEST_CASE("xgrad train saves a model that xgrad eval reproduces", "[cli]") {
  if (!have_cli()) return;
  std::remove("t_cli.safetensors");
  const Run t =
      run("train --dataset moons --samples 400 --hidden 16,16 --optimizer adam --lr 0.02 "
          "--epochs 60 --batch 64 --seed 3 --save t_cli.safetensors");
  INFO(t.out << t.err);
  REQUIRE(t.code == 0);
  REQUIRE_THAT(t.out, Catch::Contains("epoch") && Catch::Contains("ex/s") &&
                          Catch::Contains("parameters") && Catch::Contains("saved"));
  const double train_acc = number_after(t.out, "train accuracy");
  const double test_acc = number_after(t.out, "test  accuracy");
  REQUIRE(train_acc >= 95.0);  // moons with noise 0.1 is nearly separable by a small MLP

  const Run e = run("eval --model t_cli.safetensors");
  INFO(e.out << e.err);
  REQUIRE(e.code == 0);
  // The same split and weights: the same numbers, to the printed digit.
  REQUIRE(number_after(e.out, "train  accuracy") == train_acc);
  REQUIRE(number_after(e.out, "test   accuracy") == test_acc);
  REQUIRE_THAT(e.out, Catch::Contains("confusion") && Catch::Contains("precision"));
  // Stratified (the default): 80 test rows, 40 of each class.
  REQUIRE_THAT(e.out, ContainsRegex("\n0 +[0-9.]+% +[0-9.]+% +[0-9.]+% +40\n"));
  // The metadata is resolved: no "auto", no unresolved defaults.
  const auto md = xg::io::inspect("t_cli.safetensors").metadata;
  REQUIRE(md.at("xgrad.init") == "kaiming");
  REQUIRE(md.at("xgrad.data.samples") == "400");
  REQUIRE(md.at("xgrad.data.noise") == "0.1");
  REQUIRE(md.at("xgrad.classes") == R"(["0","1"])");
  std::remove("t_cli.safetensors");
}

TEST_CASE("xgrad train --csv: regression with RMSE, MAE and R²; bad cells", "[cli]") {
  if (!have_cli()) return;
  std::string text = "u,v,y\n";
  for (int i = 0; i < 200; ++i) {  // y = 2u - v on a grid: an MLP fits it closely
    const double u = (i % 20) / 10.0, v = (i / 20) / 5.0;
    text += std::to_string(u) + "," + std::to_string(v) + "," +
            std::to_string(2 * u - v + 0.001 * (i % 7)) + "\n";
  }
  TempFile reg("t_cli_reg.csv", text);
  const Run r =
      run("train --csv t_cli_reg.csv --target y --hidden 16 --lr 0.02 --epochs 80 --seed 2 "
          "--save t_cli_reg.safetensors");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("regression"));
  REQUIRE(number_after(r.out, "test  rmse") < 0.2);  // targets span [-2, 4]
  REQUIRE(number_after(r.out, "test  rmse [0-9.e-]+  mae") < 0.2);
  REQUIRE(number_after(r.out, "test  rmse [0-9.e-]+  mae [0-9.e-]+  r2") > 0.98);
  const Run e = run("eval --model t_cli_reg.safetensors --csv t_cli_reg.csv");
  INFO(e.out << e.err);
  REQUIRE(e.code == 0);
  REQUIRE(number_after(e.out, "rmse") < 0.2);
  REQUIRE(number_after(e.out, "r2") > 0.98);
  // A table whose target is one constant (not exact in binary): R² is 0 (scikit-learn's
  // r2_score), not the -2e30 a rounded mean and a float32 round trip of the target gave.
  std::string flat = "u,v,y\n";
  for (int i = 0; i < 89; ++i)
    flat += std::to_string(i % 5) + "," + std::to_string(i % 3) + ",151\n";
  TempFile constant("t_cli_flat.csv", flat);
  const Run c = run("eval --model t_cli_reg.safetensors --csv t_cli_flat.csv");
  INFO(c.out << c.err);
  REQUIRE(c.code == 0);
  REQUIRE_THAT(c.out, Catch::Contains("r2 0.0000"));
  // A regression model has no class probabilities: --proba is refused, not ignored.
  require_one_line_error(run("predict --model t_cli_reg.safetensors --csv t_cli_reg.csv --proba"),
                         2,
                         "--proba: 't_cli_reg.safetensors' is a regression model (target 'y'): "
                         "it predicts a number, not classes with probabilities");
  std::remove("t_cli_reg.safetensors");

  TempFile bad("t_cli_bad.csv", "u,v,y\n1,2,3\n4,x,6\n");
  require_one_line_error(run("train --csv t_cli_bad.csv --target y"), 3,
                         "t_cli_bad.csv:3: column 2 ('v'): 'x' is not a number");
}

TEST_CASE("xgrad: every bad flag is a one-line error with exit code 2", "[cli]") {
  if (!have_cli()) return;
  const std::pair<const char*, const char*> cases[] = {
      {"train --dataset moons --epochs 0", "--epochs: '0' is not an integer in [1, 10000000]"},
      {"train --dataset moons --epochs 99999999999999999999999", "--epochs: '9999"},
      {"train --dataset moons --batch 18446744073709551615", "--batch: '18446744073709551615'"},
      {"train --dataset moons --batch 0", "--batch: '0'"},
      {"train --dataset moons --seed -1", "--seed: '-1' is not an integer in [0, "},
      {"train --dataset moons --data-seed 1.5", "--data-seed: '1.5'"},
      {"train --dataset moons --noise nan", "--noise: 'nan' is not a number in [0, 1000]"},
      {"train --dataset moons --noise -1", "--noise: '-1'"},
      {"train --dataset moons --samples 0", "--samples: '0'"},
      {"train --dataset moons --samples 4000000000", "--samples: '4000000000'"},
      {"train --dataset spiral --samples 5000000 --classes 3", "15000000 samples in all"},
      {"train --dataset xor --samples 2", "--samples: 2 is too few for xor (at least 4)"},
      {"train --dataset spiral --classes 0", "--classes: '0' is not an integer in [2, 1000]"},
      {"train --dataset spiral --classes 10000000", "--classes: '10000000'"},
      {"train --dataset moons --classes 3", "--classes applies to --dataset spiral and blobs"},
      {"train --dataset spiral --factor 0.3", "--factor applies to --dataset circles only"},
      {"train --dataset circles --factor 1", "--factor: '1' is not a number in (0, 1)"},
      {"train --dataset moons --hidden 1e9", "--hidden: '1e9' is not an integer in [1, 1000000]"},
      {"train --dataset moons --hidden 8,x", "--hidden: 'x' is not an integer"},
      {"train --dataset moons --hidden 100000,100000", "more than the limit 100000000"},
      {"train --dataset moons --activation apl --act-param hinges=1e12",
       "hinges must be an integer in [1, 1000]"},
      {"train --dataset moons --act-param alpha=nan --activation elu",
       "--act-param alpha: 'nan' is not a finite number"},
      {"train --dataset moons --activation no_such_act --epochs 1", "no_such_act"},
      // The activation and its parameters are checked before the table is read.
      {"train --csv nope.csv --target y --activation no_such_act", "no_such_act"},
      {"train --csv nope.csv --target y --activation elu --act-param beta=1",
       "activation 'elu' has no parameter 'beta'"},
      {"train --dataset moons --lr 0", "--lr: '0' is not a finite number > 0"},
      {"train --dataset moons --lr inf", "--lr: 'inf'"},
      {"train --dataset moons --momentum 2", "--momentum: '2' is not a number in [0, 1]"},
      {"train --dataset moons --test-fraction 1", "--test-fraction: '1' is not a number in [0, 1)"},
      {"train --dataset moons --test-fraction 0.6 --val-fraction 0.4", "must be below 1"},
      {"train --dataset moons --patience 3", "--patience needs --val-fraction"},
      {"train --dataset moons --threads 0", "--threads: '0' is not an integer in [1, 1024]"},
      {"train --dataset moons --max-loss -1", "--max-loss: '-1'"},
      {"train --dataset moons --optimizer lbfgs", "lbfgs"},
      {"train --dataset nope --epochs 1", "unknown dataset 'nope'"},
      {"train --dataset moons --impute mean", "apply to --csv only"},
      {"train --dataset moons --no-such-flag", "--no-such-flag"},
      {"train --csv x.csv", "--csv needs --target"},
      {"train --dataset moons --csv x.csv --target y", "excludes"},
      {"predict --model m.safetensors", "--csv is required"},
      {"eval --model m.safetensors --delimiter x", "--delimiter: 'x' is not one of"},
  };
  for (const auto& [args, message] : cases) {
    INFO("xgrad " << args);
    require_one_line_error(run(args), 2, message);
  }
}

TEST_CASE("xgrad: file errors exit 3 or 4, checked before any work", "[cli]") {
  if (!have_cli()) return;
  require_one_line_error(run("eval --model does_not_exist.safetensors"), 3,
                         "--model: cannot open 'does_not_exist.safetensors'");
  require_one_line_error(run("train --csv nope.csv --target y"), 3, "cannot open 'nope.csv'");
  // A FIFO as --csv is refused at once instead of waiting for a writer.
  std::remove("t_cli_fifo.csv");
  REQUIRE(::mkfifo("t_cli_fifo.csv", 0600) == 0);
  require_one_line_error(run("train --csv t_cli_fifo.csv --target y"), 3,
                         "'t_cli_fifo.csv' is not a regular file (a FIFO)");
  std::remove("t_cli_fifo.csv");
  // The save destination is checked before training: nothing is trained for nothing.
  const Run nodir = run("train --dataset moons --save no_such_dir/m.safetensors");
  require_one_line_error(nodir, 4, "--save: cannot write 'no_such_dir/m.safetensors'");
  REQUIRE_THAT(nodir.out, !Catch::Contains("epoch"));
  require_one_line_error(run("train --dataset moons --save ."), 4, "--save: '.' is a directory");
}

TEST_CASE("xgrad train stops on a non-finite or diverging loss and saves nothing", "[cli]") {
  if (!have_cli()) return;
  const std::string model = "t_cli_nonfinite.safetensors";
  std::remove(model.c_str());
  // SGD with lr 1e20: the loss of the second step is NaN.
  const Run nan = run("train --dataset moons --optimizer sgd --lr 1e20 --epochs 1 --save " + model);
  // NaN has no sign to show (fmt prints the NaN of inf - inf as "-nan").
  require_one_line_error(nan, 5, "the loss became nan at epoch 1, step 2: lower --lr (now 1e+20)");
  REQUIRE_THAT(nan.err, Catch::Contains("nothing was saved"));
  REQUIRE_FALSE(exists(model));
  // One step in all (the batch holds every row): only the final weights are non-finite.
  const Run last =
      run("train --dataset moons --optimizer sgd --lr 1e30 --epochs 1 --batch 10000000 --save " +
          model);
  require_one_line_error(last, 5, "the loss of the final weights on the training rows is");
  REQUIRE_THAT(last.err, Catch::Contains("training rows is nan: lower --lr (now 1e+30)"));
  REQUIRE_FALSE(exists(model));
  // Adam with lr 1e6 explodes: stopped by the divergence guard.
  const Run diverged = run("train --dataset moons --lr 1e6 --epochs 50 --save " + model);
  require_one_line_error(diverged, 5, "training diverged");
  REQUIRE_FALSE(exists(model));
}

TEST_CASE("xgrad train --csv: BOM, CRLF, ';', quoted fields, string labels, categories", "[cli]") {
  if (!have_cli()) return;
  TempFile f("t_cli_flowers.csv", flowers(/*crlf_bom_semicolon*/ true));
  const Run r =
      run("train --csv t_cli_flowers.csv --target species --ignore id --hidden 16 --epochs 60 "
          "--save t_cli_flowers.safetensors");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  // length, width, colour (3 categories) -> 5 inputs; batch min(128, ceil(72 / 4)) = 18.
  REQUIRE_THAT(r.out, Catch::Contains("(90 samples, 3 columns -> 5 inputs, 3 classes)") &&
                          Catch::Contains("batch 18"));
  REQUIRE(number_after(r.out, "test  accuracy") == 100.0);  // the classes are well apart
  const auto md = xg::io::inspect("t_cli_flowers.safetensors").metadata;
  REQUIRE(md.at("xgrad.classes") == R"(["setosa","versicolor","virginica"])");
  REQUIRE_THAT(md.at("xgrad.inputs"),
               Catch::Contains(R"("name":"length")") &&  // no BOM in the first name
                   Catch::Contains(R"("categories":["blue, dark","green","red"])"));
  std::remove("t_cli_flowers.safetensors");
  // A misspelt --ignore would leave the column it meant among the features: refused.
  require_one_line_error(
      run("train --csv t_cli_flowers.csv --target species --ignore ID --epochs 1"), 2,
      "--ignore: 't_cli_flowers.csv' has no column named 'ID'");
}

TEST_CASE("xgrad predict: columns by name, reordered columns give the same predictions", "[cli]") {
  if (!have_cli()) return;
  TempFile f("t_cli_p.csv", flowers());
  const std::string model = "t_cli_p.safetensors";
  REQUIRE(
      run("train --csv t_cli_p.csv --target species --ignore id --hidden 16 --epochs 60 --save " +
          model)
          .code == 0);
  // The same rows with the columns reversed, no target, an extra column.
  std::istringstream in(flowers());
  std::string line, reordered = "note,colour,width,length\n";
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted)
        cells.push_back(cell), cell.clear();
      else
        cell += c;
    }
    cells.push_back(cell);
    reordered += "n," + cells[3] + "," + cells[2] + "," + cells[1] + "\n";
  }
  TempFile g("t_cli_p2.csv", reordered);
  const Run a = run("predict --model " + model + " --csv t_cli_p.csv --proba");
  const Run b = run("predict --model " + model + " --csv t_cli_p2.csv --proba");
  INFO(a.out << a.err << b.err);
  REQUIRE(a.code == 0);
  REQUIRE(b.code == 0);
  REQUIRE(a.out == b.out);
  REQUIRE(a.out.rfind("species,prob_setosa,prob_versicolor,prob_virginica\nsetosa,", 0) == 0);
  REQUIRE_THAT(b.err, Catch::Contains("columns not used by the model: note"));
  REQUIRE_THAT(a.err, Catch::Contains("columns not used by the model: id"));
  // --out writes the same CSV atomically.
  const Run o = run("predict --model " + model + " --csv t_cli_p2.csv --proba --out t_cli_p.out");
  REQUIRE(o.code == 0);
  REQUIRE(read_file("t_cli_p.out") == a.out);
  std::remove("t_cli_p.out");

  TempFile missing("t_cli_p3.csv", "colour,width\nred,1\n");
  require_one_line_error(run("predict --model " + model + " --csv t_cli_p3.csv"), 3,
                         "t_cli_p3.csv: no column named 'length'");
  TempFile unseen("t_cli_p4.csv", "length,width,colour\n1,0.5,red\n1,0.5,purple\n");
  require_one_line_error(run("predict --model " + model + " --csv t_cli_p4.csv"), 3,
                         "t_cli_p4.csv:3: column 3 ('colour'): 'purple' is not a category");
  REQUIRE(run("predict --model " + model + " --csv t_cli_p4.csv --unknown ignore").code == 0);
  // 'red' behind a U+FEFF (a BOM in mid-file, from two files pasted together) is another value:
  // the message shows it, where the invisible character made it look like 'red'.
  TempFile feff("t_cli_p5.csv", "length,width,colour\n1,0.5,red\n1,0.5,\xEF\xBB\xBFred\n");
  require_one_line_error(run("predict --model " + model + " --csv t_cli_p5.csv"), 3,
                         "t_cli_p5.csv:3: column 3 ('colour'): '\\ufeffred' is not a category");
  std::remove(model.c_str());
}

TEST_CASE("xgrad eval --csv: the saved class mapping, one-class files, unseen classes", "[cli]") {
  if (!have_cli()) return;
  TempFile f("t_cli_e.csv", flowers());
  const std::string model = "t_cli_e.safetensors";
  REQUIRE(
      run("train --csv t_cli_e.csv --target species --ignore id --hidden 16 --epochs 60 --save " +
          model)
          .code == 0);
  // Only classes setosa and virginica: the mapping is the model's, not rebuilt from the file.
  std::istringstream in(flowers());
  std::string line, subset, one;
  std::getline(in, line);
  subset = one = line + "\n";
  while (std::getline(in, line)) {
    if (line.find("versicolor") == std::string::npos) subset += line + "\n";
    if (line.find("setosa") != std::string::npos) one += line + "\n";
  }
  TempFile s("t_cli_e2.csv", subset), o("t_cli_e3.csv", one);
  const Run r = run("eval --model " + model + " --csv t_cli_e2.csv");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(number_after(r.out, "accuracy") == 100.0);
  REQUIRE_THAT(r.out, Catch::Contains("virginica") && Catch::Contains("precision") &&
                          Catch::Contains("true\\pred"));
  const Run single = run("eval --model " + model + " --csv t_cli_e3.csv");
  INFO(single.out << single.err);
  REQUIRE(single.code == 0);
  REQUIRE(number_after(single.out, "accuracy") == 100.0);
  TempFile u("t_cli_e4.csv", "length,width,colour,species\n1,0.5,red,setosa\n1,0.5,red,daisy\n");
  require_one_line_error(run("eval --model " + model + " --csv t_cli_e4.csv"), 3,
                         "t_cli_e4.csv:3: column 4 ('species'): class 'daisy' is not one");
  std::remove(model.c_str());
}

TEST_CASE("xgrad train --csv: CSV problems are one-line errors naming the cell", "[cli]") {
  if (!have_cli()) return;
  const std::pair<std::string, std::string> cases[] = {
      {"x,y\n1,0\n1e39,1\n", ":3: column 1 ('x'): '1e39' is outside the float range"},
      {"x,y\n1,0\n0x1F,1\n", ":3: column 1 ('x'): '0x1F' is not a number"},
      {"x,x,y\n1,2,0\n", ":1: columns 1 and 2 are both named 'x'"},
      {"x,y\n1,3\n2,3\n", ": the target 'y' has the same value (3) in every row"},
      {"x,y\n1,a\n2,a\n", ": classification needs at least 2 classes, but 'y' holds only 'a'"},
      {"x,y\n1,0\n,1\n2,1\n", ":3: column 1 ('x'): missing value"},
      {"x,y\n1,0\n2,\"1\n", ":3: a quoted field is not closed"},
  };
  for (const auto& [text, message] : cases) {
    TempFile f("t_cli_c.csv", text);
    INFO(text);
    require_one_line_error(run("train --csv t_cli_c.csv --target y --epochs 1"), 3,
                           "t_cli_c.csv" + message);
  }
  TempFile gaps("t_cli_gap.csv", "x,c,y\n1,a,0\nNA,b,1\n3,?,0\n4,b,1\n5,a,0\n6,b,1\n");
  const Run imputed =
      run("train --csv t_cli_gap.csv --target y --impute median --epochs 2 --test-fraction 0");
  INFO(imputed.out << imputed.err);
  REQUIRE(imputed.code == 0);
}

TEST_CASE("xgrad train options: test fraction 0, validation with early stopping, data seed",
          "[cli]") {
  if (!have_cli()) return;
  SECTION("--test-fraction 0 trains on every row and says so") {
    const std::string model = "t_cli_all.safetensors";
    const Run r =
        run("train --dataset moons --samples 200 --test-fraction 0 --epochs 5 --save " + model);
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    REQUIRE_THAT(r.out, Catch::Contains("200 train / 0 test (--test-fraction 0: no held-out set)"));
    const Run e = run("eval --model " + model);
    REQUIRE(e.code == 0);
    REQUIRE_THAT(e.out, Catch::Contains("test   none"));
    std::remove(model.c_str());
  }
  SECTION("--patience stops early and restores the best validation weights") {
    const Run r = run(
        "train --dataset moons --samples 200 --noise 0.35 --hidden 64,64 --lr 0.05 --epochs 400 "
        "--val-fraction 0.25 --patience 10 --threads 1");
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    REQUIRE_THAT(r.out, Catch::Contains("early stopping: no better validation loss for 10 epochs"));
    REQUIRE(number_after(r.out, "\n") < 400);  // "N epochs in ..." on the last line
    // The restored weights are the best epoch's: the final validation loss is the one reported.
    REQUIRE(number_after(r.out, "restored \\(validation loss") ==
            number_after(r.out, "val   accuracy +[0-9.]+%  loss"));
  }
  SECTION("--data-seed 0 is a seed of its own, not 'use --seed'") {
    const auto loss = [](const std::string& extra) {
      const Run r = run("train --dataset moons --samples 200 --epochs 3 --seed 1 " + extra);
      REQUIRE(r.code == 0);
      return number_after(r.out, "final  train accuracy +[0-9.]+%  loss");
    };
    REQUIRE(loss("--data-seed 1") == loss(""));
    REQUIRE(loss("--data-seed 0") != loss("--data-seed 1"));
  }
}

namespace {

// `xgrad train ARGS --save PATH`, then the saved tensors, with the file's metadata in `md`.
xg::nn::NamedTensors<float> trained_model(const std::string& args, const std::string& path,
                                          xg::io::Metadata& md) {
  REQUIRE(run("train " + args + " --save " + path).code == 0);
  return xg::io::load_tensors<float>(path, &md);
}

// A model file of `tensors` whose metadata `md` has `key` set to `value`: eval refuses it as the
// file's error (exit 3), naming the file and the key.
void require_eval_refuses(const xg::nn::NamedTensors<float>& tensors, xg::io::Metadata md,
                          const std::string& key, const std::string& value) {
  md[key] = value;
  xg::io::save(tensors, "t_cli_bad.safetensors", md);
  INFO(key << " = " << value);
  require_one_line_error(run("eval --model t_cli_bad.safetensors"), 3,
                         "t_cli_bad.safetensors: metadata '" + key + "': '" + value + "'");
  std::remove("t_cli_bad.safetensors");
}

}  // namespace

TEST_CASE("xgrad eval refuses hostile model metadata with the file and the key", "[cli]") {
  if (!have_cli()) return;
  const std::string model = "t_cli_meta.safetensors";
  xg::io::Metadata md;
  const auto tensors =
      trained_model("--dataset spiral --samples 30 --hidden 8 --epochs 2", model, md);
  const std::pair<std::string, std::string> cases[] = {
      {"xgrad.in", "-1"},
      {"xgrad.in", "200000000"},
      {"xgrad.out", "-1"},
      {"xgrad.data.samples", "nan"},
      {"xgrad.data.classes", "-inf"},
      {"xgrad.data.classes", "1e8"},
      {"xgrad.data.seed", "abc"},
  };
  for (const auto& [key, value] : cases) require_eval_refuses(tensors, md, key, value);
  std::remove(model.c_str());
}

TEST_CASE("xgrad compare trains one network per activation and tabulates them", "[cli]") {
  if (!have_cli()) return;
  const Run r =
      run("compare --dataset moons --samples 300 --epochs 30 --activations relu,tanh,prelu");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  for (const char* row : {"relu ", "tanh ", "prelu "}) REQUIRE_THAT(r.out, Catch::Contains(row));
  REQUIRE_THAT(r.out, Catch::Contains("test accuracy"));
  // prelu adds one alpha per hidden unit: 2 layers of 64 by default -> 128 more parameters.
  REQUIRE_THAT(r.out, ContainsRegex("relu +4482 "));
  REQUIRE_THAT(r.out, ContainsRegex("prelu +4610 "));
  const Run bad = run("compare --dataset moons --epochs 1 --activations relu,nope");
  require_one_line_error(bad, 2, "unknown activation 'nope'");
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

// Both files exist and hold the same bytes.
void require_same_file(const std::string& a, const std::string& b) {
  INFO(a << " vs " << b);
  const std::string x = read_file(a);
  REQUIRE(!x.empty());
  REQUIRE(x == read_file(b));
}

// The "lr now X" of a resumed run's summary.
double resumed_lr(const Run& r) { return number_after(r.out, "epochs done, lr now"); }

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
  REQUIRE_THAT(r.out, ContainsRegex("\ntanh +[0-9]+ +[0-9.]+ ± [0-9.]+%"));
  // Progress (on stderr) names the activation and the seed.
  REQUIRE_THAT(r.err, Catch::Contains("identity (3/3) seed 2 (2/2)"));

  const auto results = read_lines("t_cli_compare/results.csv");
  REQUIRE(results.at(0) ==
          "activation,seed,epoch,seconds,train_loss,train_accuracy,test_loss,test_accuracy");
  REQUIRE(results.size() == 1 + 3 * 2 * 4);  // activations x seeds x epochs
  REQUIRE(results[1].rfind("relu,1,1,", 0) == 0);
  REQUIRE(results.back().rfind("identity,2,4,", 0) == 0);
  const auto summary = read_lines("t_cli_compare/summary.csv");
  REQUIRE(summary.size() == 1 + 3 * 2);
  REQUIRE_THAT(summary[0],
               Catch::Contains("epochs_to_target") && Catch::Contains("dead_fraction") &&
                   Catch::Contains("grad_ratio_init") && Catch::Contains("diverged_at_epoch"));
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
  REQUIRE_THAT(r.out, ContainsRegex("\nsigmoid +xavier +vanishing: "));
  REQUIRE_THAT(r.out, ContainsRegex("\nrelu +kaiming +ok: "));
  // 2 activations x (init, trained) x 9 weight matrices.
  REQUIRE(read_lines("t_cli_gradients/gradients.csv").size() == 1 + 2 * 2 * 9);
  REQUIRE(read_lines("t_cli_gradients/loss.csv").size() == 1 + 10);
  if (have_gnuplot()) {
    REQUIRE(file_size("t_cli_gradients/gradients.png") > 1000);
    REQUIRE(file_size("t_cli_gradients/loss.png") > 1000);
  }
  std::system("rm -rf t_cli_gradients");
}

TEST_CASE("xgrad compare and gradients: bad flag values are one-line errors with exit code 2",
          "[cli]") {
  if (!have_cli()) return;
  // The same parsers and ranges as `xgrad train` (docs/data_io_cli.md), and the commands' own.
  const std::pair<const char*, const char*> cases[] = {
      {"compare --dataset moons --epochs 99999999999999999999999",
       "--epochs: '99999999999999999999999' is not an integer in [1, 10000000]"},
      {"compare --dataset moons --epochs 0", "--epochs: '0' is not an integer in [1, 10000000]"},
      {"compare --dataset moons --seeds 0", "--seeds: '0' is not an integer in [1, 1000]"},
      {"compare --dataset moons --seeds 1.5", "--seeds: '1.5' is not an integer"},
      {"compare --dataset moons --lr nan", "--lr: 'nan' is not a finite number > 0"},
      {"compare --dataset moons --lr -1", "--lr: '-1' is not a finite number > 0"},
      {"compare --dataset moons --batch 18446744073709551615",
       "--batch: '18446744073709551615' is not an integer in [1, 10000000]"},
      {"compare --dataset moons --seed -1", "--seed: '-1' is not an integer in [0, "},
      {"compare --dataset moons --target-loss -1", "--target-loss: '-1' is not a finite number"},
      {"compare --dataset moons --target-loss nan", "--target-loss: 'nan'"},
      {"compare --dataset moons --hidden 1e9", "--hidden: '1e9' is not an integer in [1, 1000000]"},
      {"compare --dataset moons --noise nan", "--noise: 'nan' is not a number in [0, 1000]"},
      {"compare --dataset moons --samples 0", "--samples: '0'"},
      {"compare --dataset moons --test-fraction 1",
       "--test-fraction: '1' is not a number in [0, 1)"},
      {"compare --dataset moons --momentum 2", "--momentum: '2' is not a number in [0, 1]"},
      {"compare --dataset moons --max-loss 0", "--max-loss: '0'"},
      {"compare --dataset moons --threads 0", "--threads: '0' is not an integer in [1, 1024]"},
      {"compare --dataset moons --lr-schedule linear", "linear"},
      {"compare --dataset moons --lr-step 3",
       "--lr-step and --lr-gamma apply to --lr-schedule step"},
      {"compare --dataset moons --impute mean", "apply to --csv only"},
      {"compare --csv x.csv", "--csv needs --target"},
      {"compare --epochs 1", "give either --dataset NAME or --csv FILE"},
      {"compare --dataset moons --activations ,", "--activations needs at least one name"},
      {"compare --dataset moons --activations relu,tanh,relu",
       "--activations: 'relu' is named twice"},
      {"gradients --activation tanh,tanh", "--activation: 'tanh' is named twice"},
      {"compare --dataset moons --val-fraction 0.2", "--val-fraction"},
      {"gradients --depth 0", "--depth: '0' is not an integer in [1, 1000]"},
      {"gradients --width 1e9", "--width: '1e9' is not an integer in [1, 1000000]"},
      {"gradients --width -4", "--width: '-4' is not an integer in [1, 1000000]"},
      {"gradients --depth 1000 --width 1000", "1000000000 hidden weights, more than the limit"},
      {"gradients --steps 0", "--steps: '0' is not an integer in [1, 10000000]"},
      {"gradients --lr nan", "--lr: 'nan' is not a finite number > 0"},
      {"gradients --batch 18446744073709551615", "--batch: '18446744073709551615'"},
      {"gradients --seed 1e3", "--seed: '1e3' is not an integer"},
      {"gradients --init normal --init-std 0", "--init-std: '0' is not a finite number > 0"},
      {"gradients --init normal --init-std inf", "--init-std: 'inf'"},
      {"gradients --init-std 2", "--init-std applies to --init normal"},
      {"gradients --max-loss nan", "--max-loss: 'nan'"},
      {"gradients --dataset spiral --classes 1", "--classes: '1' is not an integer in [2, 1000]"},
      {"gradients --activation nope --steps 1", "unknown activation 'nope'"},
      {"gradients --epochs 3", "--epochs"},  // gradients counts steps
  };
  for (const auto& [args, message] : cases) {
    INFO("xgrad " << args);
    require_one_line_error(run(args), 2, message);
  }
  // An output directory that cannot be made is an output error (4), found before any training.
  const Run out = run("compare --dataset moons --epochs 1 --out /proc/no_such_dir");
  require_one_line_error(out, 4, "--out: cannot create the directory '/proc/no_such_dir'");
  REQUIRE_THAT(out.out, !Catch::Contains("activation"));
}

namespace {

std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  for (std::size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
    cells.push_back(line.substr(start, comma - start));
  cells.push_back(line.substr(start));
  return cells;
}

// The rows of a CSV file as cells, keyed by the header's names.
std::vector<std::map<std::string, std::string>> csv_rows(const std::string& path) {
  const auto lines = read_lines(path);
  REQUIRE(!lines.empty());
  const auto head = csv_cells(lines[0]);
  std::vector<std::map<std::string, std::string>> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = csv_cells(lines[i]);
    REQUIRE(cells.size() == head.size());
    std::map<std::string, std::string> row;
    for (std::size_t c = 0; c < head.size(); ++c) row[head[c]] = cells[c];
    rows.push_back(row);
  }
  return rows;
}

// The line of `text` starting with `name` and a space.
std::string row_of(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name + " ", 0) == 0) return line;
  FAIL("no row '" << name << "' in:\n" << text);
  return "";
}

}  // namespace

TEST_CASE("xgrad compare and gradients take hyper-parameters in the activation list", "[cli]") {
  if (!have_cli()) return;
  // leaky_relu with negative_slope = 1 is the identity (f(x) = x, f' = 1 everywhere), and LeCun's
  // init does not depend on the activation: from one seed both train the same network to the
  // same bits. The default slope (0.01) trains another one.
  const std::string dir = "t_cli_act_params";
  std::system(("rm -rf " + dir).c_str());
  const Run r =
      run("compare --dataset moons --samples 300 --epochs 15 --hidden 16 --init lecun "
          "--activations identity,leaky_relu:negative_slope=1,leaky_relu --out " +
          dir);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  row_of(r.out, "leaky_relu:negative_slope=1");  // a row of the table, named as written
  const auto rows = csv_rows(dir + "/summary.csv");
  REQUIRE(rows.size() == 3);
  REQUIRE(rows[1].at("activation") == "leaky_relu:negative_slope=1");
  for (const char* column : {"train_loss", "test_loss", "test_accuracy", "grad_ratio_end"}) {
    INFO(column);
    REQUIRE(rows[1].at(column) == rows[0].at(column));
    REQUIRE(rows[2].at(column) != rows[0].at(column));
  }
  REQUIRE(exists(dir + "/plot_boundary_leaky_relu_negative_slope_1.csv"));
  const Run g =
      run("gradients --depth 3 --width 8 --steps 5 --init lecun "
          "--activation identity,leaky_relu:negative_slope=1 --out " +
          dir);
  INFO(g.out << g.err);
  REQUIRE(g.code == 0);
  std::map<std::string, std::vector<std::string>> norms;
  for (const auto& row : csv_rows(dir + "/gradients.csv"))
    norms[row.at("activation")].push_back(row.at("grad_norm"));
  REQUIRE(norms.size() == 2);
  REQUIRE(norms["identity"].size() == 8);  // 4 weight matrices, at init and trained
  REQUIRE(norms["leaky_relu:negative_slope=1"] == norms["identity"]);
  std::system(("rm -rf " + dir).c_str());

  const std::pair<const char*, const char*> refused[] = {
      {"leaky_relu:alpha=1",
       "'leaky_relu:alpha=1': activation 'leaky_relu' has no parameter 'alpha'"},
      {"leaky_relu,leaky_relu:negative_slope=0.01",
       "'leaky_relu' and 'leaky_relu:negative_slope=0.01' are the same activation"},
      {"silu,swish", "'silu' and 'swish' are the same activation"},
      {"leaky_relu:negative_slope", "expected name:key=number"},
      {"elu:alpha=nan", "--activations elu:alpha: 'nan' is not a finite number"},
      {"elu:alpha=1:alpha=2", "'elu:alpha=1:alpha=2' gives alpha twice"},
      {"softplus:beta=0", "beta must be > 0"},
  };
  for (const auto& [list, message] : refused) {
    INFO(list);
    require_one_line_error(
        run(std::string("compare --dataset moons --epochs 1 --activations ") + list), 2, message);
  }
}

TEST_CASE("xgrad compare: a diverging activation is a result, not an error", "[cli]") {
  if (!have_cli()) return;
  std::system("rm -rf t_cli_diverge");
  // SGD at lr 1e30 with one batch per epoch. ReLU: the first update makes weights of ~1e29 to
  // 1e30, so the second epoch's logits overflow float (~1e59): a non-finite loss in epoch 2.
  // binary_step passes no gradient to the hidden layer and its outputs are 0 or 1, so only the
  // output layer moves, by at most lr per step: logits stay below ~1e32 and every loss is finite
  // (huge, hence --max-loss inf).
  const Run r = run(
      "compare --dataset moons --samples 200 --hidden 8 --epochs 3 --batch 10000000 --optimizer "
      "sgd --lr 1e30 --max-loss inf --seeds 2 --activations relu,binary_step --out t_cli_diverge");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(row_of(r.out, "relu"), Catch::EndsWith("epoch 2 (2/2 seeds)"));
  REQUIRE_THAT(row_of(r.out, "relu"), Catch::Matches("relu +42 +- +- +- .*"));
  REQUIRE_THAT(row_of(r.out, "binary_step"), Catch::EndsWith("  -"));
  REQUIRE_THAT(r.err, Catch::Contains("relu (1/2) seed 1 (1/2): diverged in epoch 2: the loss "
                                      "became") &&
                          Catch::Contains("lower --lr (now 1e+30)"));
  for (const auto& row : csv_rows("t_cli_diverge/summary.csv")) {
    INFO(row.at("activation") << " seed " << row.at("seed"));
    const bool relu = row.at("activation") == "relu";
    REQUIRE(row.at("diverged_at_epoch") == (relu ? "2" : ""));
    REQUIRE(row.at("train_loss").empty() == relu);
    REQUIRE(row.at("grad_ratio_end").empty() == relu);
    REQUIRE_FALSE(row.at("grad_ratio_init").empty());
  }
  // results.csv: the epochs each run completed (relu: 1 of 3); the loss curve stops there.
  std::map<std::string, int> epochs;
  for (const auto& row : csv_rows("t_cli_diverge/results.csv")) ++epochs[row.at("activation")];
  REQUIRE(epochs["relu"] == 2 * 1);
  REQUIRE(epochs["binary_step"] == 2 * 3);
  const auto curve = csv_rows("t_cli_diverge/plot_loss.csv");
  REQUIRE(curve.size() == 3);
  REQUIRE_FALSE(curve[0].at("relu").empty());
  REQUIRE(curve[1].at("relu").empty());
  REQUIRE(curve[2].at("relu").empty());
  REQUIRE_FALSE(curve[2].at("binary_step").empty());
  if (have_gnuplot()) REQUIRE(file_size("t_cli_diverge/loss.png") > 1000);
  std::system("rm -rf t_cli_diverge");

  // Every run diverging is a failed command: exit 5, one line, after the table.
  const Run all =
      run("compare --dataset moons --samples 200 --hidden 8 --epochs 3 --optimizer sgd --lr 1e30 "
          "--activations relu,tanh");
  INFO(all.out);
  REQUIRE(all.code == 5);
  const std::string last = all.err.substr(all.err.rfind("xgrad: error: "));
  REQUIRE_THAT(last,
               Catch::StartsWith("xgrad: error: every run diverged; the first, relu seed 1: "));
  REQUIRE(last.find('\n') == last.size() - 1);
  REQUIRE_THAT(row_of(all.out, "tanh"), Catch::EndsWith("(1/1 seed)"));
}

TEST_CASE("xgrad compare: statistics over the seeds that did not diverge", "[cli]") {
  if (!have_cli()) return;
  std::system("rm -rf t_cli_seeds_a t_cli_seeds_b");
  // One epoch of one batch: epoch 1's training loss in results.csv is the loss of the initial
  // weights, the only loss the divergence limit sees. A limit between two seeds' values makes
  // exactly the seeds above it diverge in epoch 1, and leaves the others' runs unchanged.
  const std::string flags =
      "compare --dataset moons --samples 200 --hidden 8 --epochs 1 --batch 10000000 --seeds 5 "
      "--activations tanh ";
  REQUIRE(run(flags + "--max-loss inf --out t_cli_seeds_a").code == 0);
  std::vector<std::pair<double, std::string>> initial;  // (loss at init, seed)
  for (const auto& row : csv_rows("t_cli_seeds_a/results.csv"))
    initial.emplace_back(std::stod(row.at("train_loss")), row.at("seed"));
  REQUIRE(initial.size() == 5);
  std::sort(initial.begin(), initial.end());
  // The limit: in the widest gap that leaves at least two seeds below it and one above.
  std::size_t cut = 2;
  for (std::size_t i = 2; i < 5; ++i)
    if (initial[i].first - initial[i - 1].first > initial[cut].first - initial[cut - 1].first)
      cut = i;
  REQUIRE(initial[cut].first - initial[cut - 1].first > 1e-4);
  const double limit = (initial[cut].first + initial[cut - 1].first) / 2;
  const std::size_t diverging = 5 - cut;

  const Run b = run(flags + "--max-loss " + std::to_string(limit) + " --out t_cli_seeds_b");
  INFO(b.out << b.err);
  REQUIRE(b.code == 0);
  REQUIRE_THAT(row_of(b.out, "tanh"),
               Catch::EndsWith("epoch 1 (" + std::to_string(diverging) + "/5 seeds)"));
  REQUIRE_THAT(b.err, Catch::Contains("above the divergence limit") &&
                          Catch::Contains("(--max-loss): training diverged"));
  // The survivors' rows are those of the unlimited run; the table's train loss is their mean.
  std::map<std::string, std::map<std::string, std::string>> unlimited;
  for (const auto& row : csv_rows("t_cli_seeds_a/summary.csv")) unlimited[row.at("seed")] = row;
  std::vector<double> survivors;
  for (const auto& row : csv_rows("t_cli_seeds_b/summary.csv")) {
    const auto seed_is = [&](const auto& s) { return s.second == row.at("seed"); };
    const bool below = std::any_of(initial.begin(), initial.begin() + long(cut), seed_is);
    INFO("seed " << row.at("seed"));
    REQUIRE(row.at("diverged_at_epoch") == (below ? "" : "1"));
    if (!below) continue;
    for (const char* column : {"train_loss", "train_accuracy", "test_loss", "test_accuracy"})
      REQUIRE(row.at(column) == unlimited[row.at("seed")].at(column));
    survivors.push_back(std::stod(row.at("train_loss")));
  }
  REQUIRE(survivors.size() == cut);
  double mean = 0;
  for (double v : survivors) mean += v / double(survivors.size());
  std::smatch m;
  const std::string row = row_of(b.out, "tanh");
  // tanh, parameters, train accuracy, test accuracy, then the train loss "mean ± std".
  REQUIRE(std::regex_search(row, m,
                            std::regex(R"(^tanh +\d+ +[\d.]+ ± [\d.]+% +[\d.]+ ± [\d.]+% +)"
                                       R"(([\d.]+) ± [\d.]+ )")));
  REQUIRE(std::stod(m[1]) == Approx(mean).margin(1e-4));
  std::system("rm -rf t_cli_seeds_a t_cli_seeds_b");
}

TEST_CASE("xgrad compare --test-fraction 0: no test columns, empty CSV cells", "[cli]") {
  if (!have_cli()) return;
  std::system("rm -rf t_cli_notest");
  const Run r =
      run("compare --dataset moons --samples 200 --hidden 8 --epochs 3 --test-fraction 0 "
          "--activations relu,tanh --out t_cli_notest");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("200 train / 0 test (--test-fraction 0"));
  // activation, parameters, train accuracy, then "-" for the test accuracy.
  for (const char* a : {"relu", "tanh"})
    REQUIRE_THAT(row_of(r.out, a),
                 Catch::Matches(std::string(a) + R"( +42 +[\d.]+% +- +[\d.]+ .*)"));
  REQUIRE_THAT(r.out, !Catch::Contains("0.00%"));
  for (const char* file : {"t_cli_notest/summary.csv", "t_cli_notest/results.csv"})
    for (const auto& row : csv_rows(file)) {
      REQUIRE(row.at("test_loss").empty());
      REQUIRE(row.at("test_accuracy").empty());
      REQUIRE_FALSE(row.at("train_accuracy").empty());
    }
  // The quality plot shows the training accuracy instead, and says so.
  REQUIRE_THAT(read_file("t_cli_notest/plots.gp"), Catch::Contains("(no test set)"));
  REQUIRE_FALSE(csv_rows("t_cli_notest/plot_test.csv").at(2).at("tanh").empty());
  std::system("rm -rf t_cli_notest");
}

TEST_CASE("xgrad gradients --init auto picks the init xgrad train records for the activation",
          "[cli]") {
  if (!have_cli()) return;
  const Run g =
      run("gradients --dataset moons --samples 100 --depth 2 --width 4 --steps 1 --activation "
          "identity,relu6,selu,sigmoid,gelu");
  INFO(g.out << g.err);
  REQUIRE(g.code == 0);
  for (const char* activation : {"identity", "relu6", "selu", "sigmoid", "gelu"}) {
    INFO(activation);
    std::remove("t_cli_init.safetensors");
    REQUIRE(run(std::string("train --dataset moons --samples 100 --hidden 4 --epochs 1 --quiet "
                            "--save t_cli_init.safetensors --activation ") +
                activation)
                .code == 0);
    const std::string init = xg::io::inspect("t_cli_init.safetensors").metadata.at("xgrad.init");
    REQUIRE_THAT(row_of(g.out, activation),
                 Catch::StartsWith(std::string(activation)) && Catch::Contains(" " + init + " "));
  }
  std::remove("t_cli_init.safetensors");
}

TEST_CASE("xgrad gradients: a diverging activation is reported with the training guard's reason",
          "[cli]") {
  if (!have_cli()) return;
  // As in compare: at lr 1e30 ReLU's logits overflow; binary_step only moves its output layer.
  const Run r = run(
      "gradients --dataset moons --samples 200 --depth 3 --width 8 --activation relu,binary_step "
      "--optimizer sgd --lr 1e30 --max-loss inf --steps 6");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, ContainsRegex("\nrelu .* -> diverged at step [0-9]+ \\(lower --lr\\)"));
  REQUIRE_THAT(r.err, Catch::Contains("relu: diverged at step") &&
                          Catch::Contains(": lower --lr (now 1e+30)"));
  REQUIRE_THAT(row_of(r.out, "binary_step"), !Catch::Contains("diverged"));
}

// Exact resume: 40 epochs in one process against 20 epochs, a checkpoint, and 20 more in a new
// process. The checkpoints and model files of both runs must be byte for byte the same: every
// weight, every optimizer buffer and step count, the schedule's position and the generators.
TEST_CASE("xgrad train --resume continues a run bit for bit (SGD momentum, Adam, RMSprop)",
          "[cli]") {
  if (!have_cli()) return;
  SECTION("SGD with momentum and a step schedule: --epochs 20, then --resume --epochs 40") {
    const std::string run_flags =
        "train --dataset moons --samples 200 --hidden 16 --optimizer momentum --lr 0.05 "
        "--lr-schedule step --lr-step 7 --lr-gamma 0.5 --seed 3 ";
    const Run first = run(run_flags + "--epochs 20 --checkpoint t_cli_r20.st");
    INFO(first.out << first.err);
    REQUIRE(first.code == 0);
    // The whole original command line again, plus --resume: equal flags are accepted.
    const Run resumed = run(run_flags +
                            "--resume t_cli_r20.st --epochs 40 --checkpoint t_cli_r40.st "
                            "--save t_cli_rm.st --log-every 5");
    const Run straight =
        run(run_flags + "--epochs 40 --checkpoint t_cli_s40.st --save t_cli_sm.st");
    INFO(resumed.out << resumed.err << straight.out << straight.err);
    REQUIRE(resumed.code == 0);
    REQUIRE(straight.code == 0);
    // StepLR: 0.05 * 0.5^floor(20 / 7) = 0.0125 for epoch 21; the log starts at epoch 21.
    REQUIRE(resumed_lr(resumed) == 0.0125);
    REQUIRE_THAT(resumed.out, Catch::Contains("epoch 21/40") && !Catch::Contains("epoch  1/40"));
    REQUIRE_THAT(resumed.out, Catch::Contains("20 epochs in"));
    require_same_file("t_cli_r40.st", "t_cli_s40.st");
    require_same_file("t_cli_rm.st", "t_cli_sm.st");
    REQUIRE(read_file("t_cli_r20.st") != read_file("t_cli_r40.st"));  // epochs 21-40 did train
    const auto md = xg::io::inspect("t_cli_r20.st").metadata;
    REQUIRE(md.at("epoch") == "20");
    REQUIRE(md.at("optimizer") == "SGD");
    REQUIRE(md.at("scheduler") == "StepLR");
    // The model file of the resumed run is an ordinary one.
    const Run e = run("eval --model t_cli_rm.st");
    INFO(e.out << e.err);
    REQUIRE(e.code == 0);
    REQUIRE(number_after(e.out, "train  accuracy") ==
            number_after(straight.out, "final  train accuracy"));
    for (const char* f :
         {"t_cli_r20.st", "t_cli_r40.st", "t_cli_s40.st", "t_cli_rm.st", "t_cli_sm.st"})
      std::remove(f);
  }
  SECTION("Adam with a cosine schedule: the epoch-20 checkpoint of a 40-epoch run, resumed") {
    const Run straight =
        run("train --dataset spiral --samples 40 --hidden 16,16 --optimizer adam --lr 0.01 "
            "--lr-schedule cosine --epochs 40 --checkpoint t_cli_c{epoch}.st --checkpoint-every 20 "
            "--save t_cli_cm.st");
    INFO(straight.out << straight.err);
    REQUIRE(straight.code == 0);
    REQUIRE(exists("t_cli_c20.st"));
    const Run resumed =
        run("train --resume t_cli_c20.st --checkpoint t_cli_d{epoch}.st --save t_cli_dm.st");
    INFO(resumed.out << resumed.err);
    REQUIRE(resumed.code == 0);
    // CosineAnnealingLR over 40 epochs at epoch 20: 0.01 (1 + cos(pi / 2)) / 2 = 0.005.
    REQUIRE(resumed_lr(resumed) == Approx(0.005).epsilon(1e-6));
    require_same_file("t_cli_d40.st", "t_cli_c40.st");
    require_same_file("t_cli_dm.st", "t_cli_cm.st");
    const auto md = xg::io::inspect("t_cli_c20.st").metadata;
    REQUIRE(md.at("scheduler") == "CosineAnnealingLR");
    REQUIRE_THAT(md.at("scheduler.state"), Catch::Contains(R"("last_epoch":20)"));
    for (const char* f :
         {"t_cli_c20.st", "t_cli_c40.st", "t_cli_cm.st", "t_cli_d40.st", "t_cli_dm.st"})
      std::remove(f);
  }
  SECTION("RMSprop, warm-up + cosine, RReLU's random slopes, a CSV table") {
    TempFile f("t_cli_w.csv", flowers());
    const Run straight =
        run("train --csv t_cli_w.csv --target species --ignore id --hidden 8 --activation rrelu "
            "--optimizer rmsprop --lr 0.01 --lr-schedule warmup-cosine --epochs 40 "
            "--checkpoint t_cli_w{epoch}.st --checkpoint-every 20 --save t_cli_wm.st");
    INFO(straight.out << straight.err);
    REQUIRE(straight.code == 0);
    const Run resumed =
        run("train --resume t_cli_w20.st --checkpoint t_cli_v{epoch}.st --save t_cli_vm.st");
    INFO(resumed.out << resumed.err);
    REQUIRE(resumed.code == 0);
    // Warm-up of 40 / 10 = 4 epochs, then cosine over the other 36: at epoch 20, 16 of them.
    const double pi = std::acos(-1.0);
    REQUIRE(resumed_lr(resumed) == Approx(0.01 * (1 + std::cos(pi * 16 / 36)) / 2));
    require_same_file("t_cli_v40.st", "t_cli_w40.st");
    require_same_file("t_cli_vm.st", "t_cli_wm.st");
    // RReLU's generator is in the checkpoint (a fresh one would draw other slopes).
    const auto md = xg::io::inspect("t_cli_w20.st").metadata;
    REQUIRE(md.count("generator.model.1.generator") == 1);
    REQUIRE(md.count("xgrad.data.fnv1a64") == 1);
    const Run p = run("predict --model t_cli_vm.st --csv t_cli_w.csv");
    REQUIRE(p.code == 0);
    for (const char* name :
         {"t_cli_w20.st", "t_cli_w40.st", "t_cli_wm.st", "t_cli_v40.st", "t_cli_vm.st"})
      std::remove(name);
  }
}

TEST_CASE("xgrad train --resume: conflicting flags and bad files are one-line errors", "[cli]") {
  if (!have_cli()) return;
  TempFile table("t_cli_x.csv", flowers());
  const std::string flags =
      "train --csv t_cli_x.csv --target species --ignore id --optimizer adam --lr 0.02 "
      "--epochs 10 ";
  REQUIRE(run(flags + "--hidden 8 --checkpoint t_cli_x.st --save t_cli_xm.st").code == 0);
  REQUIRE(run("train --dataset moons --samples 100 --hidden 8 --lr-schedule cosine --epochs 10 "
              "--checkpoint t_cli_y{epoch}.st --checkpoint-every 5")
              .code == 0);

  SECTION("flags that contradict the checkpoint, or ask for nothing: exit 2") {
    const std::pair<std::string, std::string> cases[] = {
        {"--resume t_cli_x.st --lr 0.1",
         "--lr 0.1: 't_cli_x.st' was trained with --lr 0.02; a resumed run keeps its "
         "checkpoint's settings"},
        {"--resume t_cli_x.st --hidden 16",
         "--hidden 16: 't_cli_x.st' was trained with --hidden 8"},
        {"--resume t_cli_x.st --optimizer sgd", "--optimizer sgd: 't_cli_x.st' was trained with"},
        {"--resume t_cli_x.st --activation tanh", "--activation tanh: 't_cli_x.st'"},
        {"--resume t_cli_x.st --csv t_cli_x.csv --target length", "--target length: 't_cli_x.st'"},
        {"--resume t_cli_x.st --no-stratify",
         "--no-stratify: 't_cli_x.st' was trained with --stratify"},
        {"--resume t_cli_x.st --dataset moons", "was trained on the CSV table"},
        {"--resume t_cli_y5.st --csv t_cli_x.csv", "was trained on --dataset moons"},
        {"--resume t_cli_y5.st --samples 300",
         "--samples 300: 't_cli_y5.st' was trained with "
         "--samples 100"},
        {"--resume t_cli_x.st --epochs 10",
         "--epochs 10: 't_cli_x.st' has already run 10 epochs; with --resume, --epochs is the "
         "total"},
        {"--resume t_cli_x.st",
         "'t_cli_x.st' has run all 10 epochs of its run: give --epochs "
         "above 10"},
        {"--resume t_cli_y5.st --epochs 20", "the cosine schedule of 't_cli_y5.st' spans 10"},
        {"--resume t_cli_y10.st", "its schedule is over"},
        {"--resume t_cli_x.st --epochs 20 --patience 3", "--patience cannot be combined"},
        {"--resume t_cli_x.st --epochs 20 --save t_cli_x.st", "being resumed"},
        {"--dataset moons --checkpoint-every 5", "--checkpoint-every requires --checkpoint"},
        {"--dataset moons --lr-step 5", "--lr-step and --lr-gamma apply to --lr-schedule step"},
        {"--dataset moons --lr-schedule cosine --warmup 2", "--warmup applies to"},
        {"--dataset moons --lr-schedule warmup-cosine --warmup 10 --epochs 10",
         "--warmup 10 must be below --epochs 10"},
        {"--dataset moons --lr-schedule step --lr-gamma 2", "--lr-gamma: '2'"},
    };
    for (const auto& [args, message] : cases) {
      INFO("xgrad train " << args);
      require_one_line_error(run("train " + args), 2, message);
    }
  }
  SECTION("files that are not checkpoints of this run: exit 3") {
    require_one_line_error(run("train --resume t_cli_none.st"), 3,
                           "--resume: cannot open 't_cli_none.st'");
    require_one_line_error(run("train --resume t_cli_xm.st --epochs 20"), 3,
                           "--resume: 't_cli_xm.st' is a model file: it holds the weights but no "
                           "optimizer state");
    const std::string whole = read_file("t_cli_x.st");
    { std::ofstream("t_cli_cut.st", std::ios::binary) << whole.substr(0, whole.size() - 100); }
    require_one_line_error(run("train --resume t_cli_cut.st --epochs 20"), 3,
                           "--resume: safetensors: 't_cli_cut.st':");
    // Another network's tensors under this checkpoint's metadata.
    REQUIRE(run(flags + "--hidden 4 --checkpoint t_cli_x4.st").code == 0);
    xg::io::Metadata md;
    xg::io::load_mixed("t_cli_x.st", &md);  // a checkpoint: float weights, F64 step counts
    xg::io::save(xg::io::load_mixed("t_cli_x4.st"), "t_cli_mix.st", md);
    require_one_line_error(run("train --resume t_cli_mix.st --epochs 20"), 3,
                           "--resume: t_cli_mix.st: tensor '0.weight' is F32 [4,5] but the "
                           "metadata's architecture (in 5, hidden 8, out 3) needs F32 [8,5]");
    // Adam's state, but the metadata says SGD: the library's check names both.
    auto sgd = md;
    sgd["xgrad.train.optimizer"] = "sgd";
    xg::io::save(xg::io::load_mixed("t_cli_x.st"), "t_cli_sgd.st", sgd);
    require_one_line_error(run("train --resume t_cli_sgd.st --epochs 20"), 3,
                           "it holds the state of optimizer 'Adam' but the optimizer given is "
                           "'SGD'");
    // Hostile run settings: each named with the file, the key and the allowed values.
    const std::pair<std::string, std::string> settings[] = {
        {"xgrad.train.lr", "abc"},
        {"xgrad.train.epochs", "0"},
        {"xgrad.train.lr_schedule", "linear"},
        {"xgrad.train.max_loss", "-1"},
    };
    for (const auto& [key, value] : settings) {
      auto bad = md;
      bad[key] = value;
      xg::io::save(xg::io::load_mixed("t_cli_x.st"), "t_cli_bad.st", bad);
      INFO(key << " = " << value);
      require_one_line_error(run("train --resume t_cli_bad.st --epochs 20"), 3,
                             "--resume: t_cli_bad.st: metadata '" + key + "': '" + value + "'");
    }
    // A checkpoint written by a program, without the command line's model card.
    auto bare = md;
    bare.erase("xgrad.format");
    xg::io::save(xg::io::load_mixed("t_cli_x.st"), "t_cli_bare.st", bare);
    require_one_line_error(run("train --resume t_cli_bare.st --epochs 20"), 3,
                           "is a checkpoint without the model card");
    // The table changed since the checkpoint: its bytes are checked.
    TempFile changed("t_cli_x2.csv", flowers() + "90,1.0,0.5,red,setosa\n");
    require_one_line_error(run("train --resume t_cli_x.st --epochs 20 --csv t_cli_x2.csv"), 3,
                           "--resume: 't_cli_x2.csv' is not the table 't_cli_x.st' was trained "
                           "on: its bytes changed");
    require_one_line_error(run("eval --model t_cli_x.st"), 3,
                           "--model: 't_cli_x.st' is a training checkpoint, not a model file");
    for (const char* f : {"t_cli_cut.st", "t_cli_x4.st", "t_cli_mix.st", "t_cli_sgd.st",
                          "t_cli_bad.st", "t_cli_bare.st"})
      std::remove(f);
  }
  SECTION("the same table at another path; an unwritable checkpoint; a diverging run") {
    TempFile moved("t_cli_x3.csv", flowers());
    const Run r = run("train --resume t_cli_x.st --epochs 12 --csv t_cli_x3.csv");
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    REQUIRE_THAT(r.out, Catch::Contains("10 of 12 epochs done"));
    require_one_line_error(run("train --dataset moons --checkpoint no_such_dir/c.st"), 4,
                           "--checkpoint: cannot write 'no_such_dir/c.st'");
    // SGD with momentum 0.999 and lr 0.3 diverges after some epochs: the error names the last
    // checkpoint, which holds the weights of that (finite) epoch.
    const Run d =
        run("train --dataset moons --optimizer momentum --momentum 0.999 --lr 0.3 --epochs 100 "
            "--checkpoint t_cli_dv.st --checkpoint-every 2 --save t_cli_dvm.st");
    require_one_line_error(d, 5, "the last checkpoint is 't_cli_dv.st' (epoch ");
    REQUIRE_THAT(d.err, Catch::Contains("the model was not saved"));
    REQUIRE_FALSE(exists("t_cli_dvm.st"));
    const std::string epoch = xg::io::inspect("t_cli_dv.st").metadata.at("epoch");
    REQUIRE_THAT(d.err, Catch::Contains("(epoch " + epoch + ")"));
    std::remove("t_cli_dv.st");
  }
  for (const char* f : {"t_cli_x.st", "t_cli_xm.st", "t_cli_y5.st", "t_cli_y10.st"}) std::remove(f);
}

TEST_CASE("xgrad: an unknown command is named, with the commands there are", "[cli]") {
  if (!have_cli()) return;
  const std::string commands =
      "the commands are train, compare, gradients, eval, predict, list (xgrad --help)";
  require_one_line_error(run("lab foo"), 2, "unknown command 'lab': " + commands);
  require_one_line_error(run("trian --dataset moons"), 2, "unknown command 'trian': " + commands);
  require_one_line_error(run(""), 2, "a command is required: " + commands);
  require_one_line_error(run("--epochs 3"), 2,
                         "'--epochs' is not an option of xgrad itself (a command's options go "
                         "after it): " +
                             commands);
  // The commands themselves take no subcommands: an extra word is an unexpected argument.
  require_one_line_error(run("list foo"), 2, "The following argument was not expected: foo");
}

TEST_CASE("xgrad list: a description's remark in parentheses is apart from its formula", "[cli]") {
  if (!have_cli()) return;
  const Run r = run("list");
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, ContainsRegex("\n  relu6 +min\\(max\\(0, x\\), 6\\) \\(PyTorch\\)\n"));
  REQUIRE_THAT(r.out, ContainsRegex("\n  mish +x tanh\\(softplus\\(x\\)\\) \\(PyTorch\\)\n"));
  REQUIRE_THAT(r.out,
               ContainsRegex("\n  hardtanh +clamp\\(x, min_val, max_val\\) \\(PyTorch\\)\n"));
  REQUIRE_THAT(r.out, ContainsRegex("\n  celu +continuously differentiable ELU \\(PyTorch\\)\n"));
  REQUIRE_THAT(r.out,
               ContainsRegex("\n  silu +x sigmoid\\(x\\) \\(swish with beta 1; alias: swish\\)\n"));
  // Every row: "(PyTorch)" after a space, and no ")(" anywhere.
  REQUIRE_THAT(r.out, !ContainsRegex("[^ ]\\(PyTorch\\)") && !Catch::Contains(")("));
}

TEST_CASE("xgrad train --csv: a missing cell is reported at its place in the file", "[cli]") {
  if (!have_cli()) return;
  // 300 rows on lines 2..301 (a, b numeric; y in {0, 1}); `holes` empties cells by (line, column).
  const auto table = [](const std::vector<std::pair<int, int>>& holes) {
    std::string s = "a,b,y\n";
    for (int line = 2; line <= 301; ++line) {
      std::string cells[3] = {std::to_string(line % 7), std::to_string(line % 5),
                              std::to_string(line % 2)};
      for (const auto& [l, c] : holes)
        if (l == line) cells[c - 1].clear();
      s += cells[0] + "," + cells[1] + "," + cells[2] + "\n";
    }
    return s;
  };
  const std::string flags = "train --csv t_cli_m.csv --target y --epochs 1 --quiet";
  {
    // Column 1 has cells missing on later lines than column 2's: the file's first is line 22.
    TempFile f("t_cli_m.csv", table({{22, 2}, {150, 1}, {272, 1}, {290, 2}}));
    require_one_line_error(run(flags), 3, "t_cli_m.csv:22: column 2 ('b'): missing value");
  }
  {
    // A missing feature before a missing target: the feature's message.
    TempFile f("t_cli_m.csv", table({{5, 2}, {9, 3}}));
    require_one_line_error(run(flags), 3, "t_cli_m.csv:5: column 2 ('b'): missing value");
  }
  {
    // A missing target before a missing feature: the target's message.
    TempFile f("t_cli_m.csv", table({{9, 1}, {5, 3}, {272, 3}}));
    require_one_line_error(run(flags), 3, "t_cli_m.csv:5: column 3 ('y'): the target is missing");
  }
  {
    // --impute fills the features; the target is still required, on its first missing line.
    TempFile f("t_cli_m.csv", table({{3, 1}, {40, 3}, {272, 3}}));
    require_one_line_error(run(flags + " --impute median"), 3,
                           "t_cli_m.csv:40: column 3 ('y'): the target is missing");
  }
  // predict: the model's columns are read in the file's order of lines, then columns.
  TempFile f("t_cli_m.csv", table({}));
  REQUIRE(run(flags + " --save t_cli_m.safetensors").code == 0);
  TempFile g("t_cli_m2.csv", table({{4, 2}, {10, 1}}));
  require_one_line_error(run("predict --model t_cli_m.safetensors --csv t_cli_m2.csv"), 3,
                         "t_cli_m2.csv:4: column 2 ('b'): missing value");
  std::remove("t_cli_m.safetensors");
}

TEST_CASE("xgrad eval --model: a training table that changed since training is refused", "[cli]") {
  if (!have_cli()) return;
  TempFile f("t_cli_h.csv", flowers());
  const std::string model = "t_cli_h.safetensors";
  REQUIRE(run("train --csv t_cli_h.csv --target species --ignore id --hidden 8 --epochs 5 "
              "--quiet --save " +
              model)
              .code == 0);
  const auto md = xg::io::inspect(model).metadata;
  // The same hash a checkpoint keeps: FNV-1a (64 bits) of the file's bytes, in hex.
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : flowers()) h = (h ^ c) * 0x100000001b3ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  REQUIRE(md.at("xgrad.data.fnv1a64") == hex);
  REQUIRE(run("eval --model " + model).code == 0);

  // Every label moved to the next class: as many rows, other data.
  std::string flipped = flowers();
  for (const auto& [from, to] : {std::pair<std::string, std::string>{",setosa\n", ",X1\n"},
                                 {",versicolor\n", ",X2\n"},
                                 {",virginica\n", ",setosa\n"},
                                 {",X1\n", ",versicolor\n"},
                                 {",X2\n", ",virginica\n"}})
    for (std::size_t at; (at = flipped.find(from)) != std::string::npos;)
      flipped.replace(at, from.size(), to);
  // 30 rows each: setosa -> versicolor +4 bytes, versicolor -> virginica -1, virginica -> setosa
  // -3: the same size, other bytes.
  REQUIRE(flipped.size() == flowers().size());
  REQUIRE(flipped != flowers());
  { std::ofstream("t_cli_h.csv", std::ios::binary) << flipped; }
  const Run changed = run("eval --model " + model);
  require_one_line_error(changed, 3, "t_cli_h.csv' changed since '" + model + "' was trained");
  REQUIRE_THAT(changed.err, Catch::Contains("--csv"));
  REQUIRE_THAT(changed.out, !Catch::Contains("accuracy"));
  // Evaluating the table as it is now stays possible, by passing it.
  REQUIRE(run("eval --model " + model + " --csv t_cli_h.csv").code == 0);

  // A model file from before the hash: evaluated, with a warning that the data is not verified.
  { std::ofstream("t_cli_h.csv", std::ios::binary) << flowers(); }
  xg::io::Metadata old;
  const auto tensors = xg::io::load_tensors<float>(model, &old);
  old.erase("xgrad.data.fnv1a64");
  xg::io::save(tensors, "t_cli_h_old.safetensors", old);
  const Run legacy = run("eval --model t_cli_h_old.safetensors");
  INFO(legacy.out << legacy.err);
  REQUIRE(legacy.code == 0);
  REQUIRE_THAT(legacy.err,
               Catch::StartsWith("xgrad: warning: ") && Catch::Contains("cannot be verified"));
  REQUIRE_THAT(legacy.out, Catch::Contains("accuracy"));
  std::remove(model.c_str());
  std::remove("t_cli_h_old.safetensors");
}

TEST_CASE("xgrad gradients: exploding norms and a diverged run get their verdicts", "[cli]") {
  if (!have_cli()) return;
  // 20 residual ReLU blocks with Kaiming init: the variance doubles per block, so the gradients
  // are huge from the start (every layer's norm far above the threshold 100) and SGD at lr 0.1
  // diverges at once.
  const Run r = run("gradients --depth 20 --activation relu --residual --steps 3");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(row_of(r.out, "relu"),
               Catch::Matches("relu +kaiming +exploding: max [1-9]\\.[0-9]e\\+0[2-9] +diverged +"
                              "[0-9.]+ -> diverged at step [0-9]+ \\(lower --lr\\)"));
  // The trained column of the per-layer table: not measured after the divergence.
  REQUIRE_THAT(r.out, ContainsRegex("\n +1 +[0-9.]+e\\+[0-9]+ +-\n"));
  REQUIRE_THAT(r.out, ContainsRegex("\n +21 +[0-9.]+e\\+[0-9]+ +-\n"));
  REQUIRE_THAT(r.out, !Catch::Contains("nan"));
}

TEST_CASE("xgrad: an output that is one of the inputs is refused, by identity not by name",
          "[cli]") {
  if (!have_cli()) return;
  TempFile csv("t_cli_same.csv", flowers());
  const std::string table = read_file(csv.path);
  require_one_line_error(
      run("train --csv t_cli_same.csv --target species --epochs 1 --save ./t_cli_same.csv"), 2,
      "--save './t_cli_same.csv' is the same file as --csv 't_cli_same.csv'");
  REQUIRE(read_file(csv.path) == table);
  const std::string ck = "t_cli_same_ck.safetensors", model = "t_cli_same_m.safetensors";
  REQUIRE(run("train --dataset xor --epochs 1 --checkpoint " + ck + " --save " + model).code == 0);
  const std::string checkpoint = read_file(ck), saved = read_file(model);
  std::remove("t_cli_same_link.safetensors");
  REQUIRE(::symlink(ck.c_str(), "t_cli_same_link.safetensors") == 0);
  require_one_line_error(
      run("train --resume " + ck + " --epochs 2 --save t_cli_same_link.safetensors"), 2,
      "--save 't_cli_same_link.safetensors' is the same file as --resume '" + ck + "'");
  REQUIRE(read_file(ck) == checkpoint);
  require_one_line_error(run("predict --model " + model + " --csv t_cli_same.csv --out ./" + model),
                         2, "--out './" + model + "' is the same file as --model '" + model + "'");
  require_one_line_error(
      run("predict --model " + model + " --csv t_cli_same.csv --out t_cli_same.csv"), 2,
      "--out 't_cli_same.csv' is the same file as --csv 't_cli_same.csv'");
  REQUIRE(read_file(model) == saved);
  REQUIRE(read_file(csv.path) == table);
  for (const char* f : {"t_cli_same_link.safetensors", ck.c_str(), model.c_str()}) std::remove(f);
}

TEST_CASE("xgrad train: a failed --save is rescued to a fresh file, never through a link",
          "[cli]") {
  if (!have_cli()) return;
  TempFile victim("t_cli_victim.txt", "precious\n");
  // A FIFO passes the check before training (it is not a directory) and the save refuses it.
  std::remove("t_cli_save_fifo");
  REQUIRE(::mkfifo("t_cli_save_fifo", 0600) == 0);
  // The name the rescue file had (xgrad-rescue-<pid>.safetensors in $TMPDIR) planted as a link.
  const Run r = run_shell(
      "sh -c 'ln -s t_cli_victim.txt xgrad-rescue-$$.safetensors; exec env "
      "TMPDIR=. \"" +
      cli_path() + "\" train --dataset xor --epochs 1 --save t_cli_save_fifo --quiet'");
  require_one_line_error(r, 4, "the trained model was written to './xgrad-rescue-");
  REQUIRE(read_file(victim.path) == "precious\n");
  std::smatch m;
  REQUIRE(std::regex_search(r.err, m, std::regex("written to '([^']+)'")));
  xg::io::Metadata md;
  REQUIRE(xg::io::load_tensors<float>(m[1].str(), &md).size() == 6);  // 3 Linear: weight, bias
  REQUIRE(run_shell("rm -f t_cli_save_fifo xgrad-rescue-*.safetensors").code == 0);
}

TEST_CASE("xgrad train: a --save symlink loop is refused before training", "[cli]") {
  if (!have_cli()) return;
  std::remove("t_cli_loop1");
  std::remove("t_cli_loop2");
  REQUIRE(::symlink("t_cli_loop2", "t_cli_loop1") == 0);
  REQUIRE(::symlink("t_cli_loop1", "t_cli_loop2") == 0);
  const Run r = run("train --dataset xor --epochs 1 --save t_cli_loop1");
  require_one_line_error(r, 4, "--save: cannot write 't_cli_loop1': Too many levels of symbolic");
  REQUIRE_THAT(r.out, !Catch::Contains("final"));
  std::remove("t_cli_loop1");
  std::remove("t_cli_loop2");
}

TEST_CASE("xgrad: a failed write to standard output is an output error, exit 4", "[cli]") {
  if (!have_cli() || !exists("/dev/full")) return;
  const std::string out = "cannot write to standard output: No space left on device";
  require_one_line_error(run("list > /dev/full"), 4, out);  // larger than stdout's buffer
  // A few bytes: they stay in the buffer until the exit.
  require_one_line_error(run("train --dataset xor --epochs 1 --quiet > /dev/full"), 4, out);
}

TEST_CASE("xgrad train: past the file-size limit the save fails with a message, no temporary",
          "[cli]") {
  if (!have_cli()) return;
  // The 64,64 network's 4482 float parameters (about 18 KB) pass `ulimit -f 8` (at most 8 KiB).
  const Run r =
      run_with_env("ulimit -f 8;", "train --dataset xor --epochs 1 --save t_cli_fsz.safetensors");
  require_one_line_error(r, 4,
                         "--save: safetensors: 't_cli_fsz.safetensors': write failed: File "
                         "too large");
  REQUIRE(!exists("t_cli_fsz.safetensors"));
  REQUIRE(!exists(".t_cli_fsz.safetensors.xgrad-tmp"));
}

TEST_CASE("xgrad eval: model-file data settings are checked as the file's, exit 3", "[cli]") {
  if (!have_cli()) return;
  const std::string model = "t_cli_meta2.safetensors";
  xg::io::Metadata md;
  const auto tensors =
      trained_model("--dataset spiral --samples 30 --hidden 8 --epochs 1", model, md);
  auto bad = md;
  bad["xgrad.data.samples"] = "10000000";  // x 3 classes: 30000000 > the limit 10000000
  xg::io::save(tensors, "t_cli_bad2.safetensors", bad);
  require_one_line_error(run("eval --model t_cli_bad2.safetensors"), 3,
                         "t_cli_bad2.safetensors: metadata 'xgrad.data.samples': '10000000': "
                         "30000000 samples in all");
  TempFile csv("t_cli_meta2.csv", flowers());
  const auto csv_tensors =
      trained_model("--csv t_cli_meta2.csv --target species --epochs 1", model, md);
  const std::pair<std::string, std::string> cases[] = {
      {"xgrad.data.delimiter", "x"}, {"xgrad.data.header", "yes"}, {"xgrad.data.stratify", "1"}};
  for (const auto& [key, value] : cases) require_eval_refuses(csv_tensors, md, key, value);
  std::remove("t_cli_bad2.safetensors");
  std::remove(model.c_str());
}

TEST_CASE("xgrad train --csv: a file beginning with two BOMs is refused by place, exit 3",
          "[cli]") {
  if (!have_cli()) return;
  // One BOM is skipped; the second stayed in the first name: "no column named 'id'" while the
  // message listed a column that looked like 'id'.
  TempFile csv("t_cli_bom2.csv", "\xEF\xBB\xBF\xEF\xBB\xBF" + flowers());
  require_one_line_error(run("train --csv t_cli_bom2.csv --target species --ignore id"), 3,
                         "t_cli_bom2.csv:1: column 1: the file begins with two UTF-8 byte order "
                         "marks (EF BB BF EF BB BF)");
}

namespace {

// Overwrites every step count ("optimizer.state.<i>.step") of the checkpoint `path` with
// `count`, in the tensor's own dtype (F64; F32 in older files), on a little-endian host; returns
// the counts it held.
std::vector<double> set_steps(const std::string& path, double count) {
  const xg::io::FileInfo info = xg::io::inspect(path);
  std::string bytes = read_file(path);
  std::uint64_t header = 0;
  for (int b = 7; b >= 0; --b) header = header << 8 | static_cast<unsigned char>(bytes[b]);
  std::vector<double> before;
  for (const auto& t : info.tensors) {
    const std::string& n = t.name;
    if (n.rfind("optimizer.state.", 0) != 0 || n.size() < 5 || n.substr(n.size() - 5) != ".step")
      continue;
    char* at = &bytes[8 + header + t.begin];
    if (t.dtype == "F64") {
      double v;
      std::memcpy(&v, at, 8);
      before.push_back(v);
      std::memcpy(at, &count, 8);
    } else {
      float v, c = float(count);
      std::memcpy(&v, at, 4);
      before.push_back(v);
      std::memcpy(at, &c, 4);
    }
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return before;
}

}  // namespace

TEST_CASE("xgrad train --resume: past 2^24 optimizer steps the checkpoint is still written",
          "[cli]") {
  if (!have_cli()) return;
  // 40 rows, batch 20: 2 steps per epoch; after 2 epochs each parameter has taken 4.
  const std::string run2 =
      "train --dataset xor --samples 40 --test-fraction 0 --batch 20 --hidden 4 --quiet ";
  REQUIRE(run(run2 + "--epochs 2 --checkpoint t_cli_steps.st").code == 0);
  REQUIRE(set_steps("t_cli_steps.st", 16777215) == std::vector<double>(4, 4));  // 2^24 - 1
  // One more epoch: 16777215 + 2 = 16777217 = 2^24 + 1, which no float holds.
  const Run r = run("train --resume t_cli_steps.st --epochs 3 --checkpoint t_cli_steps2.st");
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(set_steps("t_cli_steps2.st", 0) == std::vector<double>(4, 16777217));

  // 2^53 - 1 = 9007199254740991 steps: 2 more pass 2^53, so the checkpoint could not be
  // written: refused before training. Without --checkpoint the run may train.
  set_steps("t_cli_steps.st", 9007199254740991.0);
  require_one_line_error(
      run("train --resume t_cli_steps.st --epochs 3 --checkpoint t_cli_steps3.st"), 3,
      "--resume: 't_cli_steps.st' has taken 9007199254740991 steps, and 1 more epochs of 2 steps "
      "would pass 2^53 = 9007199254740992, the most steps a checkpoint holds exactly");
  REQUIRE(!exists("t_cli_steps3.st"));
  REQUIRE(run("train --resume t_cli_steps.st --epochs 3 --save t_cli_steps.safetensors").code == 0);
  // 2^53 itself: no step from there could be saved; the load refuses it.
  set_steps("t_cli_steps.st", 9007199254740992.0);
  require_one_line_error(run("train --resume t_cli_steps.st --epochs 3"), 3,
                         "--resume: checkpoint 't_cli_steps.st': tensor 'optimizer.state.0.step' "
                         "holds 9007199254740992 steps: a checkpoint resumes from fewer than 2^53");
  for (const char* f : {"t_cli_steps.st", "t_cli_steps2.st", "t_cli_steps.safetensors"})
    std::remove(f);
}

namespace {

// Sanitizer builds reserve terabytes of shadow address space: they cannot start under `ulimit -v`.
bool address_limits_work() {
#ifdef XGRAD_ASAN
  const bool sanitized = true;
#else
  const bool sanitized = false;
#endif
  if (sanitized) WARN("a sanitizer build cannot run under ulimit -v: skipping");
  return !sanitized;
}

}  // namespace

TEST_CASE("xgrad: trains in a 30 MB address space, with --threads 2 too", "[cli]") {
  if (!have_cli() || !address_limits_work()) return;
  // xgrad links no library that reserves memory or starts threads when it loads (OpenBLAS did:
  // the command line then needed about 58 MB); 12 MB was enough when this was written.
  for (const char* threads : {"1", "2"}) {
    INFO("threads: " << threads);
    const Run r = run_shell("ulimit -v 30000; /usr/bin/timeout 30 '" + cli_path() +
                            "' train --dataset xor --hidden 8 --epochs 2 --threads " + threads);
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    REQUIRE(r.code == 0);
    REQUIRE_THAT(r.out, Catch::Contains("2 epochs"));
  }
}

TEST_CASE("xgrad: under an address-space limit an allocation failure exits, exit 1, no hang",
          "[cli]") {
  if (!have_cli() || !address_limits_work()) return;
  // 120,000 KiB: the process loads and starts, and the pool's worker with --threads 2 too. The
  // 9000 x 9000 weight: 81,000,000 floats, 324,000,000 bytes, asked of the system as its
  // size class, 2^28 + 2^26 = 335,544,320 bytes (0.3125 GiB; classes: 2^e + k 2^(e-2)).
  const std::string message = "cannot allocate 335544320 bytes (0.3 GiB): out of memory";
  for (const char* threads : {"", " --threads 2"}) {
    INFO("threads:" << threads);
    const Run r = run_shell("ulimit -v 120000; /usr/bin/timeout 30 '" + cli_path() +
                            "' train --dataset xor --hidden 9000,9000 --epochs 1" + threads);
    require_one_line_error(r, 1, message);
  }
}

TEST_CASE("xgrad: a thread that cannot start is exit 1 with a message; one thread needs none",
          "[cli]") {
  if (!have_cli() || !address_limits_work()) return;
  // A new thread's stack is `ulimit -s` (here 1,000,000 KiB, reserved whole) and cannot fit in
  // an address space of 900,000 KiB; the main thread's stack grows on demand and still fits.
  // xgrad links no library that starts threads of its own when it loads.
  const std::string limits = "ulimit -s 1000000; ulimit -v 900000; /usr/bin/timeout 60 '";
  const std::string args = "' train --dataset spiral --samples 20000 --batch 4096 --epochs 1";
  const Run two = run_shell(limits + cli_path() + args + " --threads 2");
  require_one_line_error(two, 1, "cannot start a thread: Resource temporarily unavailable");
  REQUIRE_THAT(two.err, Catch::Contains("--threads 1"));
  const Run one = run_shell(limits + cli_path() + args + " --threads 1");
  INFO("stdout:\n" << one.out << "\nstderr:\n" << one.err);
  REQUIRE(one.code == 0);
  REQUIRE(one.err.empty());
  REQUIRE_THAT(one.out, Catch::Contains("final"));
}
