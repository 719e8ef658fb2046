#include "sim/report/samples.h"

#include <bit>
#include <cstdio>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string_view>

#include "sim/base/error.h"
#include "sim/base/format.h"
#include "sim/report/compare.h"
#include "sim/report/report.h"
#include "sim/report/sensitivity.h"

namespace switchcost::sim {
namespace {

static_assert(std::endian::native == std::endian::little, "the .npy records are written as little-endian");

// A Python string literal (the .npy header is read with ast.literal_eval):
// printable ASCII as it is but ' and \, everything else as \xNN, \uXXXX or
// \UXXXXXXXX, bytes that are not UTF-8 as U+FFFD. The header stays ASCII.
std::string python_literal(std::string_view s) {
  std::string out = "'";
  char buf[16];
  for (std::size_t i = 0; i < s.size();) {
    long cp = next_code_point(s, i);
    if (cp < 0) cp = 0xFFFD;
    if (cp == '\'' || cp == '\\') {
      out += '\\';
      out += char(cp);
    } else if (cp >= 0x20 && cp < 0x7F) {
      out += char(cp);
    } else {
      std::snprintf(buf, sizeof buf, cp < 0x100 ? "\\x%02lx" : cp < 0x10000 ? "\\u%04lx" : "\\U%08lx", cp);
      out += buf;
    }
  }
  return out + "'";
}

// Field names must differ: a repeat gets " (2)", " (3)", ...
std::vector<std::string> unique_names(const std::vector<SampleColumn>& columns) {
  std::set<std::string> seen = {"trial"};
  std::vector<std::string> names;
  for (const auto& c : columns) {
    std::string name = c.name;
    for (int k = 2; seen.count(name); ++k) name = c.name + " (" + std::to_string(k) + ")";
    seen.insert(name);
    names.push_back(name);
  }
  return names;
}

const SampleSeries& kept(const std::shared_ptr<const SampleSeries>& samples) {
  if (!samples) throw std::logic_error("--samples asked for, but the per-trial series were not kept");
  return *samples;
}

}  // namespace

void write_npy(const std::vector<SampleColumn>& columns, std::uint64_t rows, std::ostream& out) {
  for (const auto& c : columns) rows = std::min<std::uint64_t>(rows, c.values->size());
  std::string header = "{'descr': [('trial', '<u8')";
  for (const auto& name : unique_names(columns)) header += ", (" + python_literal(name) + ", '<f8')";
  header += "], 'fortran_order': False, 'shape': (" + std::to_string(rows) + ",), }";
  // Magic, version 2.0, a 4-byte header length, the header padded with
  // spaces and ended by '\n' so that the records start at a multiple of 64.
  constexpr std::size_t preamble = 6 + 2 + 4;
  header.append(63 - (preamble + header.size()) % 64, ' ');
  header += '\n';
  const auto length = std::uint32_t(header.size());
  out.write("\x93NUMPY\x02\x00", 8);
  const char length_bytes[4] = {char(length & 0xFF), char((length >> 8) & 0xFF), char((length >> 16) & 0xFF),
                                char((length >> 24) & 0xFF)};
  out.write(length_bytes, 4);
  out << header;
  // Records, a block of them at a time: trial index, then each column's value.
  const std::size_t record = 8 * (1 + columns.size());
  const std::size_t per_block = std::max<std::size_t>(1, (std::size_t(1) << 16) / record);
  std::vector<char> block(per_block * record);
  for (std::uint64_t first = 0; first < rows && out; first += per_block) {
    const std::size_t count = std::size_t(std::min<std::uint64_t>(per_block, rows - first));
    char* at = block.data();
    for (std::size_t r = 0; r < count; ++r) {
      const std::uint64_t trial = first + r;
      std::memcpy(at, &trial, 8);
      at += 8;
      for (const auto& c : columns) {
        std::memcpy(at, c.values->data() + (first + r), 8);
        at += 8;
      }
    }
    out.write(block.data(), std::streamsize(count * record));
  }
}

void render_samples(const ReportData& data, std::ostream& out) {
  const SampleSeries& s = kept(data.samples);
  const RunResult& run = *s.run;
  const std::uint64_t rows = run.trials_done;
  std::vector<SampleColumn> columns;
  for (int o = 0; o < output_count; ++o)
    columns.push_back({std::string("portfolio.") + output_key(Output(o)), &run.portfolio[std::size_t(o)]});
  for (std::size_t f = 0; f < run.formula_costs.size(); ++f)
    columns.push_back({"portfolio." + formula_output_key(run.formula_costs[f]), &run.formula_portfolio[f]});
  if (run.msp_stats == MspStats::exact && !run.msp_in_portfolio && run.msps.size() > 1)
    for (std::size_t m = 0; m < run.msps.size(); ++m) {
      const MspSeries& ms = run.msps[m];
      for (int o = 0; o < output_count; ++o)
        if (ms.series[std::size_t(o)].size() >= rows)
          columns.push_back({"msp." + ms.name + "." + output_key(Output(o)), &ms.series[std::size_t(o)]});
      for (std::size_t k = 0; k < ms.formula_series.size(); ++k)
        if (ms.formula_series[k].size() >= rows)
          columns.push_back({"msp." + ms.name + "." + formula_output_key(run.formula_costs[ms.formula_costs[k]]),
                             &ms.formula_series[k]});
    }
  write_npy(columns, rows, out);
}

namespace {

void write_labelled(const SampleSeries& s, std::uint64_t rows, std::ostream& out,
                    const FormulaSamples* formulas = nullptr) {
  std::vector<SampleColumn> columns;
  for (std::size_t k = 0; k < s.portfolios.size(); ++k) {
    for (int o = 0; o < output_count; ++o)
      columns.push_back({s.labels[k] + "." + output_key(Output(o)), &s.portfolios[k][std::size_t(o)]});
    if (formulas && k < formulas->size())
      for (const auto& [name, series] : (*formulas)[k])
        columns.push_back({s.labels[k] + "." + formula_output_key(name), &series});
  }
  write_npy(columns, rows, out);
}

}  // namespace

void render_compare_samples(const CompareResult& result, std::ostream& out) {
  write_labelled(kept(result.samples), result.trials_done, out, result.formula_samples.get());
}

void render_sensitivity_samples(const SensitivityResult& result, std::ostream& out) {
  write_labelled(kept(result.samples), result.trials_done, out);
}

}  // namespace switchcost::sim
