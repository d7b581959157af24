using System.Globalization;
using System.Text;

namespace Interp;

public sealed partial class Tensor
{
    /// <summary>PyTorch-style printing: tensor([[...]], dtype=..., requires_grad=True); large tensors are summarised.</summary>
    public override string ToString()
    {
        var values = ToArray<double>();
        bool summarise = Numel > 1000;
        bool isInt = DType == DType.Int32;
        bool allIntegral = values.All(v => double.IsFinite(v) && Math.Abs(v - Math.Round(v)) == 0);
        double maxAbs = values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        bool sci = !isInt && !allIntegral && (maxAbs >= 1e8 || (maxAbs > 0 && maxAbs < 1e-4));
        string Fmt(double v) =>
            isInt ? ((long)v).ToString(CultureInfo.InvariantCulture)
            : double.IsNaN(v) ? "nan" : double.IsInfinity(v) ? (v > 0 ? "inf" : "-inf")
            : sci ? v.ToString("0.0000e+00", CultureInfo.InvariantCulture)
            : allIntegral ? v.ToString("0", CultureInfo.InvariantCulture) + "."
            : v.ToString("0.0000", CultureInfo.InvariantCulture);
        int width = values.Length == 0 ? 0 : values.Max(v => Fmt(v).Length);

        var sb = new StringBuilder("tensor(");
        if (Rank == 0) sb.Append(Fmt(values[0]));
        else AppendDim(sb, values, 0, 0, "tensor(".Length, width, summarise, Fmt);
        if (DType != DType.Float32) sb.Append(", dtype=").Append(DType.Name());
        if (Device != Device.Cpu) sb.Append(", device='").Append(Device).Append('\'');
        if (GradFn is not null) sb.Append(", grad_fn=").Append(GradFn);
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    void AppendDim(StringBuilder sb, double[] values, int dim, int offset, int indent, int width, bool summarise, Func<double, string> fmt)
    {
        int n = shape[dim];
        int inner = 1;
        for (int d = dim + 1; d < Rank; d++) inner *= shape[d];
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (summarise && n > 6 && i == 3)
            {
                sb.Append(dim == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + 1));
                i = n - 3;
            }
            if (dim == Rank - 1) sb.Append(fmt(values[offset + i]).PadLeft(width));
            else AppendDim(sb, values, dim + 1, offset + i * inner, indent + 1, width, summarise, fmt);
            if (i < n - 1)
                sb.Append(dim == Rank - 1 ? ", " : "," + new string('\n', Rank - 1 - dim) + new string(' ', indent + 1));
        }
        sb.Append(']');
    }
}
