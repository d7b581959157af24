namespace Interp.Backends;

/// <summary>
/// Index kernels. Index tensors are int32 and already range-checked by the op (kernels trust them).
/// "Along dim" kernels view x as [outer, n, inner] with n the size of dim.
/// </summary>
public partial interface IBackend
{
    /// <summary>out[o, m, i] = x[o, index[m], i] for a 1-d index of length M.</summary>
    Tensor IndexSelect(Tensor x, int dim, Tensor index);

    /// <summary>A copy of x with out[o, index[m], i] += src[o, m, i] (repeated indices accumulate).</summary>
    Tensor IndexAdd(Tensor x, int dim, Tensor index, Tensor src);

    /// <summary>out[p] = x[p with coordinate dim replaced by index[p]]; out has index's shape.</summary>
    Tensor Gather(Tensor x, int dim, Tensor index);

    /// <summary>A copy of x with out[p with coordinate dim replaced by index[p]] += src[p] for every p of index.</summary>
    Tensor ScatterAdd(Tensor x, int dim, Tensor index, Tensor src);
}
