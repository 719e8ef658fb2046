#include "sim/scenario/inventory.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include "sim/base/error.h"

namespace switchcost::sim {
namespace {

// A header or name compared without case, spaces, '_' and '-' ("Client Name"
// = "client_name" = "clientname").
std::string folded(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    out += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  }
  return out;
}

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string lowered(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

struct Field {
  std::string text;
  int column = 0;  // 1-based, in bytes, where the field starts
};

// Reads RFC 4180 records one at a time.
class CsvReader {
 public:
  CsvReader(const std::string& text, std::string name, char separator)
      : text_(text), name_(std::move(name)), separator_(separator) {
    if (text_.compare(0, 3, "\xEF\xBB\xBF") == 0) at_ = 3;  // a UTF-8 byte-order mark
  }

  bool done() const { return at_ >= text_.size(); }
  int line() const { return line_; }

  // The next record's fields; its line is line() before the call.
  std::vector<Field> record() {
    std::vector<Field> fields;
    std::size_t line_start = at_;
    for (;;) {
      Field f;
      f.column = int(at_ - line_start) + 1;
      if (at_ < text_.size() && text_[at_] == '"') {
        const int quote_line = line_, quote_column = f.column;
        ++at_;
        for (;;) {
          if (at_ >= text_.size())
            throw ScenarioError(Location{name_, quote_line, quote_column}, "a quoted field is not closed");
          const char c = text_[at_++];
          if (c == '"') {
            if (at_ < text_.size() && text_[at_] == '"') {
              f.text += '"';
              ++at_;
            } else {
              break;
            }
          } else {
            if (c == '\n') {
              ++line_;
              line_start = at_;
            }
            f.text += c;
          }
        }
        if (at_ < text_.size() && text_[at_] != separator_ && text_[at_] != '\n' && text_[at_] != '\r')
          throw ScenarioError(Location{name_, line_, int(at_ - line_start) + 1},
                              "text after a quoted field's closing quote (a quote inside a field is written \"\")");
      } else {
        while (at_ < text_.size() && text_[at_] != separator_ && text_[at_] != '\n' && text_[at_] != '\r')
          f.text += text_[at_++];
      }
      fields.push_back(std::move(f));
      if (at_ < text_.size() && text_[at_] == separator_) {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == '\r') ++at_;
      if (at_ < text_.size() && text_[at_] == '\n') ++at_;
      ++line_;
      break;
    }
    return fields;
  }

 private:
  const std::string& text_;
  std::string name_;
  char separator_;
  std::size_t at_ = 0;
  int line_ = 1;
};

bool blank(const std::vector<Field>& record) {
  return std::all_of(record.begin(), record.end(), [](const Field& f) { return trimmed(f.text).empty(); });
}

}  // namespace

Inventory parse_inventory(const std::string& text, const std::string& name, const std::string& client_column) {
  // ';' when the header line has one and no ','.
  const std::string first_line = text.substr(0, text.find('\n'));
  const char separator =
      first_line.find(',') == std::string::npos && first_line.find(';') != std::string::npos ? ';' : ',';
  CsvReader csv(text, name, separator);
  while (!csv.done()) {
    const int line = csv.line();
    std::vector<Field> header = csv.record();
    if (blank(header)) continue;
    Inventory inv;
    std::vector<std::string> keys;
    for (const auto& f : header) keys.push_back(folded(f.text));
    auto find_first = [&](const std::vector<std::string>& wanted) -> int {
      for (const auto& w : wanted)
        for (std::size_t i = 0; i < keys.size(); ++i)
          if (keys[i] == w) return int(i);
      return -1;
    };
    int client = -1;
    if (!client_column.empty()) {
      client = find_first({folded(client_column)});
    } else {
      std::vector<std::string> wanted;
      for (const char* w : {"client", "customer", "organization", "organisation", "company", "tenant", "site",
                            "account"}) {
        wanted.push_back(w);
        wanted.push_back(std::string(w) + "name");
      }
      client = find_first(wanted);
    }
    if (client < 0) {
      std::string found;
      for (const auto& f : header) found += (found.empty() ? "'" : ", '") + f.text + "'";
      throw ScenarioError(Location{name, line, 1},
                          client_column.empty()
                              ? "no client column in the header (" + found +
                                    "); name one with --client-column, or call it client, customer, "
                                    "organization, company, tenant, site or account"
                              : "no column '" + client_column + "' in the header (" + found + ")");
    }
    const int kind = find_first({"devicetype", "type", "role", "class", "os", "operatingsystem", "platform"});
    inv.client_column = header[std::size_t(client)].text;
    if (kind >= 0) inv.kind_column = header[std::size_t(kind)].text;
    std::set<std::string> clients;
    while (!csv.done()) {
      const int row_line = csv.line();
      const std::vector<Field> row = csv.record();
      if (blank(row)) continue;
      if (row.size() != header.size())
        throw ScenarioError(Location{name, row_line, 1},
                            "a device row has " + std::to_string(row.size()) + " fields, the header " +
                                std::to_string(header.size()));
      const std::string who = trimmed(row[std::size_t(client)].text);
      if (who.empty())
        throw ScenarioError(Location{name, row_line, row[std::size_t(client)].column},
                            "a device with no client ('" + inv.client_column + "' is empty)");
      clients.insert(lowered(who));
      if (++inv.devices > max_inventory_devices)
        throw ScenarioError(Location{name, row_line, 1},
                            "more than " + std::to_string(max_inventory_devices) + " devices");
      if (kind >= 0 && lowered(row[std::size_t(kind)].text).find("server") != std::string::npos) ++inv.servers;
    }
    if (inv.devices == 0) throw ScenarioError(Location{name, line, 1}, "the header is followed by no device");
    inv.clients = clients.size();
    return inv;
  }
  throw ScenarioError(Location{name, 0, 0}, "no header row: the file is empty");
}

Inventory read_inventory(const std::string& path, const std::string& client_column) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw ScenarioError(Location{path, 0, 0}, std::string("cannot read the inventory: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw ScenarioError(Location{path, 0, 0}, "the inventory is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(Location{path, 0, 0}, std::string("cannot read the inventory: ") + std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, std::size_t(in.gcount()));
    if (text.size() > max_inventory_bytes)
      throw ScenarioError(Location{path, 0, 0},
                          "the inventory is larger than " + std::to_string(max_inventory_bytes >> 20) + " MiB");
  }
  if (in.bad()) throw ScenarioError(Location{path, 0, 0}, "cannot read the inventory");
  return parse_inventory(text, path, client_column);
}

}  // namespace switchcost::sim
