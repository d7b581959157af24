using System.Numerics;

namespace Interp;

/// <summary>
/// CPython's <c>random.Random</c> (Modules/_randommodule.c and Lib/random.py), bit for bit: the Mersenne Twister
/// MT19937 seeded from an integer as <c>random.seed(n)</c> does, <c>random()</c>, <c>getrandbits(k)</c>,
/// <c>randrange</c> and <c>shuffle</c>. It exists to reproduce splits and orders that Python scripts made with the
/// <c>random</c> module (e.g. the EIS VII challenge's train/test split); Interp's own randomness is <see cref="Generator"/>,
/// PyTorch's is <see cref="TorchRandom"/>.
/// </summary>
public sealed class PythonRandom
{
    readonly Mt19937 mt = new();

    /// <summary>A generator in the state <c>random.seed(seed)</c> leaves it in.</summary>
    public PythonRandom(BigInteger seed) => Seed(seed);

    /// <summary>
    /// <c>random.seed(seed)</c> for an int: the absolute value's 32-bit words, least significant first (one zero word for
    /// 0), go through MT19937's init_by_array.
    /// </summary>
    public void Seed(BigInteger seed)
    {
        var n = BigInteger.Abs(seed);
        var words = new List<uint>();
        do { words.Add((uint)(n & uint.MaxValue)); n >>= 32; } while (n > 0);
        mt.InitByArray(words.ToArray());
    }

    /// <summary><c>random.random()</c>: a double in [0, 1) from 53 random bits (27 + 26 from two outputs).</summary>
    public double Random()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
    }

    /// <summary><c>random.getrandbits(k)</c>: a non-negative integer of k random bits; 32-bit outputs fill it from the least significant word up.</summary>
    public BigInteger GetRandBits(int k)
    {
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), $"PythonRandom.GetRandBits: number of bits must be non-negative, got {k}");
        if (k <= 32) return GetRandBits32(k);
        var bytes = new byte[(k - 1) / 32 * 4 + 4 + 1];   // one extra zero byte keeps the value unsigned
        for (int word = 0; k > 0; word++, k -= 32)
        {
            uint r = NextUInt32();
            if (k < 32) r >>= 32 - k;   // the last, partial word keeps its top bits
            BitConverter.TryWriteBytes(bytes.AsSpan(4 * word, 4), r);
        }
        return new BigInteger(bytes, isUnsigned: true, isBigEndian: false);
    }

    /// <summary>
    /// <c>random.randrange(n)</c>, i.e. <c>_randbelow(n)</c>: getrandbits(n.bit_length()) drawn again until it is
    /// below n (note: the bit length of n, not of n − 1, so a power of two wastes one bit, as CPython does).
    /// </summary>
    public BigInteger RandBelow(BigInteger n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"PythonRandom.RandBelow: empty range for randrange({n})");
        int k = (int)n.GetBitLength();
        var r = GetRandBits(k);
        while (r >= n) r = GetRandBits(k);
        return r;
    }

    /// <summary><c>_randbelow(n)</c> for an int bound (the common case, without big integers).</summary>
    public int RandBelow(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"PythonRandom.RandBelow: empty range for randrange({n})");
        int k = 32 - BitOperations.LeadingZeroCount((uint)n);
        uint r = GetRandBits32(k);
        while (r >= (uint)n) r = GetRandBits32(k);
        return (int)r;
    }

    /// <summary><c>random.randrange(start, stop)</c> (step 1): start + _randbelow(stop − start).</summary>
    public BigInteger RandRange(BigInteger start, BigInteger stop)
    {
        if (stop <= start) throw new ArgumentOutOfRangeException(nameof(stop), $"PythonRandom.RandRange: empty range for randrange({start}, {stop})");
        return start + RandBelow(stop - start);
    }

    /// <summary><c>random.shuffle(list)</c> in place: for i from the end down to 1, swap item i with item _randbelow(i + 1).</summary>
    public void Shuffle<T>(IList<T> list)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = RandBelow(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    /// <summary>The next raw 32-bit output of MT19937 (genrand_uint32).</summary>
    public uint NextUInt32() => mt.NextUInt32();

    uint GetRandBits32(int k) => k == 0 ? 0 : NextUInt32() >> (32 - k);
}
