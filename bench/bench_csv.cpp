// xgrad_bench_csv: how fast a large numeric CSV loads and how much memory it takes.
//
//   xgrad_bench_csv --write FILE [--rows 1000000] [--cols 20]   # a seeded table, 6 significant
//   digits xgrad_bench_csv --read FILE [--as table|dataset]            # one measurement per
//   process
//
// --read prints one JSON line: wall seconds, the file size, the float data's size
// (rows × cols × 4 bytes) and the process's peak resident memory (getrusage) before and after
// loading. `table` is read_csv (typed columns); `dataset` is load_csv (the [N, cols-1] feature
// tensor and the target), which holds the table and the tensor at once for a moment.
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <xgrad/core/random.hpp>
#include <xgrad/data/datasets.hpp>

namespace {

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

int write_table(const std::string& path, std::size_t rows, std::size_t cols) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    fmt::print(stderr, "cannot write {}\n", path);
    return 1;
  }
  for (std::size_t c = 0; c < cols; ++c) fmt::print(f, "{}c{}", c ? "," : "", c);
  fmt::print(f, "\n");
  xg::Generator g(1);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) fmt::print(f, "{}{:.6g}", c ? "," : "", g.normal());
    fmt::print(f, "\n");
  }
  return std::fclose(f) == 0 ? 0 : 1;
}

// The name of the last column of the header: the target (regression: continuous values).
std::string last_column(const std::string& path) {
  std::ifstream in(path);
  std::string header;
  std::getline(in, header);
  return header.substr(header.rfind(',') + 1);
}

int read_table(const std::string& path, const std::string& as) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    fmt::print(stderr, "no file {} (write it with --write)\n", path);
    return 1;
  }
  const std::string target = as == "dataset" ? last_column(path) : "";
  const double rss_before = peak_rss_mb();
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t rows = 0, cols = 0;
  if (as == "table") {
    const auto t = xg::data::read_csv(path);
    rows = t.rows(), cols = t.columns.size();
  } else {
    const auto d = xg::data::load_csv(path, target, xg::data::Task::Regression);
    rows = d.size(), cols = d.x.size(1) + 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print(
      "{{\"bench\":\"csv\",\"as\":\"{}\",\"rows\":{},\"cols\":{},\"file_mb\":{:.1f},"
      "\"data_mb\":{:.1f},\"seconds\":{:.3f},\"rss_before_mb\":{:.1f},\"peak_rss_mb\":{:.1f}}}\n",
      as, rows, cols, double(st.st_size) / 1e6, double(rows * cols * 4) / 1e6, seconds, rss_before,
      peak_rss_mb());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string write, read, as = "table";
  std::size_t rows = 1'000'000, cols = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--write")
      write = value;
    else if (flag == "--read")
      read = value;
    else if (flag == "--as")
      as = value;
    else if (flag == "--rows")
      rows = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--cols")
      cols = std::strtoull(value.c_str(), nullptr, 10);
    else {
      fmt::print(stderr, "unknown flag {}\n", flag);
      return 2;
    }
  }
  if (!write.empty()) return write_table(write, rows, cols);
  if (!read.empty() && (as == "table" || as == "dataset")) return read_table(read, as);
  fmt::print(stderr,
             "usage: xgrad_bench_csv --write FILE [--rows N] [--cols C] | --read FILE "
             "[--as table|dataset]\n");
  return 2;
}
