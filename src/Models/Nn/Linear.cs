namespace Interp.Nn;

/// <summary>
/// y = x·Wᵀ + b (torch.nn.Linear): W is [out, in], b is [out]. PyTorch's default init: W and b uniform in
/// [−1/√in, 1/√in] (kaiming_uniform with a = √5 reduces to this bound).
/// </summary>
public sealed class Linear : Module
{
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? gen = null, DType dtype = DType.Float32)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"linear: features must be positive, got in {inFeatures}, out {outFeatures}");
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        double bound = 1 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Tensor.Uniform([outFeatures, inFeatures], -bound, bound, gen, dtype));
        if (bias) Bias = RegisterParameter("bias", Tensor.Uniform([outFeatures], -bound, bound, gen, dtype));
    }

    /// <summary>[..., in] → [..., out].</summary>
    public Tensor Forward(Tensor x)
    {
        if (x.Rank == 0 || x.Size(-1) != InFeatures)
            throw new ArgumentException($"linear: expected input [..., {InFeatures}], got {ShapeUtil.Format(x.ShapeArray)}");
        return Bias is null ? x.MatMul(Weight.MT) : x.MatMul(Weight.MT, Bias);
    }
}
