#!/usr/bin/env bash
# Bicep CLI for this repository, without a global install.
#
#   scripts/bicep.sh                 print the path of a Bicep CLI: `bicep` on PATH if there is one, otherwise
#                                    the self-contained binary of the NuGet package
#                                    Azure.Bicep.CommandLine.linux-x64, restored once with `dotnet restore`
#                                    into .tools/bin/packages/ (git-ignored)
#   scripts/bicep.sh build [FILE]    compile infra/main.bicep to FILE (default dist/infra/main.json) and lint
#                                    it; fails on ANY warning or error, since `bicep lint` exits 0 on warnings
#
# Only the path (or nothing, for build) goes to stdout; progress and diagnostics go to stderr.
# BICEP_VERSION overrides the package version.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=${BICEP_VERSION:-0.49.2}
package=Azure.Bicep.CommandLine.linux-x64
packages_dir="$root/.tools/bin/packages"

die() {
  echo "bicep.sh: $*" >&2
  exit 1
}

bicep_path() {
  if command -v bicep >/dev/null 2>&1; then
    command -v bicep
    return
  fi
  [[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] ||
    die "no 'bicep' on PATH and the NuGet fallback ($package) only runs on Linux x64; install the Bicep CLI"
  local dir="$packages_dir/${package,,}/$version"
  local bin="$dir/tools/bicep"
  if [[ ! -f "$bin" ]]; then
    command -v dotnet >/dev/null 2>&1 ||
      die "no 'bicep' on PATH and no 'dotnet' to restore $package from NuGet; install one of them"
    echo "bicep.sh: restoring $package $version from NuGet" >&2
    DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
      dotnet restore "$root/.tools/bicep/bicep-tools.csproj" --packages "$packages_dir" \
      -p:BicepVersion="$version" --verbosity quiet >&2 ||
      die "dotnet restore of $package $version failed"
  fi
  if [[ ! -f "$bin" ]]; then
    # Package layout changed? Take the one executable named bicep inside it.
    bin=$(find "$dir" -type f -name bicep -print -quit 2>/dev/null || true)
    [[ -n "$bin" ]] || die "$package $version restored but contains no 'bicep' binary (looked in $dir)"
  fi
  [[ -x "$bin" ]] || chmod +x "$bin"
  echo "$bin"
}

# Runs a Bicep command, echoes its diagnostics to stderr and fails if there was any warning or error.
run_clean() {
  local output status=0
  output=$("$@" 2>&1) || status=$?
  [[ -z "$output" ]] || printf '%s\n' "$output" >&2
  if ((status != 0)); then
    die "'${*:2}' failed (exit $status)"
  fi
  if grep -qE ' : (Warning|Error) ' <<<"$output"; then
    die "'${*:2}' reported diagnostics; the Bicep must build and lint with no warnings"
  fi
}

case "${1:-path}" in
  path)
    bicep_path
    ;;
  build)
    out=${2:-$root/dist/infra/main.json}
    bicep=$(bicep_path)
    mkdir -p "$(dirname "$out")"
    echo "bicep.sh: $("$bicep" --version)" >&2
    run_clean "$bicep" build "$root/infra/main.bicep" --outfile "$out"
    run_clean "$bicep" lint "$root/infra/main.bicep"
    echo "bicep.sh: infra/main.bicep built to ${out#"$root"/} and linted with no warnings" >&2
    ;;
  -h | --help)
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    ;;
  *)
    die "unknown command '$1' (expected: path, build [FILE], --help)"
    ;;
esac
