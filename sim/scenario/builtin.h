// Scenario files embedded in the binary at build time (cmake/EmbedScenarios.cmake).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace switchcost::sim {

struct BuiltinFile {
  std::string_view path;  // relative to scenarios/, e.g. "kaspersky-2024/msp-350.yaml"
  std::string_view text;
};

// Every embedded file, sorted by path.
const std::vector<BuiltinFile>& builtin_files();

// The built-in file `name` names ("kaspersky-2024/market.yaml", with or
// without the "builtin:" prefix), or nullptr.
const BuiltinFile* find_builtin_file(std::string_view name);

// For a name that is no built-in file, the built-in path it most likely
// means: the one file whose path ends with "/name" ("msp-350.yaml" ->
// "kaspersky-2024/msp-350.yaml"), else the closest path by edit distance
// when close enough to be a typo (sim/scenario/yaml_reader.h, suggest);
// "" when none.
std::string suggest_builtin_file(std::string_view name);

// Prefix that names an embedded file in an include or on the command line.
inline constexpr std::string_view builtin_prefix = "builtin:";
// The scenario `switchcost run` uses when given no file.
inline constexpr std::string_view default_scenario = "builtin:kaspersky-2024/msp-350.yaml";

}  // namespace switchcost::sim
