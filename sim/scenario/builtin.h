// Scenario files embedded in the binary at build time (cmake/EmbedScenarios.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace switchcost::sim {

struct BuiltinFile {
  std::string_view path;  // relative to scenarios/, e.g. "kaspersky-2024/msp-350.yaml"
  std::string_view text;
};

// Every embedded file, sorted by path.
const std::vector<BuiltinFile>& builtin_files();

// Prefix that names an embedded file in an include or on the command line.
inline constexpr std::string_view builtin_prefix = "builtin:";
// The scenario `switchcost run` uses when given no file.
inline constexpr std::string_view default_scenario = "builtin:kaspersky-2024/msp-350.yaml";

}  // namespace switchcost::sim
