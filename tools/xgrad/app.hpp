// The `xgrad` command line as one object: every command and option registered on a CLI11 app.
// main() parses and runs it; the command-line fuzz target (tests/fuzz/fuzz_cli.cpp) parses and
// checks it without running anything.
#pragma once

#include <CLI/CLI.hpp>

#include <vector>

#include "cli.hpp"

namespace xgcli {

class CommandLine {
 public:
  CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Reads argv into the options. Throws CLI::ParseError (--help and --version too, with exit
  // code 0: app().exit(e) prints them) or UsageError for a value a flag's parser refuses.
  void parse(int argc, const char* const* argv);
  // The checks the parsed command makes before it reads a file or any data: options against each
  // other, the dataset, activation, parameters, schedule and widths. Throws UsageError, or
  // std::invalid_argument from a library check.
  void check();
  // Runs the parsed command; returns its exit code (0), or throws the errors of cli.hpp.
  int run();

  CLI::App& app() { return app_; }

 private:
  CLI::App app_;
  std::vector<Subcommand> commands_;
};

}  // namespace xgcli
