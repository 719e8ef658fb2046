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

std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    // C1 controls U+0080..U+009F are 0xC2 0x80..0x9F in UTF-8.
    const bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F || c1) {
      const unsigned char v = c1 ? static_cast<unsigned char>(text[++i]) : c;
      out += c1 ? "\\u00" : "\\x";
      out += hex[v >> 4];
      out += hex[v & 0xF];
    } else {
      out += static_cast<char>(c);
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

}  // namespace switchcost::sim
