# Sourced by scripts/test-sanitize.sh and scripts/test-fuzz.sh: exports CC/CXX as a Clang with libFuzzer and the
# sanitizer runtimes (installed by scripts/install-deps.sh --fuzz). Apple's clang has no libFuzzer; Homebrew's llvm has.
if [[ "$(uname)" == "Darwin" ]]; then
  llvm=$(brew --prefix llvm)
  export CC="$llvm/bin/clang" CXX="$llvm/bin/clang++"
else
  export CC=${CC:-clang} CXX=${CXX:-clang++}
fi
[[ $CXX == *clang* ]] || { echo "$(basename "$0"): CXX must be Clang (libFuzzer), got $CXX" >&2; exit 1; }
# -O1 with line tables: sanitizer reports keep file:line, and the build is a fraction of -O2 -g's cost.
vlmq_sanitize_flags="-O1 -gline-tables-only -DNDEBUG"
