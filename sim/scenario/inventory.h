// An MSP's device inventory, as its RMM tool exports it: a CSV file with a
// header row and one device per row (`switchcost estimate --inventory`).
//
// The file is RFC 4180 CSV (quoted fields, "" for a quote inside one, CRLF
// or LF line ends, a UTF-8 byte-order mark ignored); the separator is ',' or,
// when the header has a ';' and no ',', ';' (spreadsheets set to a decimal
// comma write that). Columns are found by their header, case and spaces
// aside:
//   the client: client_column if given, else the first header among
//     client, customer, organization, organisation, company, tenant, site,
//     account (and "X name" of each, e.g. "Client Name");
//   the kind of device (optional): the first among device type, type, role,
//     class, os, operating system, platform; a device whose value contains
//     "server" is a server, any other a workstation.
// Every row is a device (an endpoint to move); the clients are the distinct
// client names (trimmed, compared without case). Errors are ScenarioErrors
// at the file's line and column: an unreadable file, no header, no client
// column (naming the headers found), a row whose field count is not the
// header's, an unterminated quote, an empty client cell, no devices, more
// than max_devices rows.
#pragma once

#include <cstdint>
#include <string>

namespace switchcost::sim {

struct Inventory {
  std::uint64_t devices = 0;
  std::uint64_t servers = 0;       // devices whose kind says "server" (0 without a kind column)
  std::uint64_t clients = 0;
  std::string client_column;       // the header used, as written
  std::string kind_column;         // "" when the file has none
};

inline constexpr std::uint64_t max_inventory_devices = 10'000'000;  // the reader's cap on endpoints
inline constexpr std::uint64_t max_inventory_bytes = std::uint64_t(1) << 30;

Inventory read_inventory(const std::string& path, const std::string& client_column = "");
// The same over text already in memory; `display_name` is what messages call it.
Inventory parse_inventory(const std::string& text, const std::string& display_name,
                          const std::string& client_column = "");

}  // namespace switchcost::sim
