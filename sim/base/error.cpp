#include "sim/base/error.h"

#include <utility>

#include "sim/base/format.h"

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

std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    const long cp = next_code_point(text, i);
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp < 0 || cp < 0x20 || cp == 0x7F) {  // a control, or a byte that is not UTF-8
      const auto v = static_cast<unsigned char>(text[start]);
      out += "\\x";
      out += hex[v >> 4];
      out += hex[v & 0xF];
    } else if (is_invisible_control(cp)) {  // C1, bidirectional controls, BOM: \uXXXX
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 0xF];
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

namespace {

std::string build_what(const Location& where, const std::string& message) {
  const std::string place = printable(to_string(where));
  if (place.empty()) return printable(message);
  return place + ": " + printable(message);
}

}  // namespace

ScenarioError::ScenarioError(Location where, const std::string& message)
    : std::runtime_error(build_what(where, message)), where_(std::move(where)), message_(message) {}

ScenarioErrors::ScenarioErrors(std::vector<ScenarioError> errors, bool stopped_at_limit)
    : ScenarioError(errors.at(0).where(), errors.at(0).message()), errors_(std::move(errors)) {
  for (const auto& e : errors_) text_ += std::string(text_.empty() ? "" : "\n") + e.what();
  if (errors_.size() > 1)
    text_ += "\n" + std::to_string(errors_.size()) + " errors" + (stopped_at_limit ? ", stopped at that many" : "");
}

}  // namespace switchcost::sim
