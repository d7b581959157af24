#!/usr/bin/env bash
# The one device script (issue 22): on a machine with CUDA and PyTorch, runs the GPU tests with CUDA, then Interp's GPU
# against PyTorch's (float32 matmul n = 1024..8192 with TF32 off, a GPT-2-small-sized forward and training step), and
# writes $OUT/gpu-table.md (with the logs beside it). Needs .device/ from bench/gpu/prepare.sh (carried).
#   --dry: the same on this machine, on ILGPU's CPU accelerator and PyTorch's CPU at tiny sizes (CI runs this).
# BUDGET_S (default 560) is the wall time the whole run may take: set it below the device tool's limit_s when less
# device time is left. Each part gets its share of what remains, and the table is written from whatever finished
# (every part writes its results as it goes), so a run cut short still reports what it measured.
set -uo pipefail
cd "$(dirname "$0")/../.."
dry=""; [ "${1:-}" = "--dry" ] && dry="--dry"
out=${OUT:-$(mktemp -d)}; mkdir -p "$out"
start=$SECONDS; budget=${BUDGET_S:-560}
# seconds for the next part: its share (percent) of what is left after keeping 15 s for the table, at most its cap
share() { local left=$((budget - (SECONDS - start) - 15)); local s=$((left * $1 / 100)); [ $s -gt $2 ] && s=$2; [ $s -lt 5 ] && s=5; echo $s; }
if [ -n "$dry" ]; then
  dotnet_cmd=dotnet; bench=bench/bin/Release/net10.0; tests=tests/bin/Release/net10.0; python=/usr/bin/python3
else
  work=/tmp/interp-device; rm -rf $work; mkdir -p $work/dotnet $work/bench $work/tests
  for part in dotnet bench tests; do tar -C $work/$part -xJf .device/$part.tar.xz || { echo "run.sh: .device/$part.tar.xz missing: run bench/gpu/prepare.sh and carry .device"; exit 2; }; done
  export DOTNET_ROOT=$work/dotnet
  dotnet_cmd=$work/dotnet/dotnet; bench=$work/bench; tests=$work/tests; python=python3
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
fi
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1   # the device image may lack libicu: the dry run checks that this is enough
status=0
# The CUDA tests (in the dry run there is no CUDA: all are reported skipped, which checks the runner and the assembly)
timeout "$(share 35 200)" "$dotnet_cmd" $bench/Interp.Bench.dll device-tests $tests/Interp.Tests.dll > "$out/cuda-tests.log" 2> "$out/cuda-tests.err" || status=1
grep "^device tests:" "$out/cuda-tests.log" || echo "run.sh: the CUDA tests did not finish (see cuda-tests.log/.err)"
# The SGEMM's PTX through ptxas, where one exists (Triton, which comes with PyTorch, ships one): real registers and spills
"$dotnet_cmd" $bench/Interp.Bench.dll ptx-info --dump "$out/ptx" SgemmKernel > "$out/ptx-info.md" 2>/dev/null || status=1
ptxas=$(command -v ptxas || $python -c "import os, triton; d = os.path.dirname(triton.__file__)
print(next((p for p in (d + '/backends/nvidia/bin/ptxas', d + '/third_party/cuda/bin/ptxas') if os.path.exists(p)), ''))" 2>/dev/null || true)
if [ -n "$ptxas" ] && [ -x "$ptxas" ]; then
  "$ptxas" -arch=sm_90 -v -o /dev/null "$out/ptx/SgemmKernel.float32.ptx" 2>&1 | grep -E "registers|spill" > "$out/ptxas.txt" || true
else
  echo "(no ptxas on this machine)" > "$out/ptxas.txt"
fi
timeout "$(share 75 300)" "$dotnet_cmd" $bench/Interp.Bench.dll gpu $dry > "$out/interp.json" || status=1
if [ -n "$dry" ] && ! $python -c "import torch" 2>/dev/null; then
  echo "{}" > "$out/torch.json"   # CI's machine has no PyTorch: the dry run checks the Interp side and the table
else
  PYTHONUNBUFFERED=1 timeout "$(share 100 150)" $python bench/peers/torch_gpu.py $dry > "$out/torch.json" || status=1
fi
$python bench/gpu/table.py "$out/interp.json" "$out/torch.json" "$out/cuda-tests.log" "$out/ptxas.txt" > "$out/gpu-table.md" || status=1
cat "$out/gpu-table.md"
echo "run.sh: $((SECONDS - start)) s of a ${budget} s budget"
exit $status
