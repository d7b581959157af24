using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>
/// One ILGPU device used from several threads at once (xunit runs test classes in parallel; a user may too): each
/// thread gets its own results, while the other thread's temporaries die and their buffers are reused.
/// </summary>
public class ConcurrentDeviceUseTests
{
    [Fact]
    public void Two_threads_on_one_device_each_get_their_own_results()
    {
        var dev = Device.IlgpuCpu;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var x = Tensor.Arange(3000, DType.Float64);   // both threads rent buffers of the same size class
            for (int i = 0; i < 60 && failures.IsEmpty; i++)
            {
                var y = ((x.To(dev) * (t + 2) - 1) + (i + 1)).ToDoubleArray();   // temporaries die on the way
                for (int j = 0; j < y.Length; j++)
                    if (y[j] != j * (t + 2) + i) { failures.Add($"thread {t}, round {i}, element {j}: expected {j * (t + 2) + i}, got {y[j]}"); break; }
                if (i % 10 == 0) GC.Collect();
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        Assert.Empty(failures);
    }
}
