#include "sim/scenario/builtin.h"

#include <algorithm>

#include "sim/scenario/yaml_reader.h"

namespace switchcost::sim {
namespace {

std::string_view without_prefix(std::string_view name) {
  return name.substr(0, builtin_prefix.size()) == builtin_prefix ? name.substr(builtin_prefix.size()) : name;
}

}  // namespace

const BuiltinFile* find_builtin_file(std::string_view name) {
  name = without_prefix(name);
  const auto& files = builtin_files();
  const auto it = std::find_if(files.begin(), files.end(), [&](const BuiltinFile& f) { return f.path == name; });
  return it == files.end() ? nullptr : &*it;
}

std::string suggest_builtin_file(std::string_view name) {
  name = without_prefix(name);
  if (name.empty()) return "";
  const BuiltinFile* by_suffix = nullptr;
  int suffix_matches = 0;
  std::vector<std::string_view> paths;
  for (const auto& f : builtin_files()) {
    paths.push_back(f.path);
    if (f.path.size() > name.size() && f.path.substr(f.path.size() - name.size()) == name &&
        f.path[f.path.size() - name.size() - 1] == '/') {
      by_suffix = &f;
      ++suffix_matches;
    }
  }
  if (suffix_matches == 1) return std::string(by_suffix->path);
  return suggest(name, paths);
}

}  // namespace switchcost::sim
