# Sourced by .ci/arm64-emulated and .ci/arm64-tests: installs Debian's qemu-user-static, the arm64 cross runtime
# libraries and arm64 OpenSSL when missing (as root, like .ci/run's chromium), and defines `qemu_arm64 CPU PROGRAM
# ARGS...`, which runs a linux-arm64 executable under emulation with QEMU_CPU=CPU (max: AdvSimd + dotprod + i8mm;
# cortex-a53: AdvSimd only).

arm64_sysroot=/usr/aarch64-linux-gnu
if ! command -v qemu-aarch64-static >/dev/null || [ ! -e "$arm64_sysroot/lib/ld-linux-aarch64.so.1" ] || [ ! -e "$arm64_sysroot/lib/libstdc++.so.6" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross
fi

# OpenSSL for arm64, which .NET's cryptography loads (xunit.v3 names test cases by SHA-256; without it the runtime prints
# "No usable version of libssl was found" and aborts). Debian has no cross package of it, so the arm64 package is
# downloaded and only unpacked into the sysroot: installing it would need a multiarch libc6:arm64 (see below).
if [ ! -e "$arm64_sysroot/lib/libssl.so.3" ]; then
  ssl_dir=$(mktemp -d)
  chmod a+rwx "$ssl_dir" # apt's download user writes there
  dpkg --add-architecture arm64
  apt-get update -qq
  (cd "$ssl_dir" && apt-get download -qq libssl3:arm64 && dpkg -x libssl3_*_arm64.deb .)
  dpkg --remove-architecture arm64
  apt-get update -qq
  cp "$ssl_dir"/usr/lib/aarch64-linux-gnu/libssl.so.3 "$ssl_dir"/usr/lib/aarch64-linux-gnu/libcrypto.so.3 "$arm64_sysroot/lib/"
  rm -rf "$ssl_dir"
fi

# LD_LIBRARY_PATH=/lib (the sysroot's lib, through -L): the cross loader must load the cross libc built with it. Without
# it the loader follows the host's /etc/ld.so.cache, which lists /lib/aarch64-linux-gnu wherever a multiarch libc6:arm64
# is installed, and a loader and a libc of different builds hang the .NET runtime at startup.
# DOTNET_EnableWriteXorExecute=0: with W^X the runtime writes code through a second, writable mapping of the same memory,
# which qemu does not watch, so it goes on running its stale translation of code the runtime has since patched (tiered
# rejit, stubs): illegal instructions, calls to the wrong method, null references, segfaults in multi-threaded runs.
qemu_arm64() {
  local cpu=$1; shift
  DOTNET_EnableWriteXorExecute=0 LD_LIBRARY_PATH=/lib QEMU_CPU=$cpu qemu-aarch64-static -L "$arm64_sysroot" "$@"
}
