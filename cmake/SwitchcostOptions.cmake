# Warnings, sanitizers and CPU tuning, applied through one interface target so
# every switchcost target gets the same flags.
add_library(switchcost_options INTERFACE)
add_library(switchcost::options ALIAS switchcost_options)
target_compile_options(switchcost_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough)
# No fused multiply-add contraction: the same source gives the same bits with
# and without FMA hardware, so the AVX2 clones of the hot loops (picked at
# run time) and the portable ones agree exactly, and so do -march=native builds.
# -fno-trapping-math (no code here reads floating-point exception flags) lets
# GCC turn selects into blends, so that loops with them vectorise, and
# -fno-math-errno (no code reads errno after a math function) lets it use the
# sqrt instruction without a library fallback, so that loops with sqrt
# vectorise; neither changes any result.
target_compile_options(switchcost_options INTERFACE -ffp-contract=off -fno-trapping-math -fno-math-errno)
# GCC 12 reports false -Wrestrict positives inside std::string at -O3 (GCC PR 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(switchcost_options INTERFACE -Wno-restrict)
endif()
if(SWITCHCOST_WERROR)
  target_compile_options(switchcost_options INTERFACE -Werror)
endif()
if(SWITCHCOST_NATIVE)
  target_compile_options(switchcost_options INTERFACE -march=native)
endif()
# The CPU dispatch, decided here once for every layer (models/fastmath.h,
# sim/base/intrinsics.h): hand-written AVX2 / AVX-512 paths and clones picked
# at run time on x86-64 with GCC or clang; no clones under the sanitizers.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set(SWITCHCOST_X86_INTRINSICS ON)
endif()
# (The fuzzing preset passes its sanitizers in CMAKE_CXX_FLAGS.)
set(SWITCHCOST_SANITIZED OFF)
if(SWITCHCOST_SANITIZE OR CMAKE_CXX_FLAGS MATCHES "-fsanitize=")
  set(SWITCHCOST_SANITIZED ON)
  target_compile_definitions(switchcost_options INTERFACE SWITCHCOST_SANITIZED_BUILD=1)
endif()
if(SWITCHCOST_SANITIZE)
  target_compile_options(switchcost_options INTERFACE
    -fsanitize=${SWITCHCOST_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(switchcost_options INTERFACE -fsanitize=${SWITCHCOST_SANITIZE})
endif()
