// Strict parsing of numeric flags, and the checks on files the command line reads and writes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "cli.hpp"
#include "xgrad/io/text_file.hpp"

namespace xgcli {

std::string shown(const std::string& text) {
  return text.size() > 40 ? text.substr(0, 40) + "..." : text;
}

namespace {

// "a number in [0, 1]", "a finite number > 0", "a finite number".
std::string range_text(double lo, double hi, bool lo_open, bool hi_open) {
  constexpr double kMax = std::numeric_limits<double>::max();
  if (hi == kMax && lo == -kMax) return "a finite number";
  if (hi == kMax) return fmt::format("a finite number {} {}", lo_open ? ">" : ">=", lo);
  return fmt::format("a number in {}{}, {}{}", lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]");
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The file a path finally names: a symlink is followed (writing replaces its target, not the
// link).
std::string resolved_target(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf)) return buf;
  }
  return path;
}

// Where a chain of symlinks ends (a new file's name when the last link dangles).
std::string link_target(std::string path) {
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    char buf[PATH_MAX];
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n <= 0) break;
    const std::string link(buf, std::size_t(n));
    path = link.front() == '/' ? link : directory_of(path) + "/" + link;
  }
  return path;
}

// What names a file for refuse_same_file: "dev:ino" of an existing file (symlinks followed),
// else the canonical directory plus the name (of the symlink's target when it dangles).
std::string file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return fmt::format("{}:{}", st.st_dev, st.st_ino);
  const std::string target = link_target(path);
  const auto slash = target.rfind('/');
  const std::string name = slash == std::string::npos ? target : target.substr(slash + 1);
  char dir[PATH_MAX];
  if (!::realpath(directory_of(target).c_str(), dir)) return target;
  return std::string(dir) + "/" + name;
}

}  // namespace

std::uint64_t parse_integer(const std::string& flag, const std::string& text, std::uint64_t lo,
                            std::uint64_t hi) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);  // digits only: no sign, no spaces
  if (text.empty() || ec != std::errc() || p != end || v < lo || v > hi)
    throw UsageError(
        fmt::format("{}: '{}' is not an integer in [{}, {}]", flag, shown(text), lo, hi));
  return v;
}

double parse_real(const std::string& flag, const std::string& text, double lo, double hi,
                  bool lo_open, bool hi_open) {
  double v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  const bool in_range =
      (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi) && !std::isnan(v);
  if (text.empty() || ec != std::errc() || p != end || !in_range ||
      (std::isinf(v) && !std::isinf(hi)))
    throw UsageError(
        fmt::format("{}: '{}' is not {}", flag, shown(text), range_text(lo, hi, lo_open, hi_open)));
  return v;
}

std::vector<std::size_t> parse_sizes(const std::string& text, const char* what) {
  std::vector<std::size_t> out;
  if (text == "none") return out;  // no hidden layer: a linear model
  std::size_t start = 0;
  while (true) {
    if (out.size() == xg::io::kMaxHiddenLayers)
      throw UsageError(fmt::format("{}: more than {} hidden layers in '{}'", what,
                                   xg::io::kMaxHiddenLayers, shown(text)));
    const std::size_t comma = std::min(text.find(',', start), text.size());
    out.push_back(
        parse_integer(what, text.substr(start, comma - start), 1, xg::io::kMaxLayerWidth));
    if (comma == text.size()) break;
    start = comma + 1;
  }
  return out;
}

std::map<std::string, double> parse_params(const std::vector<std::string>& kv) {
  std::map<std::string, double> out;
  for (const auto& item : kv) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(
          fmt::format("--act-param expects key=number (e.g. alpha=0.1), got '{}'", shown(item)));
    const std::string key = item.substr(0, eq);
    out[key] = parse_real("--act-param " + key, item.substr(eq + 1),
                          -std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
  }
  return out;
}

void require_regular_file(const std::string& path, const std::string& flag) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(fmt::format("{}: cannot open '{}': {}", flag, path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode))
    throw InputError(fmt::format("{}: '{}' is not a regular file ({})", flag, path,
                                 S_ISFIFO(st.st_mode)  ? "a FIFO"
                                 : S_ISDIR(st.st_mode) ? "a directory"
                                                       : "a device or socket"));
}

void check_writable(const std::string& path, const std::string& flag) {
  struct stat st {};
  // A symlink loop (or an unreadable link) would only fail at the write, after the work: a
  // dangling link is fine (the write creates its target).
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && ::stat(path.c_str(), &st) != 0 &&
      errno != ENOENT)
    throw OutputError(fmt::format("{}: cannot write '{}': {}", flag, path, std::strerror(errno)));
  const std::string target = resolved_target(path);
  if (::stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw OutputError(fmt::format("{}: '{}' is a directory", flag, path));
  const std::string dir = directory_of(target);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw OutputError(
        fmt::format("{}: cannot write '{}': directory '{}' does not exist", flag, path, dir));
  // The write itself is a new file in that directory then a rename: try creating one.
  std::string probe = dir + "/.xgrad-probe-XXXXXX";
  const int fd = ::mkstemp(probe.data());
  if (fd < 0)
    throw OutputError(fmt::format("{}: cannot write '{}': {}", flag, path, std::strerror(errno)));
  ::close(fd);
  ::unlink(probe.c_str());
}

void write_text_atomically(const std::string& path, const std::string& text) {
  try {
    xg::io::write_text_atomically(path, text);
  } catch (const std::runtime_error& e) {
    throw OutputError(e.what());  // "cannot write: 'out.csv': write failed: No space left ..."
  }
}

void refuse_same_file(const std::string& out, const std::string& out_flag, const std::string& in,
                      const std::string& in_flag) {
  if (out.empty() || in.empty() || file_identity(out) != file_identity(in)) return;
  throw UsageError(fmt::format(
      "{} '{}' is the same file as {} '{}': writing it would destroy {}; choose another name",
      out_flag, out, in_flag, in,
      in_flag == "--resume"       ? "the checkpoint being resumed"
      : in_flag == "--checkpoint" ? "the checkpoint"
                                  : "the input"));
}

std::string create_unique_file(const std::string& dir, const std::string& stem,
                               const std::string& suffix) {
  std::string path = dir + "/" + stem + "-XXXXXX" + suffix;
  // mkstemps opens with O_CREAT | O_EXCL: it never reuses an existing name or follows a link.
  const int fd = ::mkstemps(path.data(), int(suffix.size()));
  if (fd < 0) return "";
  ::close(fd);
  return path;
}

}  // namespace xgcli
