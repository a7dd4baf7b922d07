#!/usr/bin/env bash
# scripts/setup.sh - install what mailwalk needs (Debian 12 / Ubuntu) and build.
#
#   scripts/setup.sh build   compiler, meson, OpenSSL, cmocka: enough to build
#   scripts/setup.sh test    also the real peers the tests talk to
#
# It installs only what is missing, so a second run takes a second. Packages
# come from apt-get, as root or through sudo. Then it builds into build/.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

# GTK 4 is for the visualizer (gui/); the server and clients need only OpenSSL.
# scdoc turns man/*.scd into the man pages that `meson install` installs.
build_packages=(gcc libc6-dev meson ninja-build pkg-config libssl-dev libcmocka-dev
                libgtk-4-dev scdoc)
# swaks, curl, Python's smtplib and aiosmtpd, and Postfix's smtp-source and
# smtp-sink are the real SMTP peers in tests/interop and tests/bench.
# swaks needs Net::SSLeay for --tls and --tlsc (the security interop tests);
# xvfb runs the visualizer without a screen; python3-cryptography makes test
# certificates; iproute2's ss tells whether a port listens; desktop-file-utils
# and appstream validate what `meson install` puts in share/; the docs'
# examples use nc (netcat-openbsd) to type SMTP by hand; bubblewrap is
# labs/grade-folder's sandbox.
test_packages=(swaks libnet-ssleay-perl curl python3 python3-aiosmtpd
               python3-cryptography postfix xvfb xauth iproute2
               desktop-file-utils appstream netcat-openbsd bubblewrap)
# The fuzz targets (scripts/fuzz.sh): clang, and libFuzzer, which Debian 12
# ships in clang's runtime libraries (libclang_rt.fuzzer in libclang-rt-14-dev).
test_packages+=(clang libclang-rt-14-dev)

want=("${build_packages[@]}")
if [ "${1:-build}" = test ]; then
  want+=("${test_packages[@]}")
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "mailwalk setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "mailwalk setup: need root or sudo to install ${missing[*]}" >&2
      exit 1
    }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Postfix asks how to configure itself; we only want its test tools.
  echo "postfix postfix/main_mailer_type select No configuration" |
    $sudo debconf-set-selections
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
ninja -C build >/dev/null
