using System.Runtime.CompilerServices;
using Xunit;

namespace Interp.Tests.Core;

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
}
