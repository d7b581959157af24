using Interp.Gpu;
using Interp.Optim;
using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>
/// On an accelerator an optimizer packs its parameters into flat buffers (Interp.Optim.FlatParameters) and updates
/// them all with one kernel launch per step, with the same results, bit for bit, as the CPU's update per parameter
/// (both compute in double and round to float32 once).
/// </summary>
public class FusedOptimizerTests
{
    static readonly int[][] Shapes = [[5, 7], [7], [3, 2, 4], [1]];

    static Tensor[] Parameters(Device dev) =>
        Shapes.Select((s, i) => Tensor.Randn(s, new Generator((ulong)(10 + i)), device: dev, requiresGrad: true)).ToArray();

    /// <summary>
    /// Three steps with gradients set by hand (the same values on both devices); at the second, the last parameter has
    /// none (it is skipped, and its step count falls behind, so the third step runs per parameter on the device too).
    /// </summary>
    static Tensor[] Run(Device dev, Func<Tensor[], Optimizer> make)
    {
        var ps = Parameters(dev);
        var opt = make(ps);
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < ps.Length; i++)
                ps[i].Grad = step == 1 && i == ps.Length - 1 ? null
                    : Tensor.Randn(Shapes[i], new Generator((ulong)(100 * step + i))).To(dev);
            opt.Step();
        }
        return ps;
    }

    public static TheoryData<string> Optimizers => new(Makers.Keys);

    static readonly Dictionary<string, Func<Tensor[], Optimizer>> Makers = new()
    {
        ["adamw"] = ps => new AdamW(ps, lr: 0.01, weightDecay: 0.1),
        ["adam with L2"] = ps => new Adam(ps, lr: 0.01, weightDecay: 0.1),
        ["sgd nesterov"] = ps => new Sgd(ps, lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true),
        ["sgd plain"] = ps => new Sgd(ps, lr: 0.1),
    };

    [Theory, MemberData(nameof(Optimizers))]
    public void Packed_update_equals_the_cpu_update_bit_for_bit(string name)
    {
        var cpu = Run(Device.Cpu, Makers[name]);
        var dev = Run(Device.IlgpuCpu, Makers[name]);
        for (int i = 0; i < cpu.Length; i++)
            Assert.Equal(cpu[i].ToFloatArray(), dev[i].ToFloatArray());
    }

    /// <summary>After the first step (state made), a step is one launch: gradients land in the flat buffer during backward.</summary>
    [Theory, MemberData(nameof(Optimizers))]
    public void A_step_is_one_kernel_launch(string name)
    {
        var ps = Parameters(Device.IlgpuCpu);
        var opt = Makers[name](ps);
        var x = Tensor.Randn([4, 5], new Generator(3)).To(Device.IlgpuCpu);
        void Backward()
        {
            opt.ZeroGrad();
            var h = x.MatMul(ps[0]) + ps[1];
            (h.Square().Sum() + ps[2].Square().Sum() + ps[3].Sum()).Backward();
        }
        Backward();
        opt.Step();
        Backward();
        long before = IlgpuBackend.LaunchesOnThisThread;
        opt.Step();
        Assert.Equal(1, IlgpuBackend.LaunchesOnThisThread - before);
    }

    /// <summary>Packed parameters still move as module parameters do (here back to the CPU, with their values).</summary>
    [Fact]
    public void Packed_parameters_move_back_to_the_cpu()
    {
        var ps = Parameters(Device.IlgpuCpu);
        var expected = ps.Select(p => p.ToFloatArray()).ToArray();
        _ = new AdamW(ps);
        Assert.True(ps[1].Offset > 0);   // packed: a view into the flat buffer
        foreach (var p in ps) p.MoveDataTo(Device.Cpu);
        for (int i = 0; i < ps.Length; i++) Assert.Equal(expected[i], ps[i].ToFloatArray());
    }
}
