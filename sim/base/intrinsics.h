// <immintrin.h> for the hand-written AVX2 / AVX-512 paths (sim/random/random.cpp,
// sim/random/distribution.cpp), on x86-64 with GCC or clang only.
#pragma once

#include "models/fastmath.h"  // SWITCHCOST_X86_INTRINSICS

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
#endif
