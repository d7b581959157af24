using System.Buffers.Binary;
using Xunit;

namespace Interp.Tests;

/// <summary>
/// A small mutation fuzzer for file readers. Each input is derived from a valid file by a seeded mutation, handed to
/// the reader on a worker thread, and must either be read or be refused with the reader's own exception whose message
/// names the file. Anything else fails the test with the seed that reproduces it: another exception type (an
/// IndexOutOfRange from inside, an OutOfMemory), a read that allocates more than <see cref="MaxAllocatedBytes"/>
/// (a huge declared size believed), or one that runs past <see cref="Timeout"/> (a hang).
/// </summary>
public sealed class Fuzz
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    public const long MaxAllocatedBytes = 64L << 20;

    /// <summary>Inputs tried, inputs read without error, inputs refused.</summary>
    public int Tried, Accepted, Refused;
    public readonly Dictionary<string, int> Messages = [];

    /// <summary>
    /// Runs <paramref name="read"/> on one input; <paramref name="refused"/> tells the reader's own exception type.
    /// Returns null on success, else what went wrong.
    /// </summary>
    public string? Try(string name, Action read, Func<Exception, bool> refused, string fileName)
    {
        Tried++;
        string? failure = null;
        var worker = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read();
                Accepted++;
            }
            catch (Exception e) when (refused(e))
            {
                Refused++;
                if (!e.Message.Contains(fileName, StringComparison.Ordinal)) failure = $"message does not name the file: {e.Message}";
                // the problem part, without the file name, counted so the test output can show what was found
                string problem = e.Message.Replace(fileName, "FILE");
                problem = problem.Length > 90 ? problem[..90] : problem;
                lock (Messages) Messages[problem] = Messages.GetValueOrDefault(problem) + 1;
            }
            catch (Exception e)
            {
                failure = $"{e.GetType().Name}: {e.Message}";
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (failure is null && allocated > MaxAllocatedBytes) failure = $"allocated {allocated >> 20} MiB";
        }, maxStackSize: 16 << 20) { IsBackground = true };
        worker.Start();
        if (!worker.Join(Timeout)) return $"{name}: still running after {Timeout.TotalSeconds} s (hang)";
        return failure is null ? null : $"{name}: {failure}";
    }

    /// <summary>Prints the counts and the most frequent refusals (what the fuzzer found) to the test output.</summary>
    public void Report(Xunit.Abstractions.ITestOutputHelper output, string reader)
    {
        output.WriteLine($"{reader}: {Tried} inputs tried, {Accepted} read, {Refused} refused with a clear error");
        foreach (var (message, count) in Messages.OrderByDescending(kv => kv.Value).Take(12))
            output.WriteLine($"  {count,5} x {message}");
    }

    static readonly long[] Interesting = [0, 1, -1, 2, 7, 8, 255, 256, 0x7FFF, 0xFFFF, int.MaxValue, int.MinValue, uint.MaxValue,
        1L << 32, long.MaxValue, long.MinValue, 100_000_000];

    /// <summary>
    /// A seeded mutation of <paramref name="bytes"/>; <paramref name="hot"/> is a byte range (a header) that gets half
    /// of the point mutations. Returns the new bytes and a short description.
    /// </summary>
    public static (byte[] Bytes, string What) Mutate(byte[] bytes, int seed, Range? hot = null)
    {
        var rng = new Random(seed);
        var (hotStart, hotLength) = (hot ?? Range.All).GetOffsetAndLength(bytes.Length);
        int Pos() => bytes.Length == 0 ? 0 : rng.Next(2) == 0 && hotLength > 0 ? hotStart + rng.Next(hotLength) : rng.Next(bytes.Length);
        var b = (byte[])bytes.Clone();
        if (b.Length == 0) return ([(byte)rng.Next(256)], "one byte appended to an empty file");
        switch (rng.Next(8))
        {
            case 0: { int p = Pos(); b[p] = (byte)rng.Next(256); return (b, $"byte {p} := {b[p]}"); }
            case 1: { int p = Pos(), bit = rng.Next(8); b[p] ^= (byte)(1 << bit); return (b, $"bit {bit} of byte {p} flipped"); }
            case 2: { int n = rng.Next(b.Length + 1); return (b[..n], $"truncated to {n} bytes"); }
            case 3:
            {
                int p = Math.Min(Pos(), Math.Max(0, b.Length - 8));
                long v = Interesting[rng.Next(Interesting.Length)];
                int width = rng.Next(2) == 0 ? 4 : 8;
                width = Math.Min(width, b.Length - p);
                var tmp = new byte[8];
                if (rng.Next(2) == 0) BinaryPrimitives.WriteInt64LittleEndian(tmp, v); else BinaryPrimitives.WriteInt64BigEndian(tmp, v << (width == 4 ? 32 : 0));
                tmp.AsSpan(0, width).CopyTo(b.AsSpan(p));
                return (b, $"{width} bytes at {p} := {v}");
            }
            case 4:
            {
                int p = Pos(), n = rng.Next(1, 17);
                var extra = new byte[n];
                rng.NextBytes(extra);
                return ([.. b[..p], .. extra, .. b[p..]], $"{n} random bytes inserted at {p}");
            }
            case 5:
            {
                int p = Pos(), n = Math.Min(rng.Next(1, 33), b.Length - p);
                return ([.. b[..p], .. b[(p + n)..]], $"{n} bytes deleted at {p}");
            }
            case 6:
            {
                int p = Pos(), n = Math.Min(rng.Next(1, 65), b.Length - p), at = Pos();
                return ([.. b[..at], .. b.AsSpan(p, n), .. b[at..]], $"{n} bytes from {p} copied to {at}");
            }
            default:
            {
                for (int k = rng.Next(2, 6); k > 0 && b.Length > 0; k--) b[Pos()] = (byte)rng.Next(256);
                return (b, "several bytes changed");
            }
        }
    }

    /// <summary>Fails with every failing seed (up to 10 shown) so each can be kept as a regression case.</summary>
    public static void AssertNoFailures(List<string> failures) =>
        Assert.True(failures.Count == 0, $"{failures.Count} inputs failed:\n" + string.Join("\n", failures.Take(10)));
}
