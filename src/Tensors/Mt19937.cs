namespace Interp;

/// <summary>
/// The Mersenne Twister MT19937 (Matsumoto and Nishimura's mt19937ar.c): the 32-bit generator under both CPython's
/// <c>random</c> (<see cref="PythonRandom"/>) and PyTorch's CPU generator (<see cref="TorchRandom"/>). They differ only
/// in how a seed becomes the state: CPython goes through <see cref="InitByArray"/>, PyTorch through <see cref="InitGenrand"/>.
/// </summary>
public sealed class Mt19937
{
    const int N = 624, M = 397;
    const uint MatrixA = 0x9908b0dfU, UpperMask = 0x80000000U, LowerMask = 0x7fffffffU;

    readonly uint[] mt = new uint[N];
    int index = N + 1;

    /// <summary>init_genrand: the state from one 32-bit seed.</summary>
    public void InitGenrand(uint s)
    {
        mt[0] = s;
        for (int i = 1; i < N; i++) mt[i] = 1812433253U * (mt[i - 1] ^ (mt[i - 1] >> 30)) + (uint)i;
        index = N;
    }

    /// <summary>init_by_array: the state from a key of 32-bit words.</summary>
    public void InitByArray(uint[] key)
    {
        InitGenrand(19650218U);
        int i = 1, j = 0;
        for (int k = Math.Max(N, key.Length); k > 0; k--)
        {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525U)) + key[j] + (uint)j;   // non-linear
            i++; j++;
            if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
            if (j >= key.Length) j = 0;
        }
        for (int k = N - 1; k > 0; k--)
        {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941U)) - (uint)i;   // non-linear
            i++;
            if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
        }
        mt[0] = 0x80000000U;   // MSB is 1, assuring a non-zero initial array
    }

    /// <summary>The next raw 32-bit output (genrand_uint32).</summary>
    public uint NextUInt32()
    {
        if (index >= N)
        {
            if (index > N) throw new InvalidOperationException("Mt19937: not seeded (call InitGenrand or InitByArray first)");
            Twist();
        }
        uint y = mt[index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680U;
        y ^= (y << 15) & 0xefc60000U;
        return y ^ (y >> 18);
    }

    void Twist()
    {
        for (int kk = 0; kk < N; kk++)
        {
            uint y = (mt[kk] & UpperMask) | (mt[(kk + 1) % N] & LowerMask);
            mt[kk] = mt[(kk + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0);
        }
        index = 0;
    }
}
