/*
 * cgrequests.h - callgrind's client requests when <valgrind/callgrind.h> is
 * there (meson defines HAVE_CALLGRIND_H), else no-ops, so the benchmarks
 * build and time without valgrind installed.
 */
#ifndef BENCH_CGREQUESTS_H
#define BENCH_CGREQUESTS_H

#ifdef HAVE_CALLGRIND_H
#include <valgrind/callgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#endif
