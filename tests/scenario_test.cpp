// The scenario layer: distributions written every documented way, the
// schema's ranges, composition by include and msp_defaults, and errors that
// point at file:line:col.
#include "sim/scenario/inventory.h"
#include "sim/scenario/scenario.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

#include "sim/scenario/builtin.h"
#include "sim/engine/engine.h"
#include "test_util.h"

namespace switchcost::sim {
namespace {

using test::shipped_assumptions;
using test::temp_dir;
using test::write_file;

// The distribution written as the value of key `x` in a one-line document.
Distribution dist(const std::string& value) {
  const Node root = read_yaml_text("x: " + value + "\n", "inline.yaml");
  return distribution_from_node(*root.find("x"));
}

// The error message (what()) for a distribution, or "" if it parses.
std::string dist_error(const std::string& value) {
  try {
    dist(value);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}

TEST(ScenarioDistributions, EveryDocumentedForm) {
  EXPECT_EQ(dist("42").mean(), 42);
  EXPECT_EQ(dist("{constant: 42}").mean(), 42);
  EXPECT_DOUBLE_EQ(dist("{uniform: [1, 3]}").mean(), 2);
  EXPECT_DOUBLE_EQ(dist("{uniform: {min: 1, max: 3}}").mean(), 2);
  EXPECT_DOUBLE_EQ(dist("{triangular: [0, 3, 6]}").mean(), 3);
  EXPECT_DOUBLE_EQ(dist("{triangular: {min: 0, mode: 3, max: 6}}").mean(), 3);
  // PERT mean = (min + 4 mode + max) / 6 = (1 + 8 + 9) / 6 = 3
  EXPECT_NEAR(dist("{pert: [1, 2, 9]}").mean(), 3, 1e-12);
  // lambda 2: (1 + 2*2 + 9) / 4 = 3.5
  EXPECT_NEAR(dist("{pert: {min: 1, mode: 2, max: 9, lambda: 2}}").mean(), 3.5, 1e-12);
  EXPECT_DOUBLE_EQ(dist("{normal: [5, 2]}").mean(), 5);
  EXPECT_NEAR(dist("{normal: {mean: 5, sd: 2, min: 5, max: 100}}").mean(), 5 + 2 * std::sqrt(2 / M_PI), 1e-6);
  EXPECT_NEAR(dist("{lognormal: {mean: 100, sd: 30}}").mean(), 100, 1e-9);
  EXPECT_NEAR(dist("{lognormal: {mu: 0, sigma: 1}}").mean(), std::exp(0.5), 1e-12);
  const Distribution pct = dist("{lognormal: {p5: 2000, p95: 150000}}");
  EXPECT_NEAR(pct.cdf(2000), 0.05, 1e-9);
  EXPECT_NEAR(pct.cdf(150000), 0.95, 1e-9);
  const Distribution swapped = dist("{lognormal: {p95: 150000, p50: 30000}}");
  EXPECT_NEAR(swapped.quantile(0.5), 30000, 1e-6);
  EXPECT_DOUBLE_EQ(dist("{poisson: 3}").mean(), 3);
  EXPECT_DOUBLE_EQ(dist("{poisson: {mean: 3}}").mean(), 3);
  EXPECT_DOUBLE_EQ(dist("{bernoulli: 0.25}").mean(), 0.25);
  EXPECT_DOUBLE_EQ(dist("{beta: {alpha: 2, beta: 2, min: 10, max: 20}}").mean(), 15);
  EXPECT_DOUBLE_EQ(dist("{gamma: {shape: 2, scale: 3}}").mean(), 6);
  EXPECT_NEAR(dist("{gamma: {mean: 6, sd: 3}}").variance(), 9, 1e-9);
  EXPECT_DOUBLE_EQ(dist("{discrete: {values: [1, 2], weights: [3, 1]}}").mean(), 1.25);
}

// Every kind Distribution::Kinds lists is read by its own parse rule: the
// kind list the reader offers is derived from the variant, so a kind added
// there without a row here fails this test.
TEST(ScenarioDistributions, EveryKindReadsToItself) {
  const std::map<std::string_view, std::string> examples = {
      {"constant", "{constant: 2}"},
      {"uniform", "{uniform: [1, 3]}"},
      {"triangular", "{triangular: [0, 3, 6]}"},
      {"pert", "{pert: [1, 2, 9]}"},
      {"normal", "{normal: [5, 2]}"},
      {"lognormal", "{lognormal: {mu: 0, sigma: 1}}"},
      {"poisson", "{poisson: 3}"},
      {"bernoulli", "{bernoulli: 0.25}"},
      {"beta", "{beta: [2, 2]}"},
      {"gamma", "{gamma: [2, 3]}"},
      {"discrete", "{discrete: {values: [1, 2], weights: [3, 1]}}"}};
  ASSERT_EQ(distribution_kind_names().size(), examples.size());
  for (const std::string_view name : distribution_kind_names()) {
    const auto it = examples.find(name);
    ASSERT_NE(it, examples.end()) << "no example of " << name;
    EXPECT_EQ(dist(it->second).kind_name(), name);
  }
}

// The parse rules' messages through the reader point at the node they are
// about: an unknown key at the key, a bad list at the list.
TEST(ScenarioDistributions, ReaderMessagesPointAtTheirNode) {
  EXPECT_EQ(dist_error("{lognormal: {mean: 1, sdd: 2}}"),
            "inline.yaml:1:26: unknown key 'sdd' in lognormal parameters; did you mean 'sd'?");
  EXPECT_EQ(dist_error("{discrete: {values: 1, weights: [1]}}"),
            "inline.yaml:1:24: expected discrete values (a list), got a number");
  EXPECT_EQ(dist_error("{discrete: [1, 2]}"),
            "inline.yaml:1:15: discrete takes {values: [..], weights: [..]}, got a sequence");
  EXPECT_EQ(dist_error("{gamma: {mean: 1}}"), "inline.yaml:1:12: gamma needs 'sd'; it takes [mean, sd] or {mean, sd}");
}

TEST(ScenarioDistributions, ErrorsPointAtTheValue) {
  EXPECT_EQ(dist_error("{pert: [3, 2, 5]}").rfind("inline.yaml:1:11: pert needs min <= mode <= max", 0), 0u)
      << dist_error("{pert: [3, 2, 5]}");
  EXPECT_NE(dist_error("{pert: [1, 2]}").find("pert takes [min, mode, max, lambda (optional)]"), std::string::npos);
  EXPECT_NE(dist_error("{pert: {min: 1, max: 3}}").find("pert needs 'mode'"), std::string::npos);
  EXPECT_NE(dist_error("{pert: {min: 1, mode: 2, maxx: 3}}").find("did you mean 'max'?"), std::string::npos);
  EXPECT_NE(dist_error("{lognorm: {mean: 1, sd: 1}}").find("did you mean 'lognormal'?"), std::string::npos);
  EXPECT_NE(dist_error("{lognormal: {mean: 1, mu: 1}}").find("exactly one of"), std::string::npos);
  EXPECT_NE(dist_error("{lognormal: {p5: 10}}").find("exactly two"), std::string::npos);
  EXPECT_NE(dist_error("{uniform: [1, 2], normal: [1, 2]}").find("one key"), std::string::npos);
  EXPECT_NE(dist_error("[1, 2]").find("expected a number or a distribution"), std::string::npos);
  EXPECT_NE(dist_error("{normal: [1, -2]}").find("sd"), std::string::npos);
  EXPECT_NE(dist_error("{bernoulli: 1.5}").find("1.5"), std::string::npos);
}

std::string load_error(const std::string& text, const std::string& name = "s.yaml") {
  const std::string dir = temp_dir();
  const std::string path = write_file(dir, name, text);
  try {
    load_scenario({path});
  } catch (const ScenarioError& e) {
    const std::string what = e.what();
    return what.substr(dir.size() + 1);  // drop the temp dir from the path
  }
  return "";
}

const std::string acme = "msps:\n  - name: acme\n    endpoints: 350\n    clients: 25\n";

TEST(ScenarioSchema, RangesAndRequiredKeys) {
  EXPECT_EQ(load_error(std::string(shipped_assumptions) + acme), "");
  EXPECT_EQ(load_error(std::string(shipped_assumptions) + acme + "    labor: {learning_rate: 0.5}\n"),
            "s.yaml:7:28: labor.learning_rate must lie in [0.6, 1] [-], but constant(0.5) can take values in "
            "[0.5, 0.5]")
      << "the message names the key, the range and the value";
  EXPECT_NE(load_error(std::string(shipped_assumptions) + acme + "    labor: {billable_share: {normal: [0.1, 0.1]}}\n")
                .find("give it bounds"),
            std::string::npos);
  EXPECT_NE(load_error(std::string(shipped_assumptions) + acme + "    labor: {setup_hourz: 3}\n")
                .find("did you mean 'setup_hours'?"),
            std::string::npos);
  EXPECT_NE(load_error(std::string(shipped_assumptions) + acme + "    lab0r: {}\n").find("did you mean 'labor'?"),
            std::string::npos);
  EXPECT_NE(load_error(std::string(shipped_assumptions)).find("defines no MSP"), std::string::npos);
}

// The reference table of docs/scenario-format.md lists every input the
// schema takes (derived from the models' input tables), with its unit, its
// range and its default, one row each: "| `key` | unit | range | default |".
TEST(ScenarioSchema, DocsListEveryInputWithItsUnitAndRange) {
  std::ifstream in(SWITCHCOST_SOURCE_DIR "/docs/scenario-format.md");
  ASSERT_TRUE(in) << "docs/scenario-format.md";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const auto number = [](double x) {
    std::ostringstream s;
    s.precision(10);
    s << x;
    return s.str();
  };
  const auto row = [&](const std::string& where, const ParamSpec& spec) {
    const std::string range = "[" + number(spec.min) + ", " + (std::isinf(spec.max) ? "inf)" : number(spec.max) + "]");
    const std::string fallback = msp_market_default_keys().count(spec.key) ? "the market's"
                                 : spec.required                             ? "required"
                                                                             : number(spec.fallback);
    return "| " + where + " | `" + std::string(spec.key) + "` | " + std::string(spec.unit) + " | " + range + " | " +
           fallback + " |";
  };
  std::string missing;
  const std::pair<const char*, const std::vector<ParamSpec>*> groups[] = {
      {"market", &market_param_specs()}, {"competitor", &competitor_param_specs()}, {"MSP", &msp_param_specs()}};
  for (const auto& [where, specs] : groups)
    for (const ParamSpec& spec : *specs) {
      const std::string r = row(where, spec);
      if (doc.find(r + "\n") == std::string::npos) missing += r + "\n";
    }
  EXPECT_EQ(missing, "") << "docs/scenario-format.md lacks these rows of its input reference";
}

TEST(ScenarioSchema, MspValuesOverrideDefaultsAndStreamsArePerMsp) {
  const std::string dir = temp_dir();
  const std::string path = write_file(
      dir, "s.yaml",
      std::string(shipped_assumptions) + acme + "    labor: {setup_hours: 3}\n    target: eset\n" +
          "  - name: other\n    endpoints: {discrete: {values: [10, 20], weights: [1, 1]}}\n    clients: 2\n");
  const Scenario s = load_scenario({path});
  ASSERT_EQ(s.msps.size(), 2u);
  const Msp& a = s.msps[0];
  EXPECT_EQ(a.target, "eset");
  EXPECT_EQ(a.incumbent, "kaspersky");
  EXPECT_EQ(a.params.at("labor.setup_hours").dist.mean(), 3);
  EXPECT_EQ(a.params.at("labor.setup_hours").where.line, 7);
  EXPECT_EQ(a.params.at("labor.setup_hours").stream, "msps.acme.labor.setup_hours");
  EXPECT_EQ(s.msps[1].params.at("labor.setup_hours").stream, "msps.other.labor.setup_hours");
  EXPECT_EQ(s.msps[1].params.at("endpoints").dist.mean(), 15);
  EXPECT_EQ(s.market.at("threat.incident_cost").stream, "market.threat.incident_cost");
  EXPECT_EQ(s.competitors.at("eset").params.at("price_per_endpoint_month").stream,
            "competitors.eset.price_per_endpoint_month");
  EXPECT_FALSE(a.params.count("labor.technician_cost_per_hour")) << "absent: the market rate is used";
}

TEST(ScenarioSchema, LaborCostBasisIsAChoiceWithDefaultsAndOverrides) {
  const std::string dir = temp_dir();
  // The shipped msp_defaults say loaded; an MSP's own basis wins; msp_overrides win over both.
  const std::string own = std::string(shipped_assumptions) + acme +
                          "    labor: {cost_basis: forgone_billing, setup_hours: 3, billing_rate_per_hour: 100}\n" +
                          "  - name: other\n    endpoints: 10\n    clients: 2\n";
  Scenario s = load_scenario({write_file(dir, "s.yaml", own)});
  ASSERT_EQ(s.msps.size(), 2u);
  EXPECT_EQ(s.msps[0].cost_basis, switchcost::models::CostBasis::forgone_billing);
  EXPECT_EQ(s.msps[0].params.at("labor.setup_hours").dist.mean(), 3) << "the section's other keys still read";
  EXPECT_FALSE(s.msps[0].params.count("labor.cost_basis")) << "a choice, not a drawn input";
  EXPECT_EQ(s.msps[1].cost_basis, switchcost::models::CostBasis::loaded);
  EXPECT_EQ(s.msps[0].params.at("labor.billing_rate_per_hour").dist.mean(), 100);
  EXPECT_EQ(s.msps[1].params.at("labor.billing_rate_per_hour").dist.mean(), 0) << "not given: the fallback, unread";
  s = load_scenario({write_file(dir, "o.yaml", own + "msp_overrides:\n  labor: {cost_basis: loaded}\n")});
  EXPECT_EQ(s.msps[0].cost_basis, switchcost::models::CostBasis::loaded);
  // A misspelled basis is a located error with a suggestion.
  const std::string bad = load_error(std::string(shipped_assumptions) + acme + "    labor: {cost_basis: forgone_biling}\n");
  EXPECT_NE(bad.find("labor.cost_basis must be loaded or forgone_billing, got 'forgone_biling'"), std::string::npos)
      << bad;
  EXPECT_NE(bad.find("did you mean 'forgone_billing'?"), std::string::npos) << bad;
  EXPECT_EQ(bad.rfind("s.yaml:", 0), 0u) << bad;
  // forgone_billing without a billing rate anywhere: an error, not a rate of 0.
  // (the shipped msp_defaults give the rate only in a comment).
  const std::string missing =
      load_error(std::string(shipped_assumptions) + acme + "    labor: {cost_basis: forgone_billing}\n");
  EXPECT_NE(missing.find("forgone_billing needs labor.billing_rate_per_hour"), std::string::npos) << missing;
}

TEST(ScenarioSchema, LaterFilesOverrideEarlierOnesKeyByKey) {
  const std::string dir = temp_dir();
  write_file(dir, "prices.yaml", "competitors:\n  eset:\n    price_per_endpoint_month: 9\n    promo_months: 3\n");
  const std::string text = "include:\n  - builtin:kaspersky-2024/timeline.yaml\n  - builtin:kaspersky-2024/market.yaml\n"
                           "  - builtin:kaspersky-2024/prices/list.yaml\n  - builtin:kaspersky-2024/msp-defaults.yaml\n"
                           "  - prices.yaml\n" + acme + "timeline: {horizon_months: 12}\n";
  const Scenario s = load_scenario({write_file(dir, "t.yaml", text)});
  EXPECT_EQ(s.competitors.at("eset").params.at("price_per_endpoint_month").dist.mean(), 9);
  EXPECT_EQ(s.competitors.at("eset").params.at("promo_months").dist.mean(), 3);
  EXPECT_EQ(s.timeline.horizon_months, 12);
  EXPECT_EQ(s.timeline.updates_end - s.timeline.sales_end, 71) << "2024-07-20 .. 2024-09-29";
  EXPECT_EQ(s.files.size(), 6u);
}

TEST(ScenarioSchema, IncludeErrorsPointAtTheIncludeEntry) {
  const std::string dir = temp_dir();
  write_file(dir, "a.yaml", "include: [b.yaml]\n");
  write_file(dir, "b.yaml", "include:\n  - a.yaml\n");
  try {
    load_scenario({dir + "/a.yaml"});
    FAIL() << "an include cycle must be an error";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.where().file, dir + "/b.yaml");
    EXPECT_EQ(e.where().line, 2);
    EXPECT_EQ(e.where().column, 5);
    EXPECT_NE(e.message().find("include cycle"), std::string::npos) << e.what();
  }
  EXPECT_NE(load_error("include: [builtin:nope.yaml]\n").find("no built-in scenario file 'nope.yaml'"),
            std::string::npos);
  EXPECT_EQ(load_error("include: [missing.yaml]\n").rfind("s.yaml:1:11: cannot include 'missing.yaml'", 0), 0u)
      << load_error("include: [missing.yaml]\n");
}

TEST(ScenarioSchema, BuiltinFilesAreEmbeddedAndTheDefaultLoads) {
  bool found = false;
  for (const auto& f : builtin_files()) found |= std::string(builtin_prefix) + std::string(f.path) == default_scenario;
  EXPECT_TRUE(found);
  const Scenario s = load_scenario({std::string(default_scenario)});
  ASSERT_EQ(s.msps.size(), 1u);
  EXPECT_EQ(s.msps[0].params.at("endpoints").dist.mean(), 350);
  EXPECT_EQ(s.msps[0].incumbent, "kaspersky");
  for (const char* name : {"kaspersky", "bitdefender", "eset", "sophos", "microsoft-defender", "sentinelone",
                           "crowdstrike", "webroot", "threatdown"})
    EXPECT_TRUE(s.competitors.count(name)) << name;
}

TEST(ScenarioSchema, TargetOverlayIsSetAsANameNeverParsed) {
  const std::string base(default_scenario);
  const Scenario s = load_scenario({base}, {}, {Overlay::moving_to("(--targets eset)", "eset")});
  EXPECT_EQ(s.msps[0].target, "eset");
  EXPECT_EQ(s.files.back(), "(--targets eset)");
  // A name holding YAML is refused as a name, not applied as a document.
  const std::string injected = "eset'}\nmarket: {technician_cost_per_hour: 0}\n#";
  try {
    load_scenario({base}, {}, {Overlay::moving_to("(--targets x)", injected)});
    FAIL() << "a target that is not a name must be refused";
  } catch (const ScenarioError& e) {
    EXPECT_NE(e.message().find("is not a name"), std::string::npos) << e.what();
  }
}

// --set KEY=VALUE: applied after the files as a tree built around the value
// the reader read (never as text around it), checked by the same schema,
// every message located in the argument itself.
TEST(ScenarioSchema, SettingsApplyAfterTheFilesAndPointIntoTheArgument) {
  const std::string portfolio = SWITCHCOST_SOURCE_DIR "/scenarios/kaspersky-2024/portfolio.yaml";
  const Scenario s = load_scenario(
      {portfolio}, {},
      {Overlay::setting("labor.technicians", "3"), Overlay::setting("market.technician_cost_per_hour", "55"),
       Overlay::setting("competitors.eset.price_per_endpoint_month", "{pert: [2, 3, 4]}"),
       Overlay::setting("labor.technicians", "4")});
  ASSERT_EQ(s.msps.size(), 3u);
  for (const Msp& m : s.msps) {
    EXPECT_EQ(m.params.at("labor.technicians").dist.mean(), 4) << m.name << ": every MSP, the last --set wins";
    EXPECT_EQ(m.params.at("labor.technicians").where.file, "--set labor.technicians=4");
    EXPECT_EQ(m.params.at("labor.technicians").where.column, 19) << "the value's column in the argument";
    EXPECT_EQ(m.params.at("labor.technicians").stream, "msps." + m.name + ".labor.technicians") << "streams kept";
  }
  EXPECT_EQ(s.market.at("technician_cost_per_hour").dist.mean(), 55);
  EXPECT_DOUBLE_EQ(s.competitors.at("eset").params.at("price_per_endpoint_month").dist.mean(), 3);
  EXPECT_EQ(s.files.back(), "--set labor.technicians=4");

  auto error_of = [&](const std::string& key, const std::string& value) -> std::pair<std::string, std::string> {
    try {
      load_scenario({portfolio}, {}, {Overlay::setting(key, value)});
    } catch (const ScenarioError& e) {
      return {to_string(e.where()), e.message()};
    }
    return {"", "accepted"};
  };
  // Each error at the argument, line 1, the column of what is wrong in "KEY=VALUE".
  auto [where, message] = error_of("labor.techniciens", "3");
  EXPECT_EQ(where, "--set labor.techniciens=3:1:7");
  EXPECT_NE(message.find("did you mean 'technicians'"), std::string::npos) << message;
  std::tie(where, message) = error_of("labor.technicians", "{pert: [1, 2, x]}");
  EXPECT_EQ(where, "--set labor.technicians={pert: [1, 2, x]}:1:33") << message;
  std::tie(where, message) = error_of("market.technician_cost_per_hour", "-5");
  EXPECT_EQ(where, "--set market.technician_cost_per_hour=-5:1:33") << message;
  EXPECT_NE(message.find("must lie in"), std::string::npos) << message;
  std::tie(where, message) = error_of("msps.msp-350.endpoints", "3");
  EXPECT_NE(message.find("cannot change 'msps'"), std::string::npos) << message;
  std::tie(where, message) = error_of("labor..technicians", "3");
  EXPECT_EQ(where, "--set labor..technicians=3:1:7") << message;
  std::tie(where, message) = error_of("labor", "3");
  EXPECT_EQ(where, "--set labor=3:1:7");
  EXPECT_NE(message.find("(a mapping), got a number"), std::string::npos) << message;
  std::tie(where, message) = error_of("labor.technicians", "2\nmarket: {technician_cost_per_hour: 0}");
  EXPECT_EQ(message, "a --set value is one line");
  // Text that would close the value and add keys, were it spliced into a
  // document, is one malformed value here.
  std::tie(where, message) = error_of("labor.technicians", "2}, market: {technician_cost_per_hour: 0}");
  EXPECT_NE(where, "") << message;
  std::tie(where, message) = error_of("labor.technicians", "a: b");
  EXPECT_NE(where, "") << "a mapping where a count belongs: " << message;
}

// A file with several independent errors gets them all, in reading order,
// not only the first; at most 20; checks across the scenario (a target
// that is no competitor) come once those are fixed.
TEST(ScenarioSchema, EveryIndependentErrorIsReported) {
  const auto dir = temp_dir();
  const std::string path = write_file(dir, "multi.yaml",
                                      "include: [builtin:kaspersky-2024/msp-350.yaml]\n"
                                      "timeline: {updates_end: 2024-02-30}\n"
                                      "market:\n"
                                      "  technician_cost_per_hour: -3\n"
                                      "  discount_rat_per_year: 0.05\n"
                                      "msps:\n"
                                      "  - name: extra\n"
                                      "    endpoints: 1.5\n"
                                      "    clients: 3\n"
                                      "    labor: {technicians: abc, setup_hour: 4}\n"
                                      "  - {name: other, endpoints: 10, clients: 2, target: nosuch}\n");
  try {
    load_scenario({path});
    FAIL() << "accepted";
  } catch (const ScenarioErrors& e) {
    std::vector<std::string> at;
    for (const auto& one : e.errors()) at.push_back(std::to_string(one.where().line) + ":" +
                                                    std::to_string(one.where().column));
    EXPECT_EQ(at, (std::vector<std::string>{"2:25", "4:29", "5:3", "8:16", "10:26", "10:31"}));
    const std::string what = e.what();
    EXPECT_EQ(what.substr(what.rfind('\n') + 1), "6 errors");
    EXPECT_EQ(what.find("nosuch"), std::string::npos) << "the cross-check waits for the rest";
    EXPECT_EQ(e.where().line, 2) << "where() is the first's";
  }
  // Fixed, the cross-check speaks.
  const std::string fixed = write_file(dir, "fixed.yaml",
                                       "include: [builtin:kaspersky-2024/msp-350.yaml]\n"
                                       "msps: [{name: other, endpoints: 10, clients: 2, target: nosuch}]\n");
  try {
    load_scenario({fixed});
    FAIL() << "accepted";
  } catch (const ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("nosuch"), std::string::npos) << e.what();
  }
  // At most 20.
  std::string many = "include: [builtin:kaspersky-2024/msp-350.yaml]\nmarket:\n";
  for (int k = 0; k < 30; ++k) many += "  unknown_" + std::to_string(k) + ": 1\n";
  try {
    load_scenario({write_file(dir, "many.yaml", many)});
    FAIL() << "accepted";
  } catch (const ScenarioErrors& e) {
    EXPECT_EQ(e.errors().size(), 20u);
    const std::string what = e.what();
    EXPECT_EQ(what.substr(what.rfind('\n') + 1), "20 errors, stopped at that many");
  }
}

// An RMM tool's device export: devices, distinct clients, servers apart.
TEST(Inventory, CountsDevicesClientsAndServers) {
  const Inventory inv = parse_inventory(
      "\xEF\xBB\xBF" "Device Name,Client Name,Device Type,OS\r\n"
      "PC-1,Acme,Workstation,Windows 11\r\n"
      "SRV-1,Acme,Server,Windows Server 2019\r\n"
      "\r\n"
      "\"PC, \"\"2\"\"\",\" acme \",Workstation,Windows 10\r\n"
      "PC-3,Bolt Ltd,Laptop,\"mac\nOS\"\r\n",
      "devices.csv");
  EXPECT_EQ(inv.devices, 4u) << "a blank line is no device; a quoted field may hold a comma, a quote, a line end";
  EXPECT_EQ(inv.clients, 2u) << "client names are trimmed and compared without case";
  EXPECT_EQ(inv.servers, 1u);
  EXPECT_EQ(inv.client_column, "Client Name");
  EXPECT_EQ(inv.kind_column, "Device Type") << "device type before os";
  // ';' as the separator; a named client column; no kind column.
  const Inventory semi = parse_inventory("host;Kunde;x\na;K1;1\nb;K2;2\nc;K2;3\n", "export.csv", "kunde");
  EXPECT_EQ(semi.devices, 3u);
  EXPECT_EQ(semi.clients, 2u);
  EXPECT_EQ(semi.servers, 0u);
  EXPECT_EQ(semi.kind_column, "");
}

TEST(Inventory, MalformedFilesAreLocatedErrors) {
  auto error_of = [](const std::string& text, const std::string& column = "") {
    try {
      parse_inventory(text, "d.csv", column);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error_of("a,b\n1,2\n").substr(0, 41), "d.csv:1:1: no client column in the header");
  EXPECT_EQ(error_of("client,x\nA,1\nB\n"), "d.csv:3:1: a device row has 1 fields, the header 2");
  EXPECT_EQ(error_of("client,x\nA,\"1\n"), "d.csv:2:3: a quoted field is not closed");
  EXPECT_EQ(error_of("client,x\nA,\"1\"2\n").substr(0, 49), "d.csv:2:6: text after a quoted field's closing qu");
  EXPECT_EQ(error_of("client,x\n  ,1\n"), "d.csv:2:1: a device with no client ('client' is empty)");
  EXPECT_EQ(error_of("client,x\n\n"), "d.csv:1:1: the header is followed by no device");
  EXPECT_EQ(error_of(""), "d.csv: no header row: the file is empty");
  EXPECT_EQ(error_of("client,x\nA,1\n", "tenant").substr(0, 38), "d.csv:1:1: no column 'tenant' in the h");
}

TEST(ScenarioSchema, CountsAreWholeNumbersWithinTheirMaxima) {
  const std::string msp = "msps: [{name: acme, endpoints: ENDPOINTS, clients: 25}]\n";
  auto error_for = [&](const std::string& endpoints) {
    std::string text = msp;
    text.replace(text.find("ENDPOINTS"), 9, endpoints);
    return load_error(std::string(shipped_assumptions) + text);
  };
  EXPECT_EQ(error_for("350"), "");
  EXPECT_EQ(error_for("{discrete: {values: [100, 200], weights: [1, 1]}}"), "");
  EXPECT_EQ(error_for("120.5").rfind("s.yaml:3:32: endpoints is a count", 0), 0u) << error_for("120.5");
  EXPECT_NE(error_for("0").find("nothing to migrate"), std::string::npos);
  EXPECT_NE(error_for("10000001").find("endpoints is a count"), std::string::npos);
  EXPECT_NE(error_for("{pert: [100, 200, 300]}").find("discrete"), std::string::npos);
}

TEST(ScenarioSchema, AMisspelledCompetitorNoMspUsesIsAnError) {
  const std::string dir = temp_dir();
  write_file(dir, "typo.yaml", "competitors:\n  esett:\n    price_per_endpoint_month: 9\n");
  const std::string base = write_file(dir, "base.yaml", std::string(shipped_assumptions) + acme);
  try {
    load_scenario({base, dir + "/typo.yaml"});
    FAIL() << "'esett' must be refused";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.where().line, 2);
    EXPECT_NE(e.message().find("did you mean 'eset'?"), std::string::npos) << e.what();
  }
}

TEST(ScenarioSchema, AMissingRelativeIncludeNamesTheBuiltinFile) {
  EXPECT_NE(load_error("include: [prices/list.yaml]\n").find("did you mean 'builtin:kaspersky-2024/prices/list.yaml'"),
            std::string::npos)
      << load_error("include: [prices/list.yaml]\n");
  EXPECT_EQ(load_error("include: [no-such.yaml]\n").find("builtin:"), std::string::npos);
}

TEST(ScenarioSchema, WorkingMemoryEstimateCountsTablesAndBlockBuffers) {
  const Scenario s = load_scenario({std::string(default_scenario)});
  EXPECT_GT(s.beta_shapes.size(), 10u) << "msp-350 draws from about 20 PERT shapes";
  RunOptions o;
  o.trials = 10'000'000;
  o.threads = 8;
  o.block_trials = 1 << 20;
  const std::uint64_t big = estimate_working_bytes({&s}, o);
  // 8 threads x 2^20 trials x at least 70 columns of doubles.
  EXPECT_GE(big, 8u * (1u << 20) * 70u * 8u);
  o.block_trials = 4096;
  const std::uint64_t small = estimate_working_bytes({&s}, o);
  EXPECT_LT(small, big / 20);
  EXPECT_GE(small, s.beta_shapes.size() * beta_table_bytes());
  EXPECT_GE(beta_table_bytes(), 64u << 10);
}

TEST(ScenarioSchema, TimelineMustBeInOrder) {
  EXPECT_NE(load_error(std::string(shipped_assumptions) + acme +
                       "timeline: {sales_end: 2024-07-20, updates_end: 2024-07-19}\n")
                .find("updates_end 2024-07-19 is before sales_end 2024-07-20"),
            std::string::npos);
}


// A `formulas:` block: compiled per MSP when the scenario loads, taken whole
// by the precedence of extras, errors at the character in the file.
TEST(ScenarioFormulas, BlockIsCompiledPerMspWithItsStreams) {
  const std::string dir = temp_dir();
  const std::string path = write_file(
      dir, "f.yaml",
      "include: [builtin:kaspersky-2024/portfolio.yaml]\n"
      "msp_defaults:\n"
      "  formulas:\n"
      "    values:\n"
      "      hours: endpoints * pert(10, 20, 60) / 60\n"
      "    costs:\n"
      "      downtime: hours * 30\n"
      "msps:\n"
      "  - name: own\n"
      "    endpoints: 10\n"
      "    clients: 2\n"
      "    formulas:\n"
      "      costs:\n"
      "        flat: '2 * labor.hours'\n");
  const Scenario s = load_scenario({path});
  ASSERT_EQ(s.msps.size(), 4u);
  ASSERT_TRUE(s.msps[0].formulas);
  EXPECT_EQ(s.msps[0].formulas, s.msps[1].formulas) << "msp_defaults' block is compiled once";
  const FormulaSet& shipped = *s.msps[0].formulas;
  ASSERT_EQ(shipped.formulas.size(), 2u);
  EXPECT_EQ(shipped.formulas[0].name, "hours");  // read by downtime: evaluated first
  EXPECT_FALSE(shipped.formulas[0].cost);
  EXPECT_TRUE(shipped.formulas[1].cost);
  ASSERT_EQ(shipped.draws.size(), 1u);
  EXPECT_EQ(shipped.draws[0].stream, "formulas.hours.0");  // under msps.NAME. in the engine
  // The MSP's own block replaces the defaults' whole; the quoted text starts a column later.
  const FormulaSet& own = *s.msps[3].formulas;
  ASSERT_EQ(own.formulas.size(), 1u);
  EXPECT_EQ(own.formulas[0].name, "flat");
  EXPECT_EQ(to_string(own.formulas[0].where), path + ":14:16");
}

TEST(ScenarioFormulas, ErrorsPointIntoTheFormula) {
  const std::string dir = temp_dir();
  auto error_of = [&](const std::string& block) {
    try {
      load_scenario({write_file(dir, "e.yaml",
                                "include: [builtin:kaspersky-2024/msp-350.yaml]\nmsp_overrides:\n  formulas:\n" +
                                    block)});
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string typo = error_of("    costs:\n      x: endpoints * labor.hour\n");
  EXPECT_NE(typo.find("e.yaml:5:22: unknown name 'labor.hour' in formula 'x'; did you mean 'labor.hours'?"),
            std::string::npos)
      << typo;
  const std::string cycle = error_of("    values:\n      a: b + 1\n      b: 2 * a\n");
  EXPECT_NE(cycle.find("e.yaml:5:10: formula 'a' refers to itself: a -> b -> a"), std::string::npos) << cycle;
  const std::string quoted = error_of("    costs:\n      x: 'endpoints * (1 +'\n");
  EXPECT_NE(quoted.find("e.yaml:5:27: formula 'x' ends where a value was expected"), std::string::npos) << quoted;
  const std::string section = error_of("    cost:\n      x: 1\n");
  EXPECT_NE(section.find("e.yaml:4:5: "), std::string::npos) << section;
  EXPECT_NE(error_of("    costs:\n      2x: 1\n").find("a formula name is"), std::string::npos);
}

}  // namespace
}  // namespace switchcost::sim
