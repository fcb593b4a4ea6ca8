// Atomic file replacement: a fixed, locked temporary next to the target, then rename.
#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace xg::io::detail {
namespace {

constexpr int kMaxSymlinks = 40;  // Linux's own limit (ELOOP)
constexpr const char* kTempSuffix = ".xgrad-tmp";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(fmt::format("'{}': {}", path, what));
}
[[noreturn]] void fail_errno(const std::string& path, const std::string& what, int err) {
  fail(path, fmt::format("{}: {}", what, std::strerror(err)));
}

std::string dirname_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}
std::string basename_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// FNV-1a: a stable short tag for a long name (collisions only cost two targets one temp name,
// which the lock makes them share safely).
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// ".<name>.xgrad-tmp", shortened to the directory's name limit with a hash of the full name.
std::string temp_path(const std::string& dir, const std::string& name) {
  const long limit = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  const std::size_t name_max = limit > 0 ? std::size_t(limit) : NAME_MAX;
  std::string tmp = "." + name + kTempSuffix;
  if (tmp.size() > name_max) {
    const std::string tag = fmt::format(".{:016x}", fnv1a(name));
    const std::size_t keep = name_max - 1 - tag.size() - std::strlen(kTempSuffix);
    tmp = "." + name.substr(0, keep) + tag + kTempSuffix;
  }
  return dir == "." ? tmp : (dir == "/" ? "/" : dir + "/") + tmp;
}

// The temporary file, created or reused, locked, empty. The lock is what lets a later save
// reuse a file a killed one left behind (the kernel dropped its lock), and makes a concurrent
// save to the same target wait instead of writing into the same file.
int open_locked_temp(const std::string& path, const std::string& tmp) {
  for (;;) {
    // O_NOFOLLOW: never write through a symlink planted under the temporary's name.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) fail_errno(path, fmt::format("cannot create the temporary file '{}'", tmp), errno);
    int r;
    while ((r = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (r != 0) {
      const int err = errno;
      ::close(fd);
      fail_errno(path, fmt::format("cannot lock the temporary file '{}'", tmp), err);
    }
    // While we waited, the previous holder may have renamed this file over the target: then the
    // name now means another file (or none) and we start again with a fresh one.
    struct stat mine {
    }, named{};
    if (::fstat(fd, &mine) == 0 && ::lstat(tmp.c_str(), &named) == 0 &&
        mine.st_dev == named.st_dev && mine.st_ino == named.st_ino) {
      if (::ftruncate(fd, 0) != 0) {
        const int err = errno;
        ::close(fd);
        fail_errno(path, fmt::format("cannot truncate the temporary file '{}'", tmp), err);
      }
      return fd;
    }
    ::close(fd);
  }
}

// 0, or the errno of the failed write.
int write_all(int fd, const unsigned char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t w = ::write(fd, data, std::min<std::size_t>(size, std::size_t(1) << 30));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    data += w;
    size -= std::size_t(w);
  }
  return 0;
}

}  // namespace

std::string resolve_symlinks(const std::string& path) {
  std::string p = path;
  for (int hops = 0;; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) return p;  // a new file (possibly the target of a dangling link)
      fail_errno(path, fmt::format("cannot inspect '{}'", p), errno);
    }
    if (!S_ISLNK(st.st_mode)) return p;
    if (hops == kMaxSymlinks)
      fail(path, fmt::format("more than {} levels of symbolic links", kMaxSymlinks));
    char target[PATH_MAX];
    const ssize_t n = ::readlink(p.c_str(), target, sizeof target);
    if (n < 0 || std::size_t(n) == sizeof target)
      fail_errno(path, fmt::format("cannot read the symbolic link '{}'", p),
                 n < 0 ? errno : ENAMETOOLONG);
    const std::string link(target, std::size_t(n));
    p = link.front() == '/' ? link : dirname_of(p) + "/" + link;
  }
}

static void write_unprefixed(const std::string& path, const void* data, std::size_t size) {
  const std::string target = resolve_symlinks(path);
  const std::string name = basename_of(target), dir = dirname_of(target);
  if (name.empty() || name == "." || name == "..") fail(path, "names a directory, not a file");
  struct stat st {};
  const bool exists = ::stat(target.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) fail(path, "is a directory");
  if (exists && !S_ISREG(st.st_mode))
    fail(path, "exists and is not a regular file (a FIFO, socket or device): not replacing it");
  const std::string tmp = temp_path(dir, name);
  const int fd = open_locked_temp(path, tmp);
  const auto abort_with = [&](const std::string& step, int err) {
    ::unlink(tmp.c_str());
    ::close(fd);
    fail_errno(path, step, err);
  };
  if (::fchmod(fd, exists ? st.st_mode & 07777 : 0644) != 0)
    abort_with("setting the permissions of the new file failed", errno);
  if (const int err = write_all(fd, static_cast<const unsigned char*>(data), size))
    abort_with("write failed", err);
  if (::fsync(fd) != 0) abort_with("fsync failed", errno);
  // Renamed while still locked: a save waiting for the lock then sees the name gone and starts
  // a fresh temporary instead of truncating the file that just became the target.
  if (::rename(tmp.c_str(), target.c_str()) != 0)
    abort_with(fmt::format("rename from '{}' failed", tmp), errno);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // make the rename itself durable; best effort
    ::fsync(dfd);
    ::close(dfd);
  }
  ::close(fd);  // the data is already durable (fsync succeeded): nothing left to report
}

void write_file_atomically(const std::string& path, const void* data, std::size_t size,
                           const char* writer) {
  try {
    write_unprefixed(path, data, size);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("{}: {}", writer, e.what()));
  }
}

}  // namespace xg::io::detail
