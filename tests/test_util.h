// Helpers shared by the C++ tests.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "sim/engine/engine.h"

namespace switchcost::test {

// A fresh directory under $TMPDIR (or /tmp), removed by nobody: tests are short-lived.
inline std::string temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/switchcost-test-XXXXXX";
  if (!mkdtemp(pattern.data())) std::abort();
  return pattern;
}

// Writes text to dir/name and returns the path.
inline std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Run options for a test: `trials` trials with `seed` on `threads` threads
// (two by default, so that the threaded paths are exercised).
inline sim::RunOptions run_options(std::uint64_t trials, std::uint64_t seed, unsigned threads = 2) {
  sim::RunOptions o;
  o.trials = trials;
  o.seed = seed;
  o.threads = threads;
  return o;
}

// The include line that brings the shipped Kaspersky 2024 assumptions.
inline const char* shipped_assumptions =
    "include: [builtin:kaspersky-2024/timeline.yaml, builtin:kaspersky-2024/market.yaml,\n"
    "          builtin:kaspersky-2024/prices/list.yaml, builtin:kaspersky-2024/msp-defaults.yaml]\n";

}  // namespace switchcost::test
