# Included by sim/CMakeLists.txt. --html reports inline Chart.js 3 (Debian's
# libjs-chart.js, which scripts/bootstrap installs) and the page's own script
# and style (sim/report/html/), embedded in the report layer so that the
# binary reads no file when it writes a report. Configuring fails, saying
# what to install, when Chart.js 3 is not there.
set(SWITCHCOST_CHARTJS /usr/share/javascript/chart.js/chart.min.js CACHE FILEPATH
  "Chart.js 3 UMD build (chart.min.js), inlined into --html reports")
if(NOT EXISTS ${SWITCHCOST_CHARTJS})
  message(FATAL_ERROR "Chart.js not found at ${SWITCHCOST_CHARTJS}: --html reports inline it. Install Debian's "
    "libjs-chart.js (scripts/bootstrap does), or set SWITCHCOST_CHARTJS to Chart.js 3's UMD build (chart.min.js).")
endif()
file(STRINGS ${SWITCHCOST_CHARTJS} SWITCHCOST_CHARTJS_VERSION LIMIT_COUNT 1 REGEX "Chart\\.js v[0-9]")
if(NOT SWITCHCOST_CHARTJS_VERSION MATCHES "Chart\\.js v3\\.")
  message(FATAL_ERROR "${SWITCHCOST_CHARTJS} is not Chart.js 3 (its banner: '${SWITCHCOST_CHARTJS_VERSION}'): "
    "the report page is written for Chart.js 3's API (Debian bookworm's libjs-chart.js 3.9.1)")
endif()
set(SWITCHCOST_HTML_ASSETS ${SWITCHCOST_CHARTJS} ${PROJECT_SOURCE_DIR}/sim/report/html/report.js
  ${PROJECT_SOURCE_DIR}/sim/report/html/report.css)
set(SWITCHCOST_HTML_ASSETS_CPP ${CMAKE_CURRENT_BINARY_DIR}/html_assets.cpp)
add_custom_command(
  OUTPUT ${SWITCHCOST_HTML_ASSETS_CPP}
  COMMAND ${CMAKE_COMMAND} -DCHARTJS=${SWITCHCOST_CHARTJS} -DSCRIPT=${PROJECT_SOURCE_DIR}/sim/report/html/report.js
          -DSTYLE=${PROJECT_SOURCE_DIR}/sim/report/html/report.css -DOUT=${SWITCHCOST_HTML_ASSETS_CPP}
          -P ${PROJECT_SOURCE_DIR}/cmake/EmbedHtmlAssets.cmake
  DEPENDS ${SWITCHCOST_HTML_ASSETS} ${PROJECT_SOURCE_DIR}/cmake/EmbedHtmlAssets.cmake
  COMMENT "Embedding Chart.js and the HTML report's script and style"
  VERBATIM)
