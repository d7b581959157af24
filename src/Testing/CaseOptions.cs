namespace Interp.Testing;

/// <summary>How inputs relate to each other in a multi-input case.</summary>
public enum Pairing
{
    /// <summary>Shapes broadcast against each other (one may have fewer dims or size 1 where the other has more).</summary>
    Broadcast,
    /// <summary>All inputs have the same shape.</summary>
    SameShape,
    /// <summary>
    /// The first two shapes do not broadcast (a dim where they differ and neither is 1); any others are the first's.
    /// For bad-input properties (<see cref="BadInputProperty"/>).
    /// </summary>
    Clashing,
}

/// <summary>What generated cases look like. Every limit applies to the shape the op sees (after the views).</summary>
public record CaseOptions
{
    public int MinRank { get; init; } = 0;
    public int MaxRank { get; init; } = 4;
    public int MaxDimSize { get; init; } = 4;
    /// <summary>Also draw dims of size 0.</summary>
    public bool EmptyDims { get; init; }
    /// <summary>At most this many views between the leaf and the op (0: contiguous inputs only).</summary>
    public int MaxViews { get; init; } = 2;
    /// <summary>Cases whose leaf would hold more elements are not drawn (finite differences cost two calls per element).</summary>
    public int MaxElements { get; init; } = 128;
    /// <summary>The dtypes of the typed run (forward and backward in that dtype, compared with float64).</summary>
    public DType[] DTypes { get; init; } = [DType.Float64, DType.Float32];
    /// <summary>The devices of the typed run; <see cref="Testing.Devices.Available"/> for device parity.</summary>
    public Device[] Devices { get; init; } = [Device.Cpu];
    public Pairing Pairing { get; init; } = Pairing.Broadcast;
}
