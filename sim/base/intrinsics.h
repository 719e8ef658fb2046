// The CPU dispatch of sim/: <immintrin.h> and the run-time CPU checks for
// the hand-written AVX2 / AVX-512 paths (sim/random/random.cpp,
// sim/random/beta_table.cpp), and the attribute that gives a vectorised loop
// AVX-512 and AVX2 clones. The build decides the dispatch
// (cmake/SwitchcostOptions.cmake): SWITCHCOST_X86_INTRINSICS on x86-64 with
// GCC or clang, SWITCHCOST_SANITIZED_BUILD under the sanitizers (no clones:
// an ifunc resolver runs before their runtimes are set up).
#pragma once

#ifndef SWITCHCOST_SIMD_CLONES
#if defined(SWITCHCOST_X86_INTRINSICS) && !defined(SWITCHCOST_SANITIZED_BUILD)
#define SWITCHCOST_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SWITCHCOST_SIMD_CLONES
#endif
#endif

#ifdef SWITCHCOST_X86_INTRINSICS
// GCC 12 warns falsely inside avx512fintrin.h (its _mm512_undefined_* values
// "may be" or, at -O2 in the sanitizer builds, "is used uninitialized" when
// the intrinsics are inlined).
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace switchcost::sim {
// Whether this CPU and its OS run AVX2 / AVX-512F / AVX-512DQ code (libgcc checks CPUID
// and the register state the OS saves), asked once per process.
inline bool cpu_has_avx2() noexcept {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
}
inline bool cpu_has_avx512f() noexcept {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return has;
}
// AVX-512DQ (64-bit integer <-> double conversions), which sim/random/random.cpp's
// AVX-512 path needs besides AVX-512F.
inline bool cpu_has_avx512dq() noexcept {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512dq") != 0;
  }();
  return has;
}
}  // namespace switchcost::sim
#endif
