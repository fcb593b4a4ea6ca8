// `xgrad`: train small MLPs on toy datasets or CSV tables, evaluate saved models, predict new
// tables, compare activations, show per-layer gradients, list what is available. See
// docs/data_io_cli.md. The commands and their options are registered in app.cpp.
//
//   xgrad train --csv iris.csv --target species --save iris.safetensors
//   xgrad predict --model iris.safetensors --csv new.csv --proba
//   xgrad eval --model iris.safetensors --csv labelled.csv
//   xgrad compare --dataset spiral --activations relu,tanh --seeds 3
//   xgrad gradients --depth 20 --activation sigmoid,relu
//   xgrad list
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <new>
#include <string>

#include "app.hpp"

using namespace xgcli;

namespace {

// One line per error, control characters escaped: the message may quote a file's content.
int fail(const char* what, int code) {
  std::fflush(stdout);
  std::string line;
  for (const char* c = what; *c; ++c)
    line += *c == '\n' ? std::string("\\n") : *c == '\r' ? std::string("\\r") : std::string(1, *c);
  fmt::print(stderr, "xgrad: error: {}\n", line);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine cli;
  try {
    cli.parse(argc, argv);
    return cli.run();
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.app().exit(e);  // --help, --version
    return fail(e.what(), 2);
  } catch (const UsageError& e) {
    return fail(e.what(), 2);
  } catch (const std::invalid_argument& e) {  // a library check of an option's value
    return fail(e.what(), 2);
  } catch (const OutputError& e) {
    return fail(e.what(), 4);
  } catch (const TrainingFailed& e) {
    return fail(e.what(), 5);
  } catch (const std::bad_alloc&) {
    return fail("out of memory", 1);
  } catch (const std::runtime_error& e) {  // a CSV or model file problem (InputError included)
    return fail(e.what(), 3);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}
