// The hardened YAML reader: every rule of sim/scenario/yaml_reader.h with the exact
// "file:line:col" of its error, hostile files generated at test time (FIFO,
// directory, device, socket, oversized, deep nesting, alias bombs, node
// floods), the strict scalar conversions, and the small malformed samples
// under tests/data/yaml/.
#include "sim/scenario/yaml_reader.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace switchcost::sim {
namespace {

namespace fs = std::filesystem;
using Kind = Node::Kind;

constexpr const char* kName = "t.yaml";

Node parse(std::string_view text, const ReadLimits& limits = {}) { return read_yaml_text(text, kName, limits); }

// what() of the ScenarioError that reading `text` throws; fails the test if
// it parses or throws anything else.
std::string read_error(std::string_view text, const ReadLimits& limits = {}, ReadStats* stats = nullptr) {
  try {
    read_yaml_text(text, kName, limits, stats);
  } catch (const ScenarioError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("UNEXPECTED EXCEPTION TYPE: ") + e.what();
  }
  return "NO ERROR";
}

std::string file_error(const std::string& path, const ReadLimits& limits = {}, const std::string& display = "",
                       ReadStats* stats = nullptr) {
  try {
    read_yaml_file(path, limits, display, stats);
  } catch (const ScenarioError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("UNEXPECTED EXCEPTION TYPE: ") + e.what();
  }
  return "NO ERROR";
}

// what() is "<location>: ..." and contains `phrase`.
::testing::AssertionResult Is(const std::string& what, const std::string& location, const std::string& phrase) {
  const std::string prefix = location + ": ";
  if (what.compare(0, prefix.size(), prefix) != 0)
    return ::testing::AssertionFailure() << "expected location '" << location << "' in: " << what;
  if (what.find(phrase) == std::string::npos)
    return ::testing::AssertionFailure() << "expected '" << phrase << "' in: " << what;
  return ::testing::AssertionSuccess();
}

// The start of an input, for failure messages.
std::string head(std::string_view text) { return std::string(text.substr(0, 120)) + (text.size() > 120 ? "..." : ""); }

#define EXPECT_ERROR(text, location, phrase) \
  EXPECT_TRUE(Is(read_error(text), location, phrase)) << "input: " << head(text)
#define EXPECT_ERROR_L(text, limits, location, phrase) \
  EXPECT_TRUE(Is(read_error(text, limits), location, phrase)) << "input: " << head(text)

// The hostile inputs below are bounded by the work the reader counts
// (ReadStats), not by a clock: a count does not change with the machine's
// load, and a quadratic reader shows as a count out of proportion to the
// input. Speed is measured in bench/bench_main.cpp (BM_Yaml_*).

// The parser is handed the text in windows of this many bytes.
constexpr std::size_t kWindow = 4096;

std::string show(const ReadStats& s) {
  return "read " + std::to_string(s.bytes_read) + " bytes, parsed " + std::to_string(s.bytes_parsed) +
         ", text steps " + std::to_string(s.text_steps) + ", nodes " + std::to_string(s.nodes) +
         ", key probes " + std::to_string(s.key_probes);
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "yaml_reader_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, std::string_view bytes) const {
    const std::string p = path(name);
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }
  fs::path dir_;
};

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Block mappings nested by indentation: line i (1-based) is i-1 spaces and
// "a:", so the collection at depth i starts at line i, column i.
std::string indented_mappings(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) out += std::string(i, ' ') + "a:\n";
  out += std::string(depth, ' ') + "x\n";
  return out;
}

// ---------------------------------------------------------------------------
// Error and Location

TEST(YamlError, LocationText) {
  EXPECT_EQ(to_string(Location{"a.yaml", 3, 5}), "a.yaml:3:5");
  EXPECT_EQ(to_string(Location{"a.yaml", 0, 0}), "a.yaml");
  EXPECT_EQ(to_string(Location{"a.yaml", 0, 7}), "a.yaml");
  EXPECT_EQ(to_string(Location{"a.yaml", 4, 0}), "a.yaml:4");
  const ScenarioError e(Location{"a.yaml", 3, 5}, "bad thing");
  EXPECT_STREQ(e.what(), "a.yaml:3:5: bad thing");
  EXPECT_EQ(e.message(), "bad thing");
  EXPECT_EQ(e.where().line, 3);
  EXPECT_STREQ(ScenarioError(Location{"a.yaml", 0, 0}, "gone").what(), "a.yaml: gone");
}

// ---------------------------------------------------------------------------
// Happy paths

TEST(YamlRead, NestedTreeWithLocations) {
  const std::string text =
      "# a comment\n"                          // 1
      "name: kaspersky   # trailing comment\n"  // 2
      "timeline:\n"                             // 3
      "  start: 2024-01-01\n"                   // 4
      "  months: 36\n"                          // 5
      "prices:\n"                               // 6
      "  - 1\n"                                 // 7
      "  - two\n"                               // 8
      "  - [3, \"four\", 'it''s']\n"            // 9
      "  - {a: 1, b: [x, y]}\n"                 // 10
      "empty:\n"                                // 11
      "tilde: ~\n"                              // 12
      "null_word: null\n"                       // 13
      "quoted: \"350\"\n"                       // 14
      "block: |\n"                              // 15
      "  line one\n"                            // 16
      "  line two\n"                            // 17
      "folded: >-\n"                            // 18
      "  a\n"                                   // 19
      "  b\n"                                   // 20
      "last: end\n";                            // 21
  const Node root = parse(text);
  ASSERT_TRUE(root.is_mapping());
  ASSERT_EQ(root.entries.size(), 10u);
  EXPECT_EQ(root.where.file, kName);

  const auto& [name_key, name] = root.entries[0];
  EXPECT_EQ(name_key.text, "name");
  EXPECT_EQ(name_key.where.line, 2);
  EXPECT_EQ(name_key.where.column, 1);
  EXPECT_EQ(name.text, "kaspersky");
  EXPECT_FALSE(name.quoted);
  EXPECT_EQ(to_string(name.where), "t.yaml:2:7");

  const Node* timeline = root.find("timeline");
  ASSERT_NE(timeline, nullptr);
  ASSERT_TRUE(timeline->is_mapping());
  EXPECT_EQ(to_string(timeline->where), "t.yaml:4:3");
  EXPECT_EQ(to_string(timeline->find("months")->where), "t.yaml:5:11");
  EXPECT_EQ(to_date(*timeline->find("start")), 19723);

  const Node* prices = root.find("prices");
  ASSERT_NE(prices, nullptr);
  ASSERT_TRUE(prices->is_sequence());
  ASSERT_EQ(prices->items.size(), 4u);
  EXPECT_EQ(to_string(prices->where), "t.yaml:7:3");
  EXPECT_EQ(to_string(prices->items[0].where), "t.yaml:7:5");
  EXPECT_EQ(prices->items[1].text, "two");
  const Node& flow = prices->items[2];
  ASSERT_TRUE(flow.is_sequence());
  EXPECT_EQ(to_string(flow.where), "t.yaml:9:5");
  ASSERT_EQ(flow.items.size(), 3u);
  EXPECT_EQ(flow.items[1].text, "four");
  EXPECT_TRUE(flow.items[1].quoted);
  EXPECT_EQ(to_string(flow.items[1].where), "t.yaml:9:9");
  EXPECT_EQ(flow.items[2].text, "it's");
  EXPECT_TRUE(flow.items[2].quoted);
  EXPECT_EQ(to_string(flow.items[2].where), "t.yaml:9:17");
  const Node& fmap = prices->items[3];
  ASSERT_TRUE(fmap.is_mapping());
  EXPECT_EQ(to_string(fmap.where), "t.yaml:10:5");
  EXPECT_EQ(to_string(fmap.entries[1].first.where), "t.yaml:10:12");
  EXPECT_EQ(to_string(fmap.find("b")->where), "t.yaml:10:15");
  EXPECT_EQ(to_string(fmap.find("b")->items[0].where), "t.yaml:10:16");

  // `key:` with nothing after it is null, placed at its key.
  const Node* empty = root.find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_TRUE(empty->is_null());
  EXPECT_EQ(to_string(empty->where), "t.yaml:11:1");
  EXPECT_TRUE(root.find("tilde")->is_null());
  EXPECT_EQ(to_string(root.find("tilde")->where), "t.yaml:12:8");
  EXPECT_TRUE(root.find("null_word")->is_null());
  EXPECT_EQ(to_string(root.find("null_word")->where), "t.yaml:13:12");
  // Even when the next key starts like a null.
  EXPECT_EQ(to_string(parse("a:\nnullable: 1\n").find("a")->where), "t.yaml:1:1");
  EXPECT_EQ(to_string(parse("a:\n~b: 1\n").find("a")->where), "t.yaml:1:1");

  const Node* quoted = root.find("quoted");
  EXPECT_TRUE(quoted->is_scalar());
  EXPECT_TRUE(quoted->quoted);
  EXPECT_EQ(quoted->text, "350");
  EXPECT_EQ(to_string(quoted->where), "t.yaml:14:9");
  EXPECT_EQ(root.find("block")->text, "line one\nline two\n");
  EXPECT_TRUE(root.find("block")->quoted);  // block scalars count as quoted
  EXPECT_EQ(root.find("folded")->text, "a b");
  EXPECT_EQ(to_string(root.find("last")->where), "t.yaml:21:7");
  EXPECT_EQ(root.find("missing"), nullptr);
  EXPECT_EQ(name.find("name"), nullptr);  // find on a scalar
}

TEST(YamlRead, FlowRootAndEmptyCollections) {
  const Node root = parse("{a: 1, b: [2, 3], c: {}, d: [], e: \"\"}");
  ASSERT_TRUE(root.is_mapping());
  EXPECT_EQ(root.find("b")->items.size(), 2u);
  EXPECT_TRUE(root.find("c")->is_mapping());
  EXPECT_TRUE(root.find("c")->entries.empty());
  EXPECT_TRUE(root.find("d")->is_sequence());
  EXPECT_TRUE(root.find("e")->is_scalar());
  EXPECT_TRUE(root.find("e")->quoted);
  EXPECT_EQ(root.find("e")->text, "");
}

TEST(YamlRead, ExplicitDocumentMarkersAndComments) {
  const Node root = parse("# header\n---\n# inside\na: 1 # c\n...\n# after the end\n");
  EXPECT_EQ(root.find("a")->text, "1");
  EXPECT_EQ(to_string(root.find("a")->where), "t.yaml:4:4");
}

TEST(YamlRead, Utf8BomCrlfAndCharacterColumns) {
  const Node root = parse("\xEF\xBB\xBFname: caf\xC3\xA9\r\nb: {\xC3\xBC: 1, x: 2}\r\n");
  EXPECT_EQ(root.find("name")->text, "caf\xC3\xA9");
  EXPECT_EQ(to_string(root.entries[0].first.where), "t.yaml:1:1");  // the BOM is not a column
  // Columns count characters: 'ü' is two bytes but one column.
  EXPECT_EQ(to_string(root.find("b")->find("x")->where), "t.yaml:2:14");
  // A duplicate after multi-byte characters is still placed by characters.
  EXPECT_ERROR("\xC3\xA4: 1\nb: {\xC3\xBC: 1, \xC3\xBC: 2}\n", "t.yaml:2:11",
               "duplicate key '\xC3\xBC' (first defined at line 2, column 5)");
}

TEST(YamlRead, TabsThatAreNotIndentation) {
  // A tab after the key, on a blank line and inside block scalar text is fine.
  const Node root = parse("a:\t1\n  \t \nb: |\n  x\n  \ty\nc: 2\n");
  EXPECT_EQ(root.find("a")->text, "1");
  EXPECT_EQ(root.find("b")->text, "x\n\ty\n");
  EXPECT_EQ(root.find("c")->text, "2");
  EXPECT_EQ(parse("a: \"x\ty\"\n").find("a")->text, "x\ty");
}

TEST(YamlRead, SameKeyInDifferentMappingsIsFine) {
  const Node root = parse("a: {x: 1}\nb: {x: 2}\nc:\n  - x: 3\n  - x: 4\n");
  EXPECT_EQ(root.find("b")->find("x")->text, "2");
  EXPECT_EQ(root.find("c")->items[1].find("x")->text, "4");
}

TEST(YamlRead, QuotedMergeKeyIsAnOrdinaryKey) {
  EXPECT_EQ(parse("\"<<\": 1\n").find("<<")->text, "1");
}

TEST(YamlRead, DescribeKind) {
  const Node root = parse("m: {}\ns: []\nn: 350\nf: -1.5e3\nw: abc\nq: \"350\"\nz: ~\nt: true\n");
  EXPECT_EQ(describe_kind(*root.find("m")), "a mapping");
  EXPECT_EQ(describe_kind(*root.find("s")), "a sequence");
  EXPECT_EQ(describe_kind(*root.find("n")), "a number");
  EXPECT_EQ(describe_kind(*root.find("f")), "a number");
  EXPECT_EQ(describe_kind(*root.find("w")), "a string");
  EXPECT_EQ(describe_kind(*root.find("q")), "a string");
  EXPECT_EQ(describe_kind(*root.find("z")), "null");
  EXPECT_EQ(describe_kind(*root.find("t")), "a string");
}

// ---------------------------------------------------------------------------
// Structure errors

TEST(YamlErrors, EmptyDocuments) {
  EXPECT_EQ(read_error(""), "t.yaml: the file is empty; expected a mapping of scenario keys");
  EXPECT_EQ(read_error("# only\n# comments\n\n"), "t.yaml: the file is empty; expected a mapping of scenario keys");
  EXPECT_EQ(read_error("---\n"), "t.yaml: the file is empty; expected a mapping of scenario keys");
  EXPECT_EQ(read_error("\xEF\xBB\xBF"), "t.yaml: the file is empty; expected a mapping of scenario keys");
}

TEST(YamlErrors, RootMustBeAMapping) {
  EXPECT_ERROR("- a\n- b\n", "t.yaml:1:1", "expected a mapping at the top level, got a sequence");
  EXPECT_ERROR("[a, b]\n", "t.yaml:1:1", "expected a mapping at the top level, got a sequence");
  EXPECT_ERROR("# c\nhello\n", "t.yaml:2:1", "expected a mapping at the top level, got a string");
  EXPECT_ERROR("42\n", "t.yaml:1:1", "expected a mapping at the top level, got a number");
  EXPECT_ERROR("~\n", "t.yaml:1:1", "expected a mapping at the top level, got null");
  EXPECT_ERROR("\"a: 1\"\n", "t.yaml:1:1", "expected a mapping at the top level, got a string");
}

TEST(YamlErrors, DuplicateKeys) {
  EXPECT_ERROR("market:\n  x:\n    endpoints: 1\n    y: 2\n    endpoints: 3\n", "t.yaml:5:5",
               "duplicate key 'endpoints' (first defined at line 3, column 5)");
  EXPECT_ERROR("a: 1\nb: 2\na: 3\n", "t.yaml:3:1", "duplicate key 'a' (first defined at line 1, column 1)");
  EXPECT_ERROR("a: 1\n\"a\": 2\n", "t.yaml:2:1", "duplicate key 'a'");
  EXPECT_ERROR("x: {k: 1, 'k': 2}\n", "t.yaml:1:11", "duplicate key 'k' (first defined at line 1, column 5)");
}

TEST(YamlErrors, KeysMustBeNames) {
  EXPECT_ERROR("[a]: 1\n", "t.yaml:1:1", "a mapping key must be a plain or quoted name, got a sequence");
  EXPECT_ERROR("a: 1\n? {b: 1}\n: 2\n", "t.yaml:2:3", "a mapping key must be a plain or quoted name, got a mapping");
  EXPECT_ERROR("a: 1\n: 2\n", "t.yaml:2:1", "a mapping entry has no key before its ':'");
  EXPECT_ERROR("a: {: 1}\n", "t.yaml:1:5", "a mapping entry has no key before its ':'");
  EXPECT_ERROR("a: {" + std::string(2000, 'k') + ": 1}\n", "t.yaml:1:5",
               "expected a 'key: value' entry here (a key written without '? ' must fit on one line and in 1024 characters)");
  EXPECT_ERROR("a: 1\n~: 2\n", "t.yaml:2:1", "a mapping key must be a name, got null");
  EXPECT_ERROR("a: 1\nnull: 2\n", "t.yaml:2:1", "a mapping key must be a name, got null");
  // "? ? ? ..." nests block mappings as keys on one line: refused at the
  // first one, long before yaml-cpp recurses deeply.
  EXPECT_ERROR(repeat("? ", 100'000) + "x\n", "t.yaml:1:3",
               "a mapping key must be a plain or quoted name, got a mapping");
}

TEST(YamlErrors, MergeKeys) {
  EXPECT_ERROR("base: {a: 1}\nderived:\n  <<: {b: 2}\n", "t.yaml:3:3", "merge keys (<<) are not supported");
  EXPECT_ERROR("a: &base {x: 1}\nb:\n  <<: *base\n", "t.yaml:1:4", "anchors (&name) are not allowed");
}

TEST(YamlErrors, AnchorsAndAliases) {
  EXPECT_ERROR("a: &x 1\n", "t.yaml:1:4", "anchors (&name) are not allowed (found '&x')");
  EXPECT_ERROR("a: &x\n  b: 1\n", "t.yaml:1:4", "anchors (&name) are not allowed (found '&x')");
  EXPECT_ERROR("a: 1\nb: [&y c]\n", "t.yaml:2:5", "anchors (&name) are not allowed");
  EXPECT_ERROR("&k a: 1\n", "t.yaml:1:1", "anchors (&name) are not allowed");
  EXPECT_ERROR("a: 1\nb: *x\n", "t.yaml:2:4", "aliases (*name) are not allowed (found '*x')");
  EXPECT_ERROR("a: 1\nb: [1, *zz]\n", "t.yaml:2:8", "aliases (*name) are not allowed (found '*zz')");
  EXPECT_ERROR("a: &x &y 1\n", "t.yaml:1:7", "anchors (&name) are not allowed");
}

TEST(YamlErrors, AliasBombAndCycles) {
  // "Billion laughs": refused at the first anchor, nothing is expanded.
  std::string bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [" + repeat("*" + prev + ",", 8) + "*" + prev + "]\n";
    prev = std::string(1, c);
  }
  ReadStats stats;
  EXPECT_TRUE(Is(read_error(bomb, {}, &stats), "t.yaml:1:4", "anchors (&name) are not allowed (found '&a')"));
  // Nothing of the 9^10 values was built: only the root and the key 'a'.
  EXPECT_EQ(stats.nodes, 2u) << show(stats);
  // The same without anchors: every alias is unknown, the first is refused.
  EXPECT_ERROR("a: [lol, lol]\nb: [*a, *a]\n", "t.yaml:2:5", "aliases (*name) are not allowed (found '*a')");
  // Cycles.
  EXPECT_ERROR("a: &a [*a]\n", "t.yaml:1:4", "anchors (&name) are not allowed");
  EXPECT_ERROR("a: &a {b: *a}\n", "t.yaml:1:4", "anchors (&name) are not allowed");
  EXPECT_ERROR("a: [*a]\n", "t.yaml:1:5", "aliases (*name) are not allowed");
}

TEST(YamlErrors, Tags) {
  EXPECT_ERROR("a: !!str 5\n", "t.yaml:1:4", "explicit tags such as '!!str' are not allowed");
  EXPECT_ERROR("a: 1\nb: !foo x\n", "t.yaml:2:4", "explicit tags such as '!foo' are not allowed");
  EXPECT_ERROR("a: ! x\n", "t.yaml:1:4", "explicit tags such as '!' are not allowed");
  EXPECT_ERROR("a: ! \"x\"\n", "t.yaml:1:4", "explicit tags such as '!' are not allowed");
  EXPECT_ERROR("a: !!map {b: 1}\n", "t.yaml:1:4", "explicit tags such as '!!map' are not allowed");
  EXPECT_ERROR("a: !!seq [1]\n", "t.yaml:1:4", "explicit tags such as '!!seq' are not allowed");
  EXPECT_ERROR("a: !<tag:example.com,2000:x> 1\n", "t.yaml:1:4", "explicit tags such as 'tag:example.com,2000:x'");
  EXPECT_ERROR("a: !!null\nb: 1\n", "t.yaml:1:4", "explicit tags such as '!!null' are not allowed");
  EXPECT_ERROR("!!map\na: 1\n", "t.yaml:1:1", "explicit tags");
}

TEST(YamlErrors, SecondDocument) {
  EXPECT_ERROR("a: 1\n---\nb: 2\n", "t.yaml:2:1", "a second YAML document starts here; a scenario file holds one document");
  EXPECT_ERROR("a: 1\n--- \n", "t.yaml:2:1", "a second YAML document starts here");
  EXPECT_ERROR("---\n---\na: 1\n", "t.yaml:2:1", "a second YAML document starts here");
  EXPECT_ERROR("a: 1\n...\nb: 2\n", "t.yaml:3:1", "unexpected text after the end of the document");
  EXPECT_ERROR("{a: 1}\nb: 2\n", "t.yaml:2:1", "unexpected text after the end of the document");
}

TEST(YamlErrors, Directives) {
  EXPECT_ERROR("%YAML 1.2\n---\na: 1\n", "t.yaml:1:1", "YAML directives (%YAML, %TAG) are not supported");
  EXPECT_ERROR("# c\n\n%TAG ! tag:example.com,2000:\n---\na: 1\n", "t.yaml:3:1", "YAML directives");
  // yaml-cpp would silently drop this line: refused.
  EXPECT_ERROR("a: 1\n%b: 2\n", "t.yaml:2:1", "is a YAML directive, which is not supported");
}

// ---------------------------------------------------------------------------
// Bytes and characters

TEST(YamlBytes, NulBytes) {
  EXPECT_ERROR(std::string("a: 1\nb: x\0y\n", 12), "t.yaml:2:5", "NUL byte");
  EXPECT_ERROR(std::string("a: 1\n\0", 6), "t.yaml:2:1", "NUL byte");
}

TEST(YamlBytes, Utf16And32) {
  const auto utf16le = [](std::string_view s, bool bom) {
    std::string out = bom ? "\xFF\xFE" : "";
    for (char c : s) out += std::string{c, '\0'};
    return out;
  };
  const auto utf16be = [](std::string_view s, bool bom) {
    std::string out = bom ? "\xFE\xFF" : "";
    for (char c : s) out += std::string{'\0', c};
    return out;
  };
  EXPECT_EQ(read_error(utf16le("a: 1\n", true)),
            "t.yaml: looks like UTF-16 (little-endian, with a byte order mark); save the file as UTF-8");
  EXPECT_TRUE(Is(read_error(utf16le("a: 1\n", false)), "t.yaml", "looks like UTF-16 (little-endian)"));
  EXPECT_TRUE(Is(read_error(utf16be("a: 1\n", true)), "t.yaml", "looks like UTF-16 (big-endian"));
  EXPECT_TRUE(Is(read_error(utf16be("a: 1\n", false)), "t.yaml", "looks like UTF-16 (big-endian)"));
  EXPECT_TRUE(Is(read_error(std::string("\xFF\xFE\0\0a\0\0\0", 8)), "t.yaml", "looks like UTF-32"));
  EXPECT_TRUE(Is(read_error(std::string("\0\0\xFE\xFF\0\0\0a", 8)), "t.yaml", "looks like UTF-32"));
  EXPECT_TRUE(Is(read_error(std::string("a\0\0\0:\0\0\0", 8)), "t.yaml", "looks like UTF-32 (little-endian)"));
  EXPECT_TRUE(Is(read_error(std::string("\0\0\0a\0\0\0:", 8)), "t.yaml", "looks like UTF-32 (big-endian)"));
}

TEST(YamlBytes, InvalidUtf8) {
  EXPECT_ERROR("a: caf\xE9\n", "t.yaml:1:7", "invalid UTF-8 (byte 0xE9); save the file as UTF-8");
  EXPECT_ERROR("a: 1\nb: \xC3\xA9\xC0\xAF\n", "t.yaml:2:5", "invalid UTF-8 (byte 0xC0)");  // overlong '/'
  EXPECT_ERROR("a: \xED\xA0\x80\n", "t.yaml:1:4", "invalid UTF-8 (byte 0xED)");            // surrogate
  EXPECT_ERROR("a: \xF4\x90\x80\x80\n", "t.yaml:1:4", "invalid UTF-8");                    // > U+10FFFF
  EXPECT_ERROR("a: \xE2\x82", "t.yaml:1:4", "invalid UTF-8 (byte 0xE2)");                  // cut short
  EXPECT_ERROR("a: \x80\n", "t.yaml:1:4", "invalid UTF-8 (byte 0x80)");
  EXPECT_ERROR("\xEF\xBB\xBF\xEF\xBB", "t.yaml:1:1", "invalid UTF-8");
  // Valid 2, 3 and 4 byte characters pass.
  EXPECT_EQ(parse("a: \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\n").find("a")->text, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(YamlBytes, ControlCharactersAndLoneCarriageReturns) {
  // yaml-cpp reads 0x04 as the end of the input: refused before it sees it.
  EXPECT_ERROR("a: 1\nb: x\x04y\nc: 3\n", "t.yaml:2:5", "control character U+0004 is not allowed");
  EXPECT_ERROR("a: \x7F\n", "t.yaml:1:4", "control character U+007F");
  EXPECT_ERROR("a: \xC2\x9B\n", "t.yaml:1:4", "control character U+009B");
  EXPECT_ERROR("a: 1\rb: 2\r", "t.yaml:1:5", "carriage return (CR) without a line feed");
  EXPECT_ERROR("a: 1\r", "t.yaml:1:5", "carriage return (CR) without a line feed");
}

TEST(YamlBytes, TabsInIndentation) {
  EXPECT_ERROR("a:\n\tb: 1\n", "t.yaml:2:1", "tab used for indentation; use spaces");
  EXPECT_ERROR("a:\n  b: 1\n  \tc: 2\n", "t.yaml:3:3", "tab used for indentation; use spaces");
  EXPECT_ERROR("a:\n  - 1\n\t- 2\n", "t.yaml:3:1", "tab used for indentation");
  EXPECT_ERROR("a: 1\n\t# comment\n", "t.yaml:2:1", "tab used for indentation");  // yaml-cpp refuses it too
  // After a block scalar ends, tabs in indentation are caught again.
  EXPECT_ERROR("a: |\n  text\n\tb: 1\n", "t.yaml:3:1", "tab used for indentation");
}

// ---------------------------------------------------------------------------
// Syntax errors from yaml-cpp, placed and explained

TEST(YamlSyntax, UnclosedQuotes) {
  // yaml-cpp 0.7 would swallow the rest of the file into the string.
  EXPECT_ERROR("a: \"unclosed\nb: 2\n", "t.yaml:1:4", "end of file inside a quoted string; close the quote");
  EXPECT_ERROR("a: 1\nb: 'it''s\n", "t.yaml:2:4", "end of file inside a quoted string");
  EXPECT_ERROR("a: [\"x, y]\n", "t.yaml:1:5", "end of file inside a quoted string");
  EXPECT_ERROR("\"a: 1\n", "t.yaml:1:1", "end of file inside a quoted string");
  EXPECT_ERROR("a: \"x\\\"\n", "t.yaml:1:4", "end of file inside a quoted string");  // \" is not the end
  EXPECT_EQ(parse("a: \"x\\\"y\"\nb: 'it''s'\n").find("a")->text, "x\"y");
}

TEST(YamlSyntax, UnclosedFlowCollections) {
  EXPECT_ERROR("a: [1, 2\n", "t.yaml:1:4", "this '[' is never closed (the file ends first); add the ']'");
  EXPECT_ERROR("a: {x: 1\n# comment\n", "t.yaml:1:4", "this '{' is never closed");
  EXPECT_ERROR("a: [1, 2\nb: 3\n", "t.yaml:2:2", "expected ',' or ']' here, inside the '[' at line 1, column 4");
  EXPECT_ERROR("a: [1, 2}\n", "t.yaml:1:9", "illegal flow end");
  // yaml-cpp turns unclosed nested '[' into mapping keys at the end of the
  // file; the error is still about the bracket.
  EXPECT_ERROR("a:\n  - [[[\n", "t.yaml:2:7", "this '[' is never closed");
  EXPECT_ERROR("a: [{x: [1, 2\n", "t.yaml:1:9", "this '[' is never closed");
  // Real collection keys in flow context are refused when complete.
  EXPECT_ERROR("a: [[x]: 1]\n", "t.yaml:1:5", "a mapping key must be a plain or quoted name, got a sequence");
  EXPECT_ERROR("a: {[x]: 1}\n", "t.yaml:1:5", "a mapping key must be a plain or quoted name, got a sequence");
}

TEST(YamlSyntax, CommonMistakes) {
  EXPECT_ERROR("a: b: c\n", "t.yaml:1:5", "illegal map value; a ':' here starts a key");
  EXPECT_ERROR("a: 1\n  b: 2\n", "t.yaml:2:4", "illegal map value");
  EXPECT_ERROR("a:\n  - 1\n  x: 2\n", "t.yaml:3:3", "end of map not found; expected 'key: value'");
  EXPECT_ERROR("a: 1\n- b\n", "t.yaml:2:1", "end of map not found");
  EXPECT_ERROR("a: 1\n]\n", "t.yaml:2:1", "this ']' or '}' has no matching '[' or '{'");
  EXPECT_ERROR("a: @x\n", "t.yaml:1:4", "'@' cannot start a plain value; quote the value");
  EXPECT_ERROR("a: `x\n", "t.yaml:1:4", "'`' cannot start a plain value");
  EXPECT_ERROR("a: \"\\q\"\n", "t.yaml:1:5", "unknown escape character: q; in double quotes write \\\\ for a backslash");
  EXPECT_ERROR("a: 1\nb: \"C:\\xZZ\"\n", "t.yaml:2:7", "bad character found while scanning hex number");
  EXPECT_ERROR("a: |x\n  b\n", "t.yaml:1:5", "unexpected character in block scalar");
}

// ---------------------------------------------------------------------------
// Defects the YAML test suite found (issue 21; tests/conformance runs the
// whole suite): yaml-cpp 0.7 accepts these invalid inputs or misreads these
// valid ones, so the reader checks the source itself. The suite's ids are
// in brackets.

TEST(YamlSuite, HashWithoutASpaceIsNoComment) {
  // [SU5Z, X4QW, 9JBA, CVW2] yaml-cpp took each '#' for a comment.
  const char* phrase = "a '#' starts a comment only after a space";
  EXPECT_ERROR("name: \"msp-350\"# note\n", "t.yaml:1:16", phrase);
  EXPECT_ERROR("a: 'x'#c\n", "t.yaml:1:7", phrase);
  EXPECT_ERROR("a: >#c\n  x\n", "t.yaml:1:5", phrase);
  EXPECT_ERROR("a: [x]# c\n", "t.yaml:1:7", phrase);
  EXPECT_ERROR("a: [x,#c\n  y]\n", "t.yaml:1:7", phrase);
  EXPECT_ERROR("a: {x: 1}#c\n", "t.yaml:1:10", phrase);
  // A '#' inside a value, or after a space, is what it always was.
  const Node root = parse("a: x#y\nb: \"p#q\"\nc: [r#s]\nd: |\n  t#u\ne: v # w#x\n");
  EXPECT_EQ(root.find("a")->text, "x#y");
  EXPECT_EQ(root.find("b")->text, "p#q");
  EXPECT_EQ(root.find("c")->items[0].text, "r#s");
  EXPECT_EQ(root.find("d")->text, "t#u\n");
  EXPECT_EQ(root.find("e")->text, "v");
}

TEST(YamlSuite, LineWithoutAColonIsNoKey) {
  // [236B, 7MNF, 9CWY] yaml-cpp read the line as "invalid: null".
  const char* phrase = "has no ':' after it";
  EXPECT_ERROR("foo:\n  bar\ninvalid\n", "t.yaml:3:1", "expected 'key: value' here, but 'invalid' has no ':'");
  EXPECT_ERROR("a:\n  b: 1\nc\n", "t.yaml:3:1", phrase);
  EXPECT_ERROR("key:\n  - item1\ninvalid\n", "t.yaml:3:1", phrase);
  // An empty value after the ':' and an explicit key are entries.
  const Node root = parse("a:\nb :\n? c\n");
  EXPECT_TRUE(root.find("a")->is_null());
  EXPECT_TRUE(root.find("b")->is_null());
  EXPECT_TRUE(root.find("c")->is_null());
}

TEST(YamlSuite, ContinuationLinesAreIndented) {
  // [9C9N, QB6E] a quoted value or flow list continues on a line indented
  // more than its key; column 0 was accepted.
  const char* phrase = "must be indented more than the key or '-' it belongs to (at least 1 space)";
  EXPECT_ERROR("flow: [a,\nb,\nc]\n", "t.yaml:2:1", phrase);
  EXPECT_ERROR("quoted: \"a\nb\nc\"\n", "t.yaml:2:1", phrase);
  EXPECT_ERROR("a: [x\n]\nb: 1\n", "t.yaml:2:1", phrase);
  EXPECT_ERROR("a: [x,\n]\n", "t.yaml:2:1", phrase);  // checked at the end of the document
  EXPECT_ERROR("a: [x]\n---\nb: [y]\n", "t.yaml:2:1", "a second YAML document starts here");
  EXPECT_ERROR("a:\n  b: [x,\n  y]\n", "t.yaml:3:3", "(at least 3 spaces)");
  const Node root = parse("a: [x,\n y]\nb: \"p\n q\"\nc:\n  d: {e: 1,\n   f: 2}\n");
  EXPECT_EQ(root.find("a")->items.size(), 2u);
  EXPECT_EQ(root.find("b")->text, "p q");
  EXPECT_EQ(root.find("c")->find("d")->find("f")->text, "2");
  // A flow collection at the top level may continue at column 1.
  EXPECT_EQ(parse("{a: [x,\ny]}\n").find("a")->items[1].text, "y");
}

TEST(YamlSuite, UndefinedEscapes) {
  // [HRE5] yaml-cpp read \' as a quote.
  EXPECT_ERROR("double: \"quoted \\' scalar\"\n", "t.yaml:1:17", "invalid escape '\\'' in double quotes");
  EXPECT_EQ(parse("a: \"x\\/y\\ z\\\"\"\n").find("a")->text, "x/y z\"");
}

TEST(YamlSuite, FlowSequenceEntries) {
  // [YJV2, G5U8] a plain '-' is a list marker, not a value.
  EXPECT_ERROR("a: [-]\n", "t.yaml:1:5", "a '-' alone cannot be a value inside '[ ]' or '{ }'");
  EXPECT_ERROR("a:\n  - [-, -]\n", "t.yaml:2:6", "a '-' alone cannot be a value");
  // [9MAG, CTN5] empty entries were read as nulls.
  EXPECT_ERROR("a: [ , a, b]\n", "t.yaml:1:6", "an empty entry inside '[ ]'");
  EXPECT_ERROR("a: [a, b, , ]\n", "t.yaml:1:11", "an empty entry inside '[ ]'");
  const Node root = parse("a: [x, ]\nb: [-1, -x]\n");
  EXPECT_EQ(root.find("a")->items.size(), 1u);  // one trailing ',' is allowed
  EXPECT_EQ(root.find("b")->items[1].text, "-x");
}

TEST(YamlSuite, BlockScalarLeadingBlankLines) {
  // [S98Z] blank lines wider than the first line of text were read as "".
  const char* phrase = "a blank line at the start of a block scalar (| or >) has more spaces than its first line";
  EXPECT_ERROR("empty block scalar: >\n \n  \n   \n # comment\n", "t.yaml:4:1", phrase);
  EXPECT_ERROR("a: |\n   \n  x\n", "t.yaml:2:1", phrase);
  // Not wider, or with no text at all: fine.
  EXPECT_EQ(parse("a: |\n  \n  x\n").find("a")->text, "\nx\n");
  EXPECT_EQ(parse("a: |\n     \nb: 1\n").find("a")->text, "");
}

TEST(YamlSuite, BlockScalarsReadExactly) {
  // [L24T/01] the last line break at the end of a file without one.
  EXPECT_EQ(parse("foo: |\n  x\n   ").find("foo")->text, "x\n \n");
  EXPECT_EQ(parse("foo: >\n  x").find("foo")->text, "x\n");
  // [JEF9, 6FWR, DWX9] keep chomping and lines of spaces.
  EXPECT_EQ(parse("a: |+\n\n\nb: 1\n").find("a")->text, "\n\n");
  EXPECT_EQ(parse("a: |+\n  ab\n  \n   \n").find("a")->text, "ab\n\n \n");
  EXPECT_EQ(parse("a: |\n \n  \n    literal\n     \n    \n    text\n\n # c\n").find("a")->text,
            "\n\nliteral\n \n\ntext\n");
  // Folding: lines fold to spaces, empty lines and more indented lines keep
  // their breaks.
  EXPECT_EQ(parse("a: >\n  x\n  y\n\n  z\n   w\n").find("a")->text, "x y\nz\n w\n");
  EXPECT_EQ(parse("a: |2\n   x\n").find("a")->text, " x\n");
  EXPECT_EQ(parse("a: |-\n  x\n\n").find("a")->text, "x");
}

TEST(YamlSuite, QuotedLineBreaksOnly) {
  // [NAT4] a quoted value made only of line breaks lost one of them.
  const Node root = parse("a: '\n  '\nb: \"\n\n  \"\nc: '\n\n\n  '\n");
  EXPECT_EQ(root.find("a")->text, " ");
  EXPECT_EQ(root.find("b")->text, "\n");
  EXPECT_EQ(root.find("c")->text, "\n\n");
}

TEST(YamlSuite, TabOnABlankLine) {
  // [DK95/04] yaml_reader.h allows a tab on a blank line; yaml-cpp refused
  // one at the start of the line as indentation.
  const Node root = parse("foo: 1\n\t\nbar: 2\n");
  EXPECT_EQ(root.find("bar")->text, "2");
  EXPECT_EQ(to_string(root.find("bar")->where), "t.yaml:3:6");
}

TEST(YamlSuite, UnsupportedFlowFeaturesAreNamed) {
  // [4MUZ, 5MUD, K3WX, VJP3/01, 8KB6, 9BXH, 9SA2, NJ66] and [652Z, HM87/01,
  // JR7V]: valid YAML outside the subset, refused with what is not supported.
  EXPECT_ERROR("a: {\"foo\"\n  : \"bar\"}\n", "t.yaml:1:5",
               "inside '{ }' a key must be on one line with its ':' and not empty (multi-line and empty keys "
               "are not supported)");
  EXPECT_ERROR("a: [?x]\n", "t.yaml:1:5", "a '?' in a plain value inside '[ ]' or '{ }'");
  EXPECT_ERROR("a: {?x: 1}\n", "t.yaml:1:5", "is not supported: yaml-cpp reads it as a key marker");
}

// ---------------------------------------------------------------------------
// Limits

TEST(YamlLimits, DepthFlow) {
  // The root mapping is level 1, so the 64th '[' is level 65.
  EXPECT_ERROR("a: " + repeat("[", 100) + repeat("]", 100), "t.yaml:1:67",
               "collections nested more than 64 levels deep");
  EXPECT_NO_THROW(parse("a: " + repeat("[", 63) + repeat("]", 63)));
  ReadLimits shallow;
  shallow.max_depth = 3;
  EXPECT_ERROR_L("a:\n  b:\n    c:\n      d: 1\n", shallow, "t.yaml:4:7", "nested more than 3 levels deep");
  EXPECT_NO_THROW(parse("a:\n  b:\n    c: 1\n", shallow));
}

TEST(YamlLimits, HundredThousandOpenBrackets) {
  // Unclosed, yaml-cpp 0.7 reads each '[' as a mapping whose key is the
  // next '[' (two levels per bracket): the 33rd bracket opens level 65.
  const std::string deep = repeat("[", 100'000);
  ReadStats stats;
  EXPECT_TRUE(Is(read_error("a: " + deep, {}, &stats), "t.yaml:1:36", "collections nested more than 64 levels deep"));
  // Stopped at the limit: no more than the 64 levels (and the keys yaml-cpp
  // makes of the brackets) were built, and the reader's own work stayed in
  // the first 36 bytes. yaml-cpp itself scans the unclosed brackets once to
  // the end, looking for a ']' (bytes_parsed is the whole text): that scan's
  // speed is measured by BM_Yaml_UnclosedBrackets.
  EXPECT_LE(stats.nodes, 2u * 64) << show(stats);
  EXPECT_LE(stats.text_steps, 64u) << show(stats);
  EXPECT_TRUE(Is(read_error(deep, {}, &stats), "t.yaml:1:33", "collections nested more than 64 levels deep"));
  EXPECT_LE(stats.nodes, 2u * 64) << show(stats);
  EXPECT_LE(stats.text_steps, 64u) << show(stats);
  // Closed, it is one level per bracket.
  EXPECT_ERROR("a: " + deep + repeat("]", 100'000), "t.yaml:1:67", "collections nested more than 64 levels deep");
  // With our cap lifted, yaml-cpp's own guard (YAML::DeepRecursion, 500
  // levels in the Debian build) stops it, and that becomes a ScenarioError
  // at the innermost collection reached.
  ReadLimits unlimited;
  unlimited.max_depth = std::numeric_limits<int>::max();
  EXPECT_TRUE(Is(read_error("a: " + deep, unlimited), "t.yaml:1:253", "nested too deeply"));
}

TEST(YamlLimits, HundredThousandNestedBlockCollections) {
  // 100,000 nested block sequences on one line ("- - - ... x").
  const std::string seqs = "a:\n" + repeat("- ", 100'000) + "x\n";
  ReadStats stats;
  EXPECT_TRUE(Is(read_error(seqs, {}, &stats), "t.yaml:2:127", "collections nested more than 64 levels deep"));
  // Stopped at the limit: the parser saw the first window of the 200,000
  // bytes, and built the 64 levels.
  EXPECT_LE(stats.bytes_parsed, kWindow) << show(stats);
  EXPECT_LE(stats.nodes, 2u * 64) << show(stats);
  EXPECT_LE(stats.text_steps, kWindow) << show(stats);
  ReadLimits unlimited;
  unlimited.max_depth = std::numeric_limits<int>::max();
  EXPECT_TRUE(Is(read_error(seqs, unlimited), "t.yaml:2:995", "nested too deeply"));
  // 100,000 block mappings nested on one line ("? ? ? ... x"): see
  // KeysMustBeNames. Block mappings nested by indentation need i spaces at
  // level i (100,000 levels would be 5 GB), so take 2,800 levels: 3.9 MB,
  // just under the 4 MiB file cap.
  const std::string maps = indented_mappings(2'800);
  ASSERT_LT(maps.size(), ReadLimits{}.max_file_bytes);
  EXPECT_TRUE(Is(read_error(maps, {}, &stats), "t.yaml:65:65", "collections nested more than 64 levels deep"));
  // Line 65 ends 2,275 bytes in: the parser saw one window of the 3.9 MB.
  EXPECT_LE(stats.bytes_parsed, kWindow) << show(stats);
  EXPECT_LE(stats.nodes, 2u * 64) << show(stats);
  EXPECT_LE(stats.text_steps, kWindow) << show(stats);
  EXPECT_TRUE(Is(read_error(maps, unlimited), "t.yaml:499:499", "nested too deeply"));
  EXPECT_NO_THROW(parse(indented_mappings(64)));
}

TEST(YamlLimits, ScalarSize) {
  const std::string big(70'000, 'x');
  EXPECT_ERROR("a: 1\nb: " + big + "\n", "t.yaml:2:4",
               "a value of 70000 bytes is over the limit of 65536 bytes");
  EXPECT_ERROR("a: \"" + big + "\"\n", "t.yaml:1:4", "over the limit of 65536 bytes");
  // yaml-cpp limits keys without '? ' to 1024 characters (as YAML does).
  EXPECT_ERROR(big + ": 1\n", "t.yaml:1:70001", "a key without '? ' is limited to 1024 characters");
  ReadLimits small;
  small.max_scalar_bytes = 4;
  EXPECT_ERROR_L("abcd: 12345\n", small, "t.yaml:1:7", "a value of 5 bytes is over the limit of 4 bytes");
  EXPECT_NO_THROW(parse("abcd: 1234\n", small));
}

TEST(YamlLimits, NodeCount) {
  ReadLimits small;
  small.max_nodes = 10;  // root + 4 key/value pairs = 9 nodes
  EXPECT_NO_THROW(parse("a: 1\nb: 2\nc: 3\nd: [x]\n", small));
  EXPECT_ERROR_L("a: 1\nb: 2\nc: 3\nd: [x, y]\n", small, "t.yaml:4:8", "more than 10 values, keys and collections");
}

TEST(YamlLimits, WorkCounted) {
  // The counters the tests below bound count what they say (so that no
  // bound there passes on a counter that stopped counting), and a read
  // starts them from zero.
  std::string text = "q: \"quoted\"\nl: [x, y]\n";
  for (int i = 0; i < 1'000; ++i) text += "k" + std::to_string(i) + ": 0\n";
  ReadStats stats;
  stats.bytes_read = 99;
  stats.nodes = 99;
  EXPECT_NO_THROW(read_yaml_text(text, kName, {}, &stats));
  EXPECT_EQ(stats.bytes_read, 0u);  // text, not a file
  EXPECT_EQ(stats.bytes_parsed, text.size());
  EXPECT_EQ(stats.nodes, 1u + 2 + 4 + 2 * 1'000);  // root; q and its value; l, its sequence and items; the keys
  // Every character up to the last value ("0", two bytes from the end) once,
  // the quoted one's again to find its closing quote and once more to map
  // its text (Node::segments), and each plain scalar's again to find where
  // its source ends.
  std::size_t plain = 4;  // q, l, x, y
  for (int i = 0; i < 1'000; ++i) plain += ("k" + std::to_string(i)).size() + 1;
  EXPECT_EQ(stats.text_steps,
            text.size() - 2 + std::string("\"quoted\"").size() - 1 + std::string("quoted").size() + plain);
  EXPECT_GT(stats.key_probes, 0u);
  EXPECT_LE(stats.key_probes, 1'002u);
}

TEST(YamlLimits, ThreeHundredThousandKeys) {
  std::string text;
  for (int i = 0; i < 300'000; ++i) text += "k" + std::to_string(i) + ": 0\n";
  // Default limits: root + 2 nodes per key passes 500,000 at the value of
  // key 250,000 (line 250,000).
  ReadStats stats;
  EXPECT_TRUE(Is(read_error(text, {}, &stats), "t.yaml:250000:10", "more than 500000 values, keys and collections"));
  EXPECT_EQ(stats.nodes, 500'001u);
  // A tenth of the keys: the limit stops the read at key 25,000.
  ReadLimits tenth;
  tenth.max_nodes = 50'000;
  ReadStats tenth_stats;
  EXPECT_TRUE(Is(read_error(text, tenth, &tenth_stats), "t.yaml:25000:9", "more than 50000 values"));
  EXPECT_EQ(tenth_stats.nodes, 50'001u);
  // Linear work: ten times the keys (and 11 times the bytes: a digit more
  // per key) cost ten to eleven times the work, where a quadratic reader
  // would do a hundred times; and the work per key or byte is small.
  EXPECT_LE(stats.text_steps, 12 * tenth_stats.text_steps) << show(stats) << " vs " << show(tenth_stats);
  EXPECT_LE(stats.bytes_parsed, 12 * tenth_stats.bytes_parsed) << show(stats) << " vs " << show(tenth_stats);
  EXPECT_LE(stats.key_probes, 12 * tenth_stats.key_probes) << show(stats) << " vs " << show(tenth_stats);
  for (const auto& [s, keys] : {std::pair{stats, 250'000u}, std::pair{tenth_stats, 25'000u}}) {
    EXPECT_LE(s.key_probes, 2 * keys) << show(s);           // one or two compared per key
    EXPECT_LE(s.text_steps, 2 * s.bytes_parsed) << show(s);  // each character once or twice
  }
  // A small limit stops it at line 500, 3.9 KB into the 3.2 MB.
  ReadLimits small;
  small.max_nodes = 1'000;
  EXPECT_TRUE(Is(read_error(text, small, &stats), "t.yaml:500:7", "more than 1000 values"));
  EXPECT_LE(stats.bytes_parsed, 2 * kWindow) << show(stats);
  EXPECT_EQ(stats.nodes, 1'001u);
}

TEST(YamlLimits, TextSize) {
  ReadLimits tiny;
  tiny.max_file_bytes = 8;
  EXPECT_EQ(read_error("a: 12345\n", tiny), "t.yaml: the text is 9 bytes, over the limit of 8 bytes");
  EXPECT_NO_THROW(parse("a: 1234\n", tiny));
}

// ---------------------------------------------------------------------------
// Files

using YamlFile = TempDir;

TEST_F(YamlFile, ReadsAFile) {
  const std::string p = write("ok.yaml", "a: 1\nb: [2]\n");
  const Node root = read_yaml_file(p);
  EXPECT_EQ(root.find("a")->text, "1");
  EXPECT_EQ(root.find("b")->where.file, p);
  EXPECT_EQ(read_yaml_file(p, {}, "shown.yaml").find("b")->where.file, "shown.yaml");
  EXPECT_TRUE(Is(file_error(write("dup.yaml", "a: 1\na: 2\n"), {}, "shown.yaml"), "shown.yaml:2:1", "duplicate key 'a'"));
}

TEST_F(YamlFile, Missing) {
  EXPECT_EQ(file_error(path("nope.yaml")), path("nope.yaml") + ": cannot read the file: No such file or directory");
  EXPECT_EQ(file_error(path("nope.yaml"), {}, "n.yaml"), "n.yaml: cannot read the file: No such file or directory");
}

TEST_F(YamlFile, PathThroughAFile) {
  const std::string p = write("plain.yaml", "a: 1\n") + "/inner.yaml";
  EXPECT_EQ(file_error(p), p + ": cannot read the file: Not a directory");
}

TEST_F(YamlFile, Unreadable) {
  const std::string p = write("secret.yaml", "a: 1\n");
  ::chmod(p.c_str(), 0);
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  EXPECT_EQ(file_error(p), p + ": cannot open the file: Permission denied");
}

TEST_F(YamlFile, Directory) {
  EXPECT_EQ(file_error(dir_.string()), dir_.string() + ": is a directory, expected a YAML scenario file");
}

TEST_F(YamlFile, FifoIsRefusedWithoutOpening) {
  const std::string p = path("pipe.yaml");
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  // The test holds both ends of the FIFO, with more bytes in it than the
  // size limit allows, so that no reader can block on it: an open() returns
  // at once (there is a writer), and a read loop stops at the limit. The
  // bytes still in the pipe afterwards show that the reader took none.
  const int fd = ::open(p.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  const std::string bytes = "a: 1\nb: 2\nc: 3\n";
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ReadLimits small;
  small.max_file_bytes = 4;
  ReadStats stats;
  EXPECT_EQ(file_error(p, small, "", &stats), p + ": is a named pipe (FIFO), expected a regular YAML scenario file");
  EXPECT_EQ(stats.bytes_read, 0u);
  std::string left(64, '\0');
  const ssize_t got = ::read(fd, left.data(), left.size());
  ::close(fd);
  ASSERT_GE(got, 0);
  left.resize(static_cast<std::size_t>(got));
  EXPECT_EQ(left, bytes) << "the reader took bytes from the FIFO";
}

TEST_F(YamlFile, Devices) {
  EXPECT_EQ(file_error("/dev/zero"), "/dev/zero: is a device, expected a regular YAML scenario file");
  EXPECT_EQ(file_error("/dev/null"), "/dev/null: is a device, expected a regular YAML scenario file");
}

TEST_F(YamlFile, Socket) {
  const std::string p = path("sock.yaml");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(p.size(), sizeof addr.sun_path);
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(file_error(p), p + ": is a socket, expected a regular YAML scenario file");
  ::close(fd);
}

TEST_F(YamlFile, SizeCap) {
  ReadLimits small;
  small.max_file_bytes = 100;
  const std::string p = write("big.yaml", "a: " + std::string(200, 'x') + "\n");
  EXPECT_EQ(file_error(p, small, "big.yaml"), "big.yaml: the file is 204 bytes, over the limit of 100 bytes");
  const std::string fits = write("fits.yaml", "a: " + std::string(96, 'x') + "\n");  // exactly 100 bytes
  EXPECT_NO_THROW(read_yaml_file(fits, small));
  // A file whose size is not known in advance (procfs reports 0) is still
  // cut at the cap while reading.
  small.max_file_bytes = 16;
  EXPECT_EQ(file_error("/proc/self/status", small, "status"),
            "status: the file is larger than the limit of 16 bytes (it has more than that to read)");
}

TEST_F(YamlFile, SixtyFourMebibyteScalarIsRefusedBySize) {
  const std::string p = path("huge.yaml");
  {
    std::ofstream out(p, std::ios::binary);
    out << "a: ";
    const std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 64; ++i) out << chunk;
    out << "\n";
  }
  ReadStats stats;
  EXPECT_EQ(file_error(p, {}, "huge.yaml", &stats),
            "huge.yaml: the file is 67108868 bytes (64 MiB), over the limit of 4194304 bytes (4 MiB)");
  // Refused from its size: not a byte of it was read.
  EXPECT_EQ(stats.bytes_read, 0u);
  EXPECT_EQ(stats.bytes_parsed, 0u);
}

TEST_F(YamlFile, GeneratedHostileFiles) {
  // Deep flow nesting, deep block nesting, many keys: all stopped by their
  // limit through the file path too, each file read once.
  ReadStats stats;
  const std::string flow_text = "a: " + repeat("[", 100'000) + "\n";
  const std::string flow = write("flow.yaml", flow_text);
  EXPECT_TRUE(Is(file_error(flow, {}, "flow.yaml", &stats), "flow.yaml:1:36", "nested more than 64 levels"));
  EXPECT_EQ(stats.bytes_read, flow_text.size());
  EXPECT_LE(stats.nodes, 2u * 64) << show(stats);
  EXPECT_LE(stats.text_steps, 64u) << show(stats);
  const std::string block_text = indented_mappings(2'800);
  const std::string block = write("block.yaml", block_text);
  EXPECT_TRUE(Is(file_error(block, {}, "block.yaml", &stats), "block.yaml:65:65", "nested more than 64 levels"));
  EXPECT_EQ(stats.bytes_read, block_text.size());
  EXPECT_LE(stats.bytes_parsed, kWindow) << show(stats);
  EXPECT_LE(stats.nodes, 2u * 64) << show(stats);
  std::string keys;
  for (int i = 0; i < 300'000; ++i) keys += std::to_string(i) + ": 0\n";
  ASSERT_LT(keys.size(), ReadLimits{}.max_file_bytes);
  const std::string many = write("keys.yaml", keys);
  EXPECT_TRUE(Is(file_error(many, {}, "keys.yaml", &stats), "keys.yaml:250000:9", "more than 500000 values"));
  EXPECT_EQ(stats.bytes_read, keys.size());
  EXPECT_EQ(stats.nodes, 500'001u);
  EXPECT_LE(stats.key_probes, 2u * 250'000) << show(stats);
  EXPECT_LE(stats.text_steps, 2 * stats.bytes_parsed) << show(stats);
}

TEST_F(YamlFile, Utf16File) {
  std::string bytes = "\xFF\xFE";
  for (char c : std::string("a: 1\n")) bytes += std::string{c, '\0'};
  EXPECT_EQ(file_error(write("utf16.yaml", bytes), {}, "utf16.yaml"),
            "utf16.yaml: looks like UTF-16 (little-endian, with a byte order mark); save the file as UTF-8");
}

// ---------------------------------------------------------------------------
// Sample files under tests/data/yaml/

std::string sample(const std::string& name) { return std::string(SWITCHCOST_TEST_DATA) + "/yaml/" + name; }

TEST(YamlSamples, Valid) {
  const Node root = read_yaml_file(sample("valid.yaml"), {}, "valid.yaml");
  ASSERT_TRUE(root.is_mapping());
  const Node* timeline = root.find("timeline");
  ASSERT_NE(timeline, nullptr);
  EXPECT_EQ(format_date(to_date(*timeline->find("updates_end"))), "2024-09-29");
  EXPECT_EQ(to_number(*root.find("market")->find("endpoints")), 350);
  EXPECT_TRUE(to_bool(*root.find("enabled")));
}

TEST(YamlSamples, Malformed) {
  const struct {
    const char* file;
    const char* location;
    const char* phrase;
  } cases[] = {
      {"duplicate_key.yaml", "duplicate_key.yaml:6:3", "duplicate key 'endpoints' (first defined at line 3, column 3)"},
      {"tab_indent.yaml", "tab_indent.yaml:3:1", "tab used for indentation; use spaces"},
      {"alias.yaml", "alias.yaml:2:11", "anchors (&name) are not allowed"},
      {"merge_key.yaml", "merge_key.yaml:4:3", "merge keys (<<) are not supported"},
      {"two_documents.yaml", "two_documents.yaml:3:1", "a second YAML document starts here"},
      {"unclosed_quote.yaml", "unclosed_quote.yaml:2:7", "end of file inside a quoted string; close the quote"},
      {"latin1.yaml", "latin1.yaml:2:12", "invalid UTF-8 (byte 0xE9)"},
      {"directive.yaml", "directive.yaml:1:1", "YAML directives (%YAML, %TAG) are not supported"},
      {"tagged.yaml", "tagged.yaml:2:12", "explicit tags such as '!!float'"},
      {"list_root.yaml", "list_root.yaml:2:1", "expected a mapping at the top level, got a sequence"},
      {"empty.yaml", "empty.yaml", "the file is empty; expected a mapping of scenario keys"},
  };
  for (const auto& c : cases)
    EXPECT_TRUE(Is(file_error(sample(c.file), {}, c.file), c.location, c.phrase)) << c.file;
}

// ---------------------------------------------------------------------------
// Strict conversions

// The node for `value` written as the value of key x.
Node value_of(const std::string& value) {
  Node root = parse("x: " + value + "\n");
  return *root.find("x");
}

template <typename F>
std::string conversion_error(const std::string& value, F&& convert) {
  try {
    convert(value_of(value));
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "NO ERROR";
}

std::string number_error(const std::string& value) {
  return conversion_error(value, [](const Node& n) { return to_number(n); });
}

TEST(YamlNumbers, Accepted) {
  EXPECT_EQ(to_number(value_of("350")), 350);
  EXPECT_EQ(to_number(value_of("-0.5")), -0.5);
  EXPECT_EQ(to_number(value_of("+2")), 2);
  EXPECT_EQ(to_number(value_of("0")), 0);
  EXPECT_EQ(to_number(value_of("0.25")), 0.25);
  EXPECT_EQ(to_number(value_of("1e5")), 1e5);
  EXPECT_EQ(to_number(value_of("1E-3")), 1e-3);
  EXPECT_EQ(to_number(value_of("2.5e+2")), 250);
  EXPECT_EQ(to_number(value_of("1.7976931348623157e308")), std::numeric_limits<double>::max());
  EXPECT_EQ(to_number(value_of("1e-400")), 0);  // underflow rounds to zero
  EXPECT_TRUE(std::signbit(to_number(value_of("-1e-400"))));
}

TEST(YamlNumbers, Refused) {
  EXPECT_EQ(number_error("1_000"), "t.yaml:1:4: '1_000' has '_' digit separators; write 1000");
  EXPECT_EQ(number_error("010"), "t.yaml:1:4: '010' has a leading zero (YAML 1.1 would read it as octal); write 10");
  EXPECT_TRUE(Is(number_error("-007.5"), "t.yaml:1:4", "has a leading zero (YAML 1.1 would read it as octal); write -7.5"));
  EXPECT_EQ(number_error(".inf"), "t.yaml:1:4: '.inf' is not a finite number; write a plain decimal");
  EXPECT_TRUE(Is(number_error("-.inf"), "t.yaml:1:4", "'-.inf' is not a finite number"));
  EXPECT_TRUE(Is(number_error(".NaN"), "t.yaml:1:4", "'.NaN' is not a finite number"));
  EXPECT_TRUE(Is(number_error("nan"), "t.yaml:1:4", "is not a finite number"));
  EXPECT_EQ(number_error("0x1F"), "t.yaml:1:4: '0x1F' is a hexadecimal number; write it in decimal (31)");
  EXPECT_TRUE(Is(number_error("0o17"), "t.yaml:1:4", "is an octal number; write it in decimal (15)"));
  EXPECT_TRUE(Is(number_error("0b101"), "t.yaml:1:4", "is a binary number"));
  EXPECT_EQ(number_error("yes"), "t.yaml:1:4: 'yes' is not a number");
  EXPECT_EQ(number_error("\"350\""), "t.yaml:1:4: '\"350\"' is quoted; numbers are written without quotes");
  EXPECT_TRUE(Is(number_error("'350'"), "t.yaml:1:4", "is quoted; numbers are written without quotes"));
  EXPECT_TRUE(Is(number_error("\"abc\""), "t.yaml:1:4", "'abc' is not a number"));
  EXPECT_TRUE(Is(number_error("1e400"), "t.yaml:1:4", "'1e400' overflows a double"));
  EXPECT_TRUE(Is(number_error("-1e400"), "t.yaml:1:4", "'-1e400' overflows a double"));
  EXPECT_TRUE(Is(number_error("1.8e308"), "t.yaml:1:4", "overflows a double"));
  EXPECT_EQ(to_number(value_of("0.0001e309")), 1e305);  // large exponent, finite value
  EXPECT_TRUE(Is(number_error(".5"), "t.yaml:1:4", "'.5' needs a digit before the decimal point; write 0.5"));
  EXPECT_TRUE(Is(number_error("-.5"), "t.yaml:1:4", "write -0.5"));
  EXPECT_TRUE(Is(number_error("5."), "t.yaml:1:4", "'5.' needs a digit after the decimal point; write 5.0"));
  EXPECT_TRUE(Is(number_error("1,000"), "t.yaml:1:4", "'1,000' is not a number; write it without ','"));
  EXPECT_TRUE(Is(number_error("1e"), "t.yaml:1:4", "'1e' is not a number"));
  EXPECT_TRUE(Is(number_error("12abc"), "t.yaml:1:4", "'12abc' is not a number"));
  EXPECT_TRUE(Is(number_error("--1"), "t.yaml:1:4", "is not a number"));
  EXPECT_EQ(number_error("{a: 1}"), "t.yaml:1:4: expected a number, got a mapping");
  EXPECT_EQ(number_error("[1]"), "t.yaml:1:4: expected a number, got a sequence");
  EXPECT_EQ(number_error("~"), "t.yaml:1:4: expected a number, got null");
  EXPECT_EQ(number_error(""), "t.yaml:1:1: expected a number, got null");  // `x:` alone: at the key
}

std::string integer_error(const std::string& value, std::int64_t min, std::int64_t max) {
  return conversion_error(value, [&](const Node& n) { return to_integer(n, min, max); });
}

TEST(YamlNumbers, Integers) {
  EXPECT_EQ(to_integer(value_of("5"), 1, 10), 5);
  EXPECT_EQ(to_integer(value_of("-3"), -5, 5), -3);
  EXPECT_EQ(to_integer(value_of("1e3"), 0, 5000), 1000);
  EXPECT_EQ(to_integer(value_of("2.0"), 0, 5), 2);
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(to_integer(value_of("-9223372036854775808"), lo, hi), lo);
  EXPECT_EQ(to_integer(value_of("9223372036854775807"), lo, hi), hi);
  EXPECT_EQ(integer_error("11", 1, 10), "t.yaml:1:4: '11' is out of range; expected a whole number from 1 to 10");
  EXPECT_TRUE(Is(integer_error("0", 1, 10), "t.yaml:1:4", "out of range; expected a whole number from 1 to 10"));
  EXPECT_TRUE(Is(integer_error("2.5", 1, 10), "t.yaml:1:4", "'2.5' is not a whole number; expected a whole number from 1 to 10"));
  EXPECT_TRUE(Is(integer_error("99999999999999999999", lo, hi), "t.yaml:1:4", "is out of range"));
  EXPECT_TRUE(Is(integer_error("9.3e18", lo, hi), "t.yaml:1:4", "is out of range"));
  EXPECT_TRUE(Is(integer_error("9223372036854775808", lo, hi), "t.yaml:1:4", "is out of range"));
  EXPECT_TRUE(Is(integer_error("010", 0, 100), "t.yaml:1:4", "has a leading zero"));
  EXPECT_TRUE(Is(integer_error("\"7\"", 0, 100), "t.yaml:1:4", "is quoted"));
  EXPECT_TRUE(Is(integer_error("[1]", 0, 100), "t.yaml:1:4", "expected a whole number from 0 to 100, got a sequence"));
}

std::string bool_error(const std::string& value) {
  return conversion_error(value, [](const Node& n) { return to_bool(n); });
}

TEST(YamlBooleans, TrueAndFalseOnly) {
  EXPECT_TRUE(to_bool(value_of("true")));
  EXPECT_FALSE(to_bool(value_of("false")));
  for (const char* word : {"yes", "no", "on", "off", "Yes", "NO", "y", "n"})
    EXPECT_TRUE(Is(bool_error(word), "t.yaml:1:4", "yes/no/on/off are ambiguous in YAML; write true or false")) << word;
  EXPECT_EQ(bool_error("True"), "t.yaml:1:4: 'True': write true or false in lower case");
  EXPECT_EQ(bool_error("\"true\""), "t.yaml:1:4: '\"true\"' is quoted; write true or false without quotes");
  EXPECT_EQ(bool_error("1"), "t.yaml:1:4: expected true or false, got '1'");
  EXPECT_EQ(bool_error("{a: 1}"), "t.yaml:1:4: expected true or false, got a mapping");
  EXPECT_EQ(bool_error("~"), "t.yaml:1:4: expected true or false, got null");
}

TEST(YamlText, ScalarsOnly) {
  EXPECT_EQ(to_text(value_of("abc")), "abc");
  EXPECT_EQ(to_text(value_of("350")), "350");
  EXPECT_EQ(to_text(value_of("\"a b\"")), "a b");
  const auto text_error = [](const std::string& v) {
    return conversion_error(v, [](const Node& n) { return to_text(n); });
  };
  EXPECT_EQ(text_error("{a: 1}"), "t.yaml:1:4: expected a name, got a mapping");
  EXPECT_EQ(text_error("[a]"), "t.yaml:1:4: expected a name, got a sequence");
  EXPECT_EQ(text_error("null"), "t.yaml:1:4: expected a name, got null");
}

std::string date_error(const std::string& value) {
  return conversion_error(value, [](const Node& n) { return to_date(n); });
}

TEST(YamlDates, Calendar) {
  EXPECT_EQ(to_date(value_of("1970-01-01")), 0);
  EXPECT_EQ(to_date(value_of("1970-01-02")), 1);
  EXPECT_EQ(to_date(value_of("1969-12-31")), -1);
  EXPECT_EQ(to_date(value_of("2024-02-29")), 19782);
  EXPECT_EQ(to_date(value_of("2000-02-29")), 11016);
  EXPECT_EQ(to_date(value_of("1900-01-01")), -25567);
  EXPECT_EQ(to_date(value_of("2200-12-31")), 84370);
  EXPECT_EQ(to_date(value_of("\"2024-01-15\"")), 19737);
  EXPECT_EQ(date_error("2024-02-30"), "t.yaml:1:4: 2024-02-30 is not a date (February 2024 has 29 days)");
  EXPECT_EQ(date_error("2023-02-29"), "t.yaml:1:4: 2023-02-29 is not a date (February 2023 has 28 days)");
  EXPECT_TRUE(Is(date_error("1900-02-29"), "t.yaml:1:4", "1900-02-29 is not a date"));
  EXPECT_TRUE(Is(date_error("2024-04-31"), "t.yaml:1:4", "April 2024 has 30 days"));
  EXPECT_TRUE(Is(date_error("2024-13-01"), "t.yaml:1:4", "2024-13-01 is not a date (there is no month 13)"));
  EXPECT_TRUE(Is(date_error("2024-00-10"), "t.yaml:1:4", "there is no month 0"));
  EXPECT_TRUE(Is(date_error("2024-01-00"), "t.yaml:1:4", "2024-01-00 is not a date"));
  EXPECT_TRUE(Is(date_error("1899-12-31"), "t.yaml:1:4", "1899-12-31 is outside the supported years 1900 to 2200"));
  EXPECT_TRUE(Is(date_error("2201-01-01"), "t.yaml:1:4", "outside the supported years 1900 to 2200"));
  EXPECT_TRUE(Is(date_error("2024/01/15"), "t.yaml:1:4", "'2024/01/15' is not a date; write YYYY-MM-DD"));
  EXPECT_TRUE(Is(date_error("2024-1-5"), "t.yaml:1:4", "is not a date; write YYYY-MM-DD"));
  EXPECT_TRUE(Is(date_error("2024-01-15T10:00:00"), "t.yaml:1:4", "is not a date; write YYYY-MM-DD"));
  EXPECT_TRUE(Is(date_error("[2024-01-15]"), "t.yaml:1:4", "expected a date (YYYY-MM-DD), got a sequence"));
}

TEST(YamlDates, FormatIsTheInverse) {
  EXPECT_EQ(format_date(0), "1970-01-01");
  EXPECT_EQ(format_date(-1), "1969-12-31");
  EXPECT_EQ(format_date(19782), "2024-02-29");
  EXPECT_EQ(format_date(-25567), "1900-01-01");
  EXPECT_EQ(format_date(84370), "2200-12-31");
  // Every day from 1900 to 2200 round-trips, and consecutive days are
  // consecutive dates.
  for (std::int64_t day = -25567; day <= 84370; ++day) {
    const std::string text = format_date(day);
    Node node;
    node.kind = Kind::scalar;
    node.text = text;
    ASSERT_EQ(to_date(node), day) << text;
  }
  // Extreme inputs do not overflow.
  EXPECT_FALSE(format_date(std::numeric_limits<std::int64_t>::max()).empty());
  EXPECT_FALSE(format_date(std::numeric_limits<std::int64_t>::min()).empty());
  EXPECT_EQ(format_date(-719528), "0000-01-01");
  EXPECT_EQ(format_date(-719529), "-0001-12-31");
}

TEST(YamlSuggest, CloseWordsOnly) {
  const std::vector<std::string_view> known = {"timeline", "market", "competitors", "msp_defaults", "msps"};
  EXPECT_EQ(suggest("timline", known), "timeline");
  EXPECT_EQ(suggest("competitor", known), "competitors");
  EXPECT_EQ(suggest("msp_default", known), "msp_defaults");
  EXPECT_EQ(suggest("markte", known), "market");  // distance 2, threshold 2
  EXPECT_EQ(suggest("zzz", known), "");
  EXPECT_EQ(suggest("endpoints", known), "");
  EXPECT_EQ(suggest("ab", {"xy", "ax", "ab"}), "ab");  // exact match wins
  EXPECT_EQ(suggest("ab", {"aa", "bb"}), "aa");        // tie: the first
  EXPECT_EQ(suggest("mu", {"sd", "mu"}), "mu");
  EXPECT_EQ(suggest("x", {}), "");
  EXPECT_EQ(suggest("", {"a", "bc"}), "a");
  EXPECT_EQ(suggest("abcdef", {"abcxyz"}), "");  // distance 3 > 2
}


// A place inside a scalar's text maps back to where it was written, whatever
// the style: the column of 'X' in each value is where the file has it.
TEST(YamlRead, PlacesInsideScalarsAreWhereTheFileHasThem) {
  const std::string text =
      "plain: a b X\n"                      // 1: one line, no segments
      "folded_plain: a\n"                   // 2
      "   b X\n"                            // 3
      "double: \"a \\u00e9\\t\\x41 X\"\n"   // 4: escapes of 6, 2 and 4 characters
      "single: 'it''s X'\n"                 // 5
      "double_lines: \"a\n"                 // 6
      "  \n"                                // 7: a blank line folds to a break
      "   X\"\n"                            // 8
      "literal: |\n"                        // 9
      "  a\n"                               // 10
      "\n"                                  // 11
      "    b X\n"                           // 12
      "folded: >-\n"                        // 13
      "  a\n"                               // 14
      "  é X\n"                             // 15: a two-byte character before X
      "escaped_break: \"a \\\n"             // 16
      "      X\"\n";                        // 17
  const Node root = parse(text);
  const std::vector<std::tuple<std::string, int, int>> expected = {
      {"plain", 1, 12},       {"folded_plain", 3, 6}, {"double", 4, 25},   {"single", 5, 16},
      {"double_lines", 8, 4}, {"literal", 12, 7},     {"folded", 15, 5},   {"escaped_break", 17, 7},
  };
  for (const auto& [key, line, column] : expected) {
    const Node* n = root.find(key);
    ASSERT_NE(n, nullptr) << key;
    const std::size_t at = n->text.find('X');
    ASSERT_NE(at, std::string::npos) << key << ": " << n->text;
    const Location where = text_location(n->where, n->segments, n->text, at);
    EXPECT_EQ(where.file, kName) << key;
    EXPECT_EQ(where.line, line) << key << ": '" << n->text << "'";
    EXPECT_EQ(where.column, column) << key << ": '" << n->text << "'";
  }
  EXPECT_TRUE(root.find("plain")->segments.empty());  // the common case costs nothing
}

}  // namespace
}  // namespace switchcost::sim
