using Xunit;

namespace Interp.Tests.Tensors;

/// <summary>
/// CPU kernels read tensors through raw pointers into pinned arrays. A temporary (a contiguous copy made inside the
/// kernel) is unreachable after its last managed use, so without KeepAlive the GC could free its array while the
/// kernel still reads it: wrong numbers or an access violation. Found by a crash in cross-entropy backward (an
/// expanded gradient made contiguous). Here every op runs repeatedly while another thread forces collections and
/// fills fresh pinned arrays with NaN; every result must equal the first one bit for bit.
/// </summary>
public class KernelLifetimeTests
{
    [Fact]
    public async Task KernelsGiveTheSameResultWhileTheGcRunsBesideThem()
    {
        var gen = new Generator(1);
        var logits = Tensor.Randn([2048, 64], gen, requiresGrad: true);
        var targets = Tensor.RandInt(0, 64, [2048], gen);
        var w = Tensor.Randn([64, 48], gen, requiresGrad: true);
        var ln = Tensor.Randn([64], gen, requiresGrad: true);
        Func<Tensor>[] ops =
        [
            () => logits.CrossEntropy(targets),                                          // mean: backward scale is expanded
            () => logits.T.Contiguous().T.MatMul(w.T.Contiguous().T).Softmax(-1).Sum(),  // transposed operands, softmax backward
            () => (logits.LayerNorm([64], ln, ln) * 2.0).Mean(),
            () => logits.Narrow(1, 3, 40).LogSoftmax(-1).Max(),
        ];
        var expected = ops.Select(Run).ToArray();
        using var stop = new CancellationTokenSource();
        var noise = Task.Factory.StartNew(() =>
        {
            var keep = new List<float[]>();
            while (!stop.IsCancellationRequested)
            {
                var a = GC.AllocateUninitializedArray<float>(2048 * 64, pinned: true);
                Array.Fill(a, float.NaN);
                keep.Add(a);
                if (keep.Count > 8) keep.Clear();
                GC.Collect();
                // back-to-back blocking collections can starve the kernels' threads on 2 cores: leave them room to run
                Thread.Sleep(1);
            }
        }, TaskCreationOptions.LongRunning);
        try
        {
            for (int round = 0; round < 40; round++)
                for (int i = 0; i < ops.Length; i++)
                    Assert.True(expected[i].SequenceEqual(Run(ops[i])), $"op {i}, round {round}: a result changed while the GC ran");
        }
        finally
        {
            stop.Cancel();
            await noise;
        }

        float[] Run(Func<Tensor> op)
        {
            foreach (var p in new[] { logits, w, ln }) p.Grad = null;
            var loss = op();
            loss.Backward();
            return [.. loss.ToFloatArray(), .. logits.Grad!.ToFloatArray(), .. w.Grad?.ToFloatArray() ?? [], .. ln.Grad?.ToFloatArray() ?? []];
        }
    }
}
