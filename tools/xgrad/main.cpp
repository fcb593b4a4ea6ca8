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

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <string>
#include <system_error>

#include <xgrad/detail/sanitizer.hpp>
#ifdef XGRAD_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#include <xgrad/core/allocator.hpp>

#include "app.hpp"

using namespace xgcli;

namespace {

// One line per error, control characters escaped: the message may quote a file's content. So is
// U+FEFF (a byte order mark in mid-file, bytes EF BB BF), as \ufeff: invisible, it made a name or
// a value in a message look like another one ("'red' is not a category ... (…, red)").
int fail(const char* what, int code) {
  std::fflush(stdout);
  std::string line;
  for (const char* c = what; *c; ++c) {
    if (std::strncmp(c, "\xEF\xBB\xBF", 3) == 0) {
      line += "\\ufeff";
      c += 2;
    } else {
      line += *c == '\n'   ? std::string("\\n")
              : *c == '\r' ? std::string("\\r")
                           : std::string(1, *c);
    }
  }
  fmt::print(stderr, "xgrad: error: {}\n", line);
  return code;
}

// A failed write to stdout (a full disk, a closed pipe's reader gone) loses the command's result:
// it is an output error, exit 4, not a success nor an input error. `err`: the errno seen.
int stdout_failed(int err) {
  const std::string what =
      "cannot write to standard output: " + std::string(std::strerror(err ? err : EIO));
  std::clearerr(stdout);
  return fail(what.c_str(), 4);
}

// The result is only delivered once stdout's buffer reached the file: flush and check.
int finish(int code) {
  errno = 0;
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return code;
  return code != 0 ? code : stdout_failed(errno);  // an earlier error says more
}

int run(CommandLine& cli, int argc, char** argv) {
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
  } catch (const xg::AllocationError& e) {  // its message names the size asked for
    const std::string what = e.what();      // "xgrad: cannot allocate ...": fail adds the prefix
    return fail(what.rfind("xgrad: ", 0) == 0 ? what.c_str() + 7 : what.c_str(), 1);
  } catch (const std::bad_alloc&) {
    return fail("out of memory", 1);
  } catch (const std::system_error& e) {  // fmt::print failing on a full or broken stdout
    if (std::ferror(stdout)) return stdout_failed(e.code().value());
    // std::thread's constructor (xgrad's pool starting its workers): out of memory for the
    // thread's stack, or past the process limit. Not the input's fault.
    if (e.code() == std::errc::resource_unavailable_try_again &&
        !dynamic_cast<const std::filesystem::filesystem_error*>(&e))
      return fail(fmt::format("cannot start a thread: {} (a memory, stack or process limit: "
                              "ulimit -v, -s, -u); --threads 1 needs no other thread",
                              e.code().message())
                      .c_str(),
                  1);
    return fail(e.what(), 3);
  } catch (const std::runtime_error& e) {  // a CSV or model file problem (InputError included)
    return fail(e.what(), 3);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}

// Ends the process once the command's objects are gone and its output is flushed, without static
// destructors or the libraries' exit handlers: a library's handler that waits for a thread it
// started (one stuck in a failing allocation under `ulimit -v`, say) would hang the process after
// it has reported its result or error. Nothing of xgrad's needs a static destructor: files are
// written and closed before this, and the thread pool and the allocator's caches only free
// memory.
[[noreturn]] void leave(int code) {
  std::fflush(nullptr);
#ifdef XGRAD_ASAN
  __lsan_do_leak_check();  // LeakSanitizer's own check runs from an exit handler too
#endif
  std::_Exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  // Past `ulimit -f` a write then fails with EFBIG and takes the error path (message, exit 4,
  // temporary file removed) instead of the signal killing the process silently.
  std::signal(SIGXFSZ, SIG_IGN);
  int code = 0;
  {
    CommandLine cli;
    code = finish(run(cli, argc, argv));
  }
  leave(code);
}
