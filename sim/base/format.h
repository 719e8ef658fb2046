// Text formatting shared by the reports: numbers that read back exactly,
// money, padding, and a minimal JSON writer.
#pragma once

#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>


namespace switchcost::sim {

// Shortest text that reads back as the same double (std::to_chars): the
// same bytes on every run.
std::string number(double x);
// 1234567 -> "1,234,567" (the sign is dropped; callers add it).
std::string grouped(long long whole);
// A count that may be huge or fractional (a mean of endpoints): rounded and
// grouped like grouped() below 1e21, "%.6g" beyond, "n/a" if not finite;
// never through a long long, which 10,000 MSPs of 1e15 endpoints overflow.
std::string format_count(double x);
// printf("%.*f")
std::string fixed(double x, int decimals);
// Table cells; widths count code points (UTF-8), not bytes. pad_left leaves
// at least `gap` spaces before the text, so that a cell wider than its column
// never runs into the one before it (the row gets wider instead); gap 0 only
// after a cell that always ends in a space.
std::string pad_left(const std::string& s, std::size_t width, std::size_t gap = 1);
std::string pad_right(const std::string& s, std::size_t width);
// Code points of UTF-8 text (an invalid byte counts as one).
std::size_t text_width(std::string_view s);

// One code point decoded from UTF-8 at s[i], advancing i; -1 (and one byte)
// for a byte that does not start a valid, shortest-form sequence of a
// Unicode scalar value (no surrogates, at most U+10FFFF).
long next_code_point(std::string_view s, std::size_t& i);
// Characters that can steer a terminal or reorder text without being seen:
// C0 and C1 controls, DEL, the bidirectional controls (U+200E/F, U+202A-E,
// U+2066-9), U+061C, U+FEFF and the line/paragraph separators U+2028/9.
bool is_invisible_control(long cp);
// A CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, or
// starts with a space, a tab or one of = + - @ (a spreadsheet would read it
// as a formula); a field so started is also prefixed with ' inside the
// quotes. Bytes that are not UTF-8 become U+FFFD. Other text is written as it is.
std::string csv_field(std::string_view s);
// "$12,345", "-$1,234": whole dollars with thousands separators.
std::string format_money(double usd);
// A standard error: whole dollars from $10 up, cents below, so a small but
// non-zero error does not read as "$0".
std::string format_error(double usd);
// "+$1,234" / "-$1,234"
std::string format_signed_money(double usd);
// "12.3%"
std::string format_percent(double share, int decimals = 1);
// Percentile key: 0.95 -> "p95".
std::string pct_key(double p);

// The text a stream renderer writes: the string forms of the reports (for
// tests and small outputs), one definition for all of them.
template <class Result>
std::string render_to_string(void (*render)(const Result&, std::ostream&), const Result& result) {
  std::ostringstream out;
  render(result, out);
  return out.str();
}

// Minimal JSON writer into a stream: objects and arrays with commas handled,
// strings escaped (quotes, backslashes and the characters is_invisible_control
// names as \uXXXX; bytes that are not UTF-8 as U+FFFD, so the document is
// always valid UTF-8). Keys are "" inside arrays. The caller checks the
// stream's state when done; without a stream, the text is kept for str().
class Json {
 public:
  Json() : out_(&own_) {}
  explicit Json(std::ostream& out) : out_(&out) {}
  Json(const Json&) = delete;
  Json& operator=(const Json&) = delete;
  Json& open(const std::string& key, char bracket);
  Json& close(char bracket);
  Json& value(const std::string& key, double x);
  Json& value(const std::string& key, std::uint64_t x);
  Json& value(const std::string& key, bool x);
  Json& value(const std::string& key, const std::string& s);
  Json& value(const std::string& key, const char* s) { return value(key, std::string(s)); }
  Json& null(const std::string& key);
  // Ends the document with a newline.
  void finish() { *out_ << '\n'; }
  // The document and a newline (without a stream of the caller's only).
  std::string str() const { return own_.str() + "\n"; }

 private:
  void field(const std::string& key);
  void quote(const std::string& s);
  std::ostringstream own_;
  std::ostream* out_;
  bool first_ = true;
};


}  // namespace switchcost::sim
