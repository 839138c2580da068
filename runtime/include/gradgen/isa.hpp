// The instruction set a translation unit is compiled for, as the name of an inline namespace
// around the runtime's code. The linker keeps one copy of each inline function for the whole
// program (the one-definition rule says they are all the same); without this, a program that
// links code built for any x86-64 with code built with -march=native (say, one network
// generated twice and picked at run time by CPU) could run the AVX-512 copy everywhere.
#pragma once

// Every runtime header includes this one: one clear message instead of a page of errors
// (clang++ 14 defaults to C++14).
#if __cplusplus < 201703L
#error "gradgen's runtime needs C++17: compile with -std=c++17 or later"
#endif

#if defined(__AVX512F__)
#define GG_ISA isa_avx512
#elif defined(__AVX2__)
#define GG_ISA isa_avx2
#elif defined(__AVX__)
#define GG_ISA isa_avx
#elif defined(__SSE4_1__)
#define GG_ISA isa_sse4
#else
#define GG_ISA isa_base
#endif
