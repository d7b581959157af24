namespace Interp.Bench;

/// <summary>Counters of this process from /proc that the bench verbs report beside their timings.</summary>
internal static class ProcessStats
{
    /// <summary>Minor page faults of this process so far (field 10 of /proc/self/stat).</summary>
    public static long MinorFaults() => long.Parse(File.ReadAllText("/proc/self/stat").Split(") ")[1].Split(' ')[7]);
}
