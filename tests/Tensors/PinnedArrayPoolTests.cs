using System.Runtime.CompilerServices;
using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>A dead storage's array is reused by the next allocation of its size, and a zeroed allocation is zero.</summary>
public class PinnedArrayPoolTests
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    static Array AllocateAndDrop(int n)
    {
        var t = Tensor.Full([n], 7.0);
        return ((CpuStorage)t.Storage).Data;
    }

    [Fact]
    public void DeadStorageArrayIsReusedAndZeroedOnRequest()
    {
        const int n = 123_457;   // a length no other test allocates
        var array = AllocateAndDrop(n);
        bool reused = false;
        for (int round = 0; round < 10 && !reused; round++)
        {
            PinnedArrayPool.Clear();   // other tests running alongside may have filled the pool to its cap
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var z = Tensor.Zeros([n]);
            reused = ReferenceEquals(((CpuStorage)z.Storage).Data, array);
            Assert.All(z.ToFloatArray(), v => Assert.Equal(0f, v));
            if (!reused) array = AllocateAndDrop(n);
        }
        Assert.True(reused, "the array of a collected storage was never handed out again");
    }
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int32)]
    public unsafe void EveryStorageStartsOnA64ByteLineAndHoldsItsElements(DType dtype)
    {
        // small (unpooled) and large (pooled, then reused) sizes; the elements read back as written
        foreach (int n in new[] { 1, 3, 17, 5_000, 70_001, 70_001 })
        {
            var t = Tensor.Arange(n, dtype);
            var s = (CpuStorage)t.Storage;
            Assert.Equal(0, (long)(nint)s.Pointer % 64);
            Assert.Equal(n, s.Length);
            Assert.Equal(Enumerable.Range(0, n).Select(i => (double)i), t.ToDoubleArray());
            if (dtype == DType.Float64) Assert.Equal(n - 1, s.As<double>()[n - 1]);
        }
    }
}
