namespace Interp.Nn;

/// <summary>
/// torch.nn.Conv2d (NCHW): weight [out, in/groups, k, k], bias [out]. PyTorch's default init: weight and bias
/// uniform in [−1/√fan_in, 1/√fan_in] with fan_in = in/groups·k·k (kaiming_uniform with a = √5 reduces to this bound).
/// </summary>
public sealed class Conv2d : Module
{
    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true,
        Generator? gen = null, DType dtype = DType.Float32, int groups = 1)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"conv2d: invalid sizes in {inChannels}, out {outChannels}, kernel {kernel}, stride {stride}, padding {padding}, groups {groups} (groups must divide in and out)");
        (InChannels, OutChannels, Kernel, Stride, Padding, Groups) = (inChannels, outChannels, kernel, stride, padding, groups);
        double bound = 1 / Math.Sqrt(inChannels / groups * kernel * kernel);
        Weight = RegisterParameter("weight", Tensor.Uniform([outChannels, inChannels / groups, kernel, kernel], -bound, bound, gen, dtype));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform([outChannels], -bound, bound, gen, dtype));
    }

    /// <summary>[N, in, H, W] → [N, out, H', W'].</summary>
    public Tensor Forward(Tensor x) => x.Conv2d(Weight, Bias, Stride, Padding, groups: Groups);
}
