#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on the device machine into .device/ (ignored by git): the device has CUDA and
# PyTorch but no .NET, so the .NET runtime, the bench and the test assembly travel as archives. Then, with the device
# tool: run(command="bash bench/gpu/run.sh", carry=[".device"], timeout_s=600). See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build Interp.sln -c Release -nologo -v q
rm -rf .device && mkdir -p .device
root=$(dirname "$(readlink -f "$(command -v dotnet)")")
runtime=$(ls -d "$root"/shared/Microsoft.NETCore.App/10.* | sort -V | tail -1)
tar -C "$root" -cJf .device/dotnet.tar.xz dotnet host "shared/Microsoft.NETCore.App/$(basename "$runtime")"
tar -C bench/bin/Release/net10.0 -cJf .device/bench.tar.xz .
tar -C tests/bin/Release/net10.0 -cJf .device/tests.tar.xz .
du -sh .device/*
