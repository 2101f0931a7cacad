#pragma once
// What every AVX512-BF16 kernel file includes first: the intrinsics, and the target attribute
// its functions carry (the files are built for the baseline ISA; isa.cpp decides at run time
// whether these functions may be called).

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized and
// -Wuninitialized report inside the header (a known false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#define SD_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
