using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Interp.Cpu;

/// <summary>One parallel GEMM step: <see cref="Execute"/> is called once for each part 0 .. parts-1.</summary>
internal abstract class GemmTask
{
    // Claim state lives with the task, in one word: the job's part count (high 32 bits) and the next part (low 32), so a
    // claim reads both in one atomic step. (With the count in a field of its own, a worker that took the index past the
    // last part of one job and then read the count of the next job that reused the task ran a part nobody had claimed,
    // twice counted: the caller then waited forever.) A closed task has no parts, so a worker that wakes late claims nothing.
    private long _claims;
    private int _unfinished;

    public abstract void Execute(int part);

    internal void Open(int parts)
    {
        _unfinished = parts;
        Interlocked.Exchange(ref _claims, (long)parts << 32);
    }

    internal void Close() => Interlocked.Exchange(ref _claims, 0);

    internal bool Finished => Volatile.Read(ref _unfinished) == 0;

    /// <summary>Claims and runs parts until none are left.</summary>
    internal void ExecuteClaimed(ref ExceptionDispatchInfo? error)
    {
        while (true)
        {
            long claim = Interlocked.Increment(ref _claims);
            int part = (int)(claim & uint.MaxValue) - 1;
            if (part >= (int)(claim >> 32)) return;
            try { Execute(part); }
            catch (Exception e) { Interlocked.CompareExchange(ref error, ExceptionDispatchInfo.Capture(e), null); }
            Interlocked.Decrement(ref _unfinished);
        }
    }
}

/// <summary>
/// A tiny fork-join pool for GEMM: ProcessorCount - 1 persistent background workers plus the calling thread.
/// Workers keep looking for the next job for up to a millisecond after each (spinning, then yielding the core) before
/// blocking, so a model's chain of ops with short serial work between them finds them awake; nothing is allocated per
/// call. One job runs at a time: a caller first claims the pool with <see cref="TryEnter"/> (false when another
/// thread is mid-GEMM: run on your own thread instead), may then fill a cached task object, calls <see cref="Run"/>
/// and finally <see cref="Exit"/>.
/// </summary>
internal static class GemmThreads
{
    private static readonly Worker[] s_workers = CreateWorkers(Environment.ProcessorCount - 1);
    private static int s_busy;
    private static GemmTask? s_task;
    private static ExceptionDispatchInfo? s_error;

    /// <summary>
    /// Counts for the bench (`gpt2-small --batch`): jobs run; ticks the caller waited at the join after running what
    /// it could claim; a worker's pickups of a job after sleeping and while still spinning; ticks from the start of the
    /// job a sleeping worker woke for to its waking. Updated once a job (a few increments: negligible), read between runs.
    /// </summary>
    internal static class Stats
    {
        public static long Jobs, JoinTicks, SleepPickups, SpinPickups, WakeTicks;
        internal static long s_jobStart;

        public static void Reset() => Jobs = JoinTicks = SleepPickups = SpinPickups = WakeTicks = 0;
    }

    /// <summary>Threads available to one job, the caller included.</summary>
    public static int MaxParts => s_workers.Length + 1;

    public static bool TryEnter() => Interlocked.CompareExchange(ref s_busy, 1, 0) == 0;

    public static void Exit() => Volatile.Write(ref s_busy, 0);

    /// <summary>
    /// Runs task.Execute(0 .. parts-1) on the caller (which must hold the pool) and up to parts-1 workers. Parts
    /// are claimed, not assigned: if a worker is slow to wake (say the machine is oversubscribed) the caller
    /// simply runs its part too, so a late worker costs nothing.
    /// </summary>
    public static void Run(GemmTask task, int parts)
    {
        parts = Math.Max(parts, 1);   // more parts than threads: each thread claims the next part when done
        s_error = null;
        task.Open(parts);
        s_task = task;
        Stats.s_jobStart = Stopwatch.GetTimestamp();
        for (int w = 0; w < Math.Min(parts, MaxParts) - 1; w++) s_workers[w].Start();
        task.ExecuteClaimed(ref s_error);
        long joined = Stopwatch.GetTimestamp();
        var spin = new SpinWait();
        while (!task.Finished) spin.SpinOnce(sleep1Threshold: -1);
        Stats.JoinTicks += Stopwatch.GetTimestamp() - joined;
        Stats.Jobs++;
        task.Close();
        s_task = null;
        s_error?.Throw();
    }

    private static Worker[] CreateWorkers(int count)
    {
        var workers = new Worker[Math.Max(0, count)];
        for (int i = 0; i < workers.Length; i++) workers[i] = new Worker(i);
        return workers;
    }

    private sealed class Worker
    {
        /// <summary>
        /// How long a worker keeps looking for the next job before it sleeps (<c>INTERP_GEMM_SPIN_US</c> sets it): for the
        /// first <see cref="BusySpinMicroseconds"/> it spins, then it yields the core between looks, so other threads
        /// run but the worker needs no wake-up through the kernel. A GPT-2 small forward at 1 x 128 starts 124 jobs with
        /// serial work between them (layer norms, residual adds, A packed for the next GEMM), mostly longer than 50 µs:
        /// with 50 µs of spinning the worker slept before 73-79 of them and woke 0.6-0.85 ms after each started (a
        /// shared 2-core Intel VM, load 4-5; 81-116 µs at load 2-3), leaving the caller alone on that job; within 1 ms
        /// it slept before 1-11, and at load 2-3 the forward took 174.5 ms instead of 194 (medians of 8 alternated runs).
        /// </summary>
        private static readonly long SpinMicroseconds =
            long.TryParse(Environment.GetEnvironmentVariable("INTERP_GEMM_SPIN_US"), out long us) && us >= 0 ? us : 1000;

        private const long BusySpinMicroseconds = 50;
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        private int _generation;

        public Worker(int index) =>
            new Thread(Loop) { IsBackground = true, Name = $"gemm-worker-{index}" }.Start();

        public void Start()
        {
            Interlocked.Increment(ref _generation);
            _wake.Set();
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                if (WaitForWork(seen))
                {
                    Interlocked.Increment(ref Stats.SleepPickups);
                    Interlocked.Add(ref Stats.WakeTicks, Stopwatch.GetTimestamp() - Stats.s_jobStart);
                }
                else
                    Interlocked.Increment(ref Stats.SpinPickups);
                seen = Volatile.Read(ref _generation);
                s_task?.ExecuteClaimed(ref s_error);
            }
        }

        /// <summary>Returns once a job newer than <paramref name="seen"/> has started; true when the worker slept meanwhile.</summary>
        private bool WaitForWork(int seen)
        {
            long start = Stopwatch.GetTimestamp(), perMicrosecond = Stopwatch.Frequency / 1_000_000;
            long busyUntil = start + BusySpinMicroseconds * perMicrosecond, deadline = start + SpinMicroseconds * perMicrosecond;
            bool slept = false;
            while (Volatile.Read(ref _generation) == seen)
            {
                long now = Stopwatch.GetTimestamp();
                if (now < deadline)
                {
                    if (now < busyUntil) Thread.SpinWait(20);
                    else Thread.Yield();
                    continue;
                }
                _wake.Wait();
                _wake.Reset();
                slept = true;
            }
            return slept;
        }
    }
}
