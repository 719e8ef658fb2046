#include "sim/error.h"

#include <utility>

namespace switchcost::sim {

std::string to_string(const Location& where) {
  if (where.line <= 0) return where.file;
  std::string out = where.file;
  out += ':';
  out += std::to_string(where.line);
  if (where.column > 0) {
    out += ':';
    out += std::to_string(where.column);
  }
  return out;
}

namespace {

std::string build_what(const Location& where, const std::string& message) {
  const std::string place = to_string(where);
  if (place.empty()) return message;
  return place + ": " + message;
}

}  // namespace

ScenarioError::ScenarioError(Location where, const std::string& message)
    : std::runtime_error(build_what(where, message)), where_(std::move(where)), message_(message) {}

}  // namespace switchcost::sim
