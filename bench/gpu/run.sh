#!/usr/bin/env bash
# The one device script (issue 22): on a machine with CUDA and PyTorch, runs the GPU tests with CUDA, then Interp's GPU
# against PyTorch's (float32 matmul n = 1024..8192 with TF32 off, a GPT-2-small-sized forward and training step), and
# writes $OUT/gpu-table.md (with the logs beside it). Needs .device/ from bench/gpu/prepare.sh (carried).
#   --dry: the same on this machine, on ILGPU's CPU accelerator and PyTorch's CPU at tiny sizes (CI runs this).
set -uo pipefail
cd "$(dirname "$0")/../.."
dry=""; [ "${1:-}" = "--dry" ] && dry="--dry"
out=${OUT:-$(mktemp -d)}; mkdir -p "$out"
if [ -n "$dry" ]; then
  dotnet_cmd=dotnet; bench=bench/bin/Release/net10.0; tests=tests/bin/Release/net10.0; python=/usr/bin/python3
else
  work=/tmp/interp-device; rm -rf $work; mkdir -p $work/dotnet $work/bench $work/tests
  for part in dotnet bench tests; do tar -C $work/$part -xJf .device/$part.tar.xz || { echo "run.sh: .device/$part.tar.xz missing: run bench/gpu/prepare.sh and carry .device"; exit 2; }; done
  export DOTNET_ROOT=$work/dotnet DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1   # the device image may lack libicu
  dotnet_cmd=$work/dotnet/dotnet; bench=$work/bench; tests=$work/tests; python=python3
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
fi
status=0
if [ -z "$dry" ]; then
  timeout 240 "$dotnet_cmd" $bench/Interp.Bench.dll device-tests $tests/Interp.Tests.dll > "$out/cuda-tests.log" 2> "$out/cuda-tests.err" || status=1
  tail -1 "$out/cuda-tests.log"
fi
timeout 240 "$dotnet_cmd" $bench/Interp.Bench.dll gpu $dry > "$out/interp.json" || status=1
if [ -n "$dry" ] && ! $python -c "import torch" 2>/dev/null; then
  echo "{}" > "$out/torch.json"   # CI's machine has no PyTorch: the dry run checks the Interp side and the table
else
  PYTHONUNBUFFERED=1 timeout 120 $python bench/peers/torch_gpu.py $dry > "$out/torch.json" || status=1
fi
$python bench/gpu/table.py "$out/interp.json" "$out/torch.json" "$out/cuda-tests.log" > "$out/gpu-table.md" || status=1
cat "$out/gpu-table.md"
exit $status
