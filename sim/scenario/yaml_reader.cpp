// The hardened YAML reader: a byte-level pre-scan, then yaml-cpp's event
// parser feeding our own tree builder, which enforces every rule listed in
// yaml_reader.h as the events arrive (so a limit stops the parse early,
// before yaml-cpp recurses any deeper or allocates any more).
#include "sim/scenario/yaml_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <istream>
#include <limits>
#include <new>
#include <streambuf>
#include <system_error>
#include <unordered_map>

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/emitterstyle.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace switchcost::sim {
namespace {

[[noreturn]] void fail(const Location& where, const std::string& message) {
  throw ScenarioError(where, message);
}

Location at_file(const std::string& file) { return Location{file, 0, 0}; }

int clamp_to_int(std::size_t n) {
  return n > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
}

bool is_continuation(unsigned char c) { return (c & 0xC0u) == 0x80u; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// User text inside a message: quoted, control characters escaped, long text
// cut (at a character boundary) so one bad value cannot flood the terminal.
std::string quote_text(std::string_view s) {
  constexpr std::size_t max_shown = 60;
  std::size_t n = std::min(s.size(), max_shown);
  // Do not cut a UTF-8 character in half: back off to its first byte.
  while (n < s.size() && n > 0 && is_continuation(static_cast<unsigned char>(s[n]))) --n;
  return "'" + printable(s.substr(0, n)) + (n < s.size() ? "..." : "") + "'";
}

std::string format_bytes(std::size_t n) {
  std::string out = std::to_string(n) + " bytes";
  if (n >= (std::size_t{1} << 20)) {
    const double mib = static_cast<double>(n) / static_cast<double>(std::size_t{1} << 20);
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, mib, std::chars_format::fixed, 1);
    std::string shown(buf, r.ptr);
    if (shown.size() > 2 && shown.compare(shown.size() - 2, 2, ".0") == 0) shown.resize(shown.size() - 2);
    out += " (" + shown + " MiB)";
  }
  return out;
}

std::string hex_code_point(std::uint32_t cp) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string digits;
  do {
    digits.insert(digits.begin(), hex[cp & 0xFu]);
    cp >>= 4;
  } while (cp != 0);
  while (digits.size() < 4) digits.insert(digits.begin(), '0');
  return "U+" + digits;
}

// ---------------------------------------------------------------------------
// Byte offsets -> 1-based line and column (in characters, not bytes; a line
// ends at '\n', as in yaml-cpp 0.7). Queries mostly move forward, so a cursor
// keeps the whole parse linear; `steps` counts the characters it goes over.

class Positions {
 public:
  Positions(std::string_view text, std::size_t& steps) : text_(text), steps_(steps) {}

  std::pair<int, int> at(std::size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < pos_) {
      // Backwards (rare: error marks). Step back over the newlines, then
      // recount this line's column from its start.
      for (std::size_t i = offset; i < pos_; ++i)
        if (text_[i] == '\n') --line_;
      const std::size_t nl = offset == 0 ? std::string_view::npos : text_.rfind('\n', offset - 1);
      const std::size_t line_start = nl == std::string_view::npos ? 0 : nl + 1;
      steps_ += (pos_ - offset) + 2 * (offset - line_start);
      col_ = 1;
      for (std::size_t i = line_start; i < offset; ++i)
        if (!is_continuation(static_cast<unsigned char>(text_[i]))) ++col_;
      pos_ = offset;
    }
    steps_ += offset - pos_;
    for (; pos_ < offset; ++pos_) {
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '\n') {
        ++line_;
        col_ = 1;
      } else if (!is_continuation(c)) {
        ++col_;
      }
    }
    return {clamp_to_int(line_), clamp_to_int(col_)};
  }

 private:
  std::string_view text_;
  std::size_t& steps_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  std::size_t col_ = 1;
};

// ---------------------------------------------------------------------------
// The pre-scan: encoding, characters, tabs in indentation, directives.

// Checks one line's bytes (without its '\n'): UTF-8, NUL, control
// characters, and CR anywhere but right before a '\n' (yaml-cpp 0.7 reads
// any other CR as part of the text).
void check_line_bytes(std::string_view ln, bool followed_by_newline, const std::string& file, int line) {
  int col = 1;
  std::size_t j = 0;
  const auto here = [&] { return Location{file, line, col}; };
  while (j < ln.size()) {
    const unsigned char c = static_cast<unsigned char>(ln[j]);
    if (c < 0x80) {
      if (c == 0) fail(here(), "NUL byte in the file (binary data?); a scenario file is UTF-8 text");
      if (c == '\r' && (j + 1 != ln.size() || !followed_by_newline))
        fail(here(),
             "carriage return (CR) without a line feed; save the file with LF or CRLF line endings");
      if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F)
        fail(here(), "control character " + hex_code_point(c) + " is not allowed in a YAML file");
      ++j;
      ++col;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min_cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
      min_cp = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
      min_cp = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
      min_cp = 0x10000;
    }
    bool ok = len != 0 && j + len <= ln.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(ln[j + k]);
      if (!is_continuation(cc)) ok = false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (ok && (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      static constexpr char hex[] = "0123456789ABCDEF";
      std::string byte = "0x";
      byte += hex[c >> 4];
      byte += hex[c & 0xF];
      fail(here(), "invalid UTF-8 (byte " + byte + "); save the file as UTF-8");
    }
    if ((cp >= 0x80 && cp <= 0x9F && cp != 0x85) || cp == 0xFFFE || cp == 0xFFFF)
      fail(here(), "control character " + hex_code_point(cp) + " is not allowed in a YAML file");
    j += len;
    ++col;
  }
}

// Whether a line (comment and trailing blanks aside) ends with a block scalar
// header: '|' or '>' with up to two indicators, after a blank or at the start.
bool ends_with_block_header(std::string_view ln) {
  for (std::size_t i = 1; i < ln.size(); ++i) {
    if (ln[i] == '#' && (ln[i - 1] == ' ' || ln[i - 1] == '\t')) {
      ln = ln.substr(0, i);
      break;
    }
  }
  while (!ln.empty() && (ln.back() == ' ' || ln.back() == '\t')) ln.remove_suffix(1);
  for (int m = 0; m < 2 && !ln.empty(); ++m) {
    const char c = ln.back();
    if (c == '+' || c == '-' || (c >= '1' && c <= '9'))
      ln.remove_suffix(1);
    else
      break;
  }
  if (ln.empty() || (ln.back() != '|' && ln.back() != '>')) return false;
  ln.remove_suffix(1);
  return ln.empty() || ln.back() == ' ' || ln.back() == '\t';
}

// What the pre-scan found, besides the errors it throws.
struct Prescanned {
  std::string_view text;  // the text to parse (without a UTF-8 BOM)
  // Offsets (in text) of each '#' that follows a character other than a
  // blank, before any comment on its line and outside block scalar lines.
  // YAML starts a comment only after a blank; yaml-cpp 0.7 also takes a '#'
  // right after a closing quote, a flow indicator or a block header as one.
  // The tree builder checks that each lies inside a scalar.
  std::vector<std::size_t> hashes;
  // Offsets of tabs on blank lines outside block scalars. YAML allows them;
  // yaml-cpp 0.7 refuses a tab at the start of a blank line as indentation,
  // so the parser gets a space there instead (a blank line reads the same).
  std::vector<std::size_t> blank_tabs;
};

// Returns the text to parse (without a UTF-8 BOM) and what the tree builder
// checks later, or throws.
Prescanned prescan(std::string_view text, const std::string& file) {
  Prescanned out;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const std::size_t n = text.size();
  if (n >= 3 && byte(0) == 0xEF && byte(1) == 0xBB && byte(2) == 0xBF) {
    text.remove_prefix(3);
  } else {
    const char* encoding = nullptr;
    if (n >= 4 && byte(0) == 0 && byte(1) == 0 && byte(2) == 0xFE && byte(3) == 0xFF)
      encoding = "UTF-32 (big-endian, with a byte order mark)";
    else if (n >= 4 && byte(0) == 0xFF && byte(1) == 0xFE && byte(2) == 0 && byte(3) == 0)
      encoding = "UTF-32 (little-endian, with a byte order mark)";
    else if (n >= 2 && byte(0) == 0xFF && byte(1) == 0xFE)
      encoding = "UTF-16 (little-endian, with a byte order mark)";
    else if (n >= 2 && byte(0) == 0xFE && byte(1) == 0xFF)
      encoding = "UTF-16 (big-endian, with a byte order mark)";
    else if (n >= 4 && byte(0) == 0 && byte(1) == 0 && byte(2) == 0 && byte(3) != 0)
      encoding = "UTF-32 (big-endian)";
    else if (n >= 4 && byte(0) != 0 && byte(1) == 0 && byte(2) == 0 && byte(3) == 0)
      encoding = "UTF-32 (little-endian)";
    else if (n >= 2 && byte(0) == 0 && byte(1) != 0)
      encoding = "UTF-16 (big-endian)";
    else if (n >= 2 && byte(0) != 0 && byte(1) == 0)
      encoding = "UTF-16 (little-endian)";
    if (encoding)
      fail(at_file(file), std::string("looks like ") + encoding + "; save the file as UTF-8");
  }

  bool seen_content = false;
  bool in_block_scalar = false;
  std::size_t block_parent_indent = 0;
  std::size_t line_no = 1;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view ln = text.substr(start, end - start);
    const int line = clamp_to_int(line_no);
    check_line_bytes(ln, nl != std::string_view::npos, file, line);
    if (!ln.empty() && ln.back() == '\r') ln.remove_suffix(1);

    std::size_t spaces = 0;
    while (spaces < ln.size() && ln[spaces] == ' ') ++spaces;
    std::size_t blanks = spaces;
    while (blanks < ln.size() && (ln[blanks] == ' ' || ln[blanks] == '\t')) ++blanks;
    const bool blank = blanks == ln.size();

    bool skip = false;
    if (in_block_scalar) {
      if (blank || spaces > block_parent_indent)
        skip = true;  // a line of the block scalar: tabs there are text
      else
        in_block_scalar = false;
    }
    if (!skip) {
      if (!ln.empty() && ln[0] == '%') {
        if (!seen_content)
          fail(Location{file, line, 1},
               "YAML directives (%YAML, %TAG) are not supported; remove this line");
        fail(Location{file, line, 1},
             "a line starting with '%' is a YAML directive, which is not supported (yaml-cpp "
             "would drop the line); indent it or quote the value");
      }
      if (!blank && blanks > spaces)  // yaml-cpp refuses these even before a comment
        fail(Location{file, line, clamp_to_int(spaces + 1)}, "tab used for indentation; use spaces");
      if (blank) {
        for (std::size_t i = spaces; i < ln.size(); ++i)
          if (ln[i] == '\t') out.blank_tabs.push_back(start + i);
      }
      for (std::size_t i = blanks; i < ln.size(); ++i) {
        if (ln[i] != '#') continue;
        if (i == 0 || ln[i - 1] == ' ' || ln[i - 1] == '\t') break;  // a comment
        out.hashes.push_back(start + i);
      }
      if (!blank && ln[blanks] != '#') {
        seen_content = true;
        if (ends_with_block_header(ln)) {
          in_block_scalar = true;
          block_parent_indent = spaces;
        }
      }
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
    ++line_no;
  }
  out.text = text;
  return out;
}

// ---------------------------------------------------------------------------
// An istream over text in memory, without a copy. The parser gets the text a
// window at a time, so `handed` tells how far it has read (a limit should
// stop a hostile file before the parser reads the rest); the text before the
// window stays readable, for putback.

class ViewBuf final : public std::streambuf {
 public:
  ViewBuf(std::string_view text, std::size_t& handed)
      : begin_(const_cast<char*>(text.data())), end_(begin_ + text.size()), handed_(handed) {
    setg(begin_, begin_, begin_);
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    char* const from = egptr();
    if (from == end_) return traits_type::eof();
    char* const to = from + std::min<std::ptrdiff_t>(window, end_ - from);
    setg(begin_, from, to);
    handed_ = static_cast<std::size_t>(to - begin_);
    return traits_type::to_int_type(*from);
  }

 private:
  static constexpr std::ptrdiff_t window = 4096;
  char* begin_;
  char* end_;
  std::size_t& handed_;
};

// ---------------------------------------------------------------------------
// Events -> tree, with every rule checked as the events arrive.

class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(std::string_view text, std::vector<std::size_t> hashes, const std::string& file,
              const ReadLimits& limits, ReadStats& stats, bool probe_keys)
      : text_(text), file_(file), limits_(limits), stats_(stats), probe_keys_(probe_keys),
        positions_(text, stats.text_steps), hashes_(std::move(hashes)) {}

  bool has_root() const { return has_root_; }
  Node take_root() { return std::move(root_); }

  // After the document: the checks that wait for the next event run to the
  // end of the text.
  void finish() {
    reach(text_.size());
    if (flow_from_ != npos) check_continuation(flow_from_, text_.size(), true, flow_required_);
    flow_from_ = npos;
  }

  // Whether a flow collection ('[' or '{') is open.
  bool in_flow() const { return !stack_.empty() && stack_.back().in_flow; }

  Location location(const YAML::Mark& mark) {
    if (mark.pos >= 0 && static_cast<std::size_t>(mark.pos) <= text_.size()) {
      const auto [line, col] = positions_.at(static_cast<std::size_t>(mark.pos));
      return Location{file_, line, col};
    }
    if (mark.line >= 0 && mark.column >= 0) return Location{file_, mark.line + 1, mark.column + 1};
    return at_file(file_);
  }

  // The innermost open collection, or nullptr.
  const Node* innermost() const { return stack_.empty() ? nullptr : &stack_.back().node; }

  // The innermost open flow collection of that kind, or nullptr.
  const Node* open_flow(Node::Kind kind) const {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it)
      if (it->flow && it->node.kind == kind) return &it->node;
    return nullptr;
  }

  // The text from pos on ("" if pos is not in the text).
  std::string_view rest_at(int pos) const {
    if (pos < 0 || static_cast<std::size_t>(pos) > text_.size()) return {};
    return text_.substr(static_cast<std::size_t>(pos));
  }

  char char_at(int pos) const {
    if (pos < 0 || static_cast<std::size_t>(pos) >= text_.size()) return '\0';
    return text_[static_cast<std::size_t>(pos)];
  }

  // The name after '&' or '*' at pos, for messages.
  std::string name_at(int pos) const {
    if (pos < 0 || static_cast<std::size_t>(pos) >= text_.size()) return "";
    const std::size_t begin = static_cast<std::size_t>(pos);
    std::size_t end = begin + 1;
    while (end < text_.size() && end - begin < 80 &&
           std::string_view(" \t\r\n,[]{}").find(text_[end]) == std::string_view::npos)
      ++end;
    return std::string(text_.substr(begin, end - begin));
  }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_ > 0) {
      const Location where = location(mark);
      if (rest_at(mark.pos).substr(0, 3) == "---")
        fail(where, "a second YAML document starts here; a scenario file holds one document");
      fail(where,
           "unexpected text after the end of the document (the top-level mapping ended before "
           "this point: check the indentation); a scenario file holds one document");
    }
    ++documents_;
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    check_anchor(mark, anchor);
    on_event(mark);
    Node node;
    node.kind = Node::Kind::null;
    node.where = location(mark);
    // A null written as ~ or null is placed where it is written; an empty
    // value's mark is the next token's, somewhere after it.
    const std::string_view rest = rest_at(mark.pos);
    const auto ends_word = [&](std::size_t n) {
      return rest.size() == n || std::string_view(" \t\r\n,]}:#").find(rest[n]) != std::string_view::npos;
    };
    const std::string_view word = rest.substr(0, 4);
    const bool literal = (rest.substr(0, 1) == "~" && ends_word(1)) ||
                         ((word == "null" || word == "Null" || word == "NULL") && ends_word(4));
    count(node.where);
    null_at_colon_ = char_at(mark.pos) == ':';
    mark_pos_ = static_cast<std::size_t>(std::max(mark.pos, 0));
    attach(std::move(node), !literal);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    const std::string name = char_at(mark.pos) == '*' ? name_at(mark.pos) : "";
    fail(location(mark), "aliases (*name) are not allowed" +
                             (name.empty() ? std::string() : " (found " + quote_text(name) + ")") +
                             "; write the value out in full");
  }

  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    fail(location(mark), "anchors (&name) are not allowed (found " + quote_text("&" + name) +
                             "); write the value out in full");
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_anchor(mark, anchor);
    on_event(mark);
    const Location where = location(mark);
    const bool quoted = tag == "!";
    if (tag != "?" && (!quoted || char_at(mark.pos) == '!')) fail_tag(where, tag);
    const char first = char_at(mark.pos);
    const std::size_t pos = static_cast<std::size_t>(std::max(mark.pos, 0));
    std::string text = value;
    std::size_t end = pos;  // where the scalar's source ends
    std::vector<TextSegment> segments;
    if (quoted && (first == '"' || first == '\'')) {
      end = check_closed(pos, where) + 1;
      check_continuation(pos, end, true, block_column());
      text = fold_blank_quoted(pos, end, std::move(text));
      segments = flow_segments(pos + 1, end - 1, text, first);
    } else if (quoted && (first == '|' || first == '>')) {
      text = block_scalar(pos, block_column() - 1, end, &segments);
    } else if (!quoted) {
      end = plain_end(pos, value);
      if (std::string_view(text_).substr(pos, end - pos).find('\n') != npos) segments = flow_segments(pos, end, text, '\0');
      // YAML does not let a plain value start with "- " (or "-" before a
      // flow indicator); yaml-cpp 0.7 reads [-] as a list holding "-".
      const char next = char_at(mark.pos + 1);
      const bool alone = next == '\0' || std::string_view(" \t\r\n,[]{}").find(next) != std::string_view::npos;
      if (first == '-' && alone && in_flow())
        fail(where, "a '-' alone cannot be a value inside '[ ]' or '{ }' (it is a list marker); quote it: '-'");
    }
    cover(pos, end);
    last_scalar_pos_ = pos;
    last_scalar_end_ = end;
    count(where);
    if (text.size() > limits_.max_scalar_bytes)
      fail(where, "a value of " + format_bytes(text.size()) + " is over the limit of " +
                      format_bytes(limits_.max_scalar_bytes));
    Node node;
    node.kind = Node::Kind::scalar;
    node.where = where;
    node.text = std::move(text);
    node.quoted = quoted;
    node.segments = std::move(segments);
    attach(std::move(node), false);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(mark, tag, anchor, Node::Kind::sequence, style == YAML::EmitterStyle::Flow);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(mark, tag, anchor, Node::Kind::mapping, style == YAML::EmitterStyle::Flow);
  }
  void OnMapEnd() override { close(); }

 private:
  static constexpr std::size_t npos = std::string_view::npos;

  struct Frame {
    Node node;
    bool flow = false;
    bool have_key = false;
    Node key;
    std::size_t key_pos = 0;  // where the key's source starts and ends
    std::size_t key_end = 0;
    bool in_flow = false;     // this or an enclosing collection is a flow one
    int block_column = 0;     // the column of the innermost block collection (0: none)
    std::unordered_map<std::string, std::size_t> index;  // key text -> entry
  };

  void check_anchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor == YAML::NullAnchor) return;
    const std::string name = char_at(mark.pos) == '&' ? name_at(mark.pos) : "";
    fail(location(mark), "anchors (&name) are not allowed" +
                             (name.empty() ? std::string() : " (found " + quote_text(name) + ")") +
                             "; write the value out in full");
  }

  [[noreturn]] void fail_tag(const Location& where, const std::string& tag) {
    std::string shown = tag;
    static constexpr std::string_view core = "tag:yaml.org,2002:";
    if (shown.compare(0, core.size(), core) == 0) shown = "!!" + shown.substr(core.size());
    fail(where, "explicit tags such as " + quote_text(shown) +
                    " are not allowed; write the value without a tag");
  }

  // yaml-cpp 0.7 ends a quoted scalar silently at the end of the input when
  // the closing quote is missing (the rest of the file becomes the string):
  // find the closing quote ourselves.
  // Returns the offset of the closing quote. Also refuses an escape that
  // YAML does not define (yaml-cpp 0.7 reads "\'" as a quote).
  std::size_t check_closed(std::size_t open, const Location& where) {
    const char q = text_[open];
    std::size_t i = open + 1;
    while (i < text_.size()) {
      const char c = text_[i];
      if (q == '"' && c == '\\') {
        const char e = i + 1 < text_.size() ? text_[i + 1] : '\0';
        if (e != '\0' && std::string_view("0abt\tnvfre \"/\\N_LPxuU\r\n").find(e) == std::string_view::npos) {
          const auto [line, col] = positions_.at(i);
          fail(Location{file_, line, col}, "invalid escape " + quote_text(std::string("\\") + e) +
                                               " in double quotes; write \\\\ for a backslash, or use "
                                               "single quotes (where ' is written '')");
        }
        i += 2;
      } else if (c == q) {
        if (q == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          i += 2;
        } else {
          stats_.text_steps += i - open;  // each quoted scalar is scanned once
          return i;
        }
      } else {
        ++i;
      }
    }
    stats_.text_steps += i - open;
    fail(where, std::string("end of file inside a quoted string; close the quote (") + q +
                    ") that opens here");
  }


  // --- checks on the source text that yaml-cpp 0.7 does not make ---------

  Location location_at(std::size_t pos) {
    const auto [line, col] = positions_.at(pos);
    return Location{file_, line, col};
  }

  // Called with the mark of each event, in the order of the text: runs the
  // checks that wait for the next event.
  void on_event(const YAML::Mark& mark) {
    if (mark.pos < 0) return;
    const std::size_t pos = static_cast<std::size_t>(mark.pos);
    reach(pos);
    if (flow_from_ != npos && pos >= flow_from_) {
      const bool inside = in_flow();
      check_continuation(flow_from_, pos, inside, flow_required_);
      flow_from_ = inside ? pos : npos;
    }
  }

  // Every '#' before pos that no scalar covered was read as a comment.
  void reach(std::size_t pos) {
    if (next_hash_ < hashes_.size() && hashes_[next_hash_] < pos)
      fail(location_at(hashes_[next_hash_]),
           "a '#' starts a comment only after a space (YAML reads no comment here); put a space "
           "before the '#', or quote the value that contains it");
  }

  // The '#'s in [from, to) are text of a scalar.
  void cover(std::size_t from, std::size_t to) {
    reach(from);
    while (next_hash_ < hashes_.size() && hashes_[next_hash_] < to) ++next_hash_;
  }

  // Where a plain scalar's source ends, found by walking `value` over the
  // text from pos: its folds (a space or line breaks) stand for a run of
  // white space and line breaks there.
  std::size_t plain_end(std::size_t pos, std::string_view value) {
    std::size_t i = pos;
    std::size_t k = 0;
    const auto white = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (k < value.size() && i < text_.size()) {
      if (text_[i] == value[k]) {
        ++i;
        ++k;
      } else if (white(value[k]) && white(text_[i])) {
        while (k < value.size() && white(value[k])) ++k;
        while (i < text_.size() && white(text_[i])) ++i;
      } else {
        break;
      }
    }
    stats_.text_steps += i - pos;
    return i;
  }

  // The column of the innermost block collection (0 at the top level): a
  // continuation line of a flow collection or quoted scalar inside it must
  // be indented at least that far (YAML's s-flow-line-prefix).
  int block_column() const { return stack_.empty() ? 0 : stack_.back().block_column; }

  // Each line that starts in (from, to) and holds text must be indented by at
  // least `required` spaces; the line holding `to` only if include_last. At
  // the end of the text (after the document), a document marker ends them.
  void check_continuation(std::size_t from, std::size_t to, bool include_last, int required) {
    if (required <= 0) return;
    // Searches stop at `to`: many events on one long line stay linear.
    const std::string_view window = text_.substr(0, std::min(to, text_.size()));
    for (std::size_t p = window.find('\n', from); p != npos; p = window.find('\n', p + 1)) {
      const std::size_t start = p + 1;
      if (!include_last && window.find('\n', start) == npos) break;  // the line holding `to`
      std::size_t i = start;
      while (i < text_.size() && text_[i] == ' ') ++i;
      stats_.text_steps += i - from;
      from = i;
      const char c = i < text_.size() ? text_[i] : '\n';
      if (c == '\n' || c == '\r' || c == '\t' || c == '#') continue;  // blank or a comment
      if (window.size() == text_.size() && i == start &&
          (text_.substr(start, 3) == "---" || text_.substr(start, 3) == "..."))
        break;  // the document ends here
      if (i - start < static_cast<std::size_t>(required))
        fail(location_at(i), "this line continues a quoted value or a '[ ]' / '{ }' list, so it must be "
                             "indented more than the key or '-' it belongs to (at least " +
                                 std::to_string(required) + (required == 1 ? " space)" : " spaces)"));
    }
  }

  // yaml-cpp 0.7 drops a line break from a quoted scalar made only of blanks
  // and line breaks ('\n\n  ' reads as "" instead of "\n"). Such a scalar
  // folds to a space for one line break, else to one line feed fewer than
  // it has line breaks (the first is folded away).
  std::string fold_blank_quoted(std::size_t open, std::size_t end, std::string value) const {
    std::size_t breaks = 0;
    for (std::size_t i = open + 1; i + 1 < end; ++i) {
      const char c = text_[i];
      if (c == '\n') ++breaks;
      else if (c != ' ' && c != '\t' && c != '\r') return value;
    }
    if (breaks == 0) return value;
    return breaks == 1 ? std::string(" ") : std::string(breaks - 1, '\n');
  }

  // The value of the block scalar whose '|' or '>' is at pos, in a block
  // node indented by `parent` (-1 at the top level), read from the text by
  // YAML 1.2's rules (yaml-cpp 0.7 loses trailing lines of spaces and the
  // breaks of a "keep" scalar with no text, and does not end a file that has
  // no final line break with one). Sets `end` to where its lines end, and
  // refuses leading blank lines indented more than the first line of text.
  // A flow scalar's segments (Node::segments), from a walk of its source
  // [from, to) (inside the quotes, for a quoted one: `quote`) against its
  // text: a new segment where the two go on after a line break (folded into
  // a space or kept as breaks) or an escape. Where the walk cannot explain
  // a difference it stops, and later offsets count from the last segment.
  std::vector<TextSegment> flow_segments(std::size_t from, std::size_t to, std::string_view value, char quote) {
    std::vector<TextSegment> seg;
    const auto mark = [&](std::size_t k, std::size_t i) {
      const Location at = location_at(std::min(i, text_.size() - 1));
      seg.push_back(TextSegment{k, at.line, at.column});
    };
    const auto white = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    // Whether the blanks from i hold a line break (a fold) before text.
    // (Each run of blanks is scanned once: a run without a break has none
    // from any later point either.)
    std::size_t run_end = 0;
    bool run_breaks = false;
    const auto folds = [&](std::size_t at) {
      if (at >= run_end) {
        run_breaks = false;
        for (run_end = at; run_end < to && white(text_[run_end]); ++run_end)
          run_breaks = run_breaks || text_[run_end] == '\n';
      }
      return run_breaks;
    };
    if (from >= text_.size()) return seg;
    mark(0, from);
    std::size_t i = from, k = 0;
    while (k < value.size() && i < to) {
      const char c = text_[i];
      if (quote == '\'' && c == '\'' && i + 1 < to && text_[i + 1] == '\'' && value[k] == '\'') {
        i += 2;
        mark(++k, i);
      } else if (quote == '"' && c == '\\' && i + 1 < to) {
        const char e = text_[i + 1];
        if (e == '\n' || e == '\r') {  // an escaped line break: nothing in the text, then the next line's text
          i += 2;
          while (i < to && white(text_[i])) ++i;
          mark(k, i);
          continue;
        }
        // The escape's length in the source, and of what it stands for in UTF-8.
        std::size_t source = 2, out = 1;
        char32_t code = 0;
        const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        if (digits) {
          if (i + 2 + digits > to) break;
          for (std::size_t d = 0; d < digits; ++d) {
            const char h = text_[i + 2 + d];
            if (!hex(h)) return seg;
            code = code * 16 + char32_t(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (h | 0x20) - 'a' + 10);
          }
          source += digits;
        } else if (e == 'N' || e == '_') {
          code = e == 'N' ? 0x85 : 0xA0;
        } else if (e == 'L' || e == 'P') {
          code = 0x2028;
        }
        if (code >= 0x10000) out = 4;
        else if (code >= 0x800) out = 3;
        else if (code >= 0x80) out = 2;
        i += source;
        k += out;
        mark(k, i);
      } else if (white(c) && white(value[k]) && folds(i)) {
        // A fold: the source's blanks and breaks against the text's space or breaks.
        while (i < to && white(text_[i])) ++i;
        while (k < value.size() && white(value[k])) ++k;
        mark(k, i);
      } else if (c == value[k]) {
        ++i;
        ++k;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        // Blanks at the end of a line, dropped by the fold.
        while (i < to && (text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\r')) ++i;
        if (i < to && text_[i] == '\n') continue;
        break;
      } else {
        break;
      }
    }
    stats_.text_steps += i - from;
    return seg;
  }

  std::string block_scalar(std::size_t pos, int parent, std::size_t& end, std::vector<TextSegment>* segments) {
    const bool literal = text_[pos] == '|';
    char chomp = 'c';
    int explicit_indent = 0;
    std::size_t i = pos + 1;
    for (int m = 0; m < 2 && i < text_.size(); ++m, ++i) {
      const char c = text_[i];
      if (c == '+' || c == '-') chomp = c;
      else if (c >= '1' && c <= '9') explicit_indent = c - '0';
      else break;
    }
    if (i < text_.size() && text_[i] == '#')  // yaml-cpp 0.7 takes it as a comment
      fail(location_at(i), "a '#' starts a comment only after a space; put a space between the block "
                           "scalar's '" + std::string(1, text_[pos]) + "' and the '#'");
    std::size_t line = text_.find('\n', i);
    if (line == npos) {
      end = text_.size();
      return "";
    }
    ++line;
    long indent = explicit_indent > 0 ? parent + explicit_indent : -1;
    std::size_t widest_blank = 0;
    std::size_t widest_at = 0;
    struct Line {
      bool empty;
      std::string_view text;
    };
    std::vector<Line> lines;
    std::size_t start = line;
    while (start < text_.size()) {
      std::size_t nl = text_.find('\n', start);
      const std::size_t stop = nl == npos ? text_.size() : nl;
      std::string_view ln = text_.substr(start, stop - start);
      if (!ln.empty() && ln.back() == '\r') ln.remove_suffix(1);
      std::size_t sp = 0;
      while (sp < ln.size() && ln[sp] == ' ') ++sp;
      const bool spaces_only = sp == ln.size();
      if (sp == 0 && (ln.substr(0, 3) == "---" || ln.substr(0, 3) == "...") &&
          (ln.size() == 3 || ln[3] == ' ' || ln[3] == '\t'))
        break;  // a document marker
      if (indent < 0) {
        if (spaces_only) {
          if (sp > widest_blank) {
            widest_blank = sp;
            widest_at = start;
          }
          lines.push_back({true, {}});
          start = stop + 1;
          continue;
        }
        if (static_cast<long>(sp) <= parent) break;  // no text: the next node
        indent = static_cast<long>(sp);
        if (widest_blank > sp)
          fail(location_at(widest_at),
               "a blank line at the start of a block scalar (| or >) has more spaces than its first "
               "line of text; remove them, or give the indentation after the '|' or '>'");
      }
      const std::size_t need = static_cast<std::size_t>(indent);
      if (sp >= need && ln.size() > need) {
        lines.push_back({false, ln.substr(need)});
      } else if (spaces_only) {
        lines.push_back({true, {}});
      } else {
        break;  // less indented text: the scalar has ended
      }
      start = stop + 1;
    }
    end = std::min(start, text_.size());
    stats_.text_steps += end - pos;

    std::size_t last = lines.size();  // the last line of text
    for (std::size_t k = lines.size(); k > 0; --k)
      if (!lines[k - 1].empty) {
        last = k - 1;
        break;
      }
    std::string out;
    if (last == lines.size()) {  // no text at all
      if (chomp == '+') out.assign(lines.size(), '\n');
      return out;
    }
    std::size_t pending = 0;  // empty lines since the last line of text
    bool seen = false;
    bool prev_normal = false;
    for (std::size_t k = 0; k <= last; ++k) {
      if (lines[k].empty) {
        ++pending;
        continue;
      }
      const std::string_view t = lines[k].text;
      const bool normal = !t.empty() && t[0] != ' ' && t[0] != '\t';
      if (!seen) {
        out.append(pending, '\n');
      } else if (!literal && prev_normal && normal) {
        if (pending == 0) out += ' ';
        else out.append(pending, '\n');
      } else {
        out.append(pending + 1, '\n');
      }
      if (segments) {  // this line's text, where it was written
        const Location at = location_at(static_cast<std::size_t>(t.data() - text_.data()));
        segments->push_back(TextSegment{out.size(), at.line, at.column});
      }
      out += t;
      seen = true;
      prev_normal = normal;
      pending = 0;
    }
    if (chomp != '-') out += '\n';
    if (chomp == '+') out.append(lines.size() - 1 - last, '\n');
    return out;
  }

  void count(const Location& where) {
    stats_.nodes = ++nodes_;
    if (nodes_ > limits_.max_nodes)
      fail(where, "more than " + std::to_string(limits_.max_nodes) +
                      " values, keys and collections; a scenario file is far smaller");
  }

  bool awaiting_key() const {
    return !stack_.empty() && stack_.back().node.is_mapping() && !stack_.back().have_key;
  }

  void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, Node::Kind kind,
            bool flow) {
    check_anchor(mark, anchor);
    on_event(mark);
    if (flow && !in_flow() && block_column() > 0 && mark.pos >= 0) {
      flow_from_ = static_cast<std::size_t>(mark.pos);
      flow_required_ = block_column();
    }
    const Location where = location(mark);
    if (tag != "?") fail_tag(where, tag);
    const char* what = kind == Node::Kind::sequence ? "a sequence" : "a mapping";
    if (stack_.empty() && kind != Node::Kind::mapping)
      fail(where, std::string("expected a mapping at the top level, got ") + what);
    // A block collection as a key is refused here, before it nests any
    // deeper. A flow collection as a key is refused by attach() once it is
    // complete: at the end of the file yaml-cpp 0.7 turns every unclosed
    // '[' or '{' into such a key, and "never closed" is the error to report
    // then. The depth cap still bounds the nesting meanwhile.
    if (awaiting_key() && !flow)
      fail(where, std::string("a mapping key must be a plain or quoted name, got ") + what);
    if (limits_.max_depth <= 0 || stack_.size() >= static_cast<std::size_t>(limits_.max_depth))
      fail(where, "collections nested more than " + std::to_string(std::max(limits_.max_depth, 0)) +
                      " levels deep; a scenario never needs that many");
    count(where);
    Frame frame;
    frame.node.kind = kind;
    frame.node.where = where;
    frame.flow = flow;
    frame.in_flow = flow || in_flow();
    frame.block_column = flow ? block_column() : where.column;
    stack_.push_back(std::move(frame));
  }

  void close() {
    if (stack_.empty()) fail(at_file(file_), "internal error: unbalanced YAML events");
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (frame.have_key) {  // not expected: yaml-cpp always reports a value
      Node value;
      value.where = frame.key.where;
      frame.node.entries.emplace_back(std::move(frame.key), std::move(value));
    }
    attach(std::move(frame.node), false);
  }

  void attach(Node&& node, bool implicit_null) {
    if (stack_.empty()) {
      if (node.is_null() && !implicit_null) fail(node.where, "expected a mapping at the top level, got null");
      if (!node.is_null() && !node.is_mapping())
        fail(node.where, "expected a mapping at the top level, got " + describe_kind(node));
      root_ = std::move(node);
      has_root_ = true;
      return;
    }
    Frame& top = stack_.back();
    if (top.node.is_sequence()) {
      // yaml-cpp 0.7 reads "[ , a]" and "[a, , b]" as lists with a null.
      if (top.flow && implicit_null && node.is_null())
        fail(node.where, "an empty entry inside '[ ]' (a ',' with no value before it); remove the extra ','");
      top.node.items.push_back(std::move(node));
      return;
    }
    if (!top.have_key) {
      if (node.is_null()) {
        if (top.flow && implicit_null && !null_at_colon_ && multi_line_key(mark_pos_))
          fail(node.where, "inside '{ }' a key must be on one line with its ':' and not empty "
                           "(multi-line and empty keys are not supported); put the key and its ':' on one line");
        if (implicit_null && null_at_colon_) fail(node.where, "a mapping entry has no key before its ':'");
        if (implicit_null)
          fail(node.where, "expected a 'key: value' entry here (a key written without '? ' must fit on "
                           "one line and in 1024 characters)");
        fail(node.where,
             "a mapping key must be a name, got null; quote it (\"null\") if you mean the word");
      }
      if (!node.is_scalar())
        fail(node.where, "a mapping key must be a plain or quoted name, got " + describe_kind(node));
      if (!node.quoted && node.text == "<<")
        fail(node.where, "merge keys (<<) are not supported; write the keys out in full");
      // The keys a hashed lookup compares with are those in the key's bucket:
      // one or two, however many keys the mapping holds (a search through
      // the entries would compare with all of them). Counted only on request.
      if (probe_keys_) stats_.key_probes += top.index.bucket_size(top.index.bucket(node.text));
      const auto [it, inserted] = top.index.try_emplace(node.text, top.node.entries.size());
      if (!inserted) {
        const Location& first = top.node.entries[it->second].first.where;
        fail(node.where, "duplicate key " + quote_text(node.text) + " (first defined at line " +
                             std::to_string(first.line) + ", column " + std::to_string(first.column) +
                             ")");
      }
      top.key = std::move(node);
      top.key_pos = last_scalar_pos_;
      top.key_end = last_scalar_end_;
      top.have_key = true;
      return;
    }
    // A block mapping key with no ':' after it is a line of text that is no
    // entry (yaml-cpp 0.7 reads "foo" alone on a line as "foo: null"),
    // unless it is an explicit key ("? foo").
    if (implicit_null && node.is_null() && !top.flow && !explicit_key(top.key_pos)) {
      std::size_t i = top.key_end;
      while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t')) ++i;
      if (i >= text_.size() || text_[i] != ':')
        fail(top.key.where, "expected 'key: value' here, but " + quote_text(top.key.text) +
                                " has no ':' after it; check the indentation, or join it to the line above");
    }
    // `key:` with nothing after it: yaml-cpp places the null at the next
    // token (often the next line); the key is where a reader looks.
    if (implicit_null && node.is_null()) node.where = top.key.where;
    top.node.entries.emplace_back(std::move(top.key), std::move(node));
    top.key = Node{};
    top.have_key = false;
  }

  std::string_view text_;
  const std::string& file_;
  const ReadLimits& limits_;
  ReadStats& stats_;
  bool probe_keys_;
  Positions positions_;
  std::vector<Frame> stack_;
  Node root_;
  bool has_root_ = false;
  int documents_ = 0;
  std::size_t nodes_ = 0;
  bool null_at_colon_ = false;  // the last null came from a ':' with no key before it
  std::vector<std::size_t> hashes_;  // see Prescanned::hashes
  std::size_t next_hash_ = 0;        // hashes_ before it lie in scalars
  std::size_t flow_from_ = npos;     // continuation lines checked up to here (npos: not in a flow)
  int flow_required_ = 0;            // the spaces they need
  std::size_t last_scalar_pos_ = 0;  // the source of the last scalar
  std::size_t last_scalar_end_ = 0;

  // Whether the text from pos to the next ':' spans a line break (a key in a
  // flow mapping that yaml-cpp 0.7 cannot read).
  bool multi_line_key(std::size_t pos) const {
    const std::size_t colon = text_.find(':', std::min(pos, text_.size()));
    const std::size_t nl = text_.find('\n', std::min(pos, text_.size()));
    return nl != npos && (colon == npos || nl < colon);
  }
  std::size_t mark_pos_ = 0;  // the mark of the last null

  // Whether the key at pos is written after '?'.
  bool explicit_key(std::size_t pos) const {
    std::size_t i = std::min(pos, text_.size());
    while (i > 0 && (text_[i - 1] == ' ' || text_[i - 1] == '\t')) --i;
    return i > 0 && text_[i - 1] == '?';
  }
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Whether only blanks, line breaks and comments follow `pos`.
bool only_trailing_space(std::string_view text, std::size_t pos) {
  bool in_comment = false;
  for (std::size_t i = std::min(pos, text.size()); i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      in_comment = false;
    } else if (in_comment) {
      continue;
    } else if (c == '#') {
      in_comment = true;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      return false;
    }
  }
  return true;
}

// A yaml-cpp exception as a ScenarioError at its place, with the message
// cleaned up and a hint for the common mistakes.
ScenarioError translate(const YAML::Exception& e, TreeBuilder& builder, std::string_view text,
                        const std::string& file) {
  namespace M = YAML::ErrorMsg;
  const std::string& msg = e.msg;
  YAML::Mark mark = e.mark;
  // yaml-cpp marks a bad escape after it; point at its backslash instead.
  if ((starts_with(msg, M::INVALID_ESCAPE) || msg == M::INVALID_HEX || starts_with(msg, M::INVALID_UNICODE)) &&
      mark.pos > 0 && static_cast<std::size_t>(mark.pos) <= text.size()) {
    const std::size_t pos = static_cast<std::size_t>(mark.pos);
    const std::size_t backslash = text.rfind('\\', pos - 1);
    if (backslash != std::string_view::npos && pos - backslash <= 12 &&
        text.substr(backslash, pos - backslash).find('\n') == std::string_view::npos) {
      mark.pos = static_cast<int>(backslash);
    }
  }
  const Location where = mark.is_null() ? at_file(file) : builder.location(mark);
  const char here = builder.char_at(e.mark.pos);

  if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr)
    return ScenarioError(builder.innermost() != nullptr ? builder.innermost()->where : where,
                         "collections nested too deeply (the YAML parser stops at " +
                                    std::to_string(static_cast<const YAML::DeepRecursion&>(e).depth()) +
                                    " levels); a scenario never needs that many");
  if (starts_with(msg, M::UNKNOWN_ANCHOR) || msg == M::ALIAS_NOT_FOUND || msg == M::CHAR_IN_ALIAS ||
      msg == M::ALIAS_CONTENT || msg == M::MULTIPLE_ALIASES) {
    const std::string name = here == '*' ? builder.name_at(e.mark.pos) : "";
    return ScenarioError(where, "aliases (*name) are not allowed" +
                                    (name.empty() ? std::string() : " (found " + quote_text(name) + ")") +
                                    "; write the value out in full");
  }
  if (msg == M::MULTIPLE_ANCHORS || msg == M::ANCHOR_NOT_FOUND || msg == M::CHAR_IN_ANCHOR ||
      msg == M::AMBIGUOUS_ANCHOR)
    return ScenarioError(where, "anchors (&name) are not allowed; write the value out in full");
  if (msg == M::MULTIPLE_TAGS || msg == M::CHAR_IN_TAG_HANDLE || msg == M::TAG_WITH_NO_SUFFIX ||
      msg == M::END_OF_VERBATIM_TAG)
    return ScenarioError(where, "explicit tags are not allowed; write the value without a tag");
  if (msg == M::YAML_DIRECTIVE_ARGS || starts_with(msg, M::YAML_VERSION) ||
      msg == M::YAML_MAJOR_VERSION || msg == M::REPEATED_YAML_DIRECTIVE ||
      msg == M::TAG_DIRECTIVE_ARGS || msg == M::REPEATED_TAG_DIRECTIVE)
    return ScenarioError(where, "YAML directives (%YAML, %TAG) are not supported; remove this line");
  if (msg == M::TAB_IN_INDENTATION) return ScenarioError(where, "tab used for indentation; use spaces");
  if (msg == M::EOF_IN_SCALAR)
    return ScenarioError(where, "end of file inside a quoted string; close the quote");

  if (msg == M::END_OF_SEQ_FLOW || msg == M::END_OF_MAP_FLOW) {
    const bool seq = msg == M::END_OF_SEQ_FLOW;
    const char open = seq ? '[' : '{';
    const char close = seq ? ']' : '}';
    const Node* opener = builder.open_flow(seq ? Node::Kind::sequence : Node::Kind::mapping);
    if (opener != nullptr && only_trailing_space(text, static_cast<std::size_t>(std::max(e.mark.pos, 0))))
      return ScenarioError(opener->where, std::string("this '") + open +
                                              "' is never closed (the file ends first); add the '" +
                                              close + "'");
    std::string m = msg + ": expected ',' or '" + close + "' here";
    if (opener != nullptr)
      m += std::string(", inside the '") + open + "' at line " + std::to_string(opener->where.line) +
           ", column " + std::to_string(opener->where.column);
    return ScenarioError(where, m);
  }

  std::string hint;
  if (msg == M::MAP_VALUE && where.column > 1024)
    hint = "a key without '? ' is limited to 1024 characters (is a long value missing its quotes?)";
  else if (msg == M::MAP_VALUE)
    hint = "a ':' here starts a key where none is expected; check the indentation, and quote a "
           "value that contains ': '";
  else if (msg == M::END_OF_MAP)
    hint = "expected 'key: value' at this indentation; check the indentation";
  else if (msg == M::END_OF_SEQ)
    hint = "expected a '- ' list item at this indentation; check the indentation";
  else if (msg == M::BLOCK_ENTRY)
    hint = "a '- ' list item is not expected here; check the indentation";
  else if (msg == M::MAP_KEY)
    hint = "a '?' key is not expected here";
  else if (msg == M::FLOW_END)
    hint = "this ']' or '}' has no matching '[' or '{'";
  else if (msg == M::UNKNOWN_TOKEN && here == '?')
    return ScenarioError(where, "a '?' in a plain value inside '[ ]' or '{ }' (or where a key may start) is "
                                "not supported: yaml-cpp reads it as a key marker; quote the value");
  else if (msg == M::UNKNOWN_TOKEN)
    hint = (here == '@' || here == '`') ? std::string("'") + here + "' cannot start a plain value; quote the value"
                                        : "quote the value";
  else if (starts_with(msg, M::INVALID_ESCAPE) || msg == M::INVALID_HEX || starts_with(msg, M::INVALID_UNICODE))
    hint = "in double quotes write \\\\ for a backslash, or use single quotes";
  else if (msg == M::DOC_IN_SCALAR)
    hint = "a line starting with '---' or '...' ends the document; indent it or close the quote first";
  else if (msg == M::CHAR_IN_BLOCK || msg == M::ZERO_INDENT_IN_BLOCK)
    hint = "after '|' or '>' only an indentation digit 1-9, '+', '-' or a comment may follow";
  else if (msg == M::CHAR_IN_SCALAR)
    hint = "quote the value";
  return ScenarioError(where, hint.empty() ? msg : msg + "; " + hint);
}

}  // namespace

// ---------------------------------------------------------------------------

const Node* Node::find(std::string_view key) const noexcept {
  if (kind != Kind::mapping) return nullptr;
  for (const auto& [k, v] : entries)
    if (k.text == key) return &v;
  return nullptr;
}

namespace {

// The documented number grammar: [+-]? (0|[1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
struct NumberParts {
  bool ok = false;
  bool negative = false;
  std::string_view integer;   // digits
  std::string_view fraction;  // digits, may be empty
  std::string_view exponent;  // sign and digits, may be empty
};

NumberParts split_number(std::string_view s, bool allow_leading_zeros = false) {
  NumberParts p;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) p.negative = s[i++] == '-';
  const std::size_t int_begin = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  p.integer = s.substr(int_begin, i - int_begin);
  if (p.integer.empty()) return p;
  if (!allow_leading_zeros && p.integer.size() > 1 && p.integer[0] == '0') return p;
  if (i < s.size() && s[i] == '.') {
    const std::size_t frac_begin = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    p.fraction = s.substr(frac_begin, i - frac_begin);
    if (p.fraction.empty()) return p;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    const std::size_t exp_begin = ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t digits_begin = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == digits_begin) return p;
    p.exponent = s.substr(exp_begin, i - exp_begin);
  }
  p.ok = i == s.size();
  return p;
}

bool is_number_text(std::string_view s) { return split_number(s).ok; }

std::string without(std::string_view s, char c) {
  std::string out;
  for (char ch : s)
    if (ch != c) out += ch;
  return out;
}

// Decimal exponent of the leading significant digit (saturated), for telling
// overflow from underflow.
long long magnitude(const NumberParts& p) {
  long long mag = 0;
  if (p.integer != "0") {
    mag = static_cast<long long>(p.integer.size()) - 1;
  } else {
    std::size_t k = 0;
    while (k < p.fraction.size() && p.fraction[k] == '0') ++k;
    mag = -static_cast<long long>(k) - 1;
  }
  long long e = 0;
  bool neg = false;
  std::size_t k = 0;
  if (!p.exponent.empty() && (p.exponent[0] == '+' || p.exponent[0] == '-')) neg = p.exponent[k++] == '-';
  for (; k < p.exponent.size(); ++k) {
    e = e * 10 + (p.exponent[k] - '0');
    if (e > 1'000'000'000) break;
  }
  return mag + (neg ? -e : e);
}

[[noreturn]] void fail_not_number(const Node& node) {
  const std::string& s = node.text;
  if (node.quoted) {
    if (is_number_text(s))
      fail(node.where, quote_text("\"" + s + "\"") + " is quoted; numbers are written without quotes");
    fail(node.where, quote_text(s) + " is not a number");
  }
  const std::string lower = to_lower(s);
  std::string_view body = lower;
  std::string sign;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    if (body[0] == '-') sign = "-";
    body.remove_prefix(1);
  }
  if (body == ".inf" || body == ".nan" || body == "inf" || body == "nan" || body == "infinity")
    fail(node.where, quote_text(s) + " is not a finite number; write a plain decimal");
  static constexpr std::array<std::pair<std::string_view, std::pair<int, const char*>>, 3> bases{{
      {"0x", {16, "a hexadecimal"}}, {"0o", {8, "an octal"}}, {"0b", {2, "a binary"}}}};
  for (const auto& [prefix, info] : bases) {
    if (!starts_with(body, prefix)) continue;
    const std::string_view digits = body.substr(2);
    std::uint64_t v = 0;
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, info.first);
    std::string message = quote_text(s) + " is " + info.second + " number; write it in decimal";
    if (!digits.empty() && r.ec == std::errc() && r.ptr == digits.data() + digits.size())
      message += " (" + sign + std::to_string(v) + ")";
    fail(node.where, message);
  }
  if (s.find('_') != std::string::npos && is_number_text(without(s, '_')))
    fail(node.where, quote_text(s) + " has '_' digit separators; write " + without(s, '_'));
  if (s.find(',') != std::string::npos && split_number(without(s, ','), true).ok)
    fail(node.where, quote_text(s) +
                         " is not a number; write it without ',' (no thousands separators; '.' "
                         "is the decimal point)");
  const NumberParts loose = split_number(s, true);
  if (loose.ok) {  // only leading zeros are wrong
    std::string_view digits = loose.integer;
    while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
    std::string fixed = sign + std::string(digits);
    if (!loose.fraction.empty()) fixed += "." + std::string(loose.fraction);
    if (!loose.exponent.empty()) fixed += "e" + std::string(loose.exponent);
    fail(node.where, quote_text(s) + " has a leading zero (YAML 1.1 would read it as octal); write " + fixed);
  }
  if (!s.empty() && (s[0] == '.' || ((s[0] == '-' || s[0] == '+') && s.size() > 1 && s[1] == '.'))) {
    std::string fixed = s;
    fixed.insert(fixed[0] == '.' ? 0 : 1, "0");
    if (is_number_text(fixed))
      fail(node.where, quote_text(s) + " needs a digit before the decimal point; write " + fixed);
  }
  const std::size_t dot = s.find('.');
  if (dot != std::string::npos && dot + 1 <= s.size()) {
    std::string fixed = s;
    fixed.insert(dot + 1, "0");
    if (is_number_text(fixed))
      fail(node.where, quote_text(s) + " needs a digit after the decimal point; write " + fixed);
  }
  fail(node.where, quote_text(s) + " is not a number");
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t y, int m) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Howard Hinnant's days_from_civil.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

constexpr const char* month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                       "July",    "August",   "September", "October", "November", "December"};

}  // namespace

std::string describe_kind(const Node& node) {
  switch (node.kind) {
    case Node::Kind::null:
      return "null";
    case Node::Kind::sequence:
      return "a sequence";
    case Node::Kind::mapping:
      return "a mapping";
    case Node::Kind::scalar:
      break;
  }
  return !node.quoted && is_number_text(node.text) ? "a number" : "a string";
}

namespace {

Node parse_text(std::string_view text, const std::string& display_name, const ReadLimits& limits,
                ReadStats& stats, bool probe_keys) {
  const std::string& file = display_name;
  if (text.size() > limits.max_file_bytes || text.size() > static_cast<std::size_t>(INT_MAX) - 16)
    fail(at_file(file), "the text is " + format_bytes(text.size()) + ", over the limit of " +
                            format_bytes(std::min<std::size_t>(limits.max_file_bytes, INT_MAX - 16)));
  Prescanned scanned = prescan(text, file);
  // The text the parser reads: blank-line tabs as spaces, and a final line
  // break where the file has none (YAML ends the last line at the end of the
  // input; yaml-cpp 0.7 would lose a block scalar's last line break).
  // Offsets, so every line and column, stay those of the file.
  std::string copy;
  std::string_view body = scanned.text;
  if (!scanned.blank_tabs.empty() || (!body.empty() && body.back() != '\n')) {
    copy.assign(body);
    for (const std::size_t i : scanned.blank_tabs) copy[i] = ' ';
    if (!copy.empty() && copy.back() != '\n') copy += '\n';
    body = copy;
  }
  TreeBuilder builder(body, std::move(scanned.hashes), file, limits, stats, probe_keys);
  try {
    ViewBuf buffer(body, stats.bytes_parsed);
    std::istream in(&buffer);
    YAML::Parser parser(in);
    const auto empty = [&] { fail(at_file(file), "the file is empty; expected a mapping of scenario keys"); };
    if (!parser.HandleNextDocument(builder) || !builder.has_root()) empty();
    builder.finish();
    parser.HandleNextDocument(builder);  // the builder throws if a second document starts
    Node root = builder.take_root();
    if (!root.is_mapping()) empty();  // an empty document ("---" alone): null
    return root;
  } catch (const ScenarioError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const YAML::Exception& e) {
    throw translate(e, builder, body, file);
  } catch (const std::exception& e) {
    fail(at_file(file), std::string("the YAML parser failed: ") + e.what());
  } catch (...) {
    fail(at_file(file), "the YAML parser failed with an unknown error");
  }
}

}  // namespace

Node read_yaml_text(std::string_view text, const std::string& display_name, const ReadLimits& limits,
                    ReadStats* stats) {
  ReadStats unused;
  if (stats != nullptr) *stats = ReadStats{};
  return parse_text(text, display_name, limits, stats != nullptr ? *stats : unused, stats != nullptr);
}

Node read_yaml_file(const std::string& path, const ReadLimits& limits, const std::string& display_name,
                    ReadStats* stats) {
  ReadStats unused;
  if (stats != nullptr) *stats = ReadStats{};
  ReadStats& counts = stats != nullptr ? *stats : unused;
  const std::string file = display_name.empty() ? path : display_name;
  const Location here = at_file(file);
  const auto system_error = [](int err) { return std::error_code(err, std::generic_category()).message(); };

  // Look before opening: opening a FIFO for reading blocks until a writer
  // appears, and a device can be endless.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(here, "cannot read the file: " + system_error(errno));
  const auto check_type = [&](mode_t mode) {
    if (S_ISREG(mode)) return;
    if (S_ISDIR(mode)) fail(here, "is a directory, expected a YAML scenario file");
    if (S_ISFIFO(mode)) fail(here, "is a named pipe (FIFO), expected a regular YAML scenario file");
    if (S_ISCHR(mode) || S_ISBLK(mode)) fail(here, "is a device, expected a regular YAML scenario file");
    if (S_ISSOCK(mode)) fail(here, "is a socket, expected a regular YAML scenario file");
    fail(here, "is not a regular file, expected a YAML scenario file");
  };
  check_type(st.st_mode);
  const std::size_t max = limits.max_file_bytes;
  if (st.st_size > 0 && static_cast<std::uintmax_t>(st.st_size) > max)
    fail(here, "the file is " + format_bytes(static_cast<std::size_t>(st.st_size)) +
                   ", over the limit of " + format_bytes(max));

  // O_NONBLOCK: if the path was swapped for a FIFO since the stat, the open
  // still returns at once, and the fstat below refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) fail(here, "cannot open the file: " + system_error(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat opened {};
  if (::fstat(fd, &opened) != 0) fail(here, "cannot read the file: " + system_error(errno));
  check_type(opened.st_mode);

  // Read at most max + 1 bytes: one more than allowed tells a file that is
  // too large (or grew since the stat) without reading all of it.
  const std::size_t cap = max == std::numeric_limits<std::size_t>::max() ? max : max + 1;
  std::string data;
  data.reserve(std::min<std::size_t>(cap, opened.st_size > 0 ? static_cast<std::size_t>(opened.st_size) + 1 : 4096));
  while (data.size() < cap) {
    const std::size_t old = data.size();
    const std::size_t want = std::min<std::size_t>(cap - old, std::size_t{1} << 16);
    data.resize(old + want);
    const ssize_t got = ::read(fd, data.data() + old, want);
    if (got < 0) {
      const int err = errno;
      data.resize(old);
      if (err == EINTR) continue;
      fail(here, "cannot read the file: " + system_error(err));
    }
    data.resize(old + static_cast<std::size_t>(got));
    counts.bytes_read = data.size();
    if (got == 0) break;
  }
  if (data.size() > max)
    fail(here, "the file is larger than the limit of " + format_bytes(max) +
                   " (it has more than that to read)");
  return parse_text(data, file, limits, counts, stats != nullptr);
}

double to_number(const Node& node) {
  if (!node.is_scalar()) fail(node.where, "expected a number, got " + describe_kind(node));
  const NumberParts parts = split_number(node.text);
  if (node.quoted || !parts.ok) fail_not_number(node);
  std::string_view s = node.text;
  if (s[0] == '+') s.remove_prefix(1);
  double value = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), value, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    if (magnitude(parts) > 0)
      fail(node.where, quote_text(node.text) +
                           " overflows a double (the largest finite value is about 1.8e308)");
    return parts.negative ? -0.0 : 0.0;  // underflow: the nearest double is zero
  }
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) fail_not_number(node);
  if (!std::isfinite(value))
    fail(node.where, quote_text(node.text) + " overflows a double (the largest finite value is about 1.8e308)");
  return value;
}

std::int64_t to_integer(const Node& node, std::int64_t min, std::int64_t max) {
  const std::string range = "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (!node.is_scalar()) fail(node.where, range + ", got " + describe_kind(node));
  const NumberParts parts = split_number(node.text);
  if (node.quoted || !parts.ok) fail_not_number(node);
  std::int64_t value = 0;
  if (parts.fraction.empty() && parts.exponent.empty()) {
    std::string_view s = node.text;
    if (s[0] == '+') s.remove_prefix(1);
    const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
    if (r.ec == std::errc::result_out_of_range) fail(node.where, quote_text(node.text) + " is out of range; " + range);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) fail_not_number(node);
  } else {
    const double d = to_number(node);
    if (std::trunc(d) != d) fail(node.where, quote_text(node.text) + " is not a whole number; " + range);
    constexpr double two63 = 9223372036854775808.0;
    if (d < -two63 || d >= two63) fail(node.where, quote_text(node.text) + " is out of range; " + range);
    value = static_cast<std::int64_t>(d);
  }
  if (value < min || value > max) fail(node.where, quote_text(node.text) + " is out of range; " + range);
  return value;
}

bool to_bool(const Node& node) {
  if (!node.is_scalar()) fail(node.where, "expected true or false, got " + describe_kind(node));
  const std::string& s = node.text;
  const std::string lower = to_lower(s);
  if (node.quoted) {
    if (lower == "true" || lower == "false")
      fail(node.where, quote_text("\"" + s + "\"") + " is quoted; write true or false without quotes");
    fail(node.where, "expected true or false, got " + quote_text(s));
  }
  if (s == "true") return true;
  if (s == "false") return false;
  if (lower == "true" || lower == "false")
    fail(node.where, quote_text(s) + ": write true or false in lower case");
  if (lower == "yes" || lower == "no" || lower == "on" || lower == "off" || lower == "y" || lower == "n")
    fail(node.where, quote_text(s) + ": yes/no/on/off are ambiguous in YAML; write true or false");
  fail(node.where, "expected true or false, got " + quote_text(s));
}

Location text_location(const Location& where, const std::vector<TextSegment>& segments, std::string_view text,
                       std::size_t offset) {
  Location at = where;
  std::size_t from = 0;
  for (const TextSegment& s : segments) {
    if (s.offset > offset) break;
    at.line = s.line;
    at.column = s.column;
    from = s.offset;
  }
  for (std::size_t i = from; i < offset && i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {  // only where the segments do not say (text past an unexplained difference)
      ++at.line;
      at.column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++at.column;  // the first byte of a character
    }
  }
  return at;
}

std::string to_text(const Node& node) {
  if (!node.is_scalar()) fail(node.where, "expected a name, got " + describe_kind(node));
  return node.text;
}

std::int64_t to_date(const Node& node) {
  if (!node.is_scalar()) fail(node.where, "expected a date (YYYY-MM-DD), got " + describe_kind(node));
  const std::string& s = node.text;
  bool shape = s.size() == 10 && s[4] == '-' && s[7] == '-';
  for (std::size_t i = 0; shape && i < s.size(); ++i)
    if (i != 4 && i != 7 && !is_digit(s[i])) shape = false;
  if (!shape) fail(node.where, quote_text(s) + " is not a date; write YYYY-MM-DD, e.g. 2024-09-30");
  const auto num = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int y = num(0, 4);
  const int m = num(5, 2);
  const int d = num(8, 2);
  if (m < 1 || m > 12) fail(node.where, s + " is not a date (there is no month " + std::to_string(m) + ")");
  const int last = days_in_month(y, m);
  if (d < 1 || d > last)
    fail(node.where, s + " is not a date (" + month_names[m - 1] + " " + std::to_string(y) + " has " +
                         std::to_string(last) + " days)");
  if (y < 1900 || y > 2200) fail(node.where, s + " is outside the supported years 1900 to 2200");
  return days_from_civil(y, m, d);
}

std::string format_date(std::int64_t days_since_epoch) {
  // Hinnant's civil_from_days, with the shift to 0000-03-01 done without
  // overflow for any int64.
  // Floor division by the 146097 days of a 400-year era, with no product
  // or difference that could overflow near the int64 limits.
  std::int64_t era = days_since_epoch / 146097;
  std::int64_t doe = days_since_epoch % 146097;
  if (doe < 0) {
    doe += 146097;
    --era;
  }
  doe += 719468;  // the shift to 0000-03-01
  era += doe / 146097;
  doe %= 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const auto pad = [](std::int64_t v, std::size_t width) {
    std::string digits = std::to_string(v);
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    return digits;
  };
  std::string out = y < 0 ? "-" + pad(-y, 4) : pad(y, 4);
  return out + "-" + pad(m, 2) + "-" + pad(d, 2);
}

std::string suggest(std::string_view word, const std::vector<std::string_view>& known) {
  const std::size_t threshold = std::max<std::size_t>(1, word.size() / 3);
  std::size_t best_distance = threshold + 1;
  std::string_view best;
  bool found = false;
  std::vector<std::size_t> prev;
  std::vector<std::size_t> cur;
  for (const std::string_view candidate : known) {
    const std::size_t diff =
        word.size() > candidate.size() ? word.size() - candidate.size() : candidate.size() - word.size();
    if (diff >= best_distance) continue;
    // Levenshtein distance, two rows.
    prev.resize(candidate.size() + 1);
    cur.resize(candidate.size() + 1);
    for (std::size_t j = 0; j <= candidate.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= candidate.size(); ++j) {
        const std::size_t substitute = prev[j - 1] + (word[i - 1] == candidate[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitute});
      }
      std::swap(prev, cur);
    }
    const std::size_t distance = prev[candidate.size()];
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
      found = true;
    }
  }
  return found ? std::string(best) : std::string();
}

}  // namespace switchcost::sim
