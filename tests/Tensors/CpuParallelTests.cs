using Interp.Cpu;
using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>The worker pool under back-to-back jobs that reuse one task object with different part counts.</summary>
public class CpuParallelTests
{
    // A worker that claims past one job's end must not run a part of the next job (a race once made the caller wait
    // forever); every index of every job runs exactly once, whatever the job before it was.
    [Fact]
    public void EveryIndexRunsOnceAcrossBackToBackJobsOfChangingSize()
    {
        var random = new Random(7);
        for (int job = 0; job < 20_000; job++)
        {
            int count = random.Next(1, 80);
            var runs = new int[count];
            CpuParallel.For(count, i => Interlocked.Increment(ref runs[i]));
            for (int i = 0; i < count; i++)
                Assert.True(runs[i] == 1, $"job {job}: index {i} of {count} ran {runs[i]} times");
        }
    }
}
