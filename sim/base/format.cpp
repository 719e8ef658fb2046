#include "sim/base/format.h"

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

std::string format_count(double x) {
  if (!std::isfinite(x)) return "n/a";
  const double r = std::fabs(std::round(x));
  if (r >= 1e21) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", r);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", r);  // exact digits of an integer-valued double
  const std::string digits = buf;
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

std::size_t text_width(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    next_code_point(s, i);
    ++n;
  }
  return n;
}

std::string pad_left(const std::string& s, std::size_t width, std::size_t gap) {
  const std::size_t w = text_width(s);
  return std::string(w + gap > width ? gap : width - w, ' ') + s;
}

std::string pad_right(const std::string& s, std::size_t width) {
  const std::size_t w = text_width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

long next_code_point(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  std::size_t len = 0;
  long cp = 0, min = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    ++i;
    return -1;
  }
  if (i + len > s.size()) {
    ++i;
    return -1;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char t = byte(i + k);
    if ((t & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (t & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += len;
  return cp;
}

bool is_invisible_control(long cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

std::string csv_field(std::string_view s) {
  bool quote = !s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                              s[0] == '\r' || s[0] == ' ');
  const bool formula = quote && s[0] != ' ';
  bool valid = true;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == ',' || c == '"' || c == '\n' || c == '\r') quote = true;
    if (next_code_point(s, i) < 0) valid = false;
  }
  if (!quote && valid) return std::string(s);
  std::string out;
  out.reserve(s.size() + 4);
  if (quote) out += '"';
  if (formula) out += '\'';
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const long cp = next_code_point(s, i);
    if (cp < 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
    } else if (cp == '"') {
      out += "\"\"";
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  if (quote) out += '"';
  return out;
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
  out_->put(bracket);
  first_ = true;
  return *this;
}

Json& Json::close(char bracket) {
  out_->put(bracket);
  first_ = false;
  return *this;
}

Json& Json::value(const std::string& key, double x) {
  field(key);
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  out_->write(buf, res.ptr - buf);
  return *this;
}

Json& Json::value(const std::string& key, std::uint64_t x) {
  field(key);
  *out_ << x;
  return *this;
}

Json& Json::value(const std::string& key, bool x) {
  field(key);
  *out_ << (x ? "true" : "false");
  return *this;
}

Json& Json::value(const std::string& key, const std::string& s) {
  field(key);
  quote(s);
  return *this;
}

Json& Json::null(const std::string& key) {
  field(key);
  *out_ << "null";
  return *this;
}

void Json::field(const std::string& key) {
  if (!first_) out_->put(',');
  first_ = false;
  if (!key.empty()) {
    quote(key);
    out_->put(':');
  }
}

void Json::quote(const std::string& s) {
  std::string q;
  q.reserve(s.size() + 2);
  q += '"';
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t start = i;
    const long cp = next_code_point(s, i);
    if (cp == '"' || cp == '\\') {
      q += '\\';
      q += char(cp);
    } else if (cp < 0) {
      q += "\\ufffd";  // not UTF-8: the replacement character
    } else if (is_invisible_control(cp)) {
      char buf[24];
      std::snprintf(buf, sizeof buf, "\\u%04lx", cp);
      q += buf;
    } else {
      q.append(s, start, i - start);
    }
  }
  q += '"';
  *out_ << q;
}


}  // namespace switchcost::sim
