// libFuzzer target: the `xgrad` command line's parser (tools/xgrad/app.hpp). The input is split
// into arguments at NUL and newline bytes (a final empty one dropped, so that a seed file can end
// with a newline) and given, after "xgrad", to a fresh CommandLine: parse, then check (what the
// parsed command verifies before it reads a file or any data; nothing runs). Any argv must either
// pass or be refused with the errors the command line reports as a usage error (exit code 2):
// CLI::ParseError, UsageError, std::invalid_argument. --help and --version are rendered into a
// string. A crash, a sanitizer report, a leak, a hang or any other exception is a finding.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app.hpp"

namespace {

std::vector<std::string> arguments(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"xgrad"};
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = char(data[i]);
    if (c == '\0' || c == '\n') {
      args.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) args.push_back(std::move(current));
  return args;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> args = arguments(data, size);
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  xgcli::CommandLine cli;
  try {
    cli.parse(int(argv.size()), argv.data());
    cli.check();
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version: what main() prints
      std::ostringstream out, err;
      cli.app().exit(e, out, err);
    }
  } catch (const xgcli::UsageError&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
