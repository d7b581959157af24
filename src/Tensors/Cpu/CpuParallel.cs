namespace Interp.Cpu;

/// <summary>
/// Parallel.For for the CPU kernels, on the GEMM's own workers (<see cref="GemmThreads"/>): one set of threads for
/// every kernel. With the .NET thread pool beside it, a GEMM's workers still spinning after their job and the pool's
/// threads starting the next elementwise op fought over the two cores (5-7 % of a toy GPT step in the kernel's
/// sched_yield and irq paths). The iterations are cut into at most 16 ranges a thread, claimed one at a time, so
/// uneven ones balance; a call made while the workers are busy (from inside another parallel kernel, or another
/// thread's) runs on the calling thread.
/// </summary>
internal static class CpuParallel
{
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || GemmThreads.MaxParts == 1 || !GemmThreads.TryEnter())
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        try
        {
            int parts = Math.Min(count, 16 * GemmThreads.MaxParts);
            s_task.Set(body, count, parts);
            GemmThreads.Run(s_task, parts);
        }
        finally
        {
            s_task.Set(null, 0, 1);
            GemmThreads.Exit();
        }
    }

    /// <summary>Only touched while the pool is held, so one instance serves every call.</summary>
    static readonly BodyTask s_task = new();

    sealed class BodyTask : GemmTask
    {
        Action<int>? body;
        int count, parts;

        public void Set(Action<int>? body, int count, int parts) => (this.body, this.count, this.parts) = (body, count, parts);

        public override void Execute(int part)
        {
            int end = (int)((long)count * (part + 1) / parts);
            for (int i = (int)((long)count * part / parts); i < end; i++) body!(i);
        }
    }
}
