using Interp.Autograd;
using Interp.Models;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Models.Transformers;

/// <summary>
/// One model used from several threads at once (inference, no grad — a per-thread setting, so each thread sets it):
/// every thread's results are bit-identical to those of the same inputs run alone, and hooks added for one run
/// (RunWithCache, RunWithHooks) neither fire in nor collect from another thread's run. The runs overlap on purpose:
/// all threads start together, and the GEMM pool, the kernels' Parallel.For and the hook lists are shared.
/// </summary>
public class ConcurrencyTests
{
    const int Threads = 6, Rounds = 3;

    static readonly TransformerConfig Config = new()
    {
        NLayers = 2, DModel = 64, NHeads = 4, DHead = 16, DMlp = 128, DVocab = 61, NCtx = 24, Seed = 5,
    };

    static Tensor Tokens(int i) => Tensor.RandInt(0, Config.DVocab, [3, 20], gen: new Generator((ulong)(100 + i)));

    static int[] Bits(Tensor t) => t.Contiguous().ToArray<float>().Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>Runs <paramref name="work"/>(thread) on <see cref="Threads"/> threads released together; rethrows the first failure.</summary>
    static void OnThreads(Action<int> work)
    {
        using var start = new Barrier(Threads);
        Exception? failure = null;
        var threads = Enumerable.Range(0, Threads).Select(k => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                work(k);
            }
            catch (Exception e) { Interlocked.CompareExchange(ref failure, e, null); }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (failure is not null) throw new Xunit.Sdk.XunitException($"a thread failed: {failure}");
    }

    [Fact]
    public void TransformerForwardOnSeveralThreadsMatchesRunningAlone()
    {
        var model = new HookedTransformer(Config);
        model.Eval();
        var inputs = Enumerable.Range(0, 4).Select(Tokens).ToArray();
        int[][] alone;
        using (GradMode.NoGrad()) alone = inputs.Select(x => Bits(model.Forward(x))).ToArray();

        var got = new int[Threads, Rounds * inputs.Length][];
        OnThreads(k =>
        {
            using var _ = GradMode.NoGrad();
            for (int r = 0; r < Rounds; r++)
                for (int i = 0; i < inputs.Length; i++)
                {
                    int which = (i + k) % inputs.Length;   // threads run different inputs at the same moment
                    got[k, r * inputs.Length + i] = Bits(model.Forward(inputs[which]));
                }
        });
        for (int k = 0; k < Threads; k++)
            for (int n = 0; n < Rounds * inputs.Length; n++)
                Assert.Equal(alone[(n % inputs.Length + k) % inputs.Length], got[k, n]);
    }

    [Fact]
    public void CachesAndHooksOfOneThreadSeeOnlyThatThreadsRun()
    {
        var model = new HookedTransformer(Config);
        var inputs = Enumerable.Range(0, Threads).Select(Tokens).ToArray();
        const string name = "blocks.1.attn.hook_pattern";
        var alone = inputs.Select(x => model.RunWithCache(x)).Select(r => (Logits: Bits(r.Logits), Pattern: Bits(r.Cache[name]), r.Cache.Names.Count)).ToArray();
        // a global hook (every thread) still sees every run
        int globalCalls = 0;
        using var global = model.Hook("hook_embed").AddForwardHook((a, _) => { Interlocked.Increment(ref globalCalls); return null; });

        OnThreads(k =>
        {
            for (int r = 0; r < Rounds; r++)
            {
                if (k % 2 == 0)
                {
                    // caches on even threads, while odd threads run with a hook that zeroes the pattern
                    var (logits, cache) = model.RunWithCache(inputs[k]);
                    Assert.Equal(alone[k].Count, cache.Names.Count);     // no activation of another run slipped in
                    Assert.Equal(alone[k].Pattern, Bits(cache[name]));
                    Assert.Equal(alone[k].Logits, Bits(logits));
                }
                else
                {
                    using var _ = GradMode.NoGrad();
                    int seen = 0;
                    var logits = model.RunWithHooks(inputs[k], fwdHooks: [(name, (a, _) => { seen++; return Tensor.ZerosLike(a); })]);
                    Assert.Equal(1, seen);                                  // fired once, for this thread's run only
                    Assert.NotEqual(alone[k].Logits, Bits(logits));
                }
            }
        });
        Assert.Equal(Threads * Rounds, globalCalls);
        Assert.False(model.Hook(name).HasHooks);
    }

    [Fact]
    public void CnnForwardOnSeveralThreadsMatchesRunningAlone()
    {
        var cnn = new Cnn(new CnnConfig(ImageSize: 16, Conv1Channels: 8, Conv2Channels: 16, PoolAfterConv1: true, Hidden: 32), new Generator(3));
        cnn.Eval();
        var inputs = Enumerable.Range(0, 4).Select(i => Tensor.Randn([5, 1, 16, 16], gen: new Generator((ulong)(7 + i)))).ToArray();
        int[][] alone;
        using (GradMode.NoGrad()) alone = inputs.Select(x => Bits(cnn.Forward(x))).ToArray();

        var got = new int[Threads, Rounds * inputs.Length][];
        OnThreads(k =>
        {
            using var _ = GradMode.NoGrad();
            for (int n = 0; n < Rounds * inputs.Length; n++) got[k, n] = Bits(cnn.Forward(inputs[(n + k) % inputs.Length]));
        });
        for (int k = 0; k < Threads; k++)
            for (int n = 0; n < Rounds * inputs.Length; n++)
                Assert.Equal(alone[(n + k) % inputs.Length], got[k, n]);
    }
}
