namespace Interp.Backends;

/// <summary>
/// The geometry of a 2-d sliding window over NCHW input: kernel (KH, KW), stride, zero padding and dilation, and the
/// output size OH = ⌊(H + 2·PH − DH·(KH − 1) − 1) / SH⌋ + 1 (likewise OW). Shared by conv2d and the pools.
/// </summary>
public readonly record struct Window2d(int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
{
    public int OH => (H + 2 * PH - DH * (KH - 1) - 1) / SH + 1;
    public int OW => (W + 2 * PW - DW * (KW - 1) - 1) / SW + 1;
}

public partial interface IBackend
{
    /// <summary>x [N, C, H, W] → cols [N, C·KH·KW, OH·OW]: cols[n, (c, i, j), (oh, ow)] = x[n, c, oh·SH − PH + i·DH, ow·SW − PW + j·DW] (0 outside).</summary>
    Tensor Im2Col(Tensor x, Window2d w);

    /// <summary>The adjoint of Im2Col: cols [N, C·KH·KW, OH·OW] → [N, C, H, W], overlapping patches summed.</summary>
    Tensor Col2Im(Tensor cols, Window2d w);
}
