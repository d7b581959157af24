using System.Runtime.InteropServices;

namespace Interp.Bench;

/// <summary>
/// CPU time of this process, all threads, from clock_gettime(CLOCK_PROCESS_CPUTIME_ID) (what Python's
/// time.process_time() reads). Process.TotalProcessorTime counts in 10 ms ticks on Linux, too coarse for one op.
/// </summary>
internal static unsafe class CpuClock
{
    public static double ProcessMs()
    {
        Timespec t;
        return clock_gettime(2 /* CLOCK_PROCESS_CPUTIME_ID */, &t) == 0 ? t.Seconds * 1e3 + t.Nanoseconds * 1e-6 : double.NaN;
    }

    /// <summary>CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): time lost to other processes is not counted.</summary>
    public static double ThreadMs()
    {
        Timespec t;
        return clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, &t) == 0 ? t.Seconds * 1e3 + t.Nanoseconds * 1e-6 : double.NaN;
    }

    private struct Timespec { public long Seconds, Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clock, Timespec* t);
}
