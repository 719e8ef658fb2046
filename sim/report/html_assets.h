// The texts the HTML report inlines, embedded at build time by
// cmake/EmbedHtmlAssets.cmake (generated html_assets.cpp): each is a
// sequence of parts to be written one after the other.
#pragma once

#include <span>
#include <string_view>

namespace switchcost::sim {

// Chart.js 3's UMD build (Debian's libjs-chart.js, /usr/share/javascript/chart.js/chart.min.js
// unless SWITCHCOST_CHARTJS says otherwise), MIT-licensed, with its banner.
std::span<const std::string_view> html_chartjs();
// The page's script (sim/report/html/report.js) and style (report.css).
std::span<const std::string_view> html_script();
std::span<const std::string_view> html_style();

}  // namespace switchcost::sim
