namespace Interp.Backends;

/// <summary>2-d pooling over NCHW input (the channel count of the window is ignored: every plane is pooled alone).</summary>
public partial interface IBackend
{
    /// <summary>Max over each window (padding counts as −∞); also the argmax as a flat index into the H·W plane (int32).</summary>
    (Tensor output, Tensor argmax) MaxPool2d(Tensor x, Window2d w);

    /// <summary>Routes g [N, C, OH, OW] to the argmax positions of an input of shape [N, C, H, W] (ties of windows accumulate).</summary>
    Tensor MaxPool2dBackward(Tensor g, Tensor argmax, Window2d w);

    /// <summary>Mean over each window; the divisor is KH·KW when countIncludePad, else the number of in-bounds elements.</summary>
    Tensor AvgPool2d(Tensor x, Window2d w, bool countIncludePad);

    /// <summary>Spreads g [N, C, OH, OW] evenly over each window (the adjoint of AvgPool2d).</summary>
    Tensor AvgPool2dBackward(Tensor g, Window2d w, bool countIncludePad);
}
