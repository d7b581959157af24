using Interp.Backends;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>
/// Every IBackend operation on an ILGPU device gives the CPU backend's result on small random inputs (strided and
/// broadcast views included), in float32 (relative error ≤ 1e-5) and float64 (≤ 1e-12). Each case runs on ILGPU's
/// CPU accelerator here and on CUDA where a GPU exists.
/// </summary>
public class IlgpuBackendTests
{
    public static TheoryData<string> Ops => new(Cases.Keys);

    [Theory, MemberData(nameof(Ops))]
    public void IlgpuCpu_matches_cpu(string op) => Cases[op](Device.IlgpuCpu);

    [CudaTheory, MemberData(nameof(Ops))]
    public void Cuda_matches_cpu(string op) => Cases[op](Device.Cuda());

    static readonly DType[] Floats = [DType.Float32, DType.Float64];

    static Tensor R(DType dt, int seed, params int[] shape) => Tensor.Randn(shape, new Generator((ulong)seed), dt);

    static Tensor Positive(DType dt, int seed, params int[] shape) =>
        Tensor.Uniform(shape, 0.5, 2, new Generator((ulong)seed), dt);

    /// <summary>The device's warp size (rows up to 32 elements a lane get a warp each).</summary>
    static int Warp(Device dev) => ((Interp.Gpu.IlgpuBackend)dev.Backend).Accelerator.WarpSize;

    static Tensor Ids(int high, int seed, params int[] shape) => Tensor.RandInt(0, high, shape, new Generator((ulong)seed));

    /// <summary>f on the CPU inputs and on copies of them on the device: the results must agree.</summary>
    static void Same(Device dev, Func<Tensor[], Tensor[]> f, params Tensor[] inputs)
    {
        var expected = f(inputs.Select(Clone).ToArray());   // clones: in-place kernels must not change the inputs
        var actual = f(inputs.Select(t => t.To(dev)).ToArray());
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(dev, actual[i].Device);
            AssertClose(expected[i], actual[i]);
        }
    }

    static Tensor Clone(Tensor t)
    {
        var c = Tensor.Empty(t.ShapeArray, t.DType);
        t.Backend.Copy(t, c);
        return c;
    }

    static void Same(Device dev, Func<Tensor[], Tensor> f, params Tensor[] inputs) => Same(dev, xs => [f(xs)], inputs);

    static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.ShapeArray, actual.ShapeArray);
        Assert.Equal(expected.DType, actual.DType);
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        double tol = expected.DType == DType.Float32 ? 1e-5 : expected.DType == DType.Float64 ? 1e-12 : 0;
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i])) { Assert.True(double.IsNaN(a[i]), $"element {i}: expected NaN, got {a[i]}"); continue; }
            if (double.IsInfinity(e[i])) { Assert.Equal(e[i], a[i]); continue; }
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]} ({expected.DType.Name()})");
        }
    }

    static readonly Window2d Win = new(C: 2, H: 7, W: 6, KH: 3, KW: 2, SH: 2, SW: 1, PH: 1, PW: 1, DH: 1, DW: 2);

    static readonly Dictionary<string, Action<Device>> Cases = new()
    {
        ["copy_fill_transfer"] = dev =>
        {
            foreach (var dt in Floats)
            {
                Same(dev, x => x[0], R(dt, 1, 3, 4));
                Same(dev, x => { var o = Tensor.Empty([4, 2, 3], dt, x[0].Device); x[0].Backend.Copy(x[0].Permute(2, 0, 1), o); return o; }, R(dt, 2, 2, 3, 4));
                foreach (var to in new[] { DType.Float32, DType.Float64, DType.Int32 })
                    Same(dev, x => { var o = Tensor.Empty([4, 3], to, x[0].Device); x[0].Backend.Copy(x[0].MT, o); return o; }, R(dt, 3, 3, 4) * Tensor.Scalar(5, dt));
                Same(dev, x => { var o = Tensor.Zeros([3, 5], dt, x[0].Device); o.Backend.Copy(x[0], o.Narrow(1, 1, 3)); return o; }, R(dt, 4, 3, 3));
                Same(dev, x => { var o = Tensor.Zeros([4, 5], dt, x[0].Device); o.Backend.Fill(o.Narrow(1, 2, 2), 1.5); return o; }, R(dt, 5, 1));
            }
            Same(dev, x => x[0].Narrow(0, 2, 5), Ids(100, 6, 9));
        },
        ["unary"] = dev =>
        {
            foreach (var dt in Floats)
                foreach (var op in Enum.GetValues<UnaryOp>())
                {
                    bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.PowScalar;
                    var x = positive ? Positive(dt, 7, 3, 4, 5) : R(dt, 7, 3, 4, 5);
                    var (p1, p2) = op switch { UnaryOp.PowScalar => (1.7, 0.0), UnaryOp.Clamp or UnaryOp.InRange => (-0.5, 0.7), _ => (0.0, 0.0) };
                    Same(dev, t => t[0].Backend.Unary(op, t[0].Permute(2, 0, 1), p1, p2), x);
                }
        },
        ["binary_broadcast"] = dev =>
        {
            foreach (var dt in Floats)
                foreach (var op in Enum.GetValues<BinaryOp>())
                {
                    var a = op == BinaryOp.Pow ? Positive(dt, 8, 5, 1, 3) : R(dt, 8, 5, 1, 3);
                    var b = R(dt, 9, 4, 7);
                    Same(dev, t => t[0].Backend.Binary(op, t[0].Permute(2, 1, 0), t[1].Narrow(1, 1, 5)), a, b);   // [3,1,5] ∘ [4,5] → [3,4,5]
                    Same(dev, t => t[0].Backend.Binary(op, t[0], t[0].Narrow(0, 1, 1)), a);                       // equal elements for the comparisons
                }
            Same(dev, t => t[0].Backend.Binary(BinaryOp.Div, t[0], t[1]), Ids(50, 10, 3, 4), Tensor.RandInt(1, 8, [4], new Generator(11)));
        },
        ["where"] = dev =>
        {
            foreach (var dt in Floats)
                Same(dev, t => t[0].Backend.Where(t[0].Backend.Binary(BinaryOp.Gt, t[0], t[1]), t[1].Expand(3, 4), t[2]), R(dt, 12, 3, 4), R(dt, 13, 4), R(dt, 14, 3, 1));
        },
        ["reduce"] = dev =>
        {
            foreach (var dt in Floats)
                foreach (var op in Enum.GetValues<ReduceOp>())
                {
                    Same(dev, t => t[0].Backend.Reduce(op, t[0], [1], false), R(dt, 15, 3, 4, 5));
                    Same(dev, t => t[0].Backend.Reduce(op, t[0].Permute(1, 2, 0), [0, 2], true), R(dt, 16, 3, 4, 5));
                    Same(dev, t => t[0].Backend.Reduce(op, t[0], [0, 1], false), R(dt, 17, 2, 5000));   // two-stage: few long rows
                }
            Same(dev, t => t[0].Backend.Reduce(ReduceOp.Sum, t[0], [1], true), Ids(10, 18, 3, 4));
            var withNaN = Tensor.FromArray(new[] { 1, double.NaN, 3, -4, 5, 6 }, [2, 3]);
            Same(dev, t => [t[0].Backend.Reduce(ReduceOp.Max, t[0], [1], false), t[0].Backend.Reduce(ReduceOp.Min, t[0], [1], false)], withNaN);
        },
        ["argreduce"] = dev =>
        {
            foreach (var dt in Floats)
                foreach (bool max in new[] { true, false })
                    Same(dev, t => t[0].Backend.ArgReduce(max, t[0].Permute(2, 0, 1), 1, max), R(dt, 19, 3, 4, 5));
        },
        ["var"] = dev =>
        {
            foreach (var dt in Floats)
            {
                Same(dev, t => t[0].Backend.Var(t[0], [1], 1, false), R(dt, 20, 3, 6, 5));
                Same(dev, t => t[0].Backend.Var(t[0].MT, [0, 2], 0, true), R(dt, 21, 3, 6, 5));
            }
        },
        ["softmax"] = dev =>
        {
            foreach (var dt in Floats)
                foreach (bool log in new[] { false, true })
                    foreach (int dim in new[] { 0, 2 })
                    {
                        Same(dev, t => t[0].Backend.Softmax(t[0].MT, dim, log), R(dt, 22, 3, 4, 5));
                        Same(dev, t => t[0].Backend.SoftmaxBackward(t[0].Backend.Softmax(t[0], dim, log), t[1].Permute(1, 0, 2), dim, log), R(dt, 23, 3, 4, 5), R(dt, 24, 4, 3, 5));
                    }
        },
        ["layer_norm"] = dev =>
        {
            foreach (var dt in Floats)
            {
                Same(dev, t => { var (y, m, r) = t[0].Backend.LayerNorm(t[0].MT, 3, null, null, 1e-5); return [y, m, r]; }, R(dt, 25, 2, 3, 4));
                Same(dev, t =>
                {
                    var x = t[0];
                    var (y, m, r) = x.Backend.LayerNorm(x, 6, t[1], t[2], 1e-5);
                    var (dx, dw, db) = x.Backend.LayerNormBackward(t[3], x, m, r, t[1], 6, true);
                    return [y, m, r, dx, dw!, db!];
                }, R(dt, 26, 4, 6), R(dt, 27, 6), R(dt, 28, 6), R(dt, 29, 4, 6));
            }
        },
        ["cross_entropy"] = dev =>
        {
            foreach (var dt in Floats)
            {
                var targets = Tensor.FromArray(new[] { 2, -100, 0, 4, 1 });
                Same(dev, t => t[0].Backend.CrossEntropyRows(t[0], t[1], -100, 0.1), R(dt, 30, 5, 6), targets);
                Same(dev, t => t[0].Backend.CrossEntropyRowsBackward(t[0].MT, t[1], t[2], -100, 0.1), R(dt, 31, 6, 5), targets, Positive(dt, 32, 5));
                Same(dev, t => // the forward's row stats, and the backward that reads them
                {
                    var (loss, stats) = t[0].Backend.CrossEntropyRowsKeepingStats(t[0], t[1], -100, 0.1);
                    return [loss, stats, t[0].Backend.CrossEntropyRowsBackward(t[0], t[1], t[2], -100, 0.1, stats)];
                }, R(dt, 33, 5, 6), targets, Positive(dt, 34, 5));
            }
        },
        ["long_rows"] = dev =>   // rows longer than a group: threads stride over the row
        {
            foreach (var dt in Floats)
            {
                Same(dev, t => [t[0].Backend.Softmax(t[0], 1, false), t[0].Backend.Softmax(t[0], 1, true)], R(dt, 61, 3, 700));
                Same(dev, t => t[0].Backend.SoftmaxBackward(t[0].Backend.Softmax(t[0], 1, false), t[1], 1, false), R(dt, 62, 2, 700), R(dt, 63, 2, 700));
                Same(dev, t => { var (y, m, r) = t[0].Backend.LayerNorm(t[0], 700, t[1], null, 1e-5); var (dx, _, _) = y.Backend.LayerNormBackward(t[2], t[0], m, r, t[1], 700, false); return [y, dx]; },
                    R(dt, 64, 2, 700), R(dt, 65, 700), R(dt, 66, 2, 700));
                var targets = Tensor.FromArray(new[] { 5, 699 });
                Same(dev, t => [t[0].Backend.CrossEntropyRows(t[0], t[1], -100, 0.0), t[0].Backend.CrossEntropyRowsBackward(t[0], t[1], t[2], -100, 0.2)],
                    R(dt, 67, 2, 700), targets, Positive(dt, 68, 2));
                Same(dev, t =>
                {
                    var (loss, stats) = t[0].Backend.CrossEntropyRowsKeepingStats(t[0], t[1], -100, 0.0);
                    return [loss, stats, t[0].Backend.CrossEntropyRowsBackward(t[0], t[1], t[2], -100, 0.0, stats)];
                }, R(dt, 67, 2, 700), targets, Positive(dt, 68, 2));
            }
        },
        ["short_rows"] = dev =>   // a warp per row, several rows a group, the last group part empty; and both sides of the warp/group switch
        {
            foreach (var dt in Floats)
                foreach (int len in new[] { 5, 32 * Warp(dev), 32 * Warp(dev) + 1 })
                {
                    Same(dev, t => [t[0].Backend.Softmax(t[0], 1, false), t[0].Backend.Softmax(t[0], 1, true)], R(dt, 69, 7, len));
                    Same(dev, t => t[0].Backend.SoftmaxBackward(t[0].Backend.Softmax(t[0], 1, true), t[1], 1, true), R(dt, 70, 7, len), R(dt, 71, 7, len));
                    Same(dev, t => { var (y, m, r) = t[0].Backend.LayerNorm(t[0], len, t[1], t[2], 1e-5); var (dx, dw, db) = y.Backend.LayerNormBackward(t[3], t[0], m, r, t[1], len, true); return [y, m, r, dx, dw!, db!]; },
                        R(dt, 72, 7, len), R(dt, 73, len), R(dt, 74, len), R(dt, 75, 7, len));
                    var targets = Tensor.FromArray(new[] { 0, len - 1, 2 % len, -100, 1 % len, 3 % len, len / 2 });
                    Same(dev, t => [t[0].Backend.CrossEntropyRows(t[0], t[1], -100, 0.1), t[0].Backend.CrossEntropyRowsBackward(t[0], t[1], t[2], -100, 0.1)],
                        R(dt, 76, 7, len), targets, Positive(dt, 77, 7));
                }
        },
        ["matmul"] = dev =>
        {
            foreach (var dt in Floats)
            {
                Same(dev, t => t[0].Backend.MatMul(t[0], t[1]), R(dt, 33, 2, 17, 33), R(dt, 34, 33, 18));
                Same(dev, t => t[0].Backend.MatMul(t[0].MT, t[1].MT), R(dt, 35, 3, 20, 9), R(dt, 36, 7, 20));            // both transposed, b broadcast
                Same(dev, t => t[0].Backend.MatMul(t[0].Expand(3, 4, 5), t[1].Permute(1, 0, 2)), R(dt, 37, 1, 4, 5), R(dt, 38, 5, 3, 6));   // broadcast and strided batch
            }
        },
        ["im2col_col2im"] = dev =>
        {
            foreach (var dt in Floats)
            {
                Same(dev, t => t[0].Backend.Im2Col(t[0], Win), R(dt, 39, 2, 2, 7, 6));
                Same(dev, t => t[0].Backend.Col2Im(t[0], Win), R(dt, 40, 2, 2 * 3 * 2, Win.OH * Win.OW));
            }
        },
        ["pooling"] = dev =>
        {
            foreach (var dt in Floats)
            {
                Same(dev, t => { var (o, a) = t[0].Backend.MaxPool2d(t[0], Win); return [o, a, o.Backend.MaxPool2dBackward(t[1], a, Win)]; },
                    R(dt, 41, 2, 2, 7, 6), R(dt, 42, 2, 2, Win.OH, Win.OW));
                foreach (bool pad in new[] { true, false })
                    Same(dev, t => [t[0].Backend.AvgPool2d(t[0], Win, pad), t[1].Backend.AvgPool2dBackward(t[1], Win, pad)],
                        R(dt, 43, 2, 2, 7, 6), R(dt, 44, 2, 2, Win.OH, Win.OW));
            }
        },
        ["indexing"] = dev =>
        {
            foreach (var dt in Floats)
            {
                var idx = Tensor.FromArray(new[] { 3, 0, 3, 1 });
                Same(dev, t => t[0].Backend.IndexSelect(t[0].MT, 2, t[1]), R(dt, 45, 5, 4, 3), idx);
                Same(dev, t => t[0].Backend.IndexAdd(t[0], 1, t[1], t[2]), R(dt, 46, 2, 5, 3), idx, R(dt, 47, 2, 4, 3));
                var gi = Ids(4, 48, 3, 5);
                Same(dev, t => t[0].Backend.Gather(t[0].MT, 1, t[1]), R(dt, 49, 6, 3), gi);
                Same(dev, t => t[0].Backend.ScatterAdd(t[0], 1, t[1], t[2].MT), R(dt, 50, 3, 4), gi, R(dt, 51, 6, 3));
            }
        },
        ["optim"] = dev =>
        {
            foreach (var dt in Floats)
            {
                Same(dev, t =>
                {
                    var (p, g, b) = (t[0], t[1], t[2]);
                    p.Backend.SgdUpdate(p, g, b, 0.1, 0.9, 0.1, 0.01, nesterov: true, firstStep: false);
                    return [p, b];
                }, R(dt, 52, 4, 3), R(dt, 53, 4, 3), R(dt, 54, 4, 3));
                Same(dev, t =>
                {
                    t[0].Backend.AdamUpdate(t[0], t[1], t[2], t[3], 0.01, 0.9, 0.999, 1e-8, 0.1, decoupledWeightDecay: true, step: 3);
                    t[0].Backend.AdamUpdate(t[0], t[1], t[2], t[3], 0.01, 0.9, 0.999, 1e-8, 0.1, decoupledWeightDecay: false, step: 4);
                    return [t[0], t[2], t[3]];
                }, R(dt, 55, 7), R(dt, 56, 7), R(dt, 57, 7), Positive(dt, 58, 7));
                Same(dev, t => Tensor.Scalar(t[0].Backend.SumOfSquares(t[0].MT), DType.Float64, t[0].Device), R(dt, 59, 30, 70));
                Same(dev, t => { t[0].Backend.ScaleInPlace(t[0].Narrow(1, 1, 2), -0.5); return t[0]; }, R(dt, 60, 3, 4));
            }
        },
    };
}
