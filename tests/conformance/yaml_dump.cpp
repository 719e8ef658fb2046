// yaml_dump FILE...: reads each file with read_yaml_file and writes one JSON
// line per file, in order, for tests/conformance/yaml_suite_test.py:
//   {"ok": true, "tree": T}   T: null | {"str": text, "quoted": bool}
//                                | {"seq": [T...]} | {"map": [[T, T]...]}
//   {"ok": false, "line": L, "col": C, "message": "..."}   (a ScenarioError)
//   {"ok": false, "unexpected": "..."}   (any other exception: a defect)
// Mappings keep their order as pairs, so nothing the reader produced is lost
// on the way to the comparison. Exits 0 once every file has its line.
#include <exception>
#include <iostream>
#include <string>

#include "sim/scenario/yaml_reader.h"

namespace {

using switchcost::sim::Node;

void write_string(std::ostream& out, const std::string& s) {
  static constexpr char hex[] = "0123456789abcdef";
  out << '"';
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out << '\\' << ch;
    } else if (c < 0x20 || c == 0x7F) {
      out << "\\u00" << hex[c >> 4] << hex[c & 0xF];
    } else {
      out << ch;  // the reader passes only valid UTF-8
    }
  }
  out << '"';
}

void write_tree(std::ostream& out, const Node& node) {
  switch (node.kind) {
    case Node::Kind::null:
      out << "null";
      return;
    case Node::Kind::scalar:
      out << "{\"str\":";
      write_string(out, node.text);
      out << ",\"quoted\":" << (node.quoted ? "true" : "false") << '}';
      return;
    case Node::Kind::sequence: {
      out << "{\"seq\":[";
      const char* sep = "";
      for (const Node& item : node.items) {
        out << sep;
        write_tree(out, item);
        sep = ",";
      }
      out << "]}";
      return;
    }
    case Node::Kind::mapping: {
      out << "{\"map\":[";
      const char* sep = "";
      for (const auto& [key, value] : node.entries) {
        out << sep << '[';
        write_tree(out, key);
        out << ',';
        write_tree(out, value);
        out << ']';
        sep = ",";
      }
      out << "]}";
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    try {
      const Node root = switchcost::sim::read_yaml_file(argv[i]);
      std::cout << "{\"ok\":true,\"tree\":";
      write_tree(std::cout, root);
      std::cout << "}\n";
    } catch (const switchcost::sim::ScenarioError& e) {
      std::cout << "{\"ok\":false,\"line\":" << e.where().line << ",\"col\":" << e.where().column
                << ",\"message\":";
      write_string(std::cout, e.message());
      std::cout << "}\n";
    } catch (const std::exception& e) {
      std::cout << "{\"ok\":false,\"unexpected\":";
      write_string(std::cout, e.what());
      std::cout << "}\n";
    }
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}
