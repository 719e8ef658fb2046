#include "sim/format.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace switchcost::sim {

std::string number(double x) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, res.ptr);
}

std::string grouped(long long whole) {
  const std::string digits = std::to_string(whole < 0 ? -whole : whole);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

std::string pad_left(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string pad_right(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string format_money(double usd) {
  if (!(std::fabs(usd) < 1e15)) {  // beyond whole dollars a person can read: scientific
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s$%.6g", usd < 0 ? "-" : "", std::fabs(usd));
    return buf;
  }
  const long long whole = std::llround(usd);
  return std::string(whole < 0 ? "-$" : "$") + grouped(whole);
}

std::string format_error(double usd) {
  if (usd >= 9.995) return format_money(usd);
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.2f", usd);
  return buf;
}

std::string format_signed_money(double usd) {
  if (!(std::fabs(usd) < 1e15)) return (usd < 0 ? "" : "+") + format_money(usd);
  const long long whole = std::llround(usd);
  return std::string(whole < 0 ? "-$" : "+$") + grouped(whole);
}

std::string format_percent(double share, int decimals) { return fixed(100 * share, decimals) + "%"; }

std::string pct_key(double p) { return "p" + std::to_string(int(std::lround(p * 100))); }

Json& Json::open(const std::string& key, char bracket) {
  field(key);
  out_ << bracket;
  first_ = true;
  return *this;
}

Json& Json::close(char bracket) {
  out_ << bracket;
  first_ = false;
  return *this;
}

Json& Json::value(const std::string& key, double x) {
  field(key);
  out_ << number(x);
  return *this;
}

Json& Json::value(const std::string& key, std::uint64_t x) {
  field(key);
  out_ << x;
  return *this;
}

Json& Json::value(const std::string& key, bool x) {
  field(key);
  out_ << (x ? "true" : "false");
  return *this;
}

Json& Json::value(const std::string& key, const std::string& s) {
  field(key);
  quote(s);
  return *this;
}

Json& Json::null(const std::string& key) {
  field(key);
  out_ << "null";
  return *this;
}

void Json::field(const std::string& key) {
  if (!first_) out_ << ",";
  first_ = false;
  if (!key.empty()) {
    quote(key);
    out_ << ":";
  }
}

void Json::quote(const std::string& s) {
  out_ << '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out_ << '\\' << c;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out_ << buf;
    } else {
      out_ << c;
    }
  }
  out_ << '"';
}

void json_stats(Json& j, const std::string& key, const Stats& st) {
  j.open(key, '{');
  if (st.n == 0) {  // an interrupted run with no trial done: no numbers, not zeros
    j.value("n", st.n);
    for (const char* k : {"mean", "se", "sd", "min", "max", "cvar95"}) j.null(k);
    for (const auto& q : st.percentiles) j.null(pct_key(q.p));
    j.close('}');
    return;
  }
  j.value("n", st.n).value("mean", st.mean).value("se", st.se).value("sd", st.sd);
  j.value("min", st.min).value("max", st.max).value("cvar95", st.cvar95);
  for (const auto& q : st.percentiles) j.value(pct_key(q.p), q.value);
  j.open("ci95", '{');
  for (const auto& q : st.percentiles) {
    j.open(pct_key(q.p), '[');
    j.value("", q.lo).value("", q.hi);
    j.close(']');
  }
  j.close('}');
  j.close('}');
}

}  // namespace switchcost::sim
