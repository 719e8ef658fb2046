// Text formatting shared by the reports: numbers that read back exactly,
// money, padding, and a minimal JSON writer.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "sim/summary.h"

namespace switchcost::sim {

// Shortest text that reads back as the same double (std::to_chars): the
// same bytes on every run.
std::string number(double x);
// 1234567 -> "1,234,567" (the sign is dropped; callers add it).
std::string grouped(long long whole);
// printf("%.*f")
std::string fixed(double x, int decimals);
std::string pad_left(const std::string& s, std::size_t width);
std::string pad_right(const std::string& s, std::size_t width);
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

// Minimal JSON writer: objects and arrays with commas handled, strings
// escaped. Keys are "" inside arrays.
class Json {
 public:
  Json& open(const std::string& key, char bracket);
  Json& close(char bracket);
  Json& value(const std::string& key, double x);
  Json& value(const std::string& key, std::uint64_t x);
  Json& value(const std::string& key, bool x);
  Json& value(const std::string& key, const std::string& s);
  Json& value(const std::string& key, const char* s) { return value(key, std::string(s)); }
  Json& null(const std::string& key);
  // The document and a newline, copied once (a run of 10,000 MSPs writes 60 MB).
  std::string str() const {
    const std::string_view body = out_.view();
    std::string text;
    text.reserve(body.size() + 1);
    text.append(body).push_back('\n');
    return text;
  }

 private:
  void field(const std::string& key);
  void quote(const std::string& s);
  std::ostringstream out_;
  bool first_ = true;
};

// With n = 0 every statistic is null.
// {"n":..,"mean":..,"se":..,"sd":..,"min":..,"max":..,"cvar95":..,"p5":..,...,"ci95":{"p5":[lo,hi],...}}
void json_stats(Json& j, const std::string& key, const Stats& st);

}  // namespace switchcost::sim
