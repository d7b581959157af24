using FsCheck.Xunit;
using Interp.Cpu;
using Interp.Testing;
using Xunit;

namespace Interp.Tests.Autograd;

/// <summary>
/// The Winograd conv multiplies each group of tiles by the GEMM's micro-kernel straight away, so its tile shape (the
/// AVX-512 kernel's 12 × 2V reading the transformed tiles where they lie, the AVX2 kernel's 6 × 2V and the portable
/// 4 × 4 from packed panels) decides how the tiles are grouped and how far U's rows are padded; the weight gradient
/// runs the AVX-512 kernel on the transformed tiles into dU padded to whole tiles, and GEMM calls otherwise. Each
/// kernel family the CPU runs gives conv2d and its two gradients equal to the im2col definitions, in both dtypes and
/// vector widths.
/// The kernel family is forced through the global Gemm.ForcedPath, so these run in the GEMM tests' collection.
/// </summary>
[Collection("Gemm")]
public class WinogradMicroKernelTests
{
    [Property(MaxTest = 15)]
    public void WinogradEqualsTheDefinitionsOnEveryMicroKernel(int seed)
    {
        foreach (var path in new[] { GemmPath.Avx512, GemmPath.Avx2, GemmPath.Scalar })
        {
            if (!Gemm.IsSupported(path)) continue;
            var d = new TestData(seed);
            Gemm.ForcedPath = path;
            try { Conv2dKernelTests.AssertKernelsMatchDefinitions(d, Conv2dKernelTests.RandomThreeByThree(d), Conv2dKernelTests.WithWinograd, inputGrad: true); }
            finally { Gemm.ForcedPath = GemmPath.Auto; }
        }
    }
}
