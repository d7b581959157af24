namespace Interp.Gpu;

/// <summary>
/// A strided view's index map for kernels: the element at row-major position i lives at Offset + Σ coord_d·stride_d.
/// Up to 8 dims after dropping size-1 dims and merging dims that are contiguous with each other; passed by value
/// (kernel parameters must be plain structs). Unused leading dims have size 1.
/// </summary>
public struct Layout
{
    public const int MaxRank = 8;
    public int Offset, Contiguous;
    public int S0, S1, S2, S3, S4, S5, S6, S7;
    public int T0, T1, T2, T3, T4, T5, T6, T7;

    public readonly int At(int i)
    {
        if (Contiguous != 0) return Offset + i;
        int o = Offset;
        o += i % S7 * T7; i /= S7;
        o += i % S6 * T6; i /= S6;
        o += i % S5 * T5; i /= S5;
        o += i % S4 * T4; i /= S4;
        o += i % S3 * T3; i /= S3;
        o += i % S2 * T2; i /= S2;
        o += i % S1 * T1; i /= S1;
        return o + i * T0;
    }

    public static Layout Of(Tensor t) => Of(t.shape, t.strides, t.Offset);

    public static Layout Of(int[] shape, int[] strides, int offset)
    {
        var dims = new List<(int size, int stride)>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            if (dims.Count > 0 && dims[^1].stride == strides[d] * shape[d])
                dims[^1] = (dims[^1].size * shape[d], strides[d]);   // merge with the dim before
            else dims.Add((shape[d], strides[d]));
        }
        if (dims.Count > MaxRank)
            throw new NotSupportedException($"gpu: a view of shape {ShapeUtil.Format(shape)} with strides {ShapeUtil.Format(strides)} has more than {MaxRank} non-mergeable dims");
        var s = new int[MaxRank]; var st = new int[MaxRank];
        Array.Fill(s, 1);
        for (int k = 0; k < dims.Count; k++) { s[MaxRank - dims.Count + k] = dims[k].size; st[MaxRank - dims.Count + k] = dims[k].stride; }
        return new Layout
        {
            Offset = offset,
            Contiguous = dims.Count == 0 || (dims.Count == 1 && dims[0].stride == 1) ? 1 : 0,
            S0 = s[0], S1 = s[1], S2 = s[2], S3 = s[3], S4 = s[4], S5 = s[5], S6 = s[6], S7 = s[7],
            T0 = st[0], T1 = st[1], T2 = st[2], T3 = st[3], T4 = st[4], T5 = st[5], T6 = st[6], T7 = st[7],
        };
    }
}
