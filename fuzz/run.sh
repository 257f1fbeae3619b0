#!/usr/bin/env bash
# Fuzzes the Memento language with libFuzzer: builds the Language sources together with
# fuzz/FuzzLanguage.swift using `swiftc -sanitize=fuzzer,address`, seeds the corpus with the
# golden-test fixtures, and runs for the given number of seconds (default 600).
#   fuzz/run.sh 1800            # 30 minutes
# Crashing inputs are written to fuzz/artifacts/; the corpus grows in fuzz/corpus/ (both
# are ignored by git). Leaks count as findings (LeakSanitizer is on) unless
# MEMENTO_FUZZ_LEAKS=0: a reference cycle a script builds inside a function (`l.append(l)`
# on a local list) is never freed — reference counting has no cycle collector, and only
# cycles reachable from the globals are broken when a session ends — so a long run with
# leak detection stops at the first such script; MEMENTO_FUZZ_LEAKS=0 looks for crashes only.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
mkdir -p fuzz/corpus fuzz/artifacts .build-fuzz
find Tests/LanguageTests/Fixtures -name '*.mem' -exec cp {} fuzz/corpus/ \; 2>/dev/null || true
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name Language \
  Sources/Language/*.swift fuzz/FuzzLanguage.swift -o .build-fuzz/fuzz-language
exec .build-fuzz/fuzz-language fuzz/corpus -artifact_prefix=fuzz/artifacts/ -max_total_time="$seconds" \
  -max_len=4096 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 -detect_leaks="${MEMENTO_FUZZ_LEAKS:-1}"
